"""Objectives: the loss functions against scipy, weights, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import huber as scipy_huber

import lawfit
from lawfit.objectives import Objective, huber, squared


@settings(deadline=None)
@given(st.floats(min_value=-10, max_value=10), st.floats(min_value=1e-4, max_value=5))
def test_huber_matches_scipy(r: float, delta: float) -> None:
    assert float(huber(r, delta=delta)) == pytest.approx(float(scipy_huber(delta, r)), rel=1e-12, abs=1e-300)


def test_squared() -> None:
    assert float(squared(-3.0)) == 9.0


def test_objective_weights_and_reductions() -> None:
    law = lawfit.get_law("power", x="N")
    params = {"E": np.float64(1.0), "A": np.float64(10.0), "alpha": np.float64(0.5)}
    n = np.array([1.0, 4.0, 100.0])
    y = np.array([12.0, 6.0, 2.0])
    w = np.array([1.0, 2.0, 0.0])
    pred = 1.0 + 10.0 * n**-0.5
    log_r, lin_r = np.log(y) - np.log(pred), y - pred
    inputs = {"N": n}
    assert float(Objective("mse", reduction="sum")(law, params, inputs, y, w)) == pytest.approx(np.sum(w * lin_r**2))
    assert float(Objective("mse-log", reduction="mean")(law, params, inputs, y, w)) == pytest.approx(
        np.sum(w * log_r**2) / 3.0
    )
    assert float(Objective("huber", delta=0.01)(law, params, inputs, y, w)) == pytest.approx(
        np.sum(w * scipy_huber(0.01, log_r))
    )


@pytest.mark.parametrize("delta", [0.0, -1.0, float("inf"), "a", True])
def test_bad_delta_is_refused_in_sklearn_format(delta) -> None:
    with pytest.raises(lawfit.LawfitError, match=r"The 'delta' parameter of Objective must be a number > 0\. Got"):
        Objective("huber", delta=delta)


def test_unknown_loss_is_refused() -> None:
    with pytest.raises(lawfit.LawfitError, match="'loss' parameter of Objective must be one of 'huber', 'mse-log'"):
        Objective("l1")  # type: ignore[arg-type]
