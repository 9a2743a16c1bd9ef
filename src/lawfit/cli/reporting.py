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
        "in nested back-tests by scale on these runs; the page shows the candidates. The page needs nothing else to "
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


def _cmd_report(args: argparse.Namespace) -> int:
    from ..errors import LawfitError
    from ..report import write_report

    if not args.output:
        raise LawfitError("lawfit report needs -o REPORT.html: the page to write.")
    output = Path(args.output)
    if output.suffix.lower() not in _SUFFIXES:
        raise LawfitError(f"The report {output} must end in .html or .htm. Got {output.suffix or 'no suffix'!r}.")
    check_output_of(args, args.output, inputs=runs_files(args), kinds=("report",))
    runs = load_runs_from(args)
    law = law_of(args)
    write_report(
        runs,
        law,
        output,
        bootstrap=args.bootstrap,
        seed=args.seed,
        level=args.level,
        resample=args.resample,
        loss=args.objective,
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
        ("-o", args.output, None),
    ]
    for flag, value, default in options:
        if value is not None and value != default:
            words += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    if args.force:
        words.append("--force")
    return shlex.join(words)


COMMANDS = {
    "report": speaks_cli(
        _cmd_report,
        {"loss": "--objective", "delta": "--delta", "weight_growth": "--weight-growth", "compute": "--compute"},
    )
}
