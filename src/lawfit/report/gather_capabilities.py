"""Gathering the report of capabilities beyond the loss: an observational analysis of benchmark scores (the
components, the family laws in log FLOPs, the sigmoid of a target and its back-test against log FLOPs) and the
coverage of repeated sampling per model (the measured curve, the exponentiated power law, the forecast beyond the
samples drawn), said as a :class:`~lawfit.report.document.Report` (no HTML).

It takes results already computed (:func:`lawfit.capabilities.observational_scaling`, and per model
:func:`~lawfit.capabilities.coverage_curve`, :func:`~lawfit.capabilities.fit_exp_power_law` and
:func:`~lawfit.capabilities.forecast_coverage`) and runs no analysis of its own;
:func:`lawfit.report.write_capabilities_report` writes the page.

>>> import numpy as np
>>> from lawfit.capabilities import coverage_curve, fit_exp_power_law
>>> curve = coverage_curve([100] * 4, [0, 3, 20, 90], [1, 10, 100], n_resamples=0)
>>> doc = gather_capabilities(coverage={"m": {"curve": curve, "law": fit_exp_power_law(curve)}})
>>> [s.key for s in doc.sections]
['coverage', 'forecasts', 'figures', 'about']
>>> doc.section("coverage").blocks[0].rows[0][:3]
('m', '4', '100')
"""

from __future__ import annotations

import math
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._intervals import format_interval
from .._version import __version__
from ..errors import LawfitError
from .document import Block, Bullets, Facts, Folded, Heading, Omitted, Plot, Report, Section, Table, Text, Verdict

if TYPE_CHECKING:
    from ..capabilities import Benchmarks, CutoffBacktest, FamilyFit, ObservationalScaling

__all__ = ["gather_capabilities"]

OBSERVATIONAL_SECTIONS = (
    ("components", "Principal components"),
    ("families", "Family laws in log FLOPs"),
    ("target", "Target metric"),
)
COVERAGE_SECTIONS = (("coverage", "Coverage per model"), ("forecasts", "Forecasts beyond the samples drawn"))
_POOR_R2 = 0.5  # a family law that explains less of a component's variance than this says little
_POOR_LAW = 0.1  # rms log residual above which exp(a k^b) misses the measured coverage by more than about 10%
_MAX_ROWS = 50  # held-out models shown in the back-test's table


def gather_capabilities(
    *,
    observational: ObservationalScaling | None = None,
    table: Benchmarks | None = None,
    coverage: Mapping[str, Mapping[str, Any]] | None = None,
    title: str | None = None,
    command: str | None = None,
    max_rows: int = _MAX_ROWS,
) -> Report:
    """Say what an observational analysis and/or coverage results found: the report of
    :func:`lawfit.report.write_capabilities_report` (same parameters, without the file).

    Parameters
    ----------
    observational : ObservationalScaling, optional
        The analysis of :func:`lawfit.capabilities.observational_scaling`.
    table : Benchmarks, optional
        Its models (:func:`lawfit.capabilities.load_benchmarks`): the figures need their FLOPs and families.
    coverage : mapping, optional
        Per model name, a mapping of ``"curve"`` (:class:`~lawfit.capabilities.CoverageCurve`), and optionally
        ``"law"`` (:class:`~lawfit.capabilities.ExpPowerLaw`) and ``"forecast"``
        (:class:`~lawfit.capabilities.CoverageForecast`).
    title, command : str, optional
        The page's title, and the command that made it (shown in its metadata).
    max_rows : int
        At most this many held-out models in the back-test's table.
    """
    if observational is None and not coverage:
        raise LawfitError("A capabilities report needs an observational analysis (observational=) or coverage results.")
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections: list[Section] = []
    points: list[str] = []
    headlines: list[str] = []
    figures: list[Block] = []
    settings: dict[str, str] = {}
    if observational is not None:
        bodies = {
            "components": _components_body(observational),
            "families": _families_body(observational.families),
            "target": _target_body(observational, max_rows),
        }
        sections += [Section(key, name, tuple(bodies[key])) for key, name in OBSERVATIONAL_SECTIONS]
        headline, found = _observational_verdict(observational)
        headlines.append(headline)
        points += found
        figures += _observational_figures(observational, table)
        if table is not None:
            settings["benchmark table"] = table.source.strip("'\"")
    if coverage:
        entries = _coverage_entries(coverage)
        sections += [
            Section("coverage", COVERAGE_SECTIONS[0][1], tuple(_coverage_body(entries))),
            Section("forecasts", COVERAGE_SECTIONS[1][1], tuple(_forecasts_body(entries))),
        ]
        headline, found = _coverage_verdict(entries)
        headlines.append(headline)
        points += found
        figures.append(
            Plot(
                "plot_coverage",
                ({name: parts for name, parts in entries.items()},),
                {},
                "Coverage against samples per problem",
                "Coverage against k (log axis) per model: the measured curve with its bootstrap band, the "
                "exponentiated power law (dashed), the per-problem success distribution's coverage (dotted) and the "
                "forecasts with their intervals (diamonds); beyond the samples drawn (shaded) everything is "
                "extrapolation.",
            )
        )
    sections.append(Section("figures", "Figures", tuple(figures) or (Omitted("no figure to draw."),)))
    sections.append(Section("about", "About this report", tuple(_about(created, command, settings))))
    if title is not None:
        heading = title
    elif observational is not None and coverage:
        heading = "Capabilities: observational scaling and repeated-sampling coverage"
    elif observational is not None:
        heading = "Observational scaling" + (f": {_name(table.source)}" if table is not None else "")
    else:
        heading = f"Repeated-sampling coverage of {len(coverage or {})} model{'s' if len(coverage or {}) != 1 else ''}"
    meta = f"lawfit {__version__} · {created}" + (f" · {command}" if command else "")
    verdict = Verdict("doubt" if points else "ok", " ".join(headlines), tuple(points))
    return Report(heading, meta, __version__, verdict, tuple(sections))


# ---------------------------------------------------------------------------------------------------------------
# Observational scaling


def _components_body(result: ObservationalScaling) -> list[Block]:
    fitted = result.components
    ratio = np.asarray(fitted.explained_variance_ratio, dtype=np.float64)
    imputation = (
        f"{fitted.n_imputed} missing scores imputed by rank-{fitted.rank} iterative PCA "
        f"({fitted.iterations} rounds{'' if fitted.converged else ', not converged'})"
    )
    facts = Facts(
        (
            ("benchmarks", ", ".join(fitted.benchmarks)),
            ("models", f"{len(fitted.model):,}"),
            ("scaling", "un-standardised PCA of scores in [0, 1], centred (Ruan et al. 2024)"),
            ("imputation", imputation),
        )
    )
    rows = []
    for k in range(fitted.n_components):
        rows.append(
            (
                f"PC{k + 1}",
                f"{ratio[k]:.3f}",
                f"{ratio[: k + 1].sum():.3f}",
                *(f"{v:.3f}" for v in fitted.loadings[k]),
            )
        )
    headers = ("component", "explained", "cumulative", *fitted.benchmarks)
    caption = "Each component's share of the variance of the scores, and its loadings on the benchmarks."
    numeric = tuple(range(1, len(headers)))
    parts: list[Block] = [facts, Table(headers, tuple(rows), numeric=numeric, caption=caption)]
    if result.notes:
        parts += [Heading("Notes"), Bullets(tuple(result.notes))]
    return parts


def _families_body(families: FamilyFit | None) -> list[Block]:
    if families is None:
        return [Omitted("the table has no family or FLOPs column, so there is no family law.")]
    slope = np.asarray(families.slope, dtype=np.float64)
    r2 = np.asarray(families.r2, dtype=np.float64)
    pcs = [f"PC{k + 1}" for k in range(slope.size)]
    facts = Facts(
        (
            ("law", "each component = slope x log10(FLOPs) + offset of the family (one slope shared by all)"),
            ("shared slope", ", ".join(f"{pc} {s:.4g} (R2 {r:.3f})" for pc, s, r in zip(pcs, slope, r2, strict=True))),
            ("families", f"{len(families.offsets)} fitted, {len(families.excluded)} left out (one model each)"),
        )
    )
    ordered = sorted(families.offsets, key=lambda f: -float(families.offsets[f][0]))
    reference = ordered[0] if ordered else None
    rows = []
    for name in ordered:
        relative = families.relative_compute(name, reference) if reference is not None and slope[0] else math.nan
        rows.append(
            (
                name,
                str(families.n_models[name]),
                *(f"{float(v):.4g}" for v in families.offsets[name]),
                _g(relative, 3),
            )
        )
    headers = ("family", "models", *(f"offset {pc}" for pc in pcs), f"FLOPs for the PC1 of {reference}")
    caption = (
        "Families by their offset of PC1, the most compute-efficient first; the last column is how many times the "
        f"FLOPs of {reference} a family needs for the same PC1."
    )
    parts: list[Block] = [facts, Table(headers, tuple(rows), numeric=tuple(range(1, len(headers))), caption=caption)]
    if families.excluded:
        parts.append(Text("Left out (one model with FLOPs): " + ", ".join(families.excluded) + "."))
    if families.notes:
        parts += [Heading("Notes"), Bullets(tuple(families.notes))]
    return parts


def _target_body(result: ObservationalScaling, max_rows: int) -> list[Block]:
    if result.sigmoid is None and result.backtest is None:
        return [Omitted("no target metric: give target= (CLI: --target COLUMN) to predict one from the components.")]
    parts: list[Block] = []
    if result.sigmoid is not None:
        fit = result.sigmoid
        parts += [
            Heading(f"Sigmoid of the components, fitted on every model with a {fit.target} score"),
            Facts(
                (
                    ("fit", fit.summary()),
                    ("models", f"{len(fit.model):,}"),
                    ("mean squared error", _g(fit.mse, 4)),
                )
            ),
        ]
    if result.backtest is not None:
        parts += _backtest_blocks(result.backtest, max_rows)
    if result.at is not None:
        parts += _at_blocks(result.at)
    return parts


def _backtest_blocks(bt: CutoffBacktest, max_rows: int) -> list[Block]:
    labels = {"components": f"sigmoid of PC1-{bt.n_components}", "flops": "sigmoid of ln FLOPs (baseline)"}
    rows = tuple((labels[k], _g(bt.mse[k], 4), str(len(bt.train)), str(len(bt.test))) for k in ("components", "flops"))
    marked = (0,) if bt.winner == "components" else (1,)
    caption = (
        f"Trained on the models at or below {bt.cutoff:.3g} FLOPs (the components fitted on them only), tested on the "
        "models above; the lower held-out error is marked."
    )
    parts: list[Block] = [
        Heading(f"Back-test of {bt.target} at a compute cut-off"),
        Table(
            ("predictor", "held-out MSE", "trained on", "tested on"),
            rows,
            numeric=(1, 2, 3),
            caption=caption,
            marked=marked,
        ),
    ]
    shown = range(min(len(bt.test), max(int(max_rows), 0)))
    with_intervals = bool(bt.low)
    headers = ["model", "actual", "components"]
    if with_intervals:
        headers.append(f"{bt.level:.0%} interval")
    headers.append("log FLOPs")
    if with_intervals:
        headers.append(f"{bt.level:.0%} interval")
    model_rows = []
    for i in shown:
        row = [bt.test[i], f"{float(bt.actual[i]):.3f}"]
        for key in ("components", "flops"):
            value = float(bt.predictions[key][i])
            row.append(f"{value:.3f}")
            if with_intervals:
                row.append(_interval(bt.low[key][i], bt.high[key][i], value))
        model_rows.append(tuple(row))
    table = Table(tuple(headers), tuple(model_rows), numeric=tuple(range(1, len(headers))))
    summary = f"The {len(bt.test)} held-out models: actual score and both predictions"
    if len(bt.test) > len(model_rows):
        summary += f" (the first {len(model_rows)})"
    parts.append(Folded(summary, table))
    if bt.notes:
        parts.append(Bullets(tuple(bt.notes)))
    return parts


def _at_blocks(at: Mapping[str, Any]) -> list[Block]:
    target = at["target"]
    value = float(at[target][0])
    interval = at.get("intervals", {}).get(target)
    text = f"{value:.4g}"
    if interval:
        text += f" {_interval(interval['low'][0], interval['high'][0], value)} ({interval['level']:.0%})"
    return [
        Heading("Prediction"),
        Facts(((f"{target} of family {at['family']} at {float(at['C'][0]):.3g} FLOPs", text),)),
    ]


def _observational_verdict(result: ObservationalScaling) -> tuple[str, list[str]]:
    fitted = result.components
    ratio = np.asarray(fitted.explained_variance_ratio, dtype=np.float64)
    headline = (
        f"PC1 explains {ratio[0]:.1%} of the variance of {len(fitted.benchmarks)} benchmarks over "
        f"{len(fitted.model)} models (PC1-{fitted.n_components}: {ratio[: fitted.n_components].sum():.1%})."
    )
    points = []
    families = result.families
    if families is not None and float(families.r2[0]) < _POOR_R2:
        points.append(
            f"The family laws explain only {float(families.r2[0]):.0%} of PC1's variance: within a family, PC1 is not "
            "linear in log FLOPs, and its predictions from compute are loose."
        )
    bt = result.backtest
    if bt is not None:
        if bt.winner == "components":
            headline += (
                f" Above {bt.cutoff:.3g} FLOPs the sigmoid of the components predicted {bt.target} better than log "
                f"FLOPs (held-out MSE {bt.mse['components']:.3g} against {bt.mse['flops']:.3g})."
            )
        else:
            points.append(
                f"Above {bt.cutoff:.3g} FLOPs the log-FLOPs baseline predicted {bt.target} better than the components "
                f"(held-out MSE {bt.mse['flops']:.3g} against {bt.mse['components']:.3g}): do not trust the "
                "components' extrapolation for this target."
            )
    if not fitted.converged:
        points.append("The imputation of missing scores did not converge: the components may move with more rounds.")
    return headline, points


def _observational_figures(result: ObservationalScaling, table: Benchmarks | None) -> list[Block]:
    if table is None:
        return [Omitted("the figures of the analysis: they need the table of models (table=) for FLOPs and families.")]
    parts: list[Block] = [
        Plot(
            "plot_components",
            (result, table),
            {},
            "PC1 against compute per family",
            "PC1 of each model against its training FLOPs, one colour per family, with the family laws (one slope, "
            "one offset per family).",
        )
    ]
    if result.sigmoid is not None or result.backtest is not None:
        what = "back-test at the compute cut-off" if result.backtest is not None else "sigmoid fit"
        parts.append(
            Plot(
                "plot_sigmoid",
                (result, table),
                {},
                "The target metric against its predictor",
                f"The target metric against the sigmoid's predictor ({what}): training models filled, held-out "
                "models hollow with their intervals.",
            )
        )
    return parts


# ---------------------------------------------------------------------------------------------------------------
# Repeated-sampling coverage


def _coverage_entries(coverage: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    entries = {}
    for name, parts in coverage.items():
        if not isinstance(parts, Mapping) or parts.get("curve") is None:
            raise LawfitError(
                f"The coverage of {name!r} must be a mapping with a 'curve' (and optionally 'law' and 'forecast'). "
                f"Got {type(parts).__name__} instead."
            )
        entries[str(name)] = {key: parts.get(key) for key in ("curve", "law", "forecast")}
    return entries


def _coverage_body(entries: Mapping[str, Mapping[str, Any]]) -> list[Block]:
    rows = []
    for name, parts in entries.items():
        curve, law = parts["curve"], parts["law"]
        top = int(np.argmax(curve.k))
        rows.append(
            (
                name,
                str(curve.n_problems),
                str(int(curve.k[top])),
                f"{float(curve.coverage[top]):.4f}",
                _interval(curve.low[top], curve.high[top], curve.coverage[top]),
                _g(law.a, 4) if law is not None else "–",
                _g(law.b, 4) if law is not None else "–",
                _g(law.rmse_log, 3) if law is not None else "–",
            )
        )
    level = next(iter(entries.values()))["curve"].level
    headers = ("model", "problems", "largest k", "coverage", f"{level:.0%} band", "a", "b", "rms log residual")
    caption = (
        "Coverage at the largest k measured (the mean over problems of the unbiased pass@k, with a bootstrap band "
        "over problems), and the exponentiated power law log coverage = a k^b fitted to the curve."
    )
    parts: list[Block] = [Table(headers, tuple(rows), numeric=tuple(range(1, len(headers))), caption=caption)]
    for name, entry in entries.items():
        curve = entry["curve"]
        law = entry["law"]
        body = tuple(
            (
                str(int(k)),
                f"{float(v):.4f}",
                _interval(lo, hi, v),
                f"{float(law.predict(k)):.4f}" if law is not None else "–",
            )
            for k, v, lo, hi in zip(curve.k, curve.coverage, curve.low, curve.high, strict=True)
        )
        table = Table(("k", "coverage", f"{curve.level:.0%} band", "law"), body, numeric=(0, 1, 2, 3))
        parts.append(Folded(f"{name}: coverage at each k", table))
    return parts


def _forecasts_body(entries: Mapping[str, Mapping[str, Any]]) -> list[Block]:
    with_forecast = {name: e for name, e in entries.items() if e["forecast"] is not None}
    if not with_forecast:
        return [Omitted("no forecast: give each model's forecast_coverage (the CLI makes one unless it cannot).")]
    rows, marked = [], []
    for name, entry in with_forecast.items():
        ahead, law = entry["forecast"], entry["law"]
        for k, value, low, high in zip(ahead.k, ahead.coverage, ahead.low, ahead.high, strict=True):
            beyond = int(k) > ahead.samples_per_problem
            if beyond:
                marked.append(len(rows))
            rows.append(
                (
                    name,
                    str(int(k)),
                    f"{float(value):.4f}",
                    _interval(low, high, value),
                    f"{float(law.predict(k)):.4f}" if law is not None else "–",
                    f"{ahead.samples_per_problem:,}",
                )
            )
    level = next(iter(with_forecast.values()))["forecast"].level
    headers = ("model", "k", "forecast", f"{level:.0%} interval", "law", "samples drawn")
    caption = (
        "The coverage of the same problems at k fresh samples each, from a distribution of single-sample "
        "success fitted to the counts (each problem's posterior), with intervals from resampling the problems; "
        "rows beyond the samples drawn are marked. The law column extrapolates the exponentiated power law."
    )
    parts: list[Block] = [Table(headers, tuple(rows), numeric=(1, 2, 3, 4, 5), caption=caption, marked=tuple(marked))]
    dist_rows = tuple(
        (
            name,
            _g(d.alpha, 4),
            _g(d.beta, 4),
            _g(d.kumaraswamy_a, 4),
            _g(d.kumaraswamy_b, 4),
            _g(d.weight, 3),
            _g(d.to_dict()["mean"], 4),
        )
        for name, d in ((name, e["forecast"].distribution) for name, e in with_forecast.items())
    )
    parts.append(
        Table(
            ("model", "Beta alpha", "Beta beta", "Kumaraswamy a", "Kumaraswamy b", "Beta's weight", "mean pass@1"),
            dist_rows,
            numeric=(1, 2, 3, 4, 5, 6),
            caption=(
                "The distribution of single-sample success over problems: a Beta and a Kumaraswamy, each by maximum "
                "likelihood, averaged with weights from their likelihoods (NaN: the family was not fitted)."
            ),
        )
    )
    return parts


def _coverage_verdict(entries: Mapping[str, Mapping[str, Any]]) -> tuple[str, list[str]]:
    points = []
    for name, entry in entries.items():
        law = entry["law"]
        if law is None:
            points.append(f"{name}: no power law fitted (fewer than two k with coverage strictly between 0 and 1).")
        elif law.rmse_log > _POOR_LAW:
            points.append(
                f"{name}: exp(a k^b) misses the measured coverage by {law.rmse_log:.2g} in log coverage (rms): its "
                "extrapolation is loose."
            )
    reach = [
        float(np.max(e["forecast"].k)) / e["forecast"].samples_per_problem
        for e in entries.values()
        if e["forecast"] is not None and e["forecast"].samples_per_problem > 0
    ]
    headline = f"Coverage of {len(entries)} model{'s' if len(entries) != 1 else ''}"
    if reach:
        headline += f", forecast up to {max(reach):.3g} times the samples drawn per problem."
    else:
        headline += "."
    return headline, points


# ---------------------------------------------------------------------------------------------------------------
# Shared


def _about(created: str, command: str | None, settings: Mapping[str, str]) -> list[Block]:
    rows = [
        ("lawfit", __version__),
        ("created", created),
        ("command", command or "lawfit.report.write_capabilities_report (Python)"),
        ("python", platform.python_version()),
        *settings.items(),
    ]
    return [
        Facts(tuple(rows)),
        Text("This page is self-contained: its figures are embedded, and it loads nothing and runs no script."),
    ]


def _interval(low: Any, high: Any, value: Any) -> str:
    low, high, value = float(low), float(high), float(value)
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return format_interval(low, high, value)


def _name(source: str) -> str:
    """The file name of a table's source (its path, quoted by the reader), or the source as it is."""
    source = source.strip("'\"")
    return Path(source).name if not source.startswith("<") else source


def _g(value: Any, digits: int) -> str:
    value = float(value)
    return f"{value:.{digits}g}" if math.isfinite(value) else "–"
