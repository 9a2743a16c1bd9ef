"""Kaplan et al. 2020: ``L(N, D) = [(Nc/N)**(alpha_N/alpha_D) + Dc/D]**alpha_D``."""

from __future__ import annotations

from typing import Any

from ._base import Law, ParamSpec
from ._xp import namespace

__all__ = ["kaplan"]


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
    )
