"""Fitting loss-curve laws to one or more training curves jointly, predicting other schedules, and forecasting the
end of a run from its beginning."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import FitFileError, LawfitError
from ..laws import Law
from ..objectives import Objective
from ..search import SearchOptions, refit, search
from ..uncertainty import percentile_interval
from .data import Curve
from .laws import CURVE_LAWS, PREDICT_RATIO, features
from .schedule import parse_schedule

__all__ = ["CurveFit", "Forecast", "curve_law", "fit_curves", "forecast", "load_curve_fit"]

# Curve laws cost far more per evaluation than final-loss laws (a sum over past steps per point); on the Luo et al.
# curves 16 explored and 2 polished starts reach the same optimum as 64 and 8 (1.383559e-4 on the 25M train set).
_CURVE_SEARCH = SearchOptions(n_explore=16, n_polish=2)


def curve_law(law: str | Law, **options: Any) -> Law:
    """A loss-curve law by name (``"multipower"``, ``"annealing"``) or as given."""
    if isinstance(law, Law):
        return law
    if law not in CURVE_LAWS:
        raise LawfitError(f"Unknown loss-curve law {law!r}. Known: {', '.join(CURVE_LAWS)}.")
    return CURVE_LAWS[law](**options)


@dataclass(frozen=True, eq=False)
class CurveFit:
    """A loss-curve law fitted to training curves (shared parameters across them).

    Attributes
    ----------
    law : Law
    params : dict
        Best parameters, natural units.
    objective : float
        The objective at the optimum.
    converged : bool
    message : str
        How the search ended, in words.
    curves : tuple of str
        The curves fitted on; ``n_points`` their logged losses.
    """

    law: Law
    params: Mapping[str, float]
    objective: float
    converged: bool
    message: str
    curves: tuple[str, ...]
    n_points: int
    objective_name: str = ""
    draws: np.ndarray | None = field(default=None, repr=False)

    def predict(self, schedule: Curve | np.ndarray | str, steps: Sequence[int] | np.ndarray | None = None) -> Any:
        """The loss at ``steps`` of a run under ``schedule`` (a :class:`Curve`, per-step array or description).

        Without ``steps``: a Curve's logged steps, or every 100th step and the last for a bare schedule.
        """
        curve, rows = _target(schedule, steps)
        return self._predict(self.params, curve, rows)

    def predict_draws(self, schedule: Curve | np.ndarray | str, steps: Any = None) -> np.ndarray:
        """The prediction under every bootstrap draw, shape ``(n_draws, n_steps)``."""
        if self.draws is None:
            raise LawfitError("This curve fit has no bootstrap draws; use forecast(..., bootstrap=200) for intervals.")
        curve, rows = _target(schedule, steps)
        x = features(self.law, [curve], [rows], ratio=PREDICT_RATIO)
        return np.stack([_evaluate(self.law, dict(zip(self.law.param_names, d, strict=True)), x) for d in self.draws])

    def _predict(self, params: Mapping[str, float], curve: Curve, rows: np.ndarray) -> np.ndarray:
        return _evaluate(self.law, params, features(self.law, [curve], [rows], ratio=PREDICT_RATIO))

    def evaluate(self, curves: Sequence[Curve]) -> pd.DataFrame:
        """Prediction errors on each curve: R², MAE, RMSE, mean and worst relative error (Luo et al.'s metrics)."""
        rows = []
        for curve in curves:
            predicted = self._predict(self.params, curve, curve.step)
            rows.append({"curve": curve.name, **_metrics(curve.loss, predicted)})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "law": self.law.name,
            "formula": self.law.formula,
            "params": dict(self.params),
            "objective": self.objective,
            "objective_name": self.objective_name,
            "converged": self.converged,
            "message": self.message,
            "curves": list(self.curves),
            "n_points": self.n_points,
        }

    def save(self, path: str | Path) -> None:
        """Write the fit as JSON; :func:`load_curve_fit` reads it back."""
        record = {"lawfit_curve_fit": 1, **self.to_dict(), "spec": dict(self.law.spec)}
        Path(path).write_text(json.dumps(record, indent=1))

    def summary(self) -> str:
        lines = [
            f"law        {self.law.name}: {self.law.formula}",
            f"data       {self.n_points} logged losses from {len(self.curves)} curve(s): {', '.join(self.curves)}",
            f"objective  {self.objective_name}: {self.objective:.6e}",
            f"search     {self.message}",
            "",
            f"  {'parameter':<10} {'value':>14}",
        ]
        lines += [f"  {name:<10} {value:>14.6g}" for name, value in self.params.items()]
        if not self.converged:
            lines.append("\nWARNING: the fit did not converge; do not trust its predictions.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, curves: Curve | Sequence[Curve], **options: Any) -> Any:
        """A matplotlib figure of ``curves`` and this law's predictions of them, with their schedules
        (:func:`lawfit.plot.plot_curves`; needs ``pip install 'lawfit[plot]'``)."""
        from ..plot import plot_curves

        return plot_curves(self, curves, **options)


def load_curve_fit(path: str | Path) -> CurveFit:
    """A curve fit saved by :meth:`CurveFit.save`."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise FitFileError(f"Could not read the curve fit {path}: {exc}.") from None
    if not isinstance(record, dict) or record.get("lawfit_curve_fit") != 1:
        raise FitFileError(f"{path} is not a curve fit saved by lawfit (lawfit curve fit ... -o FIT.json).")
    spec = dict(record.get("spec", {}))
    name = spec.pop("builtin", record.get("law"))
    law = curve_law(name, **spec)
    params = record.get("params", {})
    if set(params) != set(law.param_names):
        raise FitFileError(f"{path}: the parameters {sorted(params)} do not match the {name} law's.")
    return CurveFit(
        law,
        {k: float(params[k]) for k in law.param_names},
        float(record["objective"]),
        bool(record["converged"]),
        str(record["message"]),
        tuple(record["curves"]),
        int(record["n_points"]),
        str(record.get("objective_name", "")),
    )


def fit_curves(
    curves: Sequence[Curve],
    law: str | Law = "multipower",
    *,
    loss: str = "huber",
    delta: float = 1e-3,
    lam: float = 0.999,
    search_options: SearchOptions | None = None,
) -> CurveFit:
    """Fit a loss-curve law to curves jointly: one set of parameters for all of them.

    The objective is Huber (``delta``) on log residuals, summed over every logged loss of every curve, as Luo et al.
    fit the multi-power law. The start grid spans the law's typical values with the floor ``L0`` at fractions of
    the lowest loss.

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.curves import Curve, fit_curves, schedule
    >>> lr = schedule("cosine", steps=4000, peak=1e-3, final=1e-4, warmup=200)
    >>> steps = np.arange(300, 4000, 50)
    >>> area, drop = np.cumsum(lr), np.r_[0, lr[:-1] - lr[1:]]
    >>> from scipy.signal import lfilter  # m_i = 0.999*m_(i-1) + drop_i
    >>> s2 = np.cumsum(lfilter([1.0], [1.0, -0.999], drop))
    >>> truth = 2.5 + 0.8 * area[steps] ** -0.5 - 0.3 * s2[steps]
    >>> f = fit_curves([Curve("cos", lr, steps, truth)], "annealing")
    >>> {k: round(v, 4) for k, v in f.params.items()}
    {'L0': 2.5, 'A': 0.8, 'alpha': 0.5, 'C': 0.3}
    """
    curves = _check_curves(curves)
    the_law = curve_law(law, **({"lam": lam} if law == "annealing" else {}))
    objective = Objective(loss, delta=delta)
    x = features(the_law, curves)
    y = np.concatenate([c.loss for c in curves])
    if y.size < len(the_law.params):
        raise LawfitError(
            f"The {the_law.name} law has {len(the_law.params)} parameters; the curves hold only {y.size} losses."
        )
    options = search_options or _CURVE_SEARCH
    result = search(the_law, objective, x, y, np.ones(y.size), grid=_grid(the_law, y), options=options)
    return CurveFit(
        the_law,
        result.params,
        result.objective,
        result.converged,
        result.message,
        tuple(c.name for c in curves),
        int(y.size),
        objective.describe(),
    )


@dataclass(frozen=True, eq=False)
class Forecast:
    """The final loss of a run predicted from its first part, under its planned schedule.

    ``loss`` is the point forecast at ``step`` (the schedule's last step), ``low``/``high`` the bootstrap interval
    at ``level``; ``fit`` is the law fitted to the observed part (up to ``observed_until``).
    """

    fit: CurveFit
    step: int
    loss: float
    low: float
    high: float
    level: float
    observed_until: int
    n_draws: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "loss": self.loss,
            "low": self.low,
            "high": self.high,
            "level": self.level,
            "observed_until": self.observed_until,
            "n_draws": self.n_draws,
            "fit": self.fit.to_dict(),
        }

    def summary(self) -> str:
        return "\n".join(
            [
                f"forecast   loss {self.loss:.5f} at step {self.step}, {self.level:.0%} interval "
                f"[{self.low:.5f}, {self.high:.5f}] ({self.n_draws} block-bootstrap refits)",
                f"observed   steps up to {self.observed_until} ({self.fit.n_points} logged losses)",
                self.fit.summary(),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def forecast(
    curve: Curve,
    *,
    fraction: float | None = 0.5,
    until: int | None = None,
    law: str | Law = "annealing",
    bootstrap: int = 200,
    seed: int = 0,
    level: float = 0.9,
    block: int = 10,
    fit_on: Sequence[Curve] = (),
) -> Forecast:
    """Forecast a run's final loss from its losses up to ``until`` (or the first ``fraction`` of its schedule).

    The law is fitted to the observed part (with ``fit_on``, other finished curves of the same model, jointly) and
    evaluated at the schedule's last step. The interval comes from a moving-block bootstrap of the observed losses
    (blocks of ``block`` consecutive points, since neighbouring losses on a curve are correlated), each resample
    refitted from the optimum. It covers the noise of the observed losses, not the law's own error, so read it as a
    lower bound on the uncertainty (on Luo et al.'s 100M cosine_72000 run it misses the final loss by 0.5%).
    """
    if until is None:
        if fraction is None or not 0 < fraction <= 1:
            raise LawfitError(f"The 'fraction' of the run observed must be in (0, 1]. Got {fraction!r}.")
        until = int(fraction * (curve.steps - 1))
    observed = curve.until(until)
    if observed.step.size < 8:
        raise LawfitError(
            f"Only {observed.step.size} losses are logged up to step {until}; a forecast needs at least 8. "
            "Observe more of the run or log the loss more often."
        )
    others = list(fit_on)
    fitted = fit_curves([observed, *others], law)
    final = curve.steps - 1
    point = float(fitted.predict(curve, [final])[0])
    draws = np.empty((0, len(fitted.law.params)))
    low = high = math.nan
    if bootstrap:
        if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 2:
            raise LawfitError(f"The 'bootstrap' parameter must be an integer >= 2 (or 0). Got {bootstrap!r}.")
        weights = _block_weights(observed.step.size, [c.loss.size for c in others], bootstrap, block, seed)
        x = features(fitted.law, [observed, *others])
        y = np.concatenate([observed.loss, *[c.loss for c in others]])
        refits = refit(fitted.law, Objective("huber", delta=1e-3), fitted.params, x, y, weights, label="forecast")
        draws = refits.draws[refits.converged]
        if draws.shape[0] >= 2:
            fitted = CurveFit(**{**fitted.__dict__, "draws": draws})
            predictions = fitted.predict_draws(curve, [final])[:, 0]
            low, high = (float(v) for v in percentile_interval(predictions[np.isfinite(predictions)], level))
    return Forecast(fitted, final, point, low, high, level, int(until), int(draws.shape[0]))


# ---------------------------------------------------------------------------------------------------------------


def _check_curves(curves: Sequence[Curve]) -> list[Curve]:
    curves = [curves] if isinstance(curves, Curve) else list(curves)
    if not curves or not all(isinstance(c, Curve) for c in curves):
        raise LawfitError("fit_curves needs one or more lawfit.curves.Curve (see lawfit.curves.load_curves).")
    names = [c.name for c in curves]
    if len(set(names)) != len(names):
        raise LawfitError(f"Curve names must be distinct. Got {names}.")
    for c in curves:
        early = c.step[np.cumsum(c.lr)[c.step] <= 0]
        if early.size:
            raise LawfitError(
                f"Curve {c.name!r} has losses at steps {early[:3].tolist()} where the learning rate has summed to 0 "
                "(no training yet); the curve laws cannot describe them. Drop them (load_curves does)."
            )
    return curves


def _target(schedule: Curve | np.ndarray | str, steps: Any) -> tuple[Curve, np.ndarray]:
    if isinstance(schedule, Curve):
        lr = schedule.lr
        default = schedule.step
    else:
        lr = parse_schedule(schedule) if isinstance(schedule, str) else np.asarray(schedule, dtype=np.float64)
        default = np.unique(np.r_[np.arange(100, lr.size, 100), lr.size - 1])
    rows = default if steps is None else np.asarray(steps)
    return Curve("prediction", lr, rows, np.ones(np.shape(rows))), np.asarray(rows, dtype=np.int64)


def _evaluate(law: Law, params: Mapping[str, float], x: Mapping[str, np.ndarray]) -> np.ndarray:
    from .._jax import jnp

    values = law.fn({k: jnp.asarray(v) for k, v in params.items()}, {k: jnp.asarray(v) for k, v in x.items()})
    return np.asarray(values, dtype=np.float64)


def _grid(law: Law, y: np.ndarray) -> np.ndarray:
    """The product of the parameters' start grids, with L0's entries read as fractions of the lowest loss."""
    columns = [np.asarray(p.grid) * (float(np.min(y)) if p.name == "L0" else 1.0) for p in law.params]
    return np.array(list(itertools.product(*columns)), dtype=np.float64)


def _metrics(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    r = y - predicted
    return {
        "R2": float(1 - np.sum(r**2) / np.sum((y - y.mean()) ** 2)) if y.size > 1 else math.nan,
        "MAE": float(np.mean(np.abs(r))),
        "RMSE": float(np.sqrt(np.mean(r**2))),
        "mean_rel": float(np.mean(np.abs(r) / y)),
        "worst_rel": float(np.max(np.abs(r) / y)),
    }


def _block_weights(n: int, others: Sequence[int], n_resamples: int, block: int, seed: int) -> np.ndarray:
    """Moving-block bootstrap counts of the observed points (other curves kept with weight 1)."""
    rng = np.random.default_rng(seed)
    block = max(1, min(block, n))
    n_blocks = math.ceil(n / block)
    counts = np.zeros((n_resamples, n))
    starts = rng.integers(0, n - block + 1, size=(n_resamples, n_blocks))
    for r in range(n_resamples):
        idx = (starts[r][:, None] + np.arange(block)).ravel()[:n]
        np.add.at(counts[r], idx, 1.0)
    return np.hstack([counts, np.ones((n_resamples, int(sum(others))))])
