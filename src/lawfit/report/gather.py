"""Gathering a report: run the analyses (fit, bootstrap, calibration, back-test, frontier) and say what they found as
a :class:`~lawfit.report.document.Report` of plain text, numbers and tables, with no HTML.

>>> import lawfit
>>> from lawfit.report.gather import gather
>>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
>>> doc = gather(runs, "chinchilla", n_resamples=0)
>>> doc.verdict.kind, [s.key for s in doc.sections][:3]
('doubt', ['fit', 'diagnostics', 'data'])
>>> dict(doc.section("fit").blocks[0].rows)["converged"]
'yes'
"""

from __future__ import annotations

import math
import platform
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import RESAMPLES_OR_NONE, Integer, check, check_level, percent, renamed
from .._intervals import format_interval
from .._version import __version__
from ..data import Runs, load_runs
from ..diagnostics import identifiability_summary
from ..errors import ExtrapolationWarning, LawfitError, LawfitWarning
from ..fit import Fit, calibrate, fit
from ..laws import Law
from ..objectives import Objective, as_objective
from ..plan import Frontier, compute_optimal
from ..select import as_candidates, default_candidates, selection_label
from ..uncertainty import bootstrap as _bootstrap
from ..uncertainty import factors, spread_texts
from ..validate import Backtest, backtest, check_split
from .document import (
    Block,
    Bullets,
    Cell,
    Facts,
    Folded,
    Heading,
    Omitted,
    Plot,
    Report,
    Section,
    Table,
    Text,
    Verdict,
    Warnings,
)

__all__ = ["figure_frontier", "gather"]

_FRONTIER_POINTS = 60  # budgets along the frontier figure
_FIGURE_FRONTIER_POINTS = 100  # budgets along the frontier drawn in a figure of the fit
_DOUBT_MARGIN = 0.15  # coverage this far below the level marks intervals too narrow (as Backtest.summary says)
_DISTANCES = (0.0, 0.5, 1.0, 2.0)  # decades beyond the largest run at which the forecast table gives the interval
SECTIONS = (
    ("fit", "Fit"),
    ("diagnostics", "Diagnostics"),
    ("data", "Data"),
    ("figures", "Figures"),
    ("backtest", "Back-test"),
    ("forecast", "Forecast intervals"),
    ("frontier", "Compute-optimal frontier"),
    ("runs", "Runs"),
    ("about", "About this report"),
)


@renamed(loss="objective", bootstrap="n_resamples")
def gather(
    runs: Runs | Any,
    law: Law | str | Fit,
    *,
    columns: dict[str, str] | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.9,
    resample: str = "run",
    objective: str | Objective | None = None,
    delta: float | None = None,
    weight_growth: float | None = None,
    candidates: Sequence[Any] | Mapping[str, Any] | None = None,
    compute: float | Sequence[float] | None = None,
    by: str | None = None,
    cut: float | None = None,
    holdout: int | None = None,
    backtest_level: float = 0.9,
    title: str | None = None,
    command: str | None = None,
    max_rows: int = 50,
) -> Report:
    """Fit, bootstrap, back-test and plan, and say what was found: the report of :func:`lawfit.report.write_report`
    (same parameters, without the file), as a :class:`~lawfit.report.document.Report` ready to render.

    The warnings raised on the way are raised again (the report lists them too); the report's figures are named, not
    drawn.

    Examples
    --------
    >>> import lawfit
    >>> doc = gather(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla", n_resamples=0)
    >>> [type(b).__name__ for b in doc.section("frontier").blocks]
    ['Text', 'Table', 'Plot']
    """
    check_options(n_resamples, level, backtest_level, max_rows, law, objective, delta, compute, by, cut, holdout)
    check_law_options(law, weight_growth, candidates)
    the_runs = load_runs(runs, columns=columns)
    results = _gather(
        the_runs,
        law,
        n_resamples=n_resamples,
        seed=seed,
        level=level,
        resample=resample,
        objective=objective,
        delta=delta,
        weight_growth=weight_growth,
        candidates=candidates,
        compute=compute,
        by=by,
        cut=cut,
        holdout=holdout,
        backtest_level=backtest_level,
    )
    return document(results, level=level, title=title, command=command, max_rows=max_rows)


def figure_frontier(fit: Fit, *runs: Runs | None, level: float = 0.9) -> Frontier | None:
    """The compute-optimal frontier of ``fit`` that a figure of it draws (:func:`lawfit.plot.plot_fit`'s
    ``frontier``): over the compute of ``runs`` (those given; else the ranges the fit records), or None for a law
    that has none (not a law of the loss in N and D).

    >>> import lawfit
    >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    >>> frontier = figure_frontier(lawfit.fit(runs, "chinchilla"), runs)
    >>> frontier.C.size, bool(frontier.C.min() == runs.column("C").min())
    (100, True)
    """
    if _frontier_reason(fit.law):
        return None
    shown = [r for r in runs if r is not None]
    ranges = fit.runs_summary.get("ranges", {})
    if shown:
        compute = np.concatenate([_compute_of(r) for r in shown])
    elif {"N", "D"} <= set(ranges):
        compute = 6.0 * np.asarray(ranges["N"], dtype=np.float64) * np.asarray(ranges["D"], dtype=np.float64)
    else:
        return None
    compute = compute[np.isfinite(compute) & (compute > 0)]
    if not compute.size:
        return None
    budgets = np.geomspace(compute.min(), compute.max(), _FIGURE_FRONTIER_POINTS)
    with warnings.catch_warnings():
        # The figure shows how far the frontier reaches past the runs; the law need not warn of it.
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return compute_optimal(fit, budgets, level=level)


# ---------------------------------------------------------------------------------------------------------------
# Checking the options


def check_options(
    n_resamples: Any,
    level: Any,
    backtest_level: Any,
    max_rows: Any,
    law: Any,
    objective: Any,
    delta: Any,
    compute: Any,
    by: str | None,
    cut: Any,
    holdout: Any,
) -> None:
    """Refuse bad options of write_report before any work."""
    check(n_resamples, RESAMPLES_OR_NONE, "n_resamples", "write_report")
    for name, value in (("level", level), ("backtest_level", backtest_level)):
        check_level(value, name, where="write_report")
    check(max_rows, Integer(0), "max_rows", "write_report")
    if compute is not None:
        values = np.atleast_1d(np.asarray(compute, dtype=object))
        if values.ndim != 1 or values.size == 0 or not all(_positive_number(v) for v in values):
            raise LawfitError(
                f"The 'compute' parameter of write_report must be a positive budget or a list of them, in FLOPs. "
                f"Got {compute!r} instead."
            )
    check_split(by or "C", cut, holdout, "write_report")
    if isinstance(law, Fit) and (objective is not None or delta is not None):
        raise LawfitError(
            "The 'objective' and 'delta' parameters of write_report apply when it fits a law; a Fit carries its own "
            "objective. Drop them, or give the law instead of the fit."
        )
    if objective is not None:  # a name it knows, or an Objective with no settings beside it
        as_objective(objective, "write_report", delta=1e-3 if delta is None else delta)


def check_law_options(law: Any, weight_growth: Any, candidates: Any) -> None:
    """Refuse options that do not apply to ``law`` (a Fit, or a law other than auto)."""
    if isinstance(law, Fit) and weight_growth is not None:
        raise LawfitError(
            "The 'weight_growth' parameter of write_report applies when it fits a law; a Fit carries its own "
            "objective. Drop it, or give the law instead of the fit."
        )
    auto = _is_auto(law) or (isinstance(law, Fit) and law.selection is not None)
    if candidates is not None and not auto:
        raise LawfitError(
            "The 'candidates' parameter of write_report lists the laws that law='auto' chooses among; give "
            "law='auto' with it, or drop it."
        )


def _is_auto(law: Any) -> bool:
    return isinstance(law, str) and law.strip() == "auto"


def _positive_number(value: Any) -> bool:
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and 0 < value < math.inf
    )


# ---------------------------------------------------------------------------------------------------------------
# Running the analyses


@dataclass
class _Results:
    """The analyses' results, collected before the report says anything about them."""

    fit: Fit
    runs: Runs
    settings: dict[str, str]
    backtest: Backtest | None = None
    backtest_reason: str = ""
    backtest_note: str = ""
    backtest_warnings: list[LawfitWarning] = field(default_factory=list)
    frontier: Frontier | None = None
    frontier_reason: str = ""
    frontier_warnings: list[LawfitWarning] = field(default_factory=list)
    dense_frontier: Frontier | None = None


def _gather(
    runs: Runs,
    law: Law | str | Fit,
    *,
    n_resamples: int,
    seed: int,
    level: float,
    resample: str,
    objective: str | Objective | None,
    delta: float | None,
    weight_growth: float | None,
    candidates: Any,
    compute: Any,
    by: str | None,
    cut: float | None,
    holdout: int | None,
    backtest_level: float,
) -> _Results:
    settings: dict[str, str] = {}
    if isinstance(law, Fit):
        the_fit = law
        if the_fit.n_points != len(runs):
            raise LawfitError(
                f"The fit was made on {the_fit.n_points} runs but the runs given have {len(runs)}; give write_report "
                "the runs that were fitted."
            )
        settings["fit"] = "given (a Fit made before the report)"
        if the_fit.bootstrap is None and n_resamples:
            the_fit = _bootstrap(the_fit, runs, n_resamples=int(n_resamples), seed=seed, resample=resample)
        if the_fit.calibration is None:
            the_fit = calibrate(the_fit, runs)
            settings["forecast intervals"] = "calibrated by the report (the Fit given had no calibration)"
    else:
        the_fit = fit(
            runs,
            law,
            objective="huber" if objective is None else objective,
            delta=1e-3 if delta is None else delta,
            weight_growth=0.0 if weight_growth is None else weight_growth,
            n_resamples=int(n_resamples),
            seed=seed,
            resample=resample,
            calibrate=True,
            **({} if candidates is None else {"candidates": candidates}),
        )
        settings["fit"] = "lawfit.fit, global search"
        if the_fit.selection is not None:
            settings["fit"] = (
                f"lawfit.fit(law='auto'): chose among {len(the_fit.selection)} candidates by nested back-tests, "
                "then a global search"
            )
    if the_fit.bootstrap is not None:
        settings["bootstrap"] = the_fit.bootstrap.describe() + f"; intervals at {level:.0%}"
    else:
        settings["bootstrap"] = "none (n_resamples=0): no standard errors or intervals"
    results = _Results(fit=the_fit, runs=runs, settings=settings)
    _gather_backtest(results, by, cut, holdout, n_resamples, seed, backtest_level, candidates)
    _gather_frontier(results, compute, level)
    return results


def _backtest_law(results: _Results, candidates: Any) -> tuple[Law | str, dict[str, Any]]:
    """What the back-test fits below its cut: the whole choice for ``auto`` (so its error is that of choosing on runs
    it never saw), else the fitted law with the fit's weighting of the runs."""
    the_fit = results.fit
    if the_fit.selection is not None:
        try:
            tried = default_candidates(results.runs) if candidates is None else as_candidates(candidates)
        except LawfitError:
            tried = []
        if [(c.name, c.weight_growth) for c in tried] == [(r["law"], r["weight_growth"]) for r in the_fit.selection]:
            return "auto", {} if candidates is None else {"candidates": candidates}
        results.backtest_note = (
            "The fit chose its law among candidates the report was not given, so the back-test fits the chosen law "
            "below its cut instead of choosing again there; give write_report the candidates to back-test the choice."
        )
    return the_fit.law, {"weight_growth": the_fit.objective_settings.weight_growth}


def _gather_backtest(
    results: _Results,
    by: str | None,
    cut: float | None,
    holdout: int | None,
    n_resamples: int,
    seed: int,
    level: float,
    candidates: Any,
) -> None:
    runs, the_fit = results.runs, results.fit
    chosen = by is not None or cut is not None or holdout is not None
    if by is None:
        by = next((name for name in ("C", "N", "D") if name in runs.columns), "C")
    split = f"by {by}, " + (
        f"cut at {cut:.4g}"
        if cut is not None
        else f"the {holdout} largest budgets held out"
        if holdout is not None
        else "the largest budgets held out until they make up a fifth of the runs"
    )
    variance = f", with the law's variance from {n_resamples:,} bootstrap resamples" if n_resamples else ""
    results.settings["back-test"] = (
        f"{split}; forecast intervals at {level:.0%}, calibrated by nested back-tests on the runs below the cut"
        + variance
    )
    objective = the_fit.objective_settings
    law, options = _backtest_law(results, candidates)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LawfitWarning)
        try:
            results.backtest = backtest(
                runs,
                law,
                by=by,
                cut=cut,
                holdout=holdout,
                n_resamples=int(n_resamples),
                level=level,
                seed=seed,
                objective=objective.loss,
                delta=objective.delta,
                reduction=objective.reduction,
                **options,
            )
        except LawfitError as exc:
            if chosen:  # a split the user asked for and that cannot be made is their error to fix
                raise
            results.backtest_reason = str(exc)
    results.backtest_warnings = _ours(caught)
    _pass_on(results.backtest_warnings)


def _gather_frontier(results: _Results, compute: Any, level: float) -> None:
    the_fit, runs = results.fit, results.runs
    reason = _frontier_reason(the_fit.law)
    if reason:
        results.frontier_reason = reason
        return
    largest = float(np.max(_compute_of(runs)))
    if compute is None:
        top = math.floor(math.log10(10.0 * largest))
        budgets = [10.0**k for k in range(top - 2, top + 1)]
    else:
        budgets = [float(c) for c in compute]
    results.settings["frontier"] = (
        "budgets " + ", ".join(f"{c:.3g}" for c in budgets) + " FLOPs" + (" (default)" if compute is None else "")
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LawfitWarning)
        results.frontier = compute_optimal(the_fit, budgets, level=level)
    results.frontier_warnings = _ours(caught)
    _pass_on(results.frontier_warnings)
    smallest = float(np.min(_compute_of(runs)))
    dense = np.geomspace(min(smallest, *budgets), max(largest, *budgets), _FRONTIER_POINTS)
    with warnings.catch_warnings():
        # The figure spans whatever the table asked for; the table's own warning has said how far that reaches.
        warnings.simplefilter("ignore", ExtrapolationWarning)
        results.dense_frontier = compute_optimal(the_fit, dense, level=level)


def _compute_of(runs: Runs) -> np.ndarray:
    if "C" in runs.columns:
        return runs.column("C")
    return 6.0 * runs.column("N") * runs.column("D")


def _frontier_reason(law: Law) -> str:
    inputs = set(law.inputs)
    takes = ", ".join(law.inputs)
    if not ({"N", "D"} <= inputs | {"C"} and inputs <= {"N", "D", "C"} and {"N", "D"} & inputs):
        return f"the compute-optimal frontier needs a law of N and D; {law.name} takes {takes} only."
    if law.target != "loss":
        return f"the compute-optimal frontier needs a law of the loss; {law.name} predicts {law.target}."
    return ""


def _ours(caught: Sequence[warnings.WarningMessage]) -> list[LawfitWarning]:
    return [item.message for item in caught if isinstance(item.message, LawfitWarning)]


def _pass_on(found: Sequence[LawfitWarning]) -> None:
    """Warn again into the enclosing record, which collects everything the report raised."""
    for warning in found:
        warnings.warn(warning, stacklevel=2)


# ---------------------------------------------------------------------------------------------------------------
# What the report says


def document(results: _Results, *, level: float, title: str | None, command: str | None, max_rows: int) -> Report:
    """The report of ``results``: every text, number and table it shows, and the figures it draws, by name."""
    the_fit = results.fit
    heading = title if title is not None else f"{the_fit.law.name} fitted to {_source_name(results.runs.source)}"
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta = f"lawfit {__version__} · {created}" + (f" · {command}" if command else "")
    bodies = {
        "fit": _fit_body(the_fit, level),
        "diagnostics": _diagnostics_body(the_fit),
        "data": _data_body(the_fit, results.runs),
        "figures": _figures_body(results, level),
        "backtest": _backtest_body(results, max_rows),
        "forecast": _forecast_body(results, level),
        "frontier": _frontier_body(results, level),
        "runs": _runs_body(the_fit, results.runs, max_rows),
        "about": _about_body(results, created, command),
    }
    sections = tuple(Section(key, name, tuple(bodies[key])) for key, name in SECTIONS)
    found = (*the_fit.diagnostics, *results.backtest_warnings, *results.frontier_warnings)
    said = tuple(dict.fromkeys((type(w).__name__, w.message) for w in found))
    return Report(heading, meta, __version__, _verdict(results), sections, said)


def _source_name(source: str) -> str:
    """What to call the runs in a title: a bundled data set by its name, a file by its name (not the path it was
    installed or read at), a table by what it was."""
    from .. import datasets

    if source.startswith("<"):
        return "the runs of a " + source.strip("<>")
    path = Path(source)
    for name in datasets.DATASETS:
        try:
            if path.resolve() == datasets.path(name).resolve():
                return f"the bundled {name} data set"
        except OSError:
            continue
    return path.name or source


def _verdict(results: _Results) -> Verdict:
    """The first thing on the page: whether the fit converged, and what should make a reader doubt it."""
    the_fit, bt = results.fit, results.backtest
    points: list[str] = []
    if not the_fit.converged:
        kind = "fail"
        headline = "This fit FAILED: the search did not converge. Do not use its parameters."
        points.append(f"Search: {the_fit.message}")
        points += [f"{type(w).__name__}: {w.message}" for w in the_fit.diagnostics]
    elif the_fit.diagnostics:
        kind = "doubt"
        count = len(the_fit.diagnostics)
        headline = f"This fit is DOUBTFUL: it converged, but raised {count} warning{'s' if count > 1 else ''}."
        points += [f"{type(w).__name__}: {w.message}" for w in the_fit.diagnostics]
    else:
        kind = "ok"
        headline = "The fit converged and raised no warnings (convergence, bounds, identifiability)."
    chosen = _chosen(the_fit)
    if chosen is not None:
        points.append(
            f"Law: auto chose {selection_label(chosen)} among {len(the_fit.selection or ())} candidates, by how they "
            "extrapolated in nested back-tests on these runs (see Fit)."
        )
    if bt is not None:
        if not bt.train_fit.converged:
            kind = "fail" if kind == "fail" else "doubt"
            points.append("Caveat: the back-test's fit on the smaller runs did not converge.")
        errors = f"{percent(bt.median_abs_rel_error)} (median) and {percent(bt.max_abs_rel_error)} (worst)"
        train_choice = _chosen(bt.train_fit)
        if bt.law == "auto" and train_choice is not None:
            points.append(
                f"Back-test: auto, choosing again on the runs below {bt.by} = {bt.cut:.4g} alone (it chose "
                f"{selection_label(train_choice)} there), predicts the {_runs(bt.n_test, 'larger run')} with errors of "
                f"{errors}."
            )
        else:
            points.append(
                f"Back-test: fitted below {bt.by} = {bt.cut:.4g}, the law's predictions of the "
                f"{_runs(bt.n_test, 'larger run')} are off by {errors}."
            )
        if bt.coverage is None:
            points.append(f"Coverage not measured: {_no_coverage(bt)}")
        else:
            points.append(f"Coverage: {_coverage_sentence(bt)}")
            if bt.coverage < bt.level - _DOUBT_MARGIN:
                kind = "fail" if kind == "fail" else "doubt"
                points.append(f"Caveat: {_too_few_covered(bt)}")
    elif results.backtest_reason:
        points.append(f"No back-test: {results.backtest_reason}")
    cal = the_fit.calibration
    if cal is not None and not cal.calibrated:
        points.append(
            f"Forecast intervals of this fit are uncalibrated: {cal.note}. Beyond the runs it gives intervals for a "
            "new run instead, which do not widen with the distance of extrapolation."
        )
    return Verdict(kind, headline, tuple(points))


def _chosen(the_fit: Fit) -> Mapping[str, Any] | None:
    """The candidate ``auto`` chose for this fit, or None for a named law."""
    return next((row for row in the_fit.selection or () if row["chosen"]), None)


def _coverage_sentence(bt: Backtest) -> str:
    """How many held-out runs their intervals held, and which intervals those were."""
    covered = bt.table["covered"].to_numpy(dtype=bool)
    count = f"{int(covered.sum())} of the {_runs(covered.size, 'held-out run')} ({percent(bt.coverage, 1)})"
    if bt.interval == "forecast":
        return (
            f"the {percent(bt.level, 0)} forecast intervals, calibrated by scale on the runs below the cut, held "
            f"{count}."
        )
    cal = bt.train_fit.calibration
    why = f"uncalibrated: {cal.note}" if cal is not None and cal.note else "uncalibrated"
    return (
        f"the {percent(bt.level, 0)} intervals for a new run ({why}), which do not widen with the distance of "
        f"extrapolation, held {count}."
    )


def _too_few_covered(bt: Backtest) -> str:
    if bt.interval == "forecast":
        return (
            "fewer held-out runs fell inside their forecast intervals than the level: the larger runs deviate from "
            "the law more than the back-tests inside the smaller runs foretold, so treat its forecast intervals with "
            "caution, or prefer another law (lawfit compare)."
        )
    return (
        "fewer held-out runs fell inside their intervals than the level: the larger runs deviate from the law more "
        "than the smaller ones scatter about it, so intervals for a new run are too narrow at larger scales."
    )


def _no_coverage(bt: Backtest) -> str:
    cal = bt.train_fit.calibration
    why = cal.note if cal is not None and cal.note else "the fit below the cut was not calibrated"
    return (
        f"the runs below the cut could not calibrate forecast intervals ({why}), and intervals for a new run need "
        "n_resamples > 0."
    )


def _fit_body(the_fit: Fit, level: float) -> list[Block]:
    rows = [
        ("law", f"{the_fit.law.name}: L = {the_fit.law.formula}" if the_fit.law.formula else the_fit.law.name),
        ("runs", f"{the_fit.n_points:,}"),
        ("objective", f"{the_fit.objective_settings.describe()}: {the_fit.objective:.6e}"),
        ("converged", "yes" if the_fit.converged else "NO"),
        ("search", f"{the_fit.message} ({the_fit.search_report.get('n_starts', 0):,} starts)"),
    ]
    if the_fit.bootstrap is not None:
        rows.append(("bootstrap", the_fit.bootstrap.describe()))
    cal = the_fit.calibration
    rows.append(("forecast intervals", cal.describe() if cal is not None else "not calibrated"))
    parts: list[Block] = [Facts(tuple(rows))]
    names = list(the_fit.params)
    if the_fit.bootstrap is None:
        body = [(name, _g(the_fit.params[name], 6)) for name in names]
        parts.append(Table(("parameter", "value"), tuple(body), numeric=(1,)))
        parts.append(Text("No bootstrap: standard errors and intervals need n_resamples > 0.", "omitted"))
    else:
        spreads, intervals = spread_texts(the_fit), the_fit.intervals(level)
        body = [
            (name, _g(the_fit.params[name], 6), spreads[name], format_interval(*intervals[name], least=4))
            for name in names
        ]
        headers = ("parameter", "value", "stderr", f"{level:.0%} interval")
        parts.append(Table(headers, tuple(body), numeric=(1, 2, 3)))
        if factors(the_fit):
            parts.append(
                Text(
                    "×/÷ f: the multiplicative standard error of a log-scale parameter, exp of the standard deviation "
                    "of its log draws; the value times or divided by f spans about 68% of the draws."
                )
            )
    if the_fit.selection is not None:
        parts += _selection(the_fit)
    return parts


def _selection(the_fit: Fit) -> list[Block]:
    """The candidates of ``auto``: how each extrapolated in the nested back-tests, the chosen one marked, and why."""
    rows = the_fit.selection or ()
    chosen = _chosen(the_fit)
    cal = the_fit.calibration
    cuts = ""
    if cal is not None and cal.cuts:
        cuts = f" at {cal.by} = " + ", ".join(_g(c, 3) for c in cal.cuts)
    lead = (
        f"auto fitted each candidate below each of the nested cuts{cuts} and scored its predictions of the "
        "runs above the cut: the mean |relative error| per cut, averaged over the cuts so that each counts once."
    )
    parts: list[Block] = [Heading("How the law was chosen (auto)"), Text(lead)]
    if chosen is not None:
        parts.append(Text(_why_chosen(chosen, rows), "chosen-why"))
    notes = any(row["note"] for row in rows)
    headers = ("", "candidate", "params", "mean |error|", "max |error|", "mean |error| per cut")
    body = []
    for row in rows:
        cells = (
            "chosen" if row["chosen"] else "",
            selection_label(row),
            str(row["n_params"]),
            percent(row["score"]),
            percent(row["max_abs_rel_error"]),
            "  ".join(percent(v) for v in row["per_cut"]) or "–",
        )
        body.append((*cells, row["note"]) if notes else cells)
    marked = tuple(i for i, row in enumerate(rows) if row["chosen"])
    caption = f"The {len(rows)} candidates, in the order tried; their back-tests are on these runs"
    headers = (*headers, *(("note",) if notes else ()))
    parts.append(Table(headers, tuple(body), numeric=(2, 3, 4, 5), caption=caption, marked=marked))
    parts.append(
        Text(
            "The choice saw only these runs. How well choosing this way does on runs it never saw is what the "
            "back-test below measures: it runs the whole choice again on the runs below its cut."
        )
    )
    return parts


def _why_chosen(chosen: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """Why ``auto`` chose this candidate: its score against the next best."""
    label = selection_label(chosen)
    text = (
        f"auto chose {label}: its predictions beyond the cuts erred least, {percent(chosen['score'])} on average "
        "(the mean |relative error| per cut)"
    )
    scored = [r for r in rows if not r["chosen"] and r["score"] is not None and math.isfinite(r["score"])]
    if not scored:
        return text + "; no other candidate could be scored."
    runner = min(scored, key=lambda r: r["score"])
    if runner["score"] == chosen["score"]:
        return text + f", tied with {selection_label(runner)}, which has more parameters or came later."
    return text + f", against {percent(runner['score'])} for the next best, {selection_label(runner)}."


def _diagnostics_body(the_fit: Fit) -> list[Block]:
    if not the_fit.diagnostics and not the_fit.converged:
        return [Text("The fit carries no warnings, but its search did not converge: see the verdict above.")]
    # Identifiability is judged once (lawfit.diagnostics); the pairs figure below colours its panels by the same.
    pairs = Text(identifiability_summary(the_fit), "identifiability")
    if not the_fit.diagnostics:
        return [Text("The fit raised no warnings: it converged and no parameter ended at a bound."), pairs]
    return [_warning_list(the_fit.diagnostics), pairs]


def _warning_list(found: Sequence[LawfitWarning]) -> Warnings:
    return Warnings(tuple((type(w).__name__, w.message) for w in found))


def _data_body(the_fit: Fit, runs: Runs) -> list[Block]:
    ranges = the_fit.runs_summary.get("ranges", {})
    rows = [
        ("source", str(runs.source)),
        ("runs", f"{len(runs):,}"),
        ("columns", ", ".join(str(c) for c in runs.columns)),
    ]
    for name, (low, high) in ranges.items():
        rows.append((f"range of {name}", f"{_g(low, 4)} to {_g(high, 4)}"))
    for name, formula in runs.derived.items():
        rows.append((f"derived {name}", formula))
    parts: list[Block] = [Facts(tuple(rows))]
    if runs.notes:
        parts += [Heading("Notes"), Bullets(tuple(runs.notes))]
    return parts


def _quiet_frontier(the_fit: Fit, *runs: Runs | None, level: float) -> Frontier | None:
    """The frontier a figure of the fit draws, or None when it cannot be found (the figure is drawn without it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LawfitWarning)
        try:
            return figure_frontier(the_fit, *runs, level=level)
        except LawfitError:
            return None


def _figures_body(results: _Results, level: float) -> list[Block]:
    the_fit, runs = results.fit, results.runs
    parts: list[Block] = [
        Plot(
            "plot_fit",
            (the_fit, runs),
            {"level": level, "frontier": _quiet_frontier(the_fit, runs, level=level)},
            "The runs and the fitted law",
            "The runs and the law"
            + (f", with its {level:.0%} bootstrap band" if the_fit.bootstrap is not None else "")
            + ".",
        ),
        Plot(
            "plot_residuals",
            (the_fit, runs),
            {},
            "Residuals of the runs",
            "Residuals of the runs about the law: a trend is structure the law misses.",
        ),
    ]
    if the_fit.bootstrap is None:
        parts.append(Omitted("the bootstrap pairs, which need bootstrap draws (n_resamples > 0)."))
    else:
        parts.append(
            Plot(
                "plot_bootstrap_pairs",
                (the_fit,),
                {},
                "Bootstrap draws of the parameters, two at a time",
                "Bootstrap draws of the parameters, two at a time, each panel with its correlation r (of log10 for "
                "log-scale parameters), coloured as judged in Diagnostics: " + identifiability_summary(the_fit),
            )
        )
    return parts


def _backtest_body(results: _Results, max_rows: int) -> list[Block]:
    bt = results.backtest
    if bt is None:
        return [Omitted(results.backtest_reason)]
    runs = results.runs
    scale = runs.column(bt.by)
    train, test = runs.select(scale < bt.cut), runs.select(scale >= bt.cut)
    state = "converged" if bt.train_fit.converged else "did NOT converge"
    split = (
        f"fitted on {bt.n_train} runs with {bt.by} < {bt.cut:.4g}; predicting {bt.n_test} with {bt.by} >= {bt.cut:.4g}"
    )
    errors = (
        f"(predicted - actual) / actual: median |error| {percent(bt.median_abs_rel_error)}, max |error| "
        f"{percent(bt.max_abs_rel_error)}, bias {percent(bt.bias, sign=True)}"
    )
    rows = [("split", split)]
    train_choice = _chosen(bt.train_fit)
    if bt.law == "auto" and train_choice is not None:
        rows.append(
            (
                "law",
                f"auto, choosing again on the runs below the cut alone: it chose {selection_label(train_choice)} "
                f"among {len(bt.train_fit.selection or ())} candidates",
            )
        )
    rows += [
        ("train fit", f"{state}; {bt.train_fit.objective_settings.describe()}: {bt.train_fit.objective:.6e}"),
        ("error", errors),
    ]
    cal = bt.train_fit.calibration
    if cal is not None:
        rows.append(("forecast intervals", cal.describe()))
    if bt.coverage is not None:
        rows.append(("coverage", _coverage_sentence(bt)))
    else:
        rows.append(("coverage", f"not measured: {_no_coverage(bt)}"))
    parts: list[Block] = [Facts(tuple(rows))]
    if results.backtest_note:
        parts.append(Text(results.backtest_note, "caveat"))
    if bt.coverage is not None and bt.coverage < bt.level - _DOUBT_MARGIN:
        text = _too_few_covered(bt)
        parts.append(Text(text[0].upper() + text[1:], "caveat"))
    if results.backtest_warnings:
        parts += [Text("Warnings raised by the back-test:"), _warning_list(results.backtest_warnings)]
    # Without the train fit's draws: this figure is about the held-out runs, and a band of the frontier would cost a
    # frontier per draw (many seconds for a law without a closed-form optimum).
    train_fit = replace(bt.train_fit, bootstrap=None)
    parts.append(
        Plot(
            "plot_fit",
            (train_fit, train),
            {"held_out": test, "frontier": _quiet_frontier(train_fit, train, test, level=0.9)},
            "The law fitted below the cut, with the held-out runs",
            "The law fitted on the runs below the cut (filled), and the held-out runs beyond it (hollow).",
        )
    )
    parts += _held_out_table(bt, max_rows)
    return parts


def _forecast_body(results: _Results, level: float) -> list[Block]:
    """How the forecast intervals were calibrated, their width at a few distances, and the figure of error against
    distance with the back-test's held-out runs."""
    the_fit, bt = results.fit, results.backtest
    cal = the_fit.calibration
    if cal is None:
        return [Omitted("the forecast intervals: the fit was not calibrated.")]
    if not cal.calibrated:
        return [
            Text(
                f"The forecast intervals of this fit are uncalibrated: {cal.note}. Beyond the runs it gives intervals "
                "for a new run instead (the law's bootstrap uncertainty plus the runs' scatter), which do not widen "
                "with the distance of extrapolation.",
                "caveat",
            ),
            Omitted("the figure of forecast error against distance of extrapolation, which needs a calibration."),
        ]
    fig_level = bt.level if bt is not None else 0.9
    lead = (
        "A law fitted to small runs errs more the further it extrapolates. lawfit measured how much on these "
        f"runs: it cut them at {len(cal.cuts)} scales of {cal.by}, fitted the law below each cut and predicted the "
        f"runs above it. The spread of those log errors grows with the distance d, in decades of {cal.by} beyond "
        "the largest fitted run, as s(d) = sqrt(s0² + (k d)²); a forecast interval is the prediction times "
        "exp([q_lo, q_hi] s(d)), with the quantiles of the back-tests' errors over s(d), widened until each cut's "
        "runs were covered from the cuts below it. With bootstrap draws, the law's own variance at the target is "
        "added to s(d)²."
    )
    levels = sorted({fig_level, level})
    quantiles = {lv: cal.quantiles(lv) for lv in levels}
    rows = [
        ("calibration", cal.describe()),
        *(
            (f"q_lo, q_hi at {percent(lv, 0)}", f"{_multiplier(quantiles[lv][0])}, {_multiplier(quantiles[lv][1])}")
            for lv in levels
        ),
    ]
    headers = ("decades beyond", f"{cal.by}", *(f"{percent(lv, 0)} interval, % of the prediction" for lv in levels))
    body = []
    for d in _DISTANCES:
        cells: list[Cell] = [f"{d:g}", _g(cal.top * 10.0**d, 4)]
        for lv in levels:
            q_low, q_high = quantiles[lv]
            s = float(cal.spread(d))
            cells.append(f"{_bound(q_low, s)} to {_bound(q_high, s)}")
        body.append(tuple(cells))
    caption = (
        f"Where a run beyond the largest fitted one ({cal.by} = {_g(cal.top, 4)}) should land, as % above or below "
        "the prediction, before the law's bootstrap variance at a target widens it a little (the figure below shows "
        "the prediction's error, (predicted - actual) / actual, of the opposite sign)"
    )
    parts: list[Block] = [
        Text(lead),
        Facts(tuple(rows)),
        Table(headers, tuple(body), numeric=tuple(range(len(headers))), caption=caption),
    ]
    held = ""
    if bt is not None:
        held = (
            " Diamonds and crosses: the back-test's held-out runs at their distance beyond the largest run below its "
            "cut, inside and outside their intervals"
        )
        held += "; dashed: the band calibrated below the cut, which judged them." if bt.interval == "forecast" else "."
    # For auto, each cut's errors are those of the law the other cuts chose: the error of the choosing itself.
    fitted = (
        "the law the other cuts chose, fitted below it" if the_fit.selection is not None else "the law fitted below it"
    )
    parts.append(
        Plot(
            "plot_calibration",
            (the_fit, bt),
            {"level": fig_level},
            "Forecast error against distance of extrapolation",
            f"The errors of the nested back-tests inside the runs (points, one colour per cut: {fitted}) against "
            f"their distance beyond the largest fitted run, and the {percent(fig_level, 0)} forecast interval they "
            "calibrate (grey band; intervals at single targets add the law's bootstrap variance)." + held,
        )
    )
    return parts


def _held_out_table(bt: Backtest, max_rows: int) -> list[Block]:
    """All the held-out runs: the worst miss and the largest run first (the ones the verdict and the forecast
    hinge on), then the rest by scale; beyond ``max_rows`` rows the rest are folded, never left out."""
    table = bt.table
    formats: dict[str, tuple[str, Callable[[Any], str]]] = {
        "run": ("run", str),
        "actual": ("actual", lambda v: _g(v, 5)),
        "predicted": ("predicted", lambda v: _g(v, 5)),
        "rel_error": ("rel. error", lambda v: percent(v, sign=True)),
        "low": ("low", lambda v: _g(v, 5)),
        "high": ("high", lambda v: _g(v, 5)),
        "covered": ("covered", lambda v: "yes" if v else "no"),
    }
    columns = [formats.get(name, (str(name), lambda v: _g(v, 4))) for name in table.columns]
    headers = ("", *(header for header, _ in columns))
    numeric = tuple(i + 1 for i, name in enumerate(table.columns) if name not in ("run", "covered"))
    order = list(range(len(table)))
    first: dict[int, str] = {}
    if len(table):
        errors = np.abs(table["rel_error"].to_numpy(dtype=np.float64)) if "rel_error" in table else None
        if errors is not None and np.isfinite(errors).any():
            first[int(np.nanargmax(np.where(np.isfinite(errors), errors, -np.inf)))] = "worst miss"
        largest = int(np.argmax(table[bt.by].to_numpy(dtype=np.float64))) if bt.by in table else len(table) - 1
        first[largest] = "worst miss, largest" if largest in first else "largest"
    order = [*first, *(i for i in order if i not in first)]
    rows = list(table.itertuples(index=False))
    body = [(first.get(i, ""), *(fmt(value) for (_, fmt), value in zip(columns, rows[i], strict=True))) for i in order]
    caption = f"The {len(table)} held-out runs: the worst miss and the largest first, then by {bt.by}"
    if len(body) <= max(max_rows, len(first)):
        return [Table(headers, tuple(body), numeric=numeric, caption=caption)]
    shown = max(max_rows, len(first))
    head = Table(headers, tuple(body[:shown]), numeric=numeric, caption=caption)
    rest = Table(headers, tuple(body[shown:]), numeric=numeric)
    return [head, Folded(f"The other {len(body) - shown} held-out runs, by {bt.by}", rest)]


def _frontier_body(results: _Results, level: float) -> list[Block]:
    frontier = results.frontier
    if frontier is None:
        return [Omitted(results.frontier_reason)]
    with_draws = bool(frontier.draws)
    headers = ("C (FLOPs)", "N*", "D*", "D*/N*", "loss", "N* exponent")
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if with_draws:
        names = ("N", "D", "tokens_per_param", "loss", "N_exponent")
        intervals = {name: frontier.interval(name) for name in names if name in frontier.draws}
    body = []
    for i in range(frontier.C.size):
        cells: list[Cell] = [_g(frontier.C[i], 4)]
        for name, digits in (("N", 4), ("D", 4), ("tokens_per_param", 4), ("loss", 5), ("N_exponent", 4)):
            value = _g(frontier.value(name)[i], digits)
            if name in intervals:
                low, high = intervals[name]
                cells.append((value, f"[{_g(low[i], digits)}, {_g(high[i], digits)}]"))
            else:
                cells.append(value)
        body.append(tuple(cells))
    intervals_note = f"; {level:.0%} bootstrap intervals under each value" if with_draws else "; no intervals"
    lead = (
        f"The compute-optimal allocation under {frontier.law}, {frontier.cost}: for each budget, the "
        f"parameters N* and tokens D* with the lowest predicted loss{intervals_note}."
    )
    parts: list[Block] = [Text(lead), Table(headers, tuple(body), numeric=(0, 1, 2, 3, 4, 5))]
    if results.frontier_warnings:
        parts += [Text("Warnings raised by the frontier:"), _warning_list(results.frontier_warnings)]
    if results.dense_frontier is not None:
        dense = results.dense_frontier
        largest = float(np.max(_compute_of(results.runs)))
        parts.append(
            Plot(
                "plot_frontier",
                (dense,),
                {"level": level, "largest_compute": largest},
                "The compute-optimal frontier",
                "N* and D* against compute"
                + (f", with {level:.0%} bootstrap bands (dashed edges)" if dense.draws else "")
                + f"; the dotted line marks the largest run (C = {largest:.3g} FLOPs), beyond it the law extrapolates.",
            )
        )
    return parts


def _runs_body(the_fit: Fit, runs: Runs, max_rows: int) -> list[Block]:
    law = the_fit.law
    shown = runs.select(np.arange(min(max_rows, len(runs)))) if max_rows > 0 else None
    if shown is None:
        return [Omitted("the runs table (max_rows=0).")]
    target = law.target
    y = shown.column(target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        predicted = np.asarray(law.predict(the_fit.params, **shown.inputs(law.inputs)), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if the_fit.objective_settings.in_log_space and np.all(y > 0) and np.all(predicted > 0):
            residual, residual_name = np.log(y / predicted), f"ln({target} / law)"
        else:
            residual, residual_name = y - predicted, f"{target} - law"
    sizes = [name for name in ("N", "D", "C", "U") if name in shown.columns and (name != "U" or "U" in law.inputs)]
    headers = ("#", *(["run"] if "run" in shown.columns else []), *sizes, target, "law", residual_name)
    table = shown.table
    body = []
    for i in range(len(shown)):
        cells = [str(i + 1)]
        if "run" in shown.columns:
            cells.append(str(table["run"].iloc[i]))
        cells += [_g(table[name].iloc[i], 4) for name in sizes]
        cells += [_g(y[i], 5), _g(predicted[i], 5), f"{residual[i]:+.4f}"]
        body.append(tuple(cells))
    first = 2 if "run" in shown.columns else 1
    numeric = (0, *range(first, len(headers)))
    caption = (
        f"The first {len(shown)} of {len(runs)} runs, in the order given"
        if len(shown) < len(runs)
        else f"All {len(runs)} runs, in the order given"
    )
    return [Table(headers, tuple(body), numeric=numeric, caption=caption)]


def _about_body(results: _Results, created: str, command: str | None) -> list[Block]:
    rows = [
        ("lawfit", __version__),
        ("created", created),
        ("command", command or "lawfit.report.write_report (Python)"),
        ("python", platform.python_version()),
        ("objective", results.fit.objective_settings.describe()),
        *results.settings.items(),
    ]
    return [
        Facts(tuple(rows)),
        Text("This page is self-contained: its figures are embedded, and it loads nothing and runs no script."),
    ]


def _g(value: Any, digits: int) -> str:
    value = float(value)
    return f"{value:.{digits}g}" if math.isfinite(value) else "–"


def _bound(q: float, spread: float) -> str:
    """A side of the forecast interval, ``exp(q * spread) - 1``, as a signed percentage of the prediction; "unbounded"
    when the back-tests are too few to bound it at the level."""
    return percent(math.expm1(q * spread), sign=True) if math.isfinite(q) else "unbounded"


def _multiplier(q: float) -> str:
    return _g(q, 4) if math.isfinite(q) else "unbounded (too few back-test errors for this level)"


def _runs(count: int, what: str) -> str:
    return f"{count} {what}{'' if count == 1 else 's'}"
