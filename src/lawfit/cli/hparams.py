"""The verb ``hparams``: a sweep's cell optima, learning-rate and batch-size laws, and their predictions."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_level_option, add_output_option, add_table_options, interval_record, numbers, pairs, speaks_cli
from ._output import dumps_strict

__all__ = ["COMMANDS", "add_verbs"]

_SIZES = ("N", "D", "C")
_KINDS = ("optima", "laws")
_DPI = 200  # as lawfit plot


def add_verbs(verbs: Any) -> None:
    """Add ``hparams`` to the ``lawfit`` sub-command parser."""
    p = verbs.add_parser(
        "hparams",
        help="optimal learning rate and batch size: cell optima and their laws",
        description="Read a sweep (runs with N, D, a learning rate, a batch size and the loss), find each cell's "
        "optimum by a quadratic in log learning rate (and log batch size) around its minimum, with bootstrap "
        "intervals and the near-optimal region, fit laws of the optima against N, D or C, and predict them at "
        "--sizes or --compute. Optima at the edge of a sweep are warned of (EdgeWarning): they are bounds.",
    )
    add_table_options(
        p,
        file_help="the sweep: CSV, TSV, Parquet, JSON or JSON Lines",
        columns="lr, batch, N, D, C, loss, run, group or weight",
        drop_bad="drop rows without a usable loss, size, learning rate or batch size, and say how many",
    )
    p.add_argument(
        "--seq-len",
        type=float,
        metavar="TOKENS",
        help="tokens per sequence: the batch column counts sequences, and is multiplied by TOKENS to tokens",
    )
    p.add_argument(
        "--cell-by",
        metavar="COLS",
        help="the columns that make a cell, comma-separated (default N,D); a column that is not a size (e.g. "
        "optimizer) keeps its values apart, each with its own laws",
    )
    p.add_argument(
        "--near", type=float, default=0.01, metavar="X", help="near-optimal: within X of the best loss (0.01: 1%%)"
    )
    p.add_argument(
        "--noise",
        type=float,
        metavar="S",
        help="the runs' scatter (sd of the loss) for the bootstrap (default: pooled from the cells' quadratics)",
    )
    p.add_argument(
        "--skip-single",
        action="store_true",
        help="leave out cells with a single learning rate or batch size (else an error)",
    )
    p.add_argument(
        "--lr-law",
        metavar="LAW",
        help="law of the optimal learning rate: N,D | C | D | N | a formula (N,D; C with --compute)",
    )
    p.add_argument(
        "--batch-law",
        metavar="LAW",
        help="law of the optimal batch size: N,D | C | D | N | a formula (D; C with --compute)",
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument(
        "--sizes",
        action="append",
        default=[],
        metavar="N=...,D=...",
        help="predict the optima at these sizes (N, D or C), e.g. N=1.2e9,D=2.4e10; repeat for more",
    )
    target.add_argument("--compute", metavar="C", help="predict the optima at these budgets: 1e21 or 1e21,1e22")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="R", help="bootstrap draws of each optimum (1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (0)")
    add_level_option(p)
    p.add_argument("--json", action="store_true", help="print one strict JSON object instead of a table")
    add_output_option(p, "FIG", "also write a figure (.png, .pdf or .svg; needs matplotlib): see --kind")
    p.add_argument(
        "--kind",
        choices=_KINDS,
        default="optima",
        help="the figure of -o: optima (each cell's loss against its settings, the fitted curve, the optimum and its "
        "interval, the laws' predictions) or laws (the optima against N, D or C with the laws and their bands)",
    )


def _targets(args: argparse.Namespace) -> list[dict[str, float]]:
    from ..errors import LawfitError

    if args.compute is not None:
        return [{"C": c} for c in numbers(args.compute)]
    out = []
    for text in args.sizes:
        given = pairs([part for part in text.split(",") if part.strip()], "--sizes")
        point = {}
        for name, value in given.items():
            if name not in _SIZES:
                raise LawfitError(f"--sizes takes the sizes N, D and C, as N=1.2e9,D=2.4e10. Got {name!r} instead.")
            try:
                point[name] = float(value)
            except ValueError:
                raise LawfitError(f"--sizes {name} must be a number, as N=1.2e9. Got {value!r} instead.") from None
        out.append(point)
    return out


def _cmd_hparams(args: argparse.Namespace) -> int:
    from ..errors import LawfitError
    from ..hparams import cell_optima, fit_law, load_sweep
    from .plotting import check_figure_output

    output = None
    if args.output:
        output = check_figure_output(args, [args.file])
    elif args.kind != "optima":
        raise LawfitError(f"--kind {args.kind} chooses the figure that -o FIG.png writes; give -o.")
    columns = pairs(args.col, "--col")
    cell_by = [c.strip() for c in args.cell_by.split(",") if c.strip()] if args.cell_by else None
    sweep = load_sweep(
        args.file,
        columns=columns or None,
        seq_len=args.seq_len,
        cell_by=cell_by,
        format=args.format,
        drop_bad=args.drop_bad_rows,
    )
    if args.bootstrap < 10:
        raise LawfitError(f"--bootstrap must be at least 10 draws for the optima's intervals. Got {args.bootstrap}.")
    optima = cell_optima(
        sweep,
        near=args.near,
        noise=args.noise,
        n_resamples=args.bootstrap,
        level=args.level,
        seed=args.seed,
        skip_single=args.skip_single,
    )
    targets = _targets(args)
    by_compute = args.compute is not None
    defaults = {"lr": "C" if by_compute else "N,D", "batch": "C" if by_compute else "D"}
    chosen = {"lr": args.lr_law, "batch": args.batch_law}
    families = sorted(
        {tuple((k, c.cell[k]) for k in optima.families) for c in optima.cells}, key=lambda f: tuple(map(str, f))
    )
    laws, predictions = [], []
    for family in families:
        where = dict(family)
        for hparam in sweep.hparams:
            if not optima.of(hparam, **where):
                continue
            law = fit_law(optima, hparam, chosen[hparam] or defaults[hparam], where=where, seed=args.seed)
            laws.append(law)
            for point in targets:
                value = float(law.predict(**point))
                low, high = law.predict_interval(**point)
                predictions.append(
                    {
                        **where,
                        "hparam": hparam,
                        **point,
                        "value": value,
                        "intervals": {"value": interval_record(value, float(low), float(high), law.level)},
                    }
                )
    if output is not None:
        from .. import plot
        from .._files import write_figure

        if args.kind == "laws":
            fig = plot.plot_hparam_law(laws, optima)
        else:
            fig = plot.plot_optima(optima, sweep, laws=laws)
        write_figure(fig, output, dpi=_DPI)
    if args.json:
        record = {
            "sweep": sweep.to_dict(),
            "optima": optima.to_dict(),
            "laws": [law.to_dict() for law in laws],
            "predictions": predictions,
        }
        if output is not None:
            record["figure"] = str(output)
        print(dumps_strict(record))
        return 0
    print(sweep.summary())
    print(optima.summary())
    for law in laws:
        print()
        print(law.summary())
    if predictions:
        print()
        print(f"predicted  optima with {optima.level:.0%} intervals of the laws")
        for row in predictions:
            family = "".join(f"{row[k]}  " for k in optima.families)
            sizes = ", ".join(f"{k}={row[k]:.4g}" for k in _SIZES if k in row)
            interval = row["intervals"]["value"]
            bounds = f"[{interval['low']:.4g}, {interval['high']:.4g}]"
            print(f"  {family}{sizes}: {row['hparam']}* = {row['value']:.4g}  {bounds}")
    if output is not None:
        print()
        print(f"figure     {output} ({args.kind})")
    return 0


COMMANDS = {
    "hparams": speaks_cli(
        _cmd_hparams,
        {
            "n_resamples": "--bootstrap",
            "near": "--near",
            "noise": "--noise",
            "seq_len": "--seq-len",
            "cell_by": "--cell-by",
            "skip_single": "--skip-single",
            "drop_bad": "--drop-bad-rows",
        },
    )
}
