"""Benchmark: time and peak memory of a Chinchilla fit as the number of runs grows (1k, 10k, 100k, 1M rows).

Each size runs in its own process (so that peak memory is that size's alone): the runs are drawn from the
published Chinchilla law (Hoffmann et al. 2022, Approach 3) with 1% log-normal noise over N in [1e7, 1e11] and
D/N in [1, 1000]; the fit is `lawfit.fit(runs, "chinchilla")` (Huber on log loss, the default search), timed
after a warm-up fit of the same size (so compilation is not counted), except at 1M rows and more: one fit, its
compilation included (seconds in a fit of many minutes). Printed per size: time, peak resident memory
(the child's `VmHWM`), and the growth ratio of each against linear growth from the size before (time ratio /
rows ratio; 1.0 is linear). Targets (issue 12): 1M rows under 4 GB peak; time within 1.3x of linear from 100k.

Run: `make bench` (or `python benchmarks/bench_scale.py [--sizes 1000,10000] [--repeats R]`).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

CHILD = """
import json, sys, time
import numpy as np
import lawfit

n, repeats = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
N = 10 ** rng.uniform(7, 11, n)
D = N * 10 ** rng.uniform(0, 3, n)
loss = (1.69 + 406.4 / N**0.34 + 410.7 / D**0.28) * np.exp(rng.normal(0, 0.01, n))
runs = lawfit.load_runs({"N": N, "D": D, "loss": loss})
if n < 1_000_000:
    lawfit.fit(runs, "chinchilla")  # warm-up: compiles this size's program (at 1M rows, under 2% of the fit)
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    f = lawfit.fit(runs, "chinchilla")
    times.append(time.perf_counter() - t0)
# Peak resident memory since exec; ru_maxrss would include the parent's at fork time on Linux.
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) * 1024
print(json.dumps({"n": n, "times": times, "peak": peak, "objective": f.objective, "converged": f.converged,
                  "params": dict(f.params)}))
"""


def run_size(n: int, repeats: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), str(repeats)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-1:] or ["(no message)"]
        return {"n": n, "error": f"exit {out.returncode}: {tail[0]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000", help="comma-separated numbers of runs")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits per size (the median is shown)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"{'rows':>9} {'median s':>9} {'peak MB':>8} {'time/linear':>12} {'mem/linear':>11}  fit")
    before = None
    for n in sizes:
        r = run_size(n, args.repeats if n < 1_000_000 else 1)
        if "error" in r:
            print(f"{n:>9} failed: {r['error']}")
            before = None
            continue
        t = statistics.median(r["times"])
        mb = r["peak"] / 2**20
        if before is None:
            growth_t = growth_m = ""
        else:
            rows = n / before["n"]
            growth_t = f"{(t / before['t']) / rows:.2f}"
            growth_m = f"{(mb / before['mb']) / rows:.2f}"
        state = "converged" if r["converged"] else "NOT converged"
        print(f"{n:>9} {t:>9.2f} {mb:>8.0f} {growth_t:>12} {growth_m:>11}  {state}, objective {r['objective']:.6g}")
        before = {"n": n, "t": t, "mb": mb}
    print(f"(parent peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; ratios are against")
    print(" linear growth from the size above: time ratio / rows ratio, 1.00 = linear, < 1 = better than linear)")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - t0:.0f} s")
