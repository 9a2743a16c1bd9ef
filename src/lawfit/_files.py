"""Writing lawfit's files so that nothing is lost: atomic writes, and a look before overwriting.

:func:`write_atomic` writes a temporary file in the target's folder, flushes it to the disk and renames it over
the target, so that the target is at every moment either the old file or the complete new one: a process killed
mid-write, or a full disk, leaves the old file as it was. :func:`write_figure` does the same for a matplotlib
figure, stamped as lawfit's. :func:`check_output` is called before any work, and refuses an output path that
would destroy something: a file lawfit did not write, an input of the same command, a symbolic link, anything but
a regular file, or a folder that does not exist.

A process killed while writing leaves its temporary, ``.NAME.PID.XXXXXXXX.tmp`` beside ``NAME``; the next write of
``NAME`` removes the temporaries of processes of this machine that no longer run.

Standard library only: the command line imports this module before any work.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
>>> write_atomic(path, "first\\n").read_text()
'first\\n'
>>> _ = write_atomic(path, "second\\n")
>>> sorted(os.listdir(os.path.dirname(path)))
['notes.txt']
>>> check_output(path)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
lawfit.errors.OutputError: '...notes.txt' exists and lawfit did not write it. Choose another path, or pass force=True...
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import OutputError

__all__ = ["KINDS", "check_output", "lawfit_kind", "write_atomic", "write_figure"]

# What lawfit writes, and how each is recognised from the first bytes of the file (and for a PDF, whose document
# information comes last, from its last bytes): a fit's or a curve fit's first key is its schema (a curve fit saved
# before it had one begins with its own key); the report names lawfit as its generator in <head>; a figure carries
# "lawfit X.Y" as its Software or Creator.
_SIGNATURES = {
    "fit": re.compile(rb'\A\s*\{\s*"schema"\s*:\s*"lawfit\.fit"'),
    "curve_fit": re.compile(rb'\A\s*\{\s*(?:"schema"\s*:\s*"lawfit\.curve_fit"|"lawfit_curve_fit"\s*:)'),
    "report": re.compile(rb'<meta name="generator" content="lawfit '),
    "figure": re.compile(rb"lawfit \d"),
}
KINDS = tuple(_SIGNATURES)
_NAMES = {"fit": "a lawfit fit", "curve_fit": "a lawfit curve fit", "report": "a lawfit report", "figure": "a figure"}
_PEEK = 65536  # bytes read from each end of an existing file: never the whole of a large file
_FORMATS = {".png": ("png", "Software"), ".pdf": ("pdf", "Creator"), ".svg": ("svg", "Creator")}
_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG)


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *, what: str = "the file") -> Path:
    """Write ``data`` (text is written as UTF-8) to ``path`` atomically; returns the path.

    The data go to a temporary file in the same folder, which is flushed to the disk and then renamed over
    ``path``; the folder is flushed too. A symbolic link at ``path`` is replaced, not followed. A new file gets
    the permissions the umask gives; a replaced file keeps its own.

    Raises
    ------
    OutputError
        If the file cannot be written (no space left, no permission, ...): the message names ``what``, the path
        and the reason, and ``path`` is left as it was.

    >>> import os, tempfile
    >>> write_atomic(os.path.join(tempfile.mkdtemp(), "a.json"), b"{}").read_bytes()
    b'{}'
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    folder = path.parent
    _sweep(folder, path.name)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _write_error(exc, path, what) from None
    try:
        try:
            if hasattr(os, "fchmod"):  # mkstemp makes the file private
                os.fchmod(fd, _mode_for(path))
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _write_error(exc, path, what) from None
        raise
    _sync_folder(folder)
    return path


def write_figure(figure: Any, path: str | os.PathLike[str], *, dpi: float | None = None) -> Path:
    """Write a matplotlib ``figure`` atomically as PNG, PDF or SVG (by the suffix of ``path``); returns the path.

    The file carries ``lawfit X.Y`` as its Software (PNG) or Creator (PDF, SVG), which :func:`check_output` reads
    to know the figure as lawfit's own.

    >>> import os, tempfile
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(1, 1))
    >>> path = write_figure(fig, os.path.join(tempfile.mkdtemp(), "f.svg"))
    >>> lawfit_kind(path)
    'figure'
    """
    from ._version import __version__

    path = Path(path)
    if path.suffix.lower() not in _FORMATS:
        raise OutputError(f"The figure {path} must end in .png, .pdf or .svg. Got {path.suffix or 'no suffix'!r}.")
    fmt, key = _FORMATS[path.suffix.lower()]
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=dpi, metadata={key: f"lawfit {__version__}"})
    return write_atomic(path, buffer.getvalue(), what="the figure")


def check_output(
    path: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    force: bool = False,
    kinds: Iterable[str] = KINDS,
    force_hint: str = "force=True",
) -> Path:
    """Check, before any work, that lawfit may write ``path``; returns it.

    Refused whatever ``force`` says: a folder that does not exist or cannot be written, and a path that is not a
    regular file (a directory, a named pipe, a device). Refused unless ``force``: a symbolic link (``force``
    replaces the link itself, never its target), one of the command's ``inputs`` (the same file under any name),
    and an existing file that is not one of lawfit's own outputs of ``kinds`` (``"fit"``, ``"curve_fit"``,
    ``"report"``, ``"figure"``), as told by its first and last 64 KB. An empty file is overwritten: nothing is lost.

    Raises
    ------
    OutputError
        The one-line reason, naming the file and the fix (``force_hint``: ``force=True`` from Python, ``--force``
        on the command line).

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> check_output(os.path.join(folder, "new.json")).name
    'new.json'
    >>> check_output(os.path.join(folder, "missing", "new.json"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lawfit.errors.OutputError: Cannot write '...new.json': its folder '...missing' does not exist. Create it, or ...
    """
    path = Path(path)
    kinds = tuple(kinds)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"Unknown kinds of output {sorted(unknown)}; kinds: {', '.join(KINDS)}.")
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(
            f"Cannot write '{path}': its folder '{folder}' does not exist. Create it, or choose another path."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"Cannot write '{path}': its folder '{folder}' is not writable. Choose another path.")
    overwrite = f"pass {force_hint} to overwrite it"
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise OutputError(f"Cannot look at '{path}': {exc.strerror}. Choose another path.") from None
    if stat.S_ISLNK(status.st_mode):
        if force:
            return path
        raise OutputError(
            f"'{path}' is a symbolic link (to '{os.readlink(path)}'), and lawfit does not write through links. "
            f"Choose another path, or pass {force_hint} to replace the link itself."
        )
    if not stat.S_ISREG(status.st_mode):
        raise OutputError(f"'{path}' is {_file_type(status.st_mode)}, not a regular file. Choose another path.")
    if force:
        return path
    for given in inputs:
        if given is not None and _same_file(path, Path(given)):
            named = "" if Path(given) == path else f" ('{given}')"
            raise OutputError(f"'{path}' is an input of this command{named}. Choose another path, or {overwrite}.")
    if status.st_size == 0:
        return path
    found = lawfit_kind(path)
    if found in kinds:
        return path
    wanted = " or ".join(_NAMES[kind] for kind in kinds)
    reason = "lawfit did not write it" if found is None else f"it is {_NAMES[found]}, not {wanted}"
    raise OutputError(f"'{path}' exists and {reason}. Choose another path, or {overwrite}.")


def lawfit_kind(path: str | os.PathLike[str]) -> str | None:
    """Which of lawfit's outputs the file at ``path`` is (one of :data:`KINDS`), or None; reads at most 128 KB."""
    try:
        with open(path, "rb") as file:
            head = file.read(_PEEK)
            size = os.fstat(file.fileno()).st_size
            tail = b""
            if size > _PEEK:
                file.seek(max(_PEEK, size - _PEEK))
                tail = file.read(_PEEK)
    except OSError:
        return None
    for kind, signature in _SIGNATURES.items():
        if signature.search(head) or (kind == "figure" and signature.search(tail)):
            return kind
    return None


def _same_file(path: Path, other: Path) -> bool:
    try:
        return os.path.samefile(path, other)
    except OSError:
        return path.resolve() == other.resolve()


def _file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _mode_for(path: Path) -> int:
    """The permissions of the file replaced, or for a new file those that the umask gives."""
    try:
        status = os.stat(path, follow_symlinks=False)
        if stat.S_ISREG(status.st_mode):
            return stat.S_IMODE(status.st_mode)
    except OSError:
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _write_error(exc: OSError, path: Path, what: str) -> OutputError:
    reason = exc.strerror or str(exc)
    fix = "Free some space, or choose another path" if exc.errno in _FULL else "Choose a writable path"
    return OutputError(f"Cannot write {what} to '{path}': {reason}. {fix}; '{path.name}' is left as it was.")


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry of the renamed file to the disk, where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems (and Windows) cannot flush a folder
    finally:
        os.close(fd)


def _sweep(folder: Path, name: str) -> None:
    """Remove the temporaries of ``name`` left by processes of this machine that no longer run."""
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return
    prefix = f".{name}."
    try:
        entries = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return
    for entry in entries:
        if not (entry.startswith(prefix) and entry.endswith(".tmp")):
            continue
        pid = entry[len(prefix) :].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _running(int(pid)):
            continue
        try:
            os.unlink(folder / entry)
        except OSError:
            pass


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it runs, as another user
    return True
