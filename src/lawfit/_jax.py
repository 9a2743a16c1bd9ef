"""One place that imports JAX and sets it up the way lawfit needs it: float64, and a persistent compile cache.

The compile cache lives in the user's cache folder (``$LAWFIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/lawfit``, else
``~/.cache/lawfit``) so that a second ``lawfit fit`` from the shell does not compile the search again: JAX keeps its
compiled programs in ``jax/``, lawfit its traced searches in ``searches/``.

A program read from the cache is run as it is, so the cache must be private. lawfit creates its folders with mode
0o700, and uses the disk cache only if the current user owns the cache folder and both subfolders, and neither group
nor others may write to any of them. Otherwise the disk cache is not used at all (neither JAX's nor lawfit's), and
importing this module warns once why (:class:`~lawfit.CacheWarning`). ``$LAWFIT_NO_DISK_CACHE`` turns it off.
JAX's own warnings about cache entries it cannot read or write are silenced: a bad entry is only compiled again.
"""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

import jax

from .errors import CacheWarning

jax.config.update("jax_enable_x64", True)

#: The subfolders of :func:`cache_dir`: JAX's compiled programs, lawfit's traced searches.
CACHE_FOLDERS = ("jax", "searches")
#: The most JAX's cache of compiled programs may hold on disk (the least recently used go first): 2 GiB.
CACHE_MAX_BYTES = 2 * 2**30

# JAX warns once per entry that it cannot read (a damaged file) or write (a read-only folder, a full disk); the
# cache only costs a compilation then, which is no news for the user.
_JAX_CACHE_WARNINGS = (
    r"Error (reading|writing) persistent compilation cache entry",
    r"Cache value for key .* exceeds the maximum cache size",
)


def quiet_jax_cache_warnings() -> None:
    """Silence JAX's warnings about its cache entries (again: a ``warnings.catch_warnings`` block drops filters)."""
    for text in _JAX_CACHE_WARNINGS:
        warnings.filterwarnings("ignore", message=text, category=UserWarning, module=r"jax\.")


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


# Per cache folder: ("", "") when it and its subfolders are private, else why not and the fix; None when they cannot
# be created (a read-only home), which is no risk and not worth a warning.
_VERDICTS: dict[Path, tuple[str, str] | None] = {}
_WARNED: set[Path] = set()


def cache_folder(name: str, *, warn: bool = True) -> Path | None:
    """The subfolder ``name`` (one of :data:`CACHE_FOLDERS`) of :func:`cache_dir`, created private, or None when
    the disk cache is off or cannot be trusted (see the module's doc), which ``warn`` says once per cache folder.

    >>> cache_folder("searches") in (None, cache_dir() / "searches")
    True
    """
    if not disk_cache_enabled():
        return None
    root = cache_dir()
    if root not in _VERDICTS:
        _VERDICTS[root] = _private_folders(root)
    verdict = _VERDICTS[root]
    if verdict is None:
        return None
    if verdict[0]:
        if warn:
            _warn_once(root, *verdict)
        return None
    return root / name


def _private_folders(root: Path) -> tuple[str, str] | None:
    """``("", "")`` if ``root`` and its subfolders are the current user's and not writable by group or others
    (creating them with mode 0o700), else why not and the fix; None if they cannot be created.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _private_folders(root), oct((root / "searches").stat().st_mode & 0o777)
    (('', ''), '0o700')
    >>> (root / "jax").chmod(0o775)
    >>> _private_folders(root)[0]  # doctest: +ELLIPSIS
    "the cache folder '.../jax' is writable by group (mode 0775)"
    """
    for folder in (root, *(root / name for name in CACHE_FOLDERS)):
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            status = folder.stat()
        except OSError:
            return None  # a read-only home: run without the disk cache rather than fail
        if not stat.S_ISDIR(status.st_mode):
            return f"the cache folder '{folder}' is not a folder", "set LAWFIT_CACHE_DIR to a folder of your own"
        uid = os.getuid() if hasattr(os, "getuid") else None
        if uid is not None and status.st_uid != uid:
            return (
                f"the cache folder '{folder}' belongs to another user (uid {status.st_uid}, not {uid})",
                "set LAWFIT_CACHE_DIR to a folder of your own",
            )
        writers = [who for who, bit in (("group", stat.S_IWGRP), ("others", stat.S_IWOTH)) if status.st_mode & bit]
        if writers:
            return (
                f"the cache folder '{folder}' is writable by {' and '.join(writers)} "
                f"(mode {stat.S_IMODE(status.st_mode):04o})",
                f"make it private (chmod go-w '{folder}') or set LAWFIT_CACHE_DIR to a private folder",
            )
    return "", ""


def _warn_once(root: Path, problem: str, fix: str) -> None:
    if root in _WARNED:
        return
    _WARNED.add(root)
    warnings.warn(
        CacheWarning(
            f"lawfit does not use its disk cache: {problem}, so another user could change the programs it runs. "
            f"To use it, {fix}; until then each run compiles again (LAWFIT_NO_DISK_CACHE=1 turns the cache off).",
            folder=str(root),
            reason=problem,
        ),
        stacklevel=3,
    )


def _enable_persistent_cache() -> None:
    """Point JAX's persistent cache at ``cache_dir()/jax`` if the cache folders are private."""
    folder = cache_folder("jax", warn=False)  # the warning comes last, once the module is set up
    if folder is None:
        return
    jax.config.update("jax_compilation_cache_dir", str(folder))
    # A bounded cache is also a locked one: JAX then reads and writes entries under a file lock, so that a process
    # never reads a program another one is still writing (unlocked, two lawfit processes compiling the same program
    # at once could crash the reader on a half-written file).
    jax.config.update("jax_compilation_cache_max_size", CACHE_MAX_BYTES)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


quiet_jax_cache_warnings()
_enable_persistent_cache()

import jax.numpy as jnp  # noqa: E402

__all__ = ["CACHE_FOLDERS", "cache_dir", "cache_folder", "disk_cache_enabled", "jax", "jnp", "quiet_jax_cache_warnings"]

# Last, when all is set up (under warnings-as-errors the import then fails with the reason, not half-way): why the
# disk cache is not used, if it is not.
cache_folder("jax")
