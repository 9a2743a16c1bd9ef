"""Hyperparameters at scale: sweeps, the optimum of each cell, learning-rate and batch-size laws, published laws,
and (:mod:`.batch`) the critical batch size and steps to a loss.

- :func:`load_sweep` reads runs with a learning rate ``lr`` and batch size ``batch`` (tokens) into a :class:`Sweep`
  of cells (by N and D, or the columns named);
- :func:`cell_optima` finds each cell's optimum by a quadratic around its minimum, with bootstrap intervals, the
  near-optimal region and a warning (:class:`lawfit.EdgeWarning`) for an optimum at the edge of the sweep;
- :func:`fit_law` fits ``lr*(N, D)``, ``lr*(C)``, ``batch*(D)``, ``batch*(C)`` or any formula to the optima, and
  :func:`backtest_law` fits the small cells and predicts the largest;
- :func:`published` gives Step Law's and DeepSeek's laws; :func:`marin_fit` is Marin's fitting procedure.

>>> from lawfit import hparams
>>> round(float(hparams.published("step-law").lr(N=1e9, D=1e11)), 7)
0.0016325
"""

from __future__ import annotations

import sys

from .._lazy import Package, exports

# Each name is imported from its module on first use (PEP 562), so that `lawfit batch` loads no sweep machinery.
_ORIGIN = {
    **dict.fromkeys(("POWER_LAWS", "HparamBacktest", "HparamLaw", "backtest_law", "fit_law"), ".laws"),
    **dict.fromkeys(("CellOptimum", "Optima", "cell_optima"), ".optimum"),
    **dict.fromkeys(("PUBLISHED", "MarinFit", "PublishedLaw", "marin_fit", "published"), ".published"),
    **dict.fromkeys(("HPARAMS", "Sweep", "load_sweep"), ".sweeps"),
    **dict.fromkeys(("BatchFit", "BatchLaw", "CriticalBatch", "StepsToLoss", "critical_batch"), ".batch"),
}

__all__ = sorted(_ORIGIN)

__getattr__, __dir__ = exports(__name__, _ORIGIN)

# The function published stays itself when its module is imported.
_SHADOWED = ("published",)
sys.modules[__name__].__class__ = Package
