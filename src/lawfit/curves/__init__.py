"""Training curves: loss against step under a learning-rate schedule, the laws that predict them, and readers.

Steps
-----
One convention, from the training hooks through the readers to :func:`fit_curves`, :meth:`CurveFit.predict` and
:func:`forecast`, and on the command line (``lawfit curve``):

- **step k is the k-th optimizer update, k = 1 .. S**, and its loss the one logged there: what a Hugging Face
  ``Trainer`` logs at ``state.global_step`` (after the update), Lightning at ``trainer.global_step``, and the
  trackers (TensorBoard, W&B's ``train/global_step``, MLflow) with them; :mod:`lawfit.hooks` writes the same.
  A loss at step 0, before any update, is dropped.
- **the learning rate of step k** is the rate its update used, ``lr[k - 1]`` of a schedule array.
- **a schedule of S steps covers steps 1 .. S** (``schedule(..., steps=S)``, ``cosine:steps=S,...``): a run of S
  updates logged by a hook loads with ``steps=S`` (``--steps S``), and its last step, S, is where a forecast
  lands and the last step a prediction may ask for.
- the laws' sums run over steps ``1 .. k``: ``S1(k) = lr[0] + ... + lr[k - 1]``.

>>> from lawfit.curves import schedule
>>> lr = schedule("constant", steps=10, peak=1e-3, warmup=5)
>>> lr.size, lr[[0, 4, 9]].tolist()  # the rates of steps 1, 5 and 10
(10, [0.0, 0.001, 0.001])
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
