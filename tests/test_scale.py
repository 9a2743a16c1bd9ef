"""Large inputs and weight scales (issue 12): the search, the bootstrap and predictions work in chunks sized to a
memory budget and give the same answers as unchunked; weights are used only relative to each other; the
points-versus-parameters check counts the runs with non-zero weight however the weights are given."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lawfit
from lawfit import search as search_module
from lawfit.errors import DataError
from lawfit.objectives import Objective


def _power_runs(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    N = np.logspace(6, 9, n)
    return {"N": N, "loss": (1.8 + 400 * N**-0.3) * np.exp(rng.normal(0, 0.01, n))}


def _chinchilla_runs(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    N = 10 ** rng.uniform(7, 10, n)
    D = N * 10 ** rng.uniform(0, 3, n)
    loss = (1.69 + 406.4 / N**0.34 + 410.7 / D**0.28) * np.exp(rng.normal(0, 0.01, n))
    return {"N": N, "D": D, "loss": loss}


@settings(max_examples=6, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1), st.sampled_from(["power", "chinchilla"]))
def test_weights_scaled_by_1e9_or_1e_9_give_the_same_fit(chinchilla_240: lawfit.Runs, seed: int, law: str) -> None:
    data = _power_runs(16) if law == "power" else chinchilla_240
    n = 16 if law == "power" else len(chinchilla_240)
    w = np.random.default_rng(seed).uniform(0.1, 10.0, n)
    options = {"x": "N"} if law == "power" else {}
    with (
        warnings.catch_warnings()
    ):  # some random weightings leave the 16-run power law weakly identified: not the point
        warnings.simplefilter("ignore", lawfit.IdentifiabilityWarning)
        fits = [lawfit.fit(data, law, weights=w * scale, **options) for scale in (1e-9, 1.0, 1e9)]
    assert all(f.converged for f in fits), [f.message for f in fits]
    for f in fits[::2]:
        for name, value in fits[1].params.items():
            assert f.params[name] == pytest.approx(value, rel=1e-8), name
    # The objective is reported in the weights' own scale: sum_i w_i rho(r_i).
    assert fits[0].objective == pytest.approx(1e-9 * fits[1].objective, rel=1e-8)
    assert fits[2].objective == pytest.approx(1e9 * fits[1].objective, rel=1e-8)


def test_uniform_tiny_weights_are_not_a_converged_grid_start() -> None:
    # Before: weights of 1e-9 met the absolute convergence test at once and returned a start of the grid.
    data = _chinchilla_runs(400)
    ones = lawfit.fit(data, "chinchilla")
    tiny = lawfit.fit(data, "chinchilla", weights=np.full(400, 1e-9))
    assert tiny.converged
    for name, value in ones.params.items():
        assert tiny.params[name] == pytest.approx(value, rel=1e-8), name


@pytest.mark.filterwarnings("ignore::lawfit.LawfitWarning")  # 5 to 8 runs for 5 parameters: weakly identified
@settings(max_examples=8, deadline=None)
@given(st.integers(min_value=0, max_value=8), st.booleans())
def test_points_check_counts_nonzero_weights_however_given(nonzero: int, as_column: bool) -> None:
    data = _chinchilla_runs(12)
    w = np.zeros(12)
    w[:nonzero] = 1.0
    if nonzero == 0:
        w[0] = 0.0  # all zero: refused as weights by either path
    given_as = {"data": {**data, "weight": w}} if as_column else {"data": data, "weights": w}
    if nonzero < 5:  # chinchilla has 5 parameters
        with pytest.raises(lawfit.LawfitError) as caught:
            lawfit.fit(given_as.pop("data"), "chinchilla", **given_as)
        if nonzero > 0:
            assert isinstance(caught.value, DataError)
            assert f"{nonzero} points with nonzero weight" in str(caught.value)
    else:
        f = lawfit.fit(given_as.pop("data"), "chinchilla", **given_as)
        assert f.n_points == 12


def test_chunked_search_reaches_the_unchunked_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = lawfit.load_runs(_chinchilla_runs(300, seed=1))
    law = lawfit.get_law("chinchilla")
    inputs, y, w = runs.inputs(law.inputs), runs.column("loss"), np.ones(len(runs))
    monkeypatch.setattr(search_module, "MEMORY_BUDGET", 2**40)  # every start of the grid at once
    assert search_module._in_flight(512, search_module._VALUE_BYTES, 4096) == 4096
    whole = search_module.search(law, Objective(), inputs, y, w)
    # A budget of 256 KB: the grid is scored 4 starts at a time, and BFGS runs one start at a time.
    monkeypatch.setattr(search_module, "MEMORY_BUDGET", 2**18)
    assert search_module._in_flight(512, search_module._VALUE_BYTES, 4096) == 4
    assert search_module._in_flight(512, search_module._GRADIENT_BYTES, 64) == 1
    chunked = search_module.search(law, Objective(), inputs, y, w)
    assert chunked.converged and whole.converged
    assert chunked.objective == pytest.approx(whole.objective, rel=1e-10)
    for name in whole.params:
        assert chunked.params[name] == pytest.approx(whole.params[name], rel=1e-8)


def test_chunked_bootstrap_and_intervals_match_unchunked(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = lawfit.load_runs(_chinchilla_runs(200, seed=2))
    f = lawfit.fit(runs, "chinchilla")
    whole = lawfit.bootstrap(f, runs, n_resamples=40, seed=3)
    points = {"N": np.logspace(7.5, 9.5, 50), "D": np.logspace(9, 11.5, 50)}
    law_whole = whole.predict_interval(0.9, of="law", **points)
    run_whole = whole.predict_interval(0.9, of="run", **points)
    monkeypatch.setattr(search_module, "MEMORY_BUDGET", 2**16)  # 64 KB: a few refits and points at a time
    monkeypatch.setattr(lawfit.uncertainty, "MEMORY_BUDGET", 2**16)
    chunked = lawfit.bootstrap(f, runs, n_resamples=40, seed=3)
    # The same resamples (one seeded stream, drawn in chunks), refitted to the same optima.
    np.testing.assert_allclose(chunked.bootstrap.draws, whole.bootstrap.draws, rtol=1e-6)
    law_chunked = chunked.predict_interval(0.9, of="law", **points)
    np.testing.assert_allclose(law_chunked, law_whole, rtol=1e-6)
    run_chunked = chunked.predict_interval(0.9, of="run", **points)
    assert np.shape(run_chunked) == np.shape(run_whole)
    assert np.all(run_chunked[0] < f.predict(**points)) and np.all(run_chunked[1] > f.predict(**points))


def test_inputs_of_shapes_that_do_not_combine_are_one_clear_error(chinchilla_fit: lawfit.Fit) -> None:
    with pytest.raises(lawfit.LawfitError, match="shapes that do not combine"):
        chinchilla_fit.predict_interval(0.9, of="law", N=[1e9, 7e10, 1e11], D=[2e10, 1.4e12])


MEMORY_CHECK = """
import numpy as np, lawfit
rng = np.random.default_rng(0)
n = 10_000
N = 10 ** rng.uniform(7, 10, n)
D = N * 10 ** rng.uniform(0, 3, n)
loss = (1.69 + 406.4 / N**0.34 + 410.7 / D**0.28) * np.exp(rng.normal(0, 0.01, n))
f = lawfit.fit({"N": N, "D": D, "loss": loss}, "chinchilla")
assert f.converged, f.message
small = lawfit.datasets.chinchilla(drop_highest_loss=5)
b = lawfit.fit(small, "chinchilla", n_resamples=200, seed=0, calibrate=False)
points = np.logspace(8, 10, 1_000_000)
low, high = b.predict_interval(0.9, of="law", N=points, D=20 * points)
assert low.shape == (1_000_000,) and np.all(low < high)
# The peak resident memory of this process since its exec (ru_maxrss would count the forking test worker's too).
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) // 1024)
"""


def test_memory_stays_bounded_for_many_runs_and_many_points() -> None:
    # Before: the grid was scored 2,048 starts at a time over all rows (2.8 GB peak at 10,000 runs, padded to 16,384),
    # and an interval at 1,000,000 points held 200 draws of each at once (several GB).
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", MEMORY_CHECK], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    peak_mb = int(out.stdout.strip().splitlines()[-1])
    assert peak_mb < 1500, f"peak memory {peak_mb} MB"


def test_a_bootstrap_too_large_for_memory_names_the_size_that_fits(chinchilla_fit: lawfit.Fit) -> None:
    # Before: 100,000,000 resamples built a 100,000,000 x 240 weight matrix (180 GiB) and died allocating it.
    runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    largest = lawfit.uncertainty.max_resamples(5)
    with pytest.raises(lawfit.LawfitError, match=f"at most {largest:,} fit"):
        lawfit.bootstrap(chinchilla_fit, runs, n_resamples=100_000_000)
