"""Shared fixtures for tests and doctests.

The compile caches (JAX's programs, lawfit's exported searches) go to a test-only folder of the user's cache folder,
``$XDG_CACHE_HOME/lawfit-tests`` (else ``~/.cache/lawfit-tests``), unless ``$LAWFIT_CACHE_DIR`` is set (CI may point
it at a folder it caches between jobs). So a second test session on the same machine, even from a fresh clone, does
not compile every search again (exported searches are keyed by a hash of lawfit's source, so clones of one commit
share them), and the tests never touch the user's own lawfit cache (``~/.cache/lawfit``). lawfit uses a cache folder
only if it is private: it creates the folder with mode 0o700.
"""

from __future__ import annotations

import os
from pathlib import Path

# lawfit creates the folder (and its subfolders) with mode 0o700 on first use, and uses it only if it is private.
# (An empty LAWFIT_CACHE_DIR counts as unset, as lawfit reads it: it must not lead to the user's own cache.)
os.environ["LAWFIT_CACHE_DIR"] = os.environ.get("LAWFIT_CACHE_DIR") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lawfit-tests"
)

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
