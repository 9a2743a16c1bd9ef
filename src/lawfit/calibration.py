"""Forecast intervals calibrated by scale: how far off was the law when it extrapolated inside the runs it was given?

A scaling law is used to predict runs larger than any it was fitted on, and its error there is mostly not the
scatter of single runs nor the bootstrap's parameter uncertainty, but misspecification that grows with the distance
of extrapolation. :func:`calibrate` measures that growth on the user's own runs by *nested back-tests*: it cuts the
runs at several scales (the largest budgets held out: 20%, 30%, 40% and 50% of the runs), fits the law below each cut
and records, for every held-out run, the distance of extrapolation ``d = log10(scale / largest fitted scale)`` and
the log error ``e = log(actual / predicted)``.

The error model (the assumptions, stated):

- the spread of ``e`` grows with ``d`` as ``s(d) = sqrt(sigma0**2 + (k*d)**2)``: ``sigma0`` is the scatter of single
  runs about the law (a robust standard deviation of the full fit's log residuals), ``k`` the growth per decade of
  extrapolation, estimated by maximum likelihood from the back-test errors (``e ~ Normal(0, s(d)**2)``);
- the *normalised* errors ``z = e / s(d)`` are exchangeable between the scales inside the runs and the target scale:
  the law errs per decade beyond its runs as it did inside them (split-conformal by scale).

A forecast interval at level ``1 - a`` is ``predicted * exp([-q, q] * s(d))``, where ``q`` is the wider of the
conformal ``a/2`` and ``1 - a/2`` quantiles of the signed ``z`` (a biased back-test widens both sides to its extent
rather than shifting the interval: the side a law errs to, learnt from a few correlated cuts, can flip beyond them),
times a widening factor that is itself judged on runs it never saw: the error model fitted on the lower cuts alone
must cover the next cut's runs at the level, and the factor is how much wider it had to be (at least 1). Where
the law errs more the higher the cut (misspecification that grows with scale, not only with distance) the intervals
widen accordingly. With bootstrap draws, the variance of the law's log prediction at the target is added to
``s(d)**2`` on top. Errors of the runs held out at one cut are correlated (one misfit moves them all), so the number
of cuts, not of runs, is the honest sample size: intervals from few cuts are themselves uncertain. For ``auto``
(:mod:`lawfit.select`) the errors are those of the choosing itself: at each cut, of the law the other cuts chose.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import renamed
from ._records import Fields
from .errors import LawfitError
from .laws import Law
from .objectives import Objective

# A saved calibration is read (``lawfit predict``) without the search or the runs' reader: imported where used.
if TYPE_CHECKING:
    from .data import Runs
    from .search import SearchOptions, SearchResult

__all__ = [
    "Calibration",
    "NestedBacktests",
    "budgets_for_share",
    "calibrate",
    "growth_weights",
    "nested_backtests",
    "nested_backtests_batch",
    "nested_cuts",
    "scale_of",
]

#: The shares of the runs held out at the nested cuts (the largest budgets first).
HOLDOUT_SHARES = (0.2, 0.3, 0.4, 0.5)
#: Values of the scale within this relative distance of their sorted neighbour count as one budget.
BUDGET_RTOL = 0.05
#: The fewest back-test errors, and the fewest distinct cuts, that a calibration needs.
MIN_POINTS = 10
MIN_CUTS = 2
_K_GRID = np.concatenate([[0.0], np.logspace(-5, 0.5, 221)])


def scale_of(law: Law) -> str | None:
    """The scale a law extrapolates in: ``"C"`` when it reads N and D (or C), else its one input of N, D; or None.

    >>> from lawfit.laws import get_law
    >>> scale_of(get_law("chinchilla")), scale_of(get_law("power", x="N"))
    ('C', 'N')
    """
    inputs = set(law.inputs)
    if "C" in inputs or {"N", "D"} <= inputs:
        return "C"
    for name in ("N", "D"):
        if name in inputs:
            return name
    return None


def growth_weights(runs: Runs, law: Law, objective: Objective) -> np.ndarray:
    """The factor ``(scale / largest scale) ** weight_growth`` by which ``objective`` weighs each run of a law's fit
    (ones when its ``weight_growth`` is 0).

    >>> import lawfit
    >>> runs = lawfit.load_runs({"N": [1e8, 1e9], "D": [2e9, 2e10], "loss": [3.0, 2.6]})
    >>> growth_weights(runs, lawfit.get_law("chinchilla"), Objective(weight_growth=0.25)).round(3).tolist()
    [0.316, 1.0]
    """
    if not objective.weight_growth:
        return np.ones(len(runs))
    by = scale_of(law)
    if by is None:
        raise LawfitError(
            f"The 'weight_growth' parameter weighs runs by their scale, and law {law.name} reads none of N, D, C; "
            "use weight_growth=0 with this law."
        )
    return objective.scale_weights(runs.column(by))


@dataclass(frozen=True, eq=False)
class NestedBacktests:
    """A law fitted to all runs and below each nested cut, in one batched search.

    Attributes
    ----------
    full : SearchResult
        The fit on all the runs.
    by : str
        The scale that was cut.
    cuts : tuple of float
        The scale of each cut: its fit saw the runs below it.
    results : tuple of SearchResult
        The fit below each cut.
    distance, error : ndarray
        One entry per held-out run of every cut: ``log10(scale / largest fitted scale)`` and
        ``log(actual / predicted)``.
    cut_index : ndarray of int
        Which cut each entry belongs to.
    """

    full: SearchResult
    by: str
    cuts: tuple[float, ...]
    results: tuple[SearchResult, ...]
    distance: np.ndarray
    error: np.ndarray
    cut_index: np.ndarray


def budgets_for_share(labels: np.ndarray, share: float) -> int:
    """The fewest of the largest budgets (``labels`` from :func:`lawfit.data.budget_groups`) whose runs make up at
    least ``share`` of them.

    >>> budgets_for_share(np.array([0, 0, 0, 1, 1, 2]), 0.3)
    2
    """
    per_budget = np.bincount(labels)[::-1]
    return int(np.searchsorted(np.cumsum(per_budget), share * labels.size)) + 1


def nested_cuts(scale: np.ndarray, weights: np.ndarray, n_params: int) -> list[float]:
    """The cuts of the nested back-tests: each holds out the largest budgets making up a share of the runs.

    A cut must leave at least two budgets and ``n_params + 2`` runs (of nonzero weight) to fit on; cuts that coincide
    are kept once.
    """
    used = weights > 0
    values = scale[used]
    if values.size == 0:
        return []
    from .data import budget_groups

    labels = budget_groups(values, BUDGET_RTOL)
    n_budgets = int(labels.max()) + 1
    cuts: list[float] = []
    for share in HOLDOUT_SHARES:
        held = budgets_for_share(labels, share)
        first_held = n_budgets - held
        if first_held < 2:
            continue
        cut = float(values[labels >= first_held].min())
        if np.count_nonzero(values < cut) < n_params + 2 or cut in cuts:
            continue
        cuts.append(cut)
    return sorted(cuts)


@renamed(options="search_options")
def nested_backtests(
    law: Law,
    objective: Objective,
    runs: Runs,
    weights: np.ndarray,
    *,
    by: str | None = None,
    cuts: Sequence[float] | None = None,
    search_options: SearchOptions | None = None,
    grid: np.ndarray | None = None,
) -> NestedBacktests:
    """Fit ``law`` on all runs and below each nested cut of ``by`` (default :func:`scale_of`), as one batched search.

    ``cuts`` defaults to :func:`nested_cuts` of the runs; ``search_options`` set the search (the deprecated name
    ``options`` is read for one more release).

    >>> import lawfit
    >>> from lawfit.laws import get_law
    >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    >>> nb = nested_backtests(get_law("chinchilla"), Objective(), runs, runs.weights)
    >>> len(nb.cuts), bool(nb.distance.min() >= 0)
    (4, True)
    """
    return nested_backtests_batch(
        law, objective, runs, np.atleast_2d(weights), by=by, cuts=cuts, search_options=search_options, grid=grid
    )[0]


@renamed(options="search_options")
def nested_backtests_batch(
    law: Law,
    objective: Objective,
    runs: Runs,
    weight_rows: np.ndarray,
    *,
    by: str | None = None,
    cuts: Sequence[float] | None = None,
    search_options: SearchOptions | None = None,
    grid: np.ndarray | None = None,
) -> list[NestedBacktests]:
    """:func:`nested_backtests` for each row of ``weight_rows`` (one weighting of the runs each), in one search.

    The cuts are the same for every row: from the runs of nonzero weight in the first.
    """
    by = by or scale_of(law)
    if by is None:
        raise LawfitError(
            f"Law {law.name} reads none of N, D, C, so it has no scale to back-test along; "
            "calibrate a law of N, D or C."
        )
    scale = runs.column(by)
    weight_rows = np.asarray(weight_rows, dtype=np.float64)
    if cuts is None:
        cuts = nested_cuts(scale, weight_rows[0], len(law.params))
    cuts = sorted(float(c) for c in cuts)
    rows = [np.where(scale < cut, w, 0.0) if cut else w for w in weight_rows for cut in (0.0, *cuts)]
    inputs, y = runs.inputs(law.inputs), runs.column(law.target)
    from .search import search_many

    found = search_many(law, objective, inputs, y, np.vstack(rows), grid=grid, options=search_options)
    per_row = len(cuts) + 1
    return [
        _scored(law, runs, by, scale, inputs, y, w, cuts, found[r * per_row : (r + 1) * per_row])
        for r, w in enumerate(weight_rows)
    ]


def _scored(
    law: Law,
    runs: Runs,
    by: str,
    scale: np.ndarray,
    inputs: Mapping[str, np.ndarray],
    y: np.ndarray,
    weights: np.ndarray,
    cuts: Sequence[float],
    found: Sequence[SearchResult],
) -> NestedBacktests:
    distance, error, index = [], [], []
    for j, (cut, result) in enumerate(zip(cuts, found[1:], strict=True)):
        held = (scale >= cut) & (weights > 0)
        top = float(scale[(scale < cut) & (weights > 0)].max())
        predicted = law.predict(result.params, **{k: v[held] for k, v in inputs.items()})
        with np.errstate(divide="ignore", invalid="ignore"):
            e = np.log(y[held] / predicted)
        distance.append(np.log10(scale[held] / top))
        error.append(np.where(np.isfinite(e), e, np.inf))  # a law that cannot predict a run errs without bound
        index.append(np.full(int(held.sum()), j))
    empty = np.zeros(0)
    return NestedBacktests(
        full=found[0],
        by=by,
        cuts=tuple(cuts),
        results=tuple(found[1:]),
        distance=np.concatenate(distance) if distance else empty,
        error=np.concatenate(error) if error else empty,
        cut_index=np.concatenate(index) if index else np.zeros(0, dtype=int),
    )


@dataclass(frozen=True, eq=False)
class Calibration:
    """How a law's log error grew with the distance of extrapolation in nested back-tests; gives forecast intervals.

    Attributes
    ----------
    by : str
        The scale of extrapolation (``"C"``, ``"N"`` or ``"D"``).
    top : float
        The largest fitted scale: a target's distance is ``log10(target scale / top)``.
    sigma0 : float
        The scatter of single runs about the law (robust standard deviation of the log residuals).
    k : float
        The growth of the error's spread per decade of extrapolation.
    distance, error : ndarray
        The back-tests' distances (decades beyond the cut's largest fitted run) and log errors.
    cut_index : ndarray of int
        Which nested cut each error comes from.
    cuts : tuple of float
        The nested cuts.
    note : str
        Empty when calibrated; else why the runs could not calibrate the intervals (then :attr:`calibrated` is False).
    """

    by: str
    top: float
    sigma0: float
    k: float = 0.0
    distance: np.ndarray = field(default_factory=lambda: np.zeros(0))
    error: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cut_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    cuts: tuple[float, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        for name, kind in (("distance", np.float64), ("error", np.float64), ("cut_index", np.int64)):
            value = np.array(getattr(self, name), dtype=kind, copy=True).reshape(-1)
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "cuts", tuple(float(c) for c in self.cuts))

    @property
    def calibrated(self) -> bool:
        return not self.note

    def spread(self, distance: Any) -> np.ndarray:
        """``s(d) = sqrt(sigma0**2 + (k*d)**2)`` at ``d = max(distance, 0)``."""
        d = np.maximum(np.asarray(distance, dtype=np.float64), 0.0)
        return np.sqrt(self.sigma0**2 + (self.k * d) ** 2)

    def quantiles(self, level: float) -> tuple[float, float]:
        """The lower and upper multipliers of :meth:`spread` at ``level``: the conformal quantiles of the normalised
        errors, widened by :meth:`widening`."""
        low, high = _conformal(self.error / self.spread(self.distance), level)
        factor = self.widening(level)
        return factor * low, factor * high

    def widening(self, level: float) -> float:
        """How much wider the intervals must be to have covered each nested cut's runs from the cuts below it.

        The error model is fitted on the cuts below cut ``j`` alone and its interval at ``level`` checked on cut
        ``j``'s runs, for every cut but the first; the factor is the conformal ``level`` quantile of how far out
        (as a multiple of the interval's half) those runs fell, and at least 1. Misspecification that grows with
        scale, not only with distance, shows here: the higher cuts err more than the lower ones predicted.
        """
        ratios = []
        for j in range(1, len(self.cuts)):
            below, here = self.cut_index < j, self.cut_index == j
            if np.count_nonzero(below) < MIN_POINTS or not np.any(here):
                continue
            k = _growth(self.distance[below], self.error[below], self.sigma0)
            spread = np.sqrt(self.sigma0**2 + (k * self.distance) ** 2)
            _, high = _conformal(self.error[below] / spread[below], level)  # symmetric: (-high, high)
            e, s = self.error[here], spread[here]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.abs(e) / (high * s)
            ratios.append(np.where(np.isfinite(ratio), ratio, 0.0))
        if not ratios:
            return 1.0
        u = np.sort(np.concatenate(ratios))
        rank = min(math.ceil((u.size + 1) * level), u.size)
        return max(float(u[rank - 1]), 1.0)

    def distance_of(self, values: Any) -> np.ndarray:
        """Decades beyond the largest fitted scale (negative inside the runs)."""
        return np.log10(np.asarray(values, dtype=np.float64) / self.top)

    def interval(
        self, predicted: Any, distance: Any, level: float, extra_variance: Any = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """The forecast interval ``(low, high)`` around ``predicted`` at ``distance`` decades, at ``level``."""
        if not self.calibrated:
            raise LawfitError(f"These runs could not calibrate forecast intervals: {self.note}")
        q_low, q_high = self.quantiles(level)
        s = np.sqrt(self.spread(distance) ** 2 + np.asarray(extra_variance, dtype=np.float64))
        predicted = np.asarray(predicted, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            return predicted * np.exp(q_low * s), predicted * np.exp(q_high * s)

    def describe(self) -> str:
        """One line: how the intervals were calibrated, or why they could not be."""
        if not self.calibrated:
            return f"uncalibrated: {self.note}"
        return (
            f"calibrated on {self.error.size} back-test errors from {len(self.cuts)} nested cuts in {self.by}; "
            f"spread {100 * self.sigma0:.2f}% at the runs, growing {100 * self.k:.2f}% per decade beyond them"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "top": self.top,
            "sigma0": self.sigma0,
            "k": self.k,
            "cuts": list(self.cuts),
            "distance": self.distance.tolist(),
            "error": [e if math.isfinite(e) else str(e) for e in self.error.tolist()],
            "cut_index": self.cut_index.tolist(),
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], *, fields: Fields | None = None, path: str = "") -> Calibration:
        """Rebuild a calibration from :meth:`to_dict`'s output, each field checked: a bad one raises a
        :class:`~lawfit.FitFileError` naming it (``fields`` say where the record comes from, ``path`` is its place in
        a larger record).

        >>> Calibration.from_dict({"by": "C", "top": 1e21, "sigma0": 0.01, "note": "too few runs"}).describe()
        'uncalibrated: too few runs'
        >>> Calibration.from_dict({"by": "C", "top": "nan", "sigma0": 0.01})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        lawfit.errors.FitFileError: Field 'top' of the saved calibration must be a finite number; got 'nan'. ...
        """
        fields = fields or Fields("the saved calibration")
        record = fields.as_obj(record, path or "calibration")
        note = fields.text(record, "note", path, default="")
        calibrated = not note  # an uncalibrated record keeps only why, and the scatter of the runs
        by = fields.text(record, "by", path, choices=("C", "N", "D") if calibrated else ("C", "N", "D", ""))
        top = fields.number(record, "top", path, finite=calibrated, nan=not calibrated)
        if calibrated and top <= 0:
            raise fields.error(fields.path(path, "top"), "a finite number > 0", record["top"])
        cuts = fields.vector(record, "cuts", path, default=[], finite=True)
        distance = fields.vector(record, "distance", path, default=[], finite=True)
        n = len(distance)
        what = "one per back-test error, as many as 'distance' has"
        error = fields.vector(record, "error", path, default=[], length=n, finite=calibrated, what=what)
        index_path = fields.path(path, "cut_index")
        index = fields.get(record, "cut_index", path, [])
        if not isinstance(index, list) or len(index) != n:
            raise fields.error(index_path, f"a list of {n:,} whole numbers ({what})", index)
        cut = f"the index of a cut in 'cuts' (0 to {len(cuts) - 1})" if cuts.size else "an index into 'cuts' (empty)"
        for i, item in enumerate(index):
            if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item < len(cuts):
                raise fields.error(fields.path(index_path, i), cut, item)
        return cls(
            by=by,
            top=top,
            sigma0=fields.number(record, "sigma0", path, minimum=0.0),
            k=fields.number(record, "k", path, default=0.0, minimum=0.0),
            distance=distance,
            error=error,
            cut_index=np.asarray(index, dtype=np.int64),
            cuts=tuple(cuts),
            note=note,
        )


def calibrate(
    law: Law,
    params: Mapping[str, float],
    runs: Runs,
    weights: np.ndarray,
    nested: NestedBacktests | None,
    *,
    reason: str = "",
) -> Calibration:
    """The calibration of a law fitted to ``runs`` with ``params``, from its nested back-tests.

    ``nested`` is :func:`nested_backtests` of the same law and runs (None when it could not be made, ``reason``
    saying why: the calibration then says so in its note).
    """
    by = nested.by if nested is not None else scale_of(law)
    used = weights > 0
    y = runs.column(law.target)
    predicted = law.predict(params, **runs.inputs(law.inputs))
    with np.errstate(divide="ignore", invalid="ignore"):
        residuals = np.log(y[used] / predicted[used])
    finite = residuals[np.isfinite(residuals)]
    # A robust standard deviation, floored so that noiseless runs still give finite normalised errors.
    sigma0 = max(float(1.4826 * np.median(np.abs(finite - np.median(finite)))), 1e-9) if finite.size else math.nan
    top = float(runs.column(by)[used].max()) if by is not None else math.nan
    note = reason or _why_not(law, y, nested, sigma0)
    if note:
        return Calibration(by=by or "", top=top, sigma0=sigma0 if math.isfinite(sigma0) else 0.0, note=note)
    assert nested is not None
    k = _growth(nested.distance, nested.error, sigma0)
    return Calibration(
        by=nested.by,
        top=top,
        sigma0=sigma0,
        k=k,
        distance=nested.distance,
        error=nested.error,
        cut_index=nested.cut_index,
        cuts=nested.cuts,
    )


def _why_not(law: Law, y: np.ndarray, nested: NestedBacktests | None, sigma0: float) -> str:
    if nested is None:
        return f"law {law.name} reads none of N, D, C, so there is no scale to back-test along"
    if np.any(y <= 0):
        return f"the forecast intervals are of log {law.target}, which has values <= 0"
    if len(nested.cuts) < MIN_CUTS or nested.error.size < MIN_POINTS:
        return (
            f"the runs allow {len(nested.cuts)} nested back-test cut(s) with {nested.error.size} held-out runs in all "
            f"(a calibration needs {MIN_CUTS} cuts and {MIN_POINTS} runs: at least 3 budgets of {nested.by}, each cut "
            f"keeping 2 budgets and {len(law.params) + 2} runs to fit); add runs at more scales"
        )
    if not all(r.converged for r in nested.results):
        failed = sum(not r.converged for r in nested.results)
        return f"{failed} of the {len(nested.results)} nested back-test fits did not converge"
    if not np.all(np.isfinite(nested.error)):
        return "the law fitted below a nested cut could not predict some runs above it (non-finite predictions)"
    if not math.isfinite(sigma0):
        return "the fit's residuals are not finite"
    return ""


def _conformal(z: np.ndarray, level: float) -> tuple[float, float]:
    """Split-conformal multipliers ``(-q, q)`` of the spread at ``level``: ``q`` is the wider of the ``a/2`` and
    ``1 - a/2`` quantiles of the signed ``z`` (inf where the sample is too small).

    Symmetric on purpose: the errors of one nested cut move together, so the side a law erred to inside the runs
    rests on a few cuts and can flip beyond them (Chinchilla fitted below 1e21 FLOPs over-predicts beyond its
    nested cuts and under-predicts its largest models above 1e21); a bias widens both sides to its extent instead
    of shifting the interval.
    """
    z = np.sort(z)
    n = z.size
    tail = (1.0 - level) / 2.0
    lo_rank = math.floor((n + 1) * tail)  # 1-based ranks; out of range means unbounded
    hi_rank = math.ceil((n + 1) * (1.0 - tail))
    low = -math.inf if lo_rank < 1 else float(z[lo_rank - 1])
    high = math.inf if hi_rank > n else float(z[hi_rank - 1])
    wider = max(-low, high, 0.0)
    return -wider, wider


def _growth(distance: np.ndarray, error: np.ndarray, sigma0: float) -> float:
    """Maximum likelihood ``k`` of ``e ~ Normal(0, sigma0**2 + (k*d)**2)`` over a grid (0 and 1e-5 .. 3)."""
    variance = sigma0**2 + np.outer(_K_GRID**2, distance**2)
    log_likelihood = -0.5 * np.sum(np.log(variance) + error**2 / variance, axis=1)
    return float(_K_GRID[int(np.argmax(log_likelihood))])
