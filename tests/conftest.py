"""Fixtures shared by several test files (the root conftest.py holds the session's setup and the Chinchilla runs).

A cold test session compiles each distinct search (law, objective, data size, number of refits side by side) once,
and each costs seconds to tens of seconds of XLA compilation. So tests that only need *a* bootstrapped Chinchilla fit
share this one: the same call as the other tests that bootstrap the 240 runs 200 times (tests/test_plot.py,
tests/test_calibration.py, the reports), so its refits run the compiled program those use, and within one worker
the fit itself is computed once.
"""

from __future__ import annotations

import pytest

import lawfit
from capabilities_data import BASE, COUNTS, EMERGENT


@pytest.fixture(scope="session")
def chinchilla_fit_200(chinchilla_240: lawfit.Runs) -> lawfit.Fit:
    """Approach 3 on the 240 runs with 200 bootstrap draws (seed 0), calibrated as ``lawfit.fit`` does by default."""
    return lawfit.fit(chinchilla_240, "chinchilla", n_resamples=200, seed=0)


@pytest.fixture(scope="session")
def benchmark_table() -> lawfit.capabilities.Benchmarks:
    """Ruan et al.'s 148 base models with the 8 base benchmarks and the emergent tasks' scores."""
    from lawfit.capabilities import load_benchmarks

    return load_benchmarks(BASE, scores=EMERGENT)


@pytest.fixture(scope="session")
def pythia_coverage() -> dict[str, dict]:
    """Pythia 160M and 12B from 100 samples per problem (seed 0): coverage curve, exponentiated power law, and the
    coverage forecast at k = 10 to 10,000."""
    from lawfit.capabilities import coverage_curve, fit_exp_power_law, forecast_coverage, read_counts, subsample_counts

    counts = read_counts(COUNTS)
    out = {}
    for model in ("Pythia 160M", "Pythia 12B"):
        n, c = subsample_counts(*counts[model], 100, seed=0)
        curve = coverage_curve(n, c, n_resamples=20)
        out[model] = {
            "curve": curve,
            "law": fit_exp_power_law(curve),
            "forecast": forecast_coverage(n, c, [10, 100, 1000, 10000], n_resamples=10),
        }
    return out
