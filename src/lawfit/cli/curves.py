"""The training-curve verbs: ``lawfit curve fit``, ``lawfit curve predict``, ``lawfit curve forecast``."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_level_option, add_output_option, check_output_of, interval_record, pairs, speaks_cli
from ._output import dumps_strict

_LAWS = ("multipower", "multipower_fixed", "annealing")
# One default for fit and forecast: four parameters that one curve pins down, chosen by auto on Luo et al.'s curves.
_DEFAULT_LAW = "annealing"
_JSON_HELP = "print one strict JSON object instead of a table"

_SCHEDULE_HELP = (
    "a run's learning-rate schedule, RUN=KIND:key=value,... (or just KIND:... for a single run), e.g. "
    "'cosine:steps=24000,peak=3e-4,final=3e-5,warmup=2160'; kinds constant, cosine, linear, wsd (decay_start, "
    "decay=linear|geometric|cosine), stages (stages=8000@9e-5;12000@3e-5). Without it the logged lr is used"
)


def add_verbs(verbs: Any) -> None:
    """Add ``curve`` and its sub-verbs to the ``lawfit`` sub-command parser."""
    curve = verbs.add_parser(
        "curve",
        help="loss-curve laws: fit training curves, predict other schedules, forecast a run's end",
        description="Loss-curve laws that predict the loss at every step under any learning-rate schedule: "
        "the multi-power law (Luo et al. 2025), with beta and gamma held (multipower_fixed), and the annealing law "
        "(Tissue et al. 2024); --law auto chooses among them by leave-one-schedule-out error.",
    )
    sub = curve.add_subparsers(dest="curve_verb", required=True, metavar="VERB")

    p = sub.add_parser(
        "fit",
        help="fit a curve law to one or more curves jointly",
        description="Fit a loss-curve law to one or more training curves jointly (shared parameters), and score "
        "it on --test curves.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="curves: tables (run, step, lr, loss) or tracker logs")
    _add_curve_options(p)
    p.add_argument(
        "--law",
        choices=(*_LAWS, "auto"),
        default=_DEFAULT_LAW,
        help=f"the curve law ({_DEFAULT_LAW}); auto: the law that best predicts each curve when fitted on the others",
    )
    p.add_argument("--lam", type=float, default=None, help="momentum of the annealing area (annealing law only; 0.999)")
    p.add_argument("--test", nargs="*", default=[], metavar="FILE", help="curves to score the fit on")
    p.add_argument("--json", action="store_true", help=_JSON_HELP)
    add_output_option(p, "FIT.json", "save the fit")

    p = sub.add_parser(
        "predict",
        help="predict the loss curve under a schedule from a saved curve fit",
        description="Predict the loss at steps of a learning-rate schedule from a saved curve fit.",
    )
    p.add_argument("fit", metavar="FIT.json", help="a curve fit saved by `lawfit curve fit ... -o FIT.json`")
    p.add_argument("--schedule", required=True, help="the schedule to predict, KIND:key=value,...")
    p.add_argument(
        "--at-step", metavar="STEPS", help="steps to predict at, comma list (default every 1/10 and the end)"
    )
    p.add_argument("--json", action="store_true", help=_JSON_HELP)

    p = sub.add_parser(
        "forecast",
        help="forecast a run's final loss from its first part",
        description="Fit a curve law to the observed part of a run and forecast the loss at its schedule's last "
        "step, with an interval calibrated by back-tests inside the observed part.",
    )
    p.add_argument("file", metavar="FILE", help="the run's curve so far (one run)")
    _add_curve_options(p)
    p.add_argument("--law", choices=_LAWS, default=_DEFAULT_LAW, help=f"the curve law ({_DEFAULT_LAW})")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--fraction", type=float, help="use the losses of the first FRACTION of the schedule")
    which.add_argument("--until", type=int, metavar="STEP", help="use the losses up to this step (default: all logged)")
    p.add_argument(
        "--fit-on",
        nargs="*",
        default=[],
        metavar="FILE",
        help="finished curves of the same model, fitted jointly with the run (their schedules by --schedule RUN=...)",
    )
    p.add_argument("--bootstrap", type=int, default=200, metavar="R", help="block-bootstrap refits (200; 0: none)")
    p.add_argument(
        "--backtests",
        type=int,
        default=19,
        metavar="K",
        help="back-tests inside the observed part that calibrate the interval for the law's error (19; 0: none)",
    )
    add_level_option(p, "the forecast interval")
    p.add_argument("--seed", type=int, default=0, help="seed of the block bootstrap (0)")
    p.add_argument("--json", action="store_true", help=_JSON_HELP)


def _add_curve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--schedule", action="append", default=[], metavar="[RUN=]DESC", help=_SCHEDULE_HELP)
    p.add_argument("--steps", type=int, help="the planned length of runs whose schedule is rebuilt from logged lr")
    p.add_argument("--col", action="append", default=[], metavar="NAME=COLUMN", help="map run, step, lr or loss")


def _curves(files: list[str], args: argparse.Namespace) -> tuple[list[Any], set[str]]:
    """The curves of ``files`` with the ``--schedule`` options applied, and the schedule names no run matched.

    The schedules are given as the curves are built, so that a run with a schedule needs no logged lr.
    """
    from ..curves import load_curves
    from ..curves.data import curve_tables
    from ..errors import LawfitError

    named: dict[str, str] = {}
    unnamed: list[str] = []
    for text in args.schedule:
        if "=" in text.split(":", 1)[0]:
            name, _, desc = text.partition("=")
            named[name.strip()] = desc.strip()
        else:
            unnamed.append(text)
    columns = pairs(args.col, "--col")
    tables = [(name, table) for path in files for name, table in curve_tables(path, columns=columns).items()]
    names = [name for name, _ in tables]
    if unnamed:
        if len(tables) != 1 or len(unnamed) != 1 or named:
            raise LawfitError(f"With several runs ({', '.join(names)}), name each schedule: --schedule RUN=KIND:...")
        named[names[0]] = unnamed[0]
    curves = [
        curve
        for name, table in tables
        for curve in load_curves(
            {name: table}, schedules={name: named[name]} if name in named else None, steps=args.steps
        )
    ]
    return curves, set(named) - set(names)


def _check_names(unmatched: set[str], curves: list[Any]) -> None:
    from ..errors import LawfitError

    if unmatched:
        names = [c.name for c in curves]
        raise LawfitError(f"--schedule names runs that are not in the data: {sorted(unmatched)}. Runs: {names}.")


def _cmd_fit(args: argparse.Namespace) -> int:
    from ..curves import fit_curves

    if args.output:  # before any work
        check_output_of(args, args.output, inputs=[*args.files, *args.test], kinds=("curve_fit",))
    curves, unmatched = _curves(args.files, args)
    tests, unmatched_test = _curves(args.test, args) if args.test else ([], unmatched)
    _check_names(unmatched & unmatched_test, curves + tests)
    f = fit_curves(curves, args.law, lam=args.lam)
    scores = f.evaluate(tests) if tests else None
    if args.output:
        f.save(args.output, force=args.force)
    if args.json:
        record = f.to_dict()
        if scores is not None:
            record["test"] = scores.to_dict(orient="records")
        print(dumps_strict(record))
        return 0
    print(f.summary())
    for c in curves:
        if c.note and c.note != "schedule given":
            print(f"note       {c.name}: {c.note}")
    if scores is not None:
        print("\nprediction errors on the test curves:\n")
        print(scores.to_string(index=False, float_format=lambda v: f"{v:.5f}"))
    if args.output:
        print(f"\nsaved to {args.output}")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    import numpy as np

    from ..curves import load_curve_fit, parse_schedule
    from ..errors import LawfitError

    f = load_curve_fit(args.fit)
    lr = parse_schedule(args.schedule)
    if args.at_step:
        try:
            steps = np.array([int(float(v)) for v in args.at_step.split(",") if v.strip()])
        except ValueError:
            raise LawfitError(f"--at-step takes a comma list of steps. Got {args.at_step!r}.") from None
    else:
        steps = np.unique(np.linspace(0, lr.size, 11)[1:].astype(int))  # every tenth, to the last step, S
    loss = f.predict(lr, steps)
    if args.json:
        print(dumps_strict({"law": f.law.name, "step": steps.tolist(), "loss": loss.tolist()}))
        return 0
    print(f"{'step':>10}  {'lr':>10}  {'loss':>10}")
    for s, value in zip(steps, loss, strict=True):
        print(f"{s:>10}  {lr[s - 1]:>10.4g}  {value:>10.5f}")  # the rate of step s
    return 0


def _cmd_forecast(args: argparse.Namespace) -> int:
    from ..curves import forecast
    from ..errors import LawfitError

    curves, unmatched = _curves([args.file], args)
    finished, unmatched_finished = _curves(args.fit_on, args) if args.fit_on else ([], unmatched)
    _check_names(unmatched & unmatched_finished, curves + finished)
    if len(curves) != 1:
        raise LawfitError(f"forecast takes one run; {args.file} holds {len(curves)}: {[c.name for c in curves]}.")
    (curve,) = curves
    until = args.until if args.until is not None or args.fraction is not None else int(curve.step.max())
    result = forecast(
        curve,
        fraction=args.fraction,
        until=until,
        law=args.law,
        n_resamples=args.bootstrap,
        seed=args.seed,
        level=args.level,
        backtests=args.backtests,
        fit_on=finished,
    )
    if args.json:
        print(dumps_strict({**_forecast_json(result.to_dict()), "schedule": curve.note}))
        return 0
    print(result.summary())
    print(f"note       {curve.name}: {curve.note}; the forecast is at the schedule's last step")
    return 0


def _forecast_json(record: dict[str, Any]) -> dict[str, Any]:
    """A forecast's record with its intervals in the one shape (:func:`interval_record`): ``loss`` (the forecast
    interval) and ``bootstrap`` (the block bootstrap's alone)."""
    record = dict(record)
    low, high, level = record.pop("low"), record.pop("high"), record.pop("level")
    noise = record.pop("noise_low"), record.pop("noise_high")
    record["intervals"] = {
        "loss": interval_record(record["loss"], low, high, level),
        "bootstrap": interval_record(record["loss"], *noise, level),
    }
    return record


_CURVE_COMMANDS = {"fit": _cmd_fit, "predict": _cmd_predict, "forecast": _cmd_forecast}


def _cmd_curve(args: argparse.Namespace) -> int:
    return _CURVE_COMMANDS[args.curve_verb](args)


COMMANDS = {
    "curve": speaks_cli(
        _cmd_curve, {"fraction": "--fraction", "until": "--until", "n_resamples": "--bootstrap", "level": "--level"}
    )
}
