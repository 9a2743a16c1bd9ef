"""Kaplan et al. 2020: ``L(N, D) = [(Nc/N)**(alpha_N/alpha_D) + Dc/D]**alpha_D``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import ClosedForms, Law, ParamSpec
from ._xp import namespace

__all__ = ["kaplan"]


def _optimum(p: Any, compute: Any, k: float) -> tuple[Any, Any]:
    """With ``a = alpha_N/alpha_D`` the loss falls with ``(Nc/N)**a + Dc*k*N/C``, least at
    ``N* = (a*Nc**a*C/(k*Dc))**(1/(a+1))``; ``D* = C/(k*N*)``."""
    a = p["alpha_N"] / p["alpha_D"]
    n = (a * p["Nc"] ** a * compute / (k * p["Dc"])) ** (1.0 / (a + 1.0))
    return n, compute / (k * n)


def _tokens_for_loss(p: Any, n: Any, loss: Any) -> Any:
    """``Dc/D = L**(1/alpha_D) - (Nc/N)**(alpha_N/alpha_D)``, solved for ``D``; NaN where ``N`` never reaches ``L``."""
    rest = loss ** (1.0 / p["alpha_D"]) - (p["Nc"] / n) ** (p["alpha_N"] / p["alpha_D"])
    return np.where(rest > 0, p["Dc"] / rest, np.nan)


def kaplan() -> Law:
    """Kaplan et al.'s joint law in parameters N and tokens D (published alpha_N ~ 0.076, alpha_D ~ 0.095,
    Nc ~ 8.8e13, Dc ~ 5.4e13).

    >>> kaplan().param_names
    ('Nc', 'Dc', 'alpha_N', 'alpha_D')
    """

    def fn(p: Any, inputs: Any) -> Any:
        return ((p["Nc"] / inputs["N"]) ** (p["alpha_N"] / p["alpha_D"]) + p["Dc"] / inputs["D"]) ** p["alpha_D"]

    def log_fn(p: Any, inputs: Any) -> Any:
        xp = namespace(p, inputs)

        n_term = (p["alpha_N"] / p["alpha_D"]) * (xp.log(p["Nc"]) - xp.log(inputs["N"]))
        d_term = xp.log(p["Dc"]) - xp.log(inputs["D"])
        return p["alpha_D"] * xp.logaddexp(n_term, d_term)

    decades = (1e8, 1e10, 1e12, 1e14, 1e16)
    return Law(
        name="kaplan",
        inputs=("N", "D"),
        params=(
            ParamSpec("Nc", lower=0.0, scale="log", grid=decades),
            ParamSpec("Dc", lower=0.0, scale="log", grid=decades),
            ParamSpec("alpha_N", lower=0.0, grid=(0.03, 0.07, 0.15, 0.3, 0.6)),
            # alpha_D divides alpha_N: keep it away from zero.
            ParamSpec("alpha_D", lower=1e-4, grid=(0.03, 0.07, 0.15, 0.3, 0.6)),
        ),
        fn=fn,
        log_fn=log_fn,
        formula="[(Nc/N)**(alpha_N/alpha_D) + Dc/D]**alpha_D",
        spec={"builtin": "kaplan"},
        closed_forms=ClosedForms(optimum=_optimum, tokens_for_loss=_tokens_for_loss),
    )
