"""lawfit: fit scaling laws to small training runs and forecast large ones.

>>> import lawfit
>>> f = lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")
>>> round(f.params["alpha"], 4), round(f.params["beta"], 4), round(f.params["E"], 4)
(0.3473, 0.3672, 1.8172)
"""

from __future__ import annotations

import sys

from ._lazy import Package, exports
from ._version import __version__ as __version__
from .errors import __all__ as _ERRORS  # the typed errors and warnings (a leaf module: no imports)

# Each public name and the module that defines it, imported on first use (PEP 562): `lawfit --help` or a prediction
# from a saved fit then loads neither JAX nor pandas, while `lawfit.fit(...)` loads what fitting needs.
_ORIGIN = {
    "curves": ".curves",
    "datasets": ".datasets",
    "capabilities": ".capabilities",
    "hparams": ".hparams",
    "plan": ".plan",
    "set_progress": "._progress",
    "Chain": ".chain",
    "chain": ".chain",
    "Runs": ".data",
    "load_runs": ".data",
    **dict.fromkeys(_ERRORS, ".errors"),
    **dict.fromkeys(("Fit", "calibrate", "fit", "load_fit"), ".fit"),
    **dict.fromkeys(("Law", "ParamSpec", "formula_law", "get_law"), ".laws"),
    "Objective": ".objectives",
    "SearchOptions": ".search",
    "Bootstrap": ".uncertainty",
    "bootstrap": ".uncertainty",
    **dict.fromkeys(("Backtest", "Comparison", "backtest", "compare"), ".validate"),
}

__all__ = sorted([*_ORIGIN, "__version__"])  # every public name once: in _ORIGIN


__getattr__, __dir__ = exports(__name__, _ORIGIN, modules=("capabilities", "curves", "datasets", "hparams", "plan"))

# The functions lawfit.fit and lawfit.chain stay themselves when their modules are imported.
_SHADOWED = ("fit", "chain")
sys.modules[__name__].__class__ = Package
