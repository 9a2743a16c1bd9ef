"""Planning answers: compute-optimal allocation, compute for a target loss, inference-aware sizing, IsoFLOP
analysis, and which runs to train next.

Each name is imported from its module on first use (PEP 562), so that ``lawfit optimal`` loads neither the IsoFLOP
analysis nor pandas.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from .._lazy import Package

__all__ = [
    "Frontier",
    "InferencePlan",
    "IsoFLOP",
    "PowerLaw",
    "Suggestion",
    "compute_for_loss",
    "compute_optimal",
    "envelope",
    "inference_optimal",
    "isoflop",
    "suggest",
]

_ORIGIN = {
    **dict.fromkeys(
        ("Frontier", "InferencePlan", "compute_for_loss", "compute_optimal", "inference_optimal"), ".frontier"
    ),
    **dict.fromkeys(("IsoFLOP", "PowerLaw", "envelope", "isoflop"), ".isoflop"),
    **dict.fromkeys(("Suggestion", "suggest"), ".suggest"),
}


def __getattr__(name: str) -> Any:
    origin = _ORIGIN.get(name)
    if origin is None:
        raise AttributeError(f"module 'lawfit.plan' has no attribute {name!r}")
    value = getattr(importlib.import_module(origin, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})


# The functions isoflop and suggest stay themselves when their modules are imported.
_SHADOWED = ("isoflop", "suggest")
sys.modules[__name__].__class__ = Package
