"""The public surface is small and explicit: this test pins it."""

from __future__ import annotations

import lawfit


def test_public_surface_is_pinned() -> None:
    assert sorted(lawfit.__all__) == sorted(
        [
            "Backtest",
            "Bootstrap",
            "BoundWarning",
            "CacheWarning",
            "CalibrationWarning",
            "Chain",
            "Comparison",
            "ConvergenceWarning",
            "DataError",
            "DataWarning",
            "EdgeWarning",
            "ExtrapolationWarning",
            "Fit",
            "FitFileError",
            "FormulaError",
            "FormulaWarning",
            "IdentifiabilityWarning",
            "Law",
            "LawfitError",
            "LawfitWarning",
            "Objective",
            "OutputError",
            "ParamSpec",
            "Runs",
            "SearchOptions",
            "__version__",
            "backtest",
            "bootstrap",
            "calibrate",
            "capabilities",
            "chain",
            "compare",
            "curves",
            "datasets",
            "fit",
            "formula_law",
            "get_law",
            "hparams",
            "load_fit",
            "load_runs",
            "plan",
            "set_progress",
        ]
    )
    for name in lawfit.__all__:
        assert hasattr(lawfit, name), name


def test_errors_are_value_errors() -> None:
    for cls in (lawfit.DataError, lawfit.FormulaError, lawfit.FitFileError):
        assert issubclass(cls, lawfit.LawfitError) and issubclass(cls, ValueError)
