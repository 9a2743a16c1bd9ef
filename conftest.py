"""Shared fixtures for tests and doctests. The JAX compile cache goes to a per-session temporary folder so tests
never touch ~/.cache."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("LAWFIT_CACHE_DIR", tempfile.mkdtemp(prefix="lawfit-test-cache-"))

import pytest

import lawfit


@pytest.fixture(scope="session")
def chinchilla_240() -> lawfit.Runs:
    """The bundled Chinchilla runs less the 5 highest-loss ones: Besiroglu et al.'s 240 points."""
    return lawfit.datasets.chinchilla(drop_highest_loss=5)


@pytest.fixture(scope="session")
def chinchilla_fit(chinchilla_240: lawfit.Runs) -> lawfit.Fit:
    return lawfit.fit(chinchilla_240, "chinchilla")
