"""Benchmark: the warm Chinchilla Approach 3 fit against the exhaustive multi-start loop, and `lawfit fit` from the
shell (first and second invocation).

Reference: scipy's L-BFGS-B with an analytic gradient, run from each of Hoffmann's 4,500 starts on the same data and
objective (Huber, delta = 1e-3, on log loss, summed), best result kept: what the `chinchilla` package and the Epoch
notebook do. Both are timed in this run; the figure of merit is the ratio reference / lawfit. Targets: ratio >= 200
with an equal or lower objective; the second shell invocation <= 2 s.

Run: `make bench` (or `python benchmarks/bench_fit.py [--repeats R]`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import lawfit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from reference import reference_fit


def time_shell(cache: Path, repeats: int) -> tuple[float, float]:
    exe = Path(sys.executable).parent / "lawfit"
    cmd = [
        str(exe),
        "fit",
        "--dataset",
        "chinchilla",
        "--law",
        "chinchilla",
        "--drop-highest-loss",
        "5",
        "--json",
    ]
    env = {**os.environ, "LAWFIT_CACHE_DIR": str(cache)}
    times = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times[0], statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats of the warm lawfit fit")
    parser.add_argument("--reference-repeats", type=int, default=1, help="timed repeats of the reference loop")
    args = parser.parse_args()

    runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    n, d, loss = runs.column("N"), runs.column("D"), runs.column("loss")

    lawfit.fit(runs, "chinchilla")  # compile
    ours = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        fitted = lawfit.fit(runs, "chinchilla")
        ours.append(time.perf_counter() - t0)

    ref_times = []
    for _ in range(args.reference_repeats):
        t0 = time.perf_counter()
        ref_objective, _ = reference_fit(np.log(n), np.log(d), np.log(loss))
        ref_times.append(time.perf_counter() - t0)

    ours_s, ref_s = statistics.median(ours), statistics.median(ref_times)
    print(f"data: {len(runs)} runs (bundled Chinchilla, 5 highest-loss dropped); 4,500 starts")
    print(f"reference  scipy L-BFGS-B x 4,500 starts : {ref_s:8.3f} s  objective {ref_objective:.8e}")
    print(f"lawfit     warm fit (median of {args.repeats:>2})      : {ours_s:8.4f} s  objective {fitted.objective:.8e}")
    print(f"ratio      reference / lawfit               : {ref_s / ours_s:8.1f}x  (target >= 200)")
    print(f"objective  lawfit - reference                : {fitted.objective - ref_objective:+.3e}  (target <= 0)")

    cache = Path(tempfile.mkdtemp(prefix="lawfit-bench-cache-"))
    try:
        first, second = time_shell(cache, repeats=5)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(f"shell      `lawfit fit` first invocation (empty cache) : {first:6.2f} s")
    print(f"shell      `lawfit fit` second invocation (median of 5): {second:6.2f} s  (target <= 2 s)")


if __name__ == "__main__":
    main()
