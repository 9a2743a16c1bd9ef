"""Over-training (Gadre et al. 2024): ``L = E + a*N**eta + b*6**(eta/2)*(M*N)**eta`` with ``M = D/N``, ``eta < 0``."""

from __future__ import annotations

import math
from typing import Any

from ._base import Law, ParamSpec
from ._xp import namespace

__all__ = ["overtraining"]

# The grids of Chinchilla's Approach 3 for E, a, b; the exponent covers Gadre et al.'s fits (alpha_C about 0.1 to
# 0.2, eta = -2*alpha_C) and their curve-fit starts (eta in {-0.1, -0.3}).
_LOG_E = tuple(math.exp(v) for v in (-1.0, -0.5, 0.0, 0.5, 1.0))
_LOG_AB = tuple(math.exp(v) for v in range(0, 30, 5))
_ALPHA_C = (0.05, 0.1, 0.2, 0.4, 0.8)


def overtraining() -> Law:
    """Gadre et al.'s loss law in parameters ``N`` and token multiplier ``M = D/N``, one exponent for both.

    ``L(N, M) = E + a*N**eta + b*6**(eta/2)*(M*N)**eta``, or in compute ``C = 6*M*N**2``:
    ``L = E + C**-alpha_C * (a*6**alpha_C*M**alpha_C + b*M**-alpha_C)``. The law is fitted in the positive
    exponent ``alpha_C = -eta/2`` (bounded below by 0), the paper's compute exponent; the inputs are ``N`` and
    ``D`` (the law forms ``M = D/N`` itself). Evaluated in log space as ``LSE(log a - 2*alpha_C*log N,
    log b - alpha_C*log 6 - 2*alpha_C*log D, log E)``, since ``M*N = D``.

    Source: S. Y. Gadre et al., "Language models scale reliably with over-training and on downstream tasks",
    arXiv:2403.08540 (2024).

    Examples
    --------
    >>> law = overtraining()
    >>> law.param_names
    ('E', 'a', 'b', 'alpha_C')
    >>> p = {"E": 1.9, "a": 400.0, "b": 1500.0, "alpha_C": 0.15}
    >>> round(float(law.predict(p, N=1e9, D=2e10)), 4)
    3.6293
    """

    def fn(p: Any, inputs: Any) -> Any:
        n = inputs["N"]
        m = inputs["D"] / n
        eta = -2.0 * p["alpha_C"]
        return p["E"] + p["a"] * n**eta + p["b"] * 6.0 ** (eta / 2.0) * (m * n) ** eta

    def log_fn(p: Any, inputs: Any) -> Any:
        xp = namespace(p, inputs)

        alpha_c = p["alpha_C"]
        terms = xp.stack(
            xp.broadcast_arrays(
                xp.log(p["a"]) - 2.0 * alpha_c * xp.log(inputs["N"]),
                xp.log(p["b"]) - alpha_c * math.log(6.0) - 2.0 * alpha_c * xp.log(inputs["D"]),
                xp.log(p["E"]),
            )
        )
        return xp.logsumexp(terms, axis=0)

    return Law(
        name="overtraining",
        inputs=("N", "D"),
        params=(
            ParamSpec("E", lower=0.0, scale="log", grid=_LOG_E),
            ParamSpec("a", lower=0.0, scale="log", grid=_LOG_AB),
            ParamSpec("b", lower=0.0, scale="log", grid=_LOG_AB),
            ParamSpec("alpha_C", lower=0.0, grid=_ALPHA_C),
        ),
        fn=fn,
        log_fn=log_fn,
        formula="E + a*N**eta + b*6**(eta/2)*(M*N)**eta, M = D/N, eta = -2*alpha_C",
        spec={"builtin": "overtraining"},
    )
