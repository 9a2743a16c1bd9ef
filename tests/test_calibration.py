"""Forecast intervals calibrated by scale: nested cuts, the error model, coverage on synthetic and real data."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import lawfit
from lawfit.calibration import Calibration, nested_backtests, nested_cuts
from lawfit.objectives import Objective
from lawfit.search import SearchOptions

# Hoffmann et al. 2022's published Approach 3 parameters: the synthetic truth.
TRUTH = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
_LIGHT = SearchOptions(n_explore=16, n_polish=2)


def _bent(n: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Chinchilla with a mild misspecification: beyond C = 1e19 the loss falls 0.5% per decade less than the law."""
    clean = lawfit.get_law("chinchilla").predict(TRUTH, N=n, D=d)
    decades = np.log10(6.0 * n * d) - 19.0
    return clean * (1.0 + 0.005 * np.logaddexp(0.0, np.log(10.0) * decades) / np.log(10.0))


def _sizes(budgets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """8 runs per budget, N from 1/4 to 4 times the size at 20 tokens per parameter."""
    n = np.concatenate([np.sqrt(c / 120.0) * np.logspace(-0.6, 0.6, 8) for c in budgets])
    c = np.repeat(budgets, 8)
    return n, c / (6.0 * n)


def _bent_runs(rng: np.random.Generator, noise: float = 0.005) -> dict[str, np.ndarray]:
    n, d = _sizes(np.logspace(17, 20, 7))
    return {"N": n, "D": d, "loss": _bent(n, d) * np.exp(noise * rng.standard_normal(n.size))}


@pytest.fixture(scope="module")
def chinchilla_240() -> lawfit.Runs:
    return lawfit.datasets.chinchilla(drop_highest_loss=5)


@pytest.fixture(scope="module")
def calibrated(chinchilla_240: lawfit.Runs) -> lawfit.Fit:
    return lawfit.fit(chinchilla_240, "chinchilla", calibrate=True)


# -- the nested cuts ----------------------------------------------------------------------------------------------


def test_nested_cuts_hold_out_the_largest_budgets_by_share() -> None:
    scale = np.repeat([1.0, 10.0, 100.0, 1000.0, 1e4], 10)  # 5 budgets of 10 runs
    cuts = nested_cuts(scale, np.ones(50), n_params=3)
    # 20% of the runs: the top budget; 30% and 40%: the top two; 50%: the top three (at least 2 budgets left).
    assert cuts == [100.0, 1000.0, 1e4]
    # Runs of zero weight count for nothing: with the two top budgets weightless, one cut is left.
    w = np.where(scale >= 1000.0, 0.0, 1.0)
    assert nested_cuts(scale, w, n_params=3) == [100.0]
    # A cut must leave n_params + 2 runs to fit: none does when the law has 19 parameters.
    assert nested_cuts(scale, np.ones(50), n_params=19) == [1000.0, 1e4]
    assert nested_cuts(scale, np.ones(50), n_params=40) == []


def test_nested_backtests_score_each_cut_on_the_runs_above_it(chinchilla_240: lawfit.Runs) -> None:
    law = lawfit.get_law("chinchilla")
    nb = nested_backtests(law, Objective(), chinchilla_240, chinchilla_240.weights)
    c = chinchilla_240.column("C")
    assert len(nb.cuts) == 4 and len(nb.results) == 4
    for j, cut in enumerate(nb.cuts):
        held = nb.cut_index == j
        assert held.sum() == np.count_nonzero(c >= cut)
        # Each cut's fit is the plain fit of the runs below it (same optimum as lawfit.fit on them).
        below = lawfit.fit(chinchilla_240.select(c < cut), law)
        assert nb.results[j].objective == pytest.approx(below.objective, rel=1e-6)
        top = c[c < cut].max()
        assert np.allclose(np.sort(nb.distance[held]), np.sort(np.log10(c[c >= cut] / top)))
    # The full fit is the plain fit of all the runs.
    assert nb.full.objective == pytest.approx(lawfit.fit(chinchilla_240, law).objective, rel=1e-9)


# -- the error model ----------------------------------------------------------------------------------------------


def _model(distance: np.ndarray, error: np.ndarray, cut_index: np.ndarray, sigma0: float = 0.01) -> Calibration:
    from lawfit.calibration import _growth

    return Calibration(
        by="C",
        top=1.0,
        sigma0=sigma0,
        k=_growth(distance, error, sigma0),
        distance=distance,
        error=error,
        cut_index=cut_index,
        cuts=tuple(range(int(cut_index.max()) + 1)),
    )


def test_the_spread_grows_as_the_errors_do_and_the_intervals_cover_new_errors() -> None:
    rng = np.random.default_rng(0)
    d = rng.uniform(0.0, 2.0, 4000)
    e = np.sqrt(0.01**2 + (0.03 * d) ** 2) * rng.standard_normal(d.size)
    cal = _model(d, e, np.repeat(np.arange(4), 1000))
    assert cal.k == pytest.approx(0.03, rel=0.1)  # maximum likelihood recovers the growth per decade
    assert cal.widening(0.9) == pytest.approx(1.0, abs=0.1)  # the errors are stationary: no widening needed
    # Fresh errors at 3 decades (beyond any calibration point) fall inside the 90% interval about 90% of the time.
    fresh = np.sqrt(0.01**2 + (0.03 * 3.0) ** 2) * rng.standard_normal(4000)
    low, high = cal.interval(np.ones(fresh.size), np.full(fresh.size, 3.0), 0.9)
    actual = np.exp(fresh)
    assert np.mean((low <= actual) & (actual <= high)) == pytest.approx(0.9, abs=0.03)


def test_biased_errors_widen_both_sides_to_the_bias() -> None:
    rng = np.random.default_rng(1)
    d = rng.uniform(0.1, 1.0, 2000)
    e = 0.02 * d + 0.005 * rng.standard_normal(d.size)  # the law under-predicts, more so further out
    cal = _model(d, e, np.repeat(np.arange(4), 500))
    low, high = cal.interval(1.0, 1.0, 0.9)
    # Symmetric in log: the side the law erred to inside the runs is not trusted to hold beyond them.
    assert np.log(high) == pytest.approx(-np.log(low), rel=1e-12)
    # ... and as wide as the biased side needs: about 90% of fresh errors like these at d = 1 fall inside.
    fresh = np.exp(0.02 + 0.005 * rng.standard_normal(4000))
    assert np.mean((low <= fresh) & (fresh <= high)) == pytest.approx(0.9, abs=0.03)


def test_errors_that_grow_with_the_cut_widen_the_intervals() -> None:
    # Each higher cut errs twice as much as the one below at the same distance: misspecification that grows
    # with scale. The sequential check (cuts below predict the next one) must widen the pooled intervals.
    rng = np.random.default_rng(2)
    d = np.tile(rng.uniform(0.0, 1.0, 200), 4)
    index = np.repeat(np.arange(4), 200)
    e = (2.0**index) * 0.01 * d * rng.standard_normal(d.size)
    cal = _model(d, e, index, sigma0=0.001)
    assert cal.widening(0.9) > 1.5
    stationary = _model(d, 0.01 * d * rng.standard_normal(d.size), index, sigma0=0.001)
    assert stationary.widening(0.9) < 1.2


def test_conformal_quantiles_are_unbounded_with_too_few_errors() -> None:
    cal = _model(np.array([0.1, 0.2, 0.3]), np.array([0.01, -0.02, 0.03]), np.array([0, 0, 1]))
    low, high = cal.quantiles(0.99)
    assert low == -np.inf and high == np.inf


# -- on fits ------------------------------------------------------------------------------------------------------


def test_forecast_interval_is_the_default_beyond_the_runs_and_wider_than_the_run_interval(chinchilla_240) -> None:
    f = lawfit.fit(chinchilla_240, "chinchilla", n_resamples=200, seed=0)
    assert f.calibration is not None and f.calibration.calibrated
    assert f.interval_of(N=70e9, D=1.4e12) == "forecast"  # 5.9e23 FLOPs, beyond the largest run
    assert f.interval_of(N=1e9, D=1e10) == "law"  # inside the runs, with draws: the law's interval as before
    low, high = f.predict_interval(0.9, N=70e9, D=1.4e12)
    run_low, run_high = f.predict_interval(0.9, N=70e9, D=1.4e12, of="run")
    assert low < f.predict(N=70e9, D=1.4e12) < high
    assert high - low > 2 * (run_high - run_low)
    # Further out, wider.
    with pytest.warns(lawfit.ExtrapolationWarning):
        far_low, far_high = f.predict_interval(0.9, N=700e9, D=14e12)
    assert np.log(far_high / far_low) > np.log(high / low)


def test_forecast_without_bootstrap_draws(calibrated: lawfit.Fit) -> None:
    assert calibrated.bootstrap is None
    assert calibrated.interval_of(N=1e9, D=2e10) == "forecast"  # no draws: the forecast interval serves inside too
    low, high = calibrated.predict_interval(0.9, N=1e9, D=2e10)
    assert low < calibrated.predict(N=1e9, D=2e10) < high
    with pytest.raises(lawfit.LawfitError, match="no bootstrap draws"):
        calibrated.predict_interval(0.9, N=1e9, D=2e10, of="law")
    with pytest.raises(lawfit.LawfitError, match="'of' parameter"):
        calibrated.predict_interval(0.9, N=1e9, D=2e10, of="runs")


def test_calibration_is_saved_with_the_fit(calibrated: lawfit.Fit, tmp_path) -> None:
    path = calibrated.save(tmp_path / "fit.json")
    json.loads(path.read_text())  # strict JSON
    back = lawfit.load_fit(path)
    assert back.calibration.describe() == calibrated.calibration.describe()
    np.testing.assert_array_equal(back.calibration.error, calibrated.calibration.error)
    np.testing.assert_allclose(
        back.predict_interval(0.9, N=70e9, D=1.4e12), calibrated.predict_interval(0.9, N=70e9, D=1.4e12)
    )


def test_too_few_budgets_fall_back_to_the_run_interval_and_say_why() -> None:
    n, d = _sizes(np.array([1e18, 1e19, 1e20]))
    runs = {"N": n, "D": d, "loss": _bent(n, d) * np.exp(0.005 * np.random.default_rng(0).standard_normal(n.size))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.LawfitWarning)
        f = lawfit.fit(runs, "chinchilla", objective="mse-log", n_resamples=50)
    assert not f.calibration.calibrated
    assert "nested back-test cut" in f.calibration.note and "add runs at more scales" in f.calibration.note
    assert f.interval_of(N=1e9, D=1e10) == "law"  # inside the runs (6e19 FLOPs)
    assert f.interval_of(N=1e10, D=2e11) == "forecast"  # beyond them: the forecast, which falls back and says so
    with pytest.warns(lawfit.CalibrationWarning, match="uncalibrated"):
        low, high = f.predict_interval(0.9, N=1e10, D=2e11)
    np.testing.assert_allclose((low, high), f.predict_interval(0.9, N=1e10, D=2e11, of="run"))
    assert "forecast   uncalibrated:" in f.summary()


def test_a_law_of_no_scale_is_not_calibrated() -> None:
    loss = np.linspace(2.0, 3.0, 12)
    error = 0.9 - 0.3 * np.exp(-0.8 * loss)
    f = lawfit.fit({"N": np.logspace(8, 10, 12), "loss": loss, "error": error}, "downstream", calibrate=True)
    assert not f.calibration.calibrated and "no scale" in f.calibration.note


def test_forecast_coverage_on_misspecified_synthetic_runs() -> None:
    # 100 replications: 56 runs at 7 budgets from 1e17 to 1e20 FLOPs with 0.5% noise, from a Chinchilla law that
    # bends (0.5% per decade) beyond 1e19; chinchilla is fitted, and 8 new runs at 1e21 (10x the largest budget)
    # are forecast. The 90% forecast intervals must cover 80-97% of them. Measured: 90.9% (40 replications, full
    # search); the run intervals of the bootstrap cover far less where the law bends.
    covered = []
    for rep in range(100):
        rng = np.random.default_rng(rep)
        f = lawfit.fit(_bent_runs(rng), "chinchilla", calibrate=True, search_options=_LIGHT)
        n, d = _sizes(np.array([1e21]))
        actual = _bent(n, d) * np.exp(0.005 * rng.standard_normal(n.size))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", lawfit.ExtrapolationWarning)
            low, high = f.predict_interval(0.9, N=n, D=d)
        covered.append(np.mean((low <= actual) & (actual <= high)))
    assert 0.80 <= np.mean(covered) <= 0.97, np.mean(covered)


def test_forecast_on_the_chinchilla_split() -> None:
    # Issue 11's split: fit the runs with C < 1e21, forecast the 23 at C >= 1e21. chinchilla's own forecast
    # intervals: 21 of 23 covered, median half-width 1.64% (its median |error| is 0.87%). Before calibration the
    # uncalibrated run intervals covered 51% on the report's split.
    runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    c = runs.column("C")
    train, test = runs.select(c < 1e21), runs.select(c >= 1e21)
    f = lawfit.fit(train, "chinchilla", calibrate=True)
    n, d, actual = test.column("N"), test.column("D"), test.column("loss")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.ExtrapolationWarning)
        low, high = f.predict_interval(0.9, N=n, D=d)
    predicted = f.predict(N=n, D=d)
    assert np.count_nonzero((low <= actual) & (actual <= high)) >= 19
    half = np.median((high - low) / 2 / predicted)
    assert half <= 3 * np.median(np.abs(predicted - actual) / actual)


def test_calibrate_an_existing_fit_as_fit_does(chinchilla_240: lawfit.Runs, calibrated: lawfit.Fit) -> None:
    plain = lawfit.fit(chinchilla_240, "chinchilla")
    assert plain.calibration is None
    again = lawfit.calibrate(plain, chinchilla_240)
    np.testing.assert_allclose(again.calibration.error, calibrated.calibration.error, rtol=1e-6)
    assert again.calibration.k == calibrated.calibration.k
    with pytest.raises(lawfit.LawfitError, match="calibrate on the runs it was fitted to"):
        lawfit.calibrate(plain, chinchilla_240.select(chinchilla_240.column("C") < 1e21))


def test_weight_growth_weighs_the_fit_and_its_bootstrap(chinchilla_240: lawfit.Runs, tmp_path) -> None:
    c = chinchilla_240.column("C")
    grown = lawfit.fit(chinchilla_240, "chinchilla", weight_growth=0.25, calibrate=True)
    by_hand = lawfit.fit(chinchilla_240, "chinchilla", weights=(c / c.max()) ** 0.25)
    assert grown.params == pytest.approx(dict(by_hand.params), rel=1e-6)
    assert "runs weighted by (scale/largest)^0.25" in grown.summary()
    # The bootstrap refits with the same weighting: its draws centre on the weighted optimum.
    drawn = lawfit.bootstrap(grown, chinchilla_240, n_resamples=50, seed=0)
    assert np.median(drawn.bootstrap.draws[:, 3]) == pytest.approx(grown.params["alpha"], abs=0.02)
    assert lawfit.load_fit(grown.save(tmp_path / "fit.json")).objective_settings.weight_growth == 0.25
