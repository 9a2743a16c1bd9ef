"""Capabilities beyond the loss: observational scaling laws from benchmark scores of public models (Ruan et al.
2024), repeated-sampling coverage (Brown et al. 2024) and tiny pass rates (Hu et al. 2023).

Each name is imported from its module on first use (PEP 562), so that importing the package loads neither scipy
nor pandas.
"""

from __future__ import annotations

from .._lazy import exports

_ORIGIN = {
    **dict.fromkeys(
        (
            "ComputeMatched",
            "CoverageCurve",
            "CoverageForecast",
            "ExpPowerLaw",
            "SuccessDistribution",
            "compute_matched",
            "coverage_curve",
            "fit_exp_power_law",
            "fit_success_distribution",
            "forecast_coverage",
            "pass_at_k",
            "read_counts",
            "subsample_counts",
        ),
        ".coverage",
    ),
    **dict.fromkeys(("PassRateLaw", "PassRates", "fit_pass_rate_law", "pass_rate", "pass_rates"), ".passrate"),
    **dict.fromkeys(
        (
            "PAPER_BENCHMARKS",
            "RUAN2024_EMERGENT",
            "Benchmarks",
            "Components",
            "CutoffBacktest",
            "FamilyFit",
            "ObservationalScaling",
            "SigmoidFit",
            "backtest_cutoff",
            "components",
            "family_fit",
            "fit_sigmoid",
            "load_benchmarks",
            "observational_scaling",
        ),
        ".observational",
    ),
}

__all__ = sorted(_ORIGIN)

__getattr__, __dir__ = exports(__name__, _ORIGIN)
