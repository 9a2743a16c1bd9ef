"""Scaling laws: the :class:`Law` value, the built-in families and user formulas."""

from __future__ import annotations

from typing import Any

from ..errors import LawfitError
from ._base import INPUT_NAMES, ClosedForms, Law, ParamSpec
from .average import Member, average
from .bnsl import bnsl
from .chinchilla import chinchilla
from .data_constrained import data_constrained
from .downstream import downstream
from .formula import formula_law
from .kaplan import kaplan
from .overtraining import overtraining
from .power import power

__all__ = [
    "BUILTIN_LAWS",
    "INPUT_NAMES",
    "ClosedForms",
    "Law",
    "Member",
    "ParamSpec",
    "average",
    "bnsl",
    "chinchilla",
    "data_constrained",
    "downstream",
    "formula_law",
    "get_law",
    "kaplan",
    "members_of",
    "overtraining",
    "power",
    "resolve_law",
]

#: Built-in laws by name; each entry builds the law from keyword options.
BUILTIN_LAWS = {
    "power": power,
    "chinchilla": chinchilla,
    "kaplan": kaplan,
    "overtraining": overtraining,
    "data_constrained": data_constrained,
    "bnsl": bnsl,
    "downstream": downstream,
}


def get_law(name: str, **options: Any) -> Law:
    """A built-in law by name.

    >>> get_law("power", x="N").inputs
    ('N',)
    """
    try:
        factory = BUILTIN_LAWS[name]
    except KeyError:
        raise LawfitError(
            f"Unknown law {name!r}. Built-in laws: {', '.join(BUILTIN_LAWS)}; or give a formula such as "
            "'E + A/N**alpha + B/D**beta'."
        ) from None
    try:
        return factory(**options)
    except TypeError:
        raise LawfitError(f"Law {name!r} takes no options {sorted(options)}.") from None


def resolve_law(law: Law | str, **options: Any) -> Law:
    """A :class:`Law` from a law, a built-in name or a formula string."""
    if isinstance(law, Law):
        return law
    if not isinstance(law, str):
        raise LawfitError(f"A law must be a Law, a built-in name or a formula string. Got {type(law).__name__}.")
    if law.strip().isidentifier():
        return get_law(law.strip(), **options)  # an unknown name gets the unknown-law message
    if options:
        raise LawfitError(f"Options {sorted(options)} apply to built-in laws, not to a formula.")
    return formula_law(law)


def law_from_spec(spec: dict[str, Any]) -> Law:
    """Rebuild a law from its ``spec`` (as saved in a fit file)."""
    if "average" in spec:
        return average(_members(spec["average"]))
    if "formula" in spec:
        law = formula_law(spec["formula"], params=spec.get("params"), warn=False)  # it warned when fitted
    else:
        options = {k: v for k, v in spec.items() if k not in ("builtin", "fixed")}
        law = get_law(spec["builtin"], **options)
    return law.fix(**spec["fixed"]) if spec.get("fixed") else law


def members_of(law: Law) -> list[Member] | None:
    """The members of an :func:`average` of laws, rebuilt from its ``spec``; None for any other law.

    >>> law = average([Member("chinchilla", get_law("chinchilla"), 3.0), Member("power", get_law("power"), 1.0)])
    >>> [(m.name, m.weight) for m in members_of(law)]
    [('chinchilla', 0.75), ('power', 0.25)]
    """
    saved = law.spec.get("average")
    return None if saved is None else _members(saved)


def _members(saved: list[dict[str, Any]]) -> list[Member]:
    return [
        Member(str(m["name"]), law_from_spec(dict(m["spec"])), float(m["weight"]), float(m["weight_growth"]))
        for m in saved
    ]
