"""One place that imports JAX and sets it up the way lawfit needs it: float64, and a persistent compile cache.

The compile cache lives in the user's cache folder (``$LAWFIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/lawfit``, else
``~/.cache/lawfit``) so that a second ``lawfit fit`` from the shell does not compile the search again.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)


def cache_dir() -> Path:
    """The folder for lawfit's persistent caches."""
    explicit = os.environ.get("LAWFIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lawfit"


def disk_cache_enabled() -> bool:
    """False when ``$LAWFIT_NO_DISK_CACHE`` is set: nothing is then written to the cache folder."""
    return not os.environ.get("LAWFIT_NO_DISK_CACHE")


def _enable_persistent_cache() -> None:
    if not disk_cache_enabled():
        return
    folder = cache_dir() / "jax"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only home: run without the disk cache rather than fail
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


_enable_persistent_cache()

import jax.numpy as jnp  # noqa: E402

__all__ = ["cache_dir", "disk_cache_enabled", "jax", "jnp"]
