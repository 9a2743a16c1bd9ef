"""Forecast intervals calibrated by back-tests inside the observed part of a run: Luo et al.'s cosine_72000 runs
(tests/data/mpl/PROVENANCE.md), synthetic runs, and the fallbacks."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import lawfit
from lawfit.cli import main
from lawfit.curves import Curve, forecast, schedule
from test_curves import MPL, SCHEDULES, _curve


@pytest.mark.parametrize("size", ["25", "100"])
def test_calibrated_interval_covers_the_final_loss_from_half_a_run(size: str) -> None:
    curve = _curve(size, "cosine_72000")
    f = forecast(curve, fraction=0.5, n_resamples=100)
    truth = float(curve.loss[-1])
    assert f.calibrated and f.observed_until == 36000
    assert f.low < truth < f.high
    assert f.low <= f.noise_low < f.loss < f.noise_high <= f.high
    if size == "100":  # the bootstrap alone misses it (issue 11): 2.8632 is below [2.877, 2.880]
        assert not f.noise_low < truth < f.noise_high
    # Measured relative widths: 2.9% (25M), 1.5% (100M); the back-tests say the law errs that much.
    assert (f.high - f.low) / f.loss < 0.04
    c = f.calibration
    last = int(curve.until(36000).step[-1])  # the last logged loss of the observed half
    assert c["horizon"] == 72000 - last and len(c["cuts"]) == len(c["error_per_step"]) == 19
    assert all(last / 4 <= cut < last for cut in c["cuts"])
    # The conformal quantile of |error per step| at 90% of 19 scores is the 18th smallest, times the horizon.
    assert c["law_half_width"] == pytest.approx(np.sort(np.abs(c["error_per_step"]))[17] * c["horizon"], rel=1e-12)
    half = c["law_half_width"] * f.loss
    assert f.high - f.loss == pytest.approx(math.hypot(f.noise_high - f.loss, half), rel=1e-12)
    assert "below the lowest the fit saw" in f.note  # the cosine goes on to 3e-5


@pytest.mark.filterwarnings("ignore::lawfit.BoundWarning")  # 10% of the run: the fit sees no annealing, C runs to 0
def test_too_little_observed_falls_back_to_the_noise_interval() -> None:
    # A run logged every 4 steps, observed for its first 10%: plenty of losses, but back-tests inside 2,000 steps
    # cannot reach a quarter of the 18,000 steps to forecast.
    curve = _synthetic(0.0, seed=0, every=4)
    f = forecast(curve, fraction=0.1, n_resamples=100)
    assert not f.calibrated and f.calibration is None
    assert (f.low, f.high) == (f.noise_low, f.noise_high)
    assert f.note.startswith("Too little of the run is observed to calibrate the interval")
    assert "NOT calibrated" in f.summary()
    g = forecast(_curve("100", "cosine_72000"), fraction=0.5, n_resamples=100, backtests=0)
    assert not g.calibrated and "backtests=0" in g.note
    with pytest.raises(lawfit.LawfitError, match=r"'backtests' parameter of forecast must be 0 \(no back-tests\) or"):
        forecast(curve, backtests=2)


def test_back_tests_extrapolate_like_the_forecast() -> None:
    # Before the decay of a wsd run no back-test can show how the law errs on one: not calibrated, and it says so.
    wsd = forecast(_curve("25", "wsd_20000_24000"), fraction=0.5, n_resamples=100)
    assert not wsd.calibrated and (wsd.low, wsd.high) == (wsd.noise_low, wsd.noise_high)
    assert "9.99 times below the lowest the fit saw, and the observed part holds no decay" in wsd.note
    # After the drop of wsdcon_9 (3e-4 to 9e-5 at step 8000), the forecast's fit has seen the drop: a back-test that
    # would cross it is not like the forecast, so every cut lies after it.
    after = forecast(_curve("25", "wsdcon_9"), fraction=0.7, n_resamples=100)
    assert after.calibrated and min(after.calibration["cuts"]) >= 8000 and after.note == ""
    assert after.low < _curve("25", "wsdcon_9").loss[-1] < after.high


def _synthetic(drift: float, seed: int, every: int = 36) -> Curve:
    """An annealing-law run (Tissue et al.'s form) with 0.05% noise, plus ``drift`` times the fraction of the run
    done: a term the law lacks, whose error grows in proportion to the steps extrapolated."""
    lr = schedule("cosine", steps=20000, peak=1e-3, final=1e-4, warmup=500)
    # Every 36 steps, 270 losses in the first half: padded to the size of the observed half of cosine_72000, so that
    # the tests share compiled programs.
    steps = np.arange(600, 20000, every)
    area = np.cumsum(lr)[steps - 1]  # step k sums the rates of steps 1..k, lr[:k]
    decay = np.cumsum(np.r_[0.0, lr[:-1] - lr[1:]])[steps - 1]
    rng = np.random.default_rng(seed)
    loss = 2.5 + 0.8 * area**-0.5 - 0.2 * decay + drift * steps / 20000
    return Curve("synthetic", lr, steps, loss * (1 + 5e-4 * rng.standard_normal(steps.size)))


@pytest.mark.filterwarnings("ignore::lawfit.BoundWarning")  # _synthetic's annealing term is about 0: C runs to 0
def test_interval_covers_the_error_of_a_law_that_misses_a_term() -> None:
    covered = {"exact": 0, "drifting": 0, "drifting, bootstrap only": 0}
    for seed in range(8):
        exact, drifting = _synthetic(0.0, seed), _synthetic(0.03, seed)
        f = forecast(exact, fraction=0.5, n_resamples=100)
        g = forecast(drifting, fraction=0.5, n_resamples=100)
        assert f.calibrated and g.calibrated
        truth = float(drifting.loss[-1])
        assert truth / g.loss - 1 > 0.003  # the law misses the drift by about 0.5% at the end
        covered["exact"] += f.low < exact.loss[-1] < f.high
        covered["drifting"] += g.low < truth < g.high
        covered["drifting, bootstrap only"] += g.noise_low < truth < g.noise_high
    # 90% intervals; measured: 7 of 8 each (seed 1 missed by 0.005% and 0.02%). The bootstrap alone never covers.
    assert covered["exact"] >= 7 and covered["drifting"] >= 7 and covered["drifting, bootstrap only"] == 0


def test_cli_forecast_says_whether_calibrated(capsys) -> None:
    path = MPL / "csv_25" / "cosine_72000.csv"
    argv = ["curve", "forecast", str(path), "--schedule", SCHEDULES["cosine_72000"], "--fraction", "0.5"]
    assert main([*argv, "--bootstrap", "100", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    interval, noise = record["intervals"]["loss"], record["intervals"]["bootstrap"]
    assert record["calibrated"] is True and interval["low"] < 3.2038 < interval["high"]
    assert noise["low"] > interval["low"] and len(record["calibration"]["cuts"]) == 19
    assert main([*argv, "--bootstrap", "100", "--backtests", "0"]) == 0
    assert "NOT calibrated" in capsys.readouterr().out


def test_cli_forecast_with_a_finished_curve_that_decays(capsys) -> None:
    # The wsd run before its decay cannot be calibrated alone; fitted with the finished cosine_24000 run of the same
    # model (which decays to 3e-5 too), it can, and the interval holds the run's last logged loss.
    run = MPL / "csv_25" / "wsd_20000_24000.csv"
    argv = ["curve", "forecast", str(run), "--fraction", "0.5", "--bootstrap", "100", "--json"]
    argv += ["--schedule", f"wsd_20000_24000={SCHEDULES['wsd_20000_24000']}"]
    argv += ["--fit-on", str(MPL / "csv_25" / "cosine_24000.csv")]
    argv += ["--schedule", f"cosine_24000={SCHEDULES['cosine_24000']}"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    last = float(_curve("25", "wsd_20000_24000").loss[-1])
    assert record["calibrated"] is True and record["fit"]["curves"] == ["wsd_20000_24000", "cosine_24000"]
    assert record["intervals"]["loss"]["low"] < last < record["intervals"]["loss"]["high"]
