"""Progress on long work: a one-line bar on stderr when it is a terminal; silence otherwise or when switched off.

A bar is drawn only once its work has run for ``delay`` seconds, so quick calls never flicker.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO, TypeVar

__all__ = ["Progress", "quiet", "set_progress"]

_SETTINGS: dict[str, Any] = {"enabled": None, "delay": 1.0}
_WIDTH = 24
T = TypeVar("T")


def set_progress(enabled: bool | None = None, *, delay: float = 1.0) -> None:
    """Show progress bars (True), never (False) or on a terminal only (None, the default).

    ``delay``: seconds a task runs before its bar appears. The command line's ``--quiet`` sets False.

    >>> set_progress(False); set_progress(None)
    """
    if enabled not in (True, False, None):
        from .errors import LawfitError

        raise LawfitError(
            f"The 'enabled' parameter of set_progress must be True, False or None. Got {enabled!r} instead."
        )
    _SETTINGS.update(enabled=enabled, delay=float(delay))


@contextmanager
def quiet(enabled: bool = True) -> Iterator[None]:
    """No progress bars inside the block (when ``enabled``); the previous setting afterwards."""
    saved = dict(_SETTINGS)
    if enabled:
        _SETTINGS["enabled"] = False
    try:
        yield
    finally:
        _SETTINGS.update(saved)


class Progress:
    """A counted task: ``with Progress(total, "bootstrap") as bar: ... bar.update(k)``."""

    def __init__(self, total: int, label: str, *, stream: TextIO | None = None) -> None:
        self.total, self.label, self.done = max(int(total), 1), label, 0
        self._stream = stream if stream is not None else sys.stderr
        enabled = _SETTINGS["enabled"]
        if enabled is None:
            isatty = getattr(self._stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self._enabled = enabled
        self._start = time.perf_counter()
        self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def iterate(self, items: Iterable[T]) -> Iterator[T]:
        """Yield ``items``, counting each one done when the loop asks for the next; closes the bar at the end."""
        for item in items:
            yield item
            self.update()
        self.close()

    def update(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        if self._enabled and time.perf_counter() - self._start >= _SETTINGS["delay"]:
            self._draw()

    def close(self) -> None:
        if self._drawn:
            self._draw()
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False

    def _draw(self) -> None:
        filled = round(_WIDTH * self.done / self.total)
        elapsed = time.perf_counter() - self._start
        bar = "#" * filled + "." * (_WIDTH - filled)
        self._stream.write(f"\r{self.label} [{bar}] {self.done:,}/{self.total:,}  {elapsed:.1f} s")
        self._stream.flush()
        self._drawn = True
