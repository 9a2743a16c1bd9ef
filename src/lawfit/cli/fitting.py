"""The fitting verbs: fit, predict, backtest, compare, demo, datasets."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

from ._common import (
    DEFAULT_LEVEL,
    LAW_HELP,
    add_force_option,
    add_law_options,
    add_level_option,
    add_objective_options,
    add_output_option,
    add_runs_options,
    add_split_options,
    candidates_of,
    check_output_of,
    in_cli_words,
    interval_record,
    intervals_of,
    law_from,
    law_of,
    load_runs_from,
    pairs,
    runs_files,
    speaks_cli,
)
from ._output import dumps_strict

_JSON_HELP = "print one strict JSON object instead of a table"


def add_verbs(verbs: Any) -> None:
    """Add fit, predict, backtest, compare, demo and datasets to the ``lawfit`` sub-command parser."""
    p = verbs.add_parser(
        "fit",
        help="fit a law to runs",
        description="Fit a law to runs by a global search. Without --law or --formula, the law is auto: the one "
        "(and the weighting of the runs) that extrapolated best in nested back-tests by scale on these runs.",
    )
    add_runs_options(p)
    add_law_options(p, auto=True)
    p.add_argument("--x", choices=("N", "D", "C"), help="the input of --law power or bnsl: N, D or C (C)")
    add_objective_options(p)
    p.add_argument(
        "--bootstrap", type=int, default=0, metavar="R", help="R bootstrap resamples for intervals (0: none)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (0)")
    add_level_option(p, "the parameters' bootstrap intervals")
    p.add_argument(
        "--resample", choices=("run", "group"), default="run", help="resample single runs or whole groups (run)"
    )
    p.add_argument("--json", action="store_true", help=_JSON_HELP)
    add_output_option(p, "FIT.json", "save the fit")

    p = verbs.add_parser(
        "predict",
        help="predict loss from a saved fit",
        description="Predict the loss at given sizes from a saved fit, with an interval when the fit has bootstrap "
        "draws or is calibrated. A size beyond 10x the largest run's, or tokens per parameter D/N 10x outside the "
        "runs' span, warns (ExtrapolationWarning).",
    )
    p.add_argument("fit", metavar="FIT.json", help="a fit saved by `lawfit fit ... -o FIT.json`")
    p.add_argument("sizes", nargs="+", metavar="NAME=VALUE", help="N=..., D=..., C=...; comma lists allowed")
    add_level_option(p, "the prediction intervals")
    p.add_argument(
        "--of",
        choices=("law", "run", "forecast"),
        help="interval of the law (parameter uncertainty), of one new run (plus the runs' scatter), or a forecast "
        "(calibrated by back-tests by scale; grows with the distance beyond the runs); default: forecast beyond the "
        "fitted runs when the fit is calibrated, else law",
    )
    p.add_argument("--json", action="store_true", help=_JSON_HELP)

    p = verbs.add_parser(
        "backtest",
        help="fit below a scale cut, predict the larger runs",
        description="Fit a law on the runs below a scale cut and score its predictions of the runs above it. "
        "Without --cut or --holdout, the largest budgets are held out until they make up a fifth of the runs.",
    )
    add_runs_options(p)
    add_law_options(p, auto=True)
    add_split_options(p)
    add_objective_options(p)
    p.add_argument(
        "--bootstrap", type=int, default=0, metavar="R", help="R resamples for prediction intervals (0: none)"
    )
    add_level_option(p, "the held-out runs' forecast intervals")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (0)")
    p.add_argument("--json", action="store_true", help=_JSON_HELP)

    p = verbs.add_parser(
        "compare",
        help="rank several laws by how well they extrapolate",
        description="Fit several laws to the same runs; rank them by back-test error, with AIC and BIC beside. "
        "Name each law with --law or --formula (both repeatable; --law auto is the whole choosing procedure).",
    )
    add_runs_options(p)
    p.add_argument("--law", action="append", default=[], help=LAW_HELP + "; repeat for several")
    p.add_argument("--formula", action="append", default=[], help="a law as a formula; repeat for several")
    add_split_options(p)
    add_objective_options(p)
    p.add_argument("--json", action="store_true", help=_JSON_HELP)

    p = verbs.add_parser(
        "demo",
        help="fit the bundled Chinchilla data; print it, write a figure and a report",
        description="Fit Chinchilla Approach 3 on the bundled runs (Hoffmann et al. 2022, Figure 4, as reconstructed "
        "by Besiroglu et al. 2024), print the fit beside the published values and the compute-optimal allocation, "
        f"and write {_DEMO_DIR}/fit.png and {_DEMO_DIR}/report.html. Needs matplotlib: pip install 'lawfit[plot]'.",
    )
    add_force_option(p, f"{_DEMO_DIR}/fit.png and report.html")
    verbs.add_parser(
        "datasets",
        help="list the bundled data sets and their files",
        description="List the bundled data sets, each with its file; use one with --dataset NAME.",
    )


def _fit_record(f: Any, level: float = DEFAULT_LEVEL) -> dict[str, Any]:
    """``lawfit fit --json``: the saved file's record (:meth:`~lawfit.Fit.to_dict`) in the command's words, with
    what the command adds: whether the calibration calibrated and its description; with bootstrap draws, the
    parameters' standard errors and intervals at ``level``."""
    record = _fit_json(f.to_dict())
    if f.calibration is not None:
        record["calibration"] = {
            **record["calibration"],
            "calibrated": f.calibration.calibrated,
            "description": f.calibration.describe(),
        }
    if f.bootstrap is not None:
        record["stderr"] = f.stderr
        record["intervals"] = intervals_of(record["params"], f.intervals(level), level)
    return record


def _fit_json(record: dict[str, Any]) -> dict[str, Any]:
    """A fit's :meth:`~lawfit.Fit.to_dict` in the command's words: messages without Python."""
    record = dict(record)
    if isinstance(record.get("message"), str):
        record["message"] = in_cli_words(record["message"])
    if isinstance(record.get("diagnostics"), list):
        record["diagnostics"] = [
            {**item, "message": in_cli_words(item["message"])} if isinstance(item.get("message"), str) else item
            for item in record["diagnostics"]
        ]
    return record


def _cmd_fit(args: argparse.Namespace) -> int:
    import lawfit

    if args.output:  # before any work: a fit of hours must not end in a refusal, nor overwrite its own runs
        check_output_of(args, args.output, inputs=runs_files(args), kinds=("fit",))
    runs = load_runs_from(args)
    if args.x and args.law not in ("power", "bnsl"):
        raise lawfit.LawfitError("--x only applies to --law power and --law bnsl; for others name the inputs.")
    law = law_of(args)
    if args.x:
        law = lawfit.get_law(args.law, x=args.x)
    f = lawfit.fit(
        runs,
        law,
        objective=args.objective,
        delta=args.delta,
        weight_growth=args.weight_growth,
        n_resamples=args.bootstrap,
        seed=args.seed,
        resample=args.resample,
        candidates=candidates_of(args),
    )
    if args.bootstrap:
        f.intervals(args.level)  # a bad --level fails here, before anything is written
    if args.output:
        f.save(args.output, force=args.force)
    if args.json:
        print(dumps_strict(_fit_record(f, args.level)))
    else:
        print(in_cli_words(f.summary(args.level)))
        if args.output:
            print(f"\nsaved to {args.output}")
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    from lawfit import backtest

    runs = load_runs_from(args)
    law = law_of(args)
    result = backtest(
        runs,
        law,
        by=args.by,
        cut=args.cut,
        holdout=args.holdout,
        n_resamples=args.bootstrap,
        level=args.level,
        seed=args.seed,
        objective=args.objective,
        delta=args.delta,
        weight_growth=args.weight_growth,
        candidates=candidates_of(args),
    )
    print(dumps_strict(_backtest_json(result.to_dict())) if args.json else in_cli_words(result.summary()))
    return 0


def _backtest_json(record: dict[str, Any]) -> dict[str, Any]:
    """A back-test's record with its held-out runs' intervals as one ``intervals`` entry, ``predicted``."""
    record = {**record, "train_fit": _fit_json(record["train_fit"])}
    rows = record["table"]
    if rows and "low" in rows[0]:
        record["intervals"] = {
            "predicted": interval_record(
                [row["predicted"] for row in rows],
                [row["low"] for row in rows],
                [row["high"] for row in rows],
                record["level"],
            )
        }
        record["table"] = [{k: v for k, v in row.items() if k not in ("low", "high")} for row in rows]
    return record


def _cmd_compare(args: argparse.Namespace) -> int:
    from ..errors import LawfitError
    from ..validate import compare, describe_law

    laws: dict[str, Any] = {}
    for text in args.law:
        law = law_from(text)
        laws[law if isinstance(law, str) else describe_law(law)] = law  # "auto" stays a name
    for text in args.formula:
        laws[text] = text
    if not laws:
        raise LawfitError("Name the laws to compare: --law NAME and/or --formula TEXT, each repeatable.")
    runs = load_runs_from(args)
    result = compare(
        runs,
        laws,
        by=args.by,
        cut=args.cut,
        holdout=args.holdout,
        objective=args.objective,
        delta=args.delta,
        weight_growth=args.weight_growth,
    )
    print(dumps_strict(result.to_dict()) if args.json else in_cli_words(result.summary()))
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    import numpy as np

    import lawfit

    f = lawfit.load_fit(args.fit)
    sizes = {}
    for name, text in pairs(args.sizes, "sizes").items():
        try:
            sizes[name] = np.array([float(v) for v in text.split(",")])
        except ValueError:
            raise lawfit.LawfitError(
                f"Size {name} must be a number or a comma list of numbers. Got {text!r}."
            ) from None
    predicted = np.atleast_1d(f.predict(**sizes))
    full = {k: np.broadcast_to(v, predicted.shape) for k, v in sizes.items()}
    bounds, kind, note = None, None, ""
    if f.bootstrap is not None or f.calibration is not None:
        kind = args.of or f.interval_of(**sizes)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("ignore", lawfit.ExtrapolationWarning)  # already said once by predict
            warnings.simplefilter("always", lawfit.CalibrationWarning)
            if kind in ("law", "run") and f.bootstrap is None:
                raise lawfit.LawfitError(
                    f"A {kind} interval needs bootstrap draws, which this fit has none of: fit with --bootstrap 1000, "
                    "or ask for --of forecast."
                )
            interval = f.predict_interval(args.level, of=kind, **sizes)
        bounds = [np.broadcast_to(b, predicted.shape) for b in interval]
        fallback = [w.message for w in caught if isinstance(w.message, lawfit.CalibrationWarning)]
        for item in caught:  # the rest (no finite draw at a point, a loaded fit that did not converge) go on
            if not isinstance(item.message, lawfit.CalibrationWarning):
                warnings.warn(item.message, stacklevel=1)
        if fallback:
            kind, note = "run", f"uncalibrated: {fallback[0].data['reason']}"
        elif kind == "forecast":
            note = f.calibration.describe()
    if args.json:
        record = {"law": f.law.name, **{k: v.tolist() for k, v in full.items()}, "loss": predicted.tolist()}
        if bounds is not None:
            record.update(
                of=kind,
                calibrated=kind == "forecast",
                note=note,
                intervals={"loss": interval_record(predicted, bounds[0], bounds[1], args.level)},
            )
        print(dumps_strict(record))
        return 0
    if bounds is not None:
        print(f"interval   {args.level:.0%} {_INTERVAL_WORDS[kind]}" + (f"; {note}" if note else ""))
    names = list(full)
    extra = [f"{args.level:.0%} low", f"{args.level:.0%} high"] if bounds is not None else []
    print("  ".join(f"{n:>12}" for n in [*names, "loss", *extra]))
    for i in range(predicted.size):
        cells = [*(f"{full[n][i]:>12.4g}" for n in names), f"{predicted[i]:>12.6f}"]
        if bounds is not None:
            cells += [f"{bounds[0][i]:>12.6f}", f"{bounds[1][i]:>12.6f}"]
        print("  ".join(cells))
    return 0


_INTERVAL_WORDS = {
    "law": "interval of the law (the bootstrap's parameter uncertainty)",
    "run": "interval of one new run (the law's uncertainty plus the runs' scatter)",
    "forecast": "forecast interval, calibrated by back-tests by scale",
}


def _cmd_demo(args: argparse.Namespace) -> int:
    import lawfit

    folder = _demo_folder(args)
    runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    print("Chinchilla Approach 3 on the bundled data (Hoffmann et al. 2022 Figure 4, reconstructed by Besiroglu")
    print("et al. 2024), the 5 highest-loss runs dropped as they did, Huber (delta=1e-3) on log loss, summed.\n")
    f = lawfit.fit(runs, "chinchilla")
    print(in_cli_words(f.summary()))
    print(
        f"\nBesiroglu et al. 2024 on the same 240 runs (Huber, summed; {_PROVENANCE}): alpha={_PUBLISHED['alpha']}, "
        f"beta={_PUBLISHED['beta']}, E={_PUBLISHED['E']} (Hoffmann et al.: 0.34, 0.28, 1.69)."
    )
    loss = float(f.predict(N=70e9, D=1.4e12))
    print(f"Predicted loss of Chinchilla itself (70B parameters, 1.4T tokens): {loss:.4f}")
    print("\nThe compute-optimal allocation under this fit (lawfit optimal; --bootstrap for intervals):\n")
    frontier = lawfit.plan.compute_optimal(f, [1e21, 1e22, 1e23, 5.76e23])
    print(frontier.summary().split("\n", 2)[2])
    print("Chinchilla itself, at 5.76e23 FLOPs, has 70B parameters trained on 1.4T tokens: 20 tokens per parameter.")
    _demo_files(f, runs, folder, force=args.force)
    return 0


# The published fit of the demo's own data, as src/lawfit/datasets/PROVENANCE.md records it (tests check the two agree).
_PROVENANCE = "src/lawfit/datasets/PROVENANCE.md"
_PUBLISHED = {"alpha": "0.3473", "beta": "0.3672", "E": "1.8172"}

_DEMO_DIR = "lawfit-demo"  # in the current directory, so the demo never writes into an installed package


def _demo_folder(args: argparse.Namespace) -> Path:
    """The demo's folder, made, with its figure and report checked before any work."""
    from ..errors import LawfitError

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise LawfitError(
            "The demo's figure and report need matplotlib; install it with pip install 'lawfit[plot]'."
        ) from None
    folder = Path(_DEMO_DIR)
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise LawfitError(f"Cannot create the folder '{folder}': {exc.strerror}. Run it elsewhere.") from None
    check_output_of(args, str(folder / "fit.png"), kinds=("figure",))
    check_output_of(args, str(folder / "report.html"), kinds=("report",))
    return folder


def _demo_files(f: Any, runs: Any, folder: Path, *, force: bool) -> None:
    """The demo's figure and report, with 1,000 bootstrap draws for the bands and intervals."""
    import lawfit

    from .._files import write_figure
    from ..report import write_report
    from ..report.gather import figure_frontier

    boot = lawfit.fit(runs, f.law, n_resamples=1000, seed=0)  # with forecast intervals calibrated by scale
    frontier = figure_frontier(boot, runs, level=DEFAULT_LEVEL)  # the figure draws it; it computes nothing
    figure = write_figure(boot.plot(data=runs, level=DEFAULT_LEVEL, frontier=frontier), folder / "fit.png", dpi=150)
    report = write_report(
        runs,
        boot,
        folder / "report.html",
        compute=[1e21, 1e22, 1e23, 5.76e23],
        level=DEFAULT_LEVEL,
        title="lawfit demo: Chinchilla Approach 3 on the bundled data",
        command="lawfit demo",
        force=force,
    )
    print(f"\nfigure     {figure}  (the runs, the law and its compute-optimal frontier, with a 90% bootstrap band)")
    print(f"report     {report}  (fit, diagnostics, back-test, forecast intervals, frontier and figures in one page)")


def _cmd_datasets(args: argparse.Namespace) -> int:
    from .. import datasets

    for name in datasets.DATASETS:
        print(f"{name:<12} {datasets.path(name)}")
    return 0


_FIT_OPTIONS = {"objective": "--objective", "delta": "--delta", "weight_growth": "--weight-growth", "seed": "--seed"}

COMMANDS = {
    "fit": speaks_cli(_cmd_fit, {**_FIT_OPTIONS, "n_resamples": "--bootstrap", "resample": "--resample"}),
    "predict": speaks_cli(_cmd_predict),
    "backtest": speaks_cli(_cmd_backtest, {**_FIT_OPTIONS, "n_resamples": "--bootstrap", "cut": "--cut"}),
    "compare": speaks_cli(_cmd_compare, {**_FIT_OPTIONS, "cut": "--cut"}),
    "demo": speaks_cli(_cmd_demo),
    "datasets": _cmd_datasets,
}
