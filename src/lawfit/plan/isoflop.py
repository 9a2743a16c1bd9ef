"""IsoFLOP analysis: the compute-optimal size read straight from the runs, without a parametric loss law.

- **Approach 2** (Hoffmann et al. 2022; Llama 3 2024), :func:`isoflop`: runs grouped by compute budget; per budget a
  parabola of the loss in ``log N`` (or ``log D``), whose vertex is that budget's optimum; then a power law of the
  optimum in compute, ``X* = coefficient * C**exponent``, by least squares in logs.
- **Approach 1** (Hoffmann et al. 2022), :func:`envelope`: training curves of several sizes; at each FLOP count the
  lowest loss over all curves and the size that reaches it; then the same power law.

Budgets whose parabola opens downward or whose vertex lies outside the sizes tried are flagged and left out of the
power law; single points far off their budget's parabola are flagged as not belonging. The bootstrap resamples the
points within each budget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._checks import RESAMPLES_OR_NONE, check, renamed
from .._intervals import percentile_interval
from .._progress import Progress
from ..data import Runs, budget_groups, load_runs
from ..errors import LawfitError

__all__ = ["IsoFLOP", "PowerLaw", "envelope", "isoflop"]

_OUTLIER_Z = 5.0  # a point whose leave-one-out residual exceeds this many robust sigmas of the others' ...
_OUTLIER_FLOOR = 0.02  # ... and a 2% loss deviation does not belong to its budget's parabola


@dataclass(frozen=True)
class PowerLaw:
    """``value = coefficient * C**exponent``, fitted in logs; with bootstrap draws when there are any."""

    exponent: float
    coefficient: float
    draws: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (n_draws, [exponent, log coefficient])

    def __call__(self, compute: Any) -> np.ndarray:
        return self.coefficient * np.asarray(compute, dtype=np.float64) ** self.exponent

    def draws_at(self, compute: Any) -> np.ndarray:
        c = np.atleast_1d(np.asarray(compute, dtype=np.float64))
        return np.exp(self.draws[:, 1:2] + self.draws[:, 0:1] * np.log(c))

    def interval(self, name: str, level: float = 0.9) -> tuple[float, float]:
        """Percentile interval of ``exponent`` or ``coefficient``."""
        if len(self.draws) == 0:
            raise LawfitError("No bootstrap draws: run the IsoFLOP analysis with n_resamples=1000.")
        column = {"exponent": self.draws[:, 0], "coefficient": np.exp(self.draws[:, 1])}[name]
        low, high = percentile_interval(column, level)
        return float(low), float(high)


@dataclass(frozen=True, eq=False)
class IsoFLOP:
    """An IsoFLOP analysis: per-budget optima and their power laws in compute.

    Attributes
    ----------
    optima : DataFrame
        One row per budget: ``C``, ``n_points``, ``N``, ``D`` (the optimum), ``loss`` (at the vertex), ``used``
        (in the power law), ``flag`` (why not, or '').
    points : DataFrame
        The runs with their ``budget`` label and an ``outlier`` flag.
    params, tokens : PowerLaw
        ``N* = coefficient * C**exponent`` and ``D* = coefficient * C**exponent``.
    approach : str
        ``"parabola in log N"``, ``"parabola in log D"`` or ``"envelope"``.
    """

    optima: pd.DataFrame
    points: pd.DataFrame
    params: PowerLaw
    tokens: PowerLaw
    approach: str
    level: float = 0.9

    def predict(self, compute: Any) -> dict[str, np.ndarray]:
        """``N*`` and ``D*`` at budgets ``compute``, with ``*_low``/``*_high`` bounds when there are draws."""
        c = np.atleast_1d(np.asarray(compute, dtype=np.float64))
        out = {"C": c, "N": self.params(c), "D": self.tokens(c)}
        for name, law in (("N", self.params), ("D", self.tokens)):
            if len(law.draws):
                low, high = percentile_interval(law.draws_at(c), self.level)
                out[f"{name}_low"], out[f"{name}_high"] = low, high
        return out

    def to_dict(self) -> dict[str, Any]:
        def law_record(law: PowerLaw) -> dict[str, Any]:
            record: dict[str, Any] = {"exponent": law.exponent, "coefficient": law.coefficient}
            if len(law.draws):
                record["intervals"] = {
                    "exponent": list(law.interval("exponent", self.level)),
                    "coefficient": list(law.interval("coefficient", self.level)),
                }
                record["level"] = self.level
            return record

        optima = self.optima.astype(object).where(self.optima.notna(), None)
        return {
            "approach": self.approach,
            "params": law_record(self.params),
            "tokens": law_record(self.tokens),
            "optima": optima.to_dict(orient="records"),
            "outliers": int(self.points["outlier"].sum()),
        }

    def summary(self) -> str:
        used = int(self.optima["used"].sum())
        lines = [f"isoflop    {self.approach}: {len(self.optima)} budgets, {used} used in the power laws"]
        for label, law in (("N*", self.params), ("D*", self.tokens)):
            text = f"{label:<10} = {law.coefficient:.4g} * C^{law.exponent:.4f}"
            if len(law.draws):
                lo, hi = law.interval("exponent", self.level)
                text += f"   exponent {self.level:.0%} interval [{lo:.4f}, {hi:.4f}]"
            lines.append(text)
        lines.append("")
        lines.append(f"  {'C':>10}  {'points':>6}  {'N*':>10}  {'D*':>10}  {'loss':>8}  note")
        for row in self.optima.itertuples():
            n = f"{row.N:.4g}" if np.isfinite(row.N) else "-"
            d = f"{row.D:.4g}" if np.isfinite(row.D) else "-"
            loss = f"{row.loss:.4f}" if np.isfinite(row.loss) else "-"
            lines.append(f"  {row.C:>10.4g}  {row.n_points:>6}  {n:>10}  {d:>10}  {loss:>8}  {row.flag}")
        outliers = int(self.points["outlier"].sum())
        if outliers:
            lines.append(f"\n{outliers} point(s) far off their budget's parabola flagged as outliers (points.outlier)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, **options: Any) -> Any:
        """A matplotlib figure: the parabolas and optima per budget, and the optima's power laws in compute
        (:func:`lawfit.plot.plot_isoflop`; needs ``pip install 'lawfit[plot]'``)."""
        from ..plot import plot_isoflop

        return plot_isoflop(self, **options)


@renamed(n_bootstrap="n_resamples")
def isoflop(
    data: Runs | Any,
    *,
    x: str = "N",
    columns: Mapping[str, str] | None = None,
    rtol: float = 0.05,
    cost: float = 6.0,
    n_resamples: int = 0,
    seed: int = 0,
    level: float = 0.9,
) -> IsoFLOP:
    """Approach 2: a parabola of the loss in ``log x`` per compute budget, then power laws of the optima.

    Runs are grouped into budgets (``rtol``). Within a budget a run far off the parabola of the others (more than 5
    robust sigmas and 2% in loss) is flagged in ``points.outlier`` and left out; a budget with fewer than 3 sizes, a
    parabola opening downward or a minimum outside the sizes tried is flagged in ``optima.flag`` and left out of the
    power laws, since its optimum is not measured but extrapolated.

    Parameters
    ----------
    data : path, DataFrame, mapping or Runs
        Runs with ``C`` and ``N`` or ``D`` (the other derived from ``C = cost*N*D``) and ``loss``.
    x : {"N", "D"}
        The axis of the parabolas: parameters (Hoffmann et al.) or tokens (Llama 3).
    rtol : float
        Budgets within this relative distance of each other count as one.
    n_resamples : int
        Resamples of the points within each budget, for intervals (0: none; the deprecated name ``n_bootstrap`` is
        read for one more release).
    seed : int
        Seed of the resampling.
    level : float
        The level of the exponents' intervals (0.9).

    Examples
    --------
    >>> import numpy as np
    >>> c = np.repeat([1e18, 1e19, 1e20], 7)
    >>> n = np.sqrt(c / 120) * np.tile(np.logspace(-0.6, 0.6, 7), 3)
    >>> loss = 1.69 + 406.4 / n**0.34 + 410.7 / (c / (6 * n))**0.28
    >>> result = isoflop({"C": c, "N": n, "loss": loss})
    >>> round(result.params.exponent, 2), round(result.params.exponent + result.tokens.exponent, 6)
    (0.45, 1.0)
    """
    if x not in ("N", "D"):
        raise LawfitError(f"The 'x' parameter of isoflop must be 'N' or 'D'. Got {x!r} instead.")
    runs = load_runs(data, columns=columns)
    for name in ("C", x):
        if name not in runs.columns:
            raise LawfitError(f"An IsoFLOP analysis needs the compute C and {x} of each run; {name} is missing.")
    c = runs.column("C")
    size = runs.column(x)
    loss = runs.column("loss")
    labels = budget_groups(c, rtol)
    n_budgets = int(labels.max()) + 1
    budgets = np.array([math.exp(np.mean(np.log(c[labels == b]))) for b in range(n_budgets)])

    optima, outlier = _optima(np.log(size), loss, labels, n_budgets)
    vertex, vertex_loss, flags = optima
    used = np.array([flag == "" for flag in flags])
    if used.sum() < 2:
        raise LawfitError(
            f"Only {int(used.sum())} budget(s) have a usable parabola (a minimum inside the sizes tried, from at "
            "least 3 sizes); a power law in compute needs 2. Add runs around each budget's optimum."
        )
    best = np.exp(vertex)
    other = budgets / (cost * best)
    n_opt, d_opt = (best, other) if x == "N" else (other, best)
    params = _power_law(budgets[used], n_opt[used])
    tokens = _power_law(budgets[used], d_opt[used])

    if n_resamples:
        check(n_resamples, RESAMPLES_OR_NONE, "n_resamples", "isoflop")
        draws_n, draws_d = _bootstrap(np.log(size), loss, labels, budgets, used, x, cost, n_resamples, seed)
        params = PowerLaw(params.exponent, params.coefficient, draws_n)
        tokens = PowerLaw(tokens.exponent, tokens.coefficient, draws_d)

    table = pd.DataFrame(
        {
            "C": budgets,
            "n_points": np.bincount(labels, minlength=n_budgets),
            "N": n_opt,
            "D": d_opt,
            "loss": vertex_loss,
            "used": used,
            "flag": flags,
        }
    )
    points = runs.table.assign(budget=labels, outlier=outlier)
    return IsoFLOP(table, points, params, tokens, f"parabola in log {x}", level)


def envelope(
    curves: pd.DataFrame | Mapping[str, Sequence[float]],
    *,
    n_grid: int = 200,
    cost: float = 6.0,
    columns: Mapping[str, str] | None = None,
) -> IsoFLOP:
    """Approach 1: the lower envelope of the loss against FLOPs over training curves of several sizes.

    ``curves`` has one row per logged step: ``run`` (or ``N`` alone identifies the run), ``N``, ``D`` (tokens seen so
    far) and ``loss``; ``C = cost*N*D``. At ``n_grid`` FLOP counts spaced in logs the lowest interpolated loss over
    the curves and the ``N`` reaching it are taken, then ``N* = coefficient * C**exponent`` by least squares in logs
    over the FLOP counts where at least two curves overlap and neither the smallest nor the largest size wins.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> sizes = np.logspace(7, 10, 40)
    >>> rows = [(n, d) for n in sizes for d in np.logspace(8, 12, 60)]
    >>> n, d = np.array(rows).T
    >>> curves = pd.DataFrame({"N": n, "D": d, "loss": 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28})
    >>> round(envelope(curves).params.exponent, 2)
    0.45
    """
    table = pd.DataFrame(dict(curves)) if isinstance(curves, Mapping) else curves.copy()
    table = table.rename(columns={v: k for k, v in (columns or {}).items()})
    missing = [name for name in ("N", "D", "loss") if name not in table.columns]
    if missing:
        raise LawfitError(
            f"Training curves need the columns N, D (tokens seen) and loss; missing {', '.join(missing)}. Map them "
            "with columns={'D': 'tokens'}."
        )
    for name in ("N", "D", "loss"):
        values = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise LawfitError(f"Column {name} of the curves must hold positive finite numbers; fix or drop the rows.")
        table[name] = values
    run = table["run"] if "run" in table.columns else table["N"]
    log_c = np.log(cost * table["N"].to_numpy() * table["D"].to_numpy())
    groups = [(float(g["N"].iloc[0]), log_c[g.index], g["loss"].to_numpy()) for _, g in table.groupby(run, sort=False)]
    if len(groups) < 2:
        raise LawfitError("An envelope needs the training curves of at least 2 model sizes.")
    grid = np.linspace(log_c.min(), log_c.max(), n_grid)
    values = np.full((len(groups), n_grid), np.inf)
    sizes = np.array([n for n, _, _ in groups])
    for i, (_, lc, lo) in enumerate(groups):
        order = np.argsort(lc)
        lc, lo = lc[order], lo[order]
        inside = (grid >= lc[0]) & (grid <= lc[-1])
        values[i, inside] = np.interp(grid[inside], lc, lo)
    winner = np.argmin(values, axis=0)
    overlap = np.sum(np.isfinite(values), axis=0) >= 2
    interior = (sizes[winner] > sizes.min()) & (sizes[winner] < sizes.max())
    keep = overlap & interior
    if keep.sum() < 2:
        raise LawfitError(
            "The curves' lower envelope is won by the smallest or the largest size almost everywhere: add sizes so "
            "that the optimum falls between them."
        )
    c = np.exp(grid)
    n_opt = sizes[winner]
    params = _power_law(c[keep], n_opt[keep])
    tokens = _power_law(c[keep], c[keep] / (cost * n_opt[keep]))
    optima = pd.DataFrame(
        {
            "C": c,
            "n_points": np.sum(np.isfinite(values), axis=0),
            "N": n_opt.astype(np.float64),
            "D": c / (cost * n_opt),
            "loss": values[winner, np.arange(n_grid)],
            "used": keep,
            "flag": np.where(keep, "", np.where(overlap, "won by the smallest or largest size", "one curve only")),
        }
    )
    points = table.assign(outlier=False)
    return IsoFLOP(optima, points, params, tokens, "envelope")


# ---------------------------------------------------------------------------------------------------------------


def _parabola(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float, str]:
    """Vertex and its value of a least-squares parabola, or a flag saying why there is none."""
    if np.unique(x).size < 3:
        return math.nan, math.nan, "fewer than 3 sizes"
    a, b, c0 = np.polyfit(x, y, 2, w=None if w is None else np.sqrt(w))
    if not a > 0:
        return math.nan, math.nan, "no minimum (the parabola opens downward)"
    vertex = -b / (2 * a)
    value = c0 - b * b / (4 * a)
    if not x.min() <= vertex <= x.max():
        return vertex, value, "minimum outside the sizes tried"
    return vertex, value, ""


def _optima(
    log_x: np.ndarray, loss: np.ndarray, labels: np.ndarray, n_budgets: int
) -> tuple[tuple[np.ndarray, np.ndarray, list[str]], np.ndarray]:
    vertex = np.full(n_budgets, np.nan)
    value = np.full(n_budgets, np.nan)
    flags: list[str] = []
    outlier = np.zeros(len(loss), dtype=bool)
    for b in range(n_budgets):
        members = np.flatnonzero(labels == b)
        keep = members[~_outliers(log_x[members], loss[members])]
        outlier[np.setdiff1d(members, keep)] = True
        v, val, flag = _parabola(log_x[keep], loss[keep])
        vertex[b], value[b] = v, val
        flags.append(flag)
    return (vertex, value, flags), outlier


def _outliers(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points that do not belong to their budget's parabola, removed one at a time, worst first.

    A point is judged by its leave-one-out residual in log loss (so it cannot pull the parabola towards itself): it
    is an outlier when that residual exceeds both ``_OUTLIER_Z`` robust sigmas of the others' leave-one-out residuals
    and ``_OUTLIER_FLOOR`` (a relative loss deviation too large for seed noise or the parabola's own misfit). At
    least 4 points always stay.
    """
    bad = np.zeros(x.size, dtype=bool)
    log_y = np.log(y)
    while (~bad).sum() >= 5:
        idx = np.flatnonzero(~bad)
        residual = np.empty(idx.size)
        for i in range(idx.size):
            rest = np.delete(idx, i)
            if np.unique(x[rest]).size < 3:
                return bad
            residual[i] = log_y[idx[i]] - np.polyval(np.polyfit(x[rest], log_y[rest], 2), x[idx[i]])
        worst = int(np.argmax(np.abs(residual)))
        others = np.delete(residual, worst)
        scale = 1.4826 * np.median(np.abs(others - np.median(others)))
        if abs(residual[worst]) <= max(_OUTLIER_Z * scale, _OUTLIER_FLOOR):
            return bad
        bad[idx[worst]] = True
    return bad


def _power_law(c: np.ndarray, value: np.ndarray) -> PowerLaw:
    exponent, intercept = np.polyfit(np.log(c), np.log(value), 1)
    return PowerLaw(float(exponent), float(math.exp(intercept)))


def _bootstrap(
    log_x: np.ndarray,
    loss: np.ndarray,
    labels: np.ndarray,
    budgets: np.ndarray,
    used: np.ndarray,
    x: str,
    cost: float,
    n_resamples: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(labels == b) for b in range(len(budgets))]
    draws_n = np.full((n_resamples, 2), np.nan)
    draws_d = np.full((n_resamples, 2), np.nan)
    for r in Progress(n_resamples, "isoflop bootstrap").iterate(range(n_resamples)):
        best = np.full(len(budgets), np.nan)
        for b in np.flatnonzero(used):
            pick = rng.choice(members[b], size=members[b].size, replace=True)
            v, _, flag = _parabola(log_x[pick], loss[pick])
            if flag == "":
                best[b] = math.exp(v)
        ok = np.isfinite(best)
        if ok.sum() < 2:
            continue
        other = budgets[ok] / (cost * best[ok])
        n_opt, d_opt = (best[ok], other) if x == "N" else (other, best[ok])
        for draws, values in ((draws_n, n_opt), (draws_d, d_opt)):
            slope, intercept = np.polyfit(np.log(budgets[ok]), np.log(values), 1)
            draws[r] = slope, intercept
    keep = np.all(np.isfinite(draws_n), axis=1)
    return draws_n[keep], draws_d[keep]
