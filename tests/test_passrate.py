"""Tiny pass rates (lawfit.capabilities.passrate, Hu et al. 2023's PassUntil) and the `lawfit passrate` verb."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom, nbinom

from lawfit.capabilities import PassRates, fit_pass_rate_law, pass_rate, pass_rates
from lawfit.cli import main
from lawfit.errors import DataError, LawfitError


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 5000).flatmap(lambda t: st.tuples(st.integers(0, t), st.just(t))), st.sampled_from([0.8, 0.9]))
def test_clopper_pearson_bounds_solve_the_binomial_tail_equations(st_, level) -> None:
    # The definition (Clopper & Pearson 1934): P(X >= s | low) = P(X <= s | high) = (1 - level) / 2.
    s, t = st_
    rate, low, high = pass_rate([s], [t], level=level)
    tail = (1 - level) / 2
    assert rate[0] == s / t and low[0] <= rate[0] <= high[0]
    if s > 0:
        assert binom.sf(s - 1, t, low[0]) == pytest.approx(tail, rel=1e-6)
    else:
        assert low[0] == 0
    if s < t:
        assert binom.cdf(s, t, high[0]) == pytest.approx(tail, rel=1e-6)
    else:
        assert high[0] == 1


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3).flatmap(lambda s: st.tuples(st.just(s), st.integers(s + 1, 20_000))))
def test_the_interval_of_sampling_until_a_success_is_exact_for_that_design(st_) -> None:
    # Attempts T until the s-th success: P(T <= t | low) = P(T >= t | high) = 5% (nbinom counts failures, T - s).
    s, t = st_
    _, low, high = pass_rate([s], [t], until=True)
    assert nbinom.cdf(t - s, s, low[0]) == pytest.approx(0.05, rel=1e-6)
    assert nbinom.sf(t - s - 1, s, high[0]) == pytest.approx(0.05, rel=1e-6)
    _, _, cp_high = pass_rate([s], [t])
    assert high[0] < cp_high[0]  # the last attempt was bound to succeed: a tighter upper bound than Clopper-Pearson


def test_pass_rates_from_attempts_until_the_first_success() -> None:
    table = {
        "model": ["small", "small", "small", "big", "big"],
        "params": [1e8, 1e8, 1e8, 1e9, 1e9],
        "attempts": [3000, 5000, 2000, 40, 60],
    }
    rates = pass_rates(table)
    assert rates.until and rates.x_name == "N" and rates.models == ("small", "big")
    assert rates.rate.tolist() == [3 / 10_000, 2 / 100]
    assert rates.mean_instance_rate[0] == pytest.approx((1 / 3000 + 1 / 5000 + 1 / 2000) / 3)
    _, low, high = pass_rate([3, 2], [10_000, 100], until=True)
    np.testing.assert_array_equal(rates.low, low)
    np.testing.assert_array_equal(rates.high, high)
    assert set(rates.to_dict()["intervals"]["rate"]) == {"value", "low", "high", "level"}


def test_the_law_recovers_a_known_exponent_from_simulated_pass_until() -> None:
    rng = np.random.default_rng(0)
    sizes = np.array([1e8, 3e8, 1e9, 3e9, 1e10])
    truth = 1e-5 * (sizes / 1e8) ** 1.2  # 1e-5 to 2.5e-3: far below 1/k for any affordable k
    rows = {"model": [], "N": [], "attempts": []}
    for size, p in zip(sizes, truth, strict=True):
        attempts = rng.geometric(p, size=40)
        rows["model"] += [f"{size:g}"] * 40
        rows["N"] += [size] * 40
        rows["attempts"] += attempts.tolist()
    law = fit_pass_rate_law(pass_rates(rows), n_resamples=300, seed=1)
    assert law.low["b"] <= 1.2 <= law.high["b"] and abs(law.b - 1.2) < 0.1
    rate, low, high = law.predict([1e11])
    assert low[0] <= 1e-5 * 1000**1.2 <= high[0]
    assert low[0] < rate[0] < high[0]


def test_a_model_without_a_success_still_counts_in_the_law() -> None:
    table = {"model": ["a", "b", "c"], "N": [1e8, 1e9, 1e10], "n_samples": [1000, 1000, 1000], "n_correct": [0, 3, 40]}
    rates = pass_rates(table)
    assert not rates.until and rates.rate[0] == 0 and rates.high[0] == pytest.approx(1 - 0.05 ** (1 / 1000))
    law = fit_pass_rate_law(rates, n_resamples=0)
    assert 0 < law.predict([1e8])[0][0] < 3e-3  # below the upper bound of the model with 0 of 1000


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"model": ["a"], "N": [1e8], "n_samples": [10], "n_correct": [11]}, "11 successes in 10 attempts"),
        ({"model": ["a"], "N": [1e8], "n_samples": [10], "n_correct": [-1]}, "counts >= 0"),
        ({"model": ["a"], "N": [1e8], "attempts": [2.5]}, "whole numbers"),
        ({"model": ["a"], "N": [1e8], "attempts": [0]}, "0 attempts"),
        ({"model": ["a", "a"], "N": [1e8, 2e8], "attempts": [5, 6]}, "more than one N"),
        ({"model": ["a"], "attempts": [5]}, "no column of sizes N or compute C"),
    ],
)
def test_bad_tables_give_one_clear_error(table, message) -> None:
    with pytest.raises(LawfitError) as caught:
        pass_rates(table)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_law_needs_two_sizes_and_a_success() -> None:
    with pytest.raises(DataError, match="two N values"):
        fit_pass_rate_law(pass_rates({"model": ["a"], "N": [1e8], "attempts": [5]}))
    zero = {"model": ["a", "b"], "N": [1e8, 1e9], "n_samples": [10, 10], "n_correct": [0, 0]}
    with pytest.raises(DataError, match="No model has a success"):
        fit_pass_rate_law(pass_rates(zero))
    with pytest.raises(LawfitError, match="PassRates"):
        fit_pass_rate_law({"not": "rates"})  # type: ignore[arg-type]
    assert isinstance(pass_rates(zero), PassRates)


def test_cli_passrate_json_and_errors(tmp_path: Path, capsys) -> None:
    path = tmp_path / "until.csv"
    path.write_text("model,N,attempts\ns,1e8,3000\ns,1e8,5000\nm,1e9,400\nm,1e9,250\nb,1e10,30\nb,1e10,20\n")
    status = main(["passrate", str(path), "--predict", "1e11", "--bootstrap", "200", "--json"])
    out = capsys.readouterr()
    assert status == 0 and not out.err
    record = json.loads(out.out)
    assert record["rates"]["rate"] == [2 / 8000, 2 / 650, 2 / 50]
    interval = record["predict"]["intervals"]["rate"]
    assert interval["level"] == 0.9 and interval["low"][0] <= interval["value"][0] <= interval["high"][0]
    assert record["law"]["intervals"]["b"]["low"] <= record["law"]["b"] <= record["law"]["intervals"]["b"]["high"]
    bad = tmp_path / "bad.csv"
    bad.write_text("model,N,n_samples,n_correct\na,1e8,10,11\n")
    assert main(["passrate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "successes must be at most attempts" in err
