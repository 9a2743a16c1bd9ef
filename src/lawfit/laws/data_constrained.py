"""Data-constrained scaling (Muennighoff et al. 2023): Chinchilla in effective data ``D'`` and parameters ``N'``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import LawfitError
from ._base import Law, ParamSpec
from ._xp import namespace

__all__ = ["data_constrained"]

# The notebook starts R_D*, R_N* from linspace(0, 20, 4); 0 is outside a positive parameter, and the objective is
# flat over large R_D* (the best optimum lies near R_D* ~ 100), so the starts span 0.5 to 100 on a log scale.
_DECAY_GRID = tuple(float(v) for v in np.geomspace(0.5, 100.0, 5))
# The Chinchilla part starts from Hoffmann et al.'s grid, except that alpha divides beta in U_N: no zero exponents.
_LOG_E = tuple(math.exp(v) for v in (-1.0, -0.5, 0.0, 0.5, 1.0))
_LOG_AB = tuple(math.exp(v) for v in range(0, 30, 5))
_EXPONENTS = (0.25, 0.5, 1.0, 1.5)


def data_constrained(tie: bool = False) -> Law:
    """Muennighoff et al.'s law for repeated data: Chinchilla evaluated at effective tokens and parameters.

    With ``U`` unique tokens repeated to ``D`` tokens, ``R_D = max(D/U - 1, 0)`` repetitions count as
    ``D' = U + U*R_D*(1 - exp(-R_D/R_D*))`` fresh tokens. Parameters beyond ``U_N = min(N_opt(U), N)``, the
    compute-optimal size for ``U`` tokens under the Chinchilla part, count likewise:
    ``R_N = max(N/U_N - 1, 0)``, ``N' = U_N + U_N*R_N*(1 - exp(-R_N/R_N*))``. Then
    ``L = E + A/N'**alpha + B/D'**beta``, evaluated as ``LSE(log A - alpha log N', log B - beta log D', log E)``.

    ``U`` counts the unique tokens seen, so ``U <= D``. The parameters ``R_D`` and ``R_N`` are the paper's decay
    constants ``R_D*`` and ``R_N*``. The paper holds the Chinchilla part fixed at the authors' C4 fit and fits only
    those two; do the same with :meth:`Law.fix`. Their Chinchilla part has one exponent for N and D (``tie=True``
    here: ``beta`` is ``alpha``, one parameter fewer, which small runs pin down better). That objective is flat in
    ``R_D*``: optima from about 15 to 100 score within 0.2% of each other on the paper's data, so ``R_D*`` is weakly
    identified.

    Source: N. Muennighoff et al., "Scaling Data-Constrained Language Models", NeurIPS 2023 (arXiv:2305.16264),
    and the repository's ``utils/parametric_fit.ipynb``.

    Examples
    --------
    >>> import math
    >>> law = data_constrained().fix(
    ...     E=math.exp(0.6254804), A=math.exp(6.255414), B=math.exp(7.3049974), alpha=0.3526596, beta=0.3526596
    ... )
    >>> law.param_names
    ('R_D', 'R_N')
    >>> once = law.predict({"R_D": 15.4, "R_N": 5.3}, N=1e9, D=1e10, U=1e10)
    >>> four_epochs = law.predict({"R_D": 15.4, "R_N": 5.3}, N=1e9, D=1e10, U=2.5e9)
    >>> bool(four_epochs > once)
    True
    """

    if not isinstance(tie, bool):
        raise LawfitError(f"The 'tie' option of data_constrained must be True or False. Got {tie!r} instead.")

    def tied(p: Any) -> Any:
        return {**p, "beta": p["alpha"]} if tie else p

    def log_effective(p: Any, inputs: Any) -> tuple[Any, Any]:
        xp = namespace(p, inputs)

        n, d, u = inputs["N"], inputs["D"], inputs["U"]
        alpha, beta = p["alpha"], p["beta"]
        # N_opt(D_to_C(U)) = G * (G*U)**(beta/alpha), G = (alpha*A / (beta*B))**(1/(alpha+beta)): in logs.
        log_g = (xp.log(alpha * p["A"]) - xp.log(beta * p["B"])) / (alpha + beta)
        log_u_n = xp.minimum(log_g + (beta / alpha) * (log_g + xp.log(u)), xp.log(n))
        r_n = xp.maximum(n * xp.exp(-log_u_n) - 1.0, 0.0)
        r_d = xp.maximum(d / u - 1.0, 0.0)
        # R* (1 - exp(-R/R*)) with expm1: exact for R << R*, and no 0/0 since R* > 0.
        log_n = log_u_n + xp.log1p(-p["R_N"] * xp.expm1(-r_n / p["R_N"]))
        log_d = xp.log(u) + xp.log1p(-p["R_D"] * xp.expm1(-r_d / p["R_D"]))
        return log_n, log_d

    def log_fn(p: Any, inputs: Any) -> Any:
        xp = namespace(p, inputs)

        p = tied(p)
        log_n, log_d = log_effective(p, inputs)
        terms = xp.stack(
            xp.broadcast_arrays(xp.log(p["A"]) - p["alpha"] * log_n, xp.log(p["B"]) - p["beta"] * log_d, xp.log(p["E"]))
        )
        return xp.logsumexp(terms, axis=0)

    def fn(p: Any, inputs: Any) -> Any:
        xp = namespace(p, inputs)

        return xp.exp(log_fn(p, inputs))

    return Law(
        name="data_constrained",
        inputs=("N", "D", "U"),
        params=(
            ParamSpec("E", lower=0.0, scale="log", grid=_LOG_E),
            ParamSpec("A", lower=0.0, scale="log", grid=_LOG_AB),
            ParamSpec("B", lower=0.0, scale="log", grid=_LOG_AB),
            ParamSpec("alpha", lower=1e-4, grid=_EXPONENTS),
            *(() if tie else (ParamSpec("beta", lower=1e-4, grid=_EXPONENTS),)),
            ParamSpec("R_D", lower=0.0, scale="log", grid=_DECAY_GRID),
            ParamSpec("R_N", lower=0.0, scale="log", grid=_DECAY_GRID),
        ),
        fn=fn,
        log_fn=log_fn,
        formula=(
            f"E + A/N'**alpha + B/D'**{'alpha' if tie else 'beta'}, D' = U + U*R_D*(1 - exp(-(D/U - 1)/R_D)), "
            "N' = U_N + U_N*R_N*(1 - exp(-(N/U_N - 1)/R_N)), U_N = min(N_opt(U), N)"
        ),
        spec={"builtin": "data_constrained", **({"tie": True} if tie else {})},
    )
