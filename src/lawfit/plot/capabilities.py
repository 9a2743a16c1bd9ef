"""Figures of capabilities beyond the loss: the principal components of benchmark scores against compute with each
family's law, a target metric against the sigmoid's predictor (training models filled, held-out models hollow), the
coverage of repeated sampling against k with its laws and forecasts, and tiny pass rates against scale.

The results are read by their attributes (:mod:`lawfit.capabilities` makes them; this module imports none of it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._checks import check_level
from ..errors import LawfitError
from ._common import _GRID, _LABELS, _band_style, _figure, _finish

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..capabilities import (
        Benchmarks,
        Components,
        CoverageCurve,
        CoverageForecast,
        CutoffBacktest,
        ExpPowerLaw,
        FamilyFit,
        ObservationalScaling,
        PassRateLaw,
        PassRates,
        SigmoidFit,
    )

__all__ = ["plot_components", "plot_coverage", "plot_pass_rates", "plot_sigmoid"]

_OTHER = "0.6"  # models drawn without a family law: no family, or a family of one model
_REACH = 10.0  # a coverage figure reaches this many times the largest k measured when no forecast says how far


# ---------------------------------------------------------------------------------------------------------------
# Observational scaling


def plot_components(
    result: ObservationalScaling | Components | FamilyFit,
    table: Benchmarks,
    *,
    components: Components | None = None,
    families: FamilyFit | None = None,
    component: int = 1,
) -> Figure:
    """A principal component of the benchmark scores against training compute, one colour per model family, with
    each family's fitted line (one slope shared by all families, one offset per family:
    :func:`lawfit.capabilities.family_fit`).

    Models without a family law (no family, or the only model of theirs with FLOPs) are grey points; models
    without FLOPs cannot be placed and are left out (the title counts them). A family far above the others at the
    same compute is more compute-efficient.

    Parameters
    ----------
    result : ObservationalScaling, Components or FamilyFit
        The analysis (:func:`lawfit.capabilities.observational_scaling`: its components and family laws), or its
        components (``families=`` adds the lines), or the family laws (then ``components=`` is needed).
    table : Benchmarks
        The models the components were fitted on (:func:`lawfit.capabilities.load_benchmarks`), for their FLOPs and
        families.
    components, families : optional
        The components and family laws, when ``result`` does not carry them.
    component : int
        Which component: 1 for PC1 (the default), 2 for PC2, ...

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.capabilities import load_benchmarks, observational_scaling
    >>> from lawfit.plot import plot_components
    >>> skill = np.linspace(0, 1, 12)
    >>> data = {"model": [f"m{i}" for i in range(12)], "family": ["f", "g"] * 6, "a": skill, "b": skill**2,
    ...         "C": 1e21 * 10 ** (3 * skill)}
    >>> result = observational_scaling(data, n_components=1, n_resamples=0)
    >>> ax = plot_components(result, load_benchmarks(data)).axes[0]
    >>> ax.get_xscale(), [line.get_label() for line in ax.lines]
    ('log', ['f (6)', 'g (6)'])
    """
    fitted, laws = _observational_parts(result, components, families)
    if fitted is None:
        raise LawfitError(
            "plot_components needs the components: give an ObservationalScaling or Components, or components=."
        )
    k = _component_index(component, fitted.n_components, "plot_components")
    where = _rows_of(table, fitted.model, "plot_components")
    flops = np.array([table.C[i] for i in where], dtype=np.float64)
    family = np.array([table.family[i] for i in where], dtype=object)
    values = np.asarray(fitted.values, dtype=np.float64)[:, k]
    placed = np.isfinite(flops) & (flops > 0)
    fig = _figure(figsize=(9.0, 5.5))
    ax = fig.add_subplot()
    named = sorted(laws.offsets) if laws is not None else sorted({f for f in family[placed] if f})
    colours = _colours(len(named))
    for name, colour in zip(named, colours, strict=True):
        mine = placed & (family == name)
        if not mine.any():
            continue
        ax.scatter(flops[mine], values[mine], color=colour, s=22, zorder=3, gid=f"family {name}")
        if laws is not None:
            low, high = float(flops[mine].min()), float(flops[mine].max())
            grid = np.geomspace(low, high if high > low else low * 2.0, _GRID)
            line = laws.slope[k] * np.log10(grid) + laws.offsets[name][k]
            ax.plot(grid, line, color=colour, lw=1.3, label=f"{name} ({int(mine.sum())})", gid="family law")
    other = placed & ~np.isin(family, named)
    if other.any():
        ax.scatter(
            flops[other],
            values[other],
            color=_OTHER,
            s=16,
            zorder=2,
            label=f"no family law ({int(other.sum())})",
            gid="other models",
        )
    ratio = float(fitted.explained_variance_ratio[k])
    ax.set_xscale("log")
    ax.set_xlabel(_LABELS["C"])
    ax.set_ylabel(f"PC{k + 1} score ({ratio:.1%} of the variance)")
    title = f"PC{k + 1} of {len(fitted.benchmarks)} benchmarks against compute"
    if laws is not None:
        title += f": shared slope {float(laws.slope[k]):.3g} per decade of FLOPs (R2 {float(laws.r2[k]):.3f})"
    if (~placed).any():
        title += f"\n{int((~placed).sum())} models without FLOPs left out"
    ax.set_title(title, fontsize="medium")
    if ax.get_legend_handles_labels()[0]:
        columns = 1 if len(named) <= 16 else 2
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, ncol=columns)
    return fig


def plot_sigmoid(
    result: SigmoidFit | CutoffBacktest | ObservationalScaling,
    table: Benchmarks,
    *,
    x: str | None = None,
    level: float | None = None,
) -> Figure:
    """A target metric against the predictor of its sigmoid, with the fitted curve.

    - Against the components (``x="components"``): the horizontal axis is the sigmoid's linear predictor
      ``w . PC + b`` of each model's components (for one component, PC1 itself), on which every model lies on one
      curve ``floor + (ceiling - floor) * sigmoid(.)``.
    - Against log FLOPs (``x="flops"``): the target against compute on a log axis, the curve the sigmoid of ln C.

    The training models are filled points; the held-out models of a :class:`~lawfit.capabilities.CutoffBacktest`
    (above its compute cut-off) are hollow, with their ``level`` bootstrap intervals as error bars when the back-test
    has them, and the cut-off a dotted line against FLOPs. With bootstrap draws a band shows the curve's interval
    (against FLOPs, or one component); for several components each training model's interval is an error bar. A
    back-test is drawn in two panels, its component sigmoid and its log-FLOPs baseline, each titled with its error
    on the held-out models.

    Parameters
    ----------
    result : SigmoidFit, CutoffBacktest or ObservationalScaling
        The fit (:func:`lawfit.capabilities.fit_sigmoid`), the back-test (:func:`lawfit.capabilities.backtest_cutoff`),
        or the analysis with a target (its back-test if it has one, else its sigmoid).
    table : Benchmarks
        The models (with the target's scores and their FLOPs).
    x : {"components", "flops"}, optional
        One panel of a back-test (default both); a fit is drawn against its own input.
    level : float, optional
        Level of the bands (default the back-test's, else 0.9).

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.capabilities import backtest_cutoff, load_benchmarks
    >>> from lawfit.plot import plot_sigmoid
    >>> skill = np.linspace(0, 1, 30)
    >>> table = load_benchmarks({"model": [f"m{i}" for i in range(30)], "a": skill, "b": 0.1 + 0.8 * skill,
    ...                          "task": 1 / (1 + np.exp(-(8 * skill - 5))), "C": 1e21 * 10**(3 * skill)})
    >>> left, right = plot_sigmoid(backtest_cutoff(table, "task", 1e23, n_components=1), table).axes
    >>> right.get_xscale(), len(right.collections[1].get_offsets())  # the 10 held-out models
    ('log', 10)
    """
    backtest, fit = _sigmoid_parts(result)
    if x is not None and x not in ("components", "flops"):
        raise LawfitError(f"The 'x' parameter of plot_sigmoid must be 'components' or 'flops'. Got {x!r} instead.")
    if backtest is not None:
        names = [x] if x is not None else ["components", "flops"]
        fits = [backtest.fits[name] for name in names]
        level = backtest.level if level is None else level
    else:
        assert fit is not None
        if x is not None and x != fit.x:
            raise LawfitError(f"This sigmoid is of {fit.x}, not of {x}: draw it with x={fit.x!r} (or without x).")
        fits = [fit]
        level = 0.9 if level is None else level
    level = check_level(level, where="plot_sigmoid")
    fig = _figure(figsize=(6.5 * len(fits), 5.0))
    axes = fig.subplots(1, len(fits), squeeze=False).ravel()
    for ax, one in zip(axes, fits, strict=True):
        _draw_sigmoid(ax, one, backtest, table, level)
    return fig


def _draw_sigmoid(ax: Axes, fit: SigmoidFit, backtest: CutoffBacktest | None, table: Benchmarks, level: float) -> None:
    train = list(fit.model)
    test = [] if backtest is None else list(backtest.test)
    rows = _rows_of(table, [*train, *test], "plot_sigmoid")
    shown = table.select(np.asarray(rows, dtype=np.int64))
    features = np.asarray(fit.features(shown), dtype=np.float64)
    y = np.asarray(shown.column(fit.target), dtype=np.float64)
    by_flops = fit.x == "flops"
    weights = np.asarray(fit.weights, dtype=np.float64)
    single = by_flops or weights.size == 1
    if by_flops:
        position = np.exp(features[:, 0])
    elif single:
        position = features[:, 0]
    else:
        position = features @ weights + fit.intercept
    is_train = np.arange(len(rows)) < len(train)
    has_draws = np.asarray(fit.draws).size > 0
    # The curve along the horizontal axis, reaching past the points a little.
    low, high = float(np.nanmin(position)), float(np.nanmax(position))
    if by_flops:
        grid = np.geomspace(low / 1.5, high * 1.5, _GRID)
        inputs = np.log(grid)[:, None]
    else:
        pad = 0.08 * (high - low) or 1.0
        grid = np.linspace(low - pad, high + pad, _GRID)
        inputs = grid[:, None] if single else None
    if inputs is not None:
        curve = np.asarray(fit.predict(x=inputs), dtype=np.float64)
    else:
        curve = fit.floor + (fit.ceiling - fit.floor) * 0.5 * (1.0 + np.tanh(0.5 * grid))
    ax.plot(grid, curve, color="black", lw=1.5, label=_sigmoid_text(fit), gid="sigmoid")
    if has_draws and inputs is not None:
        band_low, band_high = fit.predict_interval(x=inputs, level=level)
        ax.fill_between(grid, band_low, band_high, label=f"{level:.0%} interval of the curve", **_band_style("black"))
    colour = "C0" if not by_flops else "C1"
    ax.scatter(
        position[is_train],
        y[is_train],
        color=colour,
        s=20,
        zorder=3,
        label=f"trained on ({int(is_train.sum())})",
        gid="train",
    )
    if has_draws and inputs is None and backtest is None:  # a back-test's intervals are its held-out models'
        low_m, high_m = fit.predict_interval(shown.select(is_train), level=level)
        predicted = np.asarray(fit.predict(shown.select(is_train)), dtype=np.float64)
        errors = np.vstack([predicted - low_m, high_m - predicted]).clip(min=0.0)
        ax.errorbar(
            position[is_train],
            predicted,
            yerr=errors,
            fmt="none",
            ecolor=colour,
            alpha=0.5,
            lw=0.8,
            label=f"{level:.0%} interval of the prediction",
        )
    if backtest is not None and test:
        held = ~is_train
        name = "flops" if by_flops else "components"
        cut = f"above {backtest.cutoff:.3g} FLOPs"
        if name in backtest.low:
            predicted = np.asarray(backtest.predictions[name], dtype=np.float64)
            errors = np.vstack([predicted - backtest.low[name], backtest.high[name] - predicted]).clip(min=0.0)
            ax.errorbar(
                position[held],
                predicted,
                yerr=errors,
                fmt="_",
                color="C3",
                ms=8,
                lw=1.0,
                capsize=2,
                zorder=4,
                label=f"predicted, {backtest.level:.0%} interval",
                gid="held-out intervals",
            )
        ax.scatter(
            position[held],
            y[held],
            s=34,
            facecolors="none",
            edgecolors="C3",
            lw=1.2,
            zorder=5,
            label=f"held out: {cut} ({int(held.sum())})",
            gid="held out",
        )
        if by_flops:
            ax.axvline(backtest.cutoff, color="0.3", lw=1.0, ls=":", label="cut-off", gid="cutoff")
    if by_flops:
        ax.set_xscale("log")
        ax.set_xlabel(_LABELS["C"])
    elif single:
        ax.set_xlabel("PC1 score")
    else:
        ax.set_xlabel(f"predictor w . PC1-{weights.size} + b")
    ax.set_ylabel(fit.target)
    title = f"{fit.target}: sigmoid of {'ln FLOPs' if by_flops else _pcs(weights.size)}"
    if backtest is not None:
        title += f"\nheld-out MSE {backtest.mse['flops' if by_flops else 'components']:.4g}"
    else:
        title += f"\nMSE {fit.mse:.4g} on {len(train)} models"
    ax.set_title(title if len(title) <= 120 else title[:117] + "...", fontsize="medium")
    ax.legend(fontsize="x-small")


def _sigmoid_text(fit: SigmoidFit) -> str:
    return f"{fit.floor:.3g} + {fit.ceiling - fit.floor:.3g} sigmoid(.)"


def _pcs(k: int) -> str:
    return "PC1" if k == 1 else f"PC1-{k}"


def _observational_parts(result: Any, components: Any, families: Any) -> tuple[Any, Any]:
    """The components and family laws of ``result``, by what it carries (this module imports no analysis)."""
    if hasattr(result, "components") and hasattr(result, "families"):  # ObservationalScaling
        return result.components, result.families if families is None else families
    if hasattr(result, "loadings"):  # Components
        return result, families
    if hasattr(result, "slope") and hasattr(result, "offsets"):  # FamilyFit
        return components, result
    raise LawfitError(
        "plot_components needs an ObservationalScaling, Components or FamilyFit of lawfit.capabilities. Got a "
        f"{type(result).__name__} instead."
    )


def _sigmoid_parts(result: Any) -> tuple[Any, Any]:
    """The back-test (or None) and the fit (or None) of ``result``."""
    if hasattr(result, "backtest") and hasattr(result, "sigmoid"):  # ObservationalScaling
        if result.backtest is None and result.sigmoid is None:
            raise LawfitError("This analysis has no target: fit it with target= (CLI: --target COLUMN) to draw it.")
        return result.backtest, result.sigmoid
    if hasattr(result, "fits") and hasattr(result, "cutoff"):  # CutoffBacktest
        return result, None
    if hasattr(result, "weights") and hasattr(result, "intercept"):  # SigmoidFit
        return None, result
    raise LawfitError(
        "plot_sigmoid needs a SigmoidFit, CutoffBacktest or ObservationalScaling of lawfit.capabilities. Got a "
        f"{type(result).__name__} instead."
    )


def _component_index(component: Any, n: int, where: str) -> int:
    if isinstance(component, bool) or not isinstance(component, int | np.integer) or not 1 <= component <= n:
        raise LawfitError(
            f"The 'component' parameter of {where} must be a component from 1 to {n}. Got {component!r} instead."
        )
    return int(component) - 1


def _rows_of(table: Any, models: Sequence[str], where: str) -> list[int]:
    """The rows of ``table`` of each model, in order; an error naming the models it lacks."""
    index = {name: i for i, name in enumerate(table.model)}
    missing = [m for m in models if m not in index]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise LawfitError(
            f"The table of {where} lacks {len(missing)} of the result's models ({shown}): give the table the result "
            "was fitted on."
        )
    return [index[m] for m in models]


def _colours(n: int) -> list[Any]:
    from matplotlib import colormaps

    if n <= 10:
        return [f"C{i}" for i in range(n)]
    cmap = colormaps["tab20"]
    return [cmap(i % 20) for i in range(n)]


# ---------------------------------------------------------------------------------------------------------------
# Repeated sampling


def plot_coverage(
    coverage: CoverageCurve | CoverageForecast | Mapping[str, Any],
    *,
    law: ExpPowerLaw | None = None,
    forecast: CoverageForecast | None = None,
) -> Figure:
    """Coverage (the share of problems solved by at least one of k samples) against k, on a log axis of k.

    For each model, in its colour:

    - the measured coverage (:func:`lawfit.capabilities.coverage_curve`) as points on a line, with its bootstrap
      band over problems;
    - the exponentiated power law ``exp(a k^b)`` (:func:`lawfit.capabilities.fit_exp_power_law`), dashed, reaching
      as far as the forecasts;
    - the forecast (:func:`lawfit.capabilities.forecast_coverage`): the coverage of the problems' success distribution
      of single-sample success, dotted, and the forecasts at their k as diamonds with their interval as error bars;
      a vertical line marks the samples drawn per problem, beyond which everything is extrapolation (shaded).

    Parameters
    ----------
    coverage : CoverageCurve, CoverageForecast, or mapping of model names
        One model's curve (or forecast); or several models: each name to its curve, its forecast, or a mapping with
        any of ``"curve"``, ``"law"`` and ``"forecast"``.
    law, forecast : optional
        One model's law and forecast, with its curve.

    Examples
    --------
    >>> from lawfit.capabilities import coverage_curve, fit_exp_power_law, forecast_coverage
    >>> from lawfit.plot import plot_coverage
    >>> n, c = [100] * 4, [0, 3, 20, 90]
    >>> curve = coverage_curve(n, c, [1, 10, 100], n_resamples=50)
    >>> ax = plot_coverage(curve, law=fit_exp_power_law(curve), forecast=forecast_coverage(n, c, [1000],
    ...                    n_resamples=0)).axes[0]
    >>> ax.get_xscale(), sorted({line.get_gid() for line in ax.lines} - {None})
    ('log', ['curve', 'distribution', 'forecast', 'law', 'samples drawn'])
    """
    entries = _coverage_entries(coverage, law, forecast)
    fig = _figure(figsize=(8.0, 5.0))
    ax = fig.add_subplot()
    measured = [float(np.max(e["curve"].k)) for e in entries if e["curve"] is not None]
    forecast_k = [float(np.max(e["forecast"].k)) for e in entries if e["forecast"] is not None]
    drawn = [float(e["forecast"].samples_per_problem) for e in entries if e["forecast"] is not None]
    top = max([*measured, *forecast_k, *drawn, 1.0])
    if not forecast_k and any(e["law"] is not None for e in entries):
        top *= _REACH
    lowest = min([float(np.min(e["curve"].k)) for e in entries if e["curve"] is not None] or [1.0])
    grid = np.geomspace(max(min(lowest, 1.0), 1e-3), top, _GRID)
    if drawn and top > min(drawn):
        ax.axvspan(min(drawn), top, color="0.93", lw=0, zorder=0, label="beyond the samples drawn")
    for i, entry in enumerate(entries):
        colour = f"C{i % 10}"
        first = i == 0
        curve, law_, ahead = entry["curve"], entry["law"], entry["forecast"]
        name = entry["name"]
        if curve is not None:
            label = f"{name}: measured ({curve.n_problems} problems)" if name else f"measured ({curve.n_problems})"
            ax.plot(curve.k, curve.coverage, "o-", color=colour, ms=4, lw=1.2, label=label, gid="curve", zorder=3)
            low, high = np.asarray(curve.low, dtype=np.float64), np.asarray(curve.high, dtype=np.float64)
            if np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and low.size:
                band = f"{curve.level:.0%} bootstrap band" if first else None
                ax.fill_between(curve.k, low, high, color=colour, alpha=0.2, lw=0, label=band, gid="band")
        elif name:
            ax.plot([], [], color=colour, lw=1.2, label=name)
        if law_ is not None:
            text = f"exp(a k^b): a = {law_.a:.3g}, b = {law_.b:.3g}"
            ax.plot(grid, law_.predict(grid), color=colour, lw=1.2, ls="--", label=text, gid="law")
        if ahead is not None:
            dist = ahead.distribution
            text = "success distribution's coverage" if first else None
            ax.plot(grid, dist.coverage(grid), color=colour, lw=1.2, ls=":", label=text, gid="distribution")
            k, value = np.asarray(ahead.k, dtype=np.float64), np.asarray(ahead.coverage, dtype=np.float64)
            low, high = np.asarray(ahead.low, dtype=np.float64), np.asarray(ahead.high, dtype=np.float64)
            bounded = np.isfinite(low) & np.isfinite(high)
            errors = np.where(bounded, np.vstack([value - low, high - value]), 0.0).clip(min=0.0)
            text = (
                f"forecast, {ahead.level:.0%} interval" if first and bounded.any() else ("forecast" if first else None)
            )
            ax.errorbar(
                k,
                value,
                yerr=errors if bounded.any() else None,
                fmt="D",
                ms=5,
                mfc="white",
                mec=colour,
                ecolor=colour,
                capsize=3,
                lw=1.0,
                zorder=4,
                label=text,
                gid="forecast",
            )
            text = "samples drawn per problem" if first else None
            ax.axvline(ahead.samples_per_problem, color=colour, lw=0.9, ls="-.", label=text, gid="samples drawn")
    ax.set_xscale("log")
    ax.set_xlim(grid[0], top * 1.2)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("samples per problem k")
    ax.set_ylabel("coverage (share of problems solved)")
    ax.set_title("coverage against samples per problem", fontsize="medium")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return fig


def _coverage_entries(coverage: Any, law: Any, forecast: Any) -> list[dict[str, Any]]:
    """Each model's name, curve, law and forecast (None where not given)."""
    if isinstance(coverage, Mapping):
        if law is not None or forecast is not None:
            raise LawfitError(
                "plot_coverage takes law= and forecast= with one model's curve; give several in the mapping."
            )
        entries = []
        for name, value in coverage.items():
            if isinstance(value, Mapping):
                unknown = set(value) - {"curve", "law", "forecast"}
                if unknown:
                    raise LawfitError(
                        f"The coverage of {name!r} for plot_coverage must map curve, law or forecast. Got "
                        f"{sorted(map(str, unknown))} instead."
                    )
                parts = {key: value.get(key) for key in ("curve", "law", "forecast")}
            elif _is_forecast(value):
                parts = {"curve": None, "law": None, "forecast": value}
            elif _is_curve(value):
                parts = {"curve": value, "law": None, "forecast": None}
            else:
                parts = {}
            entries.append({"name": str(name), **parts})
    elif _is_forecast(coverage):
        entries = [{"name": "", "curve": None, "law": law, "forecast": coverage}]
    else:
        entries = [{"name": "", "curve": coverage, "law": law, "forecast": forecast}]
    for entry in entries:
        curve, ahead = entry.get("curve"), entry.get("forecast")
        if not entry.get("name") and len(entries) > 1:
            raise LawfitError("Each model of plot_coverage needs a name.")
        if (curve is None and ahead is None) or (curve is not None and not _is_curve(curve)):
            raise LawfitError(
                "plot_coverage needs a CoverageCurve or a CoverageForecast of lawfit.capabilities for each model "
                f"(coverage_curve, forecast_coverage). Got {type(curve if curve is not None else ahead).__name__}."
            )
        if ahead is not None and not _is_forecast(ahead):
            raise LawfitError(f"The forecast of plot_coverage must be a CoverageForecast. Got {type(ahead).__name__}.")
        if entry.get("law") is not None and not hasattr(entry["law"], "predict"):
            raise LawfitError(f"The law of plot_coverage must be an ExpPowerLaw. Got {type(entry['law']).__name__}.")
    if not entries:
        raise LawfitError("There is no coverage to draw: the mapping is empty.")
    return entries


def _is_forecast(value: Any) -> bool:
    return all(hasattr(value, name) for name in ("k", "coverage", "distribution", "samples_per_problem"))


def _is_curve(value: Any) -> bool:
    return all(hasattr(value, name) for name in ("k", "coverage", "low", "high", "n_problems")) and not _is_forecast(
        value
    )


# ---------------------------------------------------------------------------------------------------------------
# Tiny pass rates


def plot_pass_rates(rates: PassRates, law: PassRateLaw | None = None) -> Figure:
    """Each model's pass rate against its scale (N or C), log-log, with its exact interval as an error bar, and the
    law ``pass rate = A x^b`` (:func:`lawfit.capabilities.fit_pass_rate_law`) with its bootstrap band.

    A model that never succeeded has no point on a log axis: its interval's upper end is drawn as a downward
    triangle (a bound).

    Examples
    --------
    >>> from lawfit.capabilities import fit_pass_rate_law, pass_rates
    >>> from lawfit.plot import plot_pass_rates
    >>> rates = pass_rates({"model": ["a", "b", "c"], "C": [1e20, 1e21, 1e22], "n_samples": [1000] * 3,
    ...                     "n_correct": [1, 9, 80]}, until=False)
    >>> ax = plot_pass_rates(rates, fit_pass_rate_law(rates, n_resamples=20)).axes[0]
    >>> ax.get_xlabel(), ax.get_yscale()
    ('compute C (FLOPs)', 'log')
    """
    if not all(hasattr(rates, name) for name in ("x", "x_name", "rate", "low", "high", "models")):
        raise LawfitError(f"plot_pass_rates needs the PassRates of lawfit.capabilities. Got {type(rates).__name__}.")
    x = np.asarray(rates.x, dtype=np.float64)
    rate = np.asarray(rates.rate, dtype=np.float64)
    low, high = np.asarray(rates.low, dtype=np.float64), np.asarray(rates.high, dtype=np.float64)
    fig = _figure(figsize=(7.0, 5.0))
    ax = fig.add_subplot()
    seen = rate > 0
    if law is not None:
        grid = np.geomspace(float(x.min()) / 1.5, float(x.max()) * 1.5, _GRID)
        value, band_low, band_high = law.predict(grid)
        text = f"rate = A {law.x_name}^b: b = {law.b:.3g}"
        ax.plot(grid, value, color="black", lw=1.5, label=text, gid="law")
        if np.all(np.isfinite(band_low)) and np.all(np.isfinite(band_high)):
            ax.fill_between(
                grid, band_low, band_high, label=f"{law.level:.0%} interval of the law", **_band_style("black")
            )
    if seen.any():
        errors = np.vstack([rate[seen] - low[seen], high[seen] - rate[seen]]).clip(min=0.0)
        errors[0] = np.minimum(errors[0], rate[seen] * (1 - 1e-9))  # a lower end of 0 has no place on a log axis
        ax.errorbar(
            x[seen],
            rate[seen],
            yerr=errors,
            fmt="o",
            color="C0",
            ms=5,
            capsize=2,
            lw=1,
            zorder=3,
            label=f"pass rate, {rates.level:.0%} exact interval ({int(seen.sum())})",
            gid="rates",
        )
    if (~seen).any():
        ax.scatter(
            x[~seen],
            high[~seen],
            marker="v",
            color="C3",
            s=30,
            zorder=3,
            label=f"no success: upper end ({int((~seen).sum())})",
            gid="bounds",
        )
    how = "attempts until a success" if rates.until else "fixed attempts"
    _finish(
        ax, _LABELS.get(rates.x_name, rates.x_name), "pass rate", f"pass rates of {len(rates.models)} models ({how})"
    )
    return fig
