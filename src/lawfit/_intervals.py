"""Intervals over draws, and how to print them: the percentile interval at each point over the draws that are
finite there, and the significant digits that show an interval's width.

Light on purpose (numpy only): the verbs that print the intervals of a saved fit (``lawfit optimal``, ``target``,
``inference``) use them without importing the bootstrap and its search.
"""

from __future__ import annotations

import warnings
from itertools import pairwise

import numpy as np

from ._checks import check_level
from .errors import LawfitWarning

__all__ = ["format_interval", "format_number", "interval_digits", "percentile_interval"]


def percentile_interval(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The central ``level`` percentile interval over the first axis of ``values`` (the draws), at each point over
    the draws that are finite there.

    Where no draw is finite (a law that is infinite at the point, such as ``log(N)**-alpha`` at N = 1) the interval
    is NaN, and a :class:`~lawfit.LawfitWarning` says at how many points.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     low, high = percentile_interval(np.array([[1.0, np.inf], [3.0, np.inf]]), 0.5)
    >>> low.tolist(), high.tolist()
    ([1.5, nan], [2.5, nan])
    >>> caught[0].message.data
    {'points': 1, 'of': 2}
    """
    tail = 50.0 * (1.0 - check_level(level))
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if values.shape[0] and finite.all():
        low, high = np.percentile(values, [tail, 100.0 - tail], axis=0)
        return low, high
    some = finite.any(axis=0)  # the points with at least one finite draw
    if values.shape[0]:
        # Non-finite draws become NaN, which nanpercentile leaves out; a point without any finite draw gets zeros
        # (no all-NaN warning from numpy), then NaN.
        kept = np.where(finite | ~some, np.where(finite, values, 0.0), np.nan)
        low, high = np.nanpercentile(kept, [tail, 100.0 - tail], axis=0)
        low, high = np.where(some, low, np.nan)[()], np.where(some, high, np.nan)[()]
    else:
        low = high = np.full(values.shape[1:], np.nan)[()]
    missing = int(np.size(some) - np.count_nonzero(some))
    if missing:
        warnings.warn(
            LawfitWarning(
                f"No bootstrap draw is finite at {missing} of {np.size(some)} point(s): the law (or quantity) is "
                "infinite or undefined there for every resample, so the interval there is NaN.",
                points=missing,
                of=int(np.size(some)),
            ),
            stacklevel=2,
        )
    return low, high


def interval_digits(*values: float, least: int = 3) -> int:
    """Significant digits that show the differences between ``values`` (a value and its interval's bounds): at least
    ``least``, and two digits of the smallest nonzero gap at the magnitude of the largest value, at most 15.

    >>> interval_digits(2.3, 2.31), interval_digits(2.0, 1.0, 3.0)
    (4, 3)
    """
    finite = sorted(float(v) for v in values if v is not None and np.isfinite(v))
    top = max((abs(v) for v in finite), default=0.0)
    gaps = [b - a for a, b in pairwise(finite) if b > a]
    if top == 0.0 or not gaps:
        return least
    digits = int(np.floor(np.log10(top)) - np.floor(np.log10(min(gaps)))) + 2
    return int(min(15, max(least, digits)))


def format_number(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits, trailing zeros kept (they are digits); "–" if not finite."""
    value = float(value)
    return f"{value:#.{digits}g}".rstrip(".") if np.isfinite(value) else "–"


def format_interval(low: float, high: float, value: float | None = None, *, least: int = 3) -> str:
    """``"[low, high]"`` with the digits that show its width (and the value's place in it, if given).

    >>> format_interval(2.3, 2.31, 2.30445), format_interval(1.2e20, 3.4e21)
    ('[2.3000, 2.3100]', '[1.20e+20, 3.40e+21]')
    """
    digits = interval_digits(low, high, *(() if value is None else (value,)), least=least)
    return f"[{format_number(low, digits)}, {format_number(high, digits)}]"
