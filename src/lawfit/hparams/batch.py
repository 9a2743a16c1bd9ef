"""Critical batch size and steps to a loss: how far the batch size can grow before it stops buying speed.

McCandlish et al. (2018, "An Empirical Model of Large-Batch Training") found that the optimizer steps ``S`` and the
examples ``E = S B`` needed to reach a loss trade off as ``(S / S_min - 1)(E / E_min - 1) = 1``, that is

    S(B) = S_min + E_min / B,

with ``S_min`` the fewest steps (at an infinite batch) and ``E_min`` the fewest examples (at a tiny batch). Their
critical batch size is ``B_crit = E_min / S_min``. Zhang et al. (2025, "How Does Critical Batch Size Scale in
Pre-training?") define it by an overhead instead: the batch ``B`` whose examples to the target are ``1 + overhead``
times those at a reference batch (their Chinchilla batch of 256 sequences, overhead 20%),
``B S(B) = (1 + overhead) B_ref S(B_ref)``, which solves to

    CBS = (1 + overhead) B_ref + overhead E_min / S_min.

:func:`critical_batch` fits ``S(B)`` per model and target loss (least squares in log S, as Zhang et al.), with
bootstrap intervals over the batch sizes, and fits both critical batch sizes against N, D or the target loss as a
power law ``a (x / unit)^b`` (least squares in log space, in closed form; and, as Zhang et al. also report, in
linear space). :meth:`BatchFit.to_reach` gives the steps, tokens and wall-clock time to the loss at a chosen batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from .._checks import RESAMPLES_OR_NONE, SEED, Real, check, check_level, constrained
from ..data import CANONICAL_COLUMNS, COLUMN_ALIASES, Extra, listing, load_runs, match_columns, read_table, third_size
from ..errors import DataError, LawfitError

__all__ = ["BatchFit", "BatchLaw", "CriticalBatch", "StepsToLoss", "critical_batch"]

#: Zhang et al.'s definition: 20% more examples than at the Chinchilla batch of 256 sequences.
ZHANG_OVERHEAD = 0.2
ZHANG_REFERENCE_BATCH = 256.0

# Columns of a steps-to-target table beyond lawfit's canonical ones, with the names they are found under. A run
# that never reached the target has no steps (or tokens) to it.
_UNREACHED = "runs that never reached the target loss"
_EXTRA = {
    spec.name: spec
    for spec in (
        Extra(
            "batch", ("batch", "batch_size", "batchsize", "bs", "batch_size_seqs", "batch_seqs", "batch_size_tokens")
        ),
        Extra(
            "steps",
            ("steps", "steps_to_target", "step", "num_steps", "n_steps", "optimizer_steps", "steps_to_loss"),
            empty_means=_UNREACHED,
        ),
        Extra("tokens", ("tokens_to_target", "tokens_to_loss", "examples_to_target"), empty_means=_UNREACHED),
        Extra("model", ("model", "model_name", "arch"), numeric=False),
    )
}
_TARGET_ALIASES = ("target_loss", "target_val_loss", "target", "targetloss", "loss_target")
_UNITS = {"N": 1e6, "D": 1e9, "C": 1e18, "loss": 1.0}
_TOKENS_LOOK = 1e5  # batch sizes above this look like tokens rather than sequences


# ---------------------------------------------------------------------------------------------------------------
# Results


def _frozen(values: Any) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    array.flags.writeable = False
    return array


def _quantiles(draws: np.ndarray, level: float) -> tuple[float, float]:
    """The percentile interval of ``draws`` (NaN draws, from failed resamples, left out)."""
    kept = draws[~np.isnan(draws)]
    if kept.size == 0 or not math.isfinite(level):
        return (math.nan, math.nan)
    low, high = np.quantile(kept, [(1 - level) / 2, (1 + level) / 2])
    return (float(low), float(high))


def _expanded_level(level: float, n_points: int, n_params: int = 2) -> float:
    """The level of the percentiles that give a ``level`` interval from a bootstrap of ``n_points`` points.

    The percentile interval of a bootstrap over few points is too narrow: it ignores that the scatter is estimated
    from the same points (with ``n_points - n_params`` degrees of freedom). Hesterberg's expanded percentile
    interval (2015, "What Teachers Should Know About the Bootstrap", The American Statistician 69(4), Sec. 5.3)
    takes the percentiles at ``2 Phi(sqrt(n / (n - p)) t_{n - p}) - 1`` instead, where ``t`` is Student's quantile
    of ``level``. With 9 batch sizes a 90% interval takes the 96.8% percentile interval.

    >>> round(_expanded_level(0.9, 9), 3), round(_expanded_level(0.9, 10_000), 3)
    (0.968, 0.9)
    """
    from scipy.stats import norm, t

    dof = n_points - n_params
    if dof < 1:
        return math.nan
    return float(2 * norm.cdf(math.sqrt(n_points / dof) * t.ppf((1 + level) / 2, dof)) - 1)


@dataclass(frozen=True, eq=False)
class StepsToLoss:
    """Steps, tokens and wall-clock time to reach a model's target loss at chosen batch sizes.

    Attributes
    ----------
    model : str
        The model (and target) of the :class:`BatchFit` it comes from.
    target_loss : float
        The loss to reach.
    batch : numpy.ndarray
        The batch sizes, in the unit of the table's batch column.
    steps, tokens, seconds : numpy.ndarray
        ``S(B) = S_min + E_min / B``; ``S B seq_len`` (``S B`` without ``seq_len``: the batch counts tokens); tokens
        over the throughput (NaN without one).
    intervals : Mapping[str, tuple of numpy.ndarray]
        ``{"steps": (low, high), "tokens": ..., "seconds": ...}`` at ``level``, from the bootstrap draws of
        ``S_min`` and ``E_min`` (empty without draws).
    level : float
        The level of the intervals.

    Examples
    --------
    >>> fit = BatchFit.from_values(S_min=1000.0, E_min=1e6)
    >>> plan = fit.to_reach([1000, 4000], seq_len=512, throughput=1e6)
    >>> plan.steps.tolist(), plan.tokens.tolist(), plan.seconds.tolist()
    ([2000.0, 1250.0], [1024000000.0, 2560000000.0], [1024.0, 2560.0])
    """

    model: str
    target_loss: float
    batch: np.ndarray
    steps: np.ndarray
    tokens: np.ndarray
    seconds: np.ndarray
    intervals: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    level: float = 0.9

    def __post_init__(self) -> None:
        for name in ("batch", "steps", "tokens", "seconds"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        bounds = {key: (_frozen(low), _frozen(high)) for key, (low, high) in dict(self.intervals).items()}
        object.__setattr__(self, "intervals", MappingProxyType(bounds))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the figures, and ``intervals: {name: {"value", "low", "high", "level"}}``."""
        record: dict[str, Any] = {
            "model": self.model,
            "target_loss": self.target_loss,
            "batch": self.batch.tolist(),
            "steps": self.steps.tolist(),
            "tokens": self.tokens.tolist(),
            "seconds": self.seconds.tolist(),
        }
        record["intervals"] = {
            name: {"value": record[name], "low": low.tolist(), "high": high.tolist(), "level": self.level}
            for name, (low, high) in self.intervals.items()
        }
        return record

    def summary(self) -> str:
        """A readable table: one row per batch size."""
        lines = [f"to reach loss {self.target_loss:g} with {self.model}"]
        clock = not np.all(np.isnan(self.seconds))  # without a throughput, no time column
        rows = [("batch", "steps", "tokens", "seconds")[: 4 if clock else 3]]
        for i, batch in enumerate(self.batch):
            cells = [
                f"{batch:g}",
                _with_interval(self.steps[i], self.intervals.get("steps"), i),
                _with_interval(self.tokens[i], self.intervals.get("tokens"), i),
            ]
            if clock:
                cells.append(_with_interval(self.seconds[i], self.intervals.get("seconds"), i))
            rows.append(tuple(cells))
        return "\n".join([*lines, _table(rows)])

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True, eq=False)
class BatchFit:
    """``S(B) = S_min + E_min / B`` fitted to the steps one model took to reach one target loss at several batches.

    Attributes
    ----------
    model : str
        The model's label (its ``model``, ``run`` or ``group`` column, else its N).
    target_loss : float
        The loss the steps reach (NaN when the table gives none).
    N, D : float
        The model's parameters and tokens (NaN when the table lacks them).
    batch, steps : numpy.ndarray
        The measured batch sizes and steps to the target, sorted by batch size.
    S_min, E_min : float
        The fewest steps (infinite batch) and the fewest examples (tiny batch; in the unit of the batch column).
    B_crit : float
        McCandlish et al.'s critical batch ``E_min / S_min``.
    CBS : float
        Zhang et al.'s overhead-based critical batch ``(1 + overhead) B_ref + overhead E_min / S_min``.
    overhead, reference_batch : float
        The definition of ``CBS``.
    rms_log_error : float
        The root mean square of ``log S(B) - log steps`` over the measured batches.
    intervals : Mapping[str, tuple of float]
        Percentile bootstrap intervals ``(low, high)`` of ``S_min``, ``E_min``, ``B_crit`` and ``CBS`` at ``level``,
        over ``n_resamples`` resamples of the batch sizes (empty without resamples).
    draws : Mapping[str, numpy.ndarray]
        The bootstrap draws of ``S_min`` and ``E_min`` (NaN where a resample could not be fitted).
    level : float
        The level of the intervals.

    Examples
    --------
    >>> fit = BatchFit.from_values(S_min=1000.0, E_min=1e6)
    >>> fit.B_crit, fit.CBS, fit.steps_at(1000.0)
    (1000.0, 507.2, 2000.0)
    """

    model: str
    target_loss: float
    N: float
    D: float
    batch: np.ndarray
    steps: np.ndarray
    S_min: float
    E_min: float
    B_crit: float
    CBS: float
    overhead: float = ZHANG_OVERHEAD
    reference_batch: float = ZHANG_REFERENCE_BATCH
    rms_log_error: float = 0.0
    intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    draws: Mapping[str, np.ndarray] = field(default_factory=dict)
    level: float = 0.9

    def __post_init__(self) -> None:
        object.__setattr__(self, "batch", _frozen(self.batch))
        object.__setattr__(self, "steps", _frozen(self.steps))
        object.__setattr__(self, "intervals", MappingProxyType(dict(self.intervals)))
        object.__setattr__(self, "draws", MappingProxyType({k: _frozen(v) for k, v in dict(self.draws).items()}))

    @classmethod
    def from_values(
        cls,
        *,
        S_min: float,
        E_min: float,
        model: str = "model",
        target_loss: float = math.nan,
        overhead: float = ZHANG_OVERHEAD,
        reference_batch: float = ZHANG_REFERENCE_BATCH,
    ) -> BatchFit:
        """A fit from known ``S_min`` and ``E_min`` (a published table's, say), without data or intervals.

        >>> round(BatchFit.from_values(S_min=1293.8, E_min=2.834e6).CBS, 1)  # Zhang et al.'s 85M model: 745.3
        745.3
        """
        s_min, e_min = float(S_min), float(E_min)
        if not (math.isfinite(s_min) and math.isfinite(e_min) and s_min > 0 and e_min > 0):
            raise LawfitError(
                f"The 'S_min' and 'E_min' parameters of BatchFit.from_values must be floats > 0. Got {S_min!r} and "
                f"{E_min!r} instead."
            )
        return cls(
            model=model,
            target_loss=float(target_loss),
            N=math.nan,
            D=math.nan,
            batch=[],
            steps=[],
            S_min=s_min,
            E_min=e_min,
            B_crit=e_min / s_min,
            CBS=_zhang(s_min, e_min, overhead, reference_batch),
            overhead=float(overhead),
            reference_batch=float(reference_batch),
        )

    def steps_at(self, batch: Any) -> Any:
        """The steps to the target at ``batch``: ``S_min + E_min / batch`` (a float for a number, else an array)."""
        values = _positive(batch, "batch", "BatchFit.steps_at")
        steps = self.S_min + self.E_min / values
        return float(steps) if np.ndim(batch) == 0 else steps

    def to_reach(
        self,
        batch: Any,
        *,
        seq_len: float | None = None,
        throughput: float | Callable[[np.ndarray], Any] | None = None,
        level: float | None = None,
    ) -> StepsToLoss:
        """The steps, tokens and wall-clock seconds to reach the target loss at each batch size.

        Parameters
        ----------
        batch : float or array-like
            Batch sizes, in the unit of the table's batch column.
        seq_len : float, optional
            Tokens per sequence when the batch counts sequences; without it the batch counts tokens.
        throughput : float or callable, optional
            Training tokens per second: a constant, or a function of the batch size (an array) that returns
            tokens per second for each (larger batches often run faster per token). Without it, no seconds.
        level : float, optional
            The level of the intervals (default: the fit's).

        Returns
        -------
        StepsToLoss

        Examples
        --------
        >>> fit = BatchFit.from_values(S_min=1000.0, E_min=1e6)
        >>> fit.to_reach(2000, seq_len=512, throughput=lambda b: 1e5 * b**0.5).seconds.round(1).tolist()
        [343.5]
        """
        where = "BatchFit.to_reach"
        values = np.atleast_1d(_positive(batch, "batch", where))
        length = 1.0 if seq_len is None else _positive_number(seq_len, "seq_len", where)
        level = self.level if level is None else check_level(level, where=where)
        speed = self._speed(throughput, values)

        def figures(s_min: Any, e_min: Any) -> tuple[Any, Any, Any]:
            steps = s_min + e_min / values
            tokens = steps * values * length
            return steps, tokens, tokens / speed

        steps, tokens, seconds = figures(self.S_min, self.E_min)
        intervals = {}
        if "S_min" in self.draws and self.draws["S_min"].size:
            s_draws, e_draws = self.draws["S_min"][:, None], self.draws["E_min"][:, None]
            for name, draws in zip(("steps", "tokens", "seconds"), figures(s_draws, e_draws), strict=True):
                if name == "seconds" and throughput is None:
                    continue
                wide = _expanded_level(level, self.batch.size)
                bounds = np.array([_quantiles(draws[:, i], wide) for i in range(values.size)])
                intervals[name] = (bounds[:, 0], bounds[:, 1])
        return StepsToLoss(self.model, self.target_loss, values, steps, tokens, seconds, intervals, level)

    @staticmethod
    def _speed(throughput: Any, batch: np.ndarray) -> np.ndarray:
        where = "BatchFit.to_reach"
        if throughput is None:
            return np.full(batch.shape, math.nan)
        if callable(throughput):
            try:
                speed = np.broadcast_to(np.asarray(throughput(batch.copy()), dtype=np.float64), batch.shape)
            except (TypeError, ValueError) as error:
                raise LawfitError(
                    f"The 'throughput' parameter of {where} must return tokens per second for an array of batch "
                    f"sizes (one number each). It failed with: {error}."
                ) from None
            if not (np.all(np.isfinite(speed)) and np.all(speed > 0)):
                raise LawfitError(
                    f"The 'throughput' parameter of {where} must return tokens per second > 0. Got "
                    f"{speed.tolist()} instead."
                )
            return speed
        return np.full(batch.shape, _positive_number(throughput, "throughput", where))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the figures, the data, and ``intervals: {name: {"value", "low", "high", "level"}}``."""
        record: dict[str, Any] = {
            "model": self.model,
            "target_loss": self.target_loss,
            "N": self.N,
            "D": self.D,
            "S_min": self.S_min,
            "E_min": self.E_min,
            "B_crit": self.B_crit,
            "CBS": self.CBS,
            "overhead": self.overhead,
            "reference_batch": self.reference_batch,
            "rms_log_error": self.rms_log_error,
            "batch": self.batch.tolist(),
            "steps": self.steps.tolist(),
            "n_resamples": int(self.draws["S_min"].size) if "S_min" in self.draws else 0,
        }
        record["intervals"] = {
            name: {"value": record[name], "low": low, "high": high, "level": self.level}
            for name, (low, high) in self.intervals.items()
        }
        return record

    def summary(self) -> str:
        """One line: the model, its target, S_min, E_min and both critical batch sizes with their intervals."""
        cells = [f"{name} {_with_interval(getattr(self, name), self.intervals.get(name))}" for name in _QUANTITIES]
        return f"{self.model} (loss {self.target_loss:g}): " + ", ".join(cells)

    def __str__(self) -> str:
        return self.summary()


_QUANTITIES = ("S_min", "E_min", "B_crit", "CBS")


@dataclass(frozen=True, eq=False)
class BatchLaw:
    """A critical batch size against a scale, as a power law ``coefficient * (x / unit)^exponent``.

    Attributes
    ----------
    quantity : {"CBS", "B_crit"}
        Which critical batch size: Zhang et al.'s or McCandlish et al.'s.
    x : {"N", "D", "C", "loss"}
        The scale it is fitted against.
    unit : float
        The unit of ``x`` in the law (1e6 for N: Zhang et al.'s M, parameters in millions).
    coefficient, exponent : float
        Least squares in log space (closed form, the same as :func:`lawfit.fit` of a power law with the
        mse-log objective).
    coefficient_linear, exponent_linear : float
        Least squares in linear space (NaN if it fails), as Zhang et al. also report.
    intervals : Mapping[str, tuple of float]
        Percentile intervals of ``coefficient`` and ``exponent``: the law refitted on each bootstrap draw of the
        models' critical batch sizes (empty without resamples).
    x_values, values : numpy.ndarray
        The points fitted: one per model and target.
    level : float
        The level of the intervals.

    Examples
    --------
    >>> law = BatchLaw.from_points("CBS", "N", [85e6, 1.2e9], [745.3, 2533.4])
    >>> round(law.exponent, 4), round(float(law.predict(1e9)), 1)
    (0.4622, 2328.7)
    """

    quantity: str
    x: str
    unit: float
    coefficient: float
    exponent: float
    coefficient_linear: float
    exponent_linear: float
    x_values: np.ndarray
    values: np.ndarray
    intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    level: float = 0.9

    def __post_init__(self) -> None:
        object.__setattr__(self, "x_values", _frozen(self.x_values))
        object.__setattr__(self, "values", _frozen(self.values))
        object.__setattr__(self, "intervals", MappingProxyType(dict(self.intervals)))

    @classmethod
    def from_points(
        cls, quantity: str, x: str, x_values: Any, values: Any, *, unit: float | None = None, level: float = 0.9
    ) -> BatchLaw:
        """The power law through points ``(x_values, values)`` (log space and linear space), without intervals."""
        unit = _UNITS.get(x, 1.0) if unit is None else float(unit)
        xs, ys = np.asarray(x_values, dtype=np.float64), np.asarray(values, dtype=np.float64)
        coefficient, exponent = map(float, _log_linear(xs / unit, ys))
        linear = _linear_space(xs / unit, ys, coefficient, exponent)
        return cls(quantity, x, unit, coefficient, exponent, *linear, xs, ys, {}, level)

    def predict(self, x: Any) -> Any:
        """The critical batch size at ``x`` (a float for a number, else an array)."""
        values = _positive(x, "x", "BatchLaw.predict")
        out = self.coefficient * (values / self.unit) ** self.exponent
        return float(out) if np.ndim(x) == 0 else out

    @property
    def formula(self) -> str:
        """The law as text, e.g. ``CBS = 93.197 * (N / 1e6)^0.4683``."""
        scale = self.x if self.unit == 1 else f"({self.x} / {self.unit:g})"
        return f"{self.quantity} = {self.coefficient:.5g} * {scale}^{self.exponent:.4f}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the law's figures and ``intervals: {name: {"value", "low", "high", "level"}}``."""
        record: dict[str, Any] = {
            "quantity": self.quantity,
            "x": self.x,
            "unit": self.unit,
            "formula": self.formula,
            "coefficient": self.coefficient,
            "exponent": self.exponent,
            "coefficient_linear": self.coefficient_linear,
            "exponent_linear": self.exponent_linear,
            "x_values": self.x_values.tolist(),
            "values": self.values.tolist(),
        }
        record["intervals"] = {
            name: {"value": record[name], "low": low, "high": high, "level": self.level}
            for name, (low, high) in self.intervals.items()
        }
        return record

    def summary(self) -> str:
        """The law, its intervals and the linear-space fit, in two lines."""
        cells = ", ".join(
            f"{name} {_with_interval(getattr(self, name), self.intervals.get(name))}"
            for name in ("coefficient", "exponent")
        )
        return (
            f"{self.formula}  (log space; {cells})\n"
            f"{'':{len(self.quantity)}}   linear space: {self.coefficient_linear:.5g} * "
            f"{self.formula.split('* ', 1)[1].rsplit('^', 1)[0]}^{self.exponent_linear:.4f}"
        )

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True, eq=False)
class CriticalBatch:
    """Steps to a target loss against batch size, per model: the fits, both critical batch sizes, their laws.

    Attributes
    ----------
    fits : tuple of BatchFit
        One per model and target loss, in the table's order.
    laws : Mapping[str, BatchLaw]
        ``{"CBS": ..., "B_crit": ...}`` against ``x``; empty when the fits have fewer than two distinct ``x``.
    x : str
        The scale of the laws: ``"N"``, ``"D"``, ``"C"`` or ``"loss"``.
    level : float
        The level of every interval.
    n_resamples, seed : int
        The bootstrap over each model's batch sizes.
    seq_len : float or None
        Tokens per sequence, when the batch counts sequences.
    source : str
        Where the table came from.
    notes : tuple of str
        What reading the table did or noticed.

    Examples
    --------
    >>> table = {"model": ["a"] * 4 + ["b"] * 4, "N": [1e8] * 4 + [4e8] * 4, "loss": [3.0] * 8,
    ...          "batch": [64, 256, 1024, 4096] * 2,
    ...          "steps": [1000 + 64e4 / b for b in (64, 256, 1024, 4096)]
    ...                 + [2000 + 256e4 / b for b in (64, 256, 1024, 4096)]}
    >>> result = critical_batch(table, n_resamples=0)
    >>> [round(f.B_crit, 6) for f in result.fits], round(result.laws["B_crit"].exponent, 6)
    ([640.0, 1280.0], 0.5)
    """

    fits: tuple[BatchFit, ...]
    laws: Mapping[str, BatchLaw]
    x: str
    level: float = 0.9
    n_resamples: int = 0
    seed: int = 0
    seq_len: float | None = None
    source: str = "<DataFrame>"
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fits", tuple(self.fits))
        object.__setattr__(self, "laws", MappingProxyType(dict(self.laws)))
        object.__setattr__(self, "notes", tuple(self.notes))

    def fit_for(self, model: str | None = None, target_loss: float | None = None) -> BatchFit:
        """The fit of one model (by label) and target loss; either may be left out when it is the only one."""
        found = [
            f
            for f in self.fits
            if (model is None or f.model == str(model))
            and (target_loss is None or np.isclose(f.target_loss, target_loss, rtol=1e-9, atol=0.0))
        ]
        if len(found) != 1:
            known = ", ".join(f"{f.model} (loss {f.target_loss:g})" for f in self.fits)
            what = "no fit" if not found else f"{len(found)} fits"
            raise LawfitError(
                f"CriticalBatch.fit_for found {what} for model={model!r}, target_loss={target_loss!r}; name one of: "
                f"{known}."
            )
        return found[0]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the settings, one record per fit (:meth:`BatchFit.to_dict`) and the laws."""
        return {
            "x": self.x,
            "level": self.level,
            "n_resamples": self.n_resamples,
            "seed": self.seed,
            "seq_len": self.seq_len,
            "source": self.source,
            "fits": [f.to_dict() for f in self.fits],
            "laws": {name: law.to_dict() for name, law in self.laws.items()},
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """A table of the fits (with intervals) and the laws."""
        first = self.fits[0]
        pct = f"{100 * self.level:g}%"
        fits = f"{len(self.fits)} fit{'s' if len(self.fits) != 1 else ''}"
        resamples = (
            f"{pct} intervals from {self.n_resamples} resamples of the batch sizes"
            if self.n_resamples
            else "no intervals (no resamples)"
        )
        lines = [
            f"critical batch  S = S_min + E_min/B per model, least squares in log S; {fits}; {resamples}",
            f"                B_crit = E_min/S_min (McCandlish et al. 2018); CBS: {100 * first.overhead:g}% more "
            f"examples than at batch {first.reference_batch:g} (Zhang et al. 2025)",
            "",
        ]
        rows = [("model", "target loss", "S_min", "E_min", "B_crit", "CBS", "rms log err")]
        for f in self.fits:
            rows.append(
                (
                    f.model,
                    f"{f.target_loss:g}",
                    *(_with_interval(getattr(f, name), f.intervals.get(name)) for name in _QUANTITIES),
                    f"{f.rms_log_error:.3f}",
                )
            )
        lines.append(_table(rows))
        if self.laws:
            lines.append("")
            lines += [law.summary() for law in self.laws.values()]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------------------------------------------------------
# The analysis


@constrained(n_resamples=RESAMPLES_OR_NONE, seed=SEED)
def critical_batch(
    data: Any,
    *,
    columns: Mapping[str, Any] | None = None,
    target_loss: float | Sequence[float] | None = None,
    seq_len: float | None = None,
    x: str | None = None,
    unit: float | None = None,
    overhead: float = ZHANG_OVERHEAD,
    reference_batch: float = ZHANG_REFERENCE_BATCH,
    level: float = 0.9,
    n_resamples: int = 1000,
    seed: int = 0,
    format: str | None = None,
    drop_bad: bool = False,
) -> CriticalBatch:
    """Fit ``S = S_min + E_min / B`` per model and target loss, both critical batch sizes, and their power laws.

    Parameters
    ----------
    data : path, pandas.DataFrame, mapping or Runs
        One row per (model, target loss, batch size): the steps (or tokens) the model took to reach the target.
        Read as :func:`lawfit.load_runs` reads runs (same formats, aliases, units and errors), with these columns
        besides: ``batch`` (batch size), ``steps`` (optimizer steps to the target) or ``tokens`` (tokens to the
        target), and ``model`` (a label; else the ``run`` or ``group`` column, else N). ``loss`` holds the target
        loss (also found as ``target_loss`` or ``target_val_loss``).
    columns : mapping, optional
        Name -> source column, for lawfit's names (``N``, ``D``, ``loss``, ...) and ``batch``, ``steps``,
        ``tokens`` and ``model``.
    target_loss : float or sequence of float, optional
        Keep only the rows of these target losses; when the table has no loss column, the one target its steps
        reach.
    seq_len : float, optional
        Tokens per sequence when the batch counts sequences: tokens to the target are then ``steps * batch *
        seq_len``, and a ``tokens`` column is turned into steps with it. Without it the batch counts tokens.
    x : {"N", "D", "C", "loss"}, optional
        The scale of the laws (default: N if the table has it, else D, else the target loss).
    unit : float, optional
        The unit of ``x`` in the laws (default 1e6 for N, Zhang et al.'s millions; 1e9 for D; 1e18 for C; 1 for loss).
    overhead, reference_batch : float
        Zhang et al.'s definition of the critical batch: the batch needing ``1 + overhead`` times the examples of
        ``reference_batch`` (0.2 and 256 sequences, their Chinchilla batch).
    level : float
        The level of the intervals. They are percentile intervals of a bootstrap that resamples each model's
        (batch, steps) pairs, expanded for the few points (Hesterberg 2015): on synthetic sweeps of 9 batch sizes
        with 5% noise a 90% interval held the true S_min, E_min and B_crit in 85-95% of 100 replications (the
        plain percentile interval in 78-86%). The laws' intervals refit the law on each resample of all models.
    n_resamples : int
        Bootstrap resamples of each model's batch sizes (0: no intervals).
    seed : int
        Seed of the bootstrap.
    format : str, optional
        The file type, as for :func:`lawfit.load_runs`.
    drop_bad : bool
        Drop the rows that cannot be used (as :func:`lawfit.load_runs`, and rows whose steps are missing: runs that
        never reached the target), and say so in the notes.

    Returns
    -------
    CriticalBatch

    Raises
    ------
    DataError
        If a column is missing or unusable, a model was run at a single batch size, steps or batch sizes are not
        positive, a target was never reached (missing steps), or the steps do not fall as the batch grows.

    Examples
    --------
    >>> b = [64, 128, 256, 512, 1024, 2048]
    >>> result = critical_batch({"N": [1e8] * 6, "loss": [3.1] * 6, "batch": b,
    ...                          "steps": [2000 + 1e6 / x for x in b]}, n_resamples=200)
    >>> fit = result.fits[0]
    >>> round(fit.S_min, 6), round(fit.E_min, 3), round(fit.B_crit, 6), round(fit.CBS, 6)
    (2000.0, 1000000.0, 500.0, 407.2)
    """
    where = "critical_batch"
    level = check_level(level, where=where)
    overhead = _positive_number(overhead, "overhead", where)
    reference_batch = _positive_number(reference_batch, "reference_batch", where)
    length = None if seq_len is None else _positive_number(seq_len, "seq_len", where)
    if x is not None and x not in _UNITS:
        raise LawfitError(f"The 'x' parameter of {where} must be one of 'N', 'D', 'C', 'loss'. Got {x!r} instead.")
    if unit is not None:
        unit = _positive_number(unit, "unit", where)
    table, source, described, notes = _read_table(data, columns, target_loss, length, format, drop_bad)
    if x is None:
        x = next((name for name in ("N", "D", "C") if name in table), "loss")
    elif x not in table:
        raise DataError(
            f"The 'x' parameter of {where} names {x!r}, which the table lacks. Map its column with "
            f"columns={{{x!r}: 'COLUMN'}} (CLI: --col {x}=COLUMN), or choose another x."
        )
    rng = np.random.default_rng(int(seed))
    fits = [
        _fit_group(group, overhead, reference_batch, level, int(n_resamples), rng, described)
        for group in _groups(table)
    ]
    laws, law_notes = _laws(fits, table, x, _UNITS[x] if unit is None else unit, level)
    return CriticalBatch(
        fits=tuple(fits),
        laws=laws,
        x=x,
        level=level,
        n_resamples=int(n_resamples),
        seed=int(seed),
        seq_len=length,
        source=source,
        notes=(*notes, *law_notes),
    )


def _zhang(s_min: Any, e_min: Any, overhead: float, reference: float) -> Any:
    """The batch B with B S(B) = (1 + overhead) B_ref S(B_ref): B S_min + E_min = (1 + o)(B_ref S_min + E_min)."""
    return (1 + overhead) * reference + overhead * e_min / s_min


def _fit_group(
    group: dict[str, Any],
    overhead: float,
    reference: float,
    level: float,
    n_resamples: int,
    rng: np.random.Generator,
    described: str,
) -> BatchFit:
    batch, steps, label = group["batch"], group["steps"], group["label"]
    order = np.argsort(batch, kind="stable")
    batch, steps = batch[order], steps[order]
    if np.unique(batch).size < 2:
        raise DataError(
            f"{label} was run at a single batch size ({batch[0]:g}) in {described}; the trade-off S = S_min + E_min/B "
            "needs the steps to the target at two or more batch sizes (better five or more)."
        )
    (s_min,), (e_min,) = _fit_hyperbola(batch[None, :], steps[None, :])
    if not e_min > 0:
        raise DataError(
            f"The steps to the target of {label} do not fall as the batch grows (fitted E_min = {e_min:.4g} <= 0): "
            "there is no trade-off between steps and batch size, so no critical batch size. Check that the steps "
            "column counts optimizer steps, not tokens or examples (which grow with the batch)."
        )
    if not s_min > 0:
        raise DataError(
            f"The steps to the target of {label} keep falling in proportion to the batch up to the largest batch "
            f"({batch[-1]:g}; fitted S_min = {s_min:.4g} <= 0): the critical batch size lies beyond the batches "
            "measured. Add runs at larger batch sizes."
        )
    residuals = np.log(s_min + e_min / batch) - np.log(steps)
    intervals: dict[str, tuple[float, float]] = {}
    draws: dict[str, np.ndarray] = {}
    if n_resamples:
        s_draws, e_draws = _bootstrap(batch, steps, n_resamples, rng)
        good = (s_draws > 0) & (e_draws > 0)
        s_draws, e_draws = np.where(good, s_draws, np.nan), np.where(good, e_draws, np.nan)
        draws = {"S_min": s_draws, "E_min": e_draws}
        for name, values in (
            ("S_min", s_draws),
            ("E_min", e_draws),
            ("B_crit", e_draws / s_draws),
            ("CBS", _zhang(s_draws, e_draws, overhead, reference)),
        ):
            intervals[name] = _quantiles(values, _expanded_level(level, batch.size))
    return BatchFit(
        model=group["model"],
        target_loss=group["loss"],
        N=group["N"],
        D=group["D"],
        batch=batch,
        steps=steps,
        S_min=float(s_min),
        E_min=float(e_min),
        B_crit=float(e_min / s_min),
        CBS=float(_zhang(s_min, e_min, overhead, reference)),
        overhead=overhead,
        reference_batch=reference,
        rms_log_error=float(np.sqrt(np.mean(residuals**2))),
        intervals=intervals,
        draws=draws,
        level=level,
    )


def _bootstrap(
    batch: np.ndarray, steps: np.ndarray, n_resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Refit on resamples of the (batch, steps) pairs; a resample needs two distinct batch sizes, and is redrawn
    until it has them (the bootstrap conditioned on a fit being possible)."""
    n = batch.size
    index = rng.integers(0, n, size=(n_resamples, n))
    for _ in range(100):
        chosen = batch[index]
        single = (chosen == chosen[:, :1]).all(axis=1)
        if not single.any():
            break
        index[single] = rng.integers(0, n, size=(int(single.sum()), n))
    return _fit_hyperbola(batch[index], steps[index])


def _fit_hyperbola(batch: np.ndarray, steps: np.ndarray, iterations: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """``(S_min, E_min)`` minimising sum (log(S_min + E_min / B) - log S)^2 for each row of ``batch``/``steps``.

    Levenberg-Marquardt on the two parameters, scaled by their start: the linear least squares of the relative
    residuals (S_min + E_min/B - S) / S, which are the log residuals to first order. Rows are fitted together.
    """
    u, y = 1.0 / batch, np.log(steps)
    # Start: minimise sum ((a + b u - S) / S)^2, a linear problem in (a, b).
    w = 1.0 / steps
    design = np.stack([w, u * w], axis=-1)
    gram = np.einsum("rni,rnj->rij", design, design)
    rhs = np.einsum("rni,rn->ri", design, np.ones_like(steps))
    start = np.linalg.solve(gram + 1e-12 * np.eye(2) * gram.trace(axis1=1, axis2=2)[:, None, None], rhs[..., None])
    start = start[..., 0]
    scale = np.maximum(np.abs(start), np.stack([np.min(steps, axis=1) * 1e-3, np.min(steps * batch, axis=1) * 1e-3], 1))
    p = start / scale  # parameters in units of their start
    shift = np.where((p[:, 0:1] * scale[:, 0:1] + p[:, 1:2] * scale[:, 1:2] * u) > 0, 0.0, 1.0).max(axis=1)
    # A start whose curve is not positive everywhere cannot be scored in log space: begin from the floor instead.
    p = np.where(shift[:, None] > 0, np.stack([np.ones(len(p)), np.zeros(len(p))], 1), p)

    def cost(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        curve = q[:, 0:1] * scale[:, 0:1] + q[:, 1:2] * scale[:, 1:2] * u
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(curve > 0, np.log(np.where(curve > 0, curve, 1.0)) - y, np.inf)
        return r, np.sum(r**2, axis=1)

    damping = np.full(len(p), 1e-3)
    done = np.zeros(len(p), dtype=bool)
    r, f = cost(p)
    for _ in range(iterations):
        curve = p[:, 0:1] * scale[:, 0:1] + p[:, 1:2] * scale[:, 1:2] * u
        j0, j1 = scale[:, 0:1] / curve, scale[:, 1:2] * u / curve
        # The damped normal equations, 2 x 2 per row, solved in closed form.
        h00, h01, h11 = (j0 * j0).sum(axis=1), (j0 * j1).sum(axis=1), (j1 * j1).sum(axis=1)
        g0, g1 = (j0 * r).sum(axis=1), (j1 * r).sum(axis=1)
        a00, a11 = h00 * (1 + damping) + 1e-12 * damping, h11 * (1 + damping) + 1e-12 * damping
        det = a00 * a11 - h01 * h01
        with np.errstate(divide="ignore", invalid="ignore"):
            step = -np.stack([(a11 * g0 - h01 * g1) / det, (a00 * g1 - h01 * g0) / det], axis=1)
        step = np.where(np.isfinite(step), step, 0.0)
        trial = p + step
        r_new, f_new = cost(trial)
        better = f_new < f
        p = np.where(better[:, None], trial, p)
        r = np.where(better[:, None], r_new, r)
        small = np.abs(step).max(axis=1) < 1e-11
        f = np.where(better, f_new, f)
        damping = np.where(better, damping / 10, damping * 10).clip(1e-12, 1e12)
        # Done: a step that moves the parameters (in units of their start) or the cost by a tiny amount, or none helps.
        done |= (better & small) | (damping >= 1e12)
        if done.all():
            break
    values = p * scale
    return values[:, 0], values[:, 1]


def _laws(
    fits: list[BatchFit], table: dict[str, Any], x: str, unit: float, level: float
) -> tuple[dict[str, BatchLaw], list[str]]:
    xs = np.array([_x_of(f, x) for f in fits])
    if np.unique(xs).size < 2:
        return {}, [f"No power law of the critical batch against {x}: the fits have fewer than two distinct {x}."]
    laws = {}
    notes = []
    for quantity in ("CBS", "B_crit"):
        law = BatchLaw.from_points(quantity, x, xs, [getattr(f, quantity) for f in fits], unit=unit, level=level)
        if fits[0].draws:
            s = np.stack([f.draws["S_min"] for f in fits], axis=1)
            e = np.stack([f.draws["E_min"] for f in fits], axis=1)
            values = e / s if quantity == "B_crit" else _zhang(s, e, fits[0].overhead, fits[0].reference_batch)
            good = np.all(np.isfinite(values) & (values > 0), axis=1)
            wide = _expanded_level(level, min(f.batch.size for f in fits))
            coefficient, exponent = _log_linear(xs / unit, values[good])
            law = BatchLaw(
                quantity,
                x,
                unit,
                law.coefficient,
                law.exponent,
                law.coefficient_linear,
                law.exponent_linear,
                law.x_values,
                law.values,
                {
                    name: _quantiles(draws, wide)
                    for name, draws in (("coefficient", coefficient), ("exponent", exponent))
                },
                level,
            )
            if not good.all() and quantity == "CBS":
                notes.append(
                    f"{int((~good).sum())} of {good.size} resamples gave some model S_min <= 0 or E_min <= 0 "
                    "(no floor, or no trade-off, among the batch sizes drawn) and were left out of the laws' intervals."
                )
        laws[quantity] = law
    return laws, notes


def _x_of(fit: BatchFit, x: str) -> float:
    if x == "loss":
        return fit.target_loss
    if x == "C":
        return float(third_size({"N": fit.N, "D": fit.D})[0])
    return getattr(fit, x)


def _log_linear(x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
    """Least squares of log y = log a + b log x (``y`` one row per set of points, or a vector): ``(a, b)``."""
    lx = np.log(x)
    ly = np.log(y)
    centred = lx - lx.mean()
    slope = (ly - ly.mean(axis=-1, keepdims=True)) @ centred / (centred @ centred)
    intercept = ly.mean(axis=-1) - slope * lx.mean()
    return np.exp(intercept), slope


def _linear_space(x: np.ndarray, y: np.ndarray, a: float, b: float) -> tuple[float, float]:
    """Least squares of y = a x^b in linear space, from the log-space fit (NaN if it fails)."""
    from scipy.optimize import least_squares

    try:
        out = least_squares(lambda q: q[0] * x ** q[1] - y, x0=[a, b], method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
    except (ValueError, RuntimeError):
        return math.nan, math.nan
    return (float(out.x[0]), float(out.x[1])) if out.success else (math.nan, math.nan)


# ---------------------------------------------------------------------------------------------------------------
# Reading the table


def _read_table(
    data: Any,
    columns: Mapping[str, Any] | None,
    target_loss: Any,
    seq_len: float | None,
    format: str | None,
    drop_bad: bool,
) -> tuple[dict[str, Any], str, str, list[str]]:
    """The table's columns as arrays (``batch``, ``steps``, ``loss``, ``label``, and ``N``/``D``/``C`` if present),
    where it came from (as a source, and in words), and notes."""
    where = "critical_batch"
    if columns is not None and not isinstance(columns, Mapping):
        raise LawfitError(
            f"The 'columns' parameter of {where} must be a mapping of name to source column. Got "
            f"{type(columns).__name__} instead."
        )
    mapping = dict(columns or {})
    unknown = [name for name in mapping if name not in _EXTRA and name not in CANONICAL_COLUMNS]
    if unknown:
        raise LawfitError(
            f"The 'columns' parameter of {where} must map the names batch, steps, tokens, model, N, D, C, loss, run, "
            f"group or weight to source columns. Got {unknown[0]!r} instead."
        )
    table = read_table(data, format=format)
    origin = table.origin
    available = list(table.frame.columns)
    if "loss" not in mapping and not match_columns(available, COLUMN_ALIASES["loss"]):
        target = match_columns([label for label in available if label not in mapping.values()], _TARGET_ALIASES)
        if target:
            mapping["loss"] = target[0]
        elif target_loss is not None and np.ndim(target_loss) == 0:
            loss = float(_positive_number(target_loss, "target_loss", where))
            note = f"The table has no loss column: its steps are taken to reach target_loss = {target_loss:g}."
            table = replace(table, frame=table.frame.assign(loss=loss), notes=(*table.notes, note))
        else:
            raise DataError(
                f"The table from {origin.described} has no target loss column (none named loss, target_loss, "
                "target_val_loss, ...). Map it with --col loss=COLUMN (Python: columns={'loss': 'COLUMN'}), or give "
                "the one loss its steps reach with --target-loss L (Python: target_loss=L). Available columns: "
                f"{listing(available)}."
            )
    # Steps to the target when the table has them, else tokens to it: only the column used is read and checked.
    rest = [label for label in available if label not in mapping.values()]
    use = "steps" if "steps" in mapping or match_columns(rest, _EXTRA["steps"].aliases) else "tokens"
    mapping.pop("tokens" if use == "steps" else "steps", None)
    runs = load_runs(table, columns=mapping, extra=[_EXTRA["batch"], _EXTRA[use], _EXTRA["model"]], drop_bad=drop_bad)
    frame = runs.table
    missing = [name for name in ("batch",) if name not in frame.columns]
    if use not in frame.columns:
        missing.append("steps")
    if missing:
        raise DataError(
            f"The table from {origin.described} has no {' and no '.join(missing)} column (the batch size, and the "
            "steps or tokens to reach the target). Map "
            + " and ".join(f"--col {name}=COLUMN" for name in missing)
            + f" (Python: columns={{{', '.join(repr(n) + ': ...' for n in missing)}}}). Available columns: "
            f"{listing(available)}."
        )
    notes = [note for note in runs.notes if "repeat an earlier row" not in note]
    batch = runs.column("batch")
    if use == "steps":
        steps = runs.column("steps")
    else:
        steps = runs.column("tokens") / (batch * (1.0 if seq_len is None else seq_len))
        notes.append(
            f"Steps are tokens to the target / (batch{' x seq_len' if seq_len is not None else ''}), from column "
            f"{runs.read_from['tokens']!r}"
            + ("; without seq_len the batch is taken to count tokens." if seq_len is None else ".")
        )
    if seq_len is not None and batch.max() > _TOKENS_LOOK:
        notes.append(
            f"Batch sizes up to {batch.max():g} look like tokens rather than sequences, yet seq_len = {seq_len:g} "
            "counts them as sequences; drop seq_len (--seq-len) if the batch column counts tokens."
        )
    out: dict[str, Any] = {"batch": batch, "steps": steps, "loss": runs.column("loss")}
    for name in ("N", "D", "C"):
        if name in frame.columns:
            out[name] = runs.column(name)
    label_column = next((name for name in ("model", "run", "group") if name in frame.columns), None)
    if label_column is not None:
        out["label"] = frame[label_column].astype(str).to_numpy()
    elif "N" in out:
        out["label"] = np.array([f"N={n:.3g}" for n in out["N"]])
    else:
        out["label"] = np.array(["model"] * len(frame))
    if target_loss is not None:
        out = _select_targets(out, target_loss, origin.described)
    return out, origin.source, origin.described, notes


def _select_targets(table: dict[str, Any], target_loss: Any, described: str) -> dict[str, Any]:
    wanted = np.atleast_1d(np.asarray(target_loss, dtype=np.float64))
    if wanted.ndim != 1 or not np.all(np.isfinite(wanted)) or not np.all(wanted > 0):
        raise LawfitError(
            "The 'target_loss' parameter of critical_batch must be a loss > 0 or a list of them. Got "
            f"{target_loss!r} instead."
        )
    keep = np.isclose(table["loss"][:, None], wanted[None, :], rtol=1e-9, atol=1e-12).any(axis=1)
    if not keep.any():
        targets = ", ".join(f"{v:g}" for v in np.unique(table["loss"]))
        raise DataError(
            f"No rows of {described} have target loss {', '.join(f'{v:g}' for v in wanted)}; its targets are "
            f"{targets}. Choose one of them."
        )
    return {name: values[keep] for name, values in table.items()}


def _groups(table: dict[str, Any]) -> list[dict[str, Any]]:
    """One group per (model label, target loss), in the order of first appearance."""
    keys = list(zip(table["label"].tolist(), table["loss"].tolist(), strict=True))
    groups = []
    for key in dict.fromkeys(keys):
        rows = np.array([k == key for k in keys])
        model, loss = key
        label = f"Model {model!r} at target loss {loss:g}"
        group = {"model": model, "loss": float(loss), "label": label}
        group["batch"], group["steps"] = table["batch"][rows], table["steps"][rows]
        for name in ("N", "D"):
            group[name] = float(np.median(table[name][rows])) if name in table else math.nan
        if "C" in table and "D" not in table and "N" in table:
            group["D"] = float(np.median(table["C"][rows] / (6 * table["N"][rows])))
        groups.append(group)
    return groups


# ---------------------------------------------------------------------------------------------------------------
# Checks and text


def _positive(values: Any, name: str, where: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        array = np.array([math.nan])
    if array.size == 0 or not np.all(np.isfinite(array)) or not np.all(array > 0):
        raise LawfitError(
            f"The '{name}' parameter of {where} must be a number > 0 or an array of them. Got {values!r} instead."
        )
    return array


_POSITIVE = Real(0, closed="neither")


def _positive_number(value: Any, name: str, where: str) -> float:
    """``value`` as a float if it is a finite number > 0, else the one-format LawfitError."""
    return check(value, _POSITIVE, name, where)


def _number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.5g}" if abs(value) < 1e5 else f"{value:.4g}"


def _with_interval(value: float, bounds: Any, index: int | None = None) -> str:
    if bounds is None:
        return _number(value)
    low, high = bounds
    if index is not None:
        low, high = low[index], high[index]
    return f"{_number(value)} [{_number(low)}, {_number(high)}]"


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )
