"""Errors and warnings that lawfit raises.

Every error is a :class:`LawfitError` whose message names the problem and the fix in one line, so that the
command line can print it without a traceback. Warnings are typed and carry their data.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BoundWarning",
    "CacheWarning",
    "CalibrationWarning",
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "EdgeWarning",
    "ExtrapolationWarning",
    "FitFileError",
    "FormulaError",
    "FormulaWarning",
    "IdentifiabilityWarning",
    "LawfitError",
    "LawfitWarning",
    "OutputError",
]


class LawfitError(ValueError):
    """Base class of lawfit's errors: bad input that the user can fix."""


class DataError(LawfitError):
    """The runs cannot be used as given: unreadable file, missing column, NaN, non-positive size, too few rows."""


class FormulaError(LawfitError):
    """A user formula could not be parsed, or uses a name or construct that lawfit refuses."""


class FitFileError(LawfitError):
    """A saved fit could not be read back."""


class OutputError(LawfitError):
    """An output file cannot, or may not, be written: its folder is missing, the disk is full, or it would
    overwrite a file that lawfit did not write, an input, or a link (``force`` allows those three)."""


class LawfitWarning(UserWarning):
    """Base class of lawfit's warnings. Each carries its figures in ``data`` (JSON-ready) and its text in
    ``message``, so that a saved fit keeps them."""

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        return {"kind": type(self).__name__, "message": self.message, "data": self.data}

    @staticmethod
    def from_dict(record: dict[str, Any]) -> LawfitWarning:
        kinds = {
            cls.__name__: cls
            for cls in (
                ConvergenceWarning,
                IdentifiabilityWarning,
                BoundWarning,
                ExtrapolationWarning,
                CalibrationWarning,
                CacheWarning,
                DataWarning,
                EdgeWarning,
                FormulaWarning,
            )
        }
        cls = kinds.get(record.get("kind", ""), LawfitWarning)
        return cls(str(record.get("message", "")), **dict(record.get("data", {})))


class ConvergenceWarning(LawfitWarning):
    """The search stopped without a trustworthy optimum; ``data["objective"]`` says how far it got."""


class IdentifiabilityWarning(LawfitWarning):
    """The data do not pin some parameters down: ``data["pairs"]`` lists strongly correlated pairs
    ``[name, name, correlation]``, ``data["flat"]`` the parameters along a flat direction of the objective."""


class BoundWarning(LawfitWarning):
    """Parameters ended at a bound (``data["params"]``): the optimum may lie beyond it."""


class ExtrapolationWarning(LawfitWarning):
    """A prediction lies beyond ``data["limit"]`` times the largest training value of ``data["input"]`` (or, for
    ``input`` ``"D/N"``, the tokens per parameter, below 1/limit of the smallest: ``data["smallest"]``)."""


class DataWarning(LawfitWarning):
    """Input that lawfit read but doubts, as ``data`` tells: part of a file left out (a damaged or truncated
    TensorBoard event file is read up to its first bad record), or sizes that look like millions or billions."""


class EdgeWarning(DataWarning):
    """A sweep's best setting lies at the edge of what was tried (``data["cells"]``): the optimum may lie beyond
    it, and its value is only a bound."""


class FormulaWarning(LawfitWarning):
    """A formula reads as the user may not have meant: ``data["params"]`` are parameters named like an input in
    lower case (``n`` for ``N``), fitted as constants."""


class CalibrationWarning(LawfitWarning):
    """A forecast interval could not be calibrated on the runs (``data["reason"]``): the interval given instead is
    the uncalibrated interval for a new run, which does not widen with the distance of extrapolation."""


class CacheWarning(LawfitWarning):
    """lawfit does not use its disk cache of compiled programs (``data["folder"]``, for ``data["reason"]``): a folder
    that another user owns, or that group or others may write, could hand lawfit a program that computes something
    else. Each process then compiles its programs again, which costs seconds, not results."""
