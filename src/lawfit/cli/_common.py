"""What the verbs share: the runs options, the objective and split options, and --law parsing."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any


def pairs(items: Sequence[str], what: str) -> dict[str, str]:
    from ..errors import LawfitError

    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise LawfitError(f"Expected {what} as NAME=VALUE. Got {item!r} instead.")
        out[name.strip()] = value.strip()
    return out


def add_runs_options(
    p: argparse.ArgumentParser,
    *,
    file_help: str = "runs: CSV, TSV, Parquet, JSON or JSON Lines",
    dataset_help: str = "a bundled data set instead of FILE (see `lawfit datasets`)",
) -> None:
    p.add_argument("file", nargs="?", help=file_help)
    p.add_argument("--dataset", help=dataset_help)
    p.add_argument(
        "--col",
        action="append",
        default=[],
        metavar="NAME=COLUMN",
        help="map a column: N, D, C, U, loss, run, group or weight = the file's column name",
    )
    p.add_argument(
        "--drop-highest-loss",
        type=int,
        default=0,
        metavar="K",
        help="drop the K highest-loss runs as outliers (Besiroglu et al. drop 5)",
    )


def add_objective_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--loss", choices=("huber", "mse-log", "mse"), default="huber", help="objective (huber)")
    p.add_argument("--delta", type=float, default=1e-3, help="Huber threshold on log residuals (1e-3)")
    p.add_argument(
        "--weight-growth",
        type=float,
        default=0.0,
        metavar="G",
        help="weigh each run by (scale / largest scale)^G, scale C for laws of N and D (0: alike)",
    )


def add_split_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", choices=("C", "N", "D"), default="C", help="the scale to cut (C)")
    cut = p.add_mutually_exclusive_group()
    cut.add_argument("--cut", type=float, help="hold out the runs with BY >= CUT")
    cut.add_argument("--holdout", type=int, metavar="K", help="hold out the K largest budgets of BY")


LAW_HELP = (
    "a built-in law: power, chinchilla, kaplan, overtraining, data_constrained, bnsl, downstream; options in "
    "brackets, e.g. 'power(x=N)' or 'bnsl(breaks=2)'"
)
AUTO_HELP = "; or auto (the default): the law and weighting that extrapolated best in nested back-tests on these runs"


def add_law_options(p: argparse.ArgumentParser, *, auto: bool = False) -> None:
    """``--law NAME(options)`` or ``--formula TEXT``; read back by :func:`law_of`. With ``auto``, neither is
    required: the law is then ``auto``, and ``--candidates`` lists the laws it chooses among."""
    which = p.add_mutually_exclusive_group(required=not auto)
    which.add_argument("--law", help=LAW_HELP + (AUTO_HELP if auto else ""))
    which.add_argument("--formula", help='a law as a formula, e.g. "E + A/N**alpha + B/D**beta"')
    if auto:
        p.add_argument(
            "--candidates",
            metavar="LAW;LAW",
            help="the laws auto chooses among, separated by ';' (built-in names with options, or formulas); "
            "default: chinchilla, tied exponents, power in C, kaplan and, where they apply, data_constrained and bnsl",
        )


def law_of(args: argparse.Namespace) -> Any:
    """The law named by ``--law`` (built, with its options), the ``--formula`` text, or ``"auto"``."""
    if args.law is not None:
        return law_from(args.law)
    return args.formula if args.formula is not None else "auto"


def candidates_of(args: argparse.Namespace) -> dict[str, Any] | None:
    """The ``--candidates`` laws by the text that named them, or None for auto's defaults."""
    from ..errors import LawfitError

    text = getattr(args, "candidates", None)
    if text is None:
        return None
    if law_of(args) != "auto":
        raise LawfitError("--candidates lists the laws that --law auto chooses among; drop --law or --formula.")
    items = [item.strip() for item in text.split(";") if item.strip()]
    if not items:
        raise LawfitError(f"--candidates takes laws separated by ';', e.g. 'chinchilla;power(x=C)'. Got {text!r}.")
    return {item: (item if _is_formula(item) else law_from(item)) for item in items}


def _is_formula(text: str) -> bool:
    return re.fullmatch(r"\w+\s*(\(.*\))?", text) is None


def load_runs_from(args: argparse.Namespace) -> Any:
    from .. import datasets, load_runs
    from ..errors import LawfitError

    columns = pairs(args.col, "--col")
    if (args.file is None) == (args.dataset is None):
        raise LawfitError("Give either a runs FILE or --dataset NAME (see `lawfit datasets`).")
    if args.dataset is not None:
        path = datasets.path(args.dataset)
        columns = {**datasets.DATASETS[args.dataset][1], **columns}
    else:
        path = args.file
    return load_runs(path, columns=columns).drop_highest_loss(args.drop_highest_loss)


def add_force_option(p: argparse.ArgumentParser, metavar: str = "FILE") -> None:
    """``--force``: overwrite the output even if lawfit did not write it; read back by :func:`check_output_of`."""
    p.add_argument(
        "--force",
        action="store_true",
        help=f"overwrite {metavar} even if lawfit did not write it, or it is an input, or a link (replaced itself)",
    )


def check_output_of(args: argparse.Namespace, path: str, *, inputs: Sequence[Any] = (), kinds: Sequence[str]) -> Any:
    """Check the output ``path`` before any work (see :func:`lawfit._files.check_output`), with ``--force``."""
    from .._files import check_output

    return check_output(path, inputs=inputs, force=args.force, kinds=kinds, force_hint="--force")


def runs_files(args: argparse.Namespace) -> list[str]:
    """The files the runs options read: FILE, or the bundled data set's file."""
    from .. import datasets

    files = [args.file] if args.file is not None else []
    if getattr(args, "dataset", None) in datasets.DATASETS:
        files.append(str(datasets.path(args.dataset)))
    return files


def _option_value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def law_from(text: str) -> Any:
    """A law from --law text: a built-in name, optionally with options in brackets ('power(x=N)')."""
    from ..errors import LawfitError
    from ..laws import get_law

    text = text.strip()
    if text == "auto":
        return "auto"
    match = re.fullmatch(r"(\w+)\s*(?:\((.*)\))?", text)
    if match is None:
        raise LawfitError(
            f"--law takes a built-in name with optional options, e.g. 'power(x=N)'. Got {text!r}; for a formula "
            "use --formula."
        )
    name, inside = match.groups()
    items = [item for item in (inside or "").split(",") if item.strip()]
    options = {key: _option_value(value) for key, value in pairs(items, f"options of --law {name}").items()}
    return get_law(name, **options)


def numbers(text: str) -> list[float]:
    """A number or a comma list of numbers from the command line ('1e21,1e22')."""
    from ..errors import LawfitError

    try:
        values = [float(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise LawfitError(f"Expected a number or a comma list of numbers. Got {text!r} instead.") from None
    if not values:
        raise LawfitError(f"Expected a number or a comma list of numbers. Got {text!r} instead.")
    return values
