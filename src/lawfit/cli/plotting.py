"""The plot verb: a figure of a saved fit, its residuals or bootstrap draws, its forecast calibration, its
compute-optimal frontier, or an IsoFLOP analysis of runs, written to PNG, PDF or SVG."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import (
    add_level_option,
    add_output_option,
    add_runs_options,
    check_output_of,
    load_runs_from,
    numbers,
    pairs,
    runs_files,
    speaks_cli,
)

_FIT_KINDS = ("fit", "residuals", "pairs", "calibration", "frontier")
_KINDS = (*_FIT_KINDS, "isoflop")
_FORMATS = (".png", ".pdf", ".svg")
_FRONTIER_POINTS = 60  # budgets along a frontier given as a range LOW,HIGH


def add_verbs(verbs: Any) -> None:
    """Add plot to the ``lawfit`` sub-command parser."""
    p = verbs.add_parser(
        "plot",
        help="draw a fit, its residuals, bootstrap pairs, forecast calibration, frontier, or an IsoFLOP analysis",
        description="Write a figure (PNG, PDF or SVG, by the suffix of -o). Kinds: fit (the runs and the law), "
        "residuals (log residuals of the runs), pairs (bootstrap draws of the parameters, two at a time), "
        "calibration (the nested back-tests' errors against the distance of extrapolation, with the forecast band; "
        "a fit saved with --bootstrap or --law auto is calibrated) and frontier (N* and D* against compute) read a "
        "saved fit, FILE = FIT.json, with the runs from --data FILE or "
        "--dataset NAME; isoflop reads runs at fixed budgets, FILE = the runs. Needs matplotlib: "
        "pip install 'lawfit[plot]'.",
    )
    add_runs_options(
        p,
        file_help="the saved fit (FIT.json) for every kind but isoflop; the runs for isoflop",
        dataset_help="a bundled data set as the runs, instead of --data (or of FILE for isoflop)",
    )
    p.add_argument("--kind", default="fit", help=f"what to draw: {', '.join(_KINDS)} (fit)")
    add_output_option(p, "FIG", "the figure to write: .png, .pdf or .svg")
    p.add_argument("--data", metavar="RUNS", help="the runs to draw with a fit (kinds fit, residuals)")
    p.add_argument("--held-out", metavar="RUNS", help="runs not fitted, drawn hollow (kind fit; same --col)")
    p.add_argument("--x", choices=("N", "D", "C"), help="horizontal axis (fit, residuals); parabola axis (isoflop)")
    add_level_option(p, "the bootstrap or forecast bands")
    p.add_argument("--params", metavar="P1,P2,...", help="the parameters of a pairs plot (all)")
    p.add_argument("--compute", metavar="C", help="frontier budgets: LOW,HIGH for a range, or three or more budgets")
    p.add_argument("--cost", type=float, default=6.0, metavar="K", help="training FLOPs per parameter per token (6)")
    p.add_argument("--bootstrap", type=int, default=0, metavar="R", help="isoflop: R resamples within each budget")
    p.add_argument("--seed", type=int, default=0, help="isoflop: seed of the bootstrap (0)")
    p.add_argument("--rtol", type=float, default=0.05, help="isoflop: budgets within this distance are one (0.05)")
    p.add_argument("--dpi", type=int, default=200, help="resolution of a PNG (200)")


def _cmd_plot(args: argparse.Namespace) -> int:
    from .._files import write_figure
    from ..errors import LawfitError

    if args.kind not in _KINDS:
        raise LawfitError(f"Unknown plot kind {args.kind!r}. Kinds: {', '.join(_KINDS)}.")
    if not args.output:
        raise LawfitError("lawfit plot needs -o FIG.png (or .pdf, .svg): the file to write the figure to.")
    output = check_figure_output(args, [*runs_files(args), args.data, args.held_out])
    fig = _isoflop(args) if args.kind == "isoflop" else _from_fit(args)
    write_figure(fig, output, dpi=args.dpi)
    print(f"figure     {output} ({args.kind})")
    return 0


def check_figure_output(args: argparse.Namespace, inputs: list[Any]) -> Path:
    """The figure of ``-o`` (``args.output``), checked before any work: a suffix lawfit draws (.png, .pdf, .svg),
    matplotlib installed, and a path lawfit may write (:func:`check_output_of`, with ``--force``)."""
    from ..errors import LawfitError

    output = Path(args.output)
    if output.suffix.lower() not in _FORMATS:
        raise LawfitError(f"The figure {output} must end in .png, .pdf or .svg. Got {output.suffix or 'no suffix'!r}.")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise LawfitError("Figures need matplotlib; install it with pip install 'lawfit[plot]'.") from None
    check_output_of(args, args.output, inputs=inputs, kinds=("figure",))
    return output


def _from_fit(args: argparse.Namespace) -> Any:
    import numpy as np

    import lawfit

    from .. import plot
    from ..errors import LawfitError
    from ..report.gather import figure_frontier

    if args.file is None:
        raise LawfitError(f"Give the saved fit: lawfit plot FIT.json --kind {args.kind} -o FIG.png.")
    fit = lawfit.load_fit(args.file)
    if args.kind == "pairs":
        names = [name.strip() for name in args.params.split(",")] if args.params else None
        return plot.plot_bootstrap_pairs(fit, names)
    if args.kind == "calibration":
        return plot.plot_calibration(fit, level=args.level)
    if args.kind == "frontier":
        if not args.compute:
            raise LawfitError("--kind frontier needs the budgets: --compute 1e20,1e26 (a range) or 1e21,1e22,1e23.")
        budgets = numbers(args.compute)
        if len(budgets) == 2:
            budgets = np.geomspace(min(budgets), max(budgets), _FRONTIER_POINTS)
        frontier = lawfit.plan.compute_optimal(fit, budgets, cost=args.cost, level=args.level)
        return frontier.plot(largest_compute=_largest_compute(fit, args.cost))
    runs = None
    if args.data is not None and args.dataset is not None:
        raise LawfitError("Give the runs as either --data FILE or --dataset NAME, not both.")
    if args.data is not None or args.dataset is not None:
        runs = load_runs_from(_with_file(args, args.data))
    else:
        runs = _runs_of(fit)
        if runs is None and args.kind == "residuals":
            raise LawfitError("--kind residuals needs the runs: --data FILE or --dataset NAME (with --col as for fit).")
    if args.kind == "residuals":
        return plot.plot_residuals(fit, runs, x=args.x)
    held = lawfit.load_runs(args.held_out, columns=pairs(args.col, "--col")) if args.held_out else None
    # The figure draws the frontier; it is found here, over the compute of the runs drawn.
    frontier = figure_frontier(fit, runs, held, level=args.level)
    return plot.plot_fit(fit, runs, x=args.x, level=args.level, held_out=held, frontier=frontier)


def _largest_compute(fit: Any, cost: float) -> float | None:
    """The compute of the fit's largest run (where a frontier's data end): its recorded range of C, else from its
    runs file; None when neither is there."""
    import numpy as np

    ranges = fit.runs_summary.get("ranges", {})
    if "C" in ranges:
        return float(ranges["C"][1])
    runs = _runs_of(fit, quiet=True)
    if runs is None or not ({"C"} <= set(runs.columns) or {"N", "D"} <= set(runs.columns)):
        return None
    compute = runs.column("C") if "C" in runs.columns else cost * runs.column("N") * runs.column("D")
    return float(np.max(compute))


def _runs_of(fit: Any, *, quiet: bool = False) -> Any:
    """The runs a saved fit was made on, read again from the file its data summary names (with its column mapping,
    or a bundled data set's); None, with a note on stderr unless ``quiet``, when it names none or the file cannot
    be read."""
    import sys

    from .. import datasets, load_runs
    from ..errors import LawfitError

    data = fit.runs_summary
    where = data.get("path") or data.get("source") or ""
    if not where or where.startswith("<") or not Path(where).is_file():
        said = f"its runs came from {where}, which is not a file here" if where else "it names no runs file"
        if not quiet:
            print(f"note: drawing the law without runs: {said}; give --data FILE (or --dataset NAME).", file=sys.stderr)
        return None
    columns = data.get("columns")
    if columns is None:  # a bundled data set carries its own mapping
        bundled = [name for name in datasets.DATASETS if Path(where).resolve() == datasets.path(name).resolve()]
        columns = datasets.DATASETS[bundled[0]][1] if bundled else None
    try:
        runs = load_runs(where, columns=columns)
    except LawfitError as error:
        if quiet:
            return None
        print(
            f"note: drawing the law without runs: cannot read the fit's runs from {where} ({error}); give --data "
            "FILE with --col as for fit.",
            file=sys.stderr,
        )
        return None
    extra = len(runs) - fit.n_points
    if extra > 0:  # the fit dropped its highest-loss runs (--drop-highest-loss) if its notes say exactly that
        dropped = runs.drop_highest_loss(extra)
        if dropped.notes and dropped.notes[-1] in data.get("notes", ()):
            runs = dropped
    if len(runs) != fit.n_points and not quiet:
        print(
            f"note: {where} holds {len(runs)} runs, the fit was made on {fit.n_points}; drawing them all.",
            file=sys.stderr,
        )
    return runs


def _isoflop(args: argparse.Namespace) -> Any:
    from ..errors import LawfitError
    from ..plan import isoflop

    if args.x == "C":
        raise LawfitError("--kind isoflop draws parabolas in N or D: give --x N or --x D.")
    if args.file is not None and args.data is not None:
        raise LawfitError("--kind isoflop reads the runs from FILE; give FILE or --data, not both.")
    runs = load_runs_from(_with_file(args, args.file or args.data))
    result = isoflop(
        runs,
        x=args.x or "N",
        rtol=args.rtol,
        cost=args.cost,
        n_resamples=args.bootstrap,
        seed=args.seed,
        level=args.level,
    )
    return result.plot()


def _with_file(args: argparse.Namespace, file: str | None) -> argparse.Namespace:
    """The arguments with ``file`` as the runs file, for :func:`load_runs_from`."""
    return argparse.Namespace(**{**vars(args), "file": file})


COMMANDS = {"plot": speaks_cli(_cmd_plot, {"compute": "--compute", "level": "--level"})}
