"""The ``lawfit`` command: a thin layer over the public API.

Every verb parses its arguments, calls :mod:`lawfit`, and prints a table (or one JSON object with ``--json``).
Errors print one line on stderr and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import warnings
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]


def _pairs(items: Sequence[str], what: str) -> dict[str, str]:
    from .errors import LawfitError

    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise LawfitError(f"Expected {what} as NAME=VALUE. Got {item!r} instead.")
        out[name.strip()] = value.strip()
    return out


def _add_runs_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", help="runs: CSV, TSV, Parquet, JSON or JSON Lines")
    p.add_argument("--dataset", help="a bundled data set instead of FILE (see `lawfit datasets`)")
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


def _add_objective_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--loss", choices=("huber", "mse-log", "mse"), default="huber", help="objective (huber)")
    p.add_argument("--delta", type=float, default=1e-3, help="Huber threshold on log residuals (1e-3)")


def _add_split_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", choices=("C", "N", "D"), default="C", help="the scale to cut (C)")
    cut = p.add_mutually_exclusive_group()
    cut.add_argument("--cut", type=float, help="hold out the runs with BY >= CUT")
    cut.add_argument("--holdout", type=int, metavar="K", help="hold out the K largest budgets of BY")


_LAW_HELP = (
    "a built-in law: power, chinchilla, kaplan, overtraining, data_constrained, bnsl, downstream; options in "
    "brackets, e.g. 'power(x=N)' or 'bnsl(breaks=2)'"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lawfit", description="Fit scaling laws to small training runs and forecast large ones."
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("fit", help="fit a law to runs", description="Fit a law to runs by a global search.")
    _add_runs_options(p)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--law", help=_LAW_HELP)
    which.add_argument("--formula", help='a law as a formula, e.g. "E + A/N**alpha + B/D**beta"')
    p.add_argument("--x", choices=("N", "D", "C"), help="the input of the power law (default C)")
    _add_objective_options(p)
    p.add_argument("--bootstrap", type=int, default=0, metavar="R", help="R bootstrap resamples for intervals")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (0)")
    p.add_argument("--level", type=float, default=0.95, help="level of the bootstrap intervals (0.95)")
    p.add_argument(
        "--resample", choices=("run", "group"), default="run", help="resample single runs or whole groups (run)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("-o", "--output", metavar="FIT.json", help="save the fit")

    p = verbs.add_parser(
        "predict",
        help="predict loss from a saved fit",
        description="Predict the loss at given sizes from a saved fit.",
    )
    p.add_argument("fit", metavar="FIT.json")
    p.add_argument("sizes", nargs="+", metavar="NAME=VALUE", help="N=..., D=..., C=...; comma lists allowed")
    p.add_argument("--level", type=float, default=0.95, help="interval level, if the fit has bootstrap draws")
    p.add_argument(
        "--of",
        choices=("law", "run"),
        default="law",
        help="interval of the law (parameter uncertainty) or of one new run (plus the runs' scatter); law",
    )
    p.add_argument("--json", action="store_true")

    p = verbs.add_parser(
        "backtest",
        help="fit below a scale cut, predict the larger runs",
        description="Fit a law on the runs below a scale cut and score its predictions of the runs above it. "
        "Without --cut or --holdout, the largest budgets are held out until they make up a fifth of the runs.",
    )
    _add_runs_options(p)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--law", help=_LAW_HELP)
    which.add_argument("--formula", help="a law as a formula")
    _add_split_options(p)
    _add_objective_options(p)
    p.add_argument("--bootstrap", type=int, default=0, metavar="R", help="R resamples for prediction intervals")
    p.add_argument("--level", type=float, default=0.9, help="level of the prediction intervals (0.9)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (0)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    p = verbs.add_parser(
        "compare",
        help="rank several laws by how well they extrapolate",
        description="Fit several laws to the same runs; rank them by back-test error, with AIC and BIC beside.",
    )
    _add_runs_options(p)
    p.add_argument("--law", action="append", default=[], help=_LAW_HELP + "; repeat for several")
    p.add_argument("--formula", action="append", default=[], help="a law as a formula; repeat for several")
    _add_split_options(p)
    _add_objective_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    verbs.add_parser("demo", help="fit the bundled Chinchilla data and print the table")
    verbs.add_parser("datasets", help="list the bundled data sets and their files")
    return parser


def _load_runs(args: argparse.Namespace) -> Any:
    from . import datasets, load_runs
    from .errors import LawfitError

    columns = _pairs(args.col, "--col")
    if (args.file is None) == (args.dataset is None):
        raise LawfitError("Give either a runs FILE or --dataset NAME (see `lawfit datasets`).")
    if args.dataset is not None:
        path = datasets.path(args.dataset)
        columns = {**datasets.DATASETS[args.dataset][1], **columns}
    else:
        path = args.file
    return load_runs(path, columns=columns).drop_highest_loss(args.drop_highest_loss)


def _option_value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _law(text: str) -> Any:
    """A law from --law text: a built-in name, optionally with options in brackets ('power(x=N)')."""
    from .errors import LawfitError
    from .laws import get_law

    text = text.strip()
    match = re.fullmatch(r"(\w+)\s*(?:\((.*)\))?", text)
    if match is None:
        raise LawfitError(
            f"--law takes a built-in name with optional options, e.g. 'power(x=N)'. Got {text!r}; for a formula "
            "use --formula."
        )
    name, inside = match.groups()
    items = [item for item in (inside or "").split(",") if item.strip()]
    options = {key: _option_value(value) for key, value in _pairs(items, f"options of --law {name}").items()}
    return get_law(name, **options)


def _fit_record(f: Any, level: float = 0.95) -> dict[str, Any]:
    record = {
        "law": f.law.name,
        "formula": f.law.formula,
        "params": dict(f.params),
        "objective": f.objective,
        "n_points": f.n_points,
        "converged": f.converged,
        "message": f.message,
        "loss": f.loss.to_dict(),
        "notes": list(f.data.get("notes", [])),
        "diagnostics": [w.to_dict() for w in f.diagnostics],
    }
    if f.bootstrap is not None:
        record["bootstrap"] = {
            "n_resamples": f.bootstrap.n_resamples,
            "seed": f.bootstrap.seed,
            "by": f.bootstrap.by,
            "n_converged": int(f.bootstrap.converged.sum()),
            "level": level,
        }
        record["stderr"] = f.stderr
        record["intervals"] = {name: list(bounds) for name, bounds in f.intervals(level).items()}
    return record


def _cmd_fit(args: argparse.Namespace) -> int:
    import lawfit

    runs = _load_runs(args)
    if args.x and args.law not in ("power", "bnsl"):
        raise lawfit.LawfitError("--x only applies to --law power and --law bnsl; for others name the inputs.")
    law = _law(args.law) if args.law is not None else args.formula
    if args.x:
        law = lawfit.get_law(args.law, x=args.x)
    f = lawfit.fit(
        runs,
        law,
        loss=args.loss,
        delta=args.delta,
        bootstrap=args.bootstrap,
        seed=args.seed,
        resample=args.resample,
    )
    if args.bootstrap:
        f.intervals(args.level)  # a bad --level fails here, before anything is written
    if args.output:
        f.save(args.output)
    if args.json:
        print(json.dumps(_fit_record(f, args.level)))
    else:
        print(f.summary(args.level))
        if args.output:
            print(f"\nsaved to {args.output}")
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    from .validate import backtest

    runs = _load_runs(args)
    law = _law(args.law) if args.law is not None else args.formula
    result = backtest(
        runs,
        law,
        by=args.by,
        cut=args.cut,
        holdout=args.holdout,
        n_bootstrap=args.bootstrap,
        level=args.level,
        seed=args.seed,
        loss=args.loss,
        delta=args.delta,
    )
    print(json.dumps(result.to_dict()) if args.json else result.summary())
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from .errors import LawfitError
    from .validate import _describe, compare

    laws: dict[str, Any] = {}
    for text in args.law:
        law = _law(text)
        laws[_describe(law)] = law
    for text in args.formula:
        laws[text] = text
    if not laws:
        raise LawfitError("Name the laws to compare: --law NAME and/or --formula TEXT, each repeatable.")
    runs = _load_runs(args)
    result = compare(runs, laws, by=args.by, cut=args.cut, holdout=args.holdout, loss=args.loss, delta=args.delta)
    print(json.dumps(result.to_dict()) if args.json else result.summary())
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    import numpy as np

    import lawfit

    f = lawfit.load_fit(args.fit)
    sizes = {}
    for name, text in _pairs(args.sizes, "sizes").items():
        try:
            sizes[name] = np.array([float(v) for v in text.split(",")])
        except ValueError:
            raise lawfit.LawfitError(
                f"Size {name} must be a number or a comma list of numbers. Got {text!r}."
            ) from None
    predicted = np.atleast_1d(f.predict(**sizes))
    full = {k: np.broadcast_to(v, predicted.shape) for k, v in sizes.items()}
    bounds = None
    if f.bootstrap is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", lawfit.ExtrapolationWarning)  # already said once by predict
            bounds = [np.broadcast_to(b, predicted.shape) for b in f.predict_interval(args.level, of=args.of, **sizes)]
    if args.json:
        record = {"law": f.law.name, **{k: v.tolist() for k, v in full.items()}, "loss": predicted.tolist()}
        if bounds is not None:
            record.update(level=args.level, of=args.of, low=bounds[0].tolist(), high=bounds[1].tolist())
        print(json.dumps(record))
        return 0
    names = list(full)
    extra = [f"{args.level:.0%} low", f"{args.level:.0%} high"] if bounds is not None else []
    print("  ".join(f"{n:>12}" for n in [*names, "loss", *extra]))
    for i in range(predicted.size):
        cells = [*(f"{full[n][i]:>12.4g}" for n in names), f"{predicted[i]:>12.6f}"]
        if bounds is not None:
            cells += [f"{bounds[0][i]:>12.6f}", f"{bounds[1][i]:>12.6f}"]
        print("  ".join(cells))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    import lawfit

    runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    print("Chinchilla Approach 3 on the bundled data (Hoffmann et al. 2022 Figure 4, reconstructed by Besiroglu")
    print("et al. 2024), the 5 highest-loss runs dropped as they did, Huber (delta=1e-3) on log loss, summed.\n")
    f = lawfit.fit(runs, "chinchilla")
    print(f.summary())
    print("\nBesiroglu et al. 2024 report alpha=0.3478, beta=0.3658, E=1.817 (Hoffmann et al.: 0.34, 0.28, 1.69).")
    loss = float(f.predict(N=70e9, D=1.4e12))
    print(f"Predicted loss of Chinchilla itself (70B parameters, 1.4T tokens): {loss:.4f}")
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    from . import datasets

    for name in datasets.DATASETS:
        print(f"{name:<12} {datasets.path(name)}")
    return 0


_COMMANDS = {
    "fit": _cmd_fit,
    "predict": _cmd_predict,
    "backtest": _cmd_backtest,
    "compare": _cmd_compare,
    "demo": _cmd_demo,
    "datasets": _cmd_datasets,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lawfit`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    from .errors import LawfitError, LawfitWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LawfitWarning)
            status = _COMMANDS[args.verb](args)
    except LawfitError as exc:
        print(f"lawfit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lawfit: interrupted", file=sys.stderr)
        return 130
    for item in caught:
        if isinstance(item.message, LawfitWarning):
            print(f"lawfit: warning: {type(item.message).__name__}: {item.message}", file=sys.stderr)
        else:
            warnings.showwarning(item.message, item.category, item.filename, item.lineno)
    return status


if __name__ == "__main__":
    sys.exit(main())
