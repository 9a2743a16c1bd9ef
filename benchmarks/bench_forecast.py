"""Benchmark: how well lawfit extrapolates on public data, fitted on small runs and scored on the large ones.

Each task fits the runs below a scale split of a bundled real data set and predicts the runs above it; the methods
never see the held-out runs. For final-loss data (Chinchilla: fit C < 1e21, predict C >= 1e21; datablations: fit
N < 1e9, predict N >= 1e9; Llama 3 IsoFLOPs: fit the 9 smaller budgets, predict the 1e22 budget):

- ``reference``: a plain Approach-3 script written here in numpy + scipy, as a user without lawfit would run it:
  Chinchilla's law in log-sum-exp form, Huber (delta 1e-3) on log loss, summed; Hoffmann et al.'s 4,500-start
  grid scored, L-BFGS-B from the 16 best starts, best kept. No intervals.
- ``chinchilla``: ``lawfit.fit(train, "chinchilla", calibrate=True)``, with its calibrated 90% forecast intervals.
- ``auto``: ``lawfit.fit(train, "auto")``: the law and weighting chosen by nested back-tests inside the train runs.
- ``best candidate``: the candidate of ``auto`` (fitted on all train runs) with the lowest held-out error, known only
  with hindsight: the yardstick for ``auto``'s choice (issue 11: within 10% of it, or better).

For training curves (Luo et al.'s 25M and 100M runs; fit cosine_24000, constant_24000 and wsdcon_9, predict the
other six schedules; and fit the 24,000-step runs, predict the 72,000-step cosine and constant runs): ``reference``
is the multi-power law refitted (the paper's procedure), ``auto`` is ``fit_curves(..., "auto")``.

Printed per task and method: median and max |relative error|, bias (mean signed error), the coverage of the 90%
forecast interval and its median half-width (relative). Then the time of ``auto`` on the 240 Chinchilla runs as a
ratio to one ``chinchilla`` fit (issue 11: under 20), medians of repeated runs.

Run: `make bench` (or `python benchmarks/bench_forecast.py [--repeats R]`).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import logsumexp

import lawfit
from lawfit.curves import fit_curves, forecast, load_curves
from lawfit.select import default_candidates

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
LEVEL = 0.9


# -- the reference: a plain Approach-3 script -------------------------------------------------------------------------


def _huber(r: np.ndarray, delta: float = 1e-3) -> np.ndarray:
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))


def approach3(n: np.ndarray, d: np.ndarray, loss: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Hoffmann et al.'s Approach 3 in numpy + scipy; returns the fitted law L(N, D)."""
    log_n, log_d, log_l = np.log(n), np.log(d), np.log(loss)

    def objective(theta: np.ndarray) -> float:
        a, b, e, alpha, beta = theta
        pred = logsumexp([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)], axis=0)
        return float(np.sum(_huber(pred - log_l)))

    grid = (
        np.array(
            np.meshgrid(
                np.arange(0, 30, 5),
                np.arange(0, 30, 5),
                np.arange(-1, 1.5, 0.5),
                np.arange(0, 2.5, 0.5),
                np.arange(0, 2.5, 0.5),
            )
        )
        .reshape(5, -1)
        .T
    )
    scores = np.array([objective(theta) for theta in grid])
    best = min(
        (minimize(objective, start, method="L-BFGS-B") for start in grid[np.argsort(scores)[:16]]),
        key=lambda r: r.fun,
    )
    a, b, e, alpha, beta = best.x
    return lambda n_, d_: np.exp(a) / n_**alpha + np.exp(b) / d_**beta + np.exp(e)


# -- tasks ---------------------------------------------------------------------------------------------------------


def _tasks() -> list[tuple[str, lawfit.Runs, np.ndarray]]:
    chin = lawfit.datasets.chinchilla(drop_highest_loss=5)
    blations = lawfit.load_runs(
        DATA / "datablations_fit_points.csv",
        columns={"N": "N_params", "D": "D_tokens", "U": "U_unique_tokens", "loss": "val_loss"},
    )
    llama = lawfit.load_runs(
        DATA / "llama3_isoflops_points.csv",
        columns={"C": "compute_budget", "D": "training_tokens", "loss": "validation_loss"},
    )
    return [
        ("Chinchilla, fit C < 1e21, predict C >= 1e21", chin, chin.column("C") < 1e21),
        ("datablations, fit N < 1e9, predict N >= 1e9", blations, blations.column("N") < 1e9),
        ("Llama 3 IsoFLOPs, fit C < 1e22, predict the 1e22 budget", llama, llama.column("C") < 0.9e22),
    ]


def _scores(predicted: np.ndarray, actual: np.ndarray, low=None, high=None) -> dict[str, float]:
    rel = (predicted - actual) / actual
    row = {
        "median": float(np.median(np.abs(rel))),
        "max": float(np.max(np.abs(rel))),
        "bias": float(np.mean(rel)),
        "coverage": math.nan,
        "width": math.nan,
    }
    if low is not None:
        row["coverage"] = float(np.mean((low <= actual) & (actual <= high)))
        row["width"] = float(np.median((high - low) / 2 / predicted))
    return row


def _lawfit_row(f: lawfit.Fit, test: lawfit.Runs) -> dict[str, float]:
    inputs = test.inputs(f.law.inputs)
    actual = test.column(f.law.target)
    low, high = f.predict_interval(LEVEL, of="forecast", **inputs)
    return _scores(f.predict(**inputs), actual, low, high)


def _final_loss_task(name: str, runs: lawfit.Runs, train_mask: np.ndarray) -> list[tuple[str, dict[str, float]]]:
    train, test = runs.select(train_mask), runs.select(~train_mask)
    rows = []
    law = approach3(train.column("N"), train.column("D"), train.column("loss"))
    rows.append(("reference (numpy Approach 3)", _scores(law(test.column("N"), test.column("D")), test.column("loss"))))
    rows.append(("chinchilla", _lawfit_row(lawfit.fit(train, "chinchilla", calibrate=True), test)))
    auto = lawfit.fit(train, "auto")
    chosen = next(row for row in auto.selection if row["chosen"])
    label = f"auto (chose {chosen['law']}" + (
        f", growth {chosen['weight_growth']:g})" if chosen["weight_growth"] else ")"
    )
    rows.append((label, _lawfit_row(auto, test)))
    best = None
    for candidate in default_candidates(train):
        try:
            f = lawfit.fit(train, candidate.law, weight_growth=candidate.weight_growth)
        except lawfit.LawfitError:
            continue
        inputs = test.inputs(f.law.inputs)
        score = _scores(f.predict(**inputs), test.column("loss"))
        name_ = candidate.name + (f", growth {candidate.weight_growth:g}" if candidate.weight_growth else "")
        if best is None or score["median"] < best[1]["median"]:
            best = (f"best candidate ({name_})", score)
    rows.append(best)
    return rows


def _print_task(name: str, rows: list[tuple[str, dict[str, float]]]) -> None:
    print(f"\n{name}")
    print(f"  {'method':<46} {'median':>7} {'max':>7} {'bias':>7} {'cover90':>8} {'half-width':>10}")
    for label, row in rows:
        cover = "-" if math.isnan(row["coverage"]) else f"{100 * row['coverage']:.0f}%"
        width = "-" if math.isnan(row["width"]) else f"{100 * row['width']:.2f}%"
        print(
            f"  {label:<46} {100 * row['median']:6.2f}% {100 * row['max']:6.2f}% {100 * row['bias']:+6.2f}% "
            f"{cover:>8} {width:>10}"
        )
    auto = next(row for label, row in rows if label.startswith("auto"))
    best = next(row for label, row in rows if label.startswith("best"))
    print(f"  auto / best candidate median error: {auto['median'] / best['median']:.2f} (target <= 1.10)")


# -- training curves -----------------------------------------------------------------------------------------------

_W = "warmup=2160,peak=3e-4"
SCHEDULES = {
    "cosine_24000": f"cosine:steps=24000,final=3e-5,{_W}",
    "constant_24000": f"constant:steps=24000,{_W}",
    "wsdcon_9": f"stages:steps=16000,stages=8000@9e-5,{_W}",
    "cosine_72000": f"cosine:steps=72000,final=3e-5,{_W}",
    "constant_72000": f"constant:steps=72000,{_W}",
    "wsd_20000_24000": f"wsd:steps=24000,final=3e-5,decay_start=20000,decay=geometric,{_W}",
    "wsdld_20000_24000": f"wsd:steps=24000,final=3e-5,decay_start=20000,decay=linear,{_W}",
    "wsdcon_3": f"stages:steps=16000,stages=8000@3e-5,{_W}",
    "wsdcon_18": f"stages:steps=16000,stages=8000@1.8e-4,{_W}",
}
CURVE_SPLITS = {
    "3 schedules -> the other 6": (["cosine_24000", "constant_24000", "wsdcon_9"], None),
    "24k-step runs -> 72k-step runs": (
        ["cosine_24000", "constant_24000", "wsdcon_9", "wsd_20000_24000", "wsdld_20000_24000", "wsdcon_3", "wsdcon_18"],
        ["cosine_72000", "constant_72000"],
    ),
}


def _curves(size: str) -> dict[str, lawfit.curves.Curve]:
    folder = DATA / "mpl" / f"csv_{size}"
    return {
        # Luo et al. count steps from 0; lawfit counts updates from 1, so their step s is our s + 1.
        name: load_curves(
            {name: pd.read_csv(folder / f"{name}.csv").assign(step=lambda t: t["step"] + 1)}, schedules={name: schedule}
        )[0]
        for name, schedule in SCHEDULES.items()
    }


def _curve_rows(fitted, test) -> dict[str, float]:
    """Scores over every logged loss of the test curves (curve laws give no interval for another schedule)."""
    predicted = np.concatenate([fitted.predict(c) for c in test])
    return _scores(predicted, np.concatenate([c.loss for c in test]))


def _curve_tasks() -> None:
    for size in ("25", "100"):
        curves = _curves(size)
        for split, (train_names, test_names) in CURVE_SPLITS.items():
            test_names = test_names or [n for n in curves if n not in train_names]
            train, test = [curves[n] for n in train_names], [curves[n] for n in test_names]
            rows = [("reference (multipower refitted)", _curve_rows(fit_curves(train, "multipower"), test))]
            auto = fit_curves(train, "auto")
            rows.append((f"auto (chose {auto.law.name})", _curve_rows(auto, test)))
            best = min(
                (
                    (name, _curve_rows(fit_curves(train, name), test))
                    for name in ("multipower", "multipower_fixed", "annealing")
                ),
                key=lambda item: item[1]["median"],
            )
            rows.append((f"best candidate ({best[0]})", best[1]))
            _print_task(f"MPL {size}M curves, {split} (every logged loss)", rows)
        final = curves["cosine_72000"]
        f = forecast(final, fraction=0.5, level=LEVEL)
        actual = float(final.loss[-1])
        print(
            f"  forecast of cosine_72000's final loss from its first half: {f.loss:.5f} vs {actual:.5f} "
            f"({100 * (f.loss - actual) / actual:+.2f}%), 90% [{f.low:.5f}, {f.high:.5f}] "
            f"{'covers' if f.low <= actual <= f.high else 'MISSES'} it "
            f"({'calibrated' if f.calibrated else 'uncalibrated'})"
        )


def _timing(repeats: int) -> None:
    runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    lawfit.fit(runs, "auto"), lawfit.fit(runs, "chinchilla")  # compile
    single, auto = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        lawfit.fit(runs, "chinchilla")
        single.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        lawfit.fit(runs, "auto")
        auto.append(time.perf_counter() - t0)
    s, a = statistics.median(single), statistics.median(auto)
    print(f"\ntime       auto on 240 runs {a:.2f} s, one chinchilla fit {s:.3f} s (medians of {repeats})")
    print(f"ratio      auto / one fit: {a / s:.1f} (target < 20)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats of auto and of one fit")
    args = parser.parse_args()
    lawfit.set_progress(False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.LawfitWarning)
        for name, runs, mask in _tasks():
            _print_task(name, _final_loss_task(name, runs, mask))
        _curve_tasks()
        _timing(args.repeats)


if __name__ == "__main__":
    main()
