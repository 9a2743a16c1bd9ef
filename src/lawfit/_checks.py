"""Argument checks shared by the public functions: one message format, ``The '<name>' parameter of <function> must
be <what>. Got <value> instead.``, raised as :class:`~lawfit.LawfitError`. It imports only :mod:`lawfit.errors`."""

from __future__ import annotations

import math
from typing import Any

from .errors import LawfitError

__all__ = ["check_level", "percent"]


def check_level(level: Any, name: str = "level", where: str = "") -> float:
    """``level`` as a float if it is a probability strictly between 0 and 1 (an interval's level), else a
    :class:`~lawfit.LawfitError` naming the parameter (and the function, ``where``).

    >>> check_level(0.9)
    0.9
    >>> check_level(95, where="backtest")
    Traceback (most recent call last):
    lawfit.errors.LawfitError: The 'level' parameter of backtest must be a float in (0, 1). Got 95 instead.
    """
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        of = f" of {where}" if where else ""
        raise LawfitError(f"The '{name}' parameter{of} must be a float in (0, 1). Got {level!r} instead.")
    return float(level)


def percent(value: Any, decimals: int = 2, *, sign: bool = False, missing: str | None = "–") -> str:
    """``value`` (a fraction) as a percentage with ``decimals`` decimals (and its sign with ``sign``); ``missing``
    for None or a value that is not finite (None: the value as Python prints it).

    >>> percent(0.01234), percent(-0.5, 1, sign=True), percent(float("nan")), percent(float("nan"), missing=None)
    ('1.23%', '-50.0%', '–', 'nan')
    """
    if value is None or not math.isfinite(value):
        return str(value) if missing is None else missing
    return f"{100 * value:{'+' if sign else ''}.{decimals}f}%"
