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


@pytest.fixture(scope="session")
def chinchilla_fit_200(chinchilla_240: lawfit.Runs) -> lawfit.Fit:
    """Approach 3 on the 240 runs with 200 bootstrap draws (seed 0), calibrated as ``lawfit.fit`` does by default."""
    return lawfit.fit(chinchilla_240, "chinchilla", n_resamples=200, seed=0)
