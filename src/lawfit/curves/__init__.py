"""Training curves: loss against step under a learning-rate schedule, the laws that predict them, and readers.

>>> from lawfit.curves import schedule
>>> schedule("constant", steps=10, peak=1e-3, warmup=5)[[0, 4, 9]].tolist()
[0.0, 0.001, 0.001]
"""

from .data import Curve, load_curves
from .fit import AUTO_CANDIDATES, CurveFit, Forecast, curve_law, fit_curves, forecast, load_curve_fit
from .laws import annealing, multipower, multipower_fixed
from .readers import read_curves, read_mlflow, read_tensorboard, read_wandb
from .schedule import from_logged, parse_schedule, schedule

__all__ = [
    "AUTO_CANDIDATES",
    "Curve",
    "CurveFit",
    "Forecast",
    "annealing",
    "curve_law",
    "fit_curves",
    "forecast",
    "from_logged",
    "load_curve_fit",
    "load_curves",
    "multipower",
    "multipower_fixed",
    "parse_schedule",
    "read_curves",
    "read_mlflow",
    "read_tensorboard",
    "read_wandb",
    "schedule",
]
