"""Benchmark: forecast the coverage at k = 10,000 of each Pythia model on MATH from 100 samples per problem.

Data: Brown et al. 2024's per-problem counts (128 MATH problems, 10,000 samples each, Pythia 70M-12B), bundled in
tests/data/sampling_coverage_brown2024/ with their provenance. For each model and seed, 100 samples per problem are
drawn without replacement from its 10,000 outcomes (hypergeometric), and :func:`lawfit.capabilities.forecast_coverage`
forecasts the coverage at k = 10,000 with a 90% interval; the truth is the coverage from all 10,000 samples.
The distribution of per-problem success is by default a Beta and a Kumaraswamy averaged by their likelihoods
(``--family average``); ``--family beta`` or ``kumaraswamy`` measures one family alone.

Targets (issue 16): mean absolute error over the 7 models <= 0.03; the 90% interval covers the truth for at least 6
of 7 models. Printed beside: the exponentiated power law (Brown et al.) fitted to the coverage curve up to k = 100
computed from all 10,000 samples, extrapolated to 10,000; the error floor of the setting (the same forecasts on
counts simulated from the Beta that lawfit fits to each model's 10,000 samples: a world where the family is exactly
right, so that what is left is the information 100 samples of 128 problems hold); and a compute-matched comparison
(FLOPs per sample = 2 N x tokens per sample, N the total parameters from the Pythia model cards, an assumed 512
tokens per sample).

Run: `python benchmarks/bench_coverage.py [--seeds 20] [--resamples 400] [--family average]` (about 7 minutes on an
idle core with the average, as the Kumaraswamy is refitted to every resample: 30 minutes measured with the 2 cores
shared by 7 busy processes; about a minute with --family beta).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from lawfit.capabilities import (
    compute_matched,
    coverage_curve,
    fit_exp_power_law,
    fit_success_distribution,
    forecast_coverage,
    read_counts,
    subsample_counts,
)

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "sampling_coverage_brown2024"
# Total parameters of the Pythia models (EleutherAI model cards, Biderman et al. 2023).
PARAMS = {
    "Pythia 70M": 70_426_624,
    "Pythia 160M": 162_322_944,
    "Pythia 410M": 405_334_016,
    "Pythia 1B": 1_011_781_632,
    "Pythia 2.8B": 2_775_208_960,
    "Pythia 6.9B": 6_857_302_016,
    "Pythia 12B": 11_846_072_320,
}
TOKENS_PER_SAMPLE = 512  # an assumption for the illustration: the data do not record sample lengths


def evaluate(
    counts: dict,
    seeds: int,
    resamples: int,
    samples: int = 100,
    k: int = 10_000,
    level: float = 0.9,
    family: str = "average",
):
    """Per model: the truth, and for each seed the forecast, its interval and whether it covered the truth."""
    rows = {}
    for model, (n, c) in counts.items():
        truth = float(coverage_curve(n, c, k=[k], n_resamples=0).coverage[0])
        forecasts = []
        for seed in range(seeds):
            n_few, c_few = subsample_counts(n, c, samples, seed=seed)
            result = forecast_coverage(n_few, c_few, [k], level=level, n_resamples=resamples, seed=seed, family=family)
            forecasts.append((result.coverage[0], result.low[0], result.high[0]))
        rows[model] = (truth, np.array(forecasts))
    return rows


def specified_world(counts: dict, seeds: int, family: str, samples: int = 100, k: int = 10_000) -> dict:
    """Per model, the forecasts' absolute errors (point forecasts, no resamples) in a world where the Beta family is
    exactly right: each seed draws every problem's success rate from the Beta fitted to the model's full counts,
    then ``n`` outcomes per problem (the truth: the share solved), then ``samples`` of them without replacement."""
    rng = np.random.default_rng(0)
    errors = {}
    for model, (n, c) in counts.items():
        world = fit_success_distribution(n, c, family="beta")
        found = []
        for seed in range(seeds):
            p = rng.beta(world.alpha, world.beta, size=len(n))
            full = rng.binomial(np.asarray(n), p)
            n_few, c_few = subsample_counts(n, full, samples, seed=seed)
            if not c_few.any():
                continue  # nothing to fit; the real data never come to this
            result = forecast_coverage(n_few, c_few, [k], n_resamples=0, family=family)
            found.append(abs(float(result.coverage[0]) - float(np.mean(full > 0))))
        errors[model] = np.array(found)
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--resamples", type=int, default=400)
    parser.add_argument("--family", choices=("average", "beta", "kumaraswamy"), default="average")
    args = parser.parse_args()

    counts = read_counts(DATA / "pythia_math_per_problem_counts.csv")
    started = time.perf_counter()
    rows = evaluate(counts, args.seeds, args.resamples, family=args.family)
    elapsed = time.perf_counter() - started

    print(
        f"forecast of coverage at k = 10,000 from 100 samples per problem, {args.seeds} seeds, 90% intervals, "
        f"family {args.family}"
    )
    print(
        f"  {'model':<12} {'truth':>6} {'mean fc':>8} {'MAE':>6} {'bias':>7} {'covered':>8} {'width':>6}"
        f"   {'power law (k<=100, all samples)':>31}"
    )
    maes, covered_models, baseline_errors = [], 0, []
    covered_by_seed = np.zeros(args.seeds, dtype=int)
    for model, (truth, fc) in rows.items():
        n, c = counts[model]
        curve = coverage_curve(n, c, k=[1, 2, 4, 8, 16, 32, 64, 100], n_resamples=0)
        baseline = float(fit_exp_power_law(curve).predict(10_000))
        baseline_errors.append(abs(baseline - truth))
        error = fc[:, 0] - truth
        inside = (fc[:, 1] <= truth) & (truth <= fc[:, 2])
        covered_by_seed += inside
        maes.append(np.mean(np.abs(error)))
        covered_models += bool(inside.mean() >= 0.5)
        print(
            f"  {model:<12} {truth:>6.3f} {fc[:, 0].mean():>8.3f} {maes[-1]:>6.3f} {error.mean():>+7.3f} "
            f"{inside.mean():>8.0%} {np.mean(fc[:, 2] - fc[:, 1]):>6.3f}   {baseline:>20.3f} "
            f"(error {baseline - truth:+.3f})"
        )
    print(
        f"\nmean absolute error over the 7 models: {np.mean(maes):.4f} (target <= 0.03); "
        f"power law baseline: {np.mean(baseline_errors):.4f} (range {min(baseline_errors):.3f}-"
        f"{max(baseline_errors):.3f})"
    )
    print(
        f"models whose interval covers the truth in at least half the seeds: {covered_models} of 7 (target >= 6); "
        f"models covered per seed: median {int(np.median(covered_by_seed))}, min {covered_by_seed.min()}, "
        f"share of all (model, seed) intervals covering: {covered_by_seed.sum() / (7 * args.seeds):.1%}"
    )
    print(f"time: {elapsed:.1f} s for {7 * args.seeds} forecasts with {args.resamples} resamples each\n")

    floor = specified_world(counts, args.seeds, args.family)
    print(
        "error floor: the same forecasts (family "
        f"{args.family}) on counts simulated from the Beta fitted to each model's 10,000 samples, {args.seeds} "
        "worlds each:"
    )
    print("  " + "  ".join(f"{model.removeprefix('Pythia ')} {e.mean():.3f}" for model, e in floor.items()))
    print(
        f"  mean absolute error over the 7 models: {np.mean([e.mean() for e in floor.values()]):.4f} (a correctly "
        "specified family; the target 0.03 asks for less than this)\n"
    )

    flops = {model: 2.0 * PARAMS[model] * TOKENS_PER_SAMPLE for model in counts}
    budgets = flops["Pythia 12B"] * np.array([1, 10, 100, 1000, 10_000])
    print(f"compute-matched (FLOPs per sample = 2 N x {TOKENS_PER_SAMPLE} tokens), budgets per problem:")
    print(compute_matched(counts, flops, budgets).summary())


if __name__ == "__main__":
    main()
