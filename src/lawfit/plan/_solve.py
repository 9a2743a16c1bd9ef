"""Vectorised one-dimensional solvers shared by the planning answers.

Every answer is computed at once for every bootstrap draw and every requested budget: arrays of shape
``(n_draws, n_budgets)`` go in, and the solvers work on the last axis of a grid. They are plain numpy (the law's own
function, too, runs in numpy on whole grids), robust rather than clever: a coarse grid, then zoomed grids around the
best point; bisection on log scales for monotone equations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..errors import LawfitError

# ln(N) is searched within this many e-folds either side of the N of 20 tokens per parameter: from 1e-9 to 1e9
# times that N, wider than any allocation worth training.
_HALF_WIDTH = 9.0 * np.log(10.0)
_GRID = 241
_ZOOMS = 6


def law_values(law: Any, params: Mapping[str, np.ndarray], **inputs: np.ndarray) -> np.ndarray:
    """The law at ``inputs`` for parameter arrays broadcast against them (float64 numpy)."""
    from ..laws._base import evaluate

    return evaluate(
        law.fn,
        {k: np.asarray(v, dtype=np.float64) for k, v in params.items()},
        {k: np.asarray(v, dtype=np.float64) for k, v in inputs.items()},
    )


def minimise_log(
    objective: Callable[[np.ndarray], np.ndarray], centre: np.ndarray, half_width: float = _HALF_WIDTH
) -> np.ndarray:
    """The ``x`` minimising ``objective(x)`` for each element of ``centre`` (any shape), searched in
    ``centre +- half_width`` by a grid and zoomed grids. ``objective`` maps an array with one more trailing axis
    (the grid) to values of the same shape; non-finite values count as +inf."""
    centre = np.asarray(centre, dtype=np.float64)
    lo, hi = centre - half_width, centre + half_width
    steps = np.linspace(0.0, 1.0, _GRID)
    best = centre
    for _ in range(_ZOOMS):
        grid = lo[..., None] + (hi - lo)[..., None] * steps
        values = np.where(np.isfinite(v := objective(grid)), v, np.inf)
        index = np.argmin(values, axis=-1)
        best = np.take_along_axis(grid, index[..., None], axis=-1)[..., 0]
        step = (hi - lo) / (_GRID - 1)
        lo, hi = best - 2 * step, best + 2 * step
    return best


def solve_increasing_log(
    function: Callable[[np.ndarray], np.ndarray],
    target: np.ndarray,
    lo: float | np.ndarray,
    hi: float | np.ndarray,
    iterations: int = 200,
) -> np.ndarray:
    """``x`` in ``[lo, hi]`` with ``function(x) == target``, for ``function`` increasing in ``x``, elementwise by
    bisection. Where no root lies in the bracket the answer is NaN."""
    target = np.asarray(target, dtype=np.float64)
    lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), target.shape).copy()
    hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), target.shape).copy()
    with np.errstate(all="ignore"):
        ok = (function(lo) <= target) & (function(hi) >= target)
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            below = function(mid) < target
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
    return np.where(ok, 0.5 * (lo + hi), np.nan)


def tokens_for(cost: Any, n: np.ndarray, compute: np.ndarray) -> np.ndarray:
    """The tokens ``D`` with ``cost(N, D) == C``: ``C / (k N)`` for a number ``k``; by bisection on log D for a
    callable cost model (increasing in D)."""
    if not callable(cost):
        return compute / (float(cost) * n)
    log_c = np.log(compute)
    return np.exp(
        solve_increasing_log(
            lambda log_d: np.log(np.asarray(cost(n, np.exp(log_d)), dtype=np.float64)),
            np.broadcast_to(log_c, np.broadcast_shapes(np.shape(n), np.shape(log_c))),
            lo=0.0,
            hi=120.0,
        )
    )


def check_cost(cost: Any) -> Any:
    if callable(cost):
        return cost
    if isinstance(cost, bool) or not isinstance(cost, int | float) or not np.isfinite(cost) or cost <= 0:
        raise LawfitError(
            "The 'cost' parameter must be a positive number k (training FLOPs C = k*N*D; 6 by default) or a "
            f"function cost(N, D) -> FLOPs. Got {cost!r} instead."
        )
    return float(cost)
