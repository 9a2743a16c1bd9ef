"""Which runs to train next: the small runs that most shrink the uncertainty of a planning answer.

The fit's bootstrap draws give the parameters' covariance ``S`` (in the search space: logs for log-scale
parameters) and, by regressing the answer on the draws, its gradient ``g``: the answer's variance is about
``g' S g``. A new run at ``(N, D)`` adds ``J J' / s2`` to the precision, where ``J`` is the gradient of the law's log
loss there and ``s2`` the scatter of runs about the law (the fit's residual variance). Runs are picked greedily
from a grid of candidates within the budget, each the one that most lowers ``g' S g`` after the runs already picked
(a sequential Bayesian D-optimal design on the linearised law, specialised to one answer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._checks import Integer, constrained
from ..errors import LawfitError
from ..fit import Fit
from .frontier import check_fit, compute_optimal, param_sets

__all__ = ["Suggestion", "suggest"]

_RATIO_WIDEN = 3.0  # candidate tokens per parameter: the runs' range, widened this much each way

_QUANTITIES = ("N_opt", "loss")


@dataclass(frozen=True, eq=False)
class Suggestion:
    """Proposed runs, in the order picked, with why each was chosen.

    Attributes
    ----------
    runs : DataFrame
        ``N``, ``D``, ``C``, ``tokens_per_param``, ``sd_after`` (the answer's predicted standard deviation once this
        and the earlier runs are added), ``reason``.
    quantity : str
        ``"N_opt"`` (log of the compute-optimal N at the target compute) or ``"loss"`` (log loss there).
    target_compute : float
    sd_before : float
        The answer's standard deviation now (from the bootstrap draws).
    budget : float
        FLOPs allowed for all the proposed runs together.
    """

    runs: pd.DataFrame
    quantity: str
    target_compute: float
    sd_before: float
    budget: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "quantity": self.quantity,
            "target_compute": self.target_compute,
            "sd_before": self.sd_before,
            "budget": self.budget,
            "runs": self.runs.to_dict(orient="records"),
        }

    def summary(self) -> str:
        what = "log N*" if self.quantity == "N_opt" else "log loss"
        used = float(self.runs["C"].sum())
        lines = [
            f"suggest    {len(self.runs)} runs to shrink the uncertainty of {what} at C = {self.target_compute:.3g}",
            f"budget     {used:.3g} of {self.budget:.3g} FLOPs; standard deviation now {self.sd_before:.4f} "
            f"(a factor {math.exp(self.sd_before):.3f})",
            "",
            f"  {'N':>10}  {'D':>10}  {'C':>10}  {'D/N':>7}  {'sd after':>8}  why",
        ]
        for row in self.runs.itertuples():
            lines.append(
                f"  {row.N:>10.4g}  {row.D:>10.4g}  {row.C:>10.4g}  {row.tokens_per_param:>7.1f}  "
                f"{row.sd_after:>8.4f}  {row.reason}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


@constrained(runs=Integer(1))
def suggest(
    fit: Fit,
    *,
    target_compute: float,
    runs: int = 4,
    budget: float,
    quantity: str = "N_opt",
    candidates: Sequence[tuple[float, float]] | np.ndarray | None = None,
    cost: float = 6.0,
) -> Suggestion:
    """Propose ``runs`` new runs, costing at most ``budget`` FLOPs together, that most shrink the bootstrap
    uncertainty of ``quantity`` at ``target_compute``.

    Parameters
    ----------
    fit : Fit
        A fit of a law of N and D, with bootstrap draws (``lawfit.fit(..., n_resamples=1000)``).
    target_compute : float
        The budget of the run being planned, in FLOPs.
    runs : int
        How many runs to propose.
    budget : float
        FLOPs for all proposed runs together (``C = cost*N*D`` each).
    quantity : {"N_opt", "loss"}
        The answer to sharpen: the compute-optimal N at ``target_compute``, or the loss there.
    candidates : array of (N, D), optional
        Runs to choose from. By default a grid over N (from the smallest fitted N up) and over the tokens per
        parameter the data spans, widened 3x each way (runs off the data's usual ratio separate the N and D terms
        best; much further the law itself is untested), keeping runs that cost between a quarter of an even share
        of the budget (``budget/(4*runs)``) and the whole budget: a much cheaper run wastes budget that would bring
        it closer to the target.

    Examples
    --------
    >>> import lawfit
    >>> from lawfit.plan import suggest
    >>> f = lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla", n_resamples=200)
    >>> s = suggest(f, target_compute=1e24, runs=3, budget=3e21)
    >>> len(s.runs), bool(s.runs["C"].sum() <= 3e21), bool(s.runs["sd_after"].iloc[-1] < s.sd_before)
    (3, True, True)
    """
    check_fit(fit, "suggest")
    if fit.bootstrap is None:
        raise LawfitError("suggest needs a fit with bootstrap draws: lawfit.fit(..., n_resamples=1000).")
    if quantity not in _QUANTITIES:
        raise LawfitError(f"The 'quantity' parameter of suggest must be one of {_QUANTITIES}. Got {quantity!r}.")
    for name, value in (("target_compute", target_compute), ("budget", budget)):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise LawfitError(f"The '{name}' parameter of suggest must be a positive number. Got {value!r}.")

    law = fit.law
    sets = param_sets(fit)
    names = law.param_names
    z = np.column_stack([p.to_internal(sets[p.name]) for p in law.params])  # rows: optimum, then draws
    draws_z = z[1:]
    answer = _answer(fit, quantity, float(target_compute), cost)  # per row
    ok = np.all(np.isfinite(draws_z), axis=1) & np.isfinite(answer[1:])
    if ok.sum() < len(names) + 2:
        raise LawfitError("Too few usable bootstrap draws to estimate the uncertainty; bootstrap with more resamples.")
    centred = draws_z[ok] - draws_z[ok].mean(axis=0)
    cov = centred.T @ centred / (ok.sum() - 1)
    precision = np.linalg.pinv(cov)
    target_centred = answer[1:][ok] - answer[1:][ok].mean()
    gradient = precision @ (centred.T @ target_centred / (ok.sum() - 1))
    sd_before = float(np.std(answer[1:][ok], ddof=1))

    grid = _candidates(fit, candidates, float(budget), cost, runs)
    jac = _log_loss_jacobian(fit, z[0], grid[:, 0], grid[:, 1])  # (n_candidates, n_params)
    noise = float(np.var(fit.bootstrap.residuals)) if fit.bootstrap.residuals.size > 1 else 1e-4
    noise = max(noise, 1e-8)

    picked: list[dict[str, Any]] = []
    spent = 0.0
    current = precision.copy()
    costs = cost * grid[:, 0] * grid[:, 1]
    for i in range(runs):
        left = runs - i - 1
        affordable = costs + spent + left * costs.min() <= budget * (1 + 1e-9)
        if not affordable.any():
            break
        best_value, best_j, best_cov = math.inf, -1, None
        for j in np.flatnonzero(affordable):
            trial = current + np.outer(jac[j], jac[j]) / noise
            trial_cov = np.linalg.pinv(trial)
            value = float(gradient @ trial_cov @ gradient)
            if value < best_value - 1e-15:
                best_value, best_j, best_cov = value, j, trial_cov
        before_cov = np.linalg.pinv(current)
        current = current + np.outer(jac[best_j], jac[best_j]) / noise
        spent += float(costs[best_j])
        n, d = grid[best_j]
        picked.append(
            {
                "N": float(n),
                "D": float(d),
                "C": float(costs[best_j]),
                "tokens_per_param": float(d / n),
                "sd_after": math.sqrt(max(best_value, 0.0)),
                "reason": _reason(names, before_cov, best_cov, float(gradient @ before_cov @ gradient), best_value),
            }
        )
    if not picked:
        raise LawfitError(
            f"No candidate run fits a budget of {budget:.3g} FLOPs for {runs} runs; raise the budget or ask for "
            "fewer runs."
        )
    return Suggestion(pd.DataFrame(picked), quantity, float(target_compute), sd_before, float(budget))


def _answer(fit: Fit, quantity: str, target_compute: float, cost: float) -> np.ndarray:
    frontier = compute_optimal(fit, [target_compute], cost=cost)
    if quantity == "N_opt":
        return np.log(np.concatenate([frontier.N, frontier.draws["N"][:, 0]]))
    return np.log(np.concatenate([frontier.loss, frontier.draws["loss"][:, 0]]))


def _candidates(fit: Fit, given: Any, budget: float, cost: float, runs: int) -> np.ndarray:
    if given is not None:
        grid = np.asarray(given, dtype=np.float64)
        if grid.ndim != 2 or grid.shape[1] != 2 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
            raise LawfitError("Candidates must be an array of positive (N, D) pairs, shape (n, 2).")
        return grid
    ranges = fit.runs_summary.get("ranges", {})
    low_n = float(ranges.get("N", [1e6])[0])
    low_r, high_r = (float(v) for v in ranges.get("D/N", (1.0, 1e3)))  # the tokens per parameter of the runs
    low_r, high_r = max(low_r / _RATIO_WIDEN, 0.1), min(high_r * _RATIO_WIDEN, 1e4)
    if not high_r > low_r:
        low_r, high_r = 1.0, 1e3
    high_n = math.sqrt(budget / (cost * low_r))
    n = np.logspace(math.log10(low_n), math.log10(max(high_n, 2 * low_n)), 25)
    ratio = np.logspace(math.log10(low_r), math.log10(high_r), 19)
    nn, rr = np.meshgrid(n, ratio, indexing="ij")
    grid = np.column_stack([nn.ravel(), (nn * rr).ravel()])
    c = cost * grid[:, 0] * grid[:, 1]
    # Runs much cheaper than an even share of the budget waste it: a larger run extrapolates less to the target.
    return grid[(c <= budget) & (c >= budget / (4.0 * runs))]


def _log_loss_jacobian(fit: Fit, z0: np.ndarray, n: np.ndarray, d: np.ndarray) -> np.ndarray:
    from .._jax import jax, jnp

    law = fit.law
    log_mask = [p.scale == "log" for p in law.params]
    inputs = {"N": jnp.asarray(n), "D": jnp.asarray(d)}
    if "C" in law.inputs:
        inputs["C"] = 6.0 * inputs["N"] * inputs["D"]
    inputs = {k: v for k, v in inputs.items() if k in law.inputs}

    def log_loss(zv: Any) -> Any:
        params = {p.name: (jnp.exp(zv[i]) if log_mask[i] else zv[i]) for i, p in enumerate(law.params)}
        return law.log_fn(params, inputs)

    return np.asarray(jax.jacfwd(log_loss)(jnp.asarray(z0)), dtype=np.float64)


def _reason(names: Sequence[str], before: np.ndarray, after: np.ndarray, var_before: float, var_after: float) -> str:
    cut = 1.0 - math.sqrt(max(var_after, 0.0) / var_before) if var_before > 0 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = 1.0 - np.sqrt(np.diag(after) / np.diag(before))
    top = [names[i] for i in np.argsort(-np.nan_to_num(shrink))[:2] if shrink[i] > 0.01]
    text = f"cuts the sd by {cut:.0%}"
    if top:
        text += f"; pins down {' and '.join(top)} ({', '.join(f'-{shrink[names.index(t)]:.0%}' for t in top)})"
    return text
