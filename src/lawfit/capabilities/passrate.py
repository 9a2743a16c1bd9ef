"""Tiny pass rates (Hu et al. 2023, PassUntil): pass rates far below 1/k, measured by sampling until a success, and
their scaling with model size or compute.

- :func:`pass_rate`: the maximum-likelihood pass rate ``successes / attempts`` with an exact interval: Clopper-Pearson
  for counts from a fixed number of attempts; for attempts made until a success (inverse sampling, ``until=True``),
  the exact interval of that design (the same lower bound; the upper bound from ``Binomial(attempts - 1)`` with one
  success fewer, since the last attempt was bound to succeed).
- :func:`pass_rates`: a table of instances (model, size, and attempts until the first success or success counts) in;
  each model's pass rate, pooled over its instances, with its exact interval.
- :func:`fit_pass_rate_law`: ``pass rate = A * x**b`` (x = N or C) by maximum likelihood of the counts themselves (a
  model without a success still counts), with intervals from a bootstrap over each model's instances.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import Integer, check_level, constrained
from ..errors import DataError, LawfitError
from .coverage import frozen, quantile_interval, whole_counts

__all__ = ["PassRateLaw", "PassRates", "fit_pass_rate_law", "pass_rate", "pass_rates"]


def _exact(successes: np.ndarray, attempts: np.ndarray, level: float, until: bool) -> tuple[np.ndarray, np.ndarray]:
    from scipy.stats import beta

    tail = (1 - level) / 2
    s, t = successes.astype(np.float64), attempts.astype(np.float64)
    with np.errstate(invalid="ignore"):
        low = np.where(s > 0, beta.ppf(tail, np.maximum(s, 1), t - s + 1), 0.0)
        if until:
            # P(attempts >= t | p) = P(Binomial(t - 1, p) <= s - 1): the upper bound of s - 1 successes in t - 1.
            high = np.where(t > s, beta.ppf(1 - tail, np.maximum(s, 1), np.maximum(t - s, 1)), 1.0)
            high = np.where(s > 0, high, beta.ppf(1 - tail, 1, np.maximum(t, 1)))
        else:
            high = np.where(s < t, beta.ppf(1 - tail, s + 1, np.maximum(t - s, 1)), 1.0)
    return low, high


def _check_pairs(successes: Any, attempts: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    s, t = whole_counts(successes, "successes", where), whole_counts(attempts, "attempts", where)
    if s.shape != t.shape:
        raise DataError(f"{where} needs one count of successes per count of attempts. Got {s.size} and {t.size}.")
    if (t == 0).any():
        i = int(np.flatnonzero(t == 0)[0])
        raise DataError(f"Instance {i} has 0 attempts: its pass rate is unknown. Drop it, or give its attempts.")
    if (s > t).any():
        i = int(np.flatnonzero(s > t)[0])
        raise DataError(
            f"Instance {i} has {s[i]} successes in {t[i]} attempts: successes must be at most attempts. Check the "
            "columns."
        )
    return s, t


def pass_rate(
    successes: Any, attempts: Any, *, level: float = 0.9, until: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The maximum-likelihood pass rate ``successes / attempts`` and its exact interval at ``level``.

    With ``until=True`` the attempts were made until the ``successes``-th success (PassUntil: one success, the
    attempts until it), and the interval is the exact one of that design; else Clopper-Pearson.

    Examples
    --------
    >>> rate, low, high = pass_rate([1, 0], [2000, 500])
    >>> rate.tolist(), low.round(7).tolist(), high.round(6).tolist()
    ([0.0005, 0.0], [2.56e-05, 0.0], [0.00237, 0.005974])
    """
    level = check_level(level, where="pass_rate")
    s, t = _check_pairs(successes, attempts, "pass_rate")
    low, high = _exact(s, t, level, bool(until))
    return s / t, low, high


@dataclass(frozen=True, eq=False)
class PassRates:
    """Each model's pass rate, pooled over its instances, with its exact interval.

    Attributes
    ----------
    models : tuple of str
    x : numpy.ndarray
        Each model's size (N) or compute (C), as ``x_name`` says.
    x_name : str
    successes, attempts : numpy.ndarray
        Per model, summed over its instances.
    rate, low, high : numpy.ndarray
        The maximum-likelihood pass rate ``successes / attempts`` (one rate shared by the instances) and its exact
        interval at ``level``.
    mean_instance_rate : numpy.ndarray
        The mean over instances of each instance's own rate (Hu et al.'s task pass rate), without interval.
    instances : tuple of (numpy.ndarray, numpy.ndarray)
        Per model, the successes and attempts of each instance (for the bootstrap of :func:`fit_pass_rate_law`).
    until : bool
        Whether attempts were made until a success.
    level : float

    Examples
    --------
    >>> rates = pass_rates({"model": ["a", "b"], "C": [1e20, 1e21], "n_samples": [100, 100], "n_correct": [0, 7]})
    >>> rates.x_name, rates.rate.tolist(), rates.until
    ('C', [0.0, 0.07], False)
    """

    models: tuple[str, ...]
    x: np.ndarray
    x_name: str
    successes: np.ndarray
    attempts: np.ndarray
    rate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    mean_instance_rate: np.ndarray
    instances: tuple[tuple[np.ndarray, np.ndarray], ...]
    until: bool
    level: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "models": list(self.models),
            self.x_name: self.x.tolist(),
            "successes": self.successes.tolist(),
            "attempts": self.attempts.tolist(),
            "rate": self.rate.tolist(),
            "mean_instance_rate": self.mean_instance_rate.tolist(),
            "n_instances": [len(s) for s, _ in self.instances],
            "until": self.until,
            "intervals": {
                "rate": {
                    "value": self.rate.tolist(),
                    "low": self.low.tolist(),
                    "high": self.high.tolist(),
                    "level": self.level,
                }
            },
        }

    def summary(self) -> str:
        design = "attempts until a success" if self.until else "successes in fixed attempts"
        lines = [
            f"pass rate  maximum likelihood, pooled over each model's instances ({design}); exact "
            f"{self.level:.0%} interval",
            f"  {'model':<16} {self.x_name:>10} {'inst':>5} {'succ':>6} {'attempts':>10} {'rate':>10} "
            f"{'low':>10} {'high':>10}",
        ]
        for i, model in enumerate(self.models):
            lines.append(
                f"  {model:<16} {self.x[i]:>10.4g} {len(self.instances[i][0]):>5d} {self.successes[i]:>6d} "
                f"{self.attempts[i]:>10d} {self.rate[i]:>10.3g} {self.low[i]:>10.3g} {self.high[i]:>10.3g}"
            )
        return "\n".join(lines)


_ALIASES = {
    "model": ("model", "model_name", "name", "run", "group"),
    "N": ("n_params", "N", "params", "parameters", "model_size", "size", "num_params"),
    "C": ("flops", "C", "compute", "training_flops", "train_flops"),
    "attempts": ("attempts", "attempts_until_success", "n_attempts", "tries", "n_samples", "samples", "n"),
    "successes": ("successes", "n_correct", "correct", "c", "num_correct", "solved"),
}


def pass_rates(
    data: Any,
    *,
    x: str | None = None,
    until: bool | None = None,
    columns: Mapping[str, str] | None = None,
    format: str | None = None,
    level: float = 0.9,
) -> PassRates:
    """Each model's pass rate from a table of instances: one row per model and instance, with the model's label
    (``model``), its size ``N`` or compute ``C`` (``x``: which, found by itself when the table has one), and the
    ``attempts``, with ``successes`` (absent: one success each, the attempts counted until it).

    ``until`` says whether the attempts were made until a success (default: True without a successes column, else
    False); a row of attempts until a success that never came has 0 successes. ``columns`` maps ``model``, ``N``,
    ``C``, ``attempts`` or ``successes`` to a column's name.

    Examples
    --------
    >>> table = {"model": ["s", "s", "b", "b"], "N": [1e8, 1e8, 1e9, 1e9], "attempts": [4000, 1000, 90, 110]}
    >>> rates = pass_rates(table)
    >>> rates.rate.tolist(), rates.until
    ([0.0004, 0.01], True)
    """
    from ..data import listing, match_columns, read_table

    level = check_level(level, where="pass_rates")
    table = read_table(data, format=format)
    frame, origin = table.frame, table.origin
    available = list(frame.columns)
    mapping = dict(columns or {})
    bad = [name for name in mapping if name not in _ALIASES]
    if bad:
        raise LawfitError(
            "The 'columns' parameter of pass_rates maps model, N, C, attempts or successes to a column. Got "
            f"{bad[0]!r} instead."
        )
    for name, label in mapping.items():
        if label not in available:
            raise DataError(
                f"The column {label!r} mapped to {name} is not in the table from {origin.described}. Available "
                f"columns: {listing(available)}."
            )
    for name in _ALIASES:
        if name not in mapping:
            found = match_columns([label for label in available if label not in mapping.values()], _ALIASES[name])
            if found:
                mapping[name] = found[0]
    if x is None:
        if "N" not in mapping and "C" not in mapping:
            raise DataError(
                f"The table from {origin.described} has no column of sizes N or compute C (named params, n_params, "
                "flops, ...). Map one with --col N=COLUMN or --col C=COLUMN (Python: columns={'N': 'COLUMN'}). "
                f"Available columns: {listing(available)}."
            )
        x = "N" if "N" in mapping else "C"
    if x not in ("N", "C"):
        raise LawfitError(f"The 'x' parameter of pass_rates must be one of 'N', 'C'. Got {x!r} instead.")
    for name, what in (("model", "model labels"), (x, "sizes" if x == "N" else "compute"), ("attempts", "attempts")):
        if name not in mapping:
            raise DataError(
                f"The table from {origin.described} has no column of {what} (named {', '.join(_ALIASES[name][:3])}, "
                f"...). Map it with --col {name}=COLUMN (Python: columns={{'{name}': 'COLUMN'}}). Available "
                f"columns: {listing(available)}."
            )
    if not len(frame):
        raise DataError(f"The table from {origin.described} has no rows. Give one row per model and instance.")
    until = ("successes" not in mapping) if until is None else bool(until)

    def numbers(name: str) -> np.ndarray:
        try:
            return np.asarray(frame[mapping[name]].to_numpy(), dtype=object).astype(np.float64)
        except (TypeError, ValueError):
            raise DataError(
                f"The column {mapping[name]!r} ({name}) from {origin.described} must hold numbers. Check its rows."
            ) from None

    attempts = numbers("attempts")
    successes = numbers("successes") if "successes" in mapping else np.ones_like(attempts)
    sizes = numbers(x)
    if not (np.all(np.isfinite(sizes)) and sizes.min() > 0):
        raise DataError(f"The column {mapping[x]!r} ({x}) from {origin.described} must hold positive numbers.")
    labels = frame[mapping["model"]].astype(str).to_numpy()
    try:
        s_all, t_all = _check_pairs(successes, attempts, "pass_rates")
    except DataError as error:
        raise DataError(f"In the table from {origin.described}: {error}") from None
    models = tuple(dict.fromkeys(labels))
    xs, per_model = [], []
    for model in models:
        rows = labels == model
        if np.ptp(sizes[rows]) > 1e-9 * sizes[rows].max():
            raise DataError(f"Model {model!r} has more than one {x} in the table from {origin.described}: give one.")
        xs.append(sizes[rows][0])
        per_model.append((frozen(s_all[rows], np.int64), frozen(t_all[rows], np.int64)))
    s_sum = np.array([s.sum() for s, _ in per_model])
    t_sum = np.array([t.sum() for _, t in per_model])
    rate, low, high = pass_rate(s_sum, t_sum, level=level, until=until)
    return PassRates(
        models,
        frozen(xs),
        x,
        frozen(s_sum, np.int64),
        frozen(t_sum, np.int64),
        frozen(rate),
        frozen(low),
        frozen(high),
        frozen([np.mean(s / t) for s, t in per_model]),
        tuple(per_model),
        until,
        level,
    )


@dataclass(frozen=True, eq=False)
class PassRateLaw:
    """``pass rate = A * x**b``, fitted by maximum likelihood to the models' counts, with bootstrap intervals.

    Attributes
    ----------
    log_A, b : float
        The law in logs: ``log rate = log_A + b log x``.
    x_name : str
    low, high : Mapping[str, float]
        The intervals of ``log_A`` and ``b`` at ``level``.
    draws : numpy.ndarray
        ``(n_resamples, 2)``: ``[log_A, b]`` of each resample of instances within each model.
    x_range : tuple of float
    level : float
    n_resamples, seed : int

    Examples
    --------
    >>> law = PassRateLaw(math.log(1e-6), 1.0, "N", {}, {}, np.zeros((0, 2)), (1e8, 1e9), 0.9, 0, 0)
    >>> round(float(law.predict([1e8])[0][0]), 9)
    100.0
    """

    log_A: float
    b: float
    x_name: str
    low: Mapping[str, float]
    high: Mapping[str, float]
    draws: np.ndarray
    x_range: tuple[float, float]
    level: float
    n_resamples: int
    seed: int

    def predict(self, x: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The pass rate at ``x`` and its bootstrap interval (NaN without resamples)."""
        values = np.atleast_1d(np.asarray(x, dtype=np.float64))
        if not (np.all(np.isfinite(values)) and values.min() > 0):
            raise LawfitError(f"The 'x' parameter of PassRateLaw.predict must be positive. Got {x!r} instead.")
        rate = np.exp(self.log_A + self.b * np.log(values))
        if not len(self.draws):
            return rate, np.full_like(rate, np.nan), np.full_like(rate, np.nan)
        curves = np.exp(self.draws[:, :1] + self.draws[:, 1:] * np.log(values)[None, :])
        low, high = quantile_interval(curves, self.level)
        return rate, low, high

    def to_dict(self) -> dict[str, Any]:
        return {
            "law": f"rate = A * {self.x_name}^b",
            "log_A": self.log_A,
            "b": self.b,
            "x": self.x_name,
            "x_range": list(self.x_range),
            "intervals": {
                name: {"value": value, "low": self.low[name], "high": self.high[name], "level": self.level}
                for name, value in (("log_A", self.log_A), ("b", self.b))
            },
            "bootstrap": {"n_resamples": self.n_resamples, "seed": self.seed},
        }

    def summary(self) -> str:
        return (
            f"law        pass rate = A * {self.x_name}^b, maximum likelihood of the counts: b = {self.b:.4g} "
            f"[{self.low['b']:.4g}, {self.high['b']:.4g}], log A = {self.log_A:.4g} [{self.low['log_A']:.4g}, "
            f"{self.high['log_A']:.4g}] ({self.level:.0%}, {self.n_resamples} resamples of instances within each "
            f"model, seed {self.seed}); fitted on {self.x_name} from {self.x_range[0]:.4g} to {self.x_range[1]:.4g}"
        )


def _fit_law(logx: np.ndarray, s: np.ndarray, t: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Maximum likelihood of ``log p = q0 + q1 (log x - mean)``, p below 1, for Bernoulli counts."""
    from scipy.optimize import minimize

    def nll(q: np.ndarray) -> tuple[float, np.ndarray]:
        eta = np.minimum(q[0] + q[1] * logx, -1e-9)
        p = np.exp(eta)
        # d/d eta of s log p + (t - s) log(1 - p): s - (t - s) p / (1 - p)
        value = -np.sum(s * eta + (t - s) * np.log1p(-p))
        d_eta = -(s - (t - s) * p / -np.expm1(eta))
        return float(value), np.array([d_eta.sum(), (d_eta * logx).sum()])

    return minimize(nll, start, jac=True, method="L-BFGS-B", options={"maxiter": 500, "ftol": 1e-15, "gtol": 1e-10}).x


@constrained(n_resamples=Integer(0), seed=Integer(0))
def fit_pass_rate_law(rates: PassRates, *, level: float = 0.9, n_resamples: int = 1000, seed: int = 0) -> PassRateLaw:
    """Fit ``pass rate = A * x**b`` across models by maximum likelihood of their counts (each attempt a Bernoulli
    trial; the same likelihood for attempts until a success), with intervals from resampling each model's instances
    ``n_resamples`` times (seeded) and refitting.

    Examples
    --------
    >>> table = {"model": ["a", "b", "c"], "N": [1e8, 1e9, 1e10], "attempts": [10_000, 1_000, 100],
    ...          "successes": [1, 1, 1]}
    >>> law = fit_pass_rate_law(pass_rates(table), n_resamples=0)
    >>> round(law.b, 3), float(law.predict(1e11)[0][0].round(4))
    (1.0, 0.1)
    """
    level = check_level(level, where="fit_pass_rate_law")
    if not isinstance(rates, PassRates):
        raise LawfitError(f"fit_pass_rate_law takes the PassRates of pass_rates(...). Got {type(rates).__name__}.")
    if len(rates.models) < 2 or np.unique(rates.x).size < 2:
        raise DataError(
            f"A pass-rate law needs models at two {rates.x_name} values or more. Got {len(rates.models)} model(s)."
        )
    if rates.successes.sum() == 0:
        raise DataError(
            "No model has a success: the pass rates are only bounded, and the law has no slope to fit. Sample until "
            "a success (PassUntil), or draw more attempts."
        )
    logx = np.log(rates.x)
    center = float(logx.mean())
    z = logx - center
    s, t = rates.successes.astype(np.float64), rates.attempts.astype(np.float64)
    positive = s > 0
    if positive.sum() >= 2 and np.ptp(z[positive]) > 0:
        slope, intercept = np.polyfit(z[positive], np.log(s[positive] / t[positive]), 1)
    else:
        slope, intercept = 0.0, math.log(s.sum() / t.sum())
    start = np.array([min(intercept, -1e-6), slope])
    q = _fit_law(z, s, t, start)
    draws = np.empty((n_resamples, 2))
    rng = np.random.default_rng(seed)
    # Each model's instances resampled, all resamples at once: (n_resamples, models) sums of successes and attempts.
    picks = [rng.integers(0, len(si), size=(n_resamples, len(si))) for si, _ in rates.instances]
    s_draws = np.stack([si[pick].sum(axis=1) for (si, _), pick in zip(rates.instances, picks, strict=True)], 1)
    t_draws = np.stack([ti[pick].sum(axis=1) for (_, ti), pick in zip(rates.instances, picks, strict=True)], 1)
    for r in range(n_resamples):
        qr = _fit_law(z, s_draws[r].astype(np.float64), t_draws[r].astype(np.float64), q)
        draws[r] = (qr[0] - qr[1] * center, qr[1])
    log_a, b = float(q[0] - q[1] * center), float(q[1])
    if n_resamples:
        lows, highs = quantile_interval(draws, level)
    else:
        lows = highs = np.full(2, np.nan)
    draws.flags.writeable = False
    return PassRateLaw(
        log_a,
        b,
        rates.x_name,
        {"log_A": float(lows[0]), "b": float(lows[1])},
        {"log_A": float(highs[0]), "b": float(highs[1])},
        draws,
        (float(rates.x.min()), float(rates.x.max())),
        level,
        n_resamples,
        seed,
    )
