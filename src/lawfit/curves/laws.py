"""Loss-curve laws: the loss at step t from the learning rates up to t.

- ``multipower`` (Luo et al. 2025, "A Multi-Power Law for Loss Curve Prediction Across Learning Rate Schedules"):
  ``L(t) = L0 + A*S1(t)^-alpha - B * sum_{k=1..t} (lr[k-1]-lr[k]) * G(lr[k]^-gamma * S_k(t))`` with
  ``S1(t) = sum_{s<=t} lr[s]``, ``S_k(t) = sum_{s=k..t} lr[s]`` and ``G(x) = 1 - (C*x + 1)^-beta``.
- ``annealing`` (Tissue et al. 2024, "Scaling Law with Learning Rate Annealing"):
  ``L(t) = L0 + A*S1(t)^-alpha - C*S2(t)``, ``S2(t) = sum_{i=1..t} m_i``, ``m_i = lam*m_{i-1} + (lr[i-1]-lr[i])``.

Both read per-row *features* computed from each run's schedule, so the global search of :mod:`lawfit.search` fits
them like any other law. The multi-power sum runs over every step before t; it is compressed into blocks that are
short near t and where the learning rate changes fast, and long elsewhere (steps with no change in learning rate drop
out). Against the exact sum the compression errs by about 2e-6 in loss when fitting and 1e-8 when
predicting, on the Luo et al. curves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..laws import Law, ParamSpec
from .data import Curve

__all__ = ["CURVE_LAWS", "annealing", "features", "multipower"]

# Block widths grow by this factor with distance from t, and the lr changes by at most this factor within a block:
# coarse for fitting (errs by about 2e-6 in loss), fine for predictions (about 1e-8).
FIT_RATIO, PREDICT_RATIO = 1.1, 1.01


def multipower() -> Law:
    """The multi-power law (Luo et al. 2025), in absolute learning-rate units as published."""

    def fn(p, x):
        from .._jax import jnp

        # G = 1 - (C * lr^-gamma * area + 1)^-beta, written with exp/log1p of the logged lr: twice as fast as pow.
        g = 1.0 - jnp.exp(-p["beta"] * jnp.log1p(p["C"] * jnp.exp(-p["gamma"] * x["mp_loglr"]) * x["mp_area"]))
        drop = jnp.sum(x["mp_drop"] * g, axis=-1)
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


CURVE_LAWS = {"multipower": multipower, "annealing": annealing}


def features(
    law: Law, curves: Sequence[Curve], steps: Sequence[np.ndarray] | None = None, *, ratio: float = FIT_RATIO
) -> dict[str, np.ndarray]:
    """The law's inputs for every logged step of every curve (or ``steps[i]`` of curve ``i``), stacked.

    ``ratio`` sets the compression of the multi-power sum (see the module's notes).
    """
    wanted = [c.step for c in curves] if steps is None else list(steps)
    rows = [np.asarray(s, dtype=np.int64) for s in wanted]
    if law.name == "annealing":
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


def _multipower_features(lr: np.ndarray, rows: np.ndarray, ratio: float) -> dict[str, np.ndarray]:
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
    blocks = []
    for t in rows:
        n = math.ceil(math.log(t + 1) / math.log(ratio)) + 2
        distance = np.unique(np.floor(ratio ** np.arange(n)).astype(np.int64))
        starts = t + 1 - distance
        inside = starts[(starts >= 1) & (starts <= t)]
        cuts = np.unique(np.r_[1, inside, lr_cuts[(lr_cuts >= 1) & (lr_cuts <= t)], t + 1])
        lo, hi = cuts[:-1], cuts[1:]
        w = p_w[hi] - p_w[lo]
        live = w > 0
        lo, hi, w = lo[live], hi[live], w[live]
        blocks.append(
            (
                p_drop[hi] - p_drop[lo],
                np.log((p_wlr[hi] - p_wlr[lo]) / w),
                total[t] - (p_wbefore[hi] - p_wbefore[lo]) / w,
            )
        )
    width = max([1, *(b[0].size for b in blocks)])
    out = {"S1": total[rows]}
    for i, (name, fill) in enumerate((("mp_drop", 0.0), ("mp_loglr", 0.0), ("mp_area", 0.0))):
        out[name] = np.stack([np.pad(b[i], (0, width - b[i].size), constant_values=fill) for b in blocks])
    return out


def _pad(values: np.ndarray, width: int, fill: float) -> np.ndarray:
    return np.pad(values, ((0, 0), (0, width - values.shape[1])), constant_values=fill)
