"""Figures of planning: an IsoFLOP analysis and a compute-optimal frontier."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from .._checks import check_level
from ._common import _CMAP, _GRID, _LABELS, _band_style, _figure, _finish

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..plan import Frontier, IsoFLOP

__all__ = ["plot_frontier", "plot_isoflop"]

_OPTIMA = "optimal parameters N* and tokens D*"


def plot_isoflop(result: IsoFLOP, *, level: float | None = None) -> Figure:
    """An IsoFLOP analysis in two panels.

    Left, for Approach 2 (:func:`lawfit.plan.isoflop`): the loss against N (or D) on a log axis, each budget's runs
    and its parabola in log x in the budget's colour (colour bar: C), the vertices as stars (hollow when the budget
    is flagged and left out of the power laws), the outliers as red crosses. For Approach 1
    (:func:`lawfit.plan.envelope`): each training curve's loss against compute and their lower envelope.

    Right: the optima N* and D* against compute, log-log, with the fitted power laws ``X* = a*C^b`` and, with
    bootstrap draws, their ``level`` percentile bands (default the analysis's own level).

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.plan import isoflop
    >>> from lawfit.plot import plot_isoflop
    >>> c = np.repeat([1e18, 1e19, 1e20], 7)
    >>> n = np.sqrt(c / 120) * np.tile(np.logspace(-0.6, 0.6, 7), 3)
    >>> fig = plot_isoflop(isoflop({"C": c, "N": n, "loss": 1.69 + 406.4 / n**0.34 + 410.7 / (c / (6 * n))**0.28}))
    >>> left, right = fig.axes[:2]
    >>> len(left.lines), right.get_xscale(), right.get_yscale()
    (3, 'log', 'log')
    """
    level = result.level if level is None else level
    fig = _figure(figsize=(12.0, 4.8))
    left, right = fig.subplots(1, 2)
    optima = result.optima
    if result.approach == "envelope":
        _draw_envelope(left, result)
    else:
        _draw_parabolas(fig, left, result)
    c = optima["C"].to_numpy(dtype=np.float64)
    grid = np.geomspace(c.min(), c.max(), _GRID)
    used = optima["used"].to_numpy(dtype=bool)
    # The analysis gives its own bands (IsoFLOP.predict, at its level): the figure reads them at the one asked for.
    predicted = dataclasses.replace(result, level=check_level(level)).predict(grid)
    for name, law, colour in (("N", result.params, "C0"), ("D", result.tokens, "C1")):
        values = optima[name].to_numpy(dtype=np.float64)
        label = f"{name}* = {law.coefficient:.3g} C^{law.exponent:.3f}"
        right.plot(grid, law(grid), color=colour, lw=1.5, label=label)
        if f"{name}_low" in predicted:
            low, high = predicted[f"{name}_low"], predicted[f"{name}_high"]
            right.fill_between(grid, low, high, color=colour, alpha=0.2, lw=0, label=f"{level:.0%} interval")
        right.scatter(c[used], values[used], color=colour, s=24, zorder=3)
        shown = ~used & np.isfinite(values)
        if shown.any():
            right.scatter(c[shown], values[shown], facecolors="none", edgecolors=colour, s=24, label="left out")
    _finish(right, _LABELS["C"], _OPTIMA, f"compute-optimal size ({result.approach})")
    return fig


def plot_frontier(frontier: Frontier, *, level: float | None = None, largest_compute: float | None = None) -> Figure:
    """The compute-optimal parameters N* and tokens D* against compute, log-log.

    With bootstrap draws, ``level`` percentile bands (default the frontier's own level), their edges drawn so that a
    narrow band still shows. ``largest_compute``, the compute of the largest fitted run (FLOPs), marks where the data
    end: a dotted line there, and the budgets beyond it shaded as extrapolation. For a dense line, compute the
    frontier on many budgets, e.g. ``compute_optimal(fit, np.geomspace(1e20, 1e26, 60))``; a frontier of a few
    budgets is drawn with markers.

    Examples
    --------
    >>> import lawfit, numpy as np
    >>> from lawfit.plan import compute_optimal
    >>> from lawfit.plot import plot_frontier
    >>> f = lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")
    >>> fig = plot_frontier(compute_optimal(f, np.geomspace(1e19, 1e22, 30)))
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['N* (exponent 0.514)', 'D* (exponent 0.486)']
    """
    level = frontier.level if level is None else level
    fig = _figure(figsize=(7.0, 5.0))
    ax = fig.add_subplot()
    c = frontier.C
    marker = "o" if c.size <= 12 else None
    for name, colour in (("N", "C0"), ("D", "C1")):
        exponent = frontier.value(f"{name}_exponent")
        label = f"{name}*"
        if np.ptp(exponent) < 1e-3:  # a constant exponent (chinchilla's): worth a legend entry
            label += f" (exponent {exponent[0]:.3f}"
            if frontier.draws and f"{name}_exponent" in frontier.draws:
                low, high = frontier.interval(f"{name}_exponent", level)
                label += f", {level:.0%} [{low[0]:.3f}, {high[0]:.3f}]"
            label += ")"
        ax.plot(c, frontier.value(name), color=colour, marker=marker, lw=1.5, label=label)
        if frontier.draws and name in frontier.draws:
            low, high = frontier.interval(name, level)
            # A band a fraction of a decade wide on decades of axis needs its edges drawn to be seen.
            ax.fill_between(c, low, high, label=f"{name}* {level:.0%} interval", **_band_style(colour))
    if largest_compute is not None and math.isfinite(largest_compute) and largest_compute > 0:
        ax.axvline(largest_compute, color="0.25", lw=1.0, ls=":", label=f"largest run (C = {largest_compute:.3g})")
        if float(np.max(c)) > largest_compute:
            ax.axvspan(largest_compute, float(np.max(c)), color="0.92", lw=0, zorder=0, label="beyond the runs")
    _finish(ax, _LABELS["C"], _OPTIMA, f"compute-optimal frontier of {frontier.law} ({frontier.cost})")
    return fig


def _draw_parabolas(fig: Figure, ax: Axes, result: IsoFLOP) -> None:
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm

    x = result.approach.rsplit(" ", 1)[-1]  # "parabola in log N" -> "N"
    points, optima = result.points, result.optima
    c = optima["C"].to_numpy(dtype=np.float64)
    norm = LogNorm(c.min(), c.max()) if c.min() < c.max() else LogNorm(c.min() / 2.0, c.max() * 2.0)
    cmap = colormaps[_CMAP]
    size = points[x].to_numpy(dtype=np.float64)
    loss = points["loss"].to_numpy(dtype=np.float64)
    budget = points["budget"].to_numpy()
    outlier = points["outlier"].to_numpy(dtype=bool)
    kept = ~outlier
    dots = ax.scatter(size[kept], loss[kept], c=c[budget[kept]], cmap=cmap, norm=norm, s=16, label="runs")
    for b in range(len(optima)):
        members = kept & (budget == b)
        log_x = np.log(size[members])
        if np.unique(log_x).size < 3:
            continue
        # The same parabola as the analysis: least squares of the loss in log x over the budget's kept runs.
        coefficients = np.polyfit(log_x, loss[members], 2)
        line = np.linspace(log_x.min(), log_x.max(), _GRID)
        ax.plot(np.exp(line), np.polyval(coefficients, line), color=cmap(norm(c[b])), lw=1.2)
    vertex, value = optima[x].to_numpy(dtype=np.float64), optima["loss"].to_numpy(dtype=np.float64)
    used = optima["used"].to_numpy(dtype=bool)
    finite = np.isfinite(vertex) & np.isfinite(value)
    star = {"marker": "*", "s": 110, "edgecolors": "black", "lw": 0.8, "zorder": 4}
    ax.scatter(vertex[used & finite], value[used & finite], c=cmap(norm(c[used & finite])), label="optimum", **star)
    if (~used & finite).any():
        ax.scatter(vertex[~used & finite], value[~used & finite], facecolors="none", label="optimum, flagged", **star)
    if outlier.any():
        ax.scatter(size[outlier], loss[outlier], marker="x", color="red", s=30, label=f"outlier ({outlier.sum()})")
    fig.colorbar(dots, ax=ax, label="budget " + _LABELS["C"])
    title = f"IsoFLOP parabolas in log {x}: {len(optima)} budgets, {int(used.sum())} used"
    _finish(ax, _LABELS[x], "loss", title, log_y=False)


def _draw_envelope(ax: Axes, result: IsoFLOP) -> None:
    points, optima = result.points, result.optima
    first = optima.iloc[0]
    cost = float(first["C"] / (first["N"] * first["D"]))  # the analysis's C = cost*N*D
    run = points["run"] if "run" in points.columns else points["N"]
    for i, (_, curve) in enumerate(points.groupby(run, sort=False)):
        order = np.argsort(curve["D"].to_numpy())
        c = cost * curve["N"].to_numpy()[order] * curve["D"].to_numpy()[order]
        ax.plot(c, curve["loss"].to_numpy()[order], color="0.6", lw=0.8, label="training curves" if i == 0 else None)
    used = optima["used"].to_numpy(dtype=bool)
    ax.plot(optima["C"], optima["loss"], color="black", lw=1.0, ls="--", label="lower envelope")
    ax.scatter(optima["C"][used], optima["loss"][used], color="black", s=8, label="used in the power laws", zorder=3)
    title = f"training curves and their lower envelope: {int(used.sum())} of {len(optima)} points used"
    _finish(ax, _LABELS["C"], "loss", title)
