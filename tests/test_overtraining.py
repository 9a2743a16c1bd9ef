"""The over-training law (Gadre et al. 2024): its two written forms, its Chinchilla special case, recovery."""

from __future__ import annotations

import numpy as np
import pytest

import lawfit
from lawfit._jax import jnp

TRUTH = {"E": 1.85, "a": 420.0, "b": 1600.0, "alpha_C": 0.16}


def _grid() -> tuple[np.ndarray, np.ndarray]:
    """7 sizes x 7 token multipliers M = D/N from 5 (under-trained) to 320 (heavily over-trained)."""
    n, m = np.meshgrid(np.logspace(7, 10, 7), np.geomspace(5.0, 320.0, 7))
    return n.ravel(), (m * n).ravel()


def test_noiseless_data_recovers_the_parameters() -> None:
    n, d = _grid()
    law = lawfit.get_law("overtraining")
    f = lawfit.fit({"N": n, "D": d, "loss": law.predict(TRUTH, N=n, D=d)}, law, objective="mse-log")
    assert f.converged, f.message
    for name, value in TRUTH.items():
        assert f.params[name] == pytest.approx(value, rel=1e-6), name


def test_the_two_written_forms_agree() -> None:
    # Gadre et al.: E + a*N**eta + b*6**(eta/2)*(M*N)**eta = E + C**-alpha_C*(a*6**alpha_C*M**alpha_C +
    # b*M**-alpha_C), with C = 6*M*N**2 and alpha_C = -eta/2.
    n, d = _grid()
    m, c, ac = d / n, 6 * d * n, TRUTH["alpha_C"]
    compute_form = TRUTH["E"] + c**-ac * (TRUTH["a"] * 6**ac * m**ac + TRUTH["b"] * m**-ac)
    eta = -2 * ac
    parameter_form = TRUTH["E"] + TRUTH["a"] * n**eta + TRUTH["b"] * 6 ** (eta / 2) * (m * n) ** eta
    law = lawfit.get_law("overtraining")
    np.testing.assert_allclose(law.predict(TRUTH, N=n, D=d), compute_form, rtol=1e-13)
    np.testing.assert_allclose(law.predict(TRUTH, N=n, D=d), parameter_form, rtol=1e-13)


def test_log_fn_is_the_log_of_fn() -> None:
    n, d = _grid()
    law = lawfit.get_law("overtraining")
    params = {k: jnp.asarray(v) for k, v in TRUTH.items()}
    inputs = {"N": jnp.asarray(n), "D": jnp.asarray(d)}
    np.testing.assert_allclose(law.log_fn(params, inputs), np.log(law.fn(params, inputs)), rtol=1e-13)


def test_it_is_chinchilla_with_one_exponent() -> None:
    # alpha = beta = 2*alpha_C, A = a, B = b * 6**-alpha_C.
    n, d = _grid()
    ac = TRUTH["alpha_C"]
    chinchilla = {"E": TRUTH["E"], "A": TRUTH["a"], "B": TRUTH["b"] * 6**-ac, "alpha": 2 * ac, "beta": 2 * ac}
    np.testing.assert_allclose(
        lawfit.get_law("overtraining").predict(TRUTH, N=n, D=d),
        lawfit.get_law("chinchilla").predict(chinchilla, N=n, D=d),
        rtol=1e-13,
    )


def test_exponent_is_positive_and_spec_rebuilds() -> None:
    law = lawfit.get_law("overtraining")
    (alpha_c,) = (p for p in law.params if p.name == "alpha_C")
    assert alpha_c.lower == 0.0  # eta = -2*alpha_C < 0
    assert law.spec == {"builtin": "overtraining"}
    assert lawfit.get_law("overtraining").key == law.key
    with pytest.raises(lawfit.LawfitError, match="takes no options"):
        lawfit.get_law("overtraining", x="N")
