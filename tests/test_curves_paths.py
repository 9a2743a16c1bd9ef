"""The paths a curve takes from a training hook or a tracker export to a fit, a prediction and a forecast: one step
convention (see :mod:`lawfit.curves`), schedules given to tables that log no learning rate, and the typed warnings
of a curve fit that did not converge or ended at a bound."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

import lawfit
from lawfit.cli import main
from lawfit.curves import Curve, CurveFit, annealing, fit_curves, load_curve_fit, load_curves, schedule
from lawfit.hooks._record import Recorder
from lawfit.search import SearchOptions

COSINE = "cosine:steps=2000,peak=1e-3,final=1e-4,warmup=100"
TRUTH = {"L0": 2.5, "A": 0.8, "alpha": 0.5, "C": 0.3}  # Tissue et al.'s annealing law, lam = 0.999


def _annealing(lr: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """The annealing law's loss at ``steps``, written out: step k sums the rates of steps 1..k, ``lr[:k]``."""
    area = np.cumsum(lr)[steps - 1]
    momentum = lfilter([1.0], [1.0, -0.999], np.r_[0.0, lr[:-1] - lr[1:]])
    return TRUTH["L0"] + TRUTH["A"] * area ** -TRUTH["alpha"] - TRUTH["C"] * np.cumsum(momentum)[steps - 1]


STEPS = np.arange(150, 2001, 10)
LOSS = _annealing(schedule("cosine", steps=2000, peak=1e-3, final=1e-4, warmup=100), STEPS)


# --- a schedule given to a table without a learning rate ---------------------------------------------------------


def _wandb_chart_export(path: Path) -> Path:
    """A W&B chart export: ``Step`` and ``<run> - <metric>`` columns, no learning rate."""
    pd.DataFrame({"Step": STEPS, "tiny - train/loss": LOSS}).to_csv(path, index=False)
    return path


def test_cli_fit_and_forecast_take_the_schedule_of_a_table_without_lr(tmp_path: Path, capsys) -> None:
    plain = tmp_path / "run.csv"
    pd.DataFrame({"step": STEPS, "loss": LOSS}).to_csv(plain, index=False)
    chart = _wandb_chart_export(tmp_path / "chart.csv")
    for path in (plain, chart):
        assert main(["curve", "fit", str(path), "--schedule", COSINE, "--law", "annealing", "--json"]) == 0, path
        record = json.loads(capsys.readouterr().out)
        assert record["converged"] is True and record["n_points"] == STEPS.size
        for name, value in TRUTH.items():
            assert record["params"][name] == pytest.approx(value, rel=1e-4), name
    argv = ["curve", "forecast", str(plain), "--schedule", COSINE, "--fraction", "0.5", "--json"]
    assert main([*argv, "--bootstrap", "20", "--backtests", "0"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["step"] == 2000 and record["observed_until"] == 1000  # the schedule's last step, S; half of it
    assert record["loss"] == pytest.approx(LOSS[-1], rel=1e-4)


def test_without_lr_or_schedule_the_error_names_both_ways_to_give_one(tmp_path: Path, capsys) -> None:
    plain = tmp_path / "run.csv"
    pd.DataFrame({"step": STEPS, "loss": LOSS}).to_csv(plain, index=False)
    assert main(["curve", "fit", str(plain)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "}}" not in err
    assert "Run 'run' has no learning rate logged and no schedule" in err and "--schedule run=cosine:" in err


# --- one step convention -----------------------------------------------------------------------------------------


def test_a_hooked_run_of_s_steps_loads_and_fits_with_steps_s(tmp_path: Path, capsys) -> None:
    # What the training hooks write for a run of 20 updates under transformers' warmup + cosine: step k = 1..20 with
    # the rate its update used, lr[k - 1] of the schedule (0 for step 1, the warmup's start), and its loss.
    lr = schedule("cosine", steps=20, peak=1e-3, final=1e-4, warmup=4)
    steps = np.arange(1, 21)
    path = tmp_path / "hooked.csv"
    recorder = Recorder(path, run="hooked", flops=None, owner="LawfitCallback")
    recorder.params = 10
    recorder.open(0)
    for k in steps:
        recorder.step(int(k), lr=float(lr[k - 1]), tokens=64 * int(k))
        recorder.loss(int(k), float(_annealing(lr, np.array([k]))[0]) if k > 1 else 11.0)
    recorder.close()

    for given in (None, 20):
        (curve,) = load_curves(path, steps=given)
        assert curve.steps == 20 and curve.note.startswith("lr logged at every step")
        np.testing.assert_array_equal(curve.lr, lr)  # the logged rates are the schedule, step by step
        assert curve.step.tolist() == list(range(2, 21))  # step 1 learnt nothing (rate 0): dropped
    assert main(["curve", "fit", str(path), "--steps", "20", "--law", "annealing", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_points"] == 19
    # The run's own schedule, given instead of the logged rates, is the same one.
    (given,) = load_curves(path, schedules={"hooked": "cosine:steps=20,peak=1e-3,final=1e-4,warmup=4"})
    np.testing.assert_array_equal(given.lr, lr)


def test_a_loss_at_step_0_is_before_any_update_and_dropped() -> None:
    table = pd.DataFrame({"step": [0, 5, 10], "loss": [11.0, 3.0, 2.9], "lr": [1e-3, 1e-3, 1e-3]})
    (curve,) = load_curves(table)
    assert curve.steps == 10 and curve.step.tolist() == [5, 10]
    assert "dropped 1 loss(es) logged before the learning rate was ever above 0" in curve.note


def test_predict_covers_steps_1_to_s_of_a_schedule_of_s_steps(tmp_path: Path, capsys) -> None:
    fit = tmp_path / "fit.json"
    CurveFit(annealing(), TRUTH, 0.0, True, "given", ("a",), 10).save(fit)
    text = "cosine:steps=48000,peak=3e-4,final=3e-5,warmup=2000"
    lr = lawfit.curves.parse_schedule(text)
    assert main(["curve", "predict", str(fit), "--schedule", text, "--at-step", "24000,48000", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["step"] == [24000, 48000]
    np.testing.assert_allclose(record["loss"], _annealing(lr, np.array([24000, 48000])), rtol=1e-12)
    assert main(["curve", "predict", str(fit), "--schedule", text, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["step"][-1] == 48000  # the default ends at the last step
    assert main(["curve", "predict", str(fit), "--schedule", text, "--at-step", "48001"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "must be in 1..48000" in err and "Got step 48001" in err


# --- warnings ----------------------------------------------------------------------------------------------------


def _curve() -> Curve:
    return Curve("run", schedule("cosine", steps=2000, peak=1e-3, final=1e-4, warmup=100), STEPS, LOSS)


def test_a_fit_that_did_not_converge_warns_and_so_do_its_loaded_predictions(tmp_path: Path) -> None:
    with pytest.warns(lawfit.ConvergenceWarning, match=r"The curve fit \(annealing\) did not converge") as caught:
        f = fit_curves([_curve()], "annealing", search_options=SearchOptions(n_polish=4, max_steps=1))
    assert not f.converged and caught[0].message.data["objective"] == f.objective
    assert "WARNING" not in f.summary() and "warning    ConvergenceWarning: The curve fit" in f.summary()
    f.save(tmp_path / "fit.json")
    loaded = load_curve_fit(tmp_path / "fit.json")
    with pytest.warns(lawfit.ConvergenceWarning, match=r"The curve fit '.*fit\.json' \(annealing\) did not converge"):
        loaded.predict(COSINE, [1000])
    with warnings.catch_warnings():  # one made here warned when it was made, and does not again
        warnings.simplefilter("error")
        f.predict(COSINE, [1000])


def test_cli_shows_convergence_as_a_warning_on_stderr(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(lawfit.curves.fit, "_CURVE_SEARCH", SearchOptions(n_polish=4, max_steps=1, rtol=1e-10))
    plain, out = tmp_path / "run.csv", tmp_path / "fit.json"
    pd.DataFrame({"step": STEPS, "loss": LOSS}).to_csv(plain, index=False)
    assert main(["curve", "fit", str(plain), "--schedule", COSINE, "--law", "annealing", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "WARNING" not in captured.out
    assert "lawfit: warning: ConvergenceWarning: The curve fit (annealing) did not converge" in captured.err
    assert main(["curve", "predict", str(out), "--schedule", COSINE, "--at-step", "1000"]) == 0
    err = capsys.readouterr().err
    assert f"lawfit: warning: ConvergenceWarning: The curve fit '{out}' (annealing) did not converge" in err


def test_parameters_at_a_bound_are_noted_as_for_runs_fits(capsys, tmp_path: Path) -> None:
    # A loss that rises with the summed learning rate: the law's decreasing terms run off to 0, their bound.
    curve = _curve()
    rising = Curve("rising", curve.lr, curve.step, 2.5 + 0.001 * np.cumsum(curve.lr)[curve.step - 1])
    with pytest.warns(lawfit.BoundWarning, match="Parameters at a bound: A, C") as caught:
        f = fit_curves([rising], "annealing")
    assert caught[0].message.data == {"params": ["A", "C"]} and f.converged
    assert "at a bound: A, C" in f.message and "warning    BoundWarning: Parameters at a bound: A, C" in f.summary()
    path = tmp_path / "rising.csv"
    pd.DataFrame({"step": rising.step, "loss": rising.loss}).to_csv(path, index=False)
    assert main(["curve", "fit", str(path), "--schedule", COSINE, "--law", "annealing"]) == 0
    assert "lawfit: warning: BoundWarning: Parameters at a bound: A, C" in capsys.readouterr().err
