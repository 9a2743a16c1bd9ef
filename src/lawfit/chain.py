"""Two laws in a chain: the loss at a planned scale, then a downstream metric from that loss (Gadre et al. 2024).

The uncertainty goes through both steps: each bootstrap draw of the loss law predicts a loss, and the paired draw of
the metric law turns that loss into the metric. When both laws are fitted on the same runs (:func:`chain`), the
pairs come from the same resamples of those runs (a joint bootstrap), so that a resample that happens to favour
low losses is judged by the metric law fitted on that same resample.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import uncertainty as _unc
from ._checks import RESAMPLES, constrained, renamed
from .data import Runs, load_runs
from .diagnostics import EXTRAPOLATION_LIMIT
from .errors import LawfitError
from .fit import Fit, complete_inputs, fit
from .laws import Law

__all__ = ["Chain", "chain"]


@dataclass(frozen=True, eq=False)
class Chain:
    """A loss law and a law of a downstream metric in the loss, predicted one after the other.

    Attributes
    ----------
    loss_fit : Fit
        A law of the scale inputs (``N``, ``D``, ...) predicting ``loss``.
    metric_fit : Fit
        A law with the single input ``loss`` predicting a metric (its target, e.g. ``error``).
    joint : bool
        True when the two fits' bootstrap draws come from the same resamples of the same runs.

    Examples
    --------
    >>> import numpy as np, lawfit
    >>> rng = np.random.default_rng(0)
    >>> n = np.repeat(np.logspace(7, 9, 5), 4); d = np.tile(np.logspace(9, 11, 4), 5)
    >>> loss = (1.8 + 400 / n**0.34 + 400 / d**0.28) * np.exp(0.005 * rng.standard_normal(20))
    >>> error = 0.75 - 2.0 * np.exp(-1.2 * loss) + 0.003 * rng.standard_normal(20)
    >>> runs = {"N": n, "D": d, "loss": loss, "error": error}
    >>> c = lawfit.chain(runs, n_resamples=50, metric_options={"objective": "mse"})
    >>> loss, error = c.predict(N=1e10, D=2e11)
    >>> round(float(loss), 2), round(float(error), 2), c.joint
    (2.25, 0.63, True)
    """

    loss_fit: Fit
    metric_fit: Fit
    joint: bool = False

    def __post_init__(self) -> None:
        if self.metric_fit.law.inputs != ("loss",):
            raise LawfitError(
                f"The metric law of a chain must take the loss as its only input (e.g. 'downstream'). Law "
                f"{self.metric_fit.law.name!r} takes {', '.join(self.metric_fit.law.inputs)} instead."
            )
        if self.loss_fit.law.target != "loss":
            raise LawfitError(
                f"The first law of a chain must predict the loss. Law {self.loss_fit.law.name!r} predicts "
                f"{self.loss_fit.law.target!r} instead."
            )

    @property
    def metric(self) -> str:
        """The name of the predicted metric (the metric law's target column)."""
        return self.metric_fit.law.target

    def predict(self, **inputs: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(loss, metric)`` at ``inputs`` (``N=..., D=...``), at the two fits' optima."""
        loss = np.asarray(self.loss_fit.predict(**inputs), dtype=np.float64)
        return loss, np.asarray(self.metric_fit.predict(loss=loss), dtype=np.float64)

    def draws(self, **inputs: Any) -> tuple[np.ndarray, np.ndarray]:
        """Paired bootstrap draws ``(loss, metric)`` at ``inputs``, each of shape ``(n_draws, *inputs_shape)``."""
        from ._jax import jax, jnp

        for which, the_fit in (("loss", self.loss_fit), ("metric", self.metric_fit)):
            if the_fit.bootstrap is None:
                raise LawfitError(
                    f"The {which} fit of this chain has no bootstrap draws. Build the chain with "
                    "lawfit.chain(runs, ..., n_resamples=1000), or bootstrap both fits first (lawfit.bootstrap)."
                )
        values = complete_inputs(self.loss_fit.law.inputs, inputs)
        self.loss_fit._check_extrapolation(values, EXTRAPOLATION_LIMIT)
        loss = _unc.prediction_draws(self.loss_fit, values)
        params = _unc.param_draws(self.metric_fit)
        n = min(len(loss), len(next(iter(params.values()))))
        paired = {k: jnp.asarray(v[:n]) for k, v in params.items()}
        law = self.metric_fit.law
        metric = jax.vmap(lambda p, x: law.fn(p, {"loss": x}))(paired, jnp.asarray(loss[:n]))
        return loss[:n], np.asarray(metric, dtype=np.float64)

    def predict_interval(self, level: float = 0.9, **inputs: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Percentile intervals ``{"loss": (low, high), metric: (low, high)}`` at ``inputs``, the loss law's
        uncertainty carried into the metric."""
        loss, metric = self.draws(**inputs)
        return {"loss": _unc.percentile_interval(loss, level), self.metric: _unc.percentile_interval(metric, level)}


@renamed(bootstrap="n_resamples")
@constrained(n_resamples=RESAMPLES)
def chain(
    data: Runs | Any,
    loss_law: Law | str = "chinchilla",
    metric_law: Law | str = "downstream",
    *,
    target: str = "error",
    columns: Mapping[str, str] | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    resample: str = "run",
    loss_options: Mapping[str, Any] | None = None,
    metric_options: Mapping[str, Any] | None = None,
) -> Chain:
    """Fit a loss law and a metric law on the same runs, with a joint bootstrap of the two.

    Parameters
    ----------
    data : path, DataFrame, mapping of columns or Runs
        Runs with the loss law's inputs, a ``loss`` column and the metric column ``target``.
    loss_law, metric_law : str or Law
        The law of the loss (default ``chinchilla``) and of the metric in the loss (default ``downstream``,
        Gadre et al.'s ``eps - k*exp(-gamma*L)``; give a :class:`Law` to pick another target).
    target : str
        The metric column, when ``metric_law`` is ``"downstream"``.
    n_resamples : int
        Resamples of the joint bootstrap (>= 2); both fits are refitted on the same resamples (the deprecated name
        ``bootstrap`` is read for one more release).
    loss_options, metric_options : mapping, optional
        Keywords of :func:`lawfit.fit` for each fit, e.g. ``{"objective": "mse"}`` for the metric fit as Gadre et al.
        fit it (least squares on the error).
    """
    runs = load_runs(data, columns=columns)
    if isinstance(metric_law, str) and metric_law == "downstream":
        from .laws import get_law

        metric_law = get_law("downstream", target=target)
    shared = {"n_resamples": n_resamples, "seed": seed, "resample": resample}
    for name, options in (("loss_options", loss_options), ("metric_options", metric_options)):
        clash = sorted(set(options or {}) & {*shared, "bootstrap", "columns", "data"})
        if clash:
            raise LawfitError(f"The {name} of chain cannot set {clash[0]!r}: give it to chain itself.")
    loss_fit = fit(runs, loss_law, **dict(loss_options or {}), **shared)
    metric_fit = fit(runs, metric_law, **dict(metric_options or {}), **shared)
    return Chain(loss_fit, metric_fit, joint=True)
