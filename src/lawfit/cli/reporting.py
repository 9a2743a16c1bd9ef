"""The report verb: fit, bootstrap, back-test and plan, written as one self-contained HTML page."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from ._common import (
    DEFAULT_LEVEL,
    add_law_options,
    add_level_option,
    add_objective_options,
    add_output_option,
    add_runs_options,
    add_split_options,
    candidates_of,
    check_output_of,
    law_of,
    load_runs_from,
    numbers,
    pairs,
    runs_files,
    speaks_cli,
)

_SUFFIXES = (".html", ".htm")


def add_verbs(verbs: Any) -> None:
    """Add report to the ``lawfit`` sub-command parser."""
    p = verbs.add_parser(
        "report",
        help="write a self-contained HTML report of a fit",
        description="Fit a law to runs, bootstrap it, calibrate its forecast intervals and back-test it by scale, "
        "plan its compute-optimal frontier, and write one HTML page with the tables, diagnostics and figures. "
        "Without --law or --formula, the law is auto: the one (and the weighting of the runs) that extrapolated best "
        "in nested back-tests by scale on these runs; the page shows the candidates. A FILE that is a hyperparameter "
        "sweep (a learning rate or batch size that varies within a cell) gets the report of the sweep instead: the "
        "optimum of each cell, the laws of the optima and their figures; a steps-to-target table (steps or tokens to "
        "a target loss at several batch sizes) the report of its critical batch size. The page needs nothing else to "
        "open: figures and style are embedded, and it runs no script. Needs matplotlib: pip install 'lawfit[plot]'.",
    )
    add_runs_options(p)
    add_law_options(p, auto=True)
    add_objective_options(p)
    p.add_argument("--bootstrap", type=int, default=1000, metavar="R", help="R bootstrap resamples, 0 for none (1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (0)")
    add_level_option(p, "the parameter and frontier intervals")
    p.add_argument(
        "--resample", choices=("run", "group"), default="run", help="resample single runs or whole groups (run)"
    )
    p.add_argument(
        "--compute",
        metavar="C",
        help="frontier budgets in FLOPs: 1e24 or 1e21,1e24 (default: decades around the largest run's compute)",
    )
    add_split_options(p)
    p.set_defaults(by=None)  # the report picks C, or the first of N, D the runs have
    add_level_option(p, "the back-test's forecast intervals and of the forecast figure", flag="--backtest-level")
    p.add_argument("--title", help="the page's title (default: the law and the runs' source)")
    p.add_argument("--max-rows", type=int, default=50, metavar="K", help="runs shown in each table of runs (50)")
    add_output_option(p, "REPORT.html", "the page to write")
    sweep = p.add_argument_group("sweeps and steps-to-target tables (see lawfit hparams, lawfit batch)")
    sweep.add_argument(
        "--seq-len",
        type=float,
        metavar="TOKENS",
        help="tokens per sequence: the batch column counts sequences",
    )
    sweep.add_argument("--cell-by", metavar="COLS", help="a sweep's cell columns, comma-separated (default N,D)")
    sweep.add_argument(
        "--skip-single", action="store_true", help="leave out a sweep's cells with a single setting (else an error)"
    )
    sweep.add_argument("--lr-law", metavar="LAW", help="law of the optimal learning rate: N,D | C | D | N | a formula")
    sweep.add_argument("--batch-law", metavar="LAW", help="law of the optimal batch size: N,D | C | D | N | a formula")
    sweep.add_argument(
        "--target-loss", metavar="L", help="a steps-to-target table: keep the rows of this target loss (or these)"
    )


def _cmd_report(args: argparse.Namespace) -> int:
    from ..errors import LawfitError
    from ..report import write_report

    if not args.output:
        raise LawfitError("lawfit report needs -o REPORT.html: the page to write.")
    output = Path(args.output)
    if output.suffix.lower() not in _SUFFIXES:
        raise LawfitError(f"The report {output} must end in .html or .htm. Got {output.suffix or 'no suffix'!r}.")
    check_output_of(args, args.output, inputs=runs_files(args), kinds=("report",))
    if _report_sweep(args, output):
        return 0
    given = [flag for flag, value in _SWEEP_OPTIONS.items() if getattr(args, value) not in (None, False)]
    if given:
        why = (
            "--law or --formula reports runs" if args.law or args.formula else f"{args.file or args.dataset} is neither"
        )
        verb = "applies" if len(given) == 1 else "apply"
        raise LawfitError(f"{', '.join(given)} {verb} to a hyperparameter sweep or a steps-to-target table; {why}.")
    runs = load_runs_from(args)
    law = law_of(args)
    write_report(
        runs,
        law,
        output,
        n_resamples=args.bootstrap,
        seed=args.seed,
        level=args.level,
        resample=args.resample,
        objective=args.objective,
        delta=args.delta,
        weight_growth=args.weight_growth,
        candidates=candidates_of(args),
        compute=numbers(args.compute) if args.compute else None,
        by=args.by,
        cut=args.cut,
        holdout=args.holdout,
        backtest_level=args.backtest_level,
        title=args.title,
        command=_command_line(args),
        max_rows=args.max_rows,
        force=args.force,
    )
    print(f"report     {output}")
    return 0


_SWEEP_OPTIONS = {
    "--seq-len": "seq_len",
    "--cell-by": "cell_by",
    "--skip-single": "skip_single",
    "--lr-law": "lr_law",
    "--batch-law": "batch_law",
    "--target-loss": "target_loss",
}


def _report_sweep(args: argparse.Namespace, output: Path) -> bool:
    """Write the report of a sweep or a steps-to-target table, when FILE is one and no law was named; whether it
    was one."""
    from ..report import write_sweep_report
    from ..report.gather_sweep import kind_of

    if args.file is None or args.law is not None or args.formula is not None or args.candidates is not None:
        return False
    columns = pairs(args.col, "--col")
    kind = kind_of(args.file, columns=columns, format=args.format)
    if kind is None:
        return False
    target = None
    if args.target_loss is not None:
        values = numbers(args.target_loss)
        target = values[0] if len(values) == 1 else values
    write_sweep_report(
        args.file,
        output,
        kind=kind,
        columns=columns or None,
        format=args.format,
        drop_bad=args.drop_bad_rows,
        seq_len=args.seq_len,
        cell_by=[c.strip() for c in args.cell_by.split(",") if c.strip()] if args.cell_by else None,
        skip_single=args.skip_single,
        lr_law=args.lr_law,
        batch_law=args.batch_law,
        target_loss=target,
        n_resamples=args.bootstrap,
        seed=args.seed,
        level=args.level,
        title=args.title,
        command=_command_line(args),
        force=args.force,
    )
    print(f"report     {output} ({'hyperparameter sweep' if kind == 'sweep' else 'critical batch size'})")
    return True


def _command_line(args: argparse.Namespace) -> str:
    """The command as it was given, rebuilt from its options (the process's argv may belong to something else)."""
    words = ["lawfit", "report"]
    if args.file is not None:
        words.append(args.file)
    if args.dataset is not None:
        words += ["--dataset", args.dataset]
    for item in args.col:
        words += ["--col", item]
    options = [
        ("--drop-highest-loss", args.drop_highest_loss, 0),
        ("--law", args.law, None),
        ("--formula", args.formula, None),
        ("--candidates", args.candidates, None),
        ("--objective", args.objective, "huber"),
        ("--delta", args.delta, 1e-3),
        ("--weight-growth", args.weight_growth, 0.0),
        ("--bootstrap", args.bootstrap, 1000),
        ("--seed", args.seed, 0),
        ("--level", args.level, DEFAULT_LEVEL),
        ("--resample", args.resample, "run"),
        ("--compute", args.compute, None),
        ("--by", args.by, None),
        ("--cut", args.cut, None),
        ("--holdout", args.holdout, None),
        ("--backtest-level", args.backtest_level, DEFAULT_LEVEL),
        ("--title", args.title, None),
        ("--max-rows", args.max_rows, 50),
        ("--seq-len", args.seq_len, None),
        ("--cell-by", args.cell_by, None),
        ("--lr-law", args.lr_law, None),
        ("--batch-law", args.batch_law, None),
        ("--target-loss", args.target_loss, None),
        ("-o", args.output, None),
    ]
    for flag, value, default in options:
        if value is not None and value != default:
            words += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    if args.skip_single:
        words.append("--skip-single")
    if args.force:
        words.append("--force")
    return shlex.join(words)


COMMANDS = {
    "report": speaks_cli(
        _cmd_report,
        {
            "objective": "--objective",
            "delta": "--delta",
            "weight_growth": "--weight-growth",
            "compute": "--compute",
            "n_resamples": "--bootstrap",
            "max_rows": "--max-rows",
            "backtest_level": "--backtest-level",
        },
    )
}
