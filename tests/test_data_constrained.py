"""The data-constrained law (Muennighoff et al. 2023): the published fit reproduced on the paper's 182 points."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import lawfit
from lawfit._jax import jax, jnp
from lawfit.laws import law_from_spec
from lawfit.objectives import Objective

DATA = Path(__file__).parent / "data" / "datablations_fit_points.csv"

# The fixed Chinchilla part: the authors' C4 fit, datablations utils/parametric_fit.ipynb cell 7 (a, b, e in log
# space): a, b, e, alpha, beta = 6.255414, 7.3049974, 0.6254804, 0.3526596, 0.3526596 (tests/data/PROVENANCE.md).
CHINCHILLA_C4 = {
    "E": math.exp(0.6254804),
    "A": math.exp(6.255414),
    "B": math.exp(7.3049974),
    "alpha": 0.3526596,
    "beta": 0.3526596,
}
# The paper's fit (arXiv:2305.16264, and the repository README): R_D* = 15.387756, R_N* = 5.309743.
PUBLISHED = {"R_D": 15.387756, "R_N": 5.309743}
# Notebook cell 29: the minimum of the summed Huber (delta 1e-3) objective, 0.015825936 (printed as 0.0158259).
PUBLISHED_OBJECTIVE = 0.0158259
# Notebook cells 34 and 33: R^2 of the data-constrained law and of plain Chinchilla with the same coefficients.
PUBLISHED_R2 = 0.7722
PUBLISHED_R2_CHINCHILLA = 0.4452


@pytest.fixture(scope="module")
def runs() -> lawfit.Runs:
    return lawfit.load_runs(
        DATA,
        columns={"N": "N_params", "D": "D_tokens", "U": "U_unique_tokens", "loss": "val_loss", "run": "name"},
    )


@pytest.fixture(scope="module")
def law() -> lawfit.Law:
    return lawfit.get_law("data_constrained").fix(**CHINCHILLA_C4)


@pytest.fixture(scope="module")
def fitted(runs: lawfit.Runs, law: lawfit.Law) -> lawfit.Fit:
    return lawfit.fit(runs, law, objective="huber")


def _r2(y: np.ndarray, prediction: np.ndarray) -> float:
    # The notebook's R^2: of the loss itself, not of its log (the log gives 0.808 and 0.344 instead).
    return float(1.0 - np.sum((y - prediction) ** 2) / np.sum((y - y.mean()) ** 2))


def test_objective_at_published_decay_constants(runs: lawfit.Runs, law: lawfit.Law) -> None:
    assert len(runs) == 182
    inputs = {k: jnp.asarray(v) for k, v in runs.inputs(law.inputs).items()}
    y = jnp.asarray(runs.column("loss"))
    params = {k: jnp.asarray(v) for k, v in PUBLISHED.items()}
    value = Objective("huber", delta=1e-3)(law, params, inputs, y, jnp.ones_like(y))
    assert float(value) == pytest.approx(PUBLISHED_OBJECTIVE, rel=1e-5)


def test_r2_of_the_law_and_of_plain_chinchilla(runs: lawfit.Runs, law: lawfit.Law) -> None:
    y = runs.column("loss")
    full = law.predict(PUBLISHED, **runs.inputs(law.inputs))
    plain = lawfit.get_law("chinchilla").predict(CHINCHILLA_C4, **runs.inputs(("N", "D")))
    assert _r2(y, full) == pytest.approx(PUBLISHED_R2, abs=5e-5)
    assert _r2(y, plain) == pytest.approx(PUBLISHED_R2_CHINCHILLA, abs=5e-5)


def test_fit_reaches_the_published_objective(fitted: lawfit.Fit) -> None:
    # R_D* itself is not pinned: the objective is flat in it, and lower optima lie near R_D* ~ 95 (provenance).
    assert fitted.converged, fitted.message
    assert fitted.objective <= PUBLISHED_OBJECTIVE
    assert fitted.law.param_names == ("R_D", "R_N")
    assert all(v > 0 for v in fitted.params.values())


def test_fixed_law_survives_save_and_load(fitted: lawfit.Fit, tmp_path: Path) -> None:
    loaded = lawfit.load_fit(fitted.save(tmp_path / "dc.json"))
    assert loaded.law.fixed == pytest.approx(CHINCHILLA_C4)
    sizes = {"N": 1e9, "D": 1e11, "U": 1e10}
    assert loaded.law.predict(loaded.params, **sizes) == pytest.approx(fitted.law.predict(fitted.params, **sizes))


def test_without_repetition_it_is_chinchilla(law: lawfit.Law) -> None:
    # One epoch (D = U) of a model no larger than compute-optimal for U: no excess data, no excess parameters.
    n = np.array([1e8, 3e8, 1e9])
    d = u = np.array([1e11, 3e11, 1e12])
    chinchilla = lawfit.get_law("chinchilla").predict(CHINCHILLA_C4, N=n, D=d)
    np.testing.assert_allclose(law.predict(PUBLISHED, N=n, D=d, U=u), chinchilla, rtol=1e-13)


def test_repeated_data_is_worth_less_than_fresh_data(law: lawfit.Law) -> None:
    # D' grows with repetitions but never beyond U*(1 + R_D*): four epochs almost as good as fresh data, forty not.
    fresh = law.predict(PUBLISHED, N=1e9, D=4e10, U=4e10)
    four = law.predict(PUBLISHED, N=1e9, D=4e10, U=1e10)
    forty = law.predict(PUBLISHED, N=1e9, D=4e11, U=1e10)
    limit = lawfit.get_law("chinchilla").predict(CHINCHILLA_C4, N=1e9, D=1e10 * (1 + PUBLISHED["R_D"]))
    assert fresh < four < fresh * 1.01
    assert forty > limit


def test_gradient_is_finite_at_zero_repetitions_and_extreme_decay(runs: lawfit.Runs, law: lawfit.Law) -> None:
    inputs = {k: jnp.asarray(v) for k, v in runs.inputs(law.inputs).items()}
    assert np.any(runs.column("D") == runs.column("U"))  # some runs see their data once: R_D = 0
    y = jnp.asarray(runs.column("loss"))
    objective = Objective("huber", delta=1e-3)

    def total(log_r: jax.Array) -> jax.Array:
        params = {"R_D": jnp.exp(log_r[0]), "R_N": jnp.exp(log_r[1])}
        return objective(law, params, inputs, y, jnp.ones_like(y))

    for r_d, r_n in [(15.0, 5.0), (1e-6, 1e-6), (1e8, 1e8)]:
        grad = jax.grad(total)(jnp.log(jnp.asarray([r_d, r_n])))
        assert np.all(np.isfinite(np.asarray(grad))), (r_d, r_n)


def test_full_law_recovers_noiseless_data(runs: lawfit.Runs) -> None:
    law = lawfit.get_law("data_constrained")
    truth = {**CHINCHILLA_C4, "R_D": 15.0, "R_N": 5.0}
    sizes = runs.inputs(law.inputs)
    data = {**sizes, "loss": law.predict(truth, **sizes)}
    f = lawfit.fit(data, law, objective="mse-log")
    assert f.converged, f.message
    for name, value in truth.items():
        assert f.params[name] == pytest.approx(value, rel=1e-6), name


def test_builtin_spec_rebuilds_the_law(law: lawfit.Law) -> None:
    assert lawfit.get_law("data_constrained").inputs == ("N", "D", "U")
    rebuilt = law_from_spec(dict(law.spec))
    assert rebuilt.param_names == ("R_D", "R_N")
    assert rebuilt.predict(PUBLISHED, N=2e9, D=1e11, U=1e10) == law.predict(PUBLISHED, N=2e9, D=1e11, U=1e10)
