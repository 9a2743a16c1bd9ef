"""The capabilities verb: observational scaling laws from benchmark scores of public models
(:mod:`lawfit.capabilities.observational`)."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_level_option, add_table_options, pairs, speaks_cli
from ._output import dumps_strict


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


def _cmd_capabilities(args: argparse.Namespace) -> int:
    from ..capabilities.observational import observational_scaling

    benchmarks = None
    if args.benchmarks is not None:
        benchmarks = [name.strip() for name in args.benchmarks.split(",") if name.strip()]
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
    print(dumps_strict(result.to_dict()) if args.json else result.summary())
    return 0


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
