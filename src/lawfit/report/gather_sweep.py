"""Gathering the report of a sweep: the optima of each cell of a hyperparameter sweep and the laws of the optima, or
the critical batch size of a steps-to-target table, said as a :class:`~lawfit.report.document.Report` (no HTML).

:func:`kind_of` tells what a table is: a hyperparameter ``"sweep"`` (a learning-rate or batch-size column that
varies within a cell), a ``"critical-batch"`` table (the steps, or tokens, to reach a target loss at several batch
sizes), or None (final-loss runs: the report of :func:`lawfit.report.write_report`).

>>> import numpy as np
>>> lr = np.tile(2.0 ** np.arange(-12, -5), 3)
>>> n = np.repeat([1e8, 2e8, 4e8], 7)
>>> table = {"N": n, "D": 20 * n, "lr": lr, "loss": 3 + 0.02 * np.log(lr / (3e-3 * (n / 1e8) ** -0.5)) ** 2}
>>> kind_of(table)
'sweep'
>>> doc = gather_sweep(table, n_resamples=100)
>>> [s.key for s in doc.sections]
['sweep', 'optima', 'laws', 'figures', 'about']
"""

from __future__ import annotations

import math
import platform
import warnings
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from .._checks import Integer, check, check_level, renamed
from .._intervals import format_interval
from .._version import __version__
from ..data import match_columns, read_table
from ..errors import DataError, LawfitError, LawfitWarning
from ..hparams import HparamLaw, Optima, Sweep, backtest_law, cell_optima, fit_law, load_sweep, published
from ..hparams.batch import CriticalBatch, critical_batch
from .document import Block, Bullets, Facts, Heading, Omitted, Plot, Report, Section, Table, Text, Verdict, Warnings

__all__ = ["gather_critical_batch", "gather_sweep", "kind_of"]

SWEEP_SECTIONS = (
    ("sweep", "Sweep"),
    ("optima", "Cell optima"),
    ("laws", "Laws of the optima"),
    ("figures", "Figures"),
    ("about", "About this report"),
)
BATCH_SECTIONS = (
    ("fits", "Critical batch size per model"),
    ("laws", "Laws of the critical batch size"),
    ("figures", "Figures"),
    ("about", "About this report"),
)
# Columns that only a steps-to-target table has: the steps (or tokens) to reach a loss, the target loss.
_TO_TARGET = ("steps_to_target", "steps_to_loss", "tokens_to_target", "tokens_to_loss", "examples_to_target")
_TARGET = ("target_loss", "target_val_loss")
# The laws tried when none is named, in order: the first that the cells can fit is reported.
_DEFAULT_LAWS = {"lr": ("N,D", "N", "D", "C"), "batch": ("D", "N,D", "N", "C")}
_PUBLISHED = ("step-law", "deepseek")
_POOR_FIT = 4.0  # chi2/dof above which the optima scatter about a law far more than their intervals allow
_POOR_HYPERBOLA = 0.1  # rms log error above which S = S_min + E_min/B misses a model's steps by more than 10%


def kind_of(source: Any, *, columns: Mapping[str, Any] | None = None, format: str | None = None) -> str | None:
    """What the table at ``source`` is: ``"critical-batch"`` (it has steps or tokens to a target loss, or maps
    ``steps``/``tokens``), ``"sweep"`` (a learning rate or batch size that takes two or more values in a cell), or
    None (runs for a fit of the final loss, or a table that is neither).

    >>> kind_of({"N": [1e8, 1e8], "loss": [3.1, 3.0], "batch_size_seqs": [64, 128], "steps_to_target": [900, 500]})
    'critical-batch'
    >>> kind_of({"N": [1e8, 2e8], "D": [2e9, 4e9], "loss": [3.1, 3.0], "lr": [3e-4, 3e-4]}) is None
    True
    """
    mapping = dict(columns or {})
    try:
        labels = list(read_table(source, format=format).frame.columns)
    except LawfitError:
        return None
    if "steps" in mapping or "tokens" in mapping or match_columns(labels, _TO_TARGET):
        return "critical-batch"
    if match_columns(labels, _TARGET) and not match_columns(labels, ("loss", "final_loss", "val_loss")):
        return "critical-batch"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LawfitWarning)  # said again when the report reads the sweep
        try:
            sweep = load_sweep(source, columns=mapping or None, format=format)
        except LawfitError:
            return None
    for _, rows in sweep.cells():
        if any(np.unique(sweep.column(h)[rows]).size >= 2 for h in sweep.hparams):
            return "sweep"
    return None


# ---------------------------------------------------------------------------------------------------------------
# A hyperparameter sweep


@renamed(bootstrap="n_resamples")
def gather_sweep(
    source: Any,
    *,
    columns: Mapping[str, Any] | None = None,
    format: str | None = None,
    drop_bad: bool = False,
    seq_len: float | None = None,
    cell_by: Sequence[str] | None = None,
    skip_single: bool = False,
    near: float = 0.01,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.9,
    lr_law: str | None = None,
    batch_law: str | None = None,
    title: str | None = None,
    command: str | None = None,
) -> Report:
    """Find the optimum of each cell of a sweep, fit laws of the optima, and say what was found: the report of
    :func:`lawfit.report.write_sweep_report` for a hyperparameter sweep (same parameters, without the file).

    The laws are those named (``lr_law``, ``batch_law``: ``"N,D"``, ``"C"``, ``"D"``, ``"N"`` or a formula), else the
    first of ``N,D``, ``N``, ``D``, ``C`` (the batch size: ``D`` first) that the cells can fit. The warnings raised
    on the way (an optimum at the edge of its sweep, ...) are raised again, and listed in the report.

    Examples
    --------
    >>> import numpy as np
    >>> lr = np.tile(2.0 ** np.arange(-12, -5), 3)
    >>> n = np.repeat([1e8, 2e8, 4e8], 7)
    >>> best = 3e-3 * (n / 1e8) ** -0.5
    >>> doc = gather_sweep({"N": n, "D": 20 * n, "lr": lr, "loss": 3 + 0.02 * np.log(lr / best) ** 2}, n_resamples=100)
    >>> doc.section("optima").blocks[0].rows[0][:3]
    ('1e+08', '2e+09', 'lr')
    """
    n_resamples = check(n_resamples, Integer(10), "n_resamples", "write_sweep_report")  # the optima's intervals
    level = check_level(level, where="write_sweep_report")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LawfitWarning)
        sweep = (
            source
            if isinstance(source, Sweep)
            else load_sweep(source, columns=columns, seq_len=seq_len, cell_by=cell_by, format=format, drop_bad=drop_bad)
        )
        optima = cell_optima(sweep, near=near, n_resamples=n_resamples, level=level, seed=seed, skip_single=skip_single)
        laws, omitted = _fit_laws(optima, sweep, {"lr": lr_law, "batch": batch_law}, seed)
    found = [item.message for item in caught if isinstance(item.message, LawfitWarning)]
    for warning in found:
        warnings.warn(warning, stacklevel=2)
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    bodies = {
        "sweep": [*_sweep_body(sweep, optima), *_warnings(found)],
        "optima": _optima_body(optima),
        "laws": _laws_body(laws, omitted, optima),
        "figures": _sweep_figures(sweep, optima, laws),
        "about": _about(created, command, {"bootstrap": f"{n_resamples:,} draws of each optimum, seed {seed}"}),
    }
    sections = tuple(Section(key, name, tuple(bodies[key])) for key, name in SWEEP_SECTIONS)
    said = tuple(dict.fromkeys((type(w).__name__, w.message) for w in found))
    heading = title if title is not None else f"Hyperparameter sweep: {_name(sweep.runs.source)}"
    meta = f"lawfit {__version__} · {created}" + (f" · {command}" if command else "")
    return Report(heading, meta, __version__, _sweep_verdict(sweep, optima, laws, omitted), sections, said)


def _families(optima: Optima) -> list[dict[str, Any]]:
    keys = {tuple((k, c.cell[k]) for k in optima.families) for c in optima.cells}
    return [dict(family) for family in sorted(keys, key=lambda f: tuple(map(str, f)))]


def _fit_laws(
    optima: Optima, sweep: Sweep, named: Mapping[str, str | None], seed: int
) -> tuple[list[HparamLaw], list[str]]:
    """The laws of each hyperparameter (and family), and why any could not be fitted."""
    laws, omitted = [], []
    for where in _families(optima):
        family = ", ".join(f"{k}={v}" for k, v in where.items())
        for hparam in sweep.hparams:
            if not optima.of(hparam, **where):
                continue
            forms = (named[hparam],) if named[hparam] else _DEFAULT_LAWS[hparam]
            reasons = []
            for form in forms:
                try:
                    laws.append(fit_law(optima, hparam, form, where=where, seed=seed))
                    break
                except DataError as exc:
                    if named[hparam]:  # the law the user asked for: theirs to fix
                        raise
                    reasons.append(f"{form}: {exc}")
            else:
                omitted.append(f"the law of {hparam}*" + (f" [{family}]" if family else "") + ": " + reasons[0])
    return laws, omitted


def _sweep_verdict(sweep: Sweep, optima: Optima, laws: Sequence[HparamLaw], omitted: Sequence[str]) -> Verdict:
    edge = [c for c in optima.cells if c.at_edge]
    poor = [law for law in laws if math.isfinite(law.chi2_dof) and law.chi2_dof > _POOR_FIT]
    points = []
    if edge:
        points.append(
            f"{len(edge)} of {len(optima.cells)} optima lie at the edge of their sweep: each is a bound, not an "
            "optimum, and a law fitted through them is only as good as those bounds. Sweep further to pin them down."
        )
    for law in poor:
        points.append(
            f"The optima of {law.hparam} scatter about {law.formula} {math.sqrt(law.chi2_dof):.2g} times more than "
            "their intervals allow (chi2/dof "
            f"{law.chi2_dof:.3g}): the law's form misses something, or the optima's noise is underestimated."
        )
    points += [f"Left out {text}" for text in omitted]
    headline = (
        f"{len(optima.cells)} cell optima from {len(sweep)} runs in {sweep.n_cells} cells; {len(laws)} "
        f"law{'s' if len(laws) != 1 else ''} of the optima fitted"
    )
    return Verdict(
        "doubt" if points else "ok", headline + ("." if points else ", with no optimum at an edge."), tuple(points)
    )


def _sweep_body(sweep: Sweep, optima: Optima) -> list[Block]:
    rows = [
        ("source", sweep.runs.source),
        ("runs", f"{len(sweep):,}"),
        ("cells", f"{sweep.n_cells} by {', '.join(sweep.cell_by)}"),
        ("swept", ", ".join({"lr": "learning rate", "batch": "batch size (tokens)"}[h] for h in sweep.hparams)),
        ("optimum", "a quadratic in the log of each setting (2-D where a cell is a grid), weighted toward the minimum"),
        (
            "intervals",
            f"{optima.level:.0%} parametric bootstrap, runs' scatter {optima.noise:.3g} ({optima.noise_source})",
        ),
        ("near-optimal", f"the settings whose loss is within {optima.near:.1%} of the cell's best"),
    ]
    parts: list[Block] = [Facts(tuple(rows))]
    if sweep.notes:
        parts += [Heading("Notes"), Bullets(tuple(sweep.notes))]
    return parts


def _optima_body(optima: Optima) -> list[Block]:
    keys = list(optima.cells[0].cell) if optima.cells else []
    headers = (*keys, "hparam", "optimum", f"{optima.level:.0%} interval", "near-optimal", "loss", "method", "at edge")
    body = []
    for c in optima.cells:
        body.append(
            (
                *(_cell(c.cell[k]) for k in keys),
                c.hparam,
                _g(c.value, 4),
                format_interval(c.low, c.high, c.value),
                f"{_g(c.near_low, 3)} to {_g(c.near_high, 3)}",
                _g(c.loss, 5),
                c.method,
                "bound" if c.at_edge else "",
            )
        )
    numeric = tuple(i for i, k in enumerate(keys) if k in ("N", "D", "C")) + tuple(len(keys) + i for i in (1, 2, 3, 4))
    marked = tuple(i for i, c in enumerate(optima.cells) if c.at_edge)
    caption = (
        "One row per cell and hyperparameter; rows at the edge of their sweep are marked: their optimum is a bound."
    )
    parts: list[Block] = [Table(headers, tuple(body), numeric=numeric, caption=caption, marked=marked)]
    if optima.skipped:
        parts += [Text("Cells left out (a single setting):"), Bullets(tuple(optima.skipped))]
    return parts


def _laws_body(laws: Sequence[HparamLaw], omitted: Sequence[str], optima: Optima) -> list[Block]:
    parts: list[Block] = []
    if not laws:
        parts.append(Omitted("no law of the optima could be fitted."))
    for law in laws:
        family = ", ".join(f"{k}={v}" for k, v in law.where.items())
        symbol = {"lr": "lr*", "batch": "batch*"}[law.hparam]
        parts.append(Heading(f"{symbol} = {law.formula}" + (f" [{family}]" if family else "")))
        parts.append(
            Facts(
                (
                    ("fit", law.method),
                    ("cell optima", f"{law.n_cells} ({sum(bool(p['at_edge']) for p in law.points)} at an edge)"),
                    ("chi2/dof", _g(law.chi2_dof, 3)),
                )
            )
        )
        rows = tuple(
            (name, _g(value, 5), format_interval(*law.intervals[name], value)) for name, value in law.params.items()
        )
        parts.append(Table(("parameter", "value", f"{law.level:.0%} interval"), rows, numeric=(1, 2)))
        parts += _backtest_blocks(law, optima)
    if omitted:
        parts += [Omitted(text) for text in omitted]
    comparison = _published_table(laws, optima)
    if comparison is not None:
        parts += [Heading("Published laws at these cells"), comparison]
    return parts


def _backtest_blocks(law: HparamLaw, optima: Optima) -> list[Block]:
    """The law fitted on the cells below the largest scale, predicting the cells at it (or why it cannot be)."""
    by = next((name for name in ("N", "D", "C") if all(name in p for p in law.points)), None)
    if by is None:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LawfitWarning)  # the extrapolation is the point of a back-test
        try:
            bt = backtest_law(optima, law.hparam, law.law, by=by, where=dict(law.where), seed=0)
        except LawfitError as exc:
            return [Omitted(f"the back-test of this law: {exc}")]
    rows = tuple(
        (
            _g(r[by], 4),
            _g(r["measured"], 4) + (" (bound)" if r["at_edge"] else ""),
            format_interval(r["measured_low"], r["measured_high"], r["measured"]),
            _g(r["predicted"], 4),
            format_interval(r["low"], r["high"], r["predicted"]),
            _g(r["ratio"], 3),
        )
        for r in bt.rows
    )
    caption = (
        f"Back-test: the law fitted on the {bt.law.n_cells} cells with {by} < {bt.cut:.4g}, predicting the cells at "
        f"{by} >= {bt.cut:.4g} (intervals at {bt.law.level:.0%}; ratio: predicted / measured)."
    )
    headers = (by, "measured", "interval", "predicted", "interval", "ratio")
    return [Table(headers, rows, numeric=(0, 1, 2, 3, 4, 5), caption=caption)]


def _published_table(laws: Sequence[HparamLaw], optima: Optima) -> Table | None:
    """How far each published law's optima lie from the measured ones: the median ratio over the cells."""
    rows = []
    for name in _PUBLISHED:
        law = published(name)
        for hparam in ("lr", "batch"):
            cells = [c for c in optima.cells if c.hparam == hparam]
            sizes = [{k: float(v) for k, v in c.cell.items() if k in ("N", "D", "C")} for c in cells]
            try:
                ratios = [float(law.predict(hparam, **s)) / c.value for s, c in zip(sizes, cells, strict=True)]
            except LawfitError:
                continue
            if ratios:
                rows.append((name, hparam, law.formula(hparam), _g(float(np.median(ratios)), 3), str(len(ratios))))
    if not rows:
        return None
    caption = (
        "The published law's optimum over the measured one, median over the cells (1: the same). Step Law: Li et "
        "al. 2025; DeepSeek: DeepSeek-AI 2024 (C = 6ND here)."
    )
    return Table(("law", "hparam", "formula", "median ratio", "cells"), tuple(rows), numeric=(3, 4), caption=caption)


def _sweep_figures(sweep: Sweep, optima: Optima, laws: Sequence[HparamLaw]) -> list[Block]:
    parts: list[Block] = [
        Plot(
            "plot_optima",
            (optima, sweep),
            {"laws": tuple(laws)},
            "The loss of each cell against its settings, with the fitted optimum",
            "Each cell: the runs, the fitted quadratic (or, on a grid, the loss over the plane with the near-optimal "
            "contour), the optimum with its interval, and the laws' predictions (dashed). At most 12 panels.",
        )
    ]
    if laws:
        parts.append(
            Plot(
                "plot_hparam_law",
                (tuple(laws), optima),
                {"published": (published("step-law"),)},
                "The optima against scale, with the laws",
                "The cell optima (hollow: at the edge of their sweep) with their intervals, the fitted laws with their "
                "bands, and Step Law's published law (dashed) where the cells have the sizes it reads.",
            )
        )
    return parts


# ---------------------------------------------------------------------------------------------------------------
# A steps-to-target table: the critical batch size


@renamed(bootstrap="n_resamples")
def gather_critical_batch(
    source: Any,
    *,
    columns: Mapping[str, Any] | None = None,
    format: str | None = None,
    drop_bad: bool = False,
    seq_len: float | None = None,
    target_loss: float | Sequence[float] | None = None,
    x: str | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.9,
    title: str | None = None,
    command: str | None = None,
) -> Report:
    """Fit ``S = S_min + E_min / B`` per model and the laws of both critical batch sizes
    (:func:`lawfit.hparams.batch.critical_batch`), and say what was found.

    >>> b = [64, 128, 256, 512, 1024, 2048]
    >>> table = {"N": [1e8] * 6 + [4e8] * 6, "loss": [3.1] * 12, "batch": b * 2,
    ...          "steps": [1000 + 64e4 / x for x in b] + [2000 + 256e4 / x for x in b]}
    >>> doc = gather_critical_batch(table, n_resamples=0)
    >>> doc.verdict.kind, [s.key for s in doc.sections]
    ('ok', ['fits', 'laws', 'figures', 'about'])
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LawfitWarning)
        result = critical_batch(
            source,
            columns=columns,
            target_loss=target_loss,
            seq_len=seq_len,
            x=x,
            level=level,
            n_resamples=n_resamples,
            seed=seed,
            format=format,
            drop_bad=drop_bad,
        )
    found = [item.message for item in caught if isinstance(item.message, LawfitWarning)]
    for warning in found:
        warnings.warn(warning, stacklevel=2)
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    bodies = {
        "fits": [*_fits_body(result), *_warnings(found)],
        "laws": _batch_laws_body(result),
        "figures": [
            Plot(
                "plot_critical_batch",
                (result,),
                {},
                "Steps to the target against batch size, and the critical batch size against scale",
                "Left: each model's steps to its target loss (points) and the fitted S = S_min + E_min/B (line), with "
                "B_crit = E_min/S_min (circle, where S = 2 S_min) and CBS (diamond). Right: both critical batch "
                "sizes with their intervals and their power laws.",
            )
        ],
        "about": _about(created, command, {"bootstrap": f"{n_resamples:,} resamples of each model's batch sizes"}),
    }
    sections = tuple(Section(key, name, tuple(bodies[key])) for key, name in BATCH_SECTIONS)
    said = tuple(dict.fromkeys((type(w).__name__, w.message) for w in found))
    heading = title if title is not None else f"Critical batch size: {_name(result.source)}"
    meta = f"lawfit {__version__} · {created}" + (f" · {command}" if command else "")
    return Report(heading, meta, __version__, _batch_verdict(result), sections, said)


def _batch_verdict(result: CriticalBatch) -> Verdict:
    poor = [f for f in result.fits if f.rms_log_error > _POOR_HYPERBOLA]
    points = [
        f"S = S_min + E_min/B misses the steps of {f.model} (loss {f.target_loss:g}) by {f.rms_log_error:.0%} "
        "(rms in log S): its critical batch size is uncertain beyond its interval."
        for f in poor
    ]
    if not result.laws:
        points.append(f"No power law of the critical batch size: the fits have fewer than two distinct {result.x}.")
    law = result.laws.get("CBS")
    headline = f"Critical batch size of {len(result.fits)} model{'s' if len(result.fits) != 1 else ''}" + (
        f": {law.formula}" if law is not None else ""
    )
    return Verdict("doubt" if points else "ok", headline + ".", tuple(points))


def _fits_body(result: CriticalBatch) -> list[Block]:
    first = result.fits[0]
    rows = []
    for f in result.fits:
        cells = [f.model, _g(f.target_loss, 4)]
        for name in ("S_min", "E_min", "B_crit", "CBS"):
            value = getattr(f, name)
            bounds = f.intervals.get(name)
            cells.append((_g(value, 5), format_interval(*bounds, value)) if bounds else _g(value, 5))
        cells += [str(f.batch.size), _g(f.rms_log_error, 3)]
        rows.append(tuple(cells))
    interval = f"; below each value its {result.level:.0%} interval" if result.n_resamples else ""
    caption = (
        f"S = S_min + E_min/B per model, least squares in log S{interval}. B_crit = E_min/S_min (McCandlish et al. "
        f"2018); CBS: the batch that needs {100 * first.overhead:g}% more examples than batch "
        f"{first.reference_batch:g} (Zhang et al. 2025)."
    )
    headers = ("model", "target loss", "S_min", "E_min", "B_crit", "CBS", "batches", "rms log error")
    parts: list[Block] = [Table(headers, tuple(rows), numeric=(1, 2, 3, 4, 5, 6, 7), caption=caption)]
    if result.notes:
        parts += [Heading("Notes"), Bullets(tuple(result.notes))]
    return parts


def _batch_laws_body(result: CriticalBatch) -> list[Block]:
    if not result.laws:
        return [Omitted(f"the laws need fits at two or more distinct {result.x}.")]
    rows = []
    for law in result.laws.values():
        cells = [law.formula]
        for name in ("coefficient", "exponent"):
            bounds = law.intervals.get(name)
            cells.append(format_interval(*bounds, getattr(law, name)) if bounds else "–")
        cells.append(f"{_g(law.coefficient_linear, 5)}, {_g(law.exponent_linear, 4)}")
        rows.append(tuple(cells))
    headers = (
        "law (least squares in log space)",
        f"coefficient, {result.level:.0%}",
        f"exponent, {result.level:.0%}",
        "in linear space",
    )
    return [Table(headers, tuple(rows), numeric=(1, 2, 3))]


# ---------------------------------------------------------------------------------------------------------------
# Text


def _warnings(found: Sequence[LawfitWarning]) -> list[Block]:
    if not found:
        return []
    items = tuple(dict.fromkeys((type(w).__name__, w.message) for w in found))
    return [Heading("Warnings"), Warnings(items)]


def _about(created: str, command: str | None, settings: Mapping[str, str]) -> list[Block]:
    rows = [
        ("lawfit", __version__),
        ("created", created),
        ("command", command or "lawfit.report.write_sweep_report (Python)"),
        ("python", platform.python_version()),
        *settings.items(),
    ]
    return [
        Facts(tuple(rows)),
        Text("This page is self-contained: its figures are embedded, and it loads nothing and runs no script."),
    ]


def _name(source: str) -> str:
    from pathlib import Path

    return Path(source).name if not source.startswith("<") else source


def _cell(value: Any) -> str:
    return _g(value, 4) if isinstance(value, float) else str(value)


def _g(value: Any, digits: int) -> str:
    value = float(value)
    return f"{value:.{digits}g}" if math.isfinite(value) else "–"
