"""The report: one self-contained HTML page that says what was fitted, how well, and how far to trust it.

:func:`write_report` fits a law to runs (or takes a fit), bootstraps it, back-tests it by scale, plans the
compute-optimal frontier when the law is one of N and D, and writes everything into one page: a verdict at the top,
the fit table with standard errors and intervals, the diagnostics, the data, the back-test, the frontier, the figures
of :mod:`lawfit.plot` and the runs themselves. The page loads nothing: the figures are SVG embedded as data, the
style is inline, and there is no script; a Content-Security-Policy forbids any other load. Every piece of text that
comes from the user (run names, column names, the source path, the formula, notes, warnings, the title) is escaped.

The figures need matplotlib (``pip install 'lawfit[plot]'``), imported only when a report is made.

Examples
--------
>>> import lawfit, os, tempfile
>>> from lawfit.report import write_report
>>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
>>> path = write_report(runs, "chinchilla", os.path.join(tempfile.mkdtemp(), "report.html"), bootstrap=100)
>>> text = path.read_text()
>>> "Back-test" in text and "Compute-optimal frontier" in text and "<script" not in text
True
"""

from __future__ import annotations

import base64
import html
import io
import math
import platform
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import plot
from .data import Runs, load_runs
from .errors import ExtrapolationWarning, LawfitError, LawfitWarning
from .fit import Fit, fit
from .laws import Law
from .plan import Frontier, compute_optimal
from .uncertainty import bootstrap as _bootstrap
from .validate import Backtest, backtest
from .validate import _check_options as _check_split

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["write_report"]

_DPI = 96  # CSS pixels per inch: a figure is shown at its own size, or narrower on a narrow screen
_FRONTIER_POINTS = 60  # budgets along the frontier figure
_DOUBT_MARGIN = 0.15  # coverage this far below the level marks intervals too narrow (as Backtest.summary says)
_SECTIONS = (
    ("fit", "Fit"),
    ("diagnostics", "Diagnostics"),
    ("data", "Data"),
    ("figures", "Figures"),
    ("backtest", "Back-test"),
    ("frontier", "Compute-optimal frontier"),
    ("runs", "Runs"),
    ("about", "About this report"),
)


def write_report(
    runs: Runs | Any,
    law: Law | str | Fit,
    path: str | Path,
    *,
    columns: dict[str, str] | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    resample: str = "run",
    loss: str | None = None,
    delta: float | None = None,
    compute: float | Sequence[float] | None = None,
    by: str | None = None,
    cut: float | None = None,
    holdout: int | None = None,
    backtest_level: float = 0.9,
    title: str | None = None,
    command: str | None = None,
    max_rows: int = 50,
) -> Path:
    """Fit, bootstrap, back-test and plan, and write it all as one self-contained HTML page.

    Parameters
    ----------
    runs : path, DataFrame, mapping of columns or Runs
        The runs (see :func:`lawfit.load_runs`); ``columns`` maps their columns as there.
    law : str, Law or Fit
        What to fit: a built-in law's name, a formula or a :class:`Law` (fitted here by :func:`lawfit.fit`); or a
        :class:`Fit` of ``runs``, reported as it is (bootstrapped first if it has no draws and ``bootstrap > 0``).
    path : str or Path
        The HTML file to write.
    bootstrap : int
        Bootstrap resamples for standard errors, intervals and the back-test's coverage; 0 for none.
    seed : int
        Seed of the bootstraps.
    level : float
        Level of the parameter and frontier intervals.
    resample : {"run", "group"}
        Resample single runs or whole groups (the runs' ``group`` column).
    loss, delta : optional
        The objective (:func:`lawfit.fit`'s; Huber with delta 1e-3 unless given). A :class:`Fit` carries its own, so
        give them only with a law.
    compute : float or sequence of float, optional
        Budgets in FLOPs for the frontier table; by default the three powers of ten up to ten times the largest
        run's compute.
    by, cut, holdout : optional
        The back-test's split (see :func:`lawfit.validate.backtest`): the scale to cut (``"C"``, or the first of N,
        D the runs have), and where. By default the largest budgets are held out until they make up a fifth of the
        runs.
    backtest_level : float
        Level of the back-test's intervals for a new run.
    title : str, optional
        The page's title; by default the law and the runs' source.
    command : str, optional
        The command that made the report, shown in its metadata (the command line passes its own).
    max_rows : int
        At most this many runs in the runs table and held-out runs in the back-test's table.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    LawfitError
        If matplotlib is missing, an option is invalid, the runs or the law cannot be used, or ``path`` cannot be
        written.

    Warns
    -----
    LawfitWarning
        The warnings raised while making the report (the fit's diagnostics, the back-test's, extrapolation of the
        frontier), once each, after the page is written; the page lists them too.
    """
    _require_matplotlib()
    _check_options(bootstrap, level, backtest_level, max_rows, law, loss, delta, compute, by, cut, holdout)
    path = Path(path)
    the_runs = load_runs(runs, columns=columns)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LawfitWarning)
        results = _gather(
            the_runs,
            law,
            bootstrap=bootstrap,
            seed=seed,
            level=level,
            resample=resample,
            loss=loss,
            delta=delta,
            compute=compute,
            by=by,
            cut=cut,
            holdout=holdout,
            backtest_level=backtest_level,
        )
        page = _page(results, level=level, title=title, command=command, max_rows=max_rows)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise LawfitError(f"Cannot write the report to '{path}': {exc.strerror}. Choose a writable path.") from None
    _warn_again(caught)
    return path


# ---------------------------------------------------------------------------------------------------------------
# Gathering the results


@dataclass
class _Results:
    """What the page shows, gathered before any HTML is written."""

    fit: Fit
    runs: Runs
    settings: dict[str, str]
    backtest: Backtest | None = None
    backtest_reason: str = ""
    backtest_warnings: list[LawfitWarning] = field(default_factory=list)
    frontier: Frontier | None = None
    frontier_reason: str = ""
    frontier_warnings: list[LawfitWarning] = field(default_factory=list)
    dense_frontier: Frontier | None = None


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise LawfitError(
            "The report draws its figures with matplotlib, which is not installed; install it with "
            "pip install 'lawfit[plot]'."
        ) from None


def _check_options(
    bootstrap: Any,
    level: Any,
    backtest_level: Any,
    max_rows: Any,
    law: Any,
    loss: Any,
    delta: Any,
    compute: Any,
    by: str | None,
    cut: Any,
    holdout: Any,
) -> None:
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int | np.integer) or bootstrap < 0 or bootstrap == 1:
        raise LawfitError(
            f"The 'bootstrap' parameter of write_report must be 0 (none) or an integer >= 2. Got {bootstrap!r} instead."
        )
    for name, value in (("level", level), ("backtest_level", backtest_level)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise LawfitError(f"The '{name}' parameter of write_report must be a float in (0, 1). Got {value!r}.")
    if isinstance(max_rows, bool) or not isinstance(max_rows, int | np.integer) or max_rows < 0:
        raise LawfitError(f"The 'max_rows' parameter of write_report must be an integer >= 0. Got {max_rows!r}.")
    if compute is not None:
        values = np.atleast_1d(np.asarray(compute, dtype=object))
        if values.ndim != 1 or values.size == 0 or not all(_positive_number(v) for v in values):
            raise LawfitError(
                f"The 'compute' parameter of write_report must be a positive budget or a list of them, in FLOPs. "
                f"Got {compute!r} instead."
            )
    _check_split(by or "C", cut, holdout, "write_report")
    if isinstance(law, Fit) and (loss is not None or delta is not None):
        raise LawfitError(
            "The 'loss' and 'delta' parameters of write_report apply when it fits a law; a Fit carries its own "
            "objective. Drop them, or give the law instead of the fit."
        )


def _positive_number(value: Any) -> bool:
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and 0 < value < math.inf
    )


def _gather(
    runs: Runs,
    law: Law | str | Fit,
    *,
    bootstrap: int,
    seed: int,
    level: float,
    resample: str,
    loss: str | None,
    delta: float | None,
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
        if the_fit.bootstrap is None and bootstrap:
            the_fit = _bootstrap(the_fit, runs, n_resamples=int(bootstrap), seed=seed, by=resample)
    else:
        the_fit = fit(
            runs,
            law,
            loss="huber" if loss is None else loss,
            delta=1e-3 if delta is None else delta,
            bootstrap=int(bootstrap),
            seed=seed,
            resample=resample,
        )
        settings["fit"] = "lawfit.fit, global search"
    if the_fit.bootstrap is not None:
        settings["bootstrap"] = the_fit.bootstrap.describe() + f"; intervals at {level:.0%}"
    else:
        settings["bootstrap"] = "none (bootstrap=0): no standard errors or intervals"
    results = _Results(fit=the_fit, runs=runs, settings=settings)
    _gather_backtest(results, by, cut, holdout, bootstrap, seed, backtest_level)
    _gather_frontier(results, compute, level)
    return results


def _gather_backtest(
    results: _Results, by: str | None, cut: float | None, holdout: int | None, bootstrap: int, seed: int, level: float
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
    results.settings["back-test"] = f"{split}; {bootstrap:,} resamples for intervals at {level:.0%}"
    objective = the_fit.loss
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LawfitWarning)
        try:
            results.backtest = backtest(
                runs,
                the_fit.law,
                by=by,
                cut=cut,
                holdout=holdout,
                n_bootstrap=int(bootstrap),
                level=level,
                seed=seed,
                loss=objective.loss,
                delta=objective.delta,
                reduction=objective.reduction,
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


def _warn_again(caught: Sequence[warnings.WarningMessage]) -> None:
    """Raise again what the report caught: lawfit's warnings once each, others through the caller's filters."""
    seen = set()
    for item in caught:
        warning = item.message
        if not isinstance(warning, LawfitWarning):
            warnings.warn_explicit(warning, item.category, item.filename, item.lineno, source=item.source)
        elif (type(warning), warning.message) not in seen:
            seen.add((type(warning), warning.message))
            warnings.warn(warning, stacklevel=3)


# ---------------------------------------------------------------------------------------------------------------
# The page


def _page(results: _Results, *, level: float, title: str | None, command: str | None, max_rows: int) -> str:
    from . import __version__

    the_fit = results.fit
    source = results.runs.source
    heading = title if title is not None else f"{the_fit.law.name} fitted to {source}"
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta = f"lawfit {__version__} · {created}" + (f" · {command}" if command else "")
    sections = [
        _section("fit", _fit_body(the_fit, level)),
        _section("diagnostics", _diagnostics_body(the_fit)),
        _section("data", _data_body(the_fit, results.runs)),
        _section("figures", _figures_body(the_fit, results.runs, level)),
        _section("backtest", _backtest_body(results, max_rows)),
        _section("frontier", _frontier_body(results, level)),
        _section("runs", _runs_body(the_fit, results.runs, max_rows)),
        _section("about", _about_body(results, created, command)),
    ]
    nav = "".join(f'<li><a href="#{key}">{_e(name)}</a></li>' for key, name in _SECTIONS)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            # Nothing may load or run: no scripts, no fonts, no network; images only as embedded data.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
            "style-src 'unsafe-inline'\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="lawfit {_e(__version__)}">',
            f"<title>{_e(heading)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            f"<h1>{_e(heading)}</h1>",
            f'<p class="meta">{_e(meta)}</p>',
            _verdict(results),
            f'<nav aria-label="Contents"><ul>{nav}</ul></nav>',
            *sections,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _section(key: str, body: str) -> str:
    name = dict(_SECTIONS)[key]
    return f'<section id="{key}">\n<h2>{_e(name)}</h2>\n{body}\n</section>'


def _verdict(results: _Results) -> str:
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
    if bt is not None:
        if not bt.train_fit.converged:
            kind = "fail" if kind == "fail" else "doubt"
            points.append("Caveat: the back-test's fit on the smaller runs did not converge.")
        points.append(
            f"Back-test: fitted below {bt.by} = {bt.cut:.4g}, the law's predictions of the {bt.n_test} larger runs "
            f"are off by {_percent(bt.median_abs_rel_error)} (median) and {_percent(bt.max_abs_rel_error)} (worst)."
        )
        if bt.coverage is not None and bt.coverage < bt.level - _DOUBT_MARGIN:
            kind = "fail" if kind == "fail" else "doubt"
            points.append(
                f"Caveat: only {_percent(bt.coverage, 1)} of the held-out runs fell inside their "
                f"{_percent(bt.level, 0)} intervals for a new run: the larger runs deviate from the law more than "
                "the smaller ones, so intervals at larger scales are too narrow."
            )
    elif results.backtest_reason:
        points.append(f"No back-test: {results.backtest_reason}")
    items = "".join(f"<li>{_e(point)}</li>" for point in points)
    return (
        f'<div class="verdict {kind}" role="status"><p class="headline">{_e(headline)}</p>'
        + (f"<ul>{items}</ul>" if items else "")
        + "</div>"
    )


def _fit_body(the_fit: Fit, level: float) -> str:
    rows = [
        ("law", f"{the_fit.law.name}: L = {the_fit.law.formula}" if the_fit.law.formula else the_fit.law.name),
        ("runs", f"{the_fit.n_points:,}"),
        ("objective", f"{the_fit.loss.describe()}: {the_fit.objective:.6e}"),
        ("converged", "yes" if the_fit.converged else "NO"),
        ("search", f"{the_fit.message} ({the_fit.search.get('n_starts', 0):,} starts)"),
    ]
    if the_fit.bootstrap is not None:
        rows.append(("bootstrap", the_fit.bootstrap.describe()))
    parts = [_definitions(rows)]
    names = list(the_fit.params)
    if the_fit.bootstrap is None:
        body = [[name, _g(the_fit.params[name], 6)] for name in names]
        parts.append(_table(["parameter", "value"], body, numeric=(1,)))
        parts.append('<p class="omitted">No bootstrap: standard errors and intervals need bootstrap &gt; 0.</p>')
    else:
        stderr, intervals = the_fit.stderr, the_fit.intervals(level)
        body = [
            [
                name,
                _g(the_fit.params[name], 6),
                _g(stderr[name], 4),
                f"[{_g(intervals[name][0], 6)}, {_g(intervals[name][1], 6)}]",
            ]
            for name in names
        ]
        parts.append(_table(["parameter", "value", "stderr", f"{level:.0%} interval"], body, numeric=(1, 2, 3)))
    return "\n".join(parts)


def _diagnostics_body(the_fit: Fit) -> str:
    if not the_fit.diagnostics and not the_fit.converged:
        return "<p>The fit carries no warnings, but its search did not converge: see the verdict above.</p>"
    if not the_fit.diagnostics:
        return (
            "<p>The fit raised no warnings: it converged, no parameter ended at a bound, and no pair of parameters is "
            "too correlated to tell apart.</p>"
        )
    return _warning_list(the_fit.diagnostics)


def _warning_list(found: Sequence[LawfitWarning]) -> str:
    items = "".join(f'<li><strong class="kind">{_e(type(w).__name__)}</strong>: {_e(w.message)}</li>' for w in found)
    return f'<ul class="warnings">{items}</ul>'


def _data_body(the_fit: Fit, runs: Runs) -> str:
    ranges = the_fit.data.get("ranges", {})
    rows = [
        ("source", str(runs.source)),
        ("runs", f"{len(runs):,}"),
        ("columns", ", ".join(str(c) for c in runs.columns)),
    ]
    for name, (low, high) in ranges.items():
        rows.append((f"range of {name}", f"{_g(low, 4)} to {_g(high, 4)}"))
    for name, formula in runs.derived.items():
        rows.append((f"derived {name}", formula))
    parts = [_definitions(rows)]
    if runs.notes:
        parts.append("<h3>Notes</h3>")
        parts.append("<ul>" + "".join(f"<li>{_e(note)}</li>" for note in runs.notes) + "</ul>")
    return "\n".join(parts)


def _figures_body(the_fit: Fit, runs: Runs, level: float) -> str:
    parts = [
        _figure(
            lambda: plot.plot_fit(the_fit, runs, level=level),
            "The runs and the fitted law",
            "The runs and the law"
            + (f", with its {level:.0%} bootstrap band" if the_fit.bootstrap is not None else "")
            + ".",
        ),
        _figure(
            lambda: plot.plot_residuals(the_fit, runs),
            "Residuals of the runs",
            "Residuals of the runs about the law: a trend is structure the law misses.",
        ),
    ]
    if the_fit.bootstrap is None:
        parts.append(_omitted("the bootstrap pairs, which need bootstrap draws (bootstrap > 0)."))
    else:
        parts.append(
            _figure(
                lambda: plot.plot_bootstrap_pairs(the_fit),
                "Bootstrap draws of the parameters, two at a time",
                "Bootstrap draws of the parameters, two at a time: a scatter squeezed onto a line is a pair the data "
                "cannot tell apart.",
            )
        )
    return "\n".join(parts)


def _backtest_body(results: _Results, max_rows: int) -> str:
    bt = results.backtest
    if bt is None:
        return _omitted(results.backtest_reason)
    runs = results.runs
    scale = runs.column(bt.by)
    train, test = runs.select(scale < bt.cut), runs.select(scale >= bt.cut)
    state = "converged" if bt.train_fit.converged else "did NOT converge"
    split = (
        f"fitted on {bt.n_train} runs with {bt.by} < {bt.cut:.4g}; predicting {bt.n_test} with {bt.by} >= {bt.cut:.4g}"
    )
    errors = (
        f"(predicted - actual) / actual: median |error| {_percent(bt.median_abs_rel_error)}, max |error| "
        f"{_percent(bt.max_abs_rel_error)}, bias {_percent(bt.bias, sign=True)}"
    )
    rows = [
        ("split", split),
        ("train fit", f"{state}; {bt.train_fit.loss.describe()}: {bt.train_fit.objective:.6e}"),
        ("error", errors),
    ]
    if bt.coverage is not None:
        rows.append(
            (
                "coverage",
                f"{_percent(bt.coverage, 1)} of held-out runs inside their {_percent(bt.level, 1)} bootstrap interval "
                "for a new run (the law's uncertainty plus the training runs' scatter about it)",
            )
        )
    else:
        rows.append(("coverage", "not measured: it needs bootstrap > 0"))
    parts = [_definitions(rows)]
    if bt.coverage is not None and bt.coverage < bt.level - _DOUBT_MARGIN:
        parts.append(
            '<p class="caveat">Fewer held-out runs fall inside their intervals than the level: the runs beyond the '
            "cut deviate from the law more than the training runs do, so intervals at larger scales are too narrow. "
            "Widen them, or prefer the law that back-tests best (<code>lawfit compare</code>).</p>"
        )
    if results.backtest_warnings:
        parts.append("<p>Warnings raised by the back-test:</p>" + _warning_list(results.backtest_warnings))
    parts.append(
        _figure(
            lambda: plot.plot_fit(bt.train_fit, train, held_out=test),
            "The law fitted below the cut, with the held-out runs",
            "The law fitted on the runs below the cut (filled), and the held-out runs beyond it (hollow).",
        )
    )
    parts.append(_held_out_table(bt, max_rows))
    return "\n".join(parts)


def _held_out_table(bt: Backtest, max_rows: int) -> str:
    table = bt.table
    formats: dict[str, tuple[str, Callable[[Any], str]]] = {
        "run": ("run", str),
        "actual": ("actual", lambda v: _g(v, 5)),
        "predicted": ("predicted", lambda v: _g(v, 5)),
        "rel_error": ("rel. error", lambda v: _percent(v, sign=True)),
        "low": ("low", lambda v: _g(v, 5)),
        "high": ("high", lambda v: _g(v, 5)),
        "covered": ("covered", lambda v: "yes" if v else "no"),
    }
    columns = [formats.get(name, (str(name), lambda v: _g(v, 4))) for name in table.columns]
    shown = table.head(max_rows)
    body = [[fmt(value) for (_, fmt), value in zip(columns, row, strict=True)] for row in shown.itertuples(index=False)]
    numeric = tuple(i for i, name in enumerate(table.columns) if name not in ("run", "covered"))
    caption = f"The {len(table)} held-out runs" + (f", the first {len(shown)} shown" if len(shown) < len(table) else "")
    return _table([header for header, _ in columns], body, numeric=numeric, caption=caption)


def _frontier_body(results: _Results, level: float) -> str:
    frontier = results.frontier
    if frontier is None:
        return _omitted(results.frontier_reason)
    with_draws = bool(frontier.draws)
    headers = ["C (FLOPs)", "N*", "D*", "D*/N*", "loss", "N* exponent"]
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if with_draws:
        names = ("N", "D", "tokens_per_param", "loss", "N_exponent")
        intervals = {name: frontier.interval(name) for name in names if name in frontier.draws}
    body = []
    for i in range(frontier.C.size):
        cells: list[str | tuple[str, str]] = [_g(frontier.C[i], 4)]
        for name, digits in (("N", 4), ("D", 4), ("tokens_per_param", 4), ("loss", 5), ("N_exponent", 4)):
            value = _g(frontier.value(name)[i], digits)
            if name in intervals:
                low, high = intervals[name]
                cells.append((value, f"[{_g(low[i], digits)}, {_g(high[i], digits)}]"))
            else:
                cells.append(value)
        body.append(cells)
    intervals_note = f"; {level:.0%} bootstrap intervals under each value" if with_draws else "; no intervals"
    lead = (
        f"<p>The compute-optimal allocation under {_e(frontier.law)}, {_e(frontier.cost)}: for each budget, the "
        f"parameters N* and tokens D* with the lowest predicted loss{intervals_note}.</p>"
    )
    parts = [lead, _table(headers, body, numeric=(0, 1, 2, 3, 4, 5))]
    if results.frontier_warnings:
        parts.append("<p>Warnings raised by the frontier:</p>" + _warning_list(results.frontier_warnings))
    if results.dense_frontier is not None:
        dense = results.dense_frontier
        parts.append(
            _figure(
                lambda: plot.plot_frontier(dense, level=level),
                "The compute-optimal frontier",
                "N* and D* against compute" + (f", with {level:.0%} bootstrap bands." if dense.draws else "."),
            )
        )
    return "\n".join(parts)


def _runs_body(the_fit: Fit, runs: Runs, max_rows: int) -> str:
    law = the_fit.law
    shown = runs.select(np.arange(min(max_rows, len(runs)))) if max_rows > 0 else None
    if shown is None:
        return _omitted("the runs table (max_rows=0).")
    target = law.target
    y = shown.column(target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        predicted = np.asarray(law.predict(the_fit.params, **shown.inputs(law.inputs)), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if the_fit.loss.in_log_space and np.all(y > 0) and np.all(predicted > 0):
            residual, residual_name = np.log(y / predicted), f"ln({target} / law)"
        else:
            residual, residual_name = y - predicted, f"{target} - law"
    sizes = [name for name in ("N", "D", "C", "U") if name in shown.columns and (name != "U" or "U" in law.inputs)]
    headers = ["#", *(["run"] if "run" in shown.columns else []), *sizes, target, "law", residual_name]
    table = shown.table
    body = []
    for i in range(len(shown)):
        cells = [str(i + 1)]
        if "run" in shown.columns:
            cells.append(str(table["run"].iloc[i]))
        cells += [_g(table[name].iloc[i], 4) for name in sizes]
        cells += [_g(y[i], 5), _g(predicted[i], 5), f"{residual[i]:+.4f}"]
        body.append(cells)
    first = 2 if "run" in shown.columns else 1
    numeric = (0, *range(first, len(headers)))
    caption = (
        f"The first {len(shown)} of {len(runs)} runs, in the order given"
        if len(shown) < len(runs)
        else f"All {len(runs)} runs, in the order given"
    )
    return _table(headers, body, numeric=numeric, caption=caption)


def _about_body(results: _Results, created: str, command: str | None) -> str:
    from . import __version__

    rows = [
        ("lawfit", __version__),
        ("created", created),
        ("command", command or "lawfit.report.write_report (Python)"),
        ("python", platform.python_version()),
        ("objective", results.fit.loss.describe()),
        *results.settings.items(),
    ]
    return _definitions(rows) + (
        "\n<p>This page is self-contained: its figures are embedded, and it loads nothing and runs no script.</p>"
    )


# ---------------------------------------------------------------------------------------------------------------
# Pieces of HTML: every text passes through _e


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _definitions(rows: Sequence[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in rows)
    return f'<dl class="facts">{items}</dl>'


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str | tuple[str, str]]],
    *,
    numeric: Sequence[int] = (),
    caption: str | None = None,
) -> str:
    """A table of plain-text cells; a cell ``(value, note)`` shows the note in small type below the value."""
    right = set(numeric)

    def cell(tag: str, i: int, content: str | tuple[str, str]) -> str:
        if isinstance(content, tuple):
            inner = f'{_e(content[0])}<span class="sub">{_e(content[1])}</span>'
        else:
            inner = _e(content)
        return f'<{tag} class="num">{inner}</{tag}>' if i in right else f"<{tag}>{inner}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    top = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f'<div class="scroll"><table>{top}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _omitted(reason: str) -> str:
    return f'<p class="omitted">Left out: {_e(reason)}</p>'


def _figure(draw: Callable[[], Figure], alt: str, caption: str) -> str:
    """A figure as an SVG embedded in an <img>: sharp, no fonts (text as paths), and inert (an image runs nothing)."""
    import matplotlib

    try:
        fig = draw()
    except LawfitError as exc:
        return _omitted(f"{alt.lower()}: {exc}")
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "lawfit"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    width, height = (round(v * _DPI) for v in fig.get_size_inches())
    return (
        f'<figure><img src="data:image/svg+xml;base64,{data}" alt="{_e(alt)}" width="{width}" height="{height}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _g(value: Any, digits: int) -> str:
    value = float(value)
    return f"{value:.{digits}g}" if math.isfinite(value) else "–"


def _percent(value: float, decimals: int = 2, *, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:{'+' if sign else ''}.{decimals}%}"


_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1f2328;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 1.6em; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.3em; margin: 2em 0 .6em; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.05em; margin: 1.2em 0 .4em; }
.meta { color: #59636e; margin: 0 0 12px; overflow-wrap: anywhere; }
nav ul { list-style: none; padding: 0; margin: 12px 0; display: flex; flex-wrap: wrap; gap: 4px 18px; }
a { color: #0969da; }
.verdict { border-left: 6px solid; border-radius: 4px; padding: 10px 16px; margin: 16px 0; }
.verdict .headline { font-size: 1.15em; font-weight: 600; margin: 0; }
.verdict ul { margin: 6px 0 0; padding-left: 20px; }
.verdict.ok { border-color: #1a7f37; background: #dafbe1; }
.verdict.doubt { border-color: #9a6700; background: #fff8c5; }
.verdict.fail { border-color: #cf222e; background: #ffebe9; }
.verdict.fail .headline { color: #a40e26; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 16px; }
dl.facts dt { color: #59636e; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: .9em; }
caption { text-align: left; color: #59636e; padding: 4px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e6e9ed; text-align: left; vertical-align: top; }
th { border-bottom: 2px solid #d0d7de; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .95em; }
ul.warnings li { margin: 4px 0; }
.kind { color: #9a6700; }
.caveat { border-left: 4px solid #9a6700; background: #fff8c5; padding: 6px 12px; }
.omitted { color: #59636e; font-style: italic; }
.sub { display: block; color: #59636e; font-size: .85em; }
figure { margin: 16px 0 24px; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { color: #59636e; font-size: .9em; margin-top: 4px; }
@media print { nav { display: none; } main { max-width: none; padding: 0; } section { break-inside: avoid-page; } }
"""
