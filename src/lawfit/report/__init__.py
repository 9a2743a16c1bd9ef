"""The report: one self-contained HTML page that says what was fitted, how well, and how far to trust it.

:func:`write_report` fits a law to runs (or takes a fit; the law ``"auto"`` chooses it by nested back-tests on the
runs), bootstraps it, calibrates its forecast intervals by scale, back-tests it by scale, plans the compute-optimal
frontier when the law is one of N and D, and writes everything into one page: a verdict at the top (with the
back-test's coverage by its forecast intervals), the fit table with standard errors and intervals and, for ``auto``,
the candidates' table, the diagnostics, the data, the back-test, the forecast intervals with a figure of error against
distance of extrapolation, the frontier, the figures of :mod:`lawfit.plot` and the runs themselves. The page loads
nothing: the figures are SVG embedded as data, the style is inline, and there is no script; a Content-Security-Policy
forbids any other load. Every piece of text that comes from the user (run names, column names, the source path, the
formula, notes, warnings, the title) is escaped.

The figures need matplotlib (``pip install 'lawfit[plot]'``), imported only when a report is made.

:func:`write_sweep_report` writes the page of a hyperparameter sweep (the optimum of each cell, the laws of the
optima, their figures) or of a steps-to-target table (the critical batch size per model and its laws).

:func:`write_capabilities_report` writes the page of capabilities beyond the loss: an observational analysis of
benchmark scores (components, family laws, the sigmoid of a target and its back-test against log FLOPs) and/or the
coverage of repeated sampling per model (the curve, its exponentiated power law, the forecast beyond the samples drawn).

Making a report has two steps, each its own module: :mod:`lawfit.report.gather` (and, for sweeps,
:mod:`lawfit.report.gather_sweep`; for capabilities, :mod:`lawfit.report.gather_capabilities`, from results already
computed) runs the analyses and says what they found as a plain
:class:`~lawfit.report.document.Report` (text, numbers and tables, no HTML), and :mod:`lawfit.report.render` writes
that as the page, drawing its figures.

Examples
--------
>>> import lawfit, os, tempfile
>>> from lawfit.report import write_report
>>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
>>> path = write_report(runs, "chinchilla", os.path.join(tempfile.mkdtemp(), "report.html"), n_resamples=100)
>>> text = path.read_text()
>>> "Back-test" in text and "Forecast intervals" in text and "<script" not in text
True
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._checks import renamed
from .._files import check_output, write_atomic
from ..errors import LawfitError, LawfitWarning
from . import gather, gather_capabilities, gather_sweep, render

if TYPE_CHECKING:
    from ..capabilities import Benchmarks, ObservationalScaling
    from ..data import Runs
    from ..fit import Fit
    from ..laws import Law
    from ..objectives import Objective

__all__ = ["write_capabilities_report", "write_report", "write_sweep_report"]


@renamed(loss="objective", bootstrap="n_resamples")
def write_report(
    runs: Runs | Any,
    law: Law | str | Fit,
    path: str | Path,
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
    force: bool = False,
) -> Path:
    """Fit, bootstrap, back-test and plan, and write it all as one self-contained HTML page.

    Parameters
    ----------
    runs : path, DataFrame, mapping of columns or Runs
        The runs (see :func:`lawfit.load_runs`); ``columns`` maps their columns as there.
    law : str, Law or Fit
        What to fit: a built-in law's name, a formula, a :class:`Law`, or ``"auto"`` (the law and weighting of the
        runs that extrapolated best in nested back-tests on these runs; the page shows the candidates' table), fitted
        here by :func:`lawfit.fit`; or a :class:`Fit` of ``runs``, reported as it is (bootstrapped first if it has no
        draws and ``n_resamples > 0``, calibrated by scale if it has no calibration).
    path : str or Path
        The HTML file to write.
    n_resamples : int
        Bootstrap resamples for standard errors, intervals and the back-test's coverage; 0 for none (the deprecated
        name ``bootstrap`` is read for one more release).
    seed : int
        Seed of the bootstraps.
    level : float
        Level of the parameter and frontier intervals.
    resample : {"run", "group"}
        Resample single runs or whole groups (the runs' ``group`` column).
    objective, delta, weight_growth : optional
        The objective (:func:`lawfit.fit`'s: ``"huber"``, ``"mse-log"``, ``"mse"`` or an :class:`~lawfit.Objective`,
        which carries its own settings; Huber with delta 1e-3 and runs weighted alike unless given). A :class:`Fit`
        carries its own, so give them only with a law; ``auto`` chooses the weighting per candidate. The deprecated
        name ``loss`` is read for one more release.
    candidates : sequence or mapping of laws, optional
        The laws ``auto`` chooses among (:func:`lawfit.fit`'s ``candidates``), for the fit and for the back-test,
        which runs the whole choice again on the runs below its cut. Only with ``"auto"`` (or a Fit it made).
    compute : float or sequence of float, optional
        Budgets in FLOPs for the frontier table; by default the three powers of ten up to ten times the largest
        run's compute.
    by, cut, holdout : optional
        The back-test's split (see :func:`lawfit.validate.backtest`): the scale to cut (``"C"``, or the first of N,
        D the runs have), and where. By default the largest budgets are held out until they make up a fifth of the
        runs.
    backtest_level : float
        Level of the back-test's intervals (forecast intervals calibrated by nested back-tests on the runs below
        its cut, or intervals for a new run when those runs cannot calibrate them), and of the forecast figure.
    title : str, optional
        The page's title; by default the law and the runs' source.
    command : str, optional
        The command that made the report, shown in its metadata (the command line passes its own).
    max_rows : int
        At most this many runs in the runs table and held-out runs in the back-test's table.
    force : bool
        Overwrite ``path`` even if it is not a report that lawfit wrote, is the runs file, or is a symbolic link
        (replaced itself, not its target). Checked before any work; the page is written atomically, so ``path`` is
        either the old file or the complete new page.

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
    gather.check_options(n_resamples, level, backtest_level, max_rows, law, objective, delta, compute, by, cut, holdout)
    gather.check_law_options(law, weight_growth, candidates)
    inputs = (runs,) if isinstance(runs, str | os.PathLike) else ()
    path = check_output(path, inputs=inputs, force=force, kinds=("report",))
    return _write_page(
        path,
        inputs,
        force,
        lambda: gather.gather(
            runs,
            law,
            columns=columns,
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
            title=title,
            command=command,
            max_rows=max_rows,
        ),
    )


@renamed(bootstrap="n_resamples")
def write_sweep_report(
    source: Any,
    path: str | Path,
    *,
    kind: str | None = None,
    columns: Mapping[str, Any] | None = None,
    format: str | None = None,
    drop_bad: bool = False,
    seq_len: float | None = None,
    cell_by: Sequence[str] | None = None,
    skip_single: bool = False,
    near: float = 0.01,
    lr_law: str | None = None,
    batch_law: str | None = None,
    target_loss: float | Sequence[float] | None = None,
    x: str | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.9,
    title: str | None = None,
    command: str | None = None,
    force: bool = False,
) -> Path:
    """Write the report of a hyperparameter sweep or of a steps-to-target table as one self-contained HTML page.

    - A sweep (``kind="sweep"``; :func:`lawfit.hparams.load_sweep` reads it): the sweep and its notes, the optimum of
      each cell with its interval, near-optimal region and method (optima at the edge of their sweep marked), the laws
      of the optima with their parameters' intervals (``lr_law``, ``batch_law``; by default the first of ``N,D``,
      ``N``, ``D``, ``C`` that the cells can fit, ``D`` first for the batch size), the published laws' optima against
      the measured ones, and the figures of :func:`lawfit.plot.plot_optima` and :func:`lawfit.plot.plot_hparam_law`.
    - A steps-to-target table (``kind="critical-batch"``; :func:`lawfit.hparams.batch.critical_batch` reads it): per
      model, ``S = S_min + E_min / B`` with both critical batch sizes and their intervals, their power laws against
      ``x``, and the figure of :func:`lawfit.plot.plot_critical_batch`.

    Parameters
    ----------
    source : path, DataFrame, mapping, Runs (or a Sweep)
        The table.
    path : str or Path
        The HTML file to write (checked before any work, written atomically; ``force`` as for
        :func:`write_report`).
    kind : {"sweep", "critical-batch"}, optional
        What the table is; by default found from its columns (:func:`lawfit.report.gather_sweep.kind_of`).
    columns, format, drop_bad, seq_len
        As for :func:`lawfit.hparams.load_sweep` and :func:`lawfit.hparams.batch.critical_batch`.
    cell_by, skip_single, near, lr_law, batch_law
        A sweep's cells, optima and laws (see :func:`lawfit.hparams.cell_optima` and :func:`lawfit.hparams.fit_law`).
    target_loss, x
        A steps-to-target table's targets and the scale of its laws.
    n_resamples, seed, level
        Bootstrap draws (at least 10 for a sweep; 0 for no intervals of a critical batch), their seed, and the
        level of every interval (0.9, as everywhere in lawfit). The deprecated name ``bootstrap`` is read for one
        more release.
    title, command, force
        As for :func:`write_report`.

    Returns
    -------
    Path

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> lr = np.tile(2.0 ** np.arange(-12, -5), 3)
    >>> n = np.repeat([1e8, 2e8, 4e8], 7)
    >>> table = {"N": n, "D": 20 * n, "lr": lr, "loss": 3 + 0.02 * np.log(lr / (3e-3 * (n / 1e8) ** -0.5)) ** 2}
    >>> page = write_sweep_report(table, os.path.join(tempfile.mkdtemp(), "sweep.html"), n_resamples=100).read_text()
    >>> "Cell optima" in page and "Laws of the optima" in page and "<script" not in page
    True
    """
    _require_matplotlib()
    if kind not in (None, "sweep", "critical-batch"):
        raise LawfitError(
            f"The 'kind' parameter of write_sweep_report must be 'sweep' or 'critical-batch'. Got {kind!r} instead."
        )
    inputs = (source,) if isinstance(source, str | os.PathLike) else ()
    path = check_output(path, inputs=inputs, force=force, kinds=("report",))
    if kind is None:
        kind = gather_sweep.kind_of(source, columns=columns, format=format)
        if kind is None:
            raise LawfitError(
                "The table is neither a hyperparameter sweep (a learning-rate or batch-size column that takes two or "
                "more values in a cell) nor a steps-to-target table (steps or tokens to a target loss at several "
                "batch sizes). Map its columns (columns={'lr': ...} or {'steps': ...}), or report runs with "
                "write_report."
            )
    common = {"columns": columns, "format": format, "drop_bad": drop_bad, "seq_len": seq_len}
    common |= {"n_resamples": n_resamples, "seed": seed, "level": level, "title": title, "command": command}
    if kind == "sweep":
        return _write_page(
            path,
            inputs,
            force,
            lambda: gather_sweep.gather_sweep(
                source,
                cell_by=cell_by,
                skip_single=skip_single,
                near=near,
                lr_law=lr_law,
                batch_law=batch_law,
                **common,
            ),
        )
    return _write_page(
        path, inputs, force, lambda: gather_sweep.gather_critical_batch(source, target_loss=target_loss, x=x, **common)
    )


def write_capabilities_report(
    path: str | Path,
    *,
    observational: ObservationalScaling | None = None,
    table: Benchmarks | None = None,
    coverage: Mapping[str, Mapping[str, Any]] | None = None,
    title: str | None = None,
    command: str | None = None,
    force: bool = False,
) -> Path:
    """Write the report of capabilities beyond the loss as one self-contained HTML page, from results already computed.

    - An observational analysis (:func:`lawfit.capabilities.observational_scaling`): the components with their
      explained variance and loadings, the family laws (the shared slope, each family's offset and its compute
      relative to the most efficient family), and with a target its sigmoid, the back-test at a compute cut-off
      against the log-FLOPs baseline (held-out errors and per-model predictions with intervals) and the prediction
      for a family; the figures of :func:`lawfit.plot.plot_components` and :func:`lawfit.plot.plot_sigmoid` (they
      need ``table``).
    - Coverage results per model: the coverage at the largest k measured with its band, the law ``log coverage = a
      k^b``, the forecasts with their intervals (beyond the samples drawn marked), the Beta of single-sample
      success, and the figure of :func:`lawfit.plot.plot_coverage`.

    Parameters
    ----------
    path : str or Path
        The HTML file to write: checked before the page is made, and written atomically; it must not be a file that
        lawfit did not write (a report), nor the benchmark table, unless ``force``. The CLI (``--report``) checks it
        before the analysis too.
    observational, table, coverage, title, command
        As for :func:`lawfit.report.gather_capabilities.gather_capabilities`: the analysis and its table of models;
        per model name a mapping of ``"curve"``, ``"law"`` and ``"forecast"``; the page's title and the command.
    force : bool
        As for :func:`write_report`.

    Returns
    -------
    Path

    Examples
    --------
    >>> import os, tempfile
    >>> from lawfit.capabilities import coverage_curve, fit_exp_power_law, forecast_coverage
    >>> n, c = [100] * 4, [0, 3, 20, 90]
    >>> curve = coverage_curve(n, c, [1, 10, 100], n_resamples=50)
    >>> results = {"m": {"curve": curve, "law": fit_exp_power_law(curve),
    ...                  "forecast": forecast_coverage(n, c, [1000], n_resamples=0)}}
    >>> path = os.path.join(tempfile.mkdtemp(), "coverage.html")
    >>> page = write_capabilities_report(path, coverage=results).read_text()
    >>> "Coverage per model" in page and "Forecasts beyond the samples drawn" in page and "<script" not in page
    True
    """
    _require_matplotlib()
    source = getattr(table, "source", None)
    source = source.strip("'\"") if isinstance(source, str) else None  # the reader quotes a path
    inputs = (source,) if source is not None and os.path.isfile(source) else ()
    path = check_output(path, inputs=inputs, force=force, kinds=("report",))
    return _write_page(
        path,
        inputs,
        force,
        lambda: gather_capabilities.gather_capabilities(
            observational=observational, table=table, coverage=coverage, title=title, command=command
        ),
    )


def _write_page(path: Path, inputs: Sequence[Any], force: bool, make: Callable[[], Any]) -> Path:
    """Gather the report with ``make()`` (catching lawfit's warnings), render it, check ``path`` again (the work may
    have taken hours, and a file may have appeared there) and write the page atomically; then warn again what was
    caught."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LawfitWarning)
        page = render.render(make())
    check_output(path, inputs=inputs, force=force, kinds=("report",))
    write_atomic(path, page, what="the report")
    _warn_again(caught)
    return path


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise LawfitError(
            "The report draws its figures with matplotlib, which is not installed; install it with "
            "pip install 'lawfit[plot]'."
        ) from None


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
