"""The optimum of each cell of a sweep: a smooth fit around the minimum, not the argmin of noisy points.

Per cell and hyperparameter (learning rate, batch size), the loss is fitted by a quadratic in the log of the
setting, weighted toward the minimum's neighbourhood: a run whose loss lies within ``window`` (relative) of the
cell's best counts fully, one further away by ``exp(-(excess - window) / window)``, so diverged runs (loss 7 where
the best is 3) drop out. Where the cell is a grid (at least 3 values of each and a full-rank design), the
quadratic is 2-D in (log lr, log batch) with a cross term; for one-at-a-time sweeps, 1-D along each axis, the
other held at the best run's value. The optimum is the vertex, kept inside the values tried.

Its interval is a parametric bootstrap: the fitted curve plus Gaussian noise of the runs' scatter (pooled over the
cells: the weighted residual variance of all quadratics, or ``noise`` when given), refitted ``n_resamples`` times
(seeded, vectorised). A cell with too few settings near its minimum for a quadratic (two values, or a diverged
neighbour) falls back to its best setting, its interval half a grid step each way, ``method="argmin"``.

An optimum at the edge of the values tried is flagged (``at_edge``) and warned of (:class:`lawfit.EdgeWarning`):
it is a bound, not an optimum. A cell with a single value of a hyperparameter is an error unless
``skip_single=True`` leaves it out.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .._checks import Integer, Real, check_level, constrained
from .._lazy import pandas as pd
from ..errors import DataError, EdgeWarning, LawfitError
from .sweeps import Sweep, load_sweep

__all__ = ["CellOptimum", "Optima", "cell_optima"]

_WHAT = {"lr": "learning rate", "batch": "batch size"}
_FULL_WEIGHT = 0.05  # a setting counts toward a quadratic's three when its weight is at least this
_SAME = 1e-9  # relative tolerance of equal settings


@dataclass(frozen=True)
class CellOptimum:
    """The optimum of one hyperparameter in one cell.

    Attributes
    ----------
    cell : Mapping[str, Any]
        The cell's values of ``cell_by`` (N, D, ... ; sizes as the median of the cell's runs).
    hparam : str
        ``"lr"`` or ``"batch"`` (tokens).
    value, low, high : float
        The optimum and its bootstrap interval at ``level``.
    level : float
    loss : float
        The fitted loss at the optimum (the best run's loss for ``method="argmin"``).
    best_value, best_loss : float
        The setting and loss of the cell's best run.
    near_low, near_high : float
        The near-optimal region: the smallest and largest setting among the cell's runs whose loss is within
        ``near`` (relative) of the best.
    method : str
        ``"quadratic"`` (1-D), ``"quadratic-2d"`` (a grid) or ``"argmin"`` (too few settings for a quadratic).
    at_edge : bool
        The optimum lies at the smallest or largest setting tried: a bound only.
    n_runs, n_values : int
        The runs the fit used, and their distinct settings.
    draws : numpy.ndarray
        The bootstrap draws of ``log(value)`` (read-only), which the laws use.
    axes : tuple of str
        The hyperparameters of the fitted quadratic: ``(hparam,)``, or ``("lr", "batch")`` for a grid.
    curve : tuple of float
        The fitted quadratic's coefficients in the logs of ``axes``: ``(c0, c1, c2)`` of ``c0 + c1 x + c2 x^2``, or
        ``(c0, c1, c2, c3, c4, c5)`` of ``c0 + c1 x + c2 y + c3 x^2 + c4 y^2 + c5 x y``; empty for an argmin.
    """

    cell: Mapping[str, Any]
    hparam: str
    value: float
    low: float
    high: float
    level: float
    loss: float
    best_value: float
    best_loss: float
    near_low: float
    near_high: float
    method: str
    at_edge: bool
    n_runs: int
    n_values: int
    draws: np.ndarray = field(repr=False, compare=False)
    axes: tuple[str, ...] = ()
    curve: tuple[float, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cell", MappingProxyType(dict(self.cell)))
        object.__setattr__(self, "axes", tuple(self.axes) or (self.hparam,))
        object.__setattr__(self, "curve", tuple(float(c) for c in self.curve))
        draws = np.array(self.draws, dtype=np.float64)
        draws.setflags(write=False)
        object.__setattr__(self, "draws", draws)

    @property
    def log_sd(self) -> float:
        """The spread (standard deviation) of the log optimum over the bootstrap."""
        return float(np.std(self.draws)) if self.draws.size > 1 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record (without the draws)."""
        return {
            "cell": dict(self.cell),
            "hparam": self.hparam,
            "value": self.value,
            "intervals": {"value": {"value": self.value, "low": self.low, "high": self.high, "level": self.level}},
            "loss": self.loss,
            "best_value": self.best_value,
            "best_loss": self.best_loss,
            "near_optimal": {"low": self.near_low, "high": self.near_high},
            "method": self.method,
            "at_edge": self.at_edge,
            "n_runs": self.n_runs,
            "n_values": self.n_values,
        }


@dataclass(frozen=True)
class Optima:
    """The optima of every cell of a sweep (see :func:`cell_optima`).

    Attributes
    ----------
    cells : tuple of CellOptimum
        One per cell and hyperparameter, in the sweep's cell order.
    level : float
    near : float
        The near-optimal threshold (relative loss above the best).
    noise : float
        The runs' scatter (standard deviation of the loss) the bootstrap drew with.
    noise_source : str
        Where ``noise`` came from: "pooled residuals of N quadratics (K degrees of freedom)" or "given".
    skipped : tuple of str
        Cells left out (a single setting), in words.
    families : tuple of str
        The sweep's non-size cell columns (each value gets its own laws).

    Examples
    --------
    >>> sweep = load_sweep({"N": [1e8] * 5, "D": [2e9] * 5, "lr": [1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2],
    ...                     "loss": [3.40, 3.31, 3.28, 3.30, 3.39]})
    >>> opt = cell_optima(sweep, n_resamples=200)
    >>> round(opt.cells[0].value, 5), opt.cells[0].method
    (0.00414, 'quadratic')
    """

    cells: tuple[CellOptimum, ...]
    level: float
    near: float
    noise: float
    noise_source: str
    skipped: tuple[str, ...] = ()
    families: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "cells", tuple(self.cells))
        object.__setattr__(self, "skipped", tuple(self.skipped))
        object.__setattr__(self, "families", tuple(self.families))

    def of(self, hparam: str, **where: Any) -> tuple[CellOptimum, ...]:
        """The optima of ``hparam``, of the cells whose values match ``where`` (e.g. ``optimizer="adamw"``)."""
        return tuple(c for c in self.cells if c.hparam == hparam and all(c.cell.get(k) == v for k, v in where.items()))

    def table(self) -> Any:
        """The optima as a pandas DataFrame, one row per cell and hyperparameter."""
        rows = []
        for c in self.cells:
            rows.append(
                {
                    **dict(c.cell),
                    "hparam": c.hparam,
                    "value": c.value,
                    "low": c.low,
                    "high": c.high,
                    "loss": c.loss,
                    "best_value": c.best_value,
                    "best_loss": c.best_loss,
                    "near_low": c.near_low,
                    "near_high": c.near_high,
                    "method": c.method,
                    "at_edge": c.at_edge,
                    "n_runs": c.n_runs,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return {
            "level": self.level,
            "near": self.near,
            "noise": self.noise,
            "noise_source": self.noise_source,
            "skipped": list(self.skipped),
            "optima": [c.to_dict() for c in self.cells],
        }

    def summary(self) -> str:
        """The optima as a table."""
        lines = [
            f"optima     {len(self.cells)} cell optima; {self.level:.0%} bootstrap intervals from the runs' scatter "
            f"{self.noise:.3g} in loss ({self.noise_source}); near-optimal: within {self.near:.1%} of the best loss"
        ]
        lines += [f"skipped    {text}" for text in self.skipped]
        keys = [k for k in (self.cells[0].cell if self.cells else {})]
        head = "".join(f"{k:>11}" for k in keys)
        lines.append("")
        lines.append(
            f"  {head}  hparam        optimum  {self.level:.0%} interval            near-optimal          "
            "loss  method        edge"
        )
        for c in self.cells:
            values = "".join(f"{_short(c.cell[k]):>11}" for k in keys)
            lines.append(
                f"  {values}  {c.hparam:<6}  {c.value:>11.4g}  [{c.low:>9.4g}, {c.high:>9.4g}]  "
                f"[{c.near_low:>9.4g}, {c.near_high:>9.4g}]  {c.loss:>9.4f}  {c.method:<12}  "
                f"{'yes' if c.at_edge else ''}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@dataclass
class _Slice:
    """One cell's runs along the axes of one fit, before the bootstrap."""

    cell: dict[str, Any]
    axes: tuple[str, ...]
    x: np.ndarray  # (n, len(axes)) log settings
    loss: np.ndarray
    weights: np.ndarray
    coef: np.ndarray | None = None  # quadratic coefficients (None: argmin)
    hat: np.ndarray | None = None  # maps losses to coefficients
    residual_ss: float = 0.0
    dof: float = 0.0


@constrained(
    near=Real(0, 1, closed="neither"),
    window=Real(0, 1, closed="neither"),
    noise=(Real(0, closed="neither"), None),
    n_resamples=Integer(10),
)
def cell_optima(
    sweep: Sweep | Any,
    *,
    near: float = 0.01,
    window: float = 0.05,
    noise: float | None = None,
    n_resamples: int = 1000,
    level: float = 0.9,
    seed: int = 0,
    skip_single: bool = False,
    **load_options: Any,
) -> Optima:
    """The optimum learning rate and batch size of each cell of a sweep, with bootstrap intervals.

    Parameters
    ----------
    sweep : Sweep or anything :func:`load_sweep` reads
        The sweep; other sources are loaded with ``load_options`` (``columns``, ``seq_len``, ``cell_by``, ...).
    near : float
        The near-optimal region: settings whose loss is within this fraction of the cell's best (0.01: 1%).
    window : float
        The neighbourhood of the minimum the quadratic is weighted to: runs within this fraction of the best
        loss count fully, the weight of the others falls by ``e`` per ``window`` beyond it.
    noise : float, optional
        The standard deviation of a run's loss about the smooth surface (seed-to-seed scatter). By default it is
        pooled from the residuals of the quadratics of all cells.
    n_resamples : int
        Bootstrap draws of each optimum (>= 10).
    level : float
        Level of the intervals, in (0, 1).
    seed : int
        Seed of the bootstrap: the same seed gives the same intervals.
    skip_single : bool
        Leave out (with a note) a cell with a single value of a hyperparameter, instead of refusing it.

    Returns
    -------
    Optima

    Raises
    ------
    DataError
        If a cell has a single value of a swept hyperparameter (unless ``skip_single``).

    Warns
    -----
    EdgeWarning
        When optima lie at the edge of the values tried (one warning naming the cells).

    Examples
    --------
    >>> sweep = load_sweep({"N": [1e8] * 5, "D": [2e9] * 5, "lr": [1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2],
    ...                     "loss": [3.40, 3.31, 3.28, 3.30, 3.39]})
    >>> c = cell_optima(sweep, n_resamples=200, seed=0).cells[0]
    >>> bool(c.low < c.value < c.high), (c.near_low, c.near_high)
    (True, (0.002, 0.008))
    """
    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep, **load_options)
    elif load_options:
        raise LawfitError(
            f"cell_optima takes loading options ({', '.join(load_options)}) only with a file or table, not a Sweep."
        )
    level = check_level(level, where="cell_optima")
    loss = sweep.column("loss")
    values = {h: sweep.column(h) for h in sweep.hparams}
    slices: list[tuple[_Slice, np.ndarray, dict[str, Any]]] = []
    skipped: list[str] = []
    for cell, rows in sweep.cells():
        best = rows[int(np.argmin(loss[rows]))]
        grid = _grid_slice(cell, rows, values, loss, window) if len(sweep.hparams) == 2 else None
        if grid is not None:
            slices.append((grid, rows, cell))
            continue
        for h in sweep.hparams:
            keep = _line(rows, h, sweep.hparams, values, loss, best)
            distinct = np.unique(values[h][keep])
            if distinct.size < 2:
                text = (
                    f"cell {_cell_text(cell)} has a single {_WHAT[h]} ({distinct[0]:g}"
                    + (
                        f" at any {', '.join(_WHAT[o] for o in sweep.hparams if o != h)}"
                        if len(sweep.hparams) > 1
                        else ""
                    )
                    + ")"
                )
                if not skip_single:
                    raise DataError(
                        f"The sweep's {text}: an optimum needs at least 2 values (3 near the minimum for a fitted "
                        "one). Sweep it, or leave such cells out with --skip-single (Python: skip_single=True)."
                    )
                skipped.append(text)
                continue
            x = np.log(values[h][keep])[:, None]
            slices.append((_fit_quadratic(_Slice(cell, (h,), x, loss[keep], _weights(loss[keep], window))), keep, cell))
    if not slices:
        raise DataError(
            "No cell of the sweep has two or more values of a hyperparameter, so no optimum can be found. "
            f"Cells left out: {'; '.join(skipped)}."
        )
    if noise is None:
        dof = sum(s.dof for s, _, _ in slices if s.coef is not None)
        if dof >= 1:
            sigma = float(np.sqrt(sum(s.residual_ss for s, _, _ in slices if s.coef is not None) / dof))
            fitted = sum(1 for s, _, _ in slices if s.coef is not None)
            source = f"pooled residuals of {fitted} quadratic{'s' if fitted > 1 else ''} ({dof:.1f} degrees of freedom)"
        else:
            sigma = 1e-3 * float(np.median(loss))
            source = "0.1% of the median loss: too few runs to pool residuals; give noise= to set it"
    else:
        sigma, source = float(noise), "given"
    rng = np.random.default_rng(seed)
    out: list[CellOptimum] = []
    for piece, rows, _ in slices:
        draws = _draws(piece, sigma, n_resamples, rng)
        out += _optima_of(piece, draws, rows, values, loss, near, level)
    edge = [c for c in out if c.at_edge]
    if edge:
        listed = "; ".join(f"{_cell_text(c.cell)} {c.hparam} {c.value:g}" for c in edge[:6])
        more = f" and {len(edge) - 6} more" if len(edge) > 6 else ""
        warnings.warn(
            EdgeWarning(
                f"{len(edge)} optim{'a lie' if len(edge) > 1 else 'um lies'} at the edge of the values swept "
                f"({listed}{more}): the optimum may lie beyond, so each is a bound. Sweep further to pin it down.",
                cells=[{**dict(c.cell), "hparam": c.hparam, "value": c.value} for c in edge],
            ),
            stacklevel=2,
        )
    return Optima(
        cells=tuple(out),
        level=level,
        near=float(near),
        noise=sigma,
        noise_source=source,
        skipped=tuple(skipped),
        families=sweep.families,
    )


def _line(
    rows: np.ndarray, h: str, hparams: tuple[str, ...], values: dict[str, np.ndarray], loss: np.ndarray, best: int
) -> np.ndarray:
    """The cell's runs along ``h``, the other hyperparameter held at the value with the most settings of ``h``
    (the centre of a one-at-a-time sweep), ties to the value of the best run, then of lower loss."""
    others = [o for o in hparams if o != h]
    if not others:
        return rows
    held = values[others[0]][rows]
    options = []
    for value in np.unique(held):
        keep = rows[np.isclose(held, value, rtol=_SAME)]
        has_best = bool(np.isclose(value, values[others[0]][best], rtol=_SAME))
        options.append((-np.unique(values[h][keep]).size, not has_best, float(np.min(loss[keep])), keep))
    return min(options, key=lambda o: o[:3])[3]


def _cell_text(cell: Mapping[str, Any]) -> str:
    return "(" + ", ".join(f"{k}={_short(v)}" for k, v in cell.items()) + ")"


def _weights(loss: np.ndarray, window: float) -> np.ndarray:
    best = float(np.min(loss))
    excess = (loss - best) / best
    return np.exp(-np.maximum(0.0, excess - window) / window)


def _design(x: np.ndarray) -> np.ndarray:
    """Quadratic design: 1, x, x^2 (1-D) or 1, x, y, x^2, y^2, x*y (2-D)."""
    if x.shape[1] == 1:
        return np.column_stack([np.ones(len(x)), x[:, 0], x[:, 0] ** 2])
    a, b = x[:, 0], x[:, 1]
    return np.column_stack([np.ones(len(x)), a, b, a**2, b**2, a * b])


def _fit_quadratic(piece: _Slice) -> _Slice:
    """The weighted quadratic of the slice, or no coefficients (argmin) when its minimum is not pinned down."""
    counted = piece.weights >= _FULL_WEIGHT
    for axis in range(piece.x.shape[1]):
        if np.unique(np.round(piece.x[counted, axis], 9)).size < 3:
            return piece
    design = _design(piece.x)
    root = np.sqrt(piece.weights)[:, None]
    gram = design.T @ (design * piece.weights[:, None])
    if np.linalg.matrix_rank(root * design) < design.shape[1]:
        return piece
    hat = np.linalg.solve(gram, (design * piece.weights[:, None]).T)  # (p, n): coefficients = hat @ loss
    coef = hat @ piece.loss
    if not _convex(coef[None, :])[0]:
        return piece
    residual = piece.loss - design @ coef
    piece.coef, piece.hat = coef, hat
    piece.residual_ss = float(np.sum(piece.weights * residual**2))
    piece.dof = float(max(0.0, np.sum(np.minimum(piece.weights, 1.0)) - design.shape[1]))
    return piece


def _convex(coef: np.ndarray) -> np.ndarray:
    if coef.shape[1] == 3:
        return coef[:, 2] > 0
    a, b, c = coef[:, 3], coef[:, 4], coef[:, 5]
    return (a > 0) & (4 * a * b - c**2 > 0)


def _vertex(coef: np.ndarray) -> np.ndarray:
    """The minimum of each quadratic (rows of coefficients) as (draws, axes); NaN where it has none."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if coef.shape[1] == 3:
            out = (-coef[:, 1] / (2 * coef[:, 2]))[:, None]
        else:
            d, e, a, b, c = coef[:, 1], coef[:, 2], coef[:, 3], coef[:, 4], coef[:, 5]
            det = 4 * a * b - c**2
            out = np.column_stack([(c * e - 2 * b * d) / det, (c * d - 2 * a * e) / det])
    out[~_convex(coef)] = np.nan
    return out


def _grid_slice(
    cell: dict[str, Any], rows: np.ndarray, values: dict[str, np.ndarray], loss: np.ndarray, window: float
) -> _Slice | None:
    """A 2-D quadratic over the cell when it is a grid of learning rates and batch sizes, else None."""
    x = np.column_stack([np.log(values["lr"][rows]), np.log(values["batch"][rows])])
    if len({(round(a, 9), round(b, 9)) for a, b in x}) < 6:
        return None
    piece = _fit_quadratic(_Slice(cell, ("lr", "batch"), x, loss[rows], _weights(loss[rows], window)))
    return piece if piece.coef is not None else None


def _draws(piece: _Slice, sigma: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap draws of the log optimum, (n, axes): refits of the fitted curve plus noise, or for an argmin
    uniform within half a grid step of the best setting."""
    lo, hi = piece.x.min(axis=0), piece.x.max(axis=0)
    if piece.coef is not None and piece.hat is not None:
        fitted = _design(piece.x) @ piece.coef
        losses = fitted[None, :] + sigma * rng.standard_normal((n, len(fitted)))
        coef = losses @ piece.hat.T
        vertex = _vertex(coef)
        # A draw without a minimum puts it at the lower end of its curve over the values tried.
        bad = np.isnan(vertex).any(axis=1)
        if bad.any():
            ends = np.stack([lo, hi])  # (2, axes)
            if piece.x.shape[1] == 1:
                at = coef[bad][:, [0]] + coef[bad][:, [1]] * ends[:, 0] + coef[bad][:, [2]] * ends[:, 0] ** 2
                vertex[bad, 0] = ends[np.argmin(at, axis=1), 0]
            else:
                vertex[bad] = piece.x[np.argmin(piece.loss)]
        return np.clip(vertex, lo, hi)
    best = piece.x[np.argmin(piece.loss)]
    steps = []
    for axis in range(piece.x.shape[1]):
        grid = np.unique(np.round(piece.x[:, axis], 12))
        where = int(np.searchsorted(grid, round(float(best[axis]), 12)))
        below = grid[where] - grid[where - 1] if where > 0 else None
        above = grid[where + 1] - grid[where] if where + 1 < grid.size else None
        below = below if below is not None else above
        above = above if above is not None else below
        steps.append((below / 2, above / 2))
    lows = np.array([best[a] - s[0] for a, s in enumerate(steps)])
    highs = np.array([best[a] + s[1] for a, s in enumerate(steps)])
    return lows + (highs - lows) * rng.random((n, piece.x.shape[1]))


def _optima_of(
    piece: _Slice,
    draws: np.ndarray,
    rows: np.ndarray,
    values: dict[str, np.ndarray],
    loss: np.ndarray,
    near: float,
    level: float,
) -> list[CellOptimum]:
    lo, hi = piece.x.min(axis=0), piece.x.max(axis=0)
    best_i = int(np.argmin(piece.loss))
    tail = (1 - level) / 2
    if piece.coef is not None:
        vertex = _vertex(piece.coef[None, :])[0]
        point = np.clip(vertex, lo, hi)
        fitted_loss = float((_design(point[None, :]) @ piece.coef)[0])
        method = "quadratic" if piece.x.shape[1] == 1 else "quadratic-2d"
    else:
        point = piece.x[best_i]
        fitted_loss = float(piece.loss[best_i])
        method = "argmin"
    cell_best = float(np.min(loss[rows]))
    close = rows[loss[rows] <= cell_best * (1 + near)]
    out = []
    for axis, h in enumerate(piece.axes):
        tol = 1e-9 * max(1.0, abs(hi[axis]))
        at_edge = bool(
            point[axis] <= lo[axis] + tol
            or point[axis] >= hi[axis] - tol
            or piece.x[best_i, axis] <= lo[axis] + tol
            or piece.x[best_i, axis] >= hi[axis] - tol
        )
        low, high = np.quantile(draws[:, axis], [tail, 1 - tail])
        out.append(
            CellOptimum(
                cell=piece.cell,
                hparam=h,
                value=float(np.exp(point[axis])),
                low=float(np.exp(low)),
                high=float(np.exp(high)),
                level=level,
                loss=fitted_loss,
                best_value=float(np.exp(piece.x[best_i, axis])),
                best_loss=float(piece.loss[best_i]),
                near_low=float(np.min(values[h][close])),
                near_high=float(np.max(values[h][close])),
                method=method,
                at_edge=at_edge,
                n_runs=len(piece.loss),
                n_values=int(np.unique(np.round(piece.x[:, axis], 9)).size),
                draws=draws[:, axis],
                axes=piece.axes,
                curve=() if piece.coef is None else tuple(piece.coef),
            )
        )
    return out
