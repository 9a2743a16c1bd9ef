"""Figures: a fit against its runs, its residuals, its bootstrap draws in pairs, its forecast error against the distance
of extrapolation, an IsoFLOP analysis, a compute-optimal frontier, training curves with their predictions, the optima
of a hyperparameter sweep's cells and the laws of those optima, the steps to a loss against the batch size, and the
capabilities beyond the loss: principal components of benchmark scores against compute per family, a target metric
against its sigmoid's predictor, coverage of repeated sampling against k, and tiny pass rates against scale.

Plots need matplotlib (``pip install 'lawfit[plot]'``), imported only when a figure is made, so ``import lawfit``
does not load it. Each function builds a :class:`matplotlib.figure.Figure` on the Agg canvas, not through pyplot:
nothing global changes and no display is needed. It returns the figure; the caller saves it
(``fig.savefig("fit.png", dpi=200)``; PNG, PDF and SVG all work) or shows it in a notebook.

The figures live in modules by subject (:mod:`~lawfit.plot.fits`, :mod:`~lawfit.plot.planning`,
:mod:`~lawfit.plot.curves`, :mod:`~lawfit.plot.hparams`, :mod:`~lawfit.plot.capabilities`); import them from here.

Examples
--------
>>> import lawfit
>>> from lawfit.plot import plot_fit
>>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
>>> fig = plot_fit(lawfit.fit(runs, "chinchilla"), runs)
>>> ax = fig.axes[0]
>>> ax.get_xscale(), ax.get_yscale(), ax.get_xlabel()
('log', 'log', 'parameters N')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import LawfitError
from .capabilities import plot_components, plot_coverage, plot_pass_rates, plot_sigmoid
from .curves import plot_curves
from .fits import plot_bootstrap_pairs, plot_calibration, plot_fit, plot_residuals
from .hparams import plot_critical_batch, plot_hparam_law, plot_optima
from .planning import plot_frontier, plot_isoflop

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "figure",
    "plot_bootstrap_pairs",
    "plot_calibration",
    "plot_components",
    "plot_coverage",
    "plot_critical_batch",
    "plot_curves",
    "plot_fit",
    "plot_frontier",
    "plot_hparam_law",
    "plot_isoflop",
    "plot_optima",
    "plot_pass_rates",
    "plot_residuals",
    "plot_sigmoid",
]


def figure(result: Any, *args: Any, **options: Any) -> Figure:
    """The figure of a result, by its type: a :class:`~lawfit.Fit` (:func:`plot_fit`), a
    :class:`~lawfit.plan.Frontier` (:func:`plot_frontier`), an :class:`~lawfit.plan.IsoFLOP`
    (:func:`plot_isoflop`), a :class:`~lawfit.curves.CurveFit` (:func:`plot_curves`, with the curves as ``args``),
    the :class:`~lawfit.hparams.Optima` of a sweep (:func:`plot_optima`, with the sweep as ``args``), an
    :class:`~lawfit.hparams.HparamLaw` (:func:`plot_hparam_law`), or a :class:`~lawfit.hparams.CriticalBatch` or
    :class:`~lawfit.hparams.BatchFit` (:func:`plot_critical_batch`); of :mod:`lawfit.capabilities`, the
    :class:`~lawfit.capabilities.Components` or :class:`~lawfit.capabilities.FamilyFit` (:func:`plot_components`,
    with the table as ``args``), a :class:`~lawfit.capabilities.SigmoidFit` or
    :class:`~lawfit.capabilities.CutoffBacktest` (:func:`plot_sigmoid`, with the table), an
    :class:`~lawfit.capabilities.ObservationalScaling` (:func:`plot_sigmoid` when it has a target, else
    :func:`plot_components`, with the table), a :class:`~lawfit.capabilities.CoverageCurve` or
    :class:`~lawfit.capabilities.CoverageForecast` (:func:`plot_coverage`), or
    :class:`~lawfit.capabilities.PassRates` (:func:`plot_pass_rates`); ``args`` and ``options`` go to that function.

    The type is read from the result's class name (this module imports none of the modules that make results, so
    that they may import it for their ``.plot()``).

    Examples
    --------
    >>> import lawfit, numpy as np
    >>> from lawfit.plan import compute_optimal
    >>> from lawfit.plot import figure
    >>> f = lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")
    >>> figure(compute_optimal(f, np.geomspace(1e19, 1e22, 20))).axes[0].get_xlabel()
    'compute C (FLOPs)'
    """
    for cls in type(result).__mro__:
        draw = _FIGURES.get(cls.__name__)
        if draw is not None and cls.__module__.startswith("lawfit."):
            return draw(result, *args, **options)
    kinds = ", ".join(sorted(set(_FIGURES) - set(_CAPABILITIES)))
    kinds += "; of lawfit.capabilities: " + ", ".join(sorted(_CAPABILITIES))
    raise LawfitError(
        f"The 'result' parameter of figure must be one of lawfit's results ({kinds}). Got a "
        f"{type(result).__name__} instead."
    )


def _plot_observational(result: Any, *args: Any, **options: Any) -> Figure:
    """An observational analysis: its sigmoid (or back-test) when it has a target, else its components."""
    if result.sigmoid is not None or result.backtest is not None:
        return plot_sigmoid(result, *args, **options)
    return plot_components(result, *args, **options)


# The figures of lawfit.capabilities' results, by class name.
_CAPABILITIES: dict[str, Any] = {
    "Components": plot_components,
    "FamilyFit": plot_components,
    "ObservationalScaling": _plot_observational,
    "SigmoidFit": plot_sigmoid,
    "CutoffBacktest": plot_sigmoid,
    "CoverageCurve": plot_coverage,
    "CoverageForecast": plot_coverage,
    "PassRates": plot_pass_rates,
}
# The figure of each kind of result, by its class name (see figure).
_FIGURES: dict[str, Any] = {
    "Fit": plot_fit,
    "Frontier": plot_frontier,
    "IsoFLOP": plot_isoflop,
    "CurveFit": plot_curves,
    "Optima": plot_optima,
    "HparamLaw": plot_hparam_law,
    "CriticalBatch": plot_critical_batch,
    "BatchFit": plot_critical_batch,
    **_CAPABILITIES,
}
