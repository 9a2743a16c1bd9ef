"""Benchmark: a 4,000-resample bootstrap of the Chinchilla Approach 3 fit against one fit from scratch.

Reference: one cold-started fit (the global search from Hoffmann's 4,500 starts) on the same 240 runs, timed in this
run. The bootstrap refits 4,000 resamples (Besiroglu et al.'s number), each warm-started from the full-data optimum
and vectorised over resamples. Both are warm (compiled before timing). The figure of merit is the ratio
time(bootstrap) / time(one fit): the target is <= 100, i.e. each resample at least 40 times cheaper than a fit.

Run: `make bench` (or `python benchmarks/bench_bootstrap.py [--repeats R]`).
"""

from __future__ import annotations

import argparse
import statistics
import time

import lawfit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats of each")
    parser.add_argument("--resamples", type=int, default=4000)
    args = parser.parse_args()

    runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    full = lawfit.fit(runs, "chinchilla")  # compiles the search
    lawfit.bootstrap(full, runs, n_resamples=args.resamples)  # compiles the refits

    fits, boots = [], []
    for repeat in range(args.repeats):
        t0 = time.perf_counter()
        full = lawfit.fit(runs, "chinchilla")
        fits.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        booted = lawfit.bootstrap(full, runs, n_resamples=args.resamples, seed=repeat)
        boots.append(time.perf_counter() - t0)

    fit_s, boot_s = statistics.median(fits), statistics.median(boots)
    se = booted.stderr
    print(f"data: {len(runs)} runs (bundled Chinchilla, 5 highest-loss dropped)")
    print(f"reference  one fit from 4,500 starts (median of {args.repeats})       : {fit_s:8.4f} s")
    print(f"lawfit     bootstrap, {args.resamples:,} resamples (median of {args.repeats})   : {boot_s:8.4f} s")
    print(f"per resample                                          : {1e3 * boot_s / args.resamples:8.4f} ms")
    print(f"ratio      bootstrap / one fit                        : {boot_s / fit_s:8.1f}   (target <= 100)")
    print(
        f"stderr     alpha {se['alpha']:.4f}, beta {se['beta']:.4f}, E {se['E']:.4f}  "
        "(Besiroglu et al. 2024: 0.015, 0.021, 0.026); "
        f"{int(booted.bootstrap.converged.sum()):,} of {args.resamples:,} refits converged"
    )


if __name__ == "__main__":
    main()
