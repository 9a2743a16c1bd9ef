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

__all__ = [
    "EXTRAPOLATION_LIMIT",
    "IDENTIFIABILITY_THRESHOLD",
    "STRONG_CORRELATION",
    "correlation_verdict",
    "draw_correlations",
    "extrapolation",
    "fit_diagnostics",
    "identifiability",
    "identifiability_summary",
    "usable_draws",
]

#: |correlation| above which two parameters count as not identifiable apart. Chinchilla's (A, alpha) and
#: (B, beta) reach 0.9993 and 0.9997 on Hoffmann's data, from the uncentred parametrisation; well-posed fits stay
#: below this.
IDENTIFIABILITY_THRESHOLD = 0.9999
#: |correlation| above which a pair is named strongly correlated (a note, not a warning): their separate values are
#: uncertain though the data still tell them apart. Text and figures use this and the threshold above alike.
STRONG_CORRELATION = 0.99
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
        corr = draw_correlations(draws, log_mask)
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


def draw_correlations(draws: np.ndarray, log_mask: np.ndarray) -> np.ndarray:
    """The correlations of the parameters over the finite ``draws`` (rows), in the search space (log for log-scale
    parameters); NaN where fewer than three draws are finite. The one measure of identifiability from draws: the
    warning, the report's text and the pairs figure all read it.

    >>> draws = np.array([[1.0, 10.0], [2.0, 100.0], [3.0, 1000.0], [4.0, 9000.0]])
    >>> round(float(draw_correlations(draws, np.array([False, True]))[0, 1]), 4)
    0.9999
    """
    z = _in_search_space(np.asarray(draws, dtype=np.float64), np.asarray(log_mask, dtype=bool))
    z = z[np.all(np.isfinite(z), axis=1)]
    k = z.shape[1]
    if len(z) <= 2:
        return np.full((k, k), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.atleast_2d(np.corrcoef(z.T))


def correlation_verdict(r: float, threshold: float = IDENTIFIABILITY_THRESHOLD) -> str:
    """What a pair's correlation says: ``"not identifiable"`` above ``threshold``, ``"strongly correlated"`` above
    :data:`STRONG_CORRELATION`, else ``""``.

    >>> correlation_verdict(0.99995), correlation_verdict(-0.9993), correlation_verdict(0.5)
    ('not identifiable', 'strongly correlated', '')
    """
    if not np.isfinite(r):
        return ""
    if abs(r) > threshold:
        return "not identifiable"
    return "strongly correlated" if abs(r) > STRONG_CORRELATION else ""


def usable_draws(boot: Any) -> np.ndarray:
    """The bootstrap draws (of a :class:`~lawfit.uncertainty.Bootstrap`) identifiability is judged on: the converged
    refits (all of them when fewer than three converged)."""
    kept = boot.draws[boot.converged]
    return kept if len(kept) > 2 else boot.draws


def identifiability_summary(fit: Any) -> str:
    """One sentence on how well the data pin down the fit's parameters, from the same correlations as the
    :class:`IdentifiabilityWarning` and the pairs figure: pairs beyond the threshold, strongly correlated pairs
    below it, or neither."""
    names = list(fit.law.param_names)
    if fit.bootstrap is None:
        warned = [w for w in fit.diagnostics if isinstance(w, IdentifiabilityWarning)]
        if warned:
            return "Identifiability (from the curvature at the optimum): " + warned[0].message
        return (
            "No pair of parameters is beyond the identifiability threshold (|r| > "
            f"{IDENTIFIABILITY_THRESHOLD:g}), judged from the objective's curvature at the optimum (no bootstrap "
            "draws)."
        )
    log_mask = fit.law.log_mask
    corr = draw_correlations(usable_draws(fit.bootstrap), log_mask)
    found: dict[str, list[str]] = {"not identifiable": [], "strongly correlated": []}
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            verdict = correlation_verdict(float(corr[i, j]))
            if verdict:
                found[verdict].append(f"{names[i]} and {names[j]} (r = {corr[i, j]:+.4f})")
    parts = []
    if found["not identifiable"]:
        parts.append(
            f"Not identifiable (|r| > {IDENTIFIABILITY_THRESHOLD:g}): {'; '.join(found['not identifiable'])}: the data "
            "cannot tell these apart."
        )
    if found["strongly correlated"]:
        parts.append(
            f"Strongly correlated ({STRONG_CORRELATION:g} < |r| <= {IDENTIFIABILITY_THRESHOLD:g}): "
            f"{'; '.join(found['strongly correlated'])}: the data pin down their combination far better than each "
            "one, so their separate values (and their intervals) are uncertain; below the threshold at which lawfit "
            "warns."
        )
    if not parts:
        parts.append(f"No pair of parameters has |r| > {STRONG_CORRELATION:g} in the bootstrap draws.")
    return " ".join(parts) + " (Correlations of the bootstrap draws, log scale for log-scale parameters.)"


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
    log_mask = law.log_mask
    # Curvature away from an optimum says nothing about identifiability: without convergence, only draws count.
    hessian = result.hessian if result.converged else None
    warning = identifiability(law.param_names, log_mask, hessian=hessian, draws=draws)
    if warning is not None:
        found.append(warning)
    return tuple(found)


def extrapolation(
    inputs: Mapping[str, np.ndarray], ranges: Mapping[str, Sequence[float]], limit: float = EXTRAPOLATION_LIMIT
) -> ExtrapolationWarning | None:
    """An :class:`ExtrapolationWarning` if an input goes beyond ``limit`` times its largest training value, or, for
    a law of N and D, if the tokens per parameter D/N leave the runs' span by more than ``limit`` times on either
    side (a law fitted near 20 tokens per parameter says little at 2,000 or at 0.1: Gadre et al. 2024)."""
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
    if "N" in inputs and "D" in inputs and "D/N" in ranges:
        low, high = (float(v) for v in ranges["D/N"])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.asarray(inputs["D"], dtype=np.float64) / np.asarray(inputs["N"], dtype=np.float64)
        most, least = float(np.max(ratio)), float(np.min(ratio))
        if most > limit * high or least < low / limit:
            value, side, bound = (most, "largest", high) if most > limit * high else (least, "smallest", low)
            times = f"{value / bound:.3g} times" if side == "largest" else f"1/{bound / value:.3g} of"
            return ExtrapolationWarning(
                f"Extrapolation: D/N = {value:.3g} tokens per parameter is {times} the {side} of the runs "
                f"({bound:.3g}), beyond the {limit:g}x limit; the law was not fitted in that regime: trust the "
                "prediction less, and fit runs with such ratios before relying on it.",
                input="D/N",
                value=value,
                **{side: bound},
                limit=float(limit),
            )
    return None
