"""Repeated-sampling coverage: the share of problems solved by at least one of k samples.

From per-problem counts (``n`` samples drawn, ``c`` of them correct):

- :func:`pass_at_k`: the unbiased estimator ``1 - C(n-c, k) / C(n, k)`` (Chen et al. 2021), exact and stable for
  ``n`` in the tens of thousands and any ``k <= n``: the ratio is the product ``prod_{i<c} (1 - k / (n - i))``,
  summed in logs (``log1p``, no cancellation) and complemented with ``expm1``.
- :func:`coverage_curve`: its mean over problems at each k, with a percentile band from a bootstrap over problems.
- :func:`fit_exp_power_law`: ``log coverage = a * k**b`` (Brown et al. 2024), least squares in ``log coverage``.
- :func:`fit_success_distribution`: a distribution of single-sample success ``p`` over problems, fitted by maximum
  likelihood to the counts; its expected coverage ``E[1 - (1-p)**k]`` holds at any k, beyond the samples drawn too
  (Schaeffer et al. 2025 explain the power law of coverage by such a distribution: a density ``~ p**(alpha-1)`` near
  0 gives ``1 - coverage ~ k**-alpha``).
- :func:`forecast_coverage`: the coverage of these problems at large k from few samples each, with intervals.
- :func:`compute_matched`: for a FLOPs budget per problem, the coverage of each model at the samples it affords.

The model of per-problem success, and its assumptions:

- The problems are exchangeable: their success rates are independent draws from one distribution, and each
  problem's correct samples are binomial given its rate (independent samples).
- That distribution is a Beta(alpha, beta) (density ``~ p**(alpha-1) (1-p)**(beta-1)``, the beta-binomial) or a
  Kumaraswamy(a, b) (CDF ``1 - (1 - p**a)**b``, density ``~ p**(a-1)`` near 0): the two families Schaeffer et al.
  2025 fit. By default both are fitted and averaged, each weighted by its likelihood (Bayesian model averaging with
  equal prior weights and the same number of parameters); the forecast and each problem's posterior are those of the
  average, and the interval draws the family of each resample with its weight. ``family="beta"`` or
  ``"kumaraswamy"`` keeps one.
- A forecast far beyond the samples drawn (k = 10,000 from 100) extrapolates the family's power-law tail below the
  resolution 1/n, which the counts do not see: the problems never solved are the ones that matter, and only the
  family's shape ties their rates to those of the problems solved. No estimator avoids such an assumption: without
  one, the number of newly solved problems can be forecast only to about log(n) times the samples drawn (Orlitsky,
  Suresh and Wu 2016, PNAS, on unseen species). So the forecast is as good as the tail's shape.

Why the average: on the Pythia MATH counts (Brown et al. 2024) the two families fit the 10,000-sample counts about
equally well (log-likelihoods within 5 of each other for each of the 7 models), yet from 100 samples they forecast
the coverage at 10,000 apart by about 0.1 (the Beta below the truth, the Kumaraswamy above it, on 6 of 7 models):
the family is not known, so its uncertainty belongs in the forecast. Measured (benchmarks/bench_coverage.py, 100
samples per problem, 20 seeds, point forecasts): mean absolute error 0.066 with the Beta alone, 0.076 with the
Kumaraswamy, 0.060 with the average (whose 90% interval covers the truth in 94% of the 140 model-seed cases, 92%
with the Beta alone); chosen by leave-one-model-out (on 6 models, scored on the 7th) among the Beta,
the Kumaraswamy, the generalized beta of the first kind (which nests both; 0.096) and the average, the average is
chosen for every model. The target of 0.03 is not met: the 160M model (16% of the problems solved in 100 samples)
is forecast 0.16 too high on average, its unsolved problems being harder than either family's tail implies.

Tried and left out (the same 100-sample back-test): a point mass at p = 0 with the Beta (error 0.108); the Beta
averaged over bootstrap refits (0.065); a smooth log-density on a grid of logit p (Efron's g-modelling, natural
spline with 4 degrees of freedom, penalized: 0.080 to 0.159, its penalty drawing the tail flat); a common prior on
the Beta's log alpha across the 7 models' 100-sample counts (0.060 to 0.074 by its width, 0.080 with the width chosen
leave-one-model-out).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import Integer, Options, Real, check, check_level, constrained
from ..errors import DataError, LawfitError

__all__ = [
    "ComputeMatched",
    "CoverageCurve",
    "CoverageForecast",
    "ExpPowerLaw",
    "SuccessDistribution",
    "compute_matched",
    "coverage_curve",
    "fit_exp_power_law",
    "fit_success_distribution",
    "forecast_coverage",
    "pass_at_k",
    "read_counts",
    "subsample_counts",
]

_CHUNK = 4_000_000  # elements of one block of log terms in pass_at_k
_POSITIVE = Real(0, math.inf, closed="neither")
_DEFAULT_K = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)


def frozen(values: Any, dtype: Any = np.float64) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.flags.writeable = False
    return array


def quantile_interval(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return low, high


# ---------------------------------------------------------------------------------------------------------------
# Checks of counts and of k


def whole_counts(values: Any, name: str, where: str) -> np.ndarray:
    """``values`` as a 1-D int64 array of whole numbers >= 0, else one clear error."""
    array = np.atleast_1d(np.asarray(values))
    if array.ndim != 1:
        raise DataError(f"The '{name}' parameter of {where} must be a 1-D list of counts. Got shape {array.shape}.")
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise DataError(f"The '{name}' parameter of {where} must hold whole numbers. Got {array[:3].tolist()!r}.")
    floats = array.astype(np.float64)
    bad = ~np.isfinite(floats) | (floats != np.round(floats))
    if bad.any():
        raise DataError(
            f"The '{name}' parameter of {where} must hold whole numbers (counts of samples). Got "
            f"{float(floats[bad][0])!r} at position {int(np.flatnonzero(bad)[0])} instead."
        )
    if (floats < 0).any():
        raise DataError(
            f"The '{name}' parameter of {where} must hold counts >= 0. Got {floats[floats < 0][0]:g} at position "
            f"{int(np.flatnonzero(floats < 0)[0])} instead."
        )
    return floats.astype(np.int64)


def _counts(n: Any, c: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-problem samples ``n`` (>= 1) and correct ``c`` (0..n), checked, as int64 arrays."""
    n_, c_ = whole_counts(n, "n", where), whole_counts(c, "c", where)
    if n_.shape != c_.shape:
        raise DataError(f"{where} needs one n and one c per problem. Got {n_.size} values of n and {c_.size} of c.")
    if n_.size == 0:
        raise DataError(f"{where} needs the counts of at least one problem. Got none.")
    if (n_ == 0).any():
        i = int(np.flatnonzero(n_ == 0)[0])
        raise DataError(
            f"Problem {i} has n = 0 samples: its success rate is unknown. Drop it, or give at least one sample."
        )
    if (c_ > n_).any():
        i = int(np.flatnonzero(c_ > n_)[0])
        raise DataError(
            f"Problem {i} has c = {c_[i]} correct of n = {n_[i]} samples: c must be at most n. Check the columns."
        )
    return n_, c_


def _ks(k: Any, where: str) -> np.ndarray:
    values = np.atleast_1d(np.asarray(k))
    if values.ndim != 1 or values.size == 0:
        raise LawfitError(f"The 'k' parameter of {where} must be one or more sample counts >= 1. Got {k!r} instead.")
    try:
        floats = values.astype(np.float64)
    except (TypeError, ValueError):
        raise LawfitError(f"The 'k' parameter of {where} must be whole numbers >= 1. Got {k!r} instead.") from None
    whole = np.all(np.isfinite(floats)) and np.all(floats == np.round(floats))
    if values.dtype == bool or not whole or floats.min() < 1:
        raise LawfitError(f"The 'k' parameter of {where} must be whole numbers >= 1. Got {k!r} instead.")
    return floats.astype(np.int64)


# ---------------------------------------------------------------------------------------------------------------
# The unbiased estimator


def pass_at_k(n: Any, c: Any, k: Any) -> np.ndarray:
    """The unbiased estimate of pass@k per problem, ``1 - C(n-c, k) / C(n, k)``, shape ``(problems, len(k))``.

    The chance that k samples drawn without replacement from a problem's n include at least one of its c correct
    ones. Exact and stable for any ``k <= n``: the ratio is ``prod_{i<c} (1 - k/(n-i))``, summed in logs.

    Parameters
    ----------
    n, c : array-like of int
        Samples drawn and samples correct, one per problem (``0 <= c <= n``, ``n >= 1``).
    k : int or array-like of int
        Sample counts, each ``1 <= k <= min(n)``.

    Examples
    --------
    >>> pass_at_k([4, 10_000], [1, 1], [1, 2]).round(6).tolist()
    [[0.25, 0.5], [0.0001, 0.0002]]
    """
    n_, c_ = _counts(n, c, "pass_at_k")
    ks = _ks(k, "pass_at_k")
    if ks.max() > n_.min():
        raise LawfitError(
            f"The unbiased pass@k needs k <= n for every problem; k = {ks.max()} exceeds n = {n_.min()}. Give k up "
            "to the samples drawn, or forecast beyond them with forecast_coverage."
        )
    out = np.ones((n_.size, ks.size), dtype=np.float64)
    out[c_ == 0] = 0.0
    for size in np.unique(n_):
        rows = np.flatnonzero((n_ == size) & (c_ > 0))
        if not rows.size:
            continue
        c_max = int(c_[rows].max())
        i = np.arange(c_max, dtype=np.float64)
        step = max(1, _CHUNK // max(c_max, 1))
        for start in range(0, ks.size, step):
            block = ks[start : start + step].astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                terms = np.log1p(-block[:, None] / (size - i[None, :]))  # (k, i): log(1 - k/(n-i))
            sums = np.concatenate([np.zeros((block.size, 1)), np.cumsum(terms, axis=1)], axis=1)
            logs = sums[:, c_[rows]].T  # (rows, k): log of the ratio for each problem's c
            defined = (size - c_[rows])[:, None] >= block[None, :]  # else every k-subset holds a correct sample
            out[rows, start : start + step] = np.where(defined, -np.expm1(np.where(defined, logs, 0.0)), 1.0)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Coverage curves


@dataclass(frozen=True, eq=False)
class CoverageCurve:
    """Coverage (the mean of pass@k over problems) at each k, with a bootstrap band over problems.

    Attributes
    ----------
    k, coverage, low, high : numpy.ndarray
        Sample counts, coverage, and the band's bounds at ``level`` (NaN without resamples).
    level : float
    n_problems, n_resamples, seed : int

    Examples
    --------
    >>> curve = coverage_curve([4, 4], [1, 0], k=[1, 4], n_resamples=0)
    >>> curve.coverage.round(6).tolist(), curve.to_dict()["intervals"]["coverage"]["level"]
    ([0.125, 0.5], 0.9)
    """

    k: np.ndarray
    coverage: np.ndarray
    low: np.ndarray
    high: np.ndarray
    level: float
    n_problems: int
    n_resamples: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k.tolist(),
            "coverage": self.coverage.tolist(),
            "intervals": {
                "coverage": {
                    "value": self.coverage.tolist(),
                    "low": self.low.tolist(),
                    "high": self.high.tolist(),
                    "level": self.level,
                }
            },
            "n_problems": self.n_problems,
            "bootstrap": {"n_resamples": self.n_resamples, "seed": self.seed},
        }

    def summary(self) -> str:
        lines = [
            f"coverage   mean over {self.n_problems} problems of the unbiased pass@k; band: {self.level:.0%} "
            f"percentile of {self.n_resamples} resamples of problems (seed {self.seed})",
            f"  {'k':>8}  {'coverage':>9}  {'low':>7}  {'high':>7}",
        ]
        for k, value, low, high in zip(self.k, self.coverage, self.low, self.high, strict=True):
            lines.append(f"  {k:>8d}  {value:>9.4f}  {low:>7.4f}  {high:>7.4f}")
        return "\n".join(lines)


@constrained(n_resamples=Integer(0), seed=Integer(0))
def coverage_curve(
    n: Any, c: Any, k: Any = None, *, level: float = 0.9, n_resamples: int = 1000, seed: int = 0
) -> CoverageCurve:
    """Coverage at each k, the mean over problems of :func:`pass_at_k`, with a percentile band from resampling the
    problems (``n_resamples`` times, seeded).

    ``k`` defaults to the powers of 2 up to the fewest samples of a problem, and that count itself.

    Examples
    --------
    >>> curve = coverage_curve([10, 10, 10, 10], [0, 1, 5, 10], k=[1, 10], n_resamples=200)
    >>> curve.coverage.tolist(), bool(curve.low[0] <= curve.coverage[0] <= curve.high[0])
    ([0.4, 0.75], True)
    """
    level = check_level(level, where="coverage_curve")
    n_, c_ = _counts(n, c, "coverage_curve")
    if k is None:
        top = int(n_.min())
        k = sorted({*(v for v in _DEFAULT_K if v <= top), top})
    ks = _ks(k, "coverage_curve")
    per_problem = pass_at_k(n_, c_, ks)
    coverage = per_problem.mean(axis=0)
    if n_resamples:
        rng = np.random.default_rng(seed)
        weights = rng.multinomial(n_.size, np.full(n_.size, 1.0 / n_.size), size=n_resamples) / n_.size
        low, high = quantile_interval(weights @ per_problem, level)
    else:
        low = high = np.full(ks.size, np.nan)
    return CoverageCurve(
        frozen(ks, np.int64),
        frozen(coverage),
        frozen(low),
        frozen(high),
        level,
        int(n_.size),
        n_resamples,
        seed,
    )


# ---------------------------------------------------------------------------------------------------------------
# The exponentiated power law


@dataclass(frozen=True)
class ExpPowerLaw:
    """``coverage = exp(a * k**b)`` (Brown et al. 2024): ``a < 0``, and ``b < 0`` when coverage rises with k.

    Attributes
    ----------
    a, b : float
    k_max : float
        The largest k fitted: beyond it, :meth:`predict` extrapolates.
    rmse_log : float
        The root mean square residual of ``log coverage``.

    Examples
    --------
    >>> law = ExpPowerLaw(a=-4.0, b=-0.3, k_max=100, rmse_log=0.0)
    >>> law.predict([1, 10_000]).round(3).tolist()
    [0.018, 0.777]
    """

    a: float
    b: float
    k_max: float
    rmse_log: float

    def predict(self, k: Any) -> np.ndarray:
        """Coverage at ``k`` (any positive numbers)."""
        return np.exp(self.a * np.asarray(k, dtype=np.float64) ** self.b)

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "k_max": self.k_max, "rmse_log": self.rmse_log}

    def summary(self) -> str:
        return (
            f"law        log coverage = a * k^b: a = {self.a:.4g}, b = {self.b:.4g} (fitted up to k = {self.k_max:g}; "
            f"rms log residual {self.rmse_log:.3g})"
        )


def fit_exp_power_law(k: Any, coverage: Any = None) -> ExpPowerLaw:
    """Fit ``log coverage = a * k**b`` by least squares in ``log coverage`` (as ``scipy.optimize.curve_fit`` of
    ``log c`` on ``k``), started from a straight line of ``log(-log c)`` on ``log k``.

    ``k`` may be a :class:`CoverageCurve` (then without ``coverage``). Coverage must lie in (0, 1).

    Examples
    --------
    >>> law = fit_exp_power_law([1, 10, 100, 1000], [0.1, 0.3, 0.5, 0.65])
    >>> round(law.a, 3), round(law.b, 3), bool(law.predict(10_000) > 0.65)
    (-2.284, -0.26, True)
    """
    from scipy.optimize import least_squares

    if isinstance(k, CoverageCurve):
        k, coverage = k.k, k.coverage
    ks = np.asarray(k, dtype=np.float64).ravel()
    cov = np.asarray(coverage, dtype=np.float64).ravel()
    if ks.shape != cov.shape or ks.size < 2:
        raise LawfitError(
            f"fit_exp_power_law needs one coverage per k, at two k or more. Got {ks.size} k and {cov.size} coverages."
        )
    if not (np.all(np.isfinite(ks)) and ks.min() > 0):
        raise LawfitError(f"The 'k' parameter of fit_exp_power_law must hold positive numbers. Got {ks.tolist()!r}.")
    if not (np.all(np.isfinite(cov)) and cov.min() > 0 and cov.max() < 1):
        raise LawfitError(
            "The 'coverage' parameter of fit_exp_power_law must lie in (0, 1): its log must be finite and negative. "
            f"Got {cov.tolist()!r}; drop k with coverage 0 or 1."
        )
    logc = np.log(cov)
    slope, intercept = np.polyfit(np.log(ks), np.log(-logc), 1)
    start = np.array([-math.exp(intercept), slope])
    out = least_squares(lambda q: q[0] * ks ** q[1] - logc, start, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
    a, b = (float(v) for v in out.x)
    residual = a * ks**b - logc
    return ExpPowerLaw(a, b, float(ks.max()), float(np.sqrt(np.mean(residual**2))))


# ---------------------------------------------------------------------------------------------------------------
# The per-problem distribution of single-sample success


_BOUNDS = np.array([[-14.0, 8.0], [-14.0, 18.0]])  # log alpha, log beta
_KUMA_BOUNDS = np.array([[-12.0, 4.0], [-8.0, 12.0]])  # log a, log b
_FAMILIES = ("average", "beta", "kumaraswamy")
# The Kumaraswamy's likelihood is integrated over cells of p, 780 of equal width in logit p from -27 to 12 (p from
# 2e-12 to 1 - 6e-6; the first and last cells reach 0 and 1): within a cell its density is taken as flat, and each
# problem's binomial likelihood is integrated exactly over the cell (regularized incomplete beta functions), so even
# the sharp likelihood of 10,000 samples is integrated exactly. On the bundled counts the cells move a fitted
# distribution's log-likelihood by less than 0.01.
_EDGES = 1.0 / (1.0 + np.exp(-np.linspace(-27.0, 12.0, 781)))
_EDGES[0], _EDGES[-1] = 0.0, 1.0
_WIDTHS = np.diff(_EDGES)
_LOG_INNER = np.log(_EDGES[1:-1])


def _digamma_terms(a: np.ndarray, b: np.ndarray, n: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, ...]:
    from scipy.special import betaln, polygamma, psi

    a, b = a[:, None], b[:, None]
    ll = betaln(c + a, n - c + b) - betaln(a, b)
    ga = psi(c + a) - psi(n + a + b) - psi(a) + psi(a + b)
    gb = psi(n - c + b) - psi(n + a + b) - psi(b) + psi(a + b)
    t_nab, t_ab = polygamma(1, n + a + b), polygamma(1, a + b)
    haa = polygamma(1, c + a) - t_nab - polygamma(1, a) + t_ab
    hbb = polygamma(1, n - c + b) - t_nab - polygamma(1, b) + t_ab
    hab = t_ab - t_nab
    return ll, ga, gb, haa, hbb, hab


def _damped_newton(evaluate: Any, theta: np.ndarray, bounds: np.ndarray, iterations: int) -> tuple[np.ndarray, ...]:
    """Maximise, for each row of ``theta`` (two parameters), the function ``evaluate`` returns with its gradient and
    Hessian (value, grad, huu, hvv, huv): Newton steps damped (Levenberg) until the value rises, batched over rows.
    Returns the maxima, their values and whether each row converged (gradient flat, or no step left)."""
    rows = theta.shape[0]
    damping = np.full(rows, 1e-3)
    value, grad, huu, hvv, huv = evaluate(theta)
    done = np.zeros(rows, dtype=bool)
    flat = done
    for _ in range(iterations):
        # Solve (-H + damping * scale) step = grad, for the 2x2 Hessian of each row.
        scale = np.maximum(np.abs(huu) + np.abs(hvv), 1e-12)
        m11, m22, m12 = -huu + damping * scale, -hvv + damping * scale, -huv
        det = m11 * m22 - m12 * m12
        ok = det > 0
        safe = np.where(ok, det, 1.0)
        step = np.stack([(m22 * grad[:, 0] - m12 * grad[:, 1]) / safe, (m11 * grad[:, 1] - m12 * grad[:, 0]) / safe], 1)
        step = np.where(ok[:, None], step, grad / scale[:, None])
        step = np.clip(step, -2.0, 2.0)
        theta_before = theta
        trial = np.clip(theta + step, bounds[:, 0], bounds[:, 1])
        t_value, t_grad, t_huu, t_hvv, t_huv = evaluate(trial)
        better = t_value >= value
        theta = np.where(better[:, None], trial, theta)
        value = np.where(better, t_value, value)
        grad = np.where(better[:, None], t_grad, grad)
        huu, hvv, huv = (np.where(better, new, old) for new, old in ((t_huu, huu), (t_hvv, hvv), (t_huv, huv)))
        damping = np.where(better, np.maximum(damping / 4, 1e-9), damping * 8)
        moved = np.abs(np.where(better[:, None], trial - theta_before, 0.0)).max(axis=1)
        # A gradient pointing out of a bound the row sits on does not count against convergence.
        at_low, at_high = theta <= bounds[:, 0], theta >= bounds[:, 1]
        inward = np.where(at_low, np.maximum(grad, 0.0), np.where(at_high, np.minimum(grad, 0.0), grad))
        flat = np.abs(inward).max(axis=1) <= 1e-7 * (1 + np.abs(value))
        done = flat | ((moved < 1e-10) & better) | (damping > 1e8)
        if np.all(done):
            break
    return theta, value, flat | ((damping > 1e8) & (np.abs(grad).max(axis=1) <= 1e-4 * (1 + np.abs(value))))


def _fit_beta(n: np.ndarray, c: np.ndarray, weights: np.ndarray, iterations: int = 200) -> tuple[np.ndarray, ...]:
    """Maximum-likelihood (log alpha, log beta) of a beta-binomial, for each row of ``weights`` (resamples x
    distinct counts): Newton steps in log space. Returns the parameters, the log-likelihoods (without the binomial
    coefficients) and whether each row converged."""
    # Start from the moments of the pooled success rates, a common Beta prior's method of moments.
    p = c / n
    mean = np.clip((weights @ p) / weights.sum(axis=1), 1e-4, 1 - 1e-4)
    var = np.maximum((weights @ p**2) / weights.sum(axis=1) - mean**2, 1e-8)
    strength = np.clip(mean * (1 - mean) / var - 1, 0.05, 1e4)
    theta = np.stack([np.log(mean * strength), np.log((1 - mean) * strength)], axis=1)
    theta = np.clip(theta, _BOUNDS[:, 0] + 1, _BOUNDS[:, 1] - 1)

    def evaluate(t: np.ndarray) -> tuple[np.ndarray, ...]:
        a, b = np.exp(t[:, 0]), np.exp(t[:, 1])
        ll, ga, gb, haa, hbb, hab = _digamma_terms(a, b, n, c)
        value = np.sum(weights * ll, axis=1)
        ga_, gb_ = np.sum(weights * ga, axis=1), np.sum(weights * gb, axis=1)
        grad = np.stack([a * ga_, b * gb_], axis=1)
        huu = a * a * np.sum(weights * haa, axis=1) + a * ga_
        hvv = b * b * np.sum(weights * hbb, axis=1) + b * gb_
        huv = a * b * np.sum(weights * hab, axis=1)
        return value, grad, huu, hvv, huv

    return _damped_newton(evaluate, theta, _BOUNDS, iterations)


def _cell_table(n: np.ndarray, c: np.ndarray, extra: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The cells' likelihoods of :func:`_cell_log_likelihood`, each pair's scaled by its largest (shape (cells,
    pairs)), and the logs of those largest (pairs)."""
    cells = _cell_log_likelihood(n, c, extra)
    top = cells.max(axis=1)
    return np.exp(cells - top[:, None]).T, top


def _cell_log_likelihood(n: np.ndarray, c: np.ndarray, extra: float = 0.0) -> np.ndarray:
    """``log`` of the mean over each cell of ``p**c * (1-p)**(n - c + extra)``, shape (pairs, cells)."""
    from scipy.special import betainc, betaincc, betaln

    a, b = (c + 1.0)[:, None], (n - c + extra + 1.0)[:, None]
    low, high = _EDGES[None, :-1], _EDGES[None, 1:]
    upper = betainc(a, b, high)
    # The difference of the two regularized incomplete betas, from the side where it does not cancel.
    mass = np.where(upper < 0.5, upper - betainc(a, b, low), betaincc(a, b, low) - betaincc(a, b, high))
    with np.errstate(divide="ignore"):
        return betaln(a, b) + np.log(np.maximum(mass, 0.0)) - np.log(_WIDTHS)[None, :]


def _kumaraswamy_cells(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Kumaraswamy(a, b) mass of each cell, CDF ``1 - (1 - p**a)**b``, and its derivatives in log a and
    log b; rows of theta (log a, log b); shape (rows, cells) each."""
    a, b = np.exp(theta[:, 0])[:, None], np.exp(theta[:, 1])[:, None]
    ax = a * _LOG_INNER[None, :]  # log p**a at the inner edges
    below = np.expm1(ax)  # p**a - 1
    tail = np.log(-below)  # log(1 - p**a)
    survival = np.exp(b * tail)
    d_a = survival * b * (below + 1.0) * ax / below
    d_b = survival * b * tail
    ones, zeros = np.ones((theta.shape[0], 1)), np.zeros((theta.shape[0], 1))
    out = []
    for inner, first in ((survival, ones), (d_a, zeros), (d_b, zeros)):
        full = np.concatenate([first, inner, zeros], axis=1)
        out.append(full[:, :-1] - full[:, 1:])
    return out[0], out[1], out[2]


def _fit_kumaraswamy(
    n: np.ndarray,
    c: np.ndarray,
    weights: np.ndarray,
    start: np.ndarray,
    iterations: int = 200,
    table: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, ...]:
    """Maximum-likelihood (log a, log b) of a Kumaraswamy distribution of success under binomial counts, for each row
    of ``weights`` (resamples x distinct counts), from ``start`` (rows x 2): damped Newton steps on the exact
    gradient, the Hessian from its forward differences. Returns the parameters, the log-likelihoods (without the
    binomial coefficients) and whether each row converged."""
    like, top = _cell_table(n, c) if table is None else table  # (cells, pairs), (pairs)
    offset = weights @ top

    def gradient(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mass, d_a, d_b = _kumaraswamy_cells(t)
        marginal = np.maximum(mass @ like, 1e-300)
        value = np.sum(weights * np.log(marginal), axis=1) + offset
        grad = np.stack([np.sum(weights * (d_a @ like) / marginal, 1), np.sum(weights * (d_b @ like) / marginal, 1)], 1)
        return value, grad

    def evaluate(t: np.ndarray) -> tuple[np.ndarray, ...]:
        value, grad = gradient(t)
        h = 1e-6
        columns = []
        for i in range(2):
            shift = np.zeros(2)
            shift[i] = h
            columns.append((gradient(t + shift)[1] - grad) / h)
        huv = 0.5 * (columns[0][:, 1] + columns[1][:, 0])
        return value, grad, columns[0][:, 0], columns[1][:, 1], huv

    return _damped_newton(evaluate, np.clip(start, _KUMA_BOUNDS[:, 0], _KUMA_BOUNDS[:, 1]), _KUMA_BOUNDS, iterations)


def _kumaraswamy_mean(a: float, b: float) -> float:
    from scipy.special import betaln

    return float(b * np.exp(betaln(1 + 1 / a, b)))


@dataclass(frozen=True)
class SuccessDistribution:
    """A distribution of single-sample success ``p`` over problems, fitted to counts by maximum likelihood: a
    Beta(alpha, beta) (beta-binomial), a Kumaraswamy(a, b) (CDF ``1 - (1 - p**a)**b``), or the average of the two
    weighted by their likelihoods (``family="average"``, Bayesian model averaging with equal prior weights).

    Attributes
    ----------
    alpha, beta : float
        The Beta's parameters (NaN when only the Kumaraswamy was fitted).
    log_likelihood : float
        Of the counts (with the binomial coefficients), at the optimum of the distribution as used: for the
        average, the log of the mean of the two families' likelihoods.
    n_problems : int
    family : str
        ``"beta"``, ``"kumaraswamy"`` or ``"average"``.
    kumaraswamy_a, kumaraswamy_b : float
        The Kumaraswamy's parameters (NaN when only the Beta was fitted).
    beta_log_likelihood, kumaraswamy_log_likelihood : float
        Each family's log-likelihood at its optimum (NaN when not fitted).
    weight : float
        The Beta's share in the average (its posterior probability, equal priors): 1 for the Beta, 0 for the
        Kumaraswamy.
    converged : bool
        Whether the fits of the families used converged (the gradient flat at the optimum).

    Examples
    --------
    >>> SuccessDistribution(alpha=1.0, beta=1.0, log_likelihood=0.0, n_problems=1).coverage([1, 9]).tolist()
    [0.5, 0.9]
    """

    alpha: float
    beta: float
    log_likelihood: float
    n_problems: int
    family: str = "beta"
    kumaraswamy_a: float = math.nan
    kumaraswamy_b: float = math.nan
    beta_log_likelihood: float = math.nan
    kumaraswamy_log_likelihood: float = math.nan
    weight: float = 1.0
    converged: bool = True

    def coverage(self, k: Any) -> np.ndarray:
        """Expected coverage at ``k`` (any k >= 0, real too) of a problem drawn from the distribution,
        ``E[1 - (1-p)**k]``: for the Beta ``1 - B(alpha, beta + k) / B(alpha, beta)``; for the Kumaraswamy its
        mass in each cell of p times the mean of ``(1-p)**k`` over the cell."""
        from scipy.special import betaln

        ks = np.asarray(k, dtype=np.float64)
        total = np.zeros(ks.shape)
        if self.weight > 0:
            total = total + self.weight * -np.expm1(betaln(self.alpha, self.beta + ks) - betaln(self.alpha, self.beta))
        if self.weight < 1:
            theta = np.log([[self.kumaraswamy_a, self.kumaraswamy_b]])
            mass = _kumaraswamy_cells(theta)[0][0]
            flat = ks.reshape(-1)
            power = flat[:, None] + 1.0
            left, right = 1.0 - _EDGES[None, :-1], 1.0 - _EDGES[None, 1:]
            with np.errstate(divide="ignore", invalid="ignore"):
                kept = (left**power - right**power) / (power * _WIDTHS[None, :])
            missed = (kept * mass[None, :]).sum(axis=1).reshape(ks.shape)
            total = total + (1 - self.weight) * (1 - missed)
        return total

    @property
    def mean(self) -> float:
        """The mean single-sample success over problems (mean pass@1)."""
        beta_mean = self.alpha / (self.alpha + self.beta) if self.weight > 0 else 0.0
        kuma_mean = _kumaraswamy_mean(self.kumaraswamy_a, self.kumaraswamy_b) if self.weight < 1 else 0.0
        return float(self.weight * beta_mean + (1 - self.weight) * kuma_mean)

    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "beta": self.beta,
            "mean": self.mean,
            "log_likelihood": self.log_likelihood,
            "n_problems": self.n_problems,
            "family": self.family,
            "kumaraswamy": {"a": self.kumaraswamy_a, "b": self.kumaraswamy_b},
            "beta_log_likelihood": self.beta_log_likelihood,
            "kumaraswamy_log_likelihood": self.kumaraswamy_log_likelihood,
            "weight": self.weight,
            "converged": self.converged,
        }

    def summary(self) -> str:
        state = "" if self.converged else "; the fit did NOT converge: treat it with care"
        beta = f"Beta(alpha = {self.alpha:.4g}, beta = {self.beta:.4g})"
        kuma = f"Kumaraswamy(a = {self.kumaraswamy_a:.4g}, b = {self.kumaraswamy_b:.4g})"
        if self.family == "beta":
            what = f"p ~ {beta}"
        elif self.family == "kumaraswamy":
            what = f"p ~ {kuma}"
        else:
            what = (
                f"p ~ {self.weight:.2f} x {beta} + {1 - self.weight:.2f} x {kuma} (each family weighted by its "
                "likelihood)"
            )
        return (
            f"success    {what} over {self.n_problems} problems (maximum likelihood of the counts); mean pass@1 "
            f"{self.mean:.4g}{state}"
        )


def _distinct(n: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (n, c) pairs, and for each problem the index of its pair."""
    pairs, index = np.unique(np.stack([n, c], axis=1), axis=0, return_inverse=True)
    return pairs[:, 0].astype(np.float64), pairs[:, 1].astype(np.float64), index.ravel()


def _binomial_constant(n: np.ndarray, c: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln

    return gammaln(n + 1) - gammaln(c + 1) - gammaln(n - c + 1)


# Starts of the Kumaraswamy's fit (log a, log b); the best after a few steps is refined.
_KUMA_STARTS = np.log([[0.3, 5.0], [0.1, 30.0], [1.0, 1.0], [0.2, 200.0]])


def _fit_families(
    n: np.ndarray, c: np.ndarray, family: str
) -> tuple[SuccessDistribution, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit the families ``family`` asks for to the distinct counts; the distribution, and the distinct pairs, their
    multiplicities and each problem's pair."""
    un, uc, index = _distinct(n, c)
    counts = np.bincount(index, minlength=un.size).astype(np.float64)
    constant = float(counts @ _binomial_constant(un, uc))
    nan = math.nan
    alpha = beta = a = b = ll_beta = ll_kuma = nan
    converged = True
    if family in ("average", "beta"):
        theta, value, ok = _fit_beta(un, uc, counts[None, :])
        alpha, beta = (float(v) for v in np.exp(theta[0]))
        ll_beta, converged = float(value[0]) + constant, bool(ok[0])
    if family in ("average", "kumaraswamy"):
        rough, value, _ = _fit_kumaraswamy(un, uc, np.repeat(counts[None, :], len(_KUMA_STARTS), 0), _KUMA_STARTS, 8)
        theta, value, ok = _fit_kumaraswamy(un, uc, counts[None, :], rough[[int(np.argmax(value))]])
        a, b = (float(v) for v in np.exp(theta[0]))
        ll_kuma, converged = float(value[0]) + constant, converged and bool(ok[0])
    if family == "average":
        weight = float(1.0 / (1.0 + np.exp(np.clip(ll_kuma - ll_beta, -700, 700))))
        log_likelihood = float(np.logaddexp(ll_beta, ll_kuma) - math.log(2))
    else:
        weight = 1.0 if family == "beta" else 0.0
        log_likelihood = ll_beta if family == "beta" else ll_kuma
    distribution = SuccessDistribution(
        alpha, beta, log_likelihood, int(n.size), family, a, b, ll_beta, ll_kuma, weight, converged
    )
    return distribution, un, uc, counts, index


@constrained(family=Options(*_FAMILIES))
def fit_success_distribution(n: Any, c: Any, *, family: str = "average") -> SuccessDistribution:
    """The distribution of single-sample success that best explains the counts, by maximum likelihood: a Beta
    (beta-binomial; Newton steps in log alpha and log beta), a Kumaraswamy (its likelihood integrated over fine cells
    of p), or by default both, averaged with weights proportional to their likelihoods.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.beta(0.3, 6.0, size=4000)
    >>> dist = fit_success_distribution(np.full(4000, 50), rng.binomial(50, p))
    >>> round(dist.alpha, 1), round(dist.beta, 0), dist.weight > 0.99
    (0.3, 6.0, True)
    """
    n_, c_ = _counts(n, c, "fit_success_distribution")
    if not c_.any():
        raise DataError(
            "fit_success_distribution needs at least one correct sample: with none, the success rate's distribution "
            "is only bounded (every problem unsolved in its samples). Draw more samples."
        )
    return _fit_families(n_, c_, family)[0]


# ---------------------------------------------------------------------------------------------------------------
# Forecasts from few samples


def _posterior_coverage(theta: np.ndarray, n: np.ndarray, c: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Each problem's expected pass@k for k fresh samples, given its counts and the Beta prior ``theta``
    (rows of log alpha, log beta): ``1 - B(a + c, b + n - c + k) / B(a + c, b + n - c)``; shape (rows, problems, k)."""
    from scipy.special import betaln

    a = np.exp(theta[:, 0])[:, None, None]
    b = np.exp(theta[:, 1])[:, None, None]
    cc, rest = c[None, :, None], (n - c)[None, :, None]
    return -np.expm1(betaln(a + cc, b + rest + k[None, None, :]) - betaln(a + cc, b + rest))


def _kumaraswamy_posterior_coverage(theta: np.ndarray, tables: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """As :func:`_posterior_coverage`, under the Kumaraswamy prior ``theta`` (rows of log a, log b): the posterior
    mean of ``1 - (1-p)**k`` over the cells of p, from the distinct pairs' cell tables (:func:`_cell_table`) with
    ``extra`` 0 and then each k; shape (rows, pairs, k)."""
    mass = _kumaraswamy_cells(theta)[0]  # (rows, cells)

    def log_marginal(table: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return np.log(np.maximum(mass @ table[0], 1e-300)) + table[1][None, :]  # (rows, pairs)

    base = log_marginal(tables[0])
    out = np.empty((theta.shape[0], tables[0][1].size, len(tables) - 1))
    for j, table in enumerate(tables[1:]):
        out[:, :, j] = -np.expm1(np.minimum(log_marginal(table) - base, 0.0))
    return out


@dataclass(frozen=True, eq=False)
class CoverageForecast:
    """The coverage of a set of problems at k fresh samples each, forecast from their counts.

    Attributes
    ----------
    k, coverage, low, high : numpy.ndarray
        Sample counts, forecast coverage and its interval at ``level``.
    distribution : SuccessDistribution
        The distribution fitted to all problems' counts (the prior of each problem's success rate): by default a
        Beta and a Kumaraswamy, weighted by their likelihoods.
    level : float
    n_problems, n_resamples, seed : int
    samples_per_problem : int
        The fewest samples of a problem (the forecast extrapolates beyond it).

    Examples
    --------
    >>> result = forecast_coverage([20, 20, 20], [0, 2, 9], [20, 2000], n_resamples=0)
    >>> result.samples_per_problem, bool(result.coverage[1] > result.coverage[0])
    (20, True)
    """

    k: np.ndarray
    coverage: np.ndarray
    low: np.ndarray
    high: np.ndarray
    distribution: SuccessDistribution
    level: float
    n_problems: int
    n_resamples: int
    seed: int
    samples_per_problem: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k.tolist(),
            "coverage": self.coverage.tolist(),
            "intervals": {
                "coverage": {
                    "value": self.coverage.tolist(),
                    "low": self.low.tolist(),
                    "high": self.high.tolist(),
                    "level": self.level,
                }
            },
            "distribution": self.distribution.to_dict(),
            "n_problems": self.n_problems,
            "samples_per_problem": self.samples_per_problem,
            "bootstrap": {"n_resamples": self.n_resamples, "seed": self.seed},
        }

    def summary(self) -> str:
        lines = [
            self.distribution.summary(),
            f"forecast   coverage of these {self.n_problems} problems at k fresh samples each, from their counts "
            f"(at least {self.samples_per_problem} samples each) and the fitted distribution as each problem's "
            "prior; "
            f"{self.level:.0%} interval: {self.n_resamples} resamples of problems refitted, each problem's "
            f"outcome drawn (seed {self.seed})",
            f"  {'k':>8}  {'coverage':>9}  {'low':>7}  {'high':>7}",
        ]
        for k, value, low, high in zip(self.k, self.coverage, self.low, self.high, strict=True):
            lines.append(f"  {k:>8d}  {value:>9.4f}  {low:>7.4f}  {high:>7.4f}")
        return "\n".join(lines)


@constrained(n_resamples=Integer(0), seed=Integer(0), family=Options(*_FAMILIES))
def forecast_coverage(
    n: Any, c: Any, k: Any, *, level: float = 0.9, n_resamples: int = 1000, seed: int = 0, family: str = "average"
) -> CoverageForecast:
    """Forecast the coverage of these problems at ``k`` fresh samples each (any k, beyond the samples drawn too).

    A distribution of single-sample success is fitted to all problems' counts (:func:`fit_success_distribution`):
    by default a Beta and a Kumaraswamy, averaged with weights proportional to their likelihoods. Under each family,
    each problem's success rate has the posterior given its counts (for the Beta, ``Beta(alpha + c, beta + n - c)``,
    and its expected pass@k is ``1 - B(alpha + c, beta + n - c + k) / B(alpha + c, beta + n - c)``); the forecast
    is the likelihood-weighted average over the families of the mean over problems.

    The interval: the problems are resampled ``n_resamples`` times and both families refitted to each resample (the
    parameters' uncertainty); each resample takes one family, drawn with its likelihood weight in that resample (the
    uncertainty of the family); with it, every problem's outcome at k (solved or not) is drawn from its expected
    pass@k (the luck of the samples not yet drawn); the percentiles of the share solved bound the coverage.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> p = rng.beta(0.2, 8.0, size=300)
    >>> few = rng.binomial(100, p)
    >>> result = forecast_coverage(np.full(300, 100), few, [100, 10_000], n_resamples=200)
    >>> truth = (1 - (1 - p) ** 10_000).mean()
    >>> bool(result.low[1] <= truth <= result.high[1]), bool(result.coverage[1] > result.coverage[0])
    (True, True)
    """
    level = check_level(level, where="forecast_coverage")
    n_, c_ = _counts(n, c, "forecast_coverage")
    ks = _ks(k, "forecast_coverage").astype(np.float64)
    if not c_.any():
        raise DataError(
            "fit_success_distribution needs at least one correct sample: with none, the success rate's distribution "
            "is only bounded (every problem unsolved in its samples). Draw more samples."
        )
    distribution, un, uc, counts, index = _fit_families(n_, c_, family)
    use_beta, use_kuma = family in ("average", "beta"), family in ("average", "kumaraswamy")
    nf, cf = n_.astype(np.float64), c_.astype(np.float64)
    coverage = np.zeros(ks.size)
    if use_beta:
        theta = np.log([[distribution.alpha, distribution.beta]])
        coverage += distribution.weight * _posterior_coverage(theta, nf, cf, ks)[0].mean(axis=0)
    if use_kuma:
        tables = [_cell_table(un, uc, extra) for extra in (0.0, *ks)]
        theta = np.log([[distribution.kumaraswamy_a, distribution.kumaraswamy_b]])
        per_pair = _kumaraswamy_posterior_coverage(theta, tables)[0]
        coverage += (1 - distribution.weight) * (counts @ per_pair) / n_.size
    if n_resamples:
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, n_.size, size=(n_resamples, n_.size))
        weights = np.stack([np.bincount(index[row], minlength=un.size) for row in picks]).astype(np.float64)
        pick_beta = np.full(n_resamples, use_beta)
        if use_beta:
            thetas, ll_beta, _ = _fit_beta(un, uc, weights)
        if use_kuma:
            start = np.log([[distribution.kumaraswamy_a, distribution.kumaraswamy_b]]).repeat(n_resamples, 0)
            thetas_k, ll_kuma, _ = _fit_kumaraswamy(un, uc, weights, start, table=tables[0])
        if use_beta and use_kuma:
            share = 1.0 / (1.0 + np.exp(np.clip(ll_kuma - ll_beta, -700, 700)))
            pick_beta = rng.random(n_resamples) < share
        draws = np.empty((n_resamples, ks.size))
        for start in range(0, n_resamples, 64):
            rows = np.arange(start, min(start + 64, n_resamples))
            chance = np.empty((rows.size, n_.size, ks.size))
            beta_rows = pick_beta[rows]
            if beta_rows.any():
                chance[beta_rows] = _posterior_coverage(thetas[rows[beta_rows]], nf, cf, ks)
            if not beta_rows.all():
                chance[~beta_rows] = _kumaraswamy_posterior_coverage(thetas_k[rows[~beta_rows]], tables)[:, index]
            solved = rng.random(chance.shape) < chance
            draws[rows] = solved.mean(axis=1)
        low, high = quantile_interval(draws, level)
    else:
        low = high = np.full(ks.size, np.nan)
    return CoverageForecast(
        frozen(ks, np.int64),
        frozen(coverage),
        frozen(low),
        frozen(high),
        distribution,
        level,
        int(n_.size),
        n_resamples,
        seed,
        int(n_.min()),
    )


@constrained(seed=Integer(0))
def subsample_counts(n: Any, c: Any, samples: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The counts of ``samples`` samples drawn without replacement from each problem's ``n`` (hypergeometric,
    seeded): what fewer samples per problem would have shown.

    >>> n, c = subsample_counts([10_000, 10_000], [0, 10_000], 100)
    >>> n.tolist(), c.tolist()
    ([100, 100], [0, 100])
    """
    n_, c_ = _counts(n, c, "subsample_counts")
    samples = check(samples, Integer(1), "samples", "subsample_counts")
    if samples > n_.min():
        raise LawfitError(
            f"Cannot draw {samples} samples without replacement from a problem with n = {n_.min()}: give at most "
            f"{n_.min()} samples per problem."
        )
    rng = np.random.default_rng(seed)
    return np.full(n_.size, samples, dtype=np.int64), rng.hypergeometric(c_, n_ - c_, samples).astype(np.int64)


# ---------------------------------------------------------------------------------------------------------------
# Bigger model or more samples


@dataclass(frozen=True, eq=False)
class ComputeMatched:
    """Coverage of each model at each FLOPs budget per problem, at the samples the budget affords it.

    Attributes
    ----------
    compute : numpy.ndarray
        FLOPs per problem.
    models : tuple of str
    flops_per_sample : numpy.ndarray
        One per model.
    samples : numpy.ndarray
        ``(models, budgets)``: whole samples afforded, ``floor(compute / flops_per_sample)``.
    coverage : numpy.ndarray
        ``(models, budgets)``: the unbiased estimate where the samples afforded are at most those drawn, else the
        forecast (:func:`forecast_coverage`, without interval); 0 where not one sample is afforded.
    forecast : numpy.ndarray
        ``(models, budgets)``: True where the coverage is a forecast beyond the samples drawn.
    best : tuple of str
        The model with the most coverage at each budget.

    Examples
    --------
    >>> compute_matched({"m": ([10], [5])}, {"m": 2.0}, [4.0, 0.5]).to_dict()["samples"]
    [[2, 0]]
    """

    compute: np.ndarray
    models: tuple[str, ...]
    flops_per_sample: np.ndarray
    samples: np.ndarray
    coverage: np.ndarray
    forecast: np.ndarray
    best: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "C": self.compute.tolist(),
            "models": list(self.models),
            "flops_per_sample": self.flops_per_sample.tolist(),
            "samples": self.samples.tolist(),
            "coverage": self.coverage.tolist(),
            "forecast": self.forecast.tolist(),
            "best": list(self.best),
        }

    def summary(self) -> str:
        width = max(12, *(len(m) for m in self.models))
        head = f"  {'C per problem':>14}  " + "  ".join(f"{m:>{width}}" for m in self.models) + "  best"
        lines = [
            "compute    coverage at the samples each model affords per problem (k = C / FLOPs per sample); "
            "* a forecast beyond the samples drawn",
            head,
        ]
        for j, budget in enumerate(self.compute):
            cells = [
                f"{self.coverage[i, j]:.4f}{'*' if self.forecast[i, j] else ' '} k={self.samples[i, j]:<6d}"
                for i in range(len(self.models))
            ]
            lines.append(f"  {budget:>14.4g}  " + "  ".join(f"{cell:>{width}}" for cell in cells) + f"  {self.best[j]}")
        return "\n".join(lines)


def compute_matched(
    counts: Mapping[str, tuple[Any, Any]], flops_per_sample: Mapping[str, float], compute: Any
) -> ComputeMatched:
    """A bigger model or more samples? For each FLOPs budget per problem, each model's coverage at the
    ``floor(compute / flops_per_sample)`` samples it affords (e.g. ``2 N`` FLOPs per token times the tokens of a
    sample), and the model with the most.

    Parameters
    ----------
    counts : mapping of model -> (n, c)
        Per-problem counts of each model.
    flops_per_sample : mapping of model -> float
        Inference FLOPs of one sample of each model.
    compute : float or array-like
        FLOPs per problem.

    Examples
    --------
    >>> counts = {"small": ([100] * 3, [1, 0, 10]), "big": ([100] * 3, [30, 0, 60])}
    >>> result = compute_matched(counts, {"small": 1.0, "big": 10.0}, [10, 1000])
    >>> result.samples.tolist(), result.best
    ([[10, 1000], [1, 100]], ('big', 'small'))
    """
    if not isinstance(counts, Mapping) or not counts:
        raise LawfitError("The 'counts' parameter of compute_matched must map each model to its (n, c) counts.")
    models = tuple(str(m) for m in counts)
    missing = [m for m in counts if m not in flops_per_sample]
    if missing:
        raise LawfitError(f"compute_matched needs the FLOPs per sample of every model; {missing[0]!r} has none.")
    flops = np.array([check(flops_per_sample[m], _POSITIVE, "flops_per_sample", "compute_matched") for m in counts])
    budgets = np.atleast_1d(np.asarray(compute, dtype=np.float64))
    if budgets.ndim != 1 or not np.all(np.isfinite(budgets)) or budgets.min() <= 0:
        raise LawfitError(f"The 'compute' parameter of compute_matched must be positive FLOPs. Got {compute!r}.")
    samples = np.floor(budgets[None, :] / flops[:, None]).astype(np.int64)
    coverage = np.zeros(samples.shape)
    forecast = np.zeros(samples.shape, dtype=bool)
    for i, model in enumerate(counts):
        n, c = _counts(*counts[model], "compute_matched")
        inside = (samples[i] >= 1) & (samples[i] <= n.min())
        if inside.any():
            coverage[i, inside] = pass_at_k(n, c, samples[i, inside]).mean(axis=0)
        beyond = samples[i] > n.min()
        if beyond.any():
            coverage[i, beyond] = forecast_coverage(n, c, samples[i, beyond], n_resamples=0).coverage
            forecast[i, beyond] = True
    best = tuple(models[i] for i in np.argmax(coverage, axis=0))
    return ComputeMatched(
        frozen(budgets),
        models,
        frozen(flops),
        frozen(samples, np.int64),
        frozen(coverage),
        frozen(forecast, bool),
        best,
    )


# ---------------------------------------------------------------------------------------------------------------
# Reading counts from a table


_ALIASES = {
    "model": ("model", "model_name", "name", "run", "group"),
    "n": ("n_samples", "n", "samples", "num_samples", "attempts", "num_samples_total", "total"),
    "c": ("n_correct", "c", "correct", "num_correct", "successes", "num_samples_correct", "solved"),
}


def read_counts(
    source: Any, *, columns: Mapping[str, str] | None = None, format: str | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-problem counts from a table (a file, a DataFrame or a mapping): one row per problem (and model), with
    the samples drawn (``n_samples``, ``n``, ...) and correct (``n_correct``, ``c``, ...); an optional ``model``
    column splits the rows. ``columns`` maps ``model``, ``n`` or ``c`` to a column's name.

    Returns ``{model: (n, c)}`` in the order of first appearance (one model ``"all"`` without a model column).

    Examples
    --------
    >>> read_counts({"model": ["a", "a", "b"], "n_samples": [10, 10, 5], "n_correct": [1, 0, 5]})
    {'a': (array([10, 10]), array([1, 0])), 'b': (array([5]), array([5]))}
    """
    from ..data import listing, match_columns, read_table

    table = read_table(source, format=format)
    frame = table.frame
    available = list(frame.columns)
    mapping = dict(columns or {})
    unknown = [name for name in mapping if name not in ("model", "n", "c")]
    if unknown:
        raise LawfitError(
            f"The 'columns' parameter of read_counts maps model, n or c to a column. Got {unknown[0]!r} instead."
        )
    for name, label in mapping.items():
        if label not in available:
            raise DataError(
                f"The column {label!r} mapped to {name} is not in the table from {table.origin.described}. "
                f"Available columns: {listing(available)}."
            )
    for name in ("model", "n", "c"):
        if name not in mapping:
            found = match_columns([label for label in available if label not in mapping.values()], _ALIASES[name])
            if found:
                mapping[name] = found[0]
    for name, what in (("n", "samples drawn"), ("c", "correct samples")):
        if name not in mapping:
            raise DataError(
                f"The table from {table.origin.described} has no column of the {what} per problem (named "
                f"{', '.join(_ALIASES[name][:3])}, ...). Map it with --col {name}=COLUMN (Python: "
                f"columns={{'{name}': 'COLUMN'}}). Available columns: {listing(available)}."
            )
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    labels = frame[mapping["model"]].astype(str).to_numpy() if "model" in mapping else np.full(len(frame), "all")
    if not len(frame):
        raise DataError(f"The table from {table.origin.described} has no rows. Give one row per problem.")
    for name in ("n", "c"):
        values = frame[mapping[name]]
        numeric = np.asarray(values.to_numpy(), dtype=object)
        try:
            floats = numeric.astype(np.float64)
        except (TypeError, ValueError):
            bad = next(v for v in numeric if not _is_number(v))
            raise DataError(
                f"The column {mapping[name]!r} ({name}) from {table.origin.described} must hold whole counts. Got "
                f"{bad!r} instead."
            ) from None
        frame = frame.assign(**{f"__{name}": floats})
    for model in dict.fromkeys(labels):
        rows = labels == model
        try:
            n, c = _counts(frame["__n"].to_numpy()[rows], frame["__c"].to_numpy()[rows], "read_counts")
        except DataError as error:
            where = f" (model {model!r})" if "model" in mapping else ""
            raise DataError(f"In the table from {table.origin.described}{where}: {error}") from None
        out[model] = (n, c)
    return out


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def by_model(counts: Mapping[str, tuple[Any, Any]], models: Sequence[str] | None = None) -> list[str]:
    """The models of ``counts``, or those named (each checked)."""
    if models is None:
        return list(counts)
    missing = [m for m in models if m not in counts]
    if missing:
        raise LawfitError(f"No counts for model {missing[0]!r}; the table has {', '.join(map(repr, counts))}.")
    return list(models)
