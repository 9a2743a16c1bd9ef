"""Figures of training curves: the logged losses, a loss-curve law's predictions and the learning-rate schedules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import LawfitError
from ._common import _figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..curves import Curve, CurveFit

__all__ = ["plot_curves"]


def plot_curves(curve_fit: CurveFit, curves: Curve | Sequence[Curve]) -> Figure:
    """Training curves and a loss-curve law's predictions of them, with their learning-rate schedules below.

    Top: the logged losses as points (hollow for curves the law was not fitted on, labelled "held out") and the
    law's prediction under each curve's schedule as a line, loss against step, both axes linear. Bottom: each
    curve's learning rate at every step.

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.curves import Curve, CurveFit, annealing, schedule
    >>> from lawfit.plot import plot_curves
    >>> lr = schedule("cosine", steps=4000, peak=1e-3, final=1e-4, warmup=200)
    >>> law = CurveFit(annealing(), {"L0": 2.5, "A": 0.8, "alpha": 0.5, "C": 0.3}, 0.0, True, "given", ("cos",), 0)
    >>> fig = plot_curves(law, Curve("cos", lr, np.arange(300, 4000, 100), np.full(37, 3.0)))
    >>> loss_axes, lr_axes = fig.axes
    >>> len(loss_axes.lines), len(loss_axes.collections), lr_axes.get_ylabel()
    (1, 1, 'learning rate')
    """
    curves = [curves] if _is_curve(curves) else list(curves)
    if not curves or not all(_is_curve(c) for c in curves):
        raise LawfitError("plot_curves needs one or more lawfit.curves.Curve (see lawfit.curves.load_curves).")
    fig = _figure(figsize=(8.0, 6.0))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    for i, curve in enumerate(curves):
        colour = f"C{i % 10}"
        fitted = curve.name in curve_fit.curves
        first = int(curve.step.min()) if curve.step.size else 1
        steps = np.unique(np.linspace(first, curve.steps, 400).astype(np.int64))  # steps 1..S
        face = colour if fitted else "none"
        label = curve.name if fitted else f"{curve.name} (held out)"
        top.scatter(curve.step, curve.loss, s=10, facecolors=face, edgecolors=colour, lw=0.8, label=label)
        top.plot(steps, curve_fit.predict(curve, steps), color=colour, lw=1.2)
        bottom.plot(np.arange(1, curve.steps + 1), curve.lr, color=colour, lw=1.2)  # lr[k-1] is step k's
    top.set_ylabel("loss")
    top.set_title(f"{curve_fit.law.name} fitted on {', '.join(curve_fit.curves) or 'given parameters'}")
    top.legend(fontsize="small", title="points: logged; lines: law", title_fontsize="small")
    bottom.set_xlabel("step")
    bottom.set_ylabel("learning rate")
    bottom.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
    return fig


def _is_curve(value: Any) -> bool:
    """Whether ``value`` reads as a :class:`lawfit.curves.Curve` (by its fields: this module imports no analysis)."""
    return all(hasattr(value, name) for name in ("name", "lr", "step", "loss", "steps"))
