"""Figures of lawfit.capabilities, checked for structure on real data (Ruan et al. 2024's benchmark scores, Brown et
al. 2024's Pythia MATH counts): log axes and labels, one line per family, the held-out models hollow and counted, a
band exactly when there are bootstrap draws, the forecast interval marked, and dispatch through lawfit.plot.figure."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.collections import PolyCollection

from capabilities_data import BASE, EMERGENT, LLAMA2_7B, TARGET
from lawfit.capabilities import (
    backtest_cutoff,
    components,
    coverage_curve,
    family_fit,
    fit_exp_power_law,
    fit_pass_rate_law,
    fit_sigmoid,
    observational_scaling,
    pass_rates,
)
from lawfit.errors import LawfitError
from lawfit.plot import figure, plot_components, plot_coverage, plot_pass_rates, plot_sigmoid


@pytest.fixture(scope="module")
def analysis():
    return observational_scaling(BASE, scores=EMERGENT, n_resamples=0)


@pytest.fixture(scope="module")
def cutoff(benchmark_table):
    return backtest_cutoff(benchmark_table, TARGET, LLAMA2_7B, n_resamples=10, seed=0)


def _bands(ax):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


# ---------------------------------------------------------------------------------------------------------------
# Components


def test_components_one_line_per_family_on_a_log_flops_axis(analysis, benchmark_table) -> None:
    ax = plot_components(analysis, benchmark_table).axes[0]
    families = analysis.families
    laws = [line for line in ax.lines if line.get_gid() == "family law"]
    assert len(laws) == len(families.offsets) == 33
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "compute C (FLOPs)"
    assert ax.get_ylabel() == "PC1 score (85.3% of the variance)"
    # Each line is the family law: the shared slope per decade and the family's offset.
    llama = next(line for line in laws if line.get_label().startswith("Llama-2 "))
    x, y = llama.get_xdata(), llama.get_ydata()
    assert np.allclose(y, families.slope[0] * np.log10(x) + families.offsets["Llama-2"][0])
    # The models without a family law are grey, and those without FLOPs are counted in the title.
    other = next(c for c in ax.collections if c.get_gid() == "other models")
    assert len(other.get_offsets()) == 6  # the six families of one model with FLOPs
    assert "25 models without FLOPs left out" in ax.get_title()


def test_components_other_component_and_from_parts(analysis, benchmark_table) -> None:
    ax = plot_components(analysis.components, benchmark_table, families=analysis.families, component=2).axes[0]
    assert ax.get_ylabel().startswith("PC2 score")
    slope = analysis.families.slope[1]
    line = next(line for line in ax.lines if line.get_gid() == "family law")
    x, y = line.get_xdata(), line.get_ydata()
    assert np.allclose(np.diff(y) / np.diff(np.log10(x)), slope)
    # A FamilyFit alone needs its components; components alone draw points, no lines.
    with pytest.raises(LawfitError, match="needs the components"):
        plot_components(analysis.families, benchmark_table)
    bare = plot_components(analysis.components, benchmark_table).axes[0]
    assert not bare.lines and len(bare.collections) > 0
    with pytest.raises(LawfitError, match="component from 1 to 3"):
        plot_components(analysis, benchmark_table, component=4)


def test_components_need_the_models_of_the_table(analysis, benchmark_table) -> None:
    with pytest.raises(LawfitError, match="lacks 74 of the result's models"):
        plot_components(analysis, benchmark_table.select(np.arange(len(benchmark_table)) % 2 == 0))


# ---------------------------------------------------------------------------------------------------------------
# Sigmoids


def test_backtest_sigmoid_marks_the_held_out_models_hollow(cutoff, benchmark_table) -> None:
    fig = plot_sigmoid(cutoff, benchmark_table)
    left, right = fig.axes
    for ax, name in ((left, "components"), (right, "flops")):
        train = next(c for c in ax.collections if c.get_gid() == "train")
        held = next(c for c in ax.collections if c.get_gid() == "held out")
        assert len(train.get_offsets()) == len(cutoff.train)
        assert len(held.get_offsets()) == len(cutoff.test) == 29
        assert len(held.get_facecolors()) == 0 or np.all(held.get_facecolors()[:, 3] == 0)  # hollow
        assert f"held-out MSE {cutoff.mse[name]:.4g}" in ax.get_title()
        # The held-out models' predicted intervals are error bars.
        bars = [c for c in ax.containers if c.lines[0].get_gid() == "held-out intervals"]
        assert len(bars) == 1 and bars[0].has_yerr and len(bars[0].lines[0].get_xdata()) == 29
    assert right.get_xscale() == "log" and right.get_xlabel() == "compute C (FLOPs)"
    assert left.get_xlabel() == "predictor w . PC1-3 + b"
    # The cut-off is marked against FLOPs, and the held-out models lie above it.
    cut = next(line for line in right.lines if line.get_gid() == "cutoff")
    assert cut.get_xdata()[0] == pytest.approx(LLAMA2_7B)
    held = next(c for c in right.collections if c.get_gid() == "held out")
    assert np.all(held.get_offsets()[:, 0] > LLAMA2_7B)
    # With bootstrap draws the log-FLOPs curve has a band; one panel can be asked for.
    assert len(_bands(right)) == 1
    assert len(plot_sigmoid(cutoff, benchmark_table, x="flops").axes) == 1


def test_sigmoid_band_only_with_draws(benchmark_table) -> None:
    placed = benchmark_table.select(~np.isnan(benchmark_table.C))
    plain = fit_sigmoid(placed, TARGET, x="flops")
    ax = plot_sigmoid(plain, benchmark_table).axes[0]
    assert not _bands(ax) and ax.get_xscale() == "log"
    curve = next(line for line in ax.lines if line.get_gid() == "sigmoid")
    assert np.allclose(curve.get_ydata(), plain.predict(x=np.log(curve.get_xdata())[:, None]))
    one = fit_sigmoid(benchmark_table, TARGET, n_components=1, n_resamples=10)
    ax = plot_sigmoid(one, benchmark_table).axes[0]
    assert len(_bands(ax)) == 1 and ax.get_xlabel() == "PC1 score"
    with pytest.raises(LawfitError, match="not of flops"):
        plot_sigmoid(one, benchmark_table, x="flops")


# ---------------------------------------------------------------------------------------------------------------
# Coverage


def test_coverage_curve_band_law_and_forecast(pythia_coverage) -> None:
    ax = plot_coverage(pythia_coverage).axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "samples per problem k"
    assert ax.get_ylim() == (0.0, 1.02)
    curves = [line for line in ax.lines if line.get_gid() == "curve"]
    laws = [line for line in ax.lines if line.get_gid() == "law"]
    assert len(curves) == len(laws) == 2
    assert len([c for c in _bands(ax) if c.get_gid() == "band"]) == 2
    twelve = pythia_coverage["Pythia 12B"]
    assert np.allclose(curves[1].get_ydata(), twelve["curve"].coverage)
    assert np.allclose(laws[1].get_ydata(), twelve["law"].predict(laws[1].get_xdata()))
    # The forecasts reach 10,000 samples with their interval marked; beyond the 100 drawn is shaded.
    forecast = [c for c in ax.containers if c.lines[0].get_gid() == "forecast"]
    assert len(forecast) == 2 and np.allclose(forecast[1].lines[0].get_xdata(), [10, 100, 1000, 10000])
    assert forecast[1].has_yerr
    assert ax.get_xlim()[1] > 10000
    assert any(p.get_label() == "beyond the samples drawn" for p in ax.patches)
    drawn = [line for line in ax.lines if line.get_gid() == "samples drawn"]
    assert drawn and drawn[0].get_xdata()[0] == 100


def test_coverage_of_one_curve_without_resamples_has_no_band() -> None:
    curve = coverage_curve([100] * 4, [0, 3, 20, 90], [1, 10, 100], n_resamples=0)
    ax = plot_coverage(curve).axes[0]
    assert not _bands(ax) and [line.get_gid() for line in ax.lines] == ["curve"]
    with pytest.raises(LawfitError, match="CoverageCurve or a CoverageForecast"):
        plot_coverage({"m": {"law": fit_exp_power_law(curve)}})


# ---------------------------------------------------------------------------------------------------------------
# Pass rates


def test_pass_rates_log_log_with_the_law() -> None:
    rates = pass_rates(
        {"model": ["a", "b", "c", "d"], "C": [1e19, 1e20, 1e21, 1e22], "n_samples": [1000] * 4,
         "n_correct": [0, 2, 9, 80]},
        until=False,
    )  # fmt: skip
    ax = plot_pass_rates(rates, fit_pass_rate_law(rates, n_resamples=20)).axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log" and ax.get_xlabel() == "compute C (FLOPs)"
    assert len(_bands(ax)) == 1 and [line.get_gid() for line in ax.lines if line.get_gid()][:1] == ["law"]
    bounds = next(c for c in ax.collections if c.get_gid() == "bounds")
    assert len(bounds.get_offsets()) == 1  # the model that never succeeded: its upper end


# ---------------------------------------------------------------------------------------------------------------
# Dispatch


def test_figure_dispatches_the_capabilities_results(analysis, cutoff, benchmark_table, pythia_coverage) -> None:
    assert len(figure(analysis, benchmark_table).axes[0].lines) == 33  # no target: the components
    assert len(figure(analysis.components, benchmark_table).axes) == 1
    assert len(figure(analysis.families, benchmark_table, components=analysis.components).axes[0].lines) == 33
    assert len(figure(cutoff, benchmark_table).axes) == 2
    curve = pythia_coverage["Pythia 12B"]["curve"]
    assert figure(curve).axes[0].get_xlabel() == "samples per problem k"
    assert figure(pythia_coverage["Pythia 12B"]["forecast"]).axes[0].get_xscale() == "log"
    with_target = observational_scaling(BASE, scores=EMERGENT, target=TARGET, n_components=1, n_resamples=0)
    assert figure(with_target, benchmark_table).axes[0].get_xlabel() == "PC1 score"


def test_fitted_parts_agree_with_the_analysis(benchmark_table) -> None:
    fitted = components(benchmark_table, 2)
    laws = family_fit(benchmark_table, fitted)
    ax = plot_components(laws, benchmark_table, components=fitted).axes[0]
    assert len([line for line in ax.lines if line.get_gid() == "family law"]) == len(laws.offsets)
