"""Planning answers: compute-optimal allocation, compute for a target loss, inference-aware sizing, IsoFLOP
analysis, and which runs to train next."""

from __future__ import annotations

from .frontier import Frontier, InferencePlan, compute_for_loss, compute_optimal, inference_optimal
from .isoflop import IsoFLOP, PowerLaw, envelope, isoflop
from .suggest import Suggestion, suggest

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
