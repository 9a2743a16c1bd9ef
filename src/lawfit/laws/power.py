"""Power law plus constant in one input (Hestness et al. 2017; Henighan et al. 2020): ``L = E + A * x**-alpha``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import LawfitError
from ._base import INPUT_NAMES, Law, ParamSpec
from ._xp import namespace

__all__ = ["power"]


def power(x: str = "C") -> Law:
    """``L(x) = E + A * x**-alpha`` with ``x`` one of ``N``, ``D``, ``C``.

    >>> power("N").formula
    'E + A * N**-alpha'
    """
    if x not in INPUT_NAMES:
        raise LawfitError(f"The power law's input must be one of {', '.join(INPUT_NAMES)}. Got {x!r} instead.")

    def fn(p: Any, inputs: Any) -> Any:
        return p["E"] + p["A"] * inputs[x] ** -p["alpha"]

    def log_fn(p: Any, inputs: Any) -> Any:
        xp = namespace(p, inputs)

        return xp.logaddexp(xp.log(p["E"]), xp.log(p["A"]) - p["alpha"] * xp.log(inputs[x]))

    def guess(inputs: Any, loss: np.ndarray) -> np.ndarray:
        # For a few guesses of E below the smallest loss, A and alpha follow from a line in log-log space.
        lx = np.log(np.asarray(inputs[x], dtype=np.float64))
        starts = []
        for q in (0.0, 0.5, 0.8, 0.9, 0.95, 0.99):
            e = q * float(loss.min())
            reducible = loss - e
            if np.ptp(lx) == 0 or np.any(reducible <= 0):
                continue
            slope, intercept = np.polyfit(lx, np.log(reducible), 1)
            starts.append((max(e, 1e-6), math.exp(min(intercept, 700.0)), max(-slope, 0.0)))
        return np.asarray(starts, dtype=np.float64).reshape(-1, 3)

    return Law(
        name="power",
        inputs=(x,),
        params=(
            ParamSpec("E", lower=0.0, scale="log", grid=tuple(math.exp(v) for v in (-1.0, -0.5, 0.0, 0.5, 1.0))),
            ParamSpec("A", lower=0.0, scale="log", grid=tuple(math.exp(v) for v in range(0, 30, 5))),
            ParamSpec("alpha", lower=0.0, grid=(0.0, 0.5, 1.0, 1.5, 2.0)),
        ),
        fn=fn,
        log_fn=log_fn,
        formula=f"E + A * {x}**-alpha",
        spec={"builtin": "power", "x": x},
        guess=guess,
    )
