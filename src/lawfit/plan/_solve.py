"""Vectorised one-dimensional solvers shared by the planning answers.

Every answer is computed at once for every bootstrap draw and every requested budget: arrays of shape
``(n_draws, n_budgets)`` go in, and the solvers work on the last axis of a grid. They are plain numpy (the law's own
function, too, runs in numpy on whole grids), robust rather than clever: a coarse grid, then zoomed grids around the
best point, then Newton steps on the derivative; bisection on log scales for monotone equations.

A law that declares a closed form (:class:`lawfit.laws.ClosedForms`) is asked for it instead; the law is asked,
never its name, so a law with fixed parameters or a formula keeps the right answer.
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
# The polish's finite-difference step in ln N: the five-point derivative's truncation error (~h**4) and its rounding
# error (~eps/h) are both far below 1e-10 relative in N there.
_POLISH_STEP = 1e-2
_POLISH_STEPS = 3


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


def polish_minimum(
    objective: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float = _POLISH_STEP, steps: int = _POLISH_STEPS
) -> np.ndarray:
    """Newton steps towards the root of ``objective``'s derivative from ``x`` (a grid's minimum), with five-point
    central differences of step ``h``. A grid can place a flat minimum only to about ``sqrt(eps)`` relative (the
    values there differ in their last digits); the derivative's root is found to ~1e-10. A step that is not finite,
    not downhill on a convex stretch, or longer than ``h`` is refused, so ``x`` never moves far from the grid's
    answer. ``objective`` is called as in :func:`minimise_log`.

    >>> round(float(polish_minimum(lambda x: (x - 0.3) ** 2 + 1.0, np.array(0.3001))), 12)
    0.3
    """
    x = np.asarray(x, dtype=np.float64)
    offsets = h * np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    for _ in range(steps):
        with np.errstate(all="ignore"):
            v = objective(x[..., None] + offsets)
            slope = (v[..., 0] - 8.0 * v[..., 1] + 8.0 * v[..., 3] - v[..., 4]) / (12.0 * h)
            curvature = (-v[..., 0] + 16.0 * v[..., 1] - 30.0 * v[..., 2] + 16.0 * v[..., 3] - v[..., 4]) / (
                12.0 * h * h
            )
            step = slope / curvature
        ok = np.isfinite(step) & (curvature > 0) & (np.abs(step) < h)
        x = np.where(ok, x - np.where(ok, step, 0.0), x)
    return x


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


def law_loss(law: Any, params: Mapping[str, np.ndarray], n: np.ndarray, d: np.ndarray, cost: Any) -> np.ndarray:
    """The law's loss at ``N = n``, ``D = d`` (and ``C = cost(N, D)`` when the law reads ``C``)."""
    inputs = {"N": n, "D": d}
    if "C" in law.inputs:
        inputs["C"] = cost(n, d) if callable(cost) else cost * n * d
    return law_values(law, params, **{k: v for k, v in inputs.items() if k in law.inputs})


def optimal_allocation(
    law: Any, params: Mapping[str, np.ndarray], compute: np.ndarray, cost: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The ``(N, D)`` with the lowest loss along ``cost(N, D) = compute``, for parameter arrays broadcast against
    ``compute``: the law's closed-form optimum when it declares one and the cost is ``k*N*D``; else the minimum of
    the loss over ln N, by zoomed grids and a Newton polish, with ``D`` from the cost."""
    if law.closed_forms.optimum is not None and not callable(cost):
        return law.optimum(params, compute, cost)
    k = 6.0 if callable(cost) else cost
    centre = 0.5 * np.log(compute / (20.0 * k))  # N at 20 tokens per parameter
    wide = {name: v[..., None] for name, v in params.items()}

    def objective(log_n: np.ndarray) -> np.ndarray:
        n = np.exp(log_n)
        return law_loss(law, wide, n, tokens_for(cost, n, compute[..., None]), cost)

    n = np.exp(polish_minimum(objective, minimise_log(objective, centre)))
    return n, tokens_for(cost, n, compute)


def tokens_for_loss(
    law: Any, params: Mapping[str, np.ndarray], log_n: np.ndarray, loss: float, cost: Any
) -> np.ndarray:
    """The tokens ``D`` at which ``exp(log_n)`` parameters reach ``loss`` (NaN where they never do): the law's
    closed form when it declares one, else by bisection on ln D (the loss falling with ``D``)."""
    if law.closed_forms.tokens_for_loss is not None:
        return law.tokens_for_loss(params, np.exp(log_n), loss)

    def neg_loss(log_d: np.ndarray) -> np.ndarray:
        return -law_loss(law, params, np.exp(log_n), np.exp(log_d), cost)

    return np.exp(solve_increasing_log(neg_loss, np.full(np.shape(log_n), -loss), 0.0, 120.0, iterations=60))


def check_cost(cost: Any) -> Any:
    if callable(cost):
        return cost
    if isinstance(cost, bool) or not isinstance(cost, int | float) or not np.isfinite(cost) or cost <= 0:
        raise LawfitError(
            "The 'cost' parameter must be a positive number k (training FLOPs C = k*N*D; 6 by default) or a "
            f"function cost(N, D) -> FLOPs. Got {cost!r} instead."
        )
    return float(cost)
