"""Each law has one formula, run in numpy to predict and in JAX to fit: the two must agree (lawfit.laws._xp)."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lawfit._jax import jax, jnp
from lawfit.laws import Law, formula_law, get_law
from lawfit.laws._base import evaluate
from lawfit.laws._xp import NUMPY, namespace

LAWS = {
    "chinchilla": lambda: get_law("chinchilla"),
    "kaplan": lambda: get_law("kaplan"),
    "power(N)": lambda: get_law("power", x="N"),
    "power(C)": lambda: get_law("power", x="C"),
    "overtraining": lambda: get_law("overtraining"),
    "data_constrained": lambda: get_law("data_constrained"),
    "data_constrained(tie)": lambda: get_law("data_constrained", tie=True),
    "bnsl(1)": lambda: get_law("bnsl", breaks=1),
    "bnsl(2, N)": lambda: get_law("bnsl", breaks=2, x="N"),
    "downstream": lambda: get_law("downstream"),
    "chinchilla, alpha fixed": lambda: get_law("chinchilla").fix(alpha=0.34),
    "formula chinchilla": lambda: formula_law("E + A/N**alpha + B/D**beta"),
    "formula functions": lambda: formula_law("E + A*sigmoid(b - alpha*log(N)) + softplus(c - beta*log10(D))"),
    "formula more functions": lambda: formula_law("E + tanh(A*C**-alpha) + sqrt(abs(B - log2(N)*D**-beta)) + exp(-c)"),
    "formula constants": lambda: formula_law("E + 2.5/N**0.3 + 2**(1/3) + A/D**beta"),
}

POINTS = 64


def _draw(law: Law, rng: np.random.Generator) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Parameters near the law's start grid (within its bounds) and inputs over the sizes scaling laws meet."""
    params = {}
    for spec in law.params:
        base = float(rng.choice(spec.grid))
        value = base * math.exp(rng.uniform(-1.0, 1.0)) if spec.scale == "log" else base + rng.uniform(-0.2, 0.2)
        params[spec.name] = float(np.clip(value, spec.lower + 1e-3, spec.upper))
    n = np.exp(rng.uniform(np.log(1e6), np.log(1e12), POINTS))
    d = np.exp(rng.uniform(np.log(1e8), np.log(1e13), POINTS))
    inputs = {
        "N": n,
        "D": d,
        "C": 6.0 * n * d,
        "U": d * np.exp(rng.uniform(-3.0, 0.0, POINTS)),  # unique tokens: at most the tokens seen
        "loss": rng.uniform(1.5, 4.0, POINTS),
    }
    return params, {k: inputs[k] for k in law.inputs}


def _jax_values(fn, params: dict[str, float], inputs: dict[str, np.ndarray]) -> np.ndarray:
    """``fn`` as the search runs it: traced and compiled by JAX, parameters as traced scalars."""
    return _run_jitted(jax.jit(fn), params, inputs)


def _run_jitted(jitted, params: dict[str, float], inputs: dict[str, np.ndarray]) -> np.ndarray:
    values = jitted({k: jnp.asarray(v) for k, v in params.items()}, {k: jnp.asarray(v) for k, v in inputs.items()})
    return np.asarray(values, dtype=np.float64)


@functools.cache
def _law(name: str) -> tuple[Law, tuple]:
    """The law and its fn and log_fn compiled once (the inputs keep one shape), so that examples run fast."""
    law = LAWS[name]()
    return law, ((law.fn, jax.jit(law.fn)), (law.log_fn, jax.jit(law.log_fn)))


@pytest.mark.parametrize("name", list(LAWS))
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_numpy_path_equals_jax_path(name: str, seed: int) -> None:
    law, functions = _law(name)
    params, inputs = _draw(law, np.random.default_rng(seed))
    finite = 0
    # fn to 1e-12 relative; log_fn to 1e-12 absolute, which is 1e-12 relative on the loss it stands for (a log
    # near 0, for a loss near 1, has no relative precision of its own).
    for (fn, jitted), (rtol, atol) in zip(functions, ((1e-12, 0.0), (1e-12, 1e-12)), strict=True):
        expected = _run_jitted(jitted, params, inputs)
        got = evaluate(fn, params, inputs)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
        finite += np.count_nonzero(np.isfinite(expected))
    assert finite > 0  # the draw compares values, not only overflows and NaNs


def test_constant_parts_follow_float_rules_in_both() -> None:
    """A formula's constants are arrays in either namespace: (-8)**(1/3) is NaN and 1/0 is inf, not an error."""
    law = formula_law("E + A/N**alpha + (-8)**(1/3) + 0*(1/0)")
    params, inputs = {"E": 1.0, "A": 2.0, "alpha": 0.3}, {"N": np.array([1e9, 1e10])}
    assert np.isnan(evaluate(law.fn, params, inputs)).all()
    assert np.isnan(_jax_values(law.fn, params, inputs)).all()


def test_the_numpy_path_runs_in_numpy() -> None:
    law = get_law("chinchilla")
    seen = []

    def spy(p, inputs):
        seen.append(namespace(p, inputs).name)
        return law.fn(p, inputs)

    params, inputs = _draw(law, np.random.default_rng(0))
    out = evaluate(spy, params, inputs)
    assert seen == ["numpy"] and type(out) is np.ndarray
    _jax_values(spy, params, inputs)
    assert seen == ["numpy", "jax"]


def test_predictions_broadcast_over_draws() -> None:
    """Bootstrap draws on a leading axis broadcast against the points: each row is that draw's prediction."""
    law = get_law("chinchilla")
    rng = np.random.default_rng(1)
    draws = [_draw(law, rng)[0] for _ in range(5)]
    _, inputs = _draw(law, rng)
    stacked = {k: np.array([d[k] for d in draws])[:, None] for k in law.param_names}
    together = evaluate(law.log_fn, stacked, inputs)
    for row, params in zip(together, draws, strict=True):
        np.testing.assert_allclose(row, evaluate(law.log_fn, params, inputs), rtol=1e-14)


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (np.array([[0.0, 1.0], [-np.inf, 2.0]]), np.array([0.0, np.log(np.e + np.e**2)])),
        (np.array([[-np.inf], [-np.inf]]), np.array([-np.inf])),
        (np.array([[1000.0], [1000.0]]), np.array([1000.0 + np.log(2.0)])),
    ],
)
def test_numpy_logsumexp(x: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(NUMPY.logsumexp(x, axis=0), expected, rtol=1e-15)
    np.testing.assert_allclose(NUMPY.logsumexp(x, axis=0), jax.nn.logsumexp(jnp.asarray(x), axis=0), rtol=1e-15)


def test_numpy_sigmoid_and_softplus_match_jax() -> None:
    x = np.array([-800.0, -40.0, -1.0, 0.0, 1e-9, 3.0, 40.0, 800.0])
    np.testing.assert_allclose(NUMPY.sigmoid(x), jax.nn.sigmoid(jnp.asarray(x)), rtol=1e-15, atol=0.0)
    np.testing.assert_allclose(NUMPY.softplus(x), jax.nn.softplus(jnp.asarray(x)), rtol=1e-15, atol=0.0)
