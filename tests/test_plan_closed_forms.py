"""Closed forms belong to the law (issue 14): the planners ask the law for its closed-form optimum and tokens for a
loss, a law with fixed parameters keeps them, and any other law of N and D gets the same answers numerically."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import lawfit
from lawfit.cli import main
from lawfit.laws import ClosedForms, formula_law, get_law
from lawfit.plan import compute_for_loss, compute_optimal, inference_optimal
from lawfit.plan._solve import optimal_allocation

# Planning extrapolates by nature; the warning is tested in test_plan.py.
pytestmark = pytest.mark.filterwarnings("ignore::lawfit.ExtrapolationWarning")

BUDGETS = [1e18, 1e20, 1e22, 1e24, 1e26]


def _eq4(p: dict[str, float], c: np.ndarray, k: float = 6.0) -> tuple[np.ndarray, np.ndarray]:
    """Hoffmann et al.'s eq. 4, written out here: N* = G*(C/k)**(beta/(alpha+beta)), D* = C/(k*N*)."""
    a, b = p["alpha"], p["beta"]
    n = (a * p["A"] / (b * p["B"])) ** (1 / (a + b)) * (np.asarray(c) / k) ** (b / (a + b))
    return n, np.asarray(c) / (k * n)


@pytest.fixture(scope="module")
def fixed_fit(chinchilla_240) -> lawfit.Fit:
    law = get_law("chinchilla").fix(alpha=0.34)
    # One start near the optimum keeps the fit quick; E, A, B, beta in the law's order.
    return lawfit.fit(chinchilla_240, law, grid=np.array([[1.8, 420.0, 2200.0, 0.37]]))


@pytest.fixture(scope="module")
def formula_fit(chinchilla_240) -> lawfit.Fit:
    law = formula_law("E + A/N**alpha + B/D**beta")
    start = {"E": 1.82, "A": 482.0, "alpha": 0.348, "B": 2085.0, "beta": 0.366}
    return lawfit.fit(chinchilla_240, law, grid=np.array([[start[name] for name in law.param_names]]))


# -- the law declares them --------------------------------------------------------------------------------------------


def test_chinchilla_declares_closed_forms_and_a_formula_none() -> None:
    chinchilla = get_law("chinchilla")
    assert chinchilla.closed_forms.optimum is not None and chinchilla.closed_forms.tokens_for_loss is not None
    formula = formula_law("E + A/N**alpha + B/D**beta")
    assert formula.closed_forms == ClosedForms()
    with pytest.raises(lawfit.LawfitError, match="declares no closed-form optimum") as caught:
        formula.optimum({"E": 1.0, "A": 1.0, "B": 1.0, "alpha": 0.3, "beta": 0.3}, 1e21)
    assert "\n" not in str(caught.value)


def test_fix_merges_the_held_values_into_the_closed_forms() -> None:
    p = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
    c = np.array(BUDGETS)
    n, d = _eq4(p, c)
    one = get_law("chinchilla").fix(alpha=0.34)
    two = get_law("chinchilla").fix(alpha=0.34).fix(beta=0.28)
    both = get_law("chinchilla").fix(alpha=0.34, beta=0.28)
    for law in (one, two, both):
        free = {name: p[name] for name in law.param_names}
        n_law, d_law = law.optimum(free, c)
        np.testing.assert_allclose(n_law, n, rtol=1e-14)
        np.testing.assert_allclose(d_law, d, rtol=1e-14)
        # The tokens for a loss invert the law at fixed N.
        tokens = law.tokens_for_loss(free, 1e9, 2.2)
        assert float(law.predict(free, N=1e9, D=tokens)) == pytest.approx(2.2, rel=1e-13)
    assert np.isnan(one.tokens_for_loss({k: p[k] for k in one.param_names}, 1e9, 1.5))  # below E: never reached
    with pytest.raises(lawfit.LawfitError, match=r"missing \['beta'\]"):
        one.optimum({"E": 1.69, "A": 406.4, "B": 410.7}, 1e21)


def test_the_planner_asks_the_law_not_its_name(formula_fit) -> None:
    # A formula that declares a closed form is answered by it; the name "chinchilla" alone earns nothing.
    calls = []

    def optimum(p, c, k):
        calls.append(k)
        return get_law("chinchilla").closed_forms.optimum(p, c, k)

    declared = dataclasses.replace(formula_fit.law, closed_forms=ClosedForms(optimum=optimum))
    closed = compute_optimal(dataclasses.replace(formula_fit, law=declared), BUDGETS)
    assert calls == [6.0, 6.0, 6.0]  # the budgets and the two neighbours of the exponent
    n, _ = _eq4(dict(formula_fit.params), np.array(BUDGETS))
    np.testing.assert_allclose(closed.N, n, rtol=1e-14)
    named = dataclasses.replace(formula_fit.law, name="chinchilla", spec={"builtin": "chinchilla"})
    assert named.closed_forms.optimum is None
    numeric = compute_optimal(dataclasses.replace(formula_fit, law=named), BUDGETS)
    np.testing.assert_allclose(numeric.N, n, rtol=1e-8)


# -- a fixed chinchilla plans ----------------------------------------------------------------------------------------


def test_optimal_on_a_saved_fixed_chinchilla_answers_with_the_closed_form(fixed_fit, tmp_path: Path, capsys) -> None:
    path = tmp_path / "fixed.json"
    fixed_fit.save(path)
    assert main(["optimal", str(path), "--compute", "1e22", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    p = {**fixed_fit.params, "alpha": 0.34}
    n, d = _eq4(p, np.array([1e22]))
    np.testing.assert_allclose(record["N"], n, rtol=1e-12)
    np.testing.assert_allclose(record["D"], d, rtol=1e-12)
    assert record["N_exponent"][0] == pytest.approx(p["beta"] / (0.34 + p["beta"]), rel=1e-9)
    assert main(["optimal", str(path), "--compute", "1e22"]) == 0
    out = capsys.readouterr().out
    assert "compute-optimal allocation under chinchilla" in out and f"{n[0]:.4g}" in out


def test_target_and_inference_on_a_fixed_chinchilla(fixed_fit) -> None:
    plan = compute_for_loss(fixed_fit, 2.0)
    assert float(plan.loss[0]) == pytest.approx(2.0, abs=1e-9)
    n, _ = _eq4({**fixed_fit.params, "alpha": 0.34}, plan.C)
    np.testing.assert_allclose(plan.N, n, rtol=1e-12)
    sized = inference_optimal(fixed_fit, 2.0, 1e13)
    assert float(fixed_fit.predict(N=sized.N, D=sized.D)) == pytest.approx(2.0, abs=1e-9)
    assert sized.N < sized.chinchilla_N and sized.saving > 0


# -- the numerical fallback ------------------------------------------------------------------------------------------


def test_a_formula_like_chinchilla_finds_the_closed_form_numerically(formula_fit) -> None:
    p = dict(formula_fit.params)
    numeric = compute_optimal(formula_fit, BUDGETS)
    n, d = _eq4(p, np.array(BUDGETS))
    np.testing.assert_allclose(numeric.N, n, rtol=1e-8)
    np.testing.assert_allclose(numeric.D, d, rtol=1e-8)
    np.testing.assert_allclose(numeric.N_exponent, p["beta"] / (p["alpha"] + p["beta"]), rtol=1e-8)
    # And the same allocation from the chinchilla law itself with the formula's parameters.
    closed = get_law("chinchilla").optimum(p, np.array(BUDGETS))
    np.testing.assert_allclose(numeric.N, closed[0], rtol=1e-8)


@pytest.mark.parametrize("cost", [6.0, 8.0, lambda n, d: 8.0 * n * d])
def test_the_numerical_optimum_matches_the_closed_form_on_the_same_parameters(cost) -> None:
    p = {"E": 1.82, "A": 482.0, "B": 2085.0, "alpha": 0.3478, "beta": 0.3658}
    params = {name: np.array([[value]]) for name, value in p.items()}
    c = np.array([[1e16, 1e20, 1e24, 1e28, 1e32]])
    k = 8.0 if callable(cost) else cost
    n, d = optimal_allocation(formula_law("E + A/N**alpha + B/D**beta"), params, c, cost)
    n_closed, d_closed = _eq4(p, c, k)
    np.testing.assert_allclose(n, n_closed, rtol=1e-8)
    np.testing.assert_allclose(d, d_closed, rtol=1e-8)


def test_the_chinchilla_frontier_is_eq4_exactly(chinchilla_fit) -> None:
    frontier = compute_optimal(chinchilla_fit, BUDGETS)
    n, d = _eq4(dict(chinchilla_fit.params), np.array(BUDGETS))
    np.testing.assert_allclose(frontier.N, n, rtol=1e-15)
    np.testing.assert_allclose(frontier.D, d, rtol=1e-15)


@pytest.mark.parametrize("law_name", ["chinchilla", "kaplan"])
def test_each_declared_closed_form_agrees_with_the_numerical_fallback(law_name: str) -> None:
    law = get_law(law_name)
    p = {
        "chinchilla": {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28},
        "kaplan": {"Nc": 8.8e13, "Dc": 5.4e13, "alpha_N": 0.076, "alpha_D": 0.095},
    }[law_name]
    params = {name: np.array([[value]]) for name, value in p.items()}
    c = np.array([[1e18, 1e22, 1e26]])
    bare = dataclasses.replace(law, closed_forms=ClosedForms())
    for k in (6.0, 8.0):
        n, d = optimal_allocation(law, params, c, k)
        n_numeric, d_numeric = optimal_allocation(bare, params, c, k)
        np.testing.assert_allclose(n, n_numeric, rtol=1e-8)
        np.testing.assert_allclose(d, d_numeric, rtol=1e-8)
    n = np.geomspace(1e9, 1e12, 4)
    tokens = law.tokens_for_loss(p, n, 2.6)
    np.testing.assert_allclose(law.predict(p, N=n, D=tokens), 2.6, rtol=1e-12)
    assert np.isnan(law.tokens_for_loss(p, 1e6, 2.6))  # too small to ever reach it
