"""The batch verb: critical batch size and steps to a loss (:mod:`lawfit.hparams.batch`)."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_level_option, add_output_option, add_table_options, numbers, pairs, speaks_cli
from ._output import dumps_strict

_DPI = 200  # as lawfit plot


def add_verbs(verbs: Any) -> None:
    """Add ``batch`` to the ``lawfit`` sub-command parser."""
    p = verbs.add_parser(
        "batch",
        help="critical batch size and steps to a loss",
        description="From the steps each model took to reach a target loss at several batch sizes: per model, "
        "S = S_min + E_min/B (least squares in log S) with bootstrap intervals over the batch sizes; the critical "
        "batch B_crit = E_min/S_min (McCandlish et al. 2018) and CBS, the batch needing --overhead more examples "
        "than --reference-batch (Zhang et al. 2025); both as power laws of N, D or the target loss.",
    )
    add_table_options(
        p,
        file_help="the table: CSV, TSV, Parquet, JSON or JSON Lines, one row per model, target, batch",
        columns="batch, steps (to the target), tokens (to the target), model, N, D, C or loss (the target loss)",
        drop_bad="drop the rows that cannot be used (no steps: the target was never reached; sizes <= 0; text in a "
        "number column) and say how many and why; without it such rows are an error",
    )
    p.add_argument(
        "--target-loss",
        metavar="L",
        help="keep the rows of this target loss (or these: 3.42,3.24); without a loss column, the target the "
        "steps reach",
    )
    p.add_argument(
        "--seq-len",
        type=float,
        metavar="TOKENS",
        help="tokens per sequence, when the batch counts sequences (tokens = steps x batch x TOKENS); without it "
        "the batch counts tokens",
    )
    p.add_argument("--x", choices=("N", "D", "C", "loss"), help="the scale of the power laws (N if the table has it)")
    p.add_argument(
        "--unit", type=float, metavar="U", help="the unit of --x in the laws (1e6 for N: millions, as Zhang et al.)"
    )
    p.add_argument("--overhead", type=float, default=0.2, help="CBS: the extra examples allowed (0.2: Zhang et al.)")
    p.add_argument(
        "--reference-batch", type=float, default=256.0, metavar="B", help="CBS: the batch compared with (256)"
    )
    p.add_argument("--bootstrap", type=int, default=1000, metavar="R", help="resamples of the batch sizes (1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (0)")
    p.add_argument(
        "--at-batch", metavar="B", help="also give the steps, tokens and time to the target at these batches: 1024,4096"
    )
    p.add_argument(
        "--throughput", type=float, metavar="T", help="training tokens per second, for the time to the target"
    )
    add_level_option(p, "the bootstrap intervals")
    p.add_argument("--json", action="store_true", help="print one strict JSON object instead of a table")
    add_output_option(
        p,
        "FIG",
        "also write a figure (.png, .pdf or .svg; needs matplotlib): steps against batch size with each model's "
        "fitted S = S_min + E_min/B and both critical batch sizes marked, and their power laws",
    )


def _cmd_batch(args: argparse.Namespace) -> int:
    from ..errors import LawfitError
    from ..hparams.batch import critical_batch
    from .plotting import check_figure_output

    output = check_figure_output(args, [args.file]) if args.output else None
    target = None
    if args.target_loss is not None:
        values = numbers(args.target_loss)
        target = values[0] if len(values) == 1 else values
    if args.throughput is not None and args.at_batch is None:
        raise LawfitError("--throughput gives the time to the target at the batches of --at-batch; give --at-batch.")
    result = critical_batch(
        args.file,
        columns=pairs(args.col, "--col"),
        target_loss=target,
        seq_len=args.seq_len,
        x=args.x,
        unit=args.unit,
        overhead=args.overhead,
        reference_batch=args.reference_batch,
        level=args.level,
        n_resamples=args.bootstrap,
        seed=args.seed,
        format=args.format,
        drop_bad=args.drop_bad_rows,
    )
    plans = []
    if args.at_batch is not None:
        at = numbers(args.at_batch)
        plans = [fit.to_reach(at, seq_len=args.seq_len, throughput=args.throughput) for fit in result.fits]
    if output is not None:
        from .._files import write_figure
        from ..plot import plot_critical_batch

        write_figure(plot_critical_batch(result), output, dpi=_DPI)
    if args.json:
        record = result.to_dict()
        if plans:
            record["at_batch"] = [plan.to_dict() for plan in plans]
        if output is not None:
            record["figure"] = str(output)
        print(dumps_strict(record))
        return 0
    print(result.summary())
    for plan in plans:
        print("")
        print(plan.summary())
    if output is not None:
        print("")
        print(f"figure     {output}")
    return 0


COMMANDS = {
    "batch": speaks_cli(
        _cmd_batch,
        {
            "columns": "--col",
            "target_loss": "--target-loss",
            "seq_len": "--seq-len",
            "x": "--x",
            "unit": "--unit",
            "overhead": "--overhead",
            "reference_batch": "--reference-batch",
            "n_resamples": "--bootstrap",
            "seed": "--seed",
            "batch": "--at-batch",
            "throughput": "--throughput",
        },
    ),
}
