"""Chinchilla (Hoffmann et al. 2022, Approach 3): ``L = E + A/N**alpha + B/D**beta``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._base import ClosedForms, Law, ParamSpec
from ._xp import namespace

__all__ = ["chinchilla"]

# Hoffmann et al.'s start grid, in log space for E, A, B: a, b in {0, 5, ..., 25}, e in {-1, -0.5, ..., 1},
# alpha, beta in {0, 0.5, ..., 2}: 4,500 starts.
_LOG_AB = tuple(math.exp(v) for v in range(0, 30, 5))
_LOG_E = tuple(math.exp(v) for v in (-1.0, -0.5, 0.0, 0.5, 1.0))
_EXPONENTS = (0.0, 0.5, 1.0, 1.5, 2.0)


def _optimum(p: Any, compute: Any, k: float) -> tuple[Any, Any]:
    """Hoffmann et al.'s eq. 4: ``N* = G*(C/k)**(beta/(alpha+beta))``, ``G = (alpha*A/(beta*B))**(1/(alpha+beta))``,
    and ``D* = C/(k*N*)``."""
    alpha, beta, a, b = p["alpha"], p["beta"], p["A"], p["B"]
    g = (alpha * a / (beta * b)) ** (1.0 / (alpha + beta))
    n = g * (compute / k) ** (beta / (alpha + beta))
    return n, compute / (k * n)


def _tokens_for_loss(p: Any, n: Any, loss: Any) -> Any:
    """``B/D**beta = L - E - A/N**alpha``, solved for ``D``; NaN where ``N`` parameters never reach ``L``."""
    rest = loss - p["E"] - p["A"] / n ** p["alpha"]
    return np.where(rest > 0, (p["B"] / rest) ** (1.0 / p["beta"]), np.nan)


def chinchilla() -> Law:
    """``L(N, D) = E + A/N**alpha + B/D**beta``, evaluated in log space as ``LSE(log A - alpha log N, ...)``; with
    closed forms for the compute-optimal allocation and for the tokens that reach a loss.

    >>> law = chinchilla()
    >>> law.start_grid().shape
    (4500, 5)
    """

    def fn(p: Any, inputs: Any) -> Any:
        return p["E"] + p["A"] / inputs["N"] ** p["alpha"] + p["B"] / inputs["D"] ** p["beta"]

    def log_fn(p: Any, inputs: Any) -> Any:
        xp = namespace(p, inputs)
        log_n, log_d = xp.log(inputs["N"]), xp.log(inputs["D"])
        terms = xp.stack(
            xp.broadcast_arrays(xp.log(p["A"]) - p["alpha"] * log_n, xp.log(p["B"]) - p["beta"] * log_d, xp.log(p["E"]))
        )
        return xp.logsumexp(terms, axis=0)

    return Law(
        name="chinchilla",
        inputs=("N", "D"),
        params=(
            ParamSpec("E", lower=0.0, scale="log", grid=_LOG_E),
            ParamSpec("A", lower=0.0, scale="log", grid=_LOG_AB),
            ParamSpec("B", lower=0.0, scale="log", grid=_LOG_AB),
            ParamSpec("alpha", lower=0.0, grid=_EXPONENTS),
            ParamSpec("beta", lower=0.0, grid=_EXPONENTS),
        ),
        fn=fn,
        log_fn=log_fn,
        formula="E + A/N**alpha + B/D**beta",
        spec={"builtin": "chinchilla"},
        closed_forms=ClosedForms(optimum=_optimum, tokens_for_loss=_tokens_for_loss),
    )
