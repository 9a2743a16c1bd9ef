"""Errors and warnings that lawfit raises.

Every error is a :class:`LawfitError` whose message names the problem and the fix in one line, so that the
command line can print it without a traceback. Warnings are typed and carry their data.
"""

from __future__ import annotations

__all__ = ["ConvergenceWarning", "DataError", "FitFileError", "FormulaError", "LawfitError", "LawfitWarning"]


class LawfitError(ValueError):
    """Base class of lawfit's errors: bad input that the user can fix."""


class DataError(LawfitError):
    """The runs cannot be used as given: unreadable file, missing column, NaN, non-positive size, too few rows."""


class FormulaError(LawfitError):
    """A user formula could not be parsed, or uses a name or construct that lawfit refuses."""


class FitFileError(LawfitError):
    """A saved fit could not be read back."""


class LawfitWarning(UserWarning):
    """Base class of lawfit's warnings."""


class ConvergenceWarning(LawfitWarning):
    """The search stopped without a trustworthy optimum; ``message`` says why, ``objective`` how far it got."""

    def __init__(self, message: str, *, objective: float = float("nan")) -> None:
        super().__init__(message)
        self.message = message
        self.objective = objective
