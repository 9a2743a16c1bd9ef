"""Shared fixtures for tests and doctests. The JAX compile caches go to a folder of this checkout (beside pytest's own
cache) so that tests never touch ~/.cache, and a second test session does not compile every search again."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("LAWFIT_CACHE_DIR", str(Path(__file__).parent / ".pytest_cache" / "lawfit"))

import pytest

import lawfit

# The hooks import torch and a training framework (~10 s per worker) and hold no doctests: tests/test_hooks.py
# exercises them.
collect_ignore = ["src/lawfit/hooks/transformers.py", "src/lawfit/hooks/lightning.py"]


@pytest.fixture(scope="session")
def chinchilla_240() -> lawfit.Runs:
    """The bundled Chinchilla runs less the 5 highest-loss ones: Besiroglu et al.'s 240 points."""
    return lawfit.datasets.chinchilla(drop_highest_loss=5)


@pytest.fixture(scope="session")
def chinchilla_fit(chinchilla_240: lawfit.Runs) -> lawfit.Fit:
    return lawfit.fit(chinchilla_240, "chinchilla")
