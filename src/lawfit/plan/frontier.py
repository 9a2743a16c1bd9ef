"""Answers read off a fitted law of N and D: the compute-optimal frontier, the compute for a target loss, and the
inference-aware size (Sardana et al. 2024).

Every answer is computed for the fit's optimum and, when the fit has bootstrap draws, for every draw, which gives
its percentile interval. Training compute is ``C = k*N*D`` (``k = 6`` by default) or any increasing cost model
``cost(N, D)``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._checks import check_level, renamed
from .._intervals import format_interval, format_number, interval_digits, percentile_interval
from ..diagnostics import EXTRAPOLATION_LIMIT, extrapolation
from ..errors import ExtrapolationWarning, LawfitError
from ..fit import Fit
from ._solve import check_cost, law_loss, minimise_log, optimal_allocation, solve_increasing_log, tokens_for_loss

__all__ = ["Frontier", "InferencePlan", "compute_for_loss", "compute_optimal", "inference_optimal"]

_LOG_C_RANGE = (math.log(1e6), math.log(1e40))  # budgets searched when solving for a target loss


# ---------------------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, eq=False)
class Frontier:
    """Compute-optimal allocations: for each budget ``C``, the ``N`` and ``D`` with the lowest predicted loss.

    Attributes
    ----------
    C, N, D, loss : ndarray
        Budgets (FLOPs), optimal parameters and tokens, and the loss there; one value per budget.
    N_exponent, D_exponent : ndarray
        The local exponents ``d ln N*/d ln C`` and ``d ln D*/d ln C`` (constant for ``chinchilla``:
        ``beta/(alpha+beta)`` and ``alpha/(alpha+beta)``).
    draws : mapping
        The same quantities for each bootstrap draw, shape ``(n_draws, n_budgets)``; empty without draws.
    level : float
        The level of :meth:`interval` by default.
    law, cost : str
        The fitted law and the cost model, as shown in tables.
    """

    C: np.ndarray
    N: np.ndarray
    D: np.ndarray
    loss: np.ndarray
    N_exponent: np.ndarray
    D_exponent: np.ndarray
    draws: Mapping[str, np.ndarray] = field(default_factory=dict)
    level: float = 0.9
    law: str = ""
    cost: str = "C = 6*N*D"

    @property
    def tokens_per_param(self) -> np.ndarray:
        return self.D / self.N

    def value(self, name: str) -> np.ndarray:
        """A quantity by name: ``C``, ``N``, ``D``, ``loss``, ``tokens_per_param``, ``N_exponent``, ``D_exponent``."""
        if name == "tokens_per_param":
            return self.tokens_per_param
        if name not in _FRONTIER_NAMES:
            raise LawfitError(f"Unknown frontier quantity {name!r}. Known: {', '.join(_FRONTIER_NAMES)}.")
        return getattr(self, name)

    def interval(self, name: str, level: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The bootstrap percentile interval of a quantity (see :meth:`value`), one per budget."""
        self.value(name)
        if not self.draws:
            raise LawfitError("This frontier has no bootstrap draws: fit with n_resamples=1000 first.")
        if name not in self.draws:
            raise LawfitError(f"This frontier has no draws of {name!r}; it has draws of {', '.join(self.draws)}.")
        return percentile_interval(self.draws[name], self.level if level is None else level)

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"law": self.law, "cost": self.cost}
        for name in _FRONTIER_NAMES:
            record[name] = self.value(name).tolist()
        if self.draws:
            record["level"] = self.level
            names = [name for name in _FRONTIER_NAMES if name in self.draws]
            record["intervals"] = {name: [bound.tolist() for bound in self.interval(name)] for name in names}
        return record

    def summary(self) -> str:
        lines = [f"frontier   compute-optimal allocation under {self.law}, {self.cost}"]
        if self.draws:
            n = len(next(iter(self.draws.values())))
            lines.append(f"intervals  {self.level:.0%} bootstrap percentile intervals over {n:,} draws")
        lines.append("")
        header = ["C (FLOPs)", "N*", "D*", "D*/N*", "loss"]
        lines.append("  ".join(f"{h:>12}" for h in header) + "  N* exponent")
        for i in range(self.C.size):
            cells = [self.C[i], self.N[i], self.D[i], self.tokens_per_param[i]]
            line = "  ".join(f"{v:>12.4g}" for v in cells) + f"  {self.loss[i]:>12.5f}  {self.N_exponent[i]:>11.4f}"
            lines.append(line)
            if self.draws:
                parts = []
                for name, label in _SHOWN.items():
                    if name not in self.draws:
                        continue
                    low, high = self.interval(name)
                    if np.isclose(low[i], high[i], rtol=1e-12, atol=0.0):
                        continue  # a quantity fixed by the question (the loss of a target): no interval to show
                    parts.append(f"{label} {format_interval(low[i], high[i], self.value(name)[i], least=4)}")
                lines.append("              " + ", ".join(parts))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, **options: Any) -> Any:
        """A matplotlib figure of N* and D* against compute, with bootstrap bands
        (:func:`lawfit.plot.plot_frontier`; needs ``pip install 'lawfit[plot]'``)."""
        from ..plot import plot_frontier

        return plot_frontier(self, **options)


_FRONTIER_NAMES = ("C", "N", "D", "loss", "tokens_per_param", "N_exponent", "D_exponent")
_SHOWN = {"C": "C", "N": "N*", "D": "D*", "tokens_per_param": "D*/N*", "loss": "loss", "N_exponent": "exponent"}


@dataclass(frozen=True, eq=False)
class InferencePlan:
    """The size that reaches a loss with the least training plus inference compute (Sardana et al. 2024).

    Attributes
    ----------
    loss : float
        The target loss.
    inference_tokens : float
        The tokens the model is expected to serve; inference costs ``2*N`` FLOPs per token.
    N, D, training_flops, inference_flops : float
        The inference-aware optimum.
    chinchilla_N, chinchilla_D, chinchilla_total : float
        The compute-optimal (training only) model for the same loss, and its total compute with the same inference.
    draws : mapping
        Per bootstrap draw, for ``N``, ``D``, ``total`` and ``saving``; empty without draws.
    """

    loss: float
    inference_tokens: float
    N: float
    D: float
    training_flops: float
    inference_flops: float
    chinchilla_N: float
    chinchilla_D: float
    chinchilla_total: float
    draws: Mapping[str, np.ndarray] = field(default_factory=dict)
    level: float = 0.9

    @property
    def total_flops(self) -> float:
        return self.training_flops + self.inference_flops

    @property
    def saving(self) -> float:
        """The share of total compute saved against the compute-optimal model of the same loss."""
        return 1.0 - self.total_flops / self.chinchilla_total

    def interval(self, name: str, level: float | None = None) -> tuple[float, float]:
        if not self.draws:
            raise LawfitError("This plan has no bootstrap draws: fit with n_resamples=1000 first.")
        if name not in self.draws:
            raise LawfitError(f"Unknown quantity {name!r}. Known: {', '.join(self.draws)}.")
        low, high = percentile_interval(self.draws[name], self.level if level is None else level)
        return float(low), float(high)

    def to_dict(self) -> dict[str, Any]:
        record = {
            "loss": self.loss,
            "inference_tokens": self.inference_tokens,
            "N": self.N,
            "D": self.D,
            "training_flops": self.training_flops,
            "inference_flops": self.inference_flops,
            "total_flops": self.total_flops,
            "compute_optimal": {"N": self.chinchilla_N, "D": self.chinchilla_D, "total_flops": self.chinchilla_total},
            "saving": self.saving,
        }
        if self.draws:
            record["level"] = self.level
            record["intervals"] = {name: list(self.interval(name)) for name in self.draws}
        return record

    def summary(self) -> str:
        lines = [
            f"target     loss {self.loss:.4f}, serving {self.inference_tokens:.3g} tokens (2*N FLOPs each)",
            f"optimum    N = {self.N:.4g}, D = {self.D:.4g} ({self.D / self.N:.1f} tokens per parameter)",
            f"compute    training {self.training_flops:.4g} + inference {self.inference_flops:.4g} = "
            f"{self.total_flops:.4g} FLOPs",
            f"versus     the compute-optimal model for this loss: N = {self.chinchilla_N:.4g}, "
            f"D = {self.chinchilla_D:.4g}, total {self.chinchilla_total:.4g} FLOPs",
            f"saving     {self.saving:.1%} of the total",
        ]
        if self.draws:
            for name in ("N", "D"):
                low, high = self.interval(name)
                lines.append(
                    f"interval   {name}: {format_interval(low, high, getattr(self, name), least=4)} ({self.level:.0%})"
                )
            low, high = (100.0 * bound for bound in self.interval("saving"))  # in % like the saving above
            digits = interval_digits(low, high, 100.0 * self.saving, least=3)
            lines.append(
                f"interval   saving: [{format_number(low, digits)}%, {format_number(high, digits)}%] ({self.level:.0%})"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------------------------------------------------------
# Entry points


def compute_optimal(
    fit: Fit, compute: float | Sequence[float] | np.ndarray, *, cost: Any = 6.0, level: float = 0.9
) -> Frontier:
    """The compute-optimal ``N`` and ``D`` for each budget, under a fitted law of ``N`` and ``D``.

    The law's closed-form optimum under ``C = k*N*D`` when it declares one (``chinchilla``, fixed parameters or
    not: ``N* = G*(C/k)**(beta/(alpha+beta))`` with ``G = (alpha*A/(beta*B))**(1/(alpha+beta))``); a numerical
    minimisation of the loss along ``cost(N, D) = C`` for every other law and cost model.

    Parameters
    ----------
    fit : Fit
        A fit of a law whose inputs are among ``N``, ``D`` (and ``C``); with bootstrap draws for intervals.
    compute : float or array
        Budgets in FLOPs.
    cost : float or callable
        ``k`` of ``C = k*N*D`` (6 by default), or a function ``cost(N, D) -> FLOPs``, increasing in ``D``.
    level : float
        The default level of the frontier's intervals.

    Examples
    --------
    >>> import lawfit
    >>> from lawfit.plan import compute_optimal
    >>> f = lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")
    >>> frontier = compute_optimal(f, [1e21, 1e24])
    >>> [f"{n:.3g}" for n in frontier.N], round(float(frontier.N_exponent[0]), 4)
    (['2.79e+09', '9.72e+10'], 0.5139)
    """
    law = check_fit(fit, "compute_optimal")
    cost = check_cost(cost)
    c = _positive_array(compute, "compute")
    sets = param_sets(fit)
    values = _frontier(fit, sets, c, cost)
    step = 0.01
    up = _frontier(fit, sets, c * math.exp(step), cost)
    down = _frontier(fit, sets, c * math.exp(-step), cost)
    n_exp = (np.log(up["N"]) - np.log(down["N"])) / (2 * step)
    d_exp = (np.log(up["D"]) - np.log(down["D"])) / (2 * step)
    table = {**values, "N_exponent": n_exp, "D_exponent": d_exp}
    table["tokens_per_param"] = table["D"] / table["N"]
    draws = {name: v[1:] for name, v in table.items() if name != "C"} if len(sets["_rows"]) > 1 else {}
    if draws:
        check_level(level)
    _warn_extrapolation(fit, table["N"][0], table["D"][0])
    return Frontier(
        C=c,
        N=table["N"][0],
        D=table["D"][0],
        loss=table["loss"][0],
        N_exponent=n_exp[0],
        D_exponent=d_exp[0],
        draws=draws,
        level=level,
        law=law.name,
        cost=_describe_cost(cost),
    )


@renamed(loss="target_loss")
def compute_for_loss(
    fit: Fit, target_loss: float | Sequence[float] | np.ndarray, *, cost: Any = 6.0, level: float = 0.9
) -> Frontier:
    """The smallest budget whose compute-optimal model reaches ``target_loss``, with its ``N`` and ``D`` (a keyword
    ``loss=``, its deprecated name, is read for one more release).

    A loss at or below what the law can reach (its irreducible part, ``E`` for ``chinchilla``) is refused; a draw
    that cannot reach it gives NaN and is left out of the intervals.

    Examples
    --------
    >>> import lawfit
    >>> from lawfit.plan import compute_for_loss
    >>> f = lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")
    >>> plan = compute_for_loss(f, 2.0)
    >>> f"{plan.C[0]:.3g}", round(float(plan.loss[0]), 6)
    ('2.43e+23', 2.0)
    """
    law = check_fit(fit, "compute_for_loss")
    cost = check_cost(cost)
    targets = np.atleast_1d(np.asarray(target_loss, dtype=np.float64))
    if targets.ndim != 1 or not np.all(np.isfinite(targets)):
        raise LawfitError(
            f"The 'target_loss' parameter of compute_for_loss must be finite numbers. Got {target_loss!r} instead."
        )
    sets = param_sets(fit)
    floor = _frontier(fit, sets, np.array([math.exp(_LOG_C_RANGE[1])]), cost)["loss"][0, 0]
    if np.any(targets <= floor):
        raise LawfitError(
            f"A loss of {targets.min():.4g} is out of reach of this fit: even 1e40 FLOPs reach only {floor:.4g} "
            "(the law's irreducible loss bounds it). Ask for a higher loss."
        )
    rows = len(sets["_rows"])

    def neg_frontier_loss(log_c: np.ndarray) -> np.ndarray:
        # log_c has shape (rows, n_targets); each row uses its own parameter set.
        out = np.empty_like(log_c)
        for j in range(log_c.shape[1]):
            out[:, j] = -_frontier_rows(fit, sets, np.exp(log_c[:, j]), cost)["loss"]
        return out

    goal = np.broadcast_to(-targets, (rows, targets.size))
    log_c = solve_increasing_log(neg_frontier_loss, goal, *_LOG_C_RANGE, iterations=60)
    c_rows = np.exp(log_c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)  # warned below, once
        point = compute_optimal(fit, c_rows[0], cost=cost, level=level)
    _warn_extrapolation(fit, point.N, point.D)
    if rows == 1:
        return point
    per_draw = [_frontier_rows(fit, sets, c_rows[:, j], cost) for j in range(targets.size)]
    draws = {name: np.stack([p[name][1:] for p in per_draw], axis=1) for name in ("N", "D", "loss")}
    draws["C"] = c_rows[1:]
    draws["tokens_per_param"] = draws["D"] / draws["N"]
    return Frontier(
        C=point.C,
        N=point.N,
        D=point.D,
        loss=point.loss,
        N_exponent=point.N_exponent,
        D_exponent=point.D_exponent,
        draws=draws,
        level=level,
        law=law.name,
        cost=point.cost,
    )


@renamed(loss="target_loss")
def inference_optimal(
    fit: Fit, target_loss: float, inference_tokens: float, *, cost: float = 6.0, level: float = 0.9
) -> InferencePlan:
    """The ``N`` and ``D`` that reach ``target_loss`` with the least training plus inference compute (a keyword
    ``loss=``, its deprecated name, is read for one more release).

    Training costs ``k*N*D`` FLOPs (``k = cost``), serving ``inference_tokens`` costs ``2*N`` FLOPs each
    (Sardana et al. 2024, "Beyond Chinchilla-Optimal"). With many inference tokens the optimum is a smaller model
    trained on more tokens than the compute-optimal one.

    Examples
    --------
    >>> import lawfit
    >>> from lawfit.plan import inference_optimal
    >>> f = lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")
    >>> plan = inference_optimal(f, 2.1, 1e12)  # 1e12 tokens served
    >>> bool(plan.N < plan.chinchilla_N and plan.D > plan.chinchilla_D and plan.saving > 0)
    True
    """
    check_fit(fit, "inference_optimal")
    k = check_cost(cost)
    if callable(k):
        raise LawfitError("inference_optimal takes a number k for the training cost k*N*D, not a function.")
    target = float(_positive_array(target_loss, "target_loss")[0])
    d_inf = float(_positive_array(inference_tokens, "inference_tokens")[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)  # warned below for the answer itself
        chinchilla = compute_for_loss(fit, target, cost=k, level=level)
    sets = param_sets(fit)
    rows = len(sets["_rows"])
    centre = np.log(np.concatenate([chinchilla.N, chinchilla.draws["N"][:, 0]]) if chinchilla.draws else chinchilla.N)

    def tokens_at(log_n: np.ndarray) -> np.ndarray:
        # D with L(N, D) = target, per row; shapes (rows, grid).
        params = {name: v[:, None] for name, v in sets.items() if name != "_rows"}
        return tokens_for_loss(fit.law, params, log_n, target, k)

    def total(log_n: np.ndarray) -> np.ndarray:
        n = np.exp(log_n)
        return k * n * tokens_at(log_n) + 2.0 * n * d_inf

    log_n = minimise_log(total, centre.reshape(rows), half_width=4.0 * math.log(10.0))
    n = np.exp(log_n)
    d = tokens_at(log_n[:, None])[:, 0]
    chin_total_point = float(chinchilla.C[0] + 2 * chinchilla.N[0] * d_inf)
    _warn_extrapolation(fit, n[:1], d[:1])
    draws: dict[str, np.ndarray] = {}
    if rows > 1:
        totals = k * n * d + 2 * n * d_inf
        chin_totals = chinchilla.draws["C"][:, 0] + 2 * chinchilla.draws["N"][:, 0] * d_inf
        draws = {"N": n[1:], "D": d[1:], "total": totals[1:], "saving": 1 - totals[1:] / chin_totals}
    return InferencePlan(
        loss=target,
        inference_tokens=d_inf,
        N=float(n[0]),
        D=float(d[0]),
        training_flops=float(k * n[0] * d[0]),
        inference_flops=float(2 * n[0] * d_inf),
        chinchilla_N=float(chinchilla.N[0]),
        chinchilla_D=float(chinchilla.D[0]),
        chinchilla_total=chin_total_point,
        draws=draws,
        level=level,
    )


# ---------------------------------------------------------------------------------------------------------------
# The work


def check_fit(fit: Fit, caller: str) -> Any:
    law = fit.law
    if not isinstance(fit, Fit):
        raise LawfitError(f"{caller} takes a Fit (from lawfit.fit). Got {type(fit).__name__} instead.")
    inputs = set(law.inputs)
    if not {"N", "D"} <= inputs | {"C"} or not inputs <= {"N", "D", "C"} or not ({"N", "D"} & inputs):
        raise LawfitError(
            f"{caller} needs a law of N and D (such as chinchilla, kaplan or a formula in N and D); law "
            f"{law.name!r} takes {', '.join(law.inputs)}. Fit a law of both parameters and tokens."
        )
    if law.target != "loss":
        raise LawfitError(f"{caller} needs a law of the loss; law {law.name!r} predicts {law.target!r}.")
    return law


def _positive_array(value: Any, name: str) -> np.ndarray:
    try:
        array = np.atleast_1d(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        raise LawfitError(f"The '{name}' parameter must be a positive number or array. Got {value!r}.") from None
    if array.ndim != 1 or array.size == 0 or not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise LawfitError(f"The '{name}' parameter must be positive finite numbers. Got {value!r} instead.")
    return array


def param_sets(fit: Fit) -> dict[str, np.ndarray]:
    """Parameter arrays of shape (rows,): row 0 the fit's optimum, then one row per bootstrap draw."""
    names = fit.law.param_names
    point = np.array([[fit.params[name] for name in names]])
    rows = point if fit.bootstrap is None else np.concatenate([point, fit.bootstrap.draws])
    sets = {name: rows[:, i] for i, name in enumerate(names)}
    sets["_rows"] = np.arange(len(rows))
    return sets


def _loss(fit: Fit, params: Mapping[str, np.ndarray], n: np.ndarray, d: np.ndarray, cost: Any) -> np.ndarray:
    return law_loss(fit.law, params, n, d, cost)


def _frontier(fit: Fit, sets: Mapping[str, np.ndarray], c: np.ndarray, cost: Any) -> dict[str, np.ndarray]:
    """Frontier quantities of shape (rows, n_budgets) for budgets ``c`` (n_budgets,)."""
    rows = len(sets["_rows"])
    grid_c = np.broadcast_to(c, (rows, c.size))
    return _frontier_rows(fit, sets, grid_c, cost)


def _frontier_rows(fit: Fit, sets: Mapping[str, np.ndarray], c: np.ndarray, cost: Any) -> dict[str, np.ndarray]:
    """Like :func:`_frontier` for budgets ``c`` of shape (rows, ...) or (rows,): each row its own parameters."""
    params = {name: v.reshape((-1,) + (1,) * (c.ndim - 1)) for name, v in sets.items() if name != "_rows"}
    n, d = optimal_allocation(fit.law, params, np.asarray(c, dtype=np.float64), cost)
    loss = _loss(fit, params, n, d, cost)
    return {"C": np.asarray(c, dtype=np.float64), "N": n, "D": d, "loss": loss}


def _warn_extrapolation(fit: Fit, n: np.ndarray, d: np.ndarray) -> None:
    """An :class:`ExtrapolationWarning` when a planned N or D lies beyond 10x the fitted runs' largest."""
    values = {"N": np.asarray(n, dtype=np.float64), "D": np.asarray(d, dtype=np.float64)}
    warning = extrapolation(
        {k: v[np.isfinite(v)] for k, v in values.items() if np.isfinite(v).any()},
        fit.runs_summary.get("ranges", {}),
        EXTRAPOLATION_LIMIT,
    )
    if warning is not None:
        warnings.warn(warning, stacklevel=3)


def _describe_cost(cost: Any) -> str:
    if callable(cost):
        return f"C = {getattr(cost, '__name__', 'cost')}(N, D)"
    return f"C = {cost:g}*N*D"
