"""Bootstrap intervals: Besiroglu et al.'s standard errors, coverage on synthetic data, determinism, saving, errors."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lawfit
from lawfit.cli import main
from lawfit.uncertainty import resample_weights

# Besiroglu et al. 2024 ("Chinchilla Scaling: A replication attempt", Table 1): bootstrap standard errors of the
# Approach 3 fit on the reconstructed data, 4,000 resamples.
BESIROGLU_SE = {"alpha": 0.015, "beta": 0.021, "E": 0.026}

# The synthetic law of the coverage test: Hoffmann et al.'s published Approach 3 parameters.
TRUTH = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}


@pytest.fixture(scope="module")
def chinchilla_4000(chinchilla_fit: lawfit.Fit, chinchilla_240: lawfit.Runs) -> lawfit.Fit:
    return lawfit.bootstrap(chinchilla_fit, chinchilla_240, n_resamples=4000, seed=0)


def test_bootstrap_standard_errors_match_besiroglu(chinchilla_4000: lawfit.Fit) -> None:
    se = chinchilla_4000.stderr
    for name, published in BESIROGLU_SE.items():
        assert published / 1.5 <= se[name] <= published * 1.5, (name, se[name])
    assert chinchilla_4000.bootstrap.converged.mean() > 0.99


def test_intervals_hold_the_estimate_and_widen_with_the_level(chinchilla_4000: lawfit.Fit) -> None:
    narrow, wide = chinchilla_4000.intervals(0.5), chinchilla_4000.intervals(0.95)
    for name, value in chinchilla_4000.params.items():
        assert wide[name][0] < narrow[name][0] < value < narrow[name][1] < wide[name][1], name


def test_prediction_and_derived_intervals(chinchilla_4000: lawfit.Fit) -> None:
    f = chinchilla_4000
    low, high = f.predict_interval(0.9, N=70e9, D=1.4e12, of="law")
    assert low < f.predict(N=70e9, D=1.4e12) < high
    assert high - low < 0.05  # the law's own uncertainty at Chinchilla itself: a tight band
    # The compute-optimal exponent beta/(alpha+beta): Besiroglu et al. report 0.513 with SE 0.020.
    value, lo, hi = f.quantity_interval(lambda p: p["beta"] / (p["alpha"] + p["beta"]), level=0.95)
    assert value == pytest.approx(0.5138, abs=2e-3)
    assert lo < value < hi and 0.02 < hi - lo < 0.2


def test_predictions_far_out_are_wider() -> None:
    f = _synthetic_fit(seed=3, n_resamples=200)
    near = np.subtract(*f.predict_interval(0.9, N=1e9, D=2e10)[::-1])
    with pytest.warns(lawfit.ExtrapolationWarning):
        far = np.subtract(*f.predict_interval(0.9, N=1e12, D=2e13)[::-1])
    assert far > 2 * near


def _synthetic_runs(seed: int, noise: float = 0.01) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_list, d_list = [], []
    for c in (1e18, 3e18, 1e19, 3e19, 1e20):
        centre = np.sqrt(c / 120.0)  # N at 20 tokens per parameter
        n = centre * np.logspace(-1, 1, 8)
        n_list.append(n)
        d_list.append(c / (6.0 * n))
    n, d = np.concatenate(n_list), np.concatenate(d_list)
    clean = TRUTH["E"] + TRUTH["A"] / n ** TRUTH["alpha"] + TRUTH["B"] / d ** TRUTH["beta"]
    return {"N": n, "D": d, "loss": clean * np.exp(noise * rng.standard_normal(len(n)))}


def _synthetic_fit(seed: int, n_resamples: int) -> lawfit.Fit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.LawfitWarning)
        return lawfit.fit(_synthetic_runs(seed), "chinchilla", objective="mse-log", n_resamples=n_resamples, seed=seed)


def test_coverage_of_the_90_percent_interval_at_10x_the_largest_compute() -> None:
    # 100 replications of 40 runs with 1% log-normal noise; the 90% interval of the loss at C = 1e21 (10x the
    # largest budget, 20 tokens per parameter) should cover the true loss about 90% of the time.
    c = 1e21
    n = np.sqrt(c / 120.0)
    d = 20.0 * n
    truth = TRUTH["E"] + TRUTH["A"] / n ** TRUTH["alpha"] + TRUTH["B"] / d ** TRUTH["beta"]
    covered = []
    for rep in range(100):
        f = _synthetic_fit(seed=1000 + rep, n_resamples=200)
        low, high = f.predict_interval(0.9, N=n, D=d, of="law")  # of the true (expected) loss: the law's interval
        covered.append(low <= truth <= high)
    assert 0.80 <= np.mean(covered) <= 0.97, np.mean(covered)


def test_same_seed_same_draws_other_seed_other_draws(chinchilla_fit, chinchilla_240) -> None:
    a = lawfit.bootstrap(chinchilla_fit, chinchilla_240, n_resamples=50, seed=7)
    b = lawfit.bootstrap(chinchilla_fit, chinchilla_240, n_resamples=50, seed=7)
    c = lawfit.bootstrap(chinchilla_fit, chinchilla_240, n_resamples=50, seed=8)
    np.testing.assert_array_equal(a.bootstrap.draws, b.bootstrap.draws)
    assert not np.allclose(a.bootstrap.draws, c.bootstrap.draws)


@settings(max_examples=30, deadline=None)
@given(
    n_runs=st.integers(2, 40),
    n_resamples=st.integers(1, 20),
    seed=st.integers(0, 2**31),
    n_groups=st.integers(1, 6),
)
def test_resampled_counts_keep_the_size_and_whole_groups(n_runs, n_resamples, seed, n_groups) -> None:
    counts = resample_weights(n_runs, n_resamples, seed)
    assert counts.shape == (n_resamples, n_runs)
    np.testing.assert_array_equal(counts.sum(axis=1), n_runs)
    groups = np.arange(n_runs) % n_groups
    by_group = resample_weights(n_runs, n_resamples, seed, groups)
    for g in range(min(n_groups, n_runs)):
        members = by_group[:, groups == g]
        assert np.all(members == members[:, :1])  # a group is drawn whole, its runs all the same number of times


def test_group_resampling_widens_intervals_of_clustered_runs() -> None:
    # Each group shares one offset: resampling runs treats 8 correlated runs as 8 independent ones.
    rng = np.random.default_rng(0)
    n = np.repeat(np.logspace(7, 9.5, 6), 8)
    offsets = np.repeat(rng.normal(0, 0.03, 6), 8)
    loss = (2.0 + 300 * n**-0.3) * np.exp(offsets + 0.002 * rng.standard_normal(len(n)))
    data = {"N": n, "loss": loss, "group": np.repeat(np.arange(6), 8)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.LawfitWarning)
        by_run = lawfit.fit(data, "power", x="N", objective="mse-log", n_resamples=300, seed=1)
        by_group = lawfit.fit(data, "power", x="N", objective="mse-log", n_resamples=300, seed=1, resample="group")
    assert by_group.bootstrap.resample == "group"
    assert by_group.stderr["alpha"] > 2 * by_run.stderr["alpha"]


def test_draws_are_saved_and_loaded(chinchilla_fit, chinchilla_240, tmp_path) -> None:
    # 50 resamples, as in the other bootstraps of these runs here and in test_cli.py: one compiled batch size.
    f = lawfit.bootstrap(chinchilla_fit, chinchilla_240, n_resamples=50, seed=2)
    loaded = lawfit.load_fit(f.save(tmp_path / "f.json"))
    np.testing.assert_array_equal(loaded.bootstrap.draws, f.bootstrap.draws)
    assert loaded.bootstrap.seed == 2 and loaded.intervals(0.8) == f.intervals(0.8)


def test_no_draws_bad_level_and_too_few_resamples_are_explained(
    chinchilla_fit, chinchilla_240, chinchilla_fit_200
) -> None:
    with pytest.raises(lawfit.LawfitError, match=r"no bootstrap draws\. Fit with n_resamples=1000"):
        chinchilla_fit.intervals()
    f = chinchilla_fit_200  # any fit with draws (tests/conftest.py): no bootstrap of its own to compile
    with pytest.raises(lawfit.LawfitError, match=r"'level' parameter must be a float in \(0, 1\)"):
        f.intervals(95)
    with pytest.raises(lawfit.LawfitError, match="'n_resamples' parameter of bootstrap must be an integer >= 2"):
        lawfit.bootstrap(chinchilla_fit, chinchilla_240, n_resamples=1)
    with pytest.raises(lawfit.LawfitError, match="needs a 'group' column"):
        lawfit.bootstrap(chinchilla_fit, chinchilla_240, n_resamples=10, resample="group")
    with pytest.raises(lawfit.LawfitError, match="bootstrap the data that was fitted"):
        lawfit.bootstrap(chinchilla_fit, lawfit.datasets.chinchilla(), n_resamples=10)


def test_cli_fit_with_bootstrap_prints_stderr_and_intervals(capsys) -> None:
    argv = ["fit", "--dataset", "chinchilla", "--drop-highest-loss", "5", "--law", "chinchilla"]
    # 50 resamples, as the other bootstraps of these runs from the command line (test_cli.py): one compiled program.
    assert main([*argv, "--bootstrap", "50", "--seed", "3", "--level", "0.9", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert set(record["stderr"]) == set(record["params"]) == set(record["intervals"])
    boot = record["bootstrap"]  # the saved file's record of the draws (Fit.to_dict)
    assert (boot["n_resamples"], boot["seed"], boot["resample"], sum(boot["converged"])) == (50, 3, "run", 50)
    assert len(boot["draws"]) == 50 and all(len(draw) == len(record["params"]) for draw in boot["draws"])
    for name, interval in record["intervals"].items():  # the one JSON shape of an interval (README: vocabulary)
        assert interval["level"] == 0.9 and interval["value"] == record["params"][name], name
        assert interval["low"] < interval["value"] < interval["high"], name
    assert main([*argv, "--bootstrap", "50", "--seed", "3", "--level", "0.95"]) == 0
    table = capsys.readouterr().out
    assert "95% interval" in table and "50 resamples of runs (seed 3), 50 refits converged" in table
    assert main([*argv, "--bootstrap", "50", "--level", "95"]) == 2
    assert "--level must be a float in (0, 1)" in capsys.readouterr().err  # in CLI words
