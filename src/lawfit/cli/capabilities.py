"""The capabilities verb: observational scaling laws from benchmark scores of public models
(:mod:`lawfit.capabilities.observational`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import add_force_option, add_level_option, add_table_options, check_output_of, pairs, speaks_cli
from ._output import dumps_strict

_DPI = 200  # as lawfit plot
_REPORT_SUFFIXES = (".html", ".htm")


def _end(text: str) -> float | None:
    """``--floor``/``--ceiling``: a number in [0, 1], or ``free``."""
    if text.strip().lower() == "free":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1] or 'free'; got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1] or 'free'; got {text!r}")
    return value


def add_verbs(verbs: Any) -> None:
    """Add ``capabilities`` to the ``lawfit`` sub-command parser."""
    p = verbs.add_parser(
        "capabilities",
        help="observational scaling laws from benchmark scores of public models",
        description="From a table of models x benchmark scores (Ruan, Maddison and Hashimoto 2024): principal "
        "components of the scores (un-standardised PCA; missing scores imputed by iterative rank-1 PCA), each "
        "component linear in log10 FLOPs per family (one shared slope, one offset per family; families with one "
        "model left out); with --target, a sigmoid of the components predicting that score, back-tested with "
        "--cutoff against the same sigmoid of log FLOPs (trained on models at or below the cut-off, components "
        "fitted on them only, mean squared error on the models above); with --family and --compute, the target "
        "predicted for that family at that compute, with bootstrap intervals over models.",
    )
    add_table_options(
        p,
        file_help="the table: CSV, TSV, Parquet, JSON or JSON Lines, one row per model, scores in [0, 1]",
        columns="model, family, N, D or C (found by common names otherwise: Model, Model Family, Model Size (B), "
        "Pretraining Data Size (T), FLOPs (1E21), ...)",
        drop_bad=None,
    )
    p.add_argument(
        "--benchmarks",
        metavar="A,B",
        help="the score columns the components are built from (every other numeric column of FILE by default)",
    )
    p.add_argument(
        "--scores", metavar="FILE2", help="more scores (targets) in another table, joined with FILE by model"
    )
    p.add_argument("--target", metavar="COLUMN", help="the score to predict with a sigmoid of the components")
    p.add_argument(
        "--cutoff",
        type=float,
        metavar="FLOPS",
        help="back-test: train on the models at or below these FLOPs (8.4e22: Llama-2-7B), test on those above, "
        "against a sigmoid of log FLOPs",
    )
    p.add_argument("--components", type=int, default=3, metavar="K", help="principal components to use (3)")
    p.add_argument("--family", metavar="F", help="predict for this family at --compute, from its component law")
    p.add_argument("--compute", type=float, metavar="C", help="the compute budget in FLOPs for --family")
    p.add_argument(
        "--floor",
        type=_end,
        default=None,
        metavar="Y",
        help="the sigmoid's floor: a number or free (free, in [0, 0.2])",
    )
    p.add_argument("--ceiling", type=_end, default=1.0, metavar="Y", help="the sigmoid's ceiling: a number or free (1)")
    p.add_argument(
        "--bootstrap", type=int, default=1000, metavar="R", help="resamples of the models for intervals (1000)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (0)")
    add_level_option(p, "the bootstrap intervals")
    p.add_argument("--json", action="store_true", help="print one strict JSON object instead of a table")
    add_figure_options(
        p,
        "the components against compute per family (PC1, with each family's law), or with --target the target "
        "against its sigmoid's predictor (a back-test with --cutoff: training models filled, held-out hollow)",
    )


def add_figure_options(p: argparse.ArgumentParser, figure: str) -> None:
    """``--plot FIG``, ``--report REPORT.html`` and their ``--force``, for the capabilities verbs."""
    p.add_argument(
        "--plot",
        metavar="FIG",
        help=f"also write a figure (.png, .pdf or .svg; needs matplotlib): {figure}",
    )
    p.add_argument(
        "--report",
        metavar="REPORT.html",
        help="also write a self-contained HTML page of the results, with their tables and figures (needs matplotlib)",
    )
    add_force_option(p, "FIG or REPORT.html")


def check_figure_outputs(args: argparse.Namespace, inputs: list[Any]) -> tuple[Path | None, Path | None]:
    """The paths of ``--plot`` and ``--report``, checked before any work: their suffixes, matplotlib, and paths
    lawfit may write (not an input, not a file lawfit did not write, unless ``--force``)."""
    from ..errors import LawfitError
    from .plotting import check_figure_output

    figure = report = None
    if args.plot:
        figure = check_figure_output(argparse.Namespace(output=args.plot, force=args.force), inputs)
    if args.report:
        report = Path(args.report)
        if report.suffix.lower() not in _REPORT_SUFFIXES:
            raise LawfitError(f"The report {report} must end in .html or .htm. Got {report.suffix or 'no suffix'!r}.")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise LawfitError(
                "The report's figures need matplotlib; install it with pip install 'lawfit[plot]'."
            ) from None
        check_output_of(args, args.report, inputs=inputs, kinds=("report",))
    return figure, report


def command_line(verb: str, args: argparse.Namespace, options: dict[str, str]) -> str:
    """The command as given, rebuilt from its options (shown in a report's metadata)."""
    import shlex

    words = ["lawfit", verb, args.file]
    for item in getattr(args, "col", []):
        words += ["--col", item]
    for flag, name in options.items():
        value = getattr(args, name, None)
        if value in (None, False, []):
            continue
        for one in value if isinstance(value, list) else [value]:
            words += [flag] if one is True else [flag, str(one)]
    return " ".join(shlex.quote(word) for word in words)


def _cmd_capabilities(args: argparse.Namespace) -> int:
    from ..capabilities.observational import observational_scaling

    benchmarks = None
    if args.benchmarks is not None:
        benchmarks = [name.strip() for name in args.benchmarks.split(",") if name.strip()]
    files = [args.file, args.scores]
    figure, report = check_figure_outputs(args, files)
    result = observational_scaling(
        args.file,
        target=args.target,
        scores=args.scores,
        benchmarks=benchmarks,
        columns=pairs(args.col, "--col") or None,
        format=args.format,
        cutoff=args.cutoff,
        n_components=args.components,
        family=args.family,
        compute=args.compute,
        floor=args.floor,
        ceiling=args.ceiling,
        level=args.level,
        n_resamples=args.bootstrap,
        seed=args.seed,
    )
    table = None
    if figure is not None or report is not None:
        from ..capabilities.observational import load_benchmarks

        # The figures place the models by their FLOPs and families: the table as the analysis read it.
        table = load_benchmarks(
            args.file,
            benchmarks=benchmarks,
            scores=args.scores,
            columns=pairs(args.col, "--col") or None,
            format=args.format,
        )
    if figure is not None:
        from .. import plot
        from .._files import write_figure

        if result.sigmoid is not None or result.backtest is not None:
            fig = plot.plot_sigmoid(result, table, level=args.level)
        else:
            fig = plot.plot_components(result, table)
        write_figure(fig, figure, dpi=_DPI)
    if report is not None:
        from ..report import write_capabilities_report

        command = command_line("capabilities", args, _OPTIONS)
        write_capabilities_report(report, observational=result, table=table, command=command, force=args.force)
    if args.json:
        record = result.to_dict()
        record.update({"figure": str(figure)} if figure is not None else {})
        record.update({"report": str(report)} if report is not None else {})
        print(dumps_strict(record))
        return 0
    print(result.summary())
    if figure is not None:
        print(f"\nfigure     {figure} ({'sigmoid' if result.sigmoid is not None else 'components'})")
    if report is not None:
        print(("" if figure is not None else "\n") + f"report     {report}")
    return 0


_OPTIONS = {
    "--benchmarks": "benchmarks",
    "--scores": "scores",
    "--format": "format",
    "--target": "target",
    "--cutoff": "cutoff",
    "--components": "components",
    "--family": "family",
    "--compute": "compute",
    "--bootstrap": "bootstrap",
    "--seed": "seed",
    "--level": "level",
}


COMMANDS = {
    "capabilities": speaks_cli(
        _cmd_capabilities,
        {
            "columns": "--col",
            "benchmarks": "--benchmarks",
            "target": "--target",
            "cutoff": "--cutoff",
            "n_components": "--components",
            "family": "--family",
            "compute": "--compute",
            "floor": "--floor",
            "ceiling": "--ceiling",
            "n_resamples": "--bootstrap",
            "seed": "--seed",
        },
    ),
}
