"""The broken neural scaling law (Caballero et al. 2022): recovery, the power-law special case, options, stability."""

from __future__ import annotations

import numpy as np
import pytest

import lawfit
from lawfit._jax import jnp
from lawfit.laws import law_from_spec

ONE_BREAK = {"a": 1.7, "b": 300.0, "c0": 0.05, "c1": 0.12, "d1": 1e19, "f1": 0.8}
THREE_BREAKS = {
    "a": 1.7,
    "b": 300.0,
    "c0": 0.1,
    **{"c1": 0.2, "d1": 1e7, "f1": 0.5},
    **{"c2": -0.15, "d2": 1e9, "f2": 0.5},
    **{"c3": 0.3, "d3": 1e11, "f3": 0.5},
}
EXPONENTS = ("c0", "c1", "c2", "c3")


@pytest.mark.parametrize(
    ("law", "truth", "x"),
    [
        (lawfit.get_law("bnsl", breaks=1, x="C"), ONE_BREAK, np.logspace(16, 23, 40)),
        (lawfit.get_law("bnsl", breaks=3, x="N"), THREE_BREAKS, np.logspace(5, 13, 60)),
    ],
    ids=["one break", "three breaks"],
)
def test_noiseless_data_recovers_the_law(law: lawfit.Law, truth: dict[str, float], x: np.ndarray) -> None:
    # The data sample every bend densely (several points per f in ln x), so even the sharpness f is identified.
    (name,) = law.inputs
    y = law.predict(truth, **{name: x})
    f = lawfit.fit({name: x, "loss": y}, law, objective="mse-log")
    assert f.converged, f.message
    np.testing.assert_allclose(f.predict(**{name: x}), y, rtol=1e-6)
    for p, value in truth.items():
        if p in EXPONENTS:
            assert f.params[p] == pytest.approx(value, abs=1e-4), p
        else:
            assert f.params[p] == pytest.approx(value, rel=1e-6), p


def test_no_breaks_is_the_power_law() -> None:
    x = np.logspace(6, 12, 13)
    bnsl = lawfit.get_law("bnsl", breaks=0, x="N")
    power = lawfit.get_law("power", x="N")
    assert bnsl.param_names == ("a", "b", "c0")
    assert bnsl.formula == "a + b * N**-c0"
    np.testing.assert_allclose(
        bnsl.predict({"a": 1.7, "b": 410.0, "c0": 0.34}, N=x),
        power.predict({"E": 1.7, "A": 410.0, "alpha": 0.34}, N=x),
        rtol=1e-14,
    )


def test_log_fn_is_the_log_of_fn_and_stays_finite() -> None:
    law = lawfit.get_law("bnsl", breaks=3, x="N")
    params = {k: jnp.asarray(v) for k, v in THREE_BREAKS.items()}
    x = jnp.asarray(np.logspace(5, 13, 17))
    np.testing.assert_allclose(law.log_fn(params, {"N": x}), np.log(law.fn(params, {"N": x})), rtol=1e-13)
    # A very sharp break: (x/d)**(1/f) overflows in float64, its log does not.
    sharp = {**params, "f1": jnp.asarray(1e-3)}
    assert np.all(np.isfinite(np.asarray(law.log_fn(sharp, {"N": jnp.asarray([1e5, 1e8, 1e13])}))))


def test_start_grid_stays_modest_and_guess_places_breaks_in_the_data() -> None:
    x = np.logspace(16, 23, 40)
    y = lawfit.get_law("bnsl", breaks=1, x="C").predict(ONE_BREAK, C=x)
    for k in range(4):
        law = lawfit.get_law("bnsl", breaks=k, x="C")
        assert law.guess is not None
        guesses = law.guess({"C": x}, y)
        assert guesses.shape[1] == len(law.params)
        assert np.all(np.isfinite(guesses))
        assert len(law.start_grid()) + len(guesses) <= 5000
        for i in range(1, k + 1):
            d = guesses[:, law.param_names.index(f"d{i}")]
            assert np.all((d > x.min()) & (d < x.max()))


def test_options_are_checked() -> None:
    with pytest.raises(lawfit.LawfitError, match=r"'breaks' parameter of bnsl must be an integer in 0\.\.3\. Got 5"):
        lawfit.get_law("bnsl", breaks=5)
    for bad in (-1, 1.0, True, "1"):
        with pytest.raises(lawfit.LawfitError, match="'breaks' parameter of bnsl"):
            lawfit.get_law("bnsl", breaks=bad)
    with pytest.raises(lawfit.LawfitError, match=r"The 'x' parameter of bnsl must be one of 'N', 'D', 'C'\. Got 'U'"):
        lawfit.get_law("bnsl", x="U")


def test_spec_rebuilds_the_law() -> None:
    law = lawfit.get_law("bnsl", breaks=2, x="D")
    assert law.spec == {"builtin": "bnsl", "breaks": 2, "x": "D"}
    rebuilt = law_from_spec(dict(law.spec))
    assert rebuilt.param_names == ("a", "b", "c0", "c1", "d1", "f1", "c2", "d2", "f2")
    assert rebuilt.inputs == ("D",) and rebuilt.key == law.key
