"""The ``lawfit`` command: a thin layer over the public API.

Every verb parses its arguments, calls :mod:`lawfit`, and prints a table (or one JSON object with ``--json``).
Errors print one line on stderr and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lawfit", description="Fit scaling laws to small training runs and forecast large ones."
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("fit", help="fit a law to runs", description="Fit a law to runs by a global search.")
    p.add_argument("file", nargs="?", help="runs: CSV, TSV, Parquet, JSON or JSON Lines")
    p.add_argument("--dataset", help="a bundled data set instead of FILE (see `lawfit datasets`)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--law", help="a built-in law: power, chinchilla, kaplan")
    which.add_argument("--formula", help='a law as a formula, e.g. "E + A/N**alpha + B/D**beta"')
    p.add_argument("--x", choices=("N", "D", "C"), help="the input of the power law (default C)")
    p.add_argument(
        "--col",
        action="append",
        default=[],
        metavar="NAME=COLUMN",
        help="map a column: N, D, C, loss, run, group or weight = the file's column name",
    )
    p.add_argument("--loss", choices=("huber", "mse-log", "mse"), default="huber", help="objective (huber)")
    p.add_argument("--delta", type=float, default=1e-3, help="Huber threshold on log residuals (1e-3)")
    p.add_argument(
        "--drop-highest-loss",
        type=int,
        default=0,
        metavar="K",
        help="drop the K highest-loss runs as outliers (Besiroglu et al. drop 5)",
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
    p.add_argument("--json", action="store_true")

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


def _fit_record(f: Any) -> dict[str, Any]:
    return {
        "law": f.law.name,
        "formula": f.law.formula,
        "params": dict(f.params),
        "objective": f.objective,
        "n_points": f.n_points,
        "converged": f.converged,
        "message": f.message,
        "loss": f.loss.to_dict(),
        "notes": list(f.data.get("notes", [])),
    }


def _cmd_fit(args: argparse.Namespace) -> int:
    import lawfit

    runs = _load_runs(args)
    options = {"x": args.x or "C"} if args.law == "power" else {}
    if args.x and args.law != "power":
        raise lawfit.LawfitError("--x only applies to --law power.")
    law = args.law if args.law is not None else args.formula
    f = lawfit.fit(runs, law, loss=args.loss, delta=args.delta, **options)
    if args.output:
        f.save(args.output)
    if args.json:
        print(json.dumps(_fit_record(f)))
    else:
        print(f.summary())
        if args.output:
            print(f"\nsaved to {args.output}")
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
    if args.json:
        print(json.dumps({"law": f.law.name, **{k: v.tolist() for k, v in full.items()}, "loss": predicted.tolist()}))
        return 0
    names = list(full)
    print("  ".join(f"{n:>12}" for n in [*names, "loss"]))
    for i in range(predicted.size):
        print("  ".join([*(f"{full[n][i]:>12.4g}" for n in names), f"{predicted[i]:>12.6f}"]))
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


_COMMANDS = {"fit": _cmd_fit, "predict": _cmd_predict, "demo": _cmd_demo, "datasets": _cmd_datasets}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lawfit`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    from .errors import LawfitError

    try:
        return _COMMANDS[args.verb](args)
    except LawfitError as exc:
        print(f"lawfit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lawfit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
