"""The global search: never worse than the exhaustive multi-start search, bounds, determinism, failure reports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lawfit
from lawfit.objectives import Objective
from lawfit.search import SearchOptions, search
from reference import reference_fit

# The exhaustive reference (tests/reference.py: scipy L-BFGS-B with the analytic gradient from each of Hoffmann's 4,500
# starts, best kept) on the 240 points, stored with how it was produced (tests/data/make_reference_fit.py). It takes
# minutes: test_stored_reference_is_reproduced (marked slow) reruns it, benchmarks/bench_fit.py times it live.
REFERENCE_FILE = Path(__file__).parent / "data" / "reference_fit_chinchilla240.json"
# lawfit's objective is at most the reference's (up to rounding), and its parameters agree with the reference's to the
# reference's own convergence tolerance (scipy's L-BFGS-B defaults stop short of the optimum's last digits).
OBJECTIVE_RTOL = 1e-12
PARAMS_RTOL = 2e-5


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE_FILE.read_text())


def test_never_worse_than_exhaustive_scipy_search_on_real_data(chinchilla_fit, reference) -> None:
    assert chinchilla_fit.objective <= reference["objective"] * (1 + OBJECTIVE_RTOL)
    for name, value in reference["params"].items():
        assert chinchilla_fit.params[name] == pytest.approx(value, rel=PARAMS_RTOL), name


@pytest.mark.slow
def test_stored_reference_is_reproduced(chinchilla_240, reference) -> None:
    n, d, loss = chinchilla_240.column("N"), chinchilla_240.column("D"), chinchilla_240.column("loss")
    objective, theta = reference_fit(np.log(n), np.log(d), np.log(loss))
    assert objective == pytest.approx(reference["objective"], rel=1e-9)
    assert dict(zip(reference["theta"], theta, strict=True)) == pytest.approx(reference["theta"], rel=1e-6, abs=1e-9)


def _noisy(law: lawfit.Law, truth: dict[str, float], noise: float, seed: int) -> tuple[dict, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 10.0 ** rng.uniform(7, 10, 60)
    c = 10.0 ** rng.uniform(18, 22, 60)
    d = c / (6 * n)
    inputs = {"N": n, "D": d, "C": c}
    clean = law.predict(truth, **{k: inputs[k] for k in law.inputs})
    return {k: inputs[k] for k in law.inputs}, clean * np.exp(rng.normal(0, noise, n.size))


# A table of problems, as optimistix's tests/helpers.py does for its solvers: each is run by the default search and
# by the exhaustive local search (every grid start polished to convergence). The optimum is known to be at most the
# objective at the generating parameters.
PROBLEMS = [
    ("chinchilla", {}, {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}, 0.01, 1),
    ("chinchilla", {}, {"E": 2.2, "A": 50.0, "B": 5.0e4, "alpha": 0.2, "beta": 0.5}, 0.02, 2),
    ("chinchilla", {}, {"E": 0.8, "A": 3.0e3, "B": 300.0, "alpha": 0.5, "beta": 0.25}, 0.005, 3),
    ("power", {"x": "C"}, {"E": 1.5, "A": 80.0, "alpha": 0.1}, 0.01, 4),
    ("kaplan", {}, {"Nc": 8.8e13, "Dc": 5.4e13, "alpha_N": 0.076, "alpha_D": 0.095}, 0.005, 5),
]


# The exhaustive search takes minutes of real work (4,500 starts polished for the chinchilla problems), so its optima
# are stored with how they were produced (tests/data/make_reference_synthetic.py); the slow test reruns it.
SYNTHETIC_FILE = Path(__file__).parent / "data" / "reference_synthetic_exhaustive.json"


def problem_key(name: str, seed: int) -> str:
    return f"{name}/seed={seed}"


def _objective(name: str, options: dict) -> tuple[lawfit.Law, Objective]:
    return lawfit.get_law(name, **options), Objective("huber", delta=1e-3)


def exhaustive_objective(name: str, options: dict, truth: dict, noise: float, seed: int) -> float:
    """The best objective of every start of the law's grid polished to convergence."""
    law, objective = _objective(name, options)
    inputs, y = _noisy(law, truth, noise, seed)
    n_starts = law.start_grid().shape[0]
    options = SearchOptions(n_explore=n_starts, explore_steps=2000, n_polish=n_starts)
    return float(search(law, objective, inputs, y, np.ones(y.size), grid=law.start_grid(), options=options).objective)


@pytest.fixture(scope="module")
def synthetic_optima() -> dict[str, float]:
    return json.loads(SYNTHETIC_FILE.read_text())["objectives"]


@pytest.mark.parametrize(("name", "options", "truth", "noise", "seed"), PROBLEMS)
def test_never_worse_than_exhaustive_search_on_synthetic_problems(
    name, options, truth, noise, seed, synthetic_optima
) -> None:
    law, objective = _objective(name, options)
    inputs, y = _noisy(law, truth, noise, seed)
    w = np.ones(y.size)
    fast = search(law, objective, inputs, y, w)
    at_truth = float(
        objective(
            law,
            {k: np.float64(v) for k, v in truth.items()},
            {k: np.asarray(v) for k, v in inputs.items()},
            y,
            w,
        )
    )
    assert fast.converged, fast.message
    assert fast.objective <= synthetic_optima[problem_key(name, seed)] * (1 + 1e-7) + 1e-15
    assert fast.objective <= at_truth


@pytest.mark.slow
@pytest.mark.parametrize(("name", "options", "truth", "noise", "seed"), PROBLEMS)
def test_stored_exhaustive_optima_are_reproduced(name, options, truth, noise, seed, synthetic_optima) -> None:
    stored = synthetic_optima[problem_key(name, seed)]
    assert exhaustive_objective(name, options, truth, noise, seed) == pytest.approx(stored, rel=1e-7, abs=1e-15)


def test_bounds_are_kept_exactly() -> None:
    n = np.logspace(7, 10, 12)
    loss = 1.8 + 400.0 * n**-0.32
    law = lawfit.get_law("power", x="N")
    from dataclasses import replace

    capped = replace(law, params=tuple(replace(p, upper=1.5) if p.name == "E" else p for p in law.params))
    result = search(capped, Objective("mse-log"), {"N": n}, loss, np.ones(12))
    assert result.params["E"] == 1.5
    assert result.at_bounds == ("E",)
    assert "at a bound: E" in result.message


def test_search_is_deterministic(chinchilla_240) -> None:
    a = lawfit.fit(chinchilla_240, "chinchilla")
    b = lawfit.fit(chinchilla_240, "chinchilla")
    assert dict(a.params) == dict(b.params) and a.objective == b.objective


def test_unconverged_search_says_so_in_words(chinchilla_240) -> None:
    options = SearchOptions(n_explore=4, explore_steps=1, n_polish=2, max_steps=3)
    with pytest.warns(lawfit.ConvergenceWarning, match="did not converge"):
        f = lawfit.fit(chinchilla_240, "chinchilla", search_options=options)
    assert not f.converged
    assert "3-step limit" in f.message


def test_grid_of_wrong_shape_is_refused() -> None:
    n = np.logspace(7, 10, 12)
    with pytest.raises(lawfit.LawfitError, match=r"start grid of law power must have shape \(n_starts, 3\)"):
        lawfit.fit({"N": n, "loss": 2 + n**-0.3}, "power", x="N", grid=np.ones((4, 2)))


@pytest.mark.parametrize(("field", "value"), [("n_polish", 0), ("max_steps", 2.5), ("rtol", -1.0)])
def test_search_options_are_validated(field: str, value: float) -> None:
    with pytest.raises(lawfit.LawfitError, match=f"'{field}' parameter of SearchOptions"):
        SearchOptions(**{field: value})


def test_batched_searches_of_two_to_five_rows_share_one_program() -> None:
    # Nested back-tests make 1 + (1 to 4 cuts) searches per weighting: padded to 5 rows, every count is one program,
    # and each row's result is its own (the spare rows are discarded).
    from lawfit import search as engine
    from lawfit.laws import power

    n = np.logspace(6, 9, 12)
    y = 2.0 + 300 * n**-0.3
    options = SearchOptions(n_explore=8, n_polish=2)
    before = len(engine._COMPILED)
    results = {}
    for rows in (2, 3, 5):
        w = np.ones((rows, 12))
        w[1:, 12 - rows :] = 0.0  # row i > 0 leaves out the largest runs
        results[rows] = engine.search_many(power("N"), Objective("mse-log"), {"N": n}, y, w, options=options)
        assert len(results[rows]) == rows
    assert len(engine._COMPILED) - before <= 1
    single = search(power("N"), Objective("mse-log"), {"N": n[:9]}, y[:9], np.ones(9), options=options)
    assert results[3][1].params["alpha"] == pytest.approx(single.params["alpha"], rel=1e-6)
