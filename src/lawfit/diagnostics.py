"""Diagnostics: typed warnings that say when a fit or a prediction should not be trusted, with their figures.

- :class:`~lawfit.ConvergenceWarning`: the search did not converge.
- :class:`~lawfit.BoundWarning`: parameters ended at a bound.
- :class:`~lawfit.IdentifiabilityWarning`: parameter pairs so correlated that the data cannot tell them apart
  (from the bootstrap draws when there are any, else from the objective's curvature at the optimum), or a flat
  direction of the objective.
- :class:`~lawfit.ExtrapolationWarning`: a prediction far beyond the largest training scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .errors import BoundWarning, ConvergenceWarning, ExtrapolationWarning, IdentifiabilityWarning, LawfitWarning

__all__ = ["EXTRAPOLATION_LIMIT", "IDENTIFIABILITY_THRESHOLD", "extrapolation", "fit_diagnostics", "identifiability"]

#: |correlation| above which two parameters count as not identifiable apart. Chinchilla's (A, alpha) and
#: (B, beta) reach 0.9993 and 0.9997 on Hoffmann's data, from the uncentred parametrisation; well-posed fits stay
#: below this.
IDENTIFIABILITY_THRESHOLD = 0.9999
#: A prediction beyond this multiple of the largest training value of an input is an extrapolation to flag.
EXTRAPOLATION_LIMIT = 10.0
_FLAT_RATIO = 1e-12  # smallest / largest Hessian eigenvalue below which a direction counts as flat


def _in_search_space(values: np.ndarray, log_mask: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(log_mask, np.log(values), values)


def identifiability(
    names: Sequence[str],
    log_mask: np.ndarray,
    *,
    hessian: np.ndarray | None = None,
    draws: np.ndarray | None = None,
    threshold: float = IDENTIFIABILITY_THRESHOLD,
) -> IdentifiabilityWarning | None:
    """An :class:`IdentifiabilityWarning` naming the strongly correlated pairs and flat parameters, or None.

    Correlations come from ``draws`` (bootstrap, in the search space: log for log-scale parameters) if given, else
    from the inverse of ``hessian``. A Hessian eigenvalue below 1e-12 of the largest marks a flat direction, named by
    the parameters that make it up.
    """
    corr = None
    flat: list[str] = []
    if draws is not None and len(draws) > 2:
        z = _in_search_space(np.asarray(draws), log_mask)
        z = z[np.all(np.isfinite(z), axis=1)]
        if len(z) > 2:
            with np.errstate(divide="ignore", invalid="ignore"):
                corr = np.corrcoef(z.T)
    elif hessian is not None and np.all(np.isfinite(hessian)):
        h = 0.5 * (hessian + hessian.T)
        values, vectors = np.linalg.eigh(h)
        top = max(abs(values[-1]), 1e-300)
        for value, vector in zip(values, vectors.T, strict=True):
            if value < _FLAT_RATIO * top:
                flat += [names[i] for i in np.flatnonzero(np.abs(vector) > 0.3) if names[i] not in flat]
        cov = np.linalg.pinv(h)
        sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
        corr = np.clip(cov / np.outer(sd, sd), -1.0, 1.0)
    pairs = []
    if corr is not None:
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                if np.isfinite(corr[i, j]) and abs(corr[i, j]) > threshold:
                    pairs.append([names[i], names[j], round(float(corr[i, j]), 6)])
    if not pairs and not flat:
        return None
    parts = [f"{a} and {b} (correlation {r:+.4f})" for a, b, r in pairs]
    text = "the data cannot tell apart " + "; ".join(parts) if parts else ""
    if flat:
        text += ("; " if text else "") + f"the objective is flat along a direction of {', '.join(flat)}"
    return IdentifiabilityWarning(
        f"Weakly identified parameters: {text}. Their separate values are uncertain; fix one (Law.fix) or add runs "
        "that vary the inputs they describe.",
        pairs=pairs,
        flat=flat,
    )


def fit_diagnostics(law: Any, result: Any, *, draws: np.ndarray | None = None) -> tuple[LawfitWarning, ...]:
    """The warnings a finished search earns: convergence, bounds, identifiability."""
    found: list[LawfitWarning] = []
    if not result.converged:
        found.append(ConvergenceWarning(result.message, objective=float(result.objective)))
    if result.at_bounds:
        found.append(
            BoundWarning(
                f"Parameters at a bound: {', '.join(result.at_bounds)}. The optimum may lie beyond; widen the bounds "
                "if the law allows it.",
                params=list(result.at_bounds),
            )
        )
    log_mask = np.array([p.scale == "log" for p in law.params])
    # Curvature away from an optimum says nothing about identifiability: without convergence, only draws count.
    hessian = result.hessian if result.converged else None
    warning = identifiability(law.param_names, log_mask, hessian=hessian, draws=draws)
    if warning is not None:
        found.append(warning)
    return tuple(found)


def extrapolation(
    inputs: Mapping[str, np.ndarray], ranges: Mapping[str, Sequence[float]], limit: float = EXTRAPOLATION_LIMIT
) -> ExtrapolationWarning | None:
    """An :class:`ExtrapolationWarning` if an input goes beyond ``limit`` times its largest training value."""
    for name, values in inputs.items():
        if name not in ranges:
            continue
        largest = float(ranges[name][1])
        worst = float(np.max(values))
        if worst > limit * largest:
            return ExtrapolationWarning(
                f"Extrapolation: {name} = {worst:.3g} is {worst / largest:.3g} times the largest training value "
                f"({largest:.3g}), beyond the {limit:g}x limit; trust the prediction less, and back-test the law "
                "(lawfit backtest) before relying on it.",
                input=name,
                value=worst,
                largest=largest,
                limit=float(limit),
            )
    return None
