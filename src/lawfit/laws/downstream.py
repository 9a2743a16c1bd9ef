"""Downstream error from loss (Gadre et al. 2024): ``Err(L) = eps - k*exp(-gamma*L)``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import LawfitError
from ._base import Law, ParamSpec
from ._xp import namespace

__all__ = ["downstream"]

# Ceilings a little above the largest observed error; for each, log(eps - y) is a line in the loss.
_CEILING_FACTORS = (1.001, 1.01, 1.05, 1.2, 1.5)


def downstream(target: str = "error") -> Law:
    """A downstream metric as a function of the loss: ``Err(L) = eps - k*exp(-gamma*L)``.

    The error falls from ``eps`` (reached as the loss grows, e.g. chance level) towards ``eps - k`` (at zero loss).
    Chain it after a loss law: predict the loss of a planned run, then its error.

    Parameters
    ----------
    target : str
        The column the law predicts, e.g. ``"error"`` for average top-1 error. The input is the ``loss`` column.

    Notes
    -----
    ``eps``, ``k`` and ``gamma`` are positive and searched in log space. Gadre et al. fit the law by least squares
    on the error itself (``scipy.optimize.curve_fit``), which is ``objective="mse"`` here; the log objectives need the
    prediction to stay positive over the data, which they do for any sensible fit.

    Source: S. Y. Gadre et al., "Language models scale reliably with over-training and on downstream tasks",
    arXiv:2403.08540 (2024).

    Examples
    --------
    >>> law = downstream("error")
    >>> law.inputs, law.target, law.param_names
    (('loss',), 'error', ('eps', 'k', 'gamma'))
    >>> round(float(law.predict({"eps": 0.7, "k": 2.0, "gamma": 1.0}, loss=2.0)), 4)
    0.4293
    """
    if not (isinstance(target, str) and target.isidentifier() and target != "loss"):
        raise LawfitError(
            "The 'target' option of downstream must be a column name (an identifier) other than 'loss'. "
            f"Got {target!r} instead."
        )

    def fn(p: Any, inputs: Any) -> Any:
        xp = namespace(p, inputs)

        return p["eps"] - p["k"] * xp.exp(-p["gamma"] * inputs["loss"])

    def log_fn(p: Any, inputs: Any) -> Any:
        xp = namespace(p, inputs)

        # log(eps) + log(1 - (k/eps)*exp(-gamma*L)): no overflow of exp(-gamma*L) at small losses.
        log_eps = xp.log(p["eps"])
        return log_eps + xp.log1p(-xp.exp(xp.log(p["k"]) - log_eps - p["gamma"] * inputs["loss"]))

    def guess(inputs: Any, y: np.ndarray) -> np.ndarray:
        loss = np.asarray(inputs["loss"], dtype=np.float64)
        if np.ptp(loss) == 0 or not np.all(y > 0):
            return np.empty((0, 3))
        starts = []
        for factor in _CEILING_FACTORS:
            eps = factor * float(y.max())
            slope, intercept = np.polyfit(loss, np.log(eps - y), 1)
            starts.append((eps, math.exp(min(intercept, 700.0)), max(-slope, 1e-3)))
        return np.asarray(starts, dtype=np.float64)

    return Law(
        name="downstream",
        inputs=("loss",),
        params=(
            ParamSpec("eps", lower=0.0, scale="log", grid=(0.25, 0.5, 0.75, 1.0)),
            ParamSpec("k", lower=0.0, scale="log", grid=(0.1, 1.0, 10.0, 100.0)),
            ParamSpec("gamma", lower=0.0, scale="log", grid=(0.1, 0.3, 1.0, 3.0)),
        ),
        fn=fn,
        log_fn=log_fn,
        formula="eps - k*exp(-gamma*loss)",
        spec={"builtin": "downstream", "target": target},
        guess=guess,
        target=target,
    )
