"""lawfit: fit scaling laws to small training runs and forecast large ones.

>>> import lawfit
>>> f = lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")
>>> round(f.params["alpha"], 4), round(f.params["beta"], 4), round(f.params["E"], 4)
(0.3473, 0.3672, 1.8172)
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import curves, datasets, plan
from ._progress import set_progress
from .chain import Chain, chain
from .data import Runs, load_runs
from .errors import (
    BoundWarning,
    CacheWarning,
    CalibrationWarning,
    ConvergenceWarning,
    DataError,
    DataWarning,
    ExtrapolationWarning,
    FitFileError,
    FormulaError,
    IdentifiabilityWarning,
    LawfitError,
    LawfitWarning,
    OutputError,
)
from .fit import Fit, calibrate, fit, load_fit
from .laws import Law, ParamSpec, formula_law, get_law
from .objectives import Objective
from .search import SearchOptions
from .uncertainty import Bootstrap, bootstrap
from .validate import Backtest, Comparison, backtest, compare

__all__ = [
    "Backtest",
    "Bootstrap",
    "BoundWarning",
    "CacheWarning",
    "CalibrationWarning",
    "Chain",
    "Comparison",
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "ExtrapolationWarning",
    "Fit",
    "FitFileError",
    "FormulaError",
    "IdentifiabilityWarning",
    "Law",
    "LawfitError",
    "LawfitWarning",
    "Objective",
    "OutputError",
    "ParamSpec",
    "Runs",
    "SearchOptions",
    "__version__",
    "backtest",
    "bootstrap",
    "calibrate",
    "chain",
    "compare",
    "curves",
    "datasets",
    "fit",
    "formula_law",
    "get_law",
    "load_fit",
    "load_runs",
    "plan",
    "set_progress",
]
