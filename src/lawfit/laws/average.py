"""A weighted average of fitted laws: what ``auto`` forecasts with when averaging its candidates back-tests better
than choosing one (:mod:`lawfit.select`).

The average predicts ``sum_i w_i * L_i(inputs; params_i)`` with weights summing to 1. Each member keeps its own
parameters, renamed ``m1_E``, ``m1_alpha``, ``m2_E``, ... (member ``i`` gets the prefix ``m{i}_``), so that a fit of
the average holds one parameter vector as any fit does, and bootstrap draws, intervals and planners work on it
unchanged. Members are fitted one by one, each with its own weighting of the runs (``weight_growth``), never
jointly: :func:`lawfit.bootstrap` refits them one by one too. A saved fit rebuilds the average from its ``spec``
(:func:`lawfit.laws.members_of` gives the members back).

Examples
--------
>>> from lawfit.laws import get_law
>>> law = average([Member("chinchilla", get_law("chinchilla"), 0.75), Member("power", get_law("power"), 0.25)])
>>> law.inputs, law.param_names[:2]
(('N', 'D', 'C'), ('m1_E', 'm1_A'))
>>> p = {"m1_E": 1.0, "m1_A": 0.0, "m1_B": 0.0, "m1_alpha": 0.3, "m1_beta": 0.3, "m2_E": 3.0, "m2_A": 0.0,
...      "m2_alpha": 0.1}
>>> float(law.predict(p, N=1e9, D=2e10, C=1.2e20)[()])
1.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import LawfitError
from ._base import Law

__all__ = ["Member", "average", "member_params", "prefix"]


@dataclass(frozen=True)
class Member:
    """One law of an average: its display name, the law, its weight and the weight growth it was fitted with."""

    name: str
    law: Law
    weight: float
    weight_growth: float = 0.0


def prefix(index: int) -> str:
    """The prefix of the parameters of member ``index`` (from 0) in the average: ``m1_``, ``m2_``, ..."""
    return f"m{index + 1}_"


def average(members: Sequence[Member]) -> Law:
    """The law that predicts the weighted average of its members' predictions (weights normalised to sum 1)."""
    members = list(members)
    if len(members) < 2:
        raise LawfitError(f"An average of laws needs two members or more. Got {len(members)} instead.")
    targets = {m.law.target for m in members}
    if len(targets) != 1:
        raise LawfitError(f"The laws of an average must predict one target. Got {sorted(targets)} instead.")
    weights = np.array([m.weight for m in members], dtype=np.float64)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not weights.sum() > 0:
        raise LawfitError(f"The weights of an average must be finite, >= 0 and not all 0. Got {weights.tolist()}.")
    weights = weights / weights.sum()
    members = [replace(m, weight=float(w)) for m, w in zip(members, weights, strict=True)]
    inputs = tuple(dict.fromkeys(x for m in members for x in m.law.inputs))
    params = tuple(
        replace(p, name=prefix(i) + p.name, grid=p.grid[:1]) for i, m in enumerate(members) for p in m.law.params
    )
    names = [[(prefix(i) + n, n) for n in m.law.param_names] for i, m in enumerate(members)]
    fns = [m.law.fn for m in members]

    def fn(p: Mapping[str, Any], given: Mapping[str, Any]) -> Any:
        total = 0.0
        for w, member_fn, pairs in zip(weights, fns, names, strict=True):
            total = total + float(w) * member_fn({own: p[outer] for outer, own in pairs}, given)
        return total

    return Law(
        name="average(" + ", ".join(m.name for m in members) + ")",
        inputs=inputs,
        params=params,
        fn=fn,
        formula=" + ".join(f"{m.weight:.3g} x [{m.law.formula or m.law.name}]" for m in members),
        spec={
            "average": [
                {"name": m.name, "weight": m.weight, "weight_growth": m.weight_growth, "spec": dict(m.law.spec)}
                for m in members
            ]
        },
        target=targets.pop(),
    )


def member_params(law: Law, params: Mapping[str, float], index: int) -> dict[str, float]:
    """Member ``index``'s own parameters, from the parameters of the average."""
    head = prefix(index)
    return {name[len(head) :]: float(params[name]) for name in law.param_names if name.startswith(head)}
