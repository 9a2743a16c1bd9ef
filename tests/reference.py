"""The exhaustive reference search that lawfit is measured against (used by tests and benchmarks).

scipy's L-BFGS-B with an analytic gradient from each of Hoffmann's 4,500 starts, on the summed Huber (delta = 1e-3)
of log residuals of ``LSE(a - alpha log N, b - beta log D, e)``: the procedure of Hoffmann et al. 2022 as
Besiroglu et al. 2024 reimplemented it, and what the ``chinchilla`` package loops over.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import minimize


def huber_objective(
    theta: np.ndarray, log_n: np.ndarray, log_d: np.ndarray, log_loss: np.ndarray, delta: float
) -> tuple[float, np.ndarray]:
    """Summed Huber on log residuals of LSE(a - alpha log N, b - beta log D, e), and its analytic gradient."""
    a, b, e, alpha, beta = theta
    terms = np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)])
    top = terms.max(axis=0)
    expo = np.exp(terms - top)
    total = expo.sum(axis=0)
    r = log_loss - (top + np.log(total))
    small = np.abs(r) <= delta
    value = np.where(small, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta)).sum()
    dr = np.where(small, r, delta * np.sign(r))  # d huber / d r; d r / d prediction = -1
    share = expo / total
    grad = np.array(
        [
            -(share[0] * dr).sum(),
            -(share[1] * dr).sum(),
            -(share[2] * dr).sum(),
            (share[0] * log_n * dr).sum(),
            (share[1] * log_d * dr).sum(),
        ]
    )
    return float(value), grad


def reference_fit(log_n: np.ndarray, log_d: np.ndarray, log_loss: np.ndarray) -> tuple[float, np.ndarray]:
    grid = itertools.product(
        range(0, 30, 5),
        range(0, 30, 5),
        np.arange(-1, 1.5, 0.5),
        np.arange(0, 2.5, 0.5),
        np.arange(0, 2.5, 0.5),
    )
    best = None
    for start in grid:
        res = minimize(
            huber_objective,
            np.asarray(start, dtype=float),
            args=(log_n, log_d, log_loss, 1e-3),
            jac=True,
            method="L-BFGS-B",
        )
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    return float(best.fun), best.x
