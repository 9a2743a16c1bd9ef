"""Scaling laws: the :class:`Law` value, the built-in families and user formulas."""

from __future__ import annotations

from typing import Any

from ..errors import LawfitError
from ._base import INPUT_NAMES, ClosedForms, Law, ParamSpec
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
    "ParamSpec",
    "bnsl",
    "chinchilla",
    "data_constrained",
    "downstream",
    "formula_law",
    "get_law",
    "kaplan",
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
    if "formula" in spec:
        law = formula_law(spec["formula"], params=spec.get("params"), warn=False)  # it warned when fitted
    else:
        options = {k: v for k, v in spec.items() if k not in ("builtin", "fixed")}
        law = get_law(spec["builtin"], **options)
    return law.fix(**spec["fixed"]) if spec.get("fixed") else law
