"""Repeated-sampling coverage (lawfit.capabilities.coverage) and the `lawfit coverage` verb.

Reference data: Brown et al. 2024's per-problem counts and coverage curves for Pythia 70M-12B on 128 MATH problems,
with the exponentiated power law fits of their PROVENANCE.md (tests/data/sampling_coverage_brown2024/).
"""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lawfit.capabilities import (
    SuccessDistribution,
    compute_matched,
    coverage_curve,
    fit_exp_power_law,
    fit_success_distribution,
    forecast_coverage,
    pass_at_k,
    read_counts,
    subsample_counts,
)
from lawfit.cli import main
from lawfit.errors import DataError, LawfitError

DATA = Path(__file__).parent / "data" / "sampling_coverage_brown2024"
COUNTS = DATA / "pythia_math_per_problem_counts.csv"
CURVES = DATA / "pythia_math_coverage_curves.csv"
# PROVENANCE.md, "Reference fits on the Pythia MATH curves": a, b of log c = a k^b, printed to 3 decimals.
PUBLISHED = {
    "Pythia 70M": (-7.567, -0.182),
    "Pythia 160M": (-6.234, -0.259),
    "Pythia 410M": (-5.270, -0.270),
    "Pythia 1B": (-4.980, -0.286),
    "Pythia 2.8B": (-4.021, -0.321),
    "Pythia 6.9B": (-4.131, -0.330),
    "Pythia 12B": (-3.898, -0.344),
}


@pytest.fixture(scope="module")
def counts() -> dict:
    return read_counts(COUNTS)


# ---------------------------------------------------------------------------------------------------------------
# The unbiased estimator


def _brute_force(n: int, c: int, k: int) -> Fraction:
    """The share of all k-subsets of n outcomes (the first c correct) that hold a correct one."""
    subsets = list(itertools.combinations(range(n), k))
    return Fraction(sum(any(i < c for i in subset) for subset in subsets), len(subsets))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 9).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_k_equals_enumeration_of_all_k_subsets(nck) -> None:
    n, c, k = nck
    assert pass_at_k([n], [c], [k])[0, 0] == pytest.approx(float(_brute_force(n, c, k)), abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.integers(1, 10_000), min_size=2, max_size=30, unique=True))
def test_pass_at_k_is_finite_and_monotone_in_k_for_10000_samples(c, ks) -> None:
    ks = sorted(ks)
    values = pass_at_k([10_000], [c], ks)[0]
    assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1))
    assert np.all(np.diff(values) >= 0)
    if c == 0:
        assert not values.any()


@pytest.mark.parametrize(("c", "k"), [(1, 1), (3, 2), (17, 500), (250, 40), (9_990, 5), (5_000, 4_999), (1, 9_999)])
def test_pass_at_k_is_exact_at_10000_samples(c: int, k: int) -> None:
    # The complement of C(n-c, k)/C(n, k) in exact rational arithmetic: the relative error is at rounding level,
    # also where the estimate is tiny (1e-4 at c = k = 1), which a difference of log-gammas would lose.
    n = 10_000
    exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
    assert pass_at_k([n], [c], [k])[0, 0] == pytest.approx(float(exact), rel=1e-12)


def test_pass_at_k_vectorises_over_problems_and_k_and_mixed_sample_counts() -> None:
    n, c, k = [10, 12, 10_000], [2, 0, 37], [1, 5, 10]
    table = pass_at_k(n, c, k)
    for i, j in itertools.product(range(3), range(3)):
        exact = 1 - Fraction(math.comb(n[i] - c[i], k[j]), math.comb(n[i], k[j]))
        assert table[i, j] == pytest.approx(float(exact), rel=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# Coverage curves and the exponentiated power law on the bundled data


def test_coverage_curves_from_the_counts_equal_the_bundled_curves(counts) -> None:
    curves = pd.read_csv(CURVES)
    assert set(curves["model"]) == set(counts)
    for model, rows in curves.groupby("model"):
        n, c = counts[model]
        assert n.size == 128 and np.all(n == 10_000)
        curve = coverage_curve(n, c, k=rows["k"].to_numpy(), n_resamples=0)
        np.testing.assert_allclose(curve.coverage, rows["coverage"].to_numpy(), rtol=1e-12, atol=1e-15)


def test_exponentiated_power_law_reproduces_the_provenance_table() -> None:
    curves = pd.read_csv(CURVES)
    for model, (a, b) in PUBLISHED.items():
        rows = curves[curves["model"] == model]
        law = fit_exp_power_law(rows["k"].to_numpy(), rows["coverage"].to_numpy())
        assert (round(law.a, 3), round(law.b, 3)) == (a, b), model


def test_the_bootstrap_band_is_seeded_and_holds_the_curve(counts) -> None:
    n, c = counts["Pythia 1B"]
    one = coverage_curve(n, c, k=[1, 100, 10_000], n_resamples=300, seed=4)
    again = coverage_curve(n, c, k=[1, 100, 10_000], n_resamples=300, seed=4)
    other = coverage_curve(n, c, k=[1, 100, 10_000], n_resamples=300, seed=5)
    np.testing.assert_array_equal(one.low, again.low)
    assert not np.array_equal(one.low, other.low)
    assert np.all(one.low <= one.coverage) and np.all(one.coverage <= one.high)
    # Over 128 problems the band of a share near 0.74 is about +-0.06 wide at 90% (binomial sd 0.039).
    assert 0.08 < one.high[2] - one.low[2] < 0.18
    record = one.to_dict()
    assert set(record["intervals"]["coverage"]) == {"value", "low", "high", "level"}


# ---------------------------------------------------------------------------------------------------------------
# The per-problem Beta and the forecast


def test_the_beta_fit_is_the_maximum_of_the_beta_binomial_likelihood(counts) -> None:
    from scipy.optimize import minimize
    from scipy.special import betaln

    n, c = subsample_counts(*counts["Pythia 410M"], 100, seed=3)

    def nll(q):
        return -np.sum(betaln(c + np.exp(q[0]), n - c + np.exp(q[1])) - betaln(np.exp(q[0]), np.exp(q[1])))

    reference = minimize(nll, [0.0, 1.0], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12}).x
    dist = fit_success_distribution(n, c)
    assert math.log(dist.alpha) == pytest.approx(reference[0], abs=1e-4)
    assert math.log(dist.beta) == pytest.approx(reference[1], abs=1e-4)


def test_the_beta_coverage_matches_monte_carlo_at_any_k() -> None:
    rng = np.random.default_rng(0)
    dist = fit_success_distribution(np.full(2000, 40), rng.binomial(40, rng.beta(0.25, 9.0, size=2000)))
    p = rng.beta(dist.alpha, dist.beta, size=400_000)
    for k in (1, 37.5, 1e4):
        assert float(dist.coverage(k)) == pytest.approx(np.mean(1 - (1 - p) ** k), abs=3e-3)


def _kumaraswamy_draws(rng: np.random.Generator, a: float, b: float, size: int) -> np.ndarray:
    """Draws of a Kumaraswamy(a, b) by inverting its CDF 1 - (1 - p**a)**b."""
    return (1 - (1 - rng.random(size)) ** (1 / b)) ** (1 / a)


def test_the_kumaraswamy_cell_likelihood_matches_quadrature() -> None:
    from scipy.integrate import quad
    from scipy.special import betaln

    from lawfit.capabilities.coverage import _EDGES, _cell_log_likelihood, _kumaraswamy_cells

    a, b = 0.3, 6.0
    mass = _kumaraswamy_cells(np.log([[a, b]]))[0][0]
    assert mass.sum() == pytest.approx(1.0, abs=1e-12) and np.all(mass >= 0)
    first = math.log(_EDGES[1] / (1 - _EDGES[1]))  # the first cell, [0, p_1], is taken whole below
    for n, c in ((100, 0), (100, 3), (10_000, 2), (10_000, 2_500)):
        log_scale = betaln(c + 1, n - c + 1)

        def integrand(t: float, n: int = n, c: int = c, log_scale: float = log_scale) -> float:
            # The density times p^c (1-p)^(n-c) / B(c+1, n-c+1), in logit p (dp = p (1-p) dt).
            p = 1 / (1 + math.exp(-t))
            density = a * b * p ** (a - 1) * (1 - p**a) ** (b - 1)
            return density * math.exp((c + 1) * math.log(p) + (n - c + 1) * math.log1p(-p) - log_scale)

        peak = math.log((c + 0.5) / (n - c + 0.5))
        low = first if c == 0 else peak - 12
        exact = quad(integrand, low, peak + 12, limit=400, points=[peak], epsabs=0, epsrel=1e-10)[0]
        if c == 0:  # the Kumaraswamy's mass below p_1, where (1-p)^n is 1 to 1e-9
            exact += (1 - (1 - _EDGES[1] ** a) ** b) * math.exp(-log_scale)
        cells = _cell_log_likelihood(np.array([float(n)]), np.array([float(c)]))[0]
        approx = float(np.sum(mass * np.exp(cells - log_scale)))
        assert approx == pytest.approx(exact, rel=2e-3), (n, c)


@pytest.mark.parametrize(("a", "b"), [(0.3, 6.0), (0.5, 3.0)])
def test_the_kumaraswamy_fit_recovers_its_parameters_from_simulated_counts(a: float, b: float) -> None:
    rng = np.random.default_rng(7)
    p = _kumaraswamy_draws(rng, a, b, 4000)
    dist = fit_success_distribution(np.full(4000, 200), rng.binomial(200, p), family="kumaraswamy")
    assert dist.converged and dist.family == "kumaraswamy" and dist.weight == 0.0 and math.isnan(dist.alpha)
    assert dist.kumaraswamy_a == pytest.approx(a, rel=0.1) and dist.kumaraswamy_b == pytest.approx(b, rel=0.25)
    # Its coverage is that of the simulated rates, at k within the samples and far beyond them.
    for k in (1, 200, 10_000):
        assert float(dist.coverage(k)) == pytest.approx(np.mean(1 - (1 - p) ** k), abs=0.02)


def test_the_average_weighs_the_family_that_generated_the_counts() -> None:
    # With 100 samples per problem the two families differ little: it takes many problems to tell them apart.
    rng = np.random.default_rng(3)
    n = np.full(20_000, 100)
    from_beta = fit_success_distribution(n, rng.binomial(100, rng.beta(0.2, 8.0, size=20_000)))
    from_kuma = fit_success_distribution(n, rng.binomial(100, _kumaraswamy_draws(rng, 0.4, 3.0, 20_000)))
    assert from_beta.weight > 0.99 and from_kuma.weight < 0.01
    for dist in (from_beta, from_kuma):
        # The average's likelihood is the mean of the two families': never below the better one's less log 2.
        best = max(dist.beta_log_likelihood, dist.kumaraswamy_log_likelihood)
        assert best - math.log(2) <= dist.log_likelihood <= best
        assert dist.converged and dist.family == "average"
        assert json.dumps(dist.to_dict()) and "Kumaraswamy(a = " in dist.summary()


def test_the_beta_family_alone_is_the_former_beta_fit(counts) -> None:
    n, c = subsample_counts(*counts["Pythia 1B"], 100, seed=0)
    alone, average = fit_success_distribution(n, c, family="beta"), fit_success_distribution(n, c)
    assert (alone.alpha, alone.beta) == (average.alpha, average.beta)
    assert alone.weight == 1.0 and math.isnan(alone.kumaraswamy_a) and alone.log_likelihood == alone.beta_log_likelihood
    beta_only = forecast_coverage(n, c, [10_000], n_resamples=0, family="beta")
    theta_cov = SuccessDistribution(alone.alpha, alone.beta, 0.0, 128)
    assert 0 < beta_only.coverage[0] < 1 and theta_cov.family == "beta"


@pytest.mark.parametrize("family", ["average", "beta", "kumaraswamy"])
def test_coverage_rises_with_k_and_the_forecast_is_seeded(counts, family: str) -> None:
    n, c = subsample_counts(*counts["Pythia 410M"], 100, seed=1)
    ks = [1, 10, 100, 1_000, 10_000, 100_000]
    dist = fit_success_distribution(n, c, family=family)
    curve = dist.coverage(np.array(ks, dtype=float))
    assert np.all(np.diff(curve) > 0) and 0 < curve[0] and curve[-1] < 1
    one = forecast_coverage(n, c, ks, n_resamples=60, seed=4, family=family)
    again = forecast_coverage(n, c, ks, n_resamples=60, seed=4, family=family)
    other = forecast_coverage(n, c, ks, n_resamples=60, seed=5, family=family)
    assert np.all(np.diff(one.coverage) > 0)
    np.testing.assert_array_equal(one.coverage, again.coverage)
    np.testing.assert_array_equal(one.low, again.low)
    np.testing.assert_array_equal(one.high, again.high)
    assert not (np.array_equal(one.low, other.low) and np.array_equal(one.high, other.high))
    assert np.all(one.low <= one.coverage + 0.02) and np.all(one.coverage <= one.high + 0.02)
    assert one.coverage.dtype == np.float64 and one.to_dict()["distribution"]["family"] == family


@pytest.mark.parametrize("call", [fit_success_distribution, forecast_coverage])
def test_an_unknown_family_is_one_clear_error(call) -> None:
    args = ([10, 10], [1, 0]) if call is fit_success_distribution else ([10, 10], [1, 0], [100])
    with pytest.raises(LawfitError) as caught:
        call(*args, family="gamma")
    message = str(caught.value)
    assert "family" in message and "'average', 'beta', 'kumaraswamy'" in message and "\n" not in message


def test_forecast_from_full_counts_at_k_within_them_matches_the_estimator(counts) -> None:
    # With 10,000 samples each, every problem's posterior is sharp: at k = 100 the forecast is the curve.
    n, c = counts["Pythia 2.8B"]
    forecast = forecast_coverage(n, c, [100], n_resamples=0)
    assert forecast.coverage[0] == pytest.approx(pass_at_k(n, c, [100]).mean(), abs=2e-3)


def _backtest(counts: dict, seeds: range, n_resamples: int) -> dict[str, tuple[float, np.ndarray]]:
    rows = {}
    for model, (n, c) in counts.items():
        truth = float(pass_at_k(n, c, [10_000]).mean())
        out = []
        for seed in seeds:
            few = subsample_counts(n, c, 100, seed=seed)
            result = forecast_coverage(*few, [10_000], n_resamples=n_resamples, seed=seed)
            out.append((result.coverage[0], result.low[0], result.high[0]))
        rows[model] = (truth, np.array(out))
    return rows


# The targets: mean absolute error <= 0.03 over the 7 models, and the 90% interval covering the truth for at
# least 6 of 7. Measured (benchmarks/bench_coverage.py, 20 seeds, 400 resamples, the default Beta-Kumaraswamy average):
# mean absolute error 0.060 (the MAE target is NOT met; 0.066 with the Beta alone; the power law fitted to the exact
# curve up to k = 100 misses by 0.046), the interval covers in 94% of the 140 (model, seed) cases and for each of the
# 7 models in at least half its seeds (160M: 60%). The bounds below sit a little above the measured figures, to catch
# a regression, not to claim the targets.


def test_forecast_at_10000_from_100_samples_fast(counts) -> None:
    """3 seeds, 200 resamples; measured: mean absolute error 0.032 (0.054 with the Beta alone), 21 of 21 intervals
    cover (3 seeds are lucky: over 20 the error is 0.060)."""
    rows = _backtest(counts, range(3), 200)
    errors = np.array([np.abs(fc[:, 0] - truth) for truth, fc in rows.values()])
    inside = np.array([(fc[:, 1] <= truth) & (truth <= fc[:, 2]) for truth, fc in rows.values()])
    assert errors.mean() <= 0.045
    assert inside.mean() >= 19 / 21


@pytest.mark.slow
def test_forecast_at_10000_from_100_samples_20_seeds(counts) -> None:
    """The benchmark's check: 20 seeds, 400 resamples."""
    rows = _backtest(counts, range(20), 400)
    errors = np.array([np.abs(fc[:, 0] - truth) for truth, fc in rows.values()])
    inside = np.array([(fc[:, 1] <= truth) & (truth <= fc[:, 2]) for truth, fc in rows.values()])
    assert errors.mean() <= 0.07
    assert inside.mean() >= 0.88
    assert (inside.mean(axis=1) >= 0.5).sum() >= 6


# ---------------------------------------------------------------------------------------------------------------
# Compute-matched comparison


def test_compute_matched_uses_the_samples_each_model_affords(counts) -> None:
    small, big = counts["Pythia 160M"], counts["Pythia 12B"]
    result = compute_matched({"small": small, "big": big}, {"small": 1.0, "big": 74.0}, [74.0, 7400.0, 740_000.0])
    assert result.samples.tolist() == [[74, 7400, 740_000], [1, 100, 10_000]]
    assert result.coverage[0, 0] == pytest.approx(pass_at_k(*small, [74]).mean(), rel=1e-12)
    assert result.coverage[1, 1] == pytest.approx(pass_at_k(*big, [100]).mean(), rel=1e-12)
    assert result.forecast.tolist() == [[False, False, True], [False, False, False]]
    assert result.best == tuple(("small", "big")[i] for i in np.argmax(result.coverage, axis=0))
    assert "best" in result.summary() and json.dumps(result.to_dict())


# ---------------------------------------------------------------------------------------------------------------
# Bad input, one clear message each


@pytest.mark.parametrize(
    ("n", "c", "k", "message"),
    [
        ([10], [11], [1], "c = 11 correct of n = 10 samples: c must be at most n"),
        ([10], [-1], [1], "must hold counts >= 0. Got -1"),
        ([-3], [0], [1], "must hold counts >= 0. Got -3"),
        ([10], [2], [11], "needs k <= n for every problem; k = 11 exceeds n = 10"),
        ([10], [2.5], [1], "must hold whole numbers (counts of samples). Got 2.5"),
        ([0], [0], [1], "Problem 0 has n = 0 samples"),
        ([10], [2], [0], "The 'k' parameter of pass_at_k must be whole numbers >= 1"),
    ],
)
def test_bad_counts_give_one_clear_error(n, c, k, message) -> None:
    with pytest.raises(LawfitError) as caught:
        pass_at_k(n, c, k)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_read_counts_maps_columns_and_names_a_missing_one() -> None:
    table = {"who": ["x", "x", "y"], "drawn": [5, 5, 8], "right": [0, 5, 3]}
    counts = read_counts(table, columns={"model": "who", "n": "drawn", "c": "right"})
    assert list(counts) == ["x", "y"] and counts["x"][1].tolist() == [0, 5] and counts["y"][0].tolist() == [8]
    with pytest.raises(DataError, match="The column 'gone' mapped to c is not in the table"):
        read_counts(table, columns={"n": "drawn", "c": "gone"})
    with pytest.raises(DataError, match=r"In the table from the mapping \(model 'y'\): Problem 0 has c = 9"):
        read_counts({"model": ["x", "y"], "n": [5, 8], "c": [1, 9]})


def test_a_forecast_without_any_success_says_why() -> None:
    with pytest.raises(DataError, match="at least one correct sample"):
        forecast_coverage([100, 100], [0, 0], [1000])


def _cli(argv: list[str], capsys) -> tuple[int, str, str]:
    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.mark.parametrize(
    ("rows", "argv", "message"),
    [
        ("n_samples,n_correct\n10,11\n", [], "c must be at most n"),
        ("n_samples,n_correct\n10,-2\n", [], "counts >= 0"),
        ("n_samples,n_correct\n10,2\n", ["--samples-per-problem", "20"], "Cannot draw 20 samples without replacement"),
        ("n_samples,n_correct\n10,2.5\n", [], "whole numbers"),
        ("n_samples,n_correct\n0,0\n", [], "n = 0 samples"),
        ("n_samples,n_correct\n10,two\n", [], "must hold whole counts"),
        ("samples_total,n_correct\n10,2\n", [], "no column of the samples drawn"),
    ],
)
def test_cli_bad_input_is_one_line_and_status_2(rows, argv, message, tmp_path: Path, capsys) -> None:
    path = tmp_path / "counts.csv"
    path.write_text(rows)
    status, out, err = _cli(["coverage", str(path), *argv, "--bootstrap", "0"], capsys)
    assert status == 2 and not out
    assert err.count("\n") == 1 and err.startswith("lawfit: error: ") and message in err


def test_cli_k_beyond_the_samples_is_a_forecast_not_an_estimate(tmp_path: Path, capsys) -> None:
    path = tmp_path / "counts.csv"
    path.write_text("n_samples,n_correct\n10,2\n10,0\n")
    status, out, _ = _cli(["coverage", str(path), "--k", "5,20", "--bootstrap", "0", "--json"], capsys)
    record = json.loads(out)["models"]["all"]
    assert status == 0 and record["curve"]["k"] == [5] and record["forecast"]["k"] == [5, 20]


def test_cli_coverage_json_from_100_samples(capsys) -> None:
    argv = ["coverage", str(COUNTS), "--model", "Pythia 12B", "--samples-per-problem", "100", "--k", "10,100,10000"]
    status, out, err = _cli([*argv, "--bootstrap", "100", "--seed", "2", "--json"], capsys)
    assert status == 0 and not err
    record = json.loads(out)["models"]["Pythia 12B"]
    assert record["samples_per_problem"] == 100 and record["curve"]["k"] == [10, 100]
    assert record["actual"]["coverage"][-1] == pytest.approx(0.875)  # 112 of 128 problems solved in 10,000
    forecast = record["forecast"]["intervals"]["coverage"]
    assert forecast["level"] == 0.9 and forecast["low"][-1] <= forecast["value"][-1] <= forecast["high"][-1]
    assert record["law"]["b"] < 0 and len(record["forecast"]["law"]) == 3


def test_cli_coverage_compute_matched_table(capsys) -> None:
    argv = ["coverage", str(COUNTS), "--model", "Pythia 70M", "--model", "Pythia 12B", "--bootstrap", "0"]
    flops = ["--flops-per-sample", "Pythia 70M=7.2e10", "--flops-per-sample", "Pythia 12B=1.2e13"]
    status, out, _ = _cli([*argv, *flops, "--compute", "1.2e13,1.2e15", "--json"], capsys)
    matched = json.loads(out)["compute_matched"]
    assert status == 0 and matched["samples"] == [[166, 16666], [1, 100]]
    status, _, err = _cli([*argv, "--compute", "1e13"], capsys)
    assert status == 2 and "--flops-per-sample" in err
