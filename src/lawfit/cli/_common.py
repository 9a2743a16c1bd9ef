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


_DROP_BAD_HELP = (
    "drop the rows a fit cannot use (NaN or empty loss, sizes <= 0, text in a number column) and the runs a State "
    "column says crashed or failed, and say how many and why; without it such rows are an error"
)


def add_table_options(
    p: argparse.ArgumentParser,
    *,
    file_help: str,
    columns: str,
    drop_bad: str | None = _DROP_BAD_HELP,
    optional_file: bool = False,
) -> None:
    """The options of every verb that reads a table: FILE, ``--col NAME=COLUMN`` (``columns`` lists the names it
    maps), ``--format`` and, unless ``drop_bad`` is None, ``--drop-bad-rows`` (``drop_bad`` is its help)."""
    p.add_argument("file", nargs="?" if optional_file else None, help=file_help)
    p.add_argument(
        "--col",
        action="append",
        default=[],
        metavar="NAME=COLUMN",
        help=f"map a column: {columns} = the file's column name",
    )
    if drop_bad is not None:
        p.add_argument("--drop-bad-rows", action="store_true", help=drop_bad)
    p.add_argument(
        "--format",
        choices=("csv", "tsv", "parquet", "json", "jsonl"),
        help="the type of FILE, when its name does not say it (a .json file of JSON Lines is found by itself)",
    )


def add_runs_options(
    p: argparse.ArgumentParser,
    *,
    file_help: str = "runs: CSV, TSV, Parquet, JSON or JSON Lines",
    dataset_help: str = "a bundled data set instead of FILE (see `lawfit datasets`)",
) -> None:
    add_table_options(p, file_help=file_help, columns="N, D, C, U, loss, run, group or weight", optional_file=True)
    p.add_argument("--dataset", help=dataset_help)
    p.add_argument(
        "--drop-highest-loss",
        type=int,
        default=0,
        metavar="K",
        help="drop the K highest-loss runs as outliers (Besiroglu et al. drop 5)",
    )


OBJECTIVES = ("huber", "mse-log", "mse")

# One level for every interval the command prints: the forecast intervals are split-conformal quantiles of a few
# dozen to a few hundred back-test errors (19 for a curve forecast), whose 95% quantile rests on the one or two
# largest errors, and their coverage is what the back-tests and the benchmark measure at 90%.
DEFAULT_LEVEL = 0.9


def add_level_option(p: argparse.ArgumentParser, what: str = "the intervals", *, flag: str = "--level") -> None:
    """``--level``: the level of ``what``, one default (:data:`DEFAULT_LEVEL`) in every verb."""
    p.add_argument(
        flag, type=float, default=DEFAULT_LEVEL, metavar="P", help=f"level of {what}, in (0, 1) ({DEFAULT_LEVEL})"
    )


class _DeprecatedObjective(argparse.Action):
    """``--loss`` as the objective: still read for one release, with a one-line note on stderr."""

    def __call__(self, parser: Any, namespace: argparse.Namespace, values: Any, option_string: Any = None) -> None:
        import sys

        print(
            f"lawfit: note: {option_string} {values} is deprecated as the objective and goes in the next release; "
            f"write --objective {values}",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


def add_objective_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default="huber",
        help="what the fit minimises: huber (Huber on log residuals, summed), mse-log (squared log residuals) or "
        "mse (squared residuals) (huber)",
    )
    p.add_argument(
        "--loss",
        dest="objective",
        choices=OBJECTIVES,
        action=_DeprecatedObjective,
        help="deprecated: the old name of --objective, read for one more release",
    )
    p.add_argument("--delta", type=float, default=1e-3, help="threshold of the huber objective on log residuals (1e-3)")
    p.add_argument(
        "--weight-growth",
        type=float,
        default=0.0,
        metavar="G",
        help="weigh each run by (scale / largest scale)^G, scale C for laws of N and D (0: alike)",
    )


def add_split_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", choices=("C", "N", "D"), default="C", help="the scale to cut: C, N or D (C)")
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
    """The runs that the options of :func:`add_runs_options` name: FILE (of type ``--format``) or ``--dataset``,
    mapped by ``--col``, bad rows dropped with ``--drop-bad-rows``, then ``--drop-highest-loss``."""
    from .. import datasets, load_runs
    from ..errors import LawfitError

    columns = pairs(args.col, "--col")
    if (args.file is None) == (args.dataset is None):
        raise LawfitError("Give either a runs FILE or --dataset NAME (see `lawfit datasets`).")
    # Other verbs read runs through options of their own (plot's --data), without these two.
    format, drop_bad = getattr(args, "format", None), getattr(args, "drop_bad_rows", False)
    if args.dataset is not None:
        if format is not None:
            raise LawfitError("--format names the type of a runs FILE; drop it with --dataset.")
        path = datasets.path(args.dataset)
        columns = {**datasets.DATASETS[args.dataset][1], **columns}
    else:
        path = args.file
    runs = load_runs(path, columns=columns, format=format, drop_bad=drop_bad)
    return runs.drop_highest_loss(args.drop_highest_loss)


def add_force_option(p: argparse.ArgumentParser, metavar: str = "FILE") -> None:
    """``--force``: overwrite the output even if lawfit did not write it; read back by :func:`check_output_of`."""
    p.add_argument(
        "--force",
        action="store_true",
        help=f"overwrite {metavar} even if lawfit did not write it, or it is an input, or a link (replaced itself)",
    )


def add_output_option(p: argparse.ArgumentParser, metavar: str, what: str) -> None:
    """``-o/--output METAVAR`` (``what`` it writes, atomically) and its ``--force``."""
    p.add_argument("-o", "--output", metavar=metavar, help=f"{what} (atomically: the old file or the complete new one)")
    add_force_option(p, metavar)


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


# ---------------------------------------------------------------------------------------------------------------
# One JSON shape for intervals


def interval_record(value: Any, low: Any, high: Any, level: float) -> dict[str, Any]:
    """One interval in every verb's ``--json``: ``{"value", "low", "high", "level"}``, arrays for several points.

    >>> interval_record(2.0, 1.5, 2.5, 0.9)
    {'value': 2.0, 'low': 1.5, 'high': 2.5, 'level': 0.9}
    """

    def plain(x: Any) -> Any:
        return x.tolist() if hasattr(x, "tolist") else (list(x) if isinstance(x, tuple) else x)

    return {"value": plain(value), "low": plain(low), "high": plain(high), "level": float(level)}


def intervals_of(record: dict[str, Any], pairs_: dict[str, Any], level: float) -> dict[str, Any]:
    """``{name: interval_record}`` for intervals given as ``{name: [low, high]}``, the values read from ``record``."""
    return {name: interval_record(record.get(name), bounds[0], bounds[1], level) for name, bounds in pairs_.items()}


# ---------------------------------------------------------------------------------------------------------------
# Messages in the command's words


# What the library says in Python, and what a user of the command types instead.
_CLI_WORDS = (
    ("or pass format=....", "or name the file's type with --format."),
    ("or pass format=... for another type", "or name another type with --format"),
    ("fix one (Law.fix)", "fix one (write its value as a number in a --formula)"),
    ("held fixed with `Law.fix`", "held fixed as a number in a --formula"),
    ("Raise max_steps or check the law for flat directions", "check the law for flat directions"),
    ("more rows in .table", "more rows with --json"),
    # The resample count is n_resamples in Python; the old names stay here while plot and report still say them.
    *(
        pair
        for name in ("n_resamples", "bootstrap")
        for pair in (
            (f"lawfit.fit(..., {name}=1000)", "lawfit fit ... --bootstrap 1000 -o FIT.json"),
            (
                f"with {name}=1000 (CLI: --bootstrap 1000) or call lawfit.bootstrap(fit, runs).",
                "with --bootstrap 1000 (lawfit fit ... --bootstrap 1000 -o FIT.json).",
            ),
            (f"fit with {name}=1000 (CLI: --bootstrap 1000)", "fit with --bootstrap 1000"),
            (f"fit with {name}=1000", "fit with --bootstrap 1000"),
        )
    ),
    (
        "Fit with n_resamples=1000 or call lawfit.bootstrap(fit, runs).",
        "Fit with --bootstrap 1000 (lawfit fit ... --bootstrap 1000 -o FIT.json).",
    ),
    ("map one with columns={'group': 'COLUMN'}", "map one with --col group=COLUMN"),
    ("map them with columns={'N': 'COLUMN'} (or D, C)", "map them with --col N=COLUMN (or D, C)"),
    ("plot_bootstrap_pairs needs", "--kind pairs needs"),
    ("plot_calibration needs", "--kind calibration needs"),
    (
        "fit with calibrate=True (the default with n_resamples > 0 or law='auto')",
        "fit with --bootstrap 1000 or --law auto",
    ),
    ("with n_resamples=1000", "with --bootstrap 1000"),
    ("with n_bootstrap=1000", "with --bootstrap 1000"),
    ("use objective='mse'", "use --objective mse"),
    ("(fit with calibrate=True)", "(fit with --bootstrap 1000)"),
    ("or pass force=True", "or give --force"),
    ("force=True", "--force"),
    # The planning functions by the verbs that call them.
    ("compute_optimal needs", "lawfit optimal needs"),
    ("compute_for_loss needs", "lawfit target needs"),
    ("inference_optimal needs", "lawfit inference needs"),
    ("inference_optimal takes a number k for the training cost k*N*D, not a function", "--cost takes a number"),
    ("suggest needs", "lawfit suggest needs"),
    ("compute_optimal takes a Fit (from lawfit.fit)", "lawfit optimal takes a fit saved by lawfit fit -o"),
)
_PARAMETER = re.compile(r"(?:[Tt]he )?'(\w+)' (?:parameter(?: of [\w.]+)?|of an interval)")


def in_cli_words(text: str, options: dict[str, str] | None = None) -> str:
    """``text`` with the library's Python words replaced by the command's: methods and settings by what to type,
    and a parameter of the verb's function (``options``: parameter -> option) by its option.

    >>> in_cli_words("The 'budget' parameter of suggest must be positive.", {"budget": "--spend"})
    '--spend must be positive.'
    """
    for python, cli in _CLI_WORDS:
        text = text.replace(python, cli)
    if options:
        text = _PARAMETER.sub(lambda m: options.get(m.group(1), m.group(0)), text)
    return text


def speaks_cli(command: Any, options: dict[str, str] | None = None) -> Any:
    """``command`` with its errors and lawfit's warnings told in the command's words (see :func:`in_cli_words`);
    ``options`` maps the parameters of the function it calls to the options that set them."""
    import functools
    import warnings

    words = {"level": "--level", "cost": "--cost", **(options or {})}

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        from ..errors import LawfitError, LawfitWarning

        failure = None
        with warnings.catch_warnings(record=True) as caught:
            try:
                status = command(args)
            except LawfitError as error:
                if error.args and isinstance(error.args[0], str):
                    error.args = (in_cli_words(error.args[0], words), *error.args[1:])
                failure = error
        # Re-warned outside the recording block: inside it, each re-warning would be recorded again, without end.
        _rewarn(caught, LawfitWarning, words)
        if failure is not None:
            raise failure
        return status

    return run


def _rewarn(caught: list[Any], kind: type, words: dict[str, str]) -> None:
    import warnings

    for item in caught:
        message = item.message
        if isinstance(message, kind):
            text = in_cli_words(str(message), words)
            message.args = (text,)
            message.message = text
            warnings.warn(message, stacklevel=2)
        else:
            warnings.warn_explicit(message, item.category, item.filename, item.lineno)
    caught.clear()
