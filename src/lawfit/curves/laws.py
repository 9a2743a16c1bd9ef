"""Loss-curve laws: the loss at step t from the learning rates of steps 1..t.

- ``multipower`` (Luo et al. 2025, "A Multi-Power Law for Loss Curve Prediction Across Learning Rate Schedules"):
  ``L(t) = L0 + A*S1(t)^-alpha - B * sum_{k=1..t} (lr[k-1]-lr[k]) * G(lr[k]^-gamma * S_k(t))`` with
  ``S1(t) = sum_{s=1..t} lr[s]``, ``S_k(t) = sum_{s=k..t} lr[s]`` and ``G(x) = 1 - (C*x + 1)^-beta``, where
  ``lr[s]`` is the rate of step ``s`` (``lr[0] = lr[1]``: no drop at the first step).
- ``multipower_fixed``: the multi-power law with the exponents of its loss-drop response, ``beta`` and ``gamma``,
  held at the published values (five free parameters; see :func:`multipower_fixed`).
- ``annealing`` (Tissue et al. 2024, "Scaling Law with Learning Rate Annealing"):
  ``L(t) = L0 + A*S1(t)^-alpha - C*S2(t)``, ``S2(t) = sum_{i=1..t} m_i``, ``m_i = lam*m_{i-1} + (lr[i-1]-lr[i])``.

They read per-row *features* computed from each run's schedule, so they are fitted like any other law. The
multi-power sum runs over every step before t; it is compressed into blocks that are short near t and where the
learning rate changes fast, and long elsewhere (steps with no change in learning rate drop out). Against the exact
sum the compression errs, on the Luo et al. curves, by about 1e-8 relative when predicting (``PREDICT_RATIO``), 1e-6
when fitting (``FIT_RATIO``), and 5e-5 in the coarse first stage of a fit (``COARSE_RATIO``, a sixth of the blocks),
whose optimum the fitting compression then polishes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks import Real, check
from ..laws import Law, ParamSpec
from .data import Curve

__all__ = ["CURVE_LAWS", "annealing", "features", "multipower", "multipower_fixed"]

# Block widths grow by this factor with distance from t, and the lr changes by at most this factor within a block:
# coarse for the first stage of a fit, then the fitting compression, and fine for predictions.
COARSE_RATIO, FIT_RATIO, PREDICT_RATIO = 2.0, 1.1, 1.01


def multipower() -> Law:
    """The multi-power law (Luo et al. 2025), in absolute learning-rate units as published."""

    def fn(p, x):
        drop = _drop_sum()(p["C"], p["beta"], p["gamma"], x["mp_drop"], x["mp_loglr"], x["mp_area"])
        return p["L0"] + p["A"] * x["S1"] ** (-p["alpha"]) - p["B"] * drop

    params = (
        ParamSpec("L0", 0.0, math.inf, "log", (0.5, 0.75, 0.9)),  # times the lowest loss
        ParamSpec("A", 0.0, math.inf, "log", (0.2, 0.6, 2.0)),
        ParamSpec("alpha", 0.0, 3.0, "linear", (0.3, 0.6)),
        ParamSpec("B", 0.0, math.inf, "log", (100.0, 1000.0)),
        ParamSpec("C", 0.0, math.inf, "log", (0.5, 2.0, 8.0)),
        ParamSpec("beta", 0.0, 5.0, "linear", (0.3, 0.6, 1.2)),
        ParamSpec("gamma", 0.0, 3.0, "linear", (0.3, 0.7)),
    )
    formula = "L0 + A*S1^-alpha - B*sum_k (lr[k-1]-lr[k])*(1-(C*lr[k]^-gamma*S_k(t)+1)^-beta)"
    return Law(
        "multipower",
        ("S1", "mp_drop", "mp_loglr", "mp_area"),
        params,
        fn,
        formula=formula,
        spec={"builtin": "multipower"},
    )


#: The published multi-power fits' beta and gamma (Luo et al.'s repository, src/config.py: 25M 0.58279, 0.64142;
#: 100M 0.59785, 0.65524), their means to two digits.
FIXED_BETA, FIXED_GAMMA = 0.59, 0.65


_DROP_SUM: list[Any] = []


def _drop_sum() -> Any:
    """``drop_sum(C, beta, gamma, drop, loglr, area) = sum_k drop_k * G_k`` over the blocks (last axis), with
    ``G = 1 - (C * exp(-gamma * loglr) * area + 1)^-beta``, and its derivatives in one pass.

    The derivatives in C, beta and gamma share every transcendental of the value, so the rule computes the three of
    them beside it: a Jacobian then costs about two evaluations, where forward-mode autodiff through the sum costs
    eight (one tangent per parameter, each through the whole block matrix). The features are data: their tangents
    are taken as zero.
    """
    if not _DROP_SUM:
        from .._jax import jax, jnp

        def parts(c: Any, beta: Any, gamma: Any, loglr: Any, area: Any) -> tuple[Any, Any, Any]:
            # exp/log1p of the logged lr: twice as fast as pow
            rate = jnp.exp(-gamma * loglr) * area
            u = c * rate
            v = jnp.log1p(u)
            return rate, u, v

        @jax.custom_jvp
        def drop_sum(c: Any, beta: Any, gamma: Any, drop: Any, loglr: Any, area: Any) -> Any:
            _, _, v = parts(c, beta, gamma, loglr, area)
            return jnp.sum(drop * (1.0 - jnp.exp(-beta * v)), axis=-1)

        @drop_sum.defjvp
        def drop_sum_jvp(primals: Any, tangents: Any) -> Any:
            c, beta, gamma, drop, loglr, area = primals
            dc, dbeta, dgamma = tangents[:3]
            rate, u, v = parts(c, beta, gamma, loglr, area)
            e = jnp.exp(-beta * v)  # (1 + u)^-beta
            w = drop * e
            slope = w * beta / (1.0 + u)  # d(drop*G)/du
            value = jnp.sum(drop - w, axis=-1)
            d_c = jnp.sum(slope * rate, axis=-1)  # du/dC = rate
            d_beta = jnp.sum(w * v, axis=-1)
            d_gamma = -jnp.sum(slope * u * loglr, axis=-1)  # du/dgamma = -loglr * u
            return value, d_c * dc + d_beta * dbeta + d_gamma * dgamma

        _DROP_SUM.append(drop_sum)
    return _DROP_SUM[0]


def multipower_fixed(beta: float = FIXED_BETA, gamma: float = FIXED_GAMMA) -> Law:
    """The multi-power law with ``beta`` and ``gamma`` held: five free parameters, for when few curves are known.

    Three curves leave the seven parameters of the multi-power law loosely pinned: refitted, its loss-drop exponents
    wander far from the published values (``beta`` 0.11 and ``gamma`` 0.90 on the 25M curves, against 0.58 and
    0.64) for a lower training objective and worse predictions of other schedules. Which parameters to hold:

    - ``beta`` and ``gamma`` are exponents, without units: how the loss drop after a decay of the learning rate
      grows with time (``beta``) and how its pace depends on the new learning rate (``gamma``). Luo et al.'s fits at
      25M and 100M agree on them within 3%, while ``L0``, ``A``, ``alpha`` and ``B`` move by 11-20% between
      the two sizes.
    - ``C`` barely moves between those fits either (2.07 and 2.13), but it carries units (of learning rate to the
      power ``gamma - 1`` per step), so its value belongs to one peak learning rate and batch size: it stays free,
      as do ``B`` (in units of loss per learning rate) and the final-loss terms ``L0, A, alpha``.

    The defaults are the published values' means (:data:`FIXED_BETA`, :data:`FIXED_GAMMA`). Whether holding them
    helps on a user's curves is for the data to say: ``fit_curves(curves, "auto")`` keeps this law only if it
    predicts left-out schedules better.

    >>> multipower_fixed().param_names
    ('L0', 'A', 'alpha', 'B', 'C')
    """
    from dataclasses import replace

    for name, value in (("beta", beta), ("gamma", gamma)):
        check(value, Real(0, 3, closed="neither"), name, "multipower_fixed")
    held = multipower().fix(beta=beta, gamma=gamma)
    return replace(
        held,
        name="multipower_fixed",
        formula=f"{held.formula} with beta={beta:g}, gamma={gamma:g} held",
        spec={"builtin": "multipower_fixed", "beta": float(beta), "gamma": float(gamma)},
    )


def annealing(lam: float = 0.999) -> Law:
    """The LR-annealing law of Tissue et al. 2024 with momentum decay ``lam`` of the annealing area."""
    if not 0.0 <= lam < 1.0:
        from ..errors import LawfitError

        raise LawfitError(f"The annealing momentum 'lam' must be in [0, 1), e.g. 0.999. Got {lam!r}.")

    def fn(p, x):
        return p["L0"] + p["A"] * x["S1"] ** (-p["alpha"]) - p["C"] * x["S2"]

    params = (
        ParamSpec("L0", 0.0, math.inf, "log", (0.5, 0.75, 0.9)),  # times the lowest loss
        ParamSpec("A", 0.0, math.inf, "log", (0.1, 0.5, 2.0)),
        ParamSpec("alpha", 0.0, 3.0, "linear", (0.2, 0.5, 1.0)),
        ParamSpec("C", 0.0, math.inf, "log", (0.1, 1.0, 10.0)),
    )
    return Law(
        "annealing",
        ("S1", "S2"),
        params,
        fn,
        formula=f"L0 + A*S1^-alpha - C*S2 (lam={lam:g})",
        spec={"builtin": "annealing", "lam": lam},
    )


CURVE_LAWS = {"multipower": multipower, "multipower_fixed": multipower_fixed, "annealing": annealing}


def features(
    law: Law, curves: Sequence[Curve], steps: Sequence[np.ndarray] | None = None, *, ratio: float = FIT_RATIO
) -> dict[str, np.ndarray]:
    """The law's inputs for every logged step of every curve (or ``steps[i]`` of curve ``i``), stacked.

    Steps count from 1 (step ``k`` sums the rates of steps ``1..k``, ``curve.lr[:k]``). ``ratio`` sets the
    compression of the multi-power sum (see the module's notes).
    """
    wanted = [c.step for c in curves] if steps is None else list(steps)
    rows = [np.asarray(s, dtype=np.int64) - 1 for s in wanted]  # the schedule's index of each step
    if "S2" in law.inputs:
        lam = float(law.spec.get("lam", 0.999))
        parts = [_annealing_features(c.lr, r, lam) for c, r in zip(curves, rows, strict=True)]
        return {name: np.concatenate([p[name] for p in parts]) for name in ("S1", "S2")}
    parts = [_multipower_features(c.lr, r, ratio) for c, r in zip(curves, rows, strict=True)]
    width = max(1, max(p["mp_drop"].shape[1] for p in parts))
    out = {"S1": np.concatenate([p["S1"] for p in parts])}
    for name, fill in (("mp_drop", 0.0), ("mp_loglr", 0.0), ("mp_area", 0.0)):
        out[name] = np.concatenate([_pad(p[name], width, fill) for p in parts])
    return out


def _annealing_features(lr: np.ndarray, rows: np.ndarray, lam: float) -> dict[str, np.ndarray]:
    drop = np.zeros_like(lr)
    drop[1:] = lr[:-1] - lr[1:]
    # m_i = lam*m_{i-1} + drop_i, a linear recursion: m = lfilter([1], [1, -lam], drop).
    from scipy.signal import lfilter

    m = lfilter([1.0], [1.0, -lam], drop)
    return {"S1": np.cumsum(lr)[rows], "S2": np.cumsum(m)[rows]}


def _multipower_features(lr: np.ndarray, rows: np.ndarray, ratio: float, chunk: int = 256) -> dict[str, np.ndarray]:
    drop = np.zeros_like(lr)
    drop[1:] = lr[:-1] - lr[1:]
    weight = np.abs(drop)
    total = np.cumsum(lr)
    before = np.r_[0.0, total[:-1]]  # before[k] = sum_{s<k} lr[s]

    def prefix(values: np.ndarray) -> np.ndarray:
        return np.r_[0.0, np.cumsum(values)]

    p_drop, p_w, p_wlr, p_wbefore = prefix(drop), prefix(weight), prefix(weight * lr), prefix(weight * before)
    # Cuts where the learning rate has changed by a factor ratio since the last cut.
    level = np.floor(np.log(np.maximum(lr, 1e-300)) / math.log(ratio))
    lr_cuts = np.flatnonzero(np.diff(level) != 0) + 1
    n = math.ceil(math.log(int(rows.max(initial=0)) + 1) / math.log(ratio)) + 2
    distance = np.unique(np.floor(ratio ** np.arange(n)).astype(np.int64))
    parts = []
    # All rows of a chunk at once: each row's cuts (1, t+1-distance, the lr cuts, t+1) in one sorted matrix, where
    # a cut that does not apply to the row is moved to t+1 and so closes an empty block, dropped below with the
    # blocks over which the learning rate does not change.
    for first in range(0, rows.size, chunk):
        t = rows[first : first + chunk, None]
        starts = t + 1 - distance[None, :]
        cuts = np.concatenate(
            [
                np.ones_like(t),
                np.where((starts >= 1) & (starts <= t), starts, t + 1),
                np.where(lr_cuts[None, :] <= t, lr_cuts[None, :], t + 1),
                t + 1,
            ],
            axis=1,
        )
        cuts.sort(axis=1)
        lo, hi = cuts[:, :-1], cuts[:, 1:]
        live = p_w[hi] - p_w[lo] > 0
        order = np.argsort(~live, axis=1, kind="stable")[:, : max(1, int(live.sum(axis=1).max()))]
        lo, hi, live = (np.take_along_axis(a, order, axis=1) for a in (lo, hi, live))
        w = np.where(live, p_w[hi] - p_w[lo], 1.0)
        parts.append(
            (
                np.where(live, p_drop[hi] - p_drop[lo], 0.0),
                np.where(live, np.log(np.where(live, (p_wlr[hi] - p_wlr[lo]) / w, 1.0)), 0.0),
                np.where(live, total[t] - (p_wbefore[hi] - p_wbefore[lo]) / w, 0.0),
            )
        )
    width = max([1, *(p[0].shape[1] for p in parts)])
    out = {"S1": total[rows]}
    for i, name in enumerate(("mp_drop", "mp_loglr", "mp_area")):
        out[name] = np.concatenate([_pad(p[i], width, 0.0) for p in parts]) if parts else np.zeros((0, 1))
    return out


def _pad(values: np.ndarray, width: int, fill: float) -> np.ndarray:
    return np.pad(values, ((0, 0), (0, width - values.shape[1])), constant_values=fill)
