"""Loss-curve laws on Luo et al.'s nine schedules: the multi-power law's published metrics, refits that predict other
schedules, the Tissue et al. annealing law, partial-run forecasts, schedules and curve loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lawfit
from lawfit.curves import (
    Curve,
    fit_curves,
    forecast,
    load_curve_fit,
    load_curves,
    multipower,
    multipower_fixed,
    parse_schedule,
    schedule,
)
from lawfit.curves.fit import CurveFit
from lawfit.curves.laws import COARSE_RATIO, FIT_RATIO, PREDICT_RATIO, features

MPL = Path(__file__).parent / "data" / "mpl"  # see tests/data/mpl/PROVENANCE.md
WARMUP = "warmup=2160,peak=3e-4"
SCHEDULES = {
    "cosine_24000": f"cosine:steps=24000,final=3e-5,{WARMUP}",
    "cosine_72000": f"cosine:steps=72000,final=3e-5,{WARMUP}",
    "constant_24000": f"constant:steps=24000,{WARMUP}",
    "constant_72000": f"constant:steps=72000,{WARMUP}",
    "wsd_20000_24000": f"wsd:steps=24000,final=3e-5,decay_start=20000,decay=geometric,{WARMUP}",
    "wsdld_20000_24000": f"wsd:steps=24000,final=3e-5,decay_start=20000,decay=linear,{WARMUP}",
    "wsdcon_3": f"stages:steps=16000,stages=8000@3e-5,{WARMUP}",
    "wsdcon_9": f"stages:steps=16000,stages=8000@9e-5,{WARMUP}",
    "wsdcon_18": f"stages:steps=16000,stages=8000@1.8e-4,{WARMUP}",
}
TRAIN = ["cosine_24000", "constant_24000", "wsdcon_9"]
TEST = ["cosine_72000", "constant_72000", "wsd_20000_24000", "wsdld_20000_24000", "wsdcon_3", "wsdcon_18"]
# Luo et al.'s repo README and src/config.py.
PUBLISHED = {
    "25": {
        "params": {
            "L0": 3.04045406,
            "A": 0.52468604,
            "alpha": 0.50786857,
            "B": 363.78751622,
            "C": 2.06560812,
            "beta": 0.58279013,
            "gamma": 0.64142257,
        },
        "metrics": dict(R2=0.9988, MAE=0.00376, RMSE=0.00465, mean_rel=0.00110, worst_rel=0.00409),
    },
    "100": {
        "params": {
            "L0": 2.6514477,
            "A": 0.60115152,
            "alpha": 0.45295811,
            "B": 437.9464276,
            "C": 2.13245612,
            "beta": 0.59785199,
            "gamma": 0.65523644,
        },
        "metrics": dict(R2=0.9983, MAE=0.00435, RMSE=0.00592, mean_rel=0.00142, worst_rel=0.00583),
    },
}


def _curve(size: str, name: str) -> Curve:
    table = pd.read_csv(MPL / f"csv_{size}" / f"{name}.csv")
    # Luo et al. count steps from 0 (their loss at step s follows the updates at rates lr[0..s]); lawfit counts the
    # updates from 1, so their step s is lawfit's step s + 1 (tests/data/mpl/PROVENANCE.md).
    table["step"] += 1
    (curve,) = load_curves({name: table}, schedules={name: SCHEDULES[name]})
    return curve


def test_rebuilt_schedules_equal_the_logged_learning_rates() -> None:
    for size in ("25", "100"):
        for name, text in SCHEDULES.items():
            table = pd.read_csv(MPL / f"csv_{size}" / f"{name}.csv")
            # Luo et al.'s step s is lawfit's step s + 1, whose rate is lr[s].
            np.testing.assert_allclose(parse_schedule(text)[table["step"]], table["lr"], rtol=0, atol=2e-15)


@pytest.mark.parametrize("size", ["25", "100"])
def test_published_multipower_parameters_reproduce_the_readme_metrics(size: str) -> None:
    published = PUBLISHED[size]
    f = CurveFit(multipower(), published["params"], 0.0, True, "published", (), 0)
    means = f.evaluate([_curve(size, name) for name in TEST]).mean(numeric_only=True)
    for name, value in published["metrics"].items():
        # to the printed precision: half a unit in the last printed digit (and a hair for float rounding)
        half_unit = 0.5 * 10.0 ** -(len(f"{value}".split(".")[1]))
        assert abs(means[name] - value) <= half_unit + 1e-7, (name, means[name], value)


# The optimum of the multi-power refit on the train curves, as lawfit's BFGS search found it before the
# Levenberg-Marquardt search replaced it (tests/data/mpl/PROVENANCE.md).
BFGS_OPTIMUM = {"25": 1.383559e-4, "100": 2.130276e-5}


@pytest.mark.parametrize("size", ["25", "100"])
def test_multipower_refit_predicts_the_other_six_schedules(size: str) -> None:
    f = fit_curves([_curve(size, name) for name in TRAIN], "multipower")
    assert f.converged, f.message
    assert "4 of 4 polished starts reached the best optimum" in f.message
    # The Levenberg-Marquardt search reaches the optimum of the much longer BFGS search (to its printed digits).
    assert f.objective == pytest.approx(BFGS_OPTIMUM[size], rel=1e-6)
    errors = f.evaluate([_curve(size, name) for name in TEST])
    # Issue targets: mean relative error <= 0.2%, worst <= 1% (published refits: 0.11-0.14% and 0.41-0.58%).
    # Measured: 25M 0.137% mean, 0.78% worst; the train objective 1.384e-4 is below the published parameters' 2.91e-4.
    assert errors["mean_rel"].mean() <= 0.002
    assert errors["worst_rel"].max() <= 0.01
    published = CurveFit(multipower(), PUBLISHED[size]["params"], 0.0, True, "", (), 0)
    train = [_curve(size, name) for name in TRAIN]
    assert _huber(f, train) <= _huber(published, train) * (1 + 1e-6)


def _huber(f: CurveFit, curves: list[Curve]) -> float:
    r = np.concatenate([np.log(c.loss) - np.log(f.predict(c)) for c in curves])
    a = np.abs(r)
    return float(np.sum(np.where(a <= 1e-3, 0.5 * r**2, 1e-3 * (a - 0.5e-3))))


def test_annealing_law_on_two_curves_predicts_the_other_seven() -> None:
    f = fit_curves([_curve("25", "cosine_24000"), _curve("25", "constant_24000")], "annealing")
    others = [name for name in SCHEDULES if name not in ("cosine_24000", "constant_24000")]
    errors = f.evaluate([_curve("25", name) for name in others])
    assert errors["mean_rel"].mean() <= 0.005  # issue target; measured 0.16%
    # The team's reference fit (tests/data/mpl/PROVENANCE.md, Nelder-Mead): 3.0672 / 0.4918 / 0.5743 / 0.4028.
    for name, value in dict(L0=3.0672, A=0.4918, alpha=0.5743, C=0.4028).items():
        assert f.params[name] == pytest.approx(value, abs=2e-3)


def test_forecast_from_half_a_run_reaches_its_final_loss() -> None:
    curve = _curve("25", "cosine_72000")
    result = forecast(curve, fraction=0.5, n_resamples=100, seed=0)
    assert result.observed_until == 36000 and result.step == 72000  # half of steps 1..72000, and the last
    assert result.loss == pytest.approx(curve.loss[-1], rel=0.01)  # measured: 0.06% off
    assert result.low < result.loss < result.high and result.n_draws >= 90
    again = forecast(curve, fraction=0.5, n_resamples=100, seed=0)
    assert (again.low, again.high) == (result.low, result.high)  # deterministic for a seed


def test_a_law_fitted_to_its_own_output_recovers_its_parameters() -> None:
    truth = dict(L0=2.8, A=0.5, alpha=0.5, B=400.0, C=2.0, beta=0.6, gamma=0.6)
    names = ["cosine_24000", "constant_24000", "wsdcon_9"]
    exact = CurveFit(multipower(), truth, 0.0, True, "", (), 0)
    curves = []
    for name in names:
        c = _curve("25", name)
        curves.append(Curve(name, c.lr, c.step, exact.predict(c)))
    f = fit_curves(curves, "multipower")
    for name, value in truth.items():
        assert f.params[name] == pytest.approx(value, rel=0.05), name
    for c in curves:
        np.testing.assert_allclose(f.predict(c), c.loss, rtol=1e-4)


def test_multipower_fixed_is_multipower_with_beta_and_gamma_held(tmp_path: Path) -> None:
    law = multipower_fixed(beta=0.5, gamma=0.7)
    assert law.param_names == ("L0", "A", "alpha", "B", "C")
    params = dict(L0=2.8, A=0.5, alpha=0.5, B=400.0, C=2.0)
    held = CurveFit(law, params, 0.0, True, "", (), 0)
    full = CurveFit(multipower(), {**params, "beta": 0.5, "gamma": 0.7}, 0.0, True, "", (), 0)
    curve = _curve("25", "wsdcon_9")
    np.testing.assert_array_equal(held.predict(curve), full.predict(curve))
    held.save(tmp_path / "held.json")
    again = load_curve_fit(tmp_path / "held.json")
    assert again.law.name == "multipower_fixed" and again.law.spec == law.spec
    np.testing.assert_array_equal(again.predict(curve), held.predict(curve))
    with pytest.raises(lawfit.LawfitError, match="'gamma' parameter of multipower_fixed must be a number in"):
        multipower_fixed(gamma=-1.0)


def test_the_compressed_sum_stays_close_to_the_exact_one() -> None:
    # Relative error of the law's prediction against a near-exact sum (ratio 1.003, itself within 5e-10 of ratio
    # 1.0002), at the published 25M parameters: the bounds stated in lawfit/curves/laws.py.
    law = multipower()
    fit = CurveFit(law, PUBLISHED["25"]["params"], 0.0, True, "", (), 0)
    for name in ("cosine_24000", "wsd_20000_24000", "wsdcon_3"):
        c = _curve("25", name)
        exact = _predict(fit, c, 1.003)
        for ratio, bound in ((PREDICT_RATIO, 3e-8), (FIT_RATIO, 3e-6), (COARSE_RATIO, 1e-4)):
            assert np.max(np.abs(_predict(fit, c, ratio) / exact - 1)) <= bound, (name, ratio)


def _predict(fit: CurveFit, curve: Curve, ratio: float) -> np.ndarray:
    from lawfit.curves.fit import _evaluate

    return _evaluate(fit.law, fit.params, features(fit.law, [curve], ratio=ratio))


def test_schedule_shapes() -> None:
    lr = schedule("wsd", steps=100, peak=1.0, final=0.1, warmup=10, decay_start=80, decay="linear")
    assert lr[0] == 0 and lr[9] == 1 and lr[50] == 1 and lr[80] == 1 and lr[99] == pytest.approx(0.1 + 0.9 / 20)
    geometric = schedule("wsd", steps=100, peak=1.0, final=0.01, decay_start=0, decay="geometric")
    np.testing.assert_allclose(np.diff(np.log(geometric)), np.log(0.01) / 100)
    assert schedule("linear", steps=11, peak=1.0)[5] == pytest.approx(1 - 5 / 11)  # reaches final at step 11


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("sawtooth:steps=10,peak=1", "Unknown schedule kind 'sawtooth'"),
        ("cosine:steps=10", "needs peak=..."),
        ("cosine:steps=ten,peak=1", "must be a number"),
        ("cosine:steps=10,peak=1,warmup=20", "warmup (20 steps) must be shorter"),
        ("stages:steps=10,peak=1,stages=5:1", "START@LR"),
        ("cosine:steps=10,peak=1,colour=red", "Unknown schedule option 'colour'"),
    ],
)
def test_bad_schedules_say_what_is_wrong(text: str, needle: str) -> None:
    with pytest.raises(lawfit.DataError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        parse_schedule(text)


def test_load_curves_from_a_table_with_sparse_lr() -> None:
    lr = schedule("linear", steps=1000, peak=1e-3, warmup=100)  # the decay from step 101 (s = 100) on
    steps = np.r_[np.arange(101, 1000, 10), 1000]
    rows = pd.DataFrame({"run": "a", "step": steps, "loss": 3.0 - steps * 1e-4})
    logged = (steps % 100 == 1) | (steps == 1000)  # the rate of step k, lr[k - 1], logged every 100 steps
    rows["lr"] = np.where(logged, lr[steps - 1], np.nan)
    (curve,) = load_curves(rows)
    assert "rebuilt from 10 logged values" in curve.note and curve.steps == 1000  # the last logged step
    np.testing.assert_allclose(curve.lr[100:], lr[100:], atol=1e-15)  # a piecewise-linear schedule: exact
    (given,) = load_curves(rows, schedules={"a": "linear:steps=1000,peak=1e-3,warmup=100"})
    np.testing.assert_array_equal(given.lr, lr)


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        (pd.DataFrame({"step": [1, 2], "loss": [3.0, 2.9]}), "no learning rate logged and no schedule"),
        (pd.DataFrame({"step": [1, 2], "lr": [1e-3, 1e-3], "loss": [3.0, -1.0]}), "<= 0"),
        (pd.DataFrame({"step": [1, 2], "lr": [1e-3, 1e-3]}), "need a 'loss' column"),
    ],
)
def test_bad_curves_say_what_is_wrong(table: pd.DataFrame, needle: str) -> None:
    with pytest.raises(lawfit.DataError, match=needle):
        load_curves(table)


def test_too_few_points_and_unknown_laws() -> None:
    lr = schedule("constant", steps=100, peak=1e-3, warmup=10)
    short = Curve("short", lr, np.array([20, 40, 60]), np.array([3.0, 2.9, 2.85]))
    with pytest.raises(lawfit.LawfitError, match="has 7 parameters; the curves hold only 3 losses"):
        fit_curves([short], "multipower")
    with pytest.raises(lawfit.LawfitError, match="Unknown loss-curve law 'exp'"):
        fit_curves([short], "exp")
    with pytest.raises(lawfit.LawfitError, match="a forecast needs at least 8"):
        forecast(short, fraction=0.5)


def test_losses_before_any_learning_are_dropped_with_a_note() -> None:
    # transformers' linear warmup gives step 1 a learning rate of 0: nothing learnt, S1 = 0, no law can fit it.
    lr = schedule("cosine", steps=200, peak=1e-3, final=1e-4, warmup=10)
    assert lr[0] == 0.0  # the rate of step 1, the first update
    steps = np.arange(1, 200, 5)
    table = pd.DataFrame({"step": steps, "loss": 3.0 - steps * 1e-3, "lr": lr[steps - 1]})
    (curve,) = load_curves(table, steps=200)
    assert curve.step[0] == 6 and "dropped 1 loss(es) logged before the learning rate was ever above 0" in curve.note
    with pytest.raises(lawfit.LawfitError, match=r"steps \[1\] where the learning rate has summed to 0"):
        fit_curves([Curve("raw", lr, steps[:12], np.linspace(3, 2.9, 12))], "annealing")
