"""Benchmark: a multi-power-law fit on 3 training curves, lawfit against scipy on numpy with the same objective.

Data: Luo et al.'s 25M curves cosine_24000, constant_24000 and wsdcon_9 (437 logged losses; tests/data/mpl).
Objective for both: Huber (delta 1e-3) on log residuals, summed, over the per-point features of the multi-power sum
compressed into blocks (lawfit.curves.laws.features with ratio 1.1, lawfit's fitting compression), same bounds.

- lawfit: ``fit_curves`` as a user calls it, warm (compiled once before timing): the scale parameters solved in
  closed form over a 36-start grid of the others, the 4 best polished with Levenberg-Marquardt on a coarser
  compression, the best polished again on the fitting one (lawfit.curves._solve).
- reference (kept as it was when lawfit's curve fits were first benchmarked, the yardstick): the objective in numpy;
  the 648-start product grid scored, then scipy's L-BFGS-B (finite-difference gradients, as a user without autodiff
  would run it) from the 4 best grid starts, best result kept.

Prints the median wall time of each, their ratio, and the objectives both optima reach, each scored by the
reference's own numpy objective so that they compare like with like.
Run: `make bench` (or `python benchmarks/bench_curves.py [--repeats R]`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from lawfit.curves import fit_curves, load_curves, multipower
from lawfit.curves.fit import _grid
from lawfit.curves.laws import features

MPL = Path(__file__).resolve().parent.parent / "tests" / "data" / "mpl" / "csv_25"
W = "warmup=2160,peak=3e-4"
SCHEDULES = {
    "cosine_24000": f"cosine:steps=24000,final=3e-5,{W}",
    "constant_24000": f"constant:steps=24000,{W}",
    "wsdcon_9": f"stages:steps=16000,stages=8000@9e-5,{W}",
}


def _numpy_objective(x: dict[str, np.ndarray], y: np.ndarray):
    log_y = np.log(y)

    def objective(theta: np.ndarray) -> float:
        l0, a, alpha, b, c, beta, gamma = theta
        g = 1.0 - (c * np.exp(-gamma * x["mp_loglr"]) * x["mp_area"] + 1.0) ** (-beta)
        with np.errstate(all="ignore"):
            pred = l0 + a * x["S1"] ** (-alpha) - b * np.sum(x["mp_drop"] * g, axis=1)
            r = log_y - np.log(pred)
        if not np.all(np.isfinite(r)):
            return 1e10
        ar = np.abs(r)
        return float(np.sum(np.where(ar <= 1e-3, 0.5 * r * r, 1e-3 * (ar - 0.5e-3))))

    return objective


REFERENCE_RATIO = 1.1  # the compression the reference was first run with


def _reference(curves, law) -> tuple[float, np.ndarray]:
    x = features(law, curves, ratio=REFERENCE_RATIO)
    y = np.concatenate([c.loss for c in curves])
    objective = _numpy_objective(x, y)
    grid = _grid(law, y)
    scores = np.array([objective(theta) for theta in grid])
    bounds = [
        (1e-12 if p.scale == "log" else p.lower, None if not np.isfinite(p.upper) else p.upper) for p in law.params
    ]
    best = None
    for start in grid[np.argsort(scores)[:4]]:
        result = minimize(objective, start, method="L-BFGS-B", bounds=bounds, options={"maxiter": 5000})
        if best is None or result.fun < best.fun:
            best = result
    return float(best.fun), best.x


def _luo(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path)
    table["step"] += 1
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats of each")
    args = parser.parse_args()

    # Luo et al. count steps from 0; lawfit counts updates from 1 (lawfit.curves: "Steps"), so their s is our s + 1.
    curves = [load_curves({n: _luo(MPL / f"{n}.csv")}, schedules={n: s})[0] for n, s in SCHEDULES.items()]
    law = multipower()
    fit_curves(curves, law)  # compiles

    ours, theirs = [], []
    for _ in range(args.repeats):  # interleaved, so that both see the same load of a shared machine
        for _ in range(3):  # lawfit's time is short and noisier: three per reference run
            t0 = time.perf_counter()
            f = fit_curves(curves, law)
            ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref_objective, _ = _reference(curves, law)
        theirs.append(time.perf_counter() - t0)

    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    score = _numpy_objective(features(law, curves, ratio=REFERENCE_RATIO), np.concatenate([c.loss for c in curves]))
    our_objective = score(np.array([f.params[name] for name in law.param_names]))
    n = sum(c.loss.size for c in curves)
    print(f"data: 3 curves, {n} losses (Luo et al. 25M: {', '.join(SCHEDULES)})")
    starts = len(_grid(law, np.ones(1)))
    print(
        f"reference  numpy + scipy L-BFGS-B from the 4 best of {starts} starts (median of {len(theirs)}): "
        f"{theirs_s:8.2f} s, objective {ref_objective:.6e}"
    )
    state = "converged" if f.converged else "NOT converged"
    print(
        f"lawfit     fit_curves (median of {len(ours)})                                     : "
        f"{ours_s:8.2f} s, objective {our_objective:.6e}, {state}"
    )
    print(f"ratio      reference / lawfit                                              : {theirs_s / ours_s:8.2f}")
    verdict = "equal or lower" if our_objective <= ref_objective * (1 + 1e-9) else "HIGHER"
    print(f"objective  lawfit's is {verdict} than the reference's ({our_objective / ref_objective - 1:+.2e} relative)")


if __name__ == "__main__":
    main()
