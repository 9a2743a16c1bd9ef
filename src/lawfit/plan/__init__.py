"""Planning answers: compute-optimal allocation, compute for a target loss, inference-aware sizing, IsoFLOP
analysis, and which runs to train next.

Each name is imported from its module on first use (PEP 562), so that ``lawfit optimal`` loads neither the IsoFLOP
analysis nor pandas.
"""

from __future__ import annotations

import sys

from .._lazy import Package, exports

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


__getattr__, __dir__ = exports(__name__, _ORIGIN)

# The functions isoflop and suggest stay themselves when their modules are imported.
_SHADOWED = ("isoflop", "suggest")
sys.modules[__name__].__class__ = Package
