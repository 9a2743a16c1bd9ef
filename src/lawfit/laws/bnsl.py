"""Broken neural scaling law (Caballero et al. 2022): a power law whose exponent changes smoothly at breaks."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from .._checks import Integer, Options, check
from ._base import INPUT_NAMES, Law, ParamSpec
from ._xp import namespace

__all__ = ["bnsl"]

_MAX_BREAKS = 3
# The guess tries these fractions of the smallest y as the constant a, break locations at these quantiles of log x,
# and these sharpnesses; the rest (log b, c0, c_i) then follows by linear least squares.
_A_FRACTIONS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
_BREAK_QUANTILES = (0.2, 0.35, 0.5, 0.65, 0.8)
_SHARPNESS = (0.1, 0.5, 1.0)


def bnsl(breaks: int = 1, x: str = "C") -> Law:
    """``y = a + b * x**-c0 * prod_i (1 + (x/d_i)**(1/f_i))**(-c_i*f_i)``, one factor per break.

    Below ``d_i`` a factor is about 1, above it about ``(x/d_i)**-c_i``: the log-log slope goes from ``-c0`` to
    ``-(c0 + c_1 + ...)`` as x passes the breaks, each bend about ``f_i`` wide in ``ln x``. The
    reducible part is evaluated in log space as ``log b - c0*log x - sum_i c_i*f_i*softplus((log x - log d_i)/f_i)``,
    which keeps the breaks finite for any x.

    Parameters
    ----------
    breaks : int
        The number of breaks, 0 to 3. With 0 the law is the power law plus constant.
    x : {"N", "D", "C"}
        The input.

    Notes
    -----
    ``a`` and ``b`` are positive; the exponents ``c0``, ``c_i`` are free in sign (a break may steepen or flatten
    the curve); the break locations ``d_i`` and sharpnesses ``f_i`` are positive and searched in log space. The
    start grid is small (150 starts over a, b, c0, every break at one typical size: 1e9 for N, 1e10 for D, 1e20
    for C); the law's ``guess`` adds starts from the data: break locations at quantiles of ``log x``, a few
    sharpnesses and constants ``a``, and for each the least-squares fit of ``log(y - a)``, which is linear in
    ``log b``, ``c0`` and the ``c_i`` once ``a``, ``d_i`` and ``f_i`` are set (at most 180 starts).

    A sharpness is weakly identified unless the data sample the bend densely: a break much sharper than the
    spacing of the data in ``log x`` fits equally well for any smaller ``f_i``.

    Source: E. Caballero, K. Gupta, I. Rish, D. Krueger, "Broken Neural Scaling Laws", ICLR 2023
    (arXiv:2210.14891), Eq. (1).

    Examples
    --------
    >>> law = bnsl(breaks=1, x="N")
    >>> law.param_names
    ('a', 'b', 'c0', 'c1', 'd1', 'f1')
    >>> p = {"a": 1.5, "b": 200.0, "c0": 0.1, "c1": 0.3, "d1": 1e8, "f1": 0.5}
    >>> round(float(law.predict(p, N=1e6)), 4), round(float(law.predict(p, N=1e10)), 4)
    (51.737, 6.5237)
    """
    breaks = check(breaks, Integer(0, _MAX_BREAKS), "breaks", "bnsl")
    if x not in INPUT_NAMES:
        check(x, Options(*INPUT_NAMES), "x", "bnsl")
    k = int(breaks)
    indices = range(1, k + 1)

    def log_reducible(p: Any, inputs: Any) -> Any:
        xp = namespace(p, inputs)

        log_x = xp.log(inputs[x])
        out = xp.log(p["b"]) - p["c0"] * log_x
        for i in indices:
            f = p[f"f{i}"]
            out = out - p[f"c{i}"] * f * xp.softplus((log_x - xp.log(p[f"d{i}"])) / f)
        return out

    def fn(p: Any, inputs: Any) -> Any:
        xp = namespace(p, inputs)

        return p["a"] + xp.exp(log_reducible(p, inputs))

    def log_fn(p: Any, inputs: Any) -> Any:
        xp = namespace(p, inputs)

        return xp.logaddexp(xp.log(p["a"]), log_reducible(p, inputs))

    def guess(inputs: Any, y: np.ndarray) -> np.ndarray:
        log_x = np.log(np.asarray(inputs[x], dtype=np.float64))
        if np.ptp(log_x) == 0:
            return np.empty((0, 3 + 3 * k))
        locations = np.quantile(log_x, _BREAK_QUANTILES)
        starts = []
        for q in _A_FRACTIONS:
            a = q * float(y.min())
            if np.any(y - a <= 0):
                continue
            target = np.log(y - a)
            for at in itertools.combinations(locations, k):
                for f in _SHARPNESS if k else (1.0,):
                    # log(y - a) = log b - c0*log x - sum_i c_i*[f*softplus((log x - log d_i)/f)]: linear.
                    hinges = [f * np.logaddexp(0.0, (log_x - ld) / f) for ld in at]
                    design = np.stack([np.ones_like(log_x), -log_x, *(-h for h in hinges)], axis=1)
                    coef = np.linalg.lstsq(design, target, rcond=None)[0]
                    row = [max(a, 1e-6), math.exp(min(coef[0], 700.0)), coef[1]]
                    for ld, c in zip(at, coef[2:], strict=True):
                        row += [c, math.exp(ld), f]
                    starts.append(row)
        return np.asarray(starts, dtype=np.float64).reshape(-1, 3 + 3 * k)

    middle = {"N": 1e9, "D": 1e10, "C": 1e20}[x]
    params = [
        ParamSpec("a", lower=0.0, scale="log", grid=tuple(math.exp(v) for v in (-1.0, -0.5, 0.0, 0.5, 1.0))),
        ParamSpec("b", lower=0.0, scale="log", grid=tuple(math.exp(v) for v in range(0, 30, 5))),
        ParamSpec("c0", grid=(0.0, 0.25, 0.5, 1.0, 2.0)),
    ]
    for i in indices:
        params += [
            ParamSpec(f"c{i}", grid=(0.25,)),
            ParamSpec(f"d{i}", lower=0.0, scale="log", grid=(middle,)),
            ParamSpec(f"f{i}", lower=0.0, scale="log", grid=(0.5,)),
        ]
    factors = "".join(f" * (1 + ({x}/d{i})**(1/f{i}))**(-c{i}*f{i})" for i in indices)
    return Law(
        name="bnsl",
        inputs=(x,),
        params=tuple(params),
        fn=fn,
        log_fn=log_fn,
        formula=f"a + b * {x}**-c0{factors}",
        spec={"builtin": "bnsl", "breaks": k, "x": x},
        guess=guess,
    )
