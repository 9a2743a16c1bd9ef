"""What the figures share: a Figure on the Agg canvas (matplotlib imported only here, when a figure is made),
the axis labels, log axes, legends and bands."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ExtrapolationWarning, LawfitError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


_LABELS = {
    "N": "parameters N",
    "D": "tokens D",
    "C": "compute C (FLOPs)",
    "U": "unique tokens U",
    "loss": "loss",
    "D/N": "tokens per parameter D/N",
}


_CMAP = "viridis"


_GRID = 200  # points along each drawn line


_N_LINES = 5  # lines of the law at fixed N (or fixed D/N) drawn in plot_fit: enough to read, few enough to see


def _figure(**options: Any) -> Figure:
    """A new Figure on the Agg canvas, outside pyplot; a clear error when matplotlib is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise LawfitError("Plots need matplotlib; install it with pip install 'lawfit[plot]'.") from None
    fig = Figure(layout="constrained", **options)
    FigureCanvasAgg(fig)
    return fig


def _finish(ax: Axes, xlabel: str, ylabel: str, title: str, *, log_y: bool = True) -> None:
    """Log axes (x always), labels, title and legend."""
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
        _plain_log_ticks(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")


def _plain_log_ticks(ax: Axes) -> None:
    """Tick a log y axis that spans less than a decade (a loss from 2.1 to 3.5) at plain, evenly spaced numbers:
    the log locator would leave one or two ticks there, labelled 3x10^0."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

    low, high = ax.get_ylim()
    if 0 < low and high / low < 10:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_locator(NullLocator())


def _span(arrays: Sequence[np.ndarray], fallback: Sequence[float] | None = None) -> tuple[float, float]:
    """The positive range of the values, or ``fallback``; widened by a factor 2 when it is a single value."""
    values = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays]) if arrays else np.zeros(0)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size:
        low, high = float(values.min()), float(values.max())
    elif fallback is not None:
        low, high = (float(v) for v in fallback)
    else:
        raise LawfitError("There is nothing to plot: give the runs (data=...).")
    return (low / 2.0, high * 2.0) if low == high else (low, high)


def _band_style(colour: str) -> dict[str, Any]:
    """A band that shows however narrow it is: a light fill with dashed edges of its colour."""
    from matplotlib.colors import to_rgba

    return {"facecolor": to_rgba(colour, 0.3), "edgecolor": to_rgba(colour, 0.9), "lw": 0.8, "linestyle": "--"}


def _quiet(function: Any, *args: Any, **kwargs: Any) -> Any:
    """A law's prediction without its ExtrapolationWarning: the figure shows how far it reaches."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return function(*args, **kwargs)


def _sparse_log_ticks(axis: Any) -> None:
    """A log axis spanning about a decade ticked at 1, 2 and 5 times the powers of ten, in plain numbers: the log
    locator would label one tick there, and its minor labels run into each other."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.3g}"))
    axis.set_minor_formatter(NullFormatter())
