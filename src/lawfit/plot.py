"""Figures: a fit against its runs, its residuals, its bootstrap draws in pairs, its forecast error against the distance
of extrapolation, an IsoFLOP analysis, a compute-optimal frontier, training curves with their predictions, the optima
of a hyperparameter sweep's cells and the laws of those optima, and the steps to a loss against the batch size.

Plots need matplotlib (``pip install 'lawfit[plot]'``), imported only when a figure is made, so ``import lawfit``
does not load it. Each function builds a :class:`matplotlib.figure.Figure` on the Agg canvas, not through pyplot:
nothing global changes and no display is needed. It returns the figure; the caller saves it
(``fig.savefig("fit.png", dpi=200)``; PNG, PDF and SVG all work) or shows it in a notebook.

Examples
--------
>>> import lawfit
>>> from lawfit.plot import plot_fit
>>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
>>> fig = plot_fit(lawfit.fit(runs, "chinchilla"), runs)
>>> ax = fig.axes[0]
>>> ax.get_xscale(), ax.get_yscale(), ax.get_xlabel()
('log', 'log', 'parameters N')
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import check_level
from .data import Runs, load_runs
from .errors import ExtrapolationWarning, LawfitError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .curves import Curve, CurveFit
    from .fit import Fit
    from .hparams import HparamLaw, Optima, PublishedLaw, Sweep
    from .hparams.batch import BatchFit, CriticalBatch
    from .plan import Frontier, IsoFLOP
    from .validate import Backtest

__all__ = [
    "figure",
    "plot_bootstrap_pairs",
    "plot_calibration",
    "plot_critical_batch",
    "plot_curves",
    "plot_fit",
    "plot_frontier",
    "plot_hparam_law",
    "plot_isoflop",
    "plot_optima",
    "plot_residuals",
]

_LABELS = {
    "N": "parameters N",
    "D": "tokens D",
    "C": "compute C (FLOPs)",
    "U": "unique tokens U",
    "loss": "loss",
    "D/N": "tokens per parameter D/N",
}
_CMAP = "viridis"
_OPTIMA = "optimal parameters N* and tokens D*"
_N_LINES = 5  # lines of the law at fixed N (or fixed D/N) drawn in plot_fit: enough to read, few enough to see
_GRID = 200  # points along each drawn line
_NEAR = 1.25  # a line at fixed N spans the compute of the runs within this factor of its N
_MAX_PANELS = 12  # cells drawn by plot_optima unless told otherwise
_HPARAM_LABELS = {"lr": "learning rate", "batch": "batch size (tokens)"}
_SYMBOLS = {"lr": "lr*", "batch": "batch*"}


# ---------------------------------------------------------------------------------------------------------------
# Any result


def figure(result: Any, *args: Any, **options: Any) -> Figure:
    """The figure of a result, by its type: a :class:`~lawfit.Fit` (:func:`plot_fit`), a
    :class:`~lawfit.plan.Frontier` (:func:`plot_frontier`), an :class:`~lawfit.plan.IsoFLOP`
    (:func:`plot_isoflop`), a :class:`~lawfit.curves.CurveFit` (:func:`plot_curves`, with the curves as ``args``),
    the :class:`~lawfit.hparams.Optima` of a sweep (:func:`plot_optima`, with the sweep as ``args``), an
    :class:`~lawfit.hparams.HparamLaw` (:func:`plot_hparam_law`), or a :class:`~lawfit.hparams.CriticalBatch` or
    :class:`~lawfit.hparams.BatchFit` (:func:`plot_critical_batch`); ``args`` and ``options`` go to that function.

    The type is read from the result's class name (this module imports none of the modules that make results, so
    that they may import it for their ``.plot()``).

    Examples
    --------
    >>> import lawfit, numpy as np
    >>> from lawfit.plan import compute_optimal
    >>> from lawfit.plot import figure
    >>> f = lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")
    >>> figure(compute_optimal(f, np.geomspace(1e19, 1e22, 20))).axes[0].get_xlabel()
    'compute C (FLOPs)'
    """
    for cls in type(result).__mro__:
        draw = _FIGURES.get(cls.__name__)
        if draw is not None and cls.__module__.startswith("lawfit."):
            return draw(result, *args, **options)
    kinds = ", ".join(sorted(_FIGURES))
    raise LawfitError(
        f"The 'result' parameter of figure must be one of lawfit's results ({kinds}). Got a "
        f"{type(result).__name__} instead."
    )


# ---------------------------------------------------------------------------------------------------------------
# Fits of final-loss laws


def plot_fit(
    fit: Fit,
    data: Runs | Any = None,
    *,
    x: str | None = None,
    level: float = 0.9,
    held_out: Runs | Any = None,
    frontier: Frontier | None = None,
) -> Figure:
    """The runs and the fitted law, on log-log axes.

    - A law of one input (``power``, ``bnsl``, ``downstream``): the target against that input, the runs as points
      and the law as a line.
    - A law of N and D (``chinchilla``, ``kaplan``, ``overtraining``, formulas in N and D): by default the loss
      against N, the runs coloured by tokens per parameter D/N (colour bar), the law at D/N fixed at five of the
      runs' ratios (thin lines in the same colours: a run should lie on the line of its colour), and, given a
      ``frontier``, the compute-optimal frontier (black line), the lowest loss the law reaches at each budget, drawn
      at its N*; ``x="D"`` likewise against D. With ``x="C"`` the loss is against compute ``C = 6ND``, the runs
      coloured by N, the thin lines at five of the runs' sizes (each over the compute of the runs within 25% of its
      size), and the frontier is the envelope of those lines. Against compute the runs crowd onto the frontier,
      which is why N is the default.
    - Any other law (say ``data_constrained``, whose third input U cannot be drawn on a line): the law at each run
      as a cross beside the run.

    With bootstrap draws (``fit.bootstrap``; for a law of N and D, the frontier's draws), a band shows the ``level``
    percentile interval of the law (of the frontier's loss, for a law of N and D): the uncertainty of the
    parameters, not the scatter of single runs.

    The figure draws results; it computes none: the frontier is the caller's, e.g.
    ``compute_optimal(fit, np.geomspace(c_min, c_max, 100))`` over the compute of the runs
    (:func:`lawfit.plan.compute_optimal`).

    Parameters
    ----------
    fit : Fit
        The fitted law.
    data : path, DataFrame, mapping or Runs, optional
        The runs to show, usually those fitted (a :class:`Fit` keeps only their summary). Without them only the law
        is drawn, over the ranges the fit was made on.
    x : {"N", "D", "C"}, optional
        The horizontal axis: the law's input for a law of one input; ``"N"`` by default for a law of N and D.
    level : float
        Level of the bootstrap band.
    held_out : path, DataFrame, mapping or Runs, optional
        Runs not fitted (a back-test's larger runs), drawn as hollow markers labelled "held out".
    frontier : Frontier, optional
        The compute-optimal frontier of ``fit`` to draw with a law of N and D, as :func:`lawfit.plan.compute_optimal`
        returns it; none is drawn without it.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Lines and bands may reach past the fitted ranges (to held-out runs); the figure shows how far, so the law's
    :class:`~lawfit.ExtrapolationWarning` is not raised for them.

    Examples
    --------
    >>> import lawfit, numpy as np
    >>> from lawfit.plan import compute_optimal
    >>> from lawfit.plot import plot_fit
    >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    >>> f = lawfit.fit(runs, "chinchilla")
    >>> fig = plot_fit(f, runs, frontier=compute_optimal(f, np.geomspace(1e18, 1e22, 20)))
    >>> [line.get_label() for line in fig.axes[0].lines][-1]
    'compute-optimal frontier'
    """
    fig = _figure(figsize=(7.0, 5.0))
    ax = fig.add_subplot()
    runs = None if data is None else load_runs(data)
    held = None if held_out is None else load_runs(held_out)
    law = fit.law
    mode, x = _mode_and_axis(fit, x)
    shown = [r for r in (runs, held) if r is not None]
    if mode == "nd":
        _draw_nd(fig, ax, fit, x, level, runs, held, frontier)
    elif mode == "single":
        span = _span([r.column(x) for r in shown], fit.runs_summary.get("ranges", {}).get(x))
        grid = np.geomspace(*span, _GRID)
        _scatter_runs(ax, runs, held, x, law.target, colour="C0")
        ax.plot(grid, _predict(fit, **{x: grid}), color="black", lw=1.5, label="law")
        if fit.bootstrap is not None:
            low, high = _predict_interval(fit, level, **{x: grid})
            ax.fill_between(grid, low, high, color="black", alpha=0.15, lw=0, label=f"{level:.0%} interval of the law")
    else:
        if runs is None and held is None:
            raise LawfitError(
                f"Law {law.name!r} takes {', '.join(law.inputs)}, which cannot be drawn as one line; give the runs "
                "(data=...) to see the law at each run."
            )
        _scatter_runs(ax, runs, held, x, law.target, colour="C0")
        for r in shown:
            predicted = _predict(fit, **r.inputs(law.inputs))
            label = "law at each run" if r is shown[0] else None
            ax.scatter(r.column(x), predicted, marker="x", s=18, color="black", lw=1, label=label)
    _finish(ax, _LABELS.get(x, x), _LABELS.get(law.target, law.target), _title(fit))
    return fig


def plot_residuals(fit: Fit, data: Runs | Any, *, x: str | None = None) -> Figure:
    """The runs' log residuals ``ln(y / law)`` against the law's main input, with a zero line.

    The main input is the law's only input, or N for a law of N and D (``x`` chooses D or C). For a law of N and D
    the points are coloured as in :func:`plot_fit`: by D/N against N or D, by N against C. A trend in the
    residuals is structure the law misses; the title gives their root mean square. Plain residuals ``y - law`` are
    shown when the target or the law is not positive.

    Examples
    --------
    >>> import lawfit
    >>> from lawfit.plot import plot_residuals
    >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    >>> fig = plot_residuals(lawfit.fit(runs, "chinchilla"), runs)
    >>> fig.axes[0].get_ylabel()
    'log residual ln(loss / law)'
    """
    fig = _figure(figsize=(7.0, 4.0))
    ax = fig.add_subplot()
    runs = load_runs(data)
    mode, x = _mode_and_axis(fit, x)
    target = fit.law.target
    y = runs.column(target)
    predicted = _predict(fit, **runs.inputs(fit.law.inputs))
    if np.all(y > 0) and np.all(predicted > 0):
        residual, label = np.log(y / predicted), f"log residual ln({target} / law)"
    else:
        residual, label = y - predicted, f"residual {target} - law"
    if mode == "nd":
        name, values, norm = _colouring(x, [runs], fit)
        points = ax.scatter(runs.column(x), residual, c=values(runs), cmap=_CMAP, norm=norm, s=16)
        fig.colorbar(points, ax=ax, label=_LABELS[name])
    else:
        ax.scatter(runs.column(x), residual, color="C0", s=16)
    ax.axhline(0.0, color="black", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel(_LABELS.get(x, x))
    ax.set_ylabel(label)
    rms = float(np.sqrt(np.mean(residual**2)))
    ax.set_title(f"residuals of {fit.law.name} on {len(runs)} runs: RMS {rms:.3g}")
    return fig


def plot_bootstrap_pairs(fit: Fit, params: Sequence[str] | None = None) -> Figure:
    """The bootstrap draws of the parameters, two at a time: how well the data pin each pair down.

    A corner plot: the histogram of each parameter's draws on the diagonal, the scatter of each pair below it, the
    fitted value marked in red, and the pair's correlation in each panel. Log-scale parameters (``E``, ``A``, ``B``
    of chinchilla) are shown as their log10, the scale the fit searches. A scatter squeezed onto a line is a pair
    the data cannot tell apart. Each panel's correlation is coloured by the verdict of
    :func:`lawfit.diagnostics.correlation_verdict`, the same that raises the :class:`~lawfit.IdentifiabilityWarning`
    (red: not identifiable, above 0.9999) and writes the report's text (orange: strongly correlated, above 0.99).
    Refits that did not converge are left out.

    Parameters
    ----------
    fit : Fit
        A fit with bootstrap draws (``lawfit.fit(..., n_resamples=1000)``).
    params : sequence of str, optional
        The parameters to show, in order (default all of the law's).

    Examples
    --------
    >>> import lawfit
    >>> from lawfit.plot import plot_bootstrap_pairs
    >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    >>> fig = plot_bootstrap_pairs(lawfit.fit(runs, "chinchilla", n_resamples=50), ["A", "alpha"])
    >>> len(fig.axes)  # two histograms and one scatter
    3
    """
    if fit.bootstrap is None:
        raise LawfitError(
            "plot_bootstrap_pairs needs bootstrap draws: fit with n_resamples=1000 (CLI: --bootstrap 1000) or call "
            "lawfit.bootstrap(fit, runs)."
        )
    names = list(fit.law.param_names if params is None else params)
    unknown = [n for n in names if n not in fit.law.param_names]
    if unknown or len(names) < 2 or len(set(names)) != len(names):
        raise LawfitError(
            f"The 'params' of plot_bootstrap_pairs must be two or more distinct parameters of {fit.law.name} "
            f"({', '.join(fit.law.param_names)}). Got {names!r} instead."
        )
    from .diagnostics import (
        IDENTIFIABILITY_THRESHOLD,
        STRONG_CORRELATION,
        correlation_verdict,
        draw_correlations,
        usable_draws,
    )

    specs = {p.name: p for p in fit.law.params}
    index = [fit.law.param_names.index(n) for n in names]
    # The draws and correlations the identifiability warning and the report's text judge by, so all say the same.
    judged = usable_draws(fit.bootstrap)
    log_mask = fit.law.log_mask
    corr = draw_correlations(judged, log_mask)[np.ix_(index, index)]
    draws = judged[:, index]
    draws = draws[np.all(np.isfinite(draws), axis=1)]
    if len(draws) < 2:
        raise LawfitError("Fewer than 2 bootstrap refits converged to finite values; there is nothing to plot.")
    # Log-scale parameters are shown as log10 on linear axes: the scale the search and the identifiability check
    # use, and readable tick labels where a log axis spanning a fraction of a decade has almost none.
    log = [specs[n].scale == "log" and bool(np.all(draws[:, i] > 0)) for i, n in enumerate(names)]
    shown = np.where(log, np.log10(np.where(log, draws, 1.0)), draws)
    fitted = [math.log10(fit.params[n]) if log[i] else fit.params[n] for i, n in enumerate(names)]
    labels = [f"log10 {n}" if log[i] else n for i, n in enumerate(names)]

    from matplotlib.ticker import MaxNLocator

    k = len(names)
    fig = _figure(figsize=(2.1 * k + 0.6, 2.1 * k + 0.6))
    grid = fig.add_gridspec(k, k)
    columns: list[Axes] = []
    for i in range(k):
        row_first: Axes | None = None
        for j in range(i + 1):
            diagonal = i == j
            ax = fig.add_subplot(
                grid[i, j], sharex=None if diagonal else columns[j], sharey=None if diagonal else row_first
            )
            if diagonal:
                columns.append(ax)
                ax.hist(shown[:, i], bins=30, color="C0", alpha=0.7)
                ax.axvline(fitted[i], color="red", lw=1)
                ax.set_yticks([])
            else:
                row_first = row_first or ax
                ax.scatter(shown[:, j], shown[:, i], s=3, alpha=0.4, color="C0", lw=0, rasterized=True)
                ax.plot([fitted[j]], [fitted[i]], "+", color="red", ms=10, mew=1.5)
                verdict = correlation_verdict(float(corr[i, j]))
                colour = {"not identifiable": "red", "strongly correlated": "darkorange"}.get(verdict, "black")
                ax.text(0.04, 0.88, f"r = {corr[i, j]:+.4f}", transform=ax.transAxes, fontsize="small", color=colour)
                if verdict:
                    ax.text(0.04, 0.76, verdict, transform=ax.transAxes, fontsize="x-small", color=colour)
                ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.tick_params(labelsize="x-small")
            if i == k - 1:
                ax.set_xlabel(labels[j])
            else:
                ax.tick_params(labelbottom=False)
            if j == 0 and not diagonal:
                ax.set_ylabel(labels[i])
            elif not diagonal:
                ax.tick_params(labelleft=False)
    left_out = fit.bootstrap.n_resamples - len(draws)
    note = f", {left_out} not converged left out" if left_out else ""
    fig.suptitle(
        f"bootstrap draws of {fit.law.name}: {len(draws):,} refits{note}\n"
        f"red: not identifiable (|r| > {IDENTIFIABILITY_THRESHOLD:g}); "
        f"orange: strongly correlated (|r| > {STRONG_CORRELATION:g})",
        fontsize="small",
    )
    return fig


def plot_calibration(fit: Fit, backtest: Backtest | None = None, *, level: float = 0.9) -> Figure:
    """How far off the law was when it extrapolated, against how far: the nested back-tests behind its forecast
    intervals, the calibrated band, and (given a back-test) the larger runs it really had to predict.

    The horizontal axis is the distance of extrapolation in decades of the calibration's scale (C for a law of N and
    D): ``log10(scale / largest fitted scale)``. The vertical axis is the relative error of the prediction,
    ``(predicted - actual) / actual`` in percent, as in a back-test's table: above zero the law predicted too high.
    From a log error ``e = log(actual / predicted)`` it is ``exp(-e) - 1``.

    - Points: the errors of the nested back-tests inside the fitted runs (:attr:`Fit.calibration`): the law fitted
      below each cut and predicting the runs above it, one colour per cut.
    - Band: the ``level`` forecast interval along the distance: a run inside ``predicted * exp([q_lo, q_hi] * s(d))``
      has an error between ``exp(-q_hi * s(d)) - 1`` and ``exp(-q_lo * s(d)) - 1`` (see
      :meth:`~lawfit.calibration.Calibration.quantiles` and :meth:`~lawfit.calibration.Calibration.spread`). The
      intervals of :meth:`Fit.predict_interval` add the bootstrap's variance of the law at each target on top, so
      with bootstrap draws they are a little wider than the band. A side the back-tests cannot bound (too few errors
      for ``level``) runs off the figure.
    - With ``backtest`` (:func:`lawfit.validate.backtest`): its held-out runs at their distance beyond the largest
      run below its cut, as hollow diamonds when their interval covered them and red crosses when it did not; and,
      when the fit below the cut was calibrated, its own band at the back-test's level, dashed: the band those runs
      were judged by.

    Parameters
    ----------
    fit : Fit
        A fit calibrated by scale (``lawfit.fit(..., calibrate=True)``; the default with ``n_resamples > 0`` or
        ``law="auto"``).
    backtest : Backtest, optional
        A back-test of the same runs, whose held-out runs are drawn.
    level : float
        Level of the band.

    Examples
    --------
    >>> import lawfit
    >>> from lawfit.plot import plot_calibration
    >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    >>> fig = plot_calibration(lawfit.fit(runs, "chinchilla", calibrate=True))
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel()
    'decades of C beyond the largest fitted run: log10(C / largest C)'
    >>> sum(len(points.get_offsets()) for points in ax.collections if points.get_label().startswith("fitted below"))
    349
    """
    cal = fit.calibration
    if cal is None:
        raise LawfitError(
            "plot_calibration needs a fit calibrated by scale: fit with calibrate=True (the default with "
            "n_resamples > 0 or law='auto')."
        )
    if not cal.calibrated:
        raise LawfitError(f"The fit's forecast intervals are uncalibrated, so there is no band to draw: {cal.note}")
    check_level(level, where="plot_calibration")
    held = None if backtest is None else _held_out_errors(backtest, cal.by)
    from matplotlib import colormaps

    fig = _figure(figsize=(10.0, 5.0))
    ax = fig.add_subplot()
    errors = 100.0 * np.expm1(-cal.error)
    colours = colormaps[_CMAP](np.linspace(0.0, 0.85, max(len(cal.cuts), 1)))
    for j, cut in enumerate(cal.cuts):
        mine = cal.cut_index == j
        label = f"fitted below {cal.by} = {cut:.3g} ({int(mine.sum())})"
        ax.scatter(cal.distance[mine], errors[mine], s=14, color=colours[j], alpha=0.8, lw=0, label=label, zorder=3)
    distances = np.concatenate([cal.distance, held["distance"] if held is not None else []])
    reach = max(float(distances.max()) if distances.size else 0.0, 0.1) * 1.05
    grid = np.linspace(0.0, reach, _GRID)
    bands = [_relative_band(cal, grid, level)]
    train = None if backtest is None else backtest.train_fit.calibration
    if backtest is not None and backtest.interval == "forecast" and train is not None and train.calibrated:
        bands.append(_relative_band(train, grid, backtest.level))
    shown = [errors, *([] if held is None else [held["error"]]), *(edge for band in bands for edge in band)]
    bottom, top = _limits(shown)
    low, high = (np.clip(v, bottom, top) for v in bands[0])
    ax.fill_between(grid, low, high, color="0.5", alpha=0.2, lw=0)
    label = f"{level:.0%} forecast interval, calibrated on these runs"
    ax.plot(grid, low, color="0.35", lw=1.0, gid="band_low", label=label)
    ax.plot(grid, high, color="0.35", lw=1.0, gid="band_high")
    if held is not None:
        _draw_held_out(ax, backtest, held)  # type: ignore[arg-type]
    if len(bands) > 1:
        low, high = (np.clip(v, bottom, top) for v in bands[1])
        label = f"{backtest.level:.0%} forecast interval calibrated below the back-test's cut"  # type: ignore[union-attr]
        ax.plot(grid, low, color="black", lw=1.0, ls="--", gid="backtest_band_low", label=label)
        ax.plot(grid, high, color="black", lw=1.0, ls="--", gid="backtest_band_high")
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xlim(min(0.0, float(distances.min()) if distances.size else 0.0) - 0.02 * reach, reach)
    ax.set_ylim(bottom, top)
    ax.set_xlabel(f"decades of {cal.by} beyond the largest fitted run: log10({cal.by} / largest {cal.by})")
    ax.set_ylabel("relative error (predicted - actual) / actual, %")
    title = f"forecast error of {fit.law.name} against distance of extrapolation"
    ax.set_title(title if len(title) <= 90 else title[:87] + "...")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return fig


def _relative_band(cal: Any, distance: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The band of the relative error ``(predicted - actual) / actual`` in %, low and high, at ``distance``."""
    q_low, q_high = cal.quantiles(level)
    s = cal.spread(distance)
    with np.errstate(over="ignore", invalid="ignore"):
        return 100.0 * np.expm1(-q_high * s), 100.0 * np.expm1(-q_low * s)


def _limits(values: Sequence[np.ndarray]) -> tuple[float, float]:
    """The vertical range of the finite values, with a margin."""
    every = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in values])
    every = every[np.isfinite(every)]
    low, high = (float(every.min()), float(every.max())) if every.size else (-1.0, 1.0)
    low, high = min(low, 0.0), max(high, 0.0)
    pad = 0.08 * (high - low) or 1.0
    return low - pad, high + pad


def _held_out_errors(backtest: Backtest, by: str) -> dict[str, np.ndarray]:
    """A back-test's held-out runs: distance beyond the largest run below its cut, relative error in %, covered."""
    cal = backtest.train_fit.calibration
    table = backtest.table
    if cal is None or cal.by != by or not math.isfinite(cal.top):
        raise LawfitError(
            f"The back-test's fit below its cut records no largest scale in {by} (it was not calibrated in {by}), so "
            "its held-out runs have no distance to draw; back-test with lawfit.validate.backtest, which calibrates it."
        )
    if by in table.columns:
        scale = table[by].to_numpy(dtype=np.float64)
    elif by == "C" and {"N", "D"} <= set(table.columns):
        scale = 6.0 * table["N"].to_numpy(dtype=np.float64) * table["D"].to_numpy(dtype=np.float64)
    else:
        raise LawfitError(f"The back-test's table has no column {by} (nor N and D) to place its held-out runs by.")
    covered = table["covered"].to_numpy(dtype=bool) if "covered" in table.columns else None
    return {
        "distance": cal.distance_of(scale),
        "error": 100.0 * table["rel_error"].to_numpy(dtype=np.float64),
        **({"covered": covered} if covered is not None else {}),
    }


def _draw_held_out(ax: Axes, backtest: Backtest, held: dict[str, np.ndarray]) -> None:
    distance, error = held["distance"], held["error"]
    diamond = {"marker": "D", "s": 26, "facecolors": "none", "edgecolors": "black", "lw": 1.0, "zorder": 4}
    if "covered" not in held:
        ax.scatter(distance, error, label=f"held out ({distance.size})", **diamond)
        return
    inside = held["covered"]
    what = "forecast interval" if backtest.interval == "forecast" else "interval for a new run"
    ax.scatter(distance[inside], error[inside], label=f"held out, inside their {what} ({int(inside.sum())})", **diamond)
    label = f"held out, outside it ({int((~inside).sum())})"
    ax.scatter(distance[~inside], error[~inside], marker="x", s=30, color="C3", lw=1.2, zorder=4, label=label)


# ---------------------------------------------------------------------------------------------------------------
# Planning


def plot_isoflop(result: IsoFLOP, *, level: float | None = None) -> Figure:
    """An IsoFLOP analysis in two panels.

    Left, for Approach 2 (:func:`lawfit.plan.isoflop`): the loss against N (or D) on a log axis, each budget's runs
    and its parabola in log x in the budget's colour (colour bar: C), the vertices as stars (hollow when the budget
    is flagged and left out of the power laws), the outliers as red crosses. For Approach 1
    (:func:`lawfit.plan.envelope`): each training curve's loss against compute and their lower envelope.

    Right: the optima N* and D* against compute, log-log, with the fitted power laws ``X* = a*C^b`` and, with
    bootstrap draws, their ``level`` percentile bands (default the analysis's own level).

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.plan import isoflop
    >>> from lawfit.plot import plot_isoflop
    >>> c = np.repeat([1e18, 1e19, 1e20], 7)
    >>> n = np.sqrt(c / 120) * np.tile(np.logspace(-0.6, 0.6, 7), 3)
    >>> fig = plot_isoflop(isoflop({"C": c, "N": n, "loss": 1.69 + 406.4 / n**0.34 + 410.7 / (c / (6 * n))**0.28}))
    >>> left, right = fig.axes[:2]
    >>> len(left.lines), right.get_xscale(), right.get_yscale()
    (3, 'log', 'log')
    """
    level = result.level if level is None else level
    fig = _figure(figsize=(12.0, 4.8))
    left, right = fig.subplots(1, 2)
    optima = result.optima
    if result.approach == "envelope":
        _draw_envelope(left, result)
    else:
        _draw_parabolas(fig, left, result)
    c = optima["C"].to_numpy(dtype=np.float64)
    grid = np.geomspace(c.min(), c.max(), _GRID)
    used = optima["used"].to_numpy(dtype=bool)
    # The analysis gives its own bands (IsoFLOP.predict, at its level): the figure reads them at the one asked for.
    predicted = dataclasses.replace(result, level=check_level(level)).predict(grid)
    for name, law, colour in (("N", result.params, "C0"), ("D", result.tokens, "C1")):
        values = optima[name].to_numpy(dtype=np.float64)
        label = f"{name}* = {law.coefficient:.3g} C^{law.exponent:.3f}"
        right.plot(grid, law(grid), color=colour, lw=1.5, label=label)
        if f"{name}_low" in predicted:
            low, high = predicted[f"{name}_low"], predicted[f"{name}_high"]
            right.fill_between(grid, low, high, color=colour, alpha=0.2, lw=0, label=f"{level:.0%} interval")
        right.scatter(c[used], values[used], color=colour, s=24, zorder=3)
        shown = ~used & np.isfinite(values)
        if shown.any():
            right.scatter(c[shown], values[shown], facecolors="none", edgecolors=colour, s=24, label="left out")
    _finish(right, _LABELS["C"], _OPTIMA, f"compute-optimal size ({result.approach})")
    return fig


def plot_frontier(frontier: Frontier, *, level: float | None = None, largest_compute: float | None = None) -> Figure:
    """The compute-optimal parameters N* and tokens D* against compute, log-log.

    With bootstrap draws, ``level`` percentile bands (default the frontier's own level), their edges drawn so that a
    narrow band still shows. ``largest_compute``, the compute of the largest fitted run (FLOPs), marks where the data
    end: a dotted line there, and the budgets beyond it shaded as extrapolation. For a dense line, compute the
    frontier on many budgets, e.g. ``compute_optimal(fit, np.geomspace(1e20, 1e26, 60))``; a frontier of a few
    budgets is drawn with markers.

    Examples
    --------
    >>> import lawfit, numpy as np
    >>> from lawfit.plan import compute_optimal
    >>> from lawfit.plot import plot_frontier
    >>> f = lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")
    >>> fig = plot_frontier(compute_optimal(f, np.geomspace(1e19, 1e22, 30)))
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['N* (exponent 0.514)', 'D* (exponent 0.486)']
    """
    level = frontier.level if level is None else level
    fig = _figure(figsize=(7.0, 5.0))
    ax = fig.add_subplot()
    c = frontier.C
    marker = "o" if c.size <= 12 else None
    for name, colour in (("N", "C0"), ("D", "C1")):
        exponent = frontier.value(f"{name}_exponent")
        label = f"{name}*"
        if np.ptp(exponent) < 1e-3:  # a constant exponent (chinchilla's): worth a legend entry
            label += f" (exponent {exponent[0]:.3f}"
            if frontier.draws and f"{name}_exponent" in frontier.draws:
                low, high = frontier.interval(f"{name}_exponent", level)
                label += f", {level:.0%} [{low[0]:.3f}, {high[0]:.3f}]"
            label += ")"
        ax.plot(c, frontier.value(name), color=colour, marker=marker, lw=1.5, label=label)
        if frontier.draws and name in frontier.draws:
            low, high = frontier.interval(name, level)
            # A band a fraction of a decade wide on decades of axis needs its edges drawn to be seen.
            ax.fill_between(c, low, high, label=f"{name}* {level:.0%} interval", **_band_style(colour))
    if largest_compute is not None and math.isfinite(largest_compute) and largest_compute > 0:
        ax.axvline(largest_compute, color="0.25", lw=1.0, ls=":", label=f"largest run (C = {largest_compute:.3g})")
        if float(np.max(c)) > largest_compute:
            ax.axvspan(largest_compute, float(np.max(c)), color="0.92", lw=0, zorder=0, label="beyond the runs")
    _finish(ax, _LABELS["C"], _OPTIMA, f"compute-optimal frontier of {frontier.law} ({frontier.cost})")
    return fig


# ---------------------------------------------------------------------------------------------------------------
# Training curves


def plot_curves(curve_fit: CurveFit, curves: Curve | Sequence[Curve]) -> Figure:
    """Training curves and a loss-curve law's predictions of them, with their learning-rate schedules below.

    Top: the logged losses as points (hollow for curves the law was not fitted on, labelled "held out") and the
    law's prediction under each curve's schedule as a line, loss against step, both axes linear. Bottom: each
    curve's learning rate at every step.

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.curves import Curve, CurveFit, annealing, schedule
    >>> from lawfit.plot import plot_curves
    >>> lr = schedule("cosine", steps=4000, peak=1e-3, final=1e-4, warmup=200)
    >>> law = CurveFit(annealing(), {"L0": 2.5, "A": 0.8, "alpha": 0.5, "C": 0.3}, 0.0, True, "given", ("cos",), 0)
    >>> fig = plot_curves(law, Curve("cos", lr, np.arange(300, 4000, 100), np.full(37, 3.0)))
    >>> loss_axes, lr_axes = fig.axes
    >>> len(loss_axes.lines), len(loss_axes.collections), lr_axes.get_ylabel()
    (1, 1, 'learning rate')
    """
    curves = [curves] if _is_curve(curves) else list(curves)
    if not curves or not all(_is_curve(c) for c in curves):
        raise LawfitError("plot_curves needs one or more lawfit.curves.Curve (see lawfit.curves.load_curves).")
    fig = _figure(figsize=(8.0, 6.0))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    for i, curve in enumerate(curves):
        colour = f"C{i % 10}"
        fitted = curve.name in curve_fit.curves
        first = int(curve.step.min()) if curve.step.size else 1
        steps = np.unique(np.linspace(first, curve.steps, 400).astype(np.int64))  # steps 1..S
        face = colour if fitted else "none"
        label = curve.name if fitted else f"{curve.name} (held out)"
        top.scatter(curve.step, curve.loss, s=10, facecolors=face, edgecolors=colour, lw=0.8, label=label)
        top.plot(steps, curve_fit.predict(curve, steps), color=colour, lw=1.2)
        bottom.plot(np.arange(1, curve.steps + 1), curve.lr, color=colour, lw=1.2)  # lr[k-1] is step k's
    top.set_ylabel("loss")
    top.set_title(f"{curve_fit.law.name} fitted on {', '.join(curve_fit.curves) or 'given parameters'}")
    top.legend(fontsize="small", title="points: logged; lines: law", title_fontsize="small")
    bottom.set_xlabel("step")
    bottom.set_ylabel("learning rate")
    bottom.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
    return fig


# ---------------------------------------------------------------------------------------------------------------
# Hyperparameters: sweeps, their optima, the laws of the optima, the critical batch size


def plot_optima(
    optima: Optima,
    sweep: Sweep | None = None,
    *,
    laws: Sequence[Any] = (),
    cells: Sequence[int] | None = None,
    max_panels: int = _MAX_PANELS,
) -> Figure:
    """The optimum of each cell of a sweep (:func:`lawfit.hparams.cell_optima`), one panel per cell.

    - A cell swept one setting at a time (Marin's sweeps): the loss against the learning rate (or the batch size),
      the runs along the line through the sweep's centre as points (the cell's other runs in grey), the fitted
      quadratic in log of the setting as a line, the optimum as a star with its bootstrap interval shaded, and the
      near-optimal region (the settings within ``optima.near`` of the cell's best loss) as a dotted bar at that loss.
    - A cell swept on a grid of learning rates and batch sizes (Step Law's heat maps): the runs over the plane
      coloured by loss (the colour scale stops a few ``near`` above the best, so diverged runs do not wash it out),
      the near-optimal contour of the fitted surface, the runs within ``near`` of the best outlined, and the optimum
      as a star with its intervals as error bars.
    - An optimum at the edge of its sweep says so in its panel's title: it is a bound.

    With ``laws`` (fitted :class:`~lawfit.hparams.HparamLaw` or published :class:`~lawfit.hparams.PublishedLaw`),
    each law's prediction at the cell's sizes is drawn as a dashed line (a cross on the plane when both the learning
    rate and the batch size are predicted). The figure draws the results; it fits nothing: the quadratics are those
    the optima carry (``CellOptimum.curve``).

    Parameters
    ----------
    optima : Optima
        The cell optima.
    sweep : Sweep, optional
        The sweep they were found in, whose runs are drawn; without it, only the fitted curves and optima.
    laws : sequence of HparamLaw or PublishedLaw
        Laws whose predictions to mark.
    cells : sequence of int, optional
        The cells to draw, by their position among the optima's cells (default: all, up to ``max_panels`` panels).
    max_panels : int
        At most this many panels; the title says how many were left out.

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.hparams import cell_optima, load_sweep
    >>> from lawfit.plot import plot_optima
    >>> lr = 2.0 ** np.arange(-12, -5)
    >>> sweep = load_sweep({"N": [1e8] * 7, "D": [2e9] * 7, "lr": lr, "loss": 3 + 0.02 * np.log(lr / 2e-3) ** 2})
    >>> optima = cell_optima(sweep, noise=1e-3, n_resamples=100)
    >>> ax = plot_optima(optima, sweep).axes[0]
    >>> ax.get_xlabel(), round(float(ax.collections[-1].get_offsets()[0, 0]), 5)
    ('learning rate', 0.002)
    """
    panels = _optimum_panels(optima, cells)
    if not panels:
        raise LawfitError("There is no cell optimum to draw: the optima hold no cells (or none of those asked for).")
    shown = panels[: max(1, int(max_panels))]
    columns = min(3, len(shown))
    rows = math.ceil(len(shown) / columns)
    fig = _figure(figsize=(5.0 * columns, 4.0 * rows))
    grid = fig.subplots(rows, columns, squeeze=False).ravel()
    cell_rows = _cell_rows(sweep)
    for ax, (_, members) in zip(grid, shown, strict=False):
        rows_of = _rows_of(cell_rows, members[0].cell)
        if len(members) == 2:
            _draw_plane(fig, ax, optima, members, sweep, rows_of, laws)
        else:
            _draw_line(ax, optima, members[0], sweep, rows_of, laws)
    for ax in grid[len(shown) :]:
        ax.set_visible(False)
    left_out = len(panels) - len(shown)
    fig.suptitle(
        f"cell optima: {optima.level:.0%} bootstrap intervals, near-optimal within {optima.near:.1%} of the best loss"
        + (f" ({left_out} more panels left out)" if left_out else ""),
        fontsize="medium",
    )
    return fig


def plot_hparam_law(
    law: HparamLaw | Sequence[HparamLaw],
    optima: Optima | None = None,
    *,
    x: str | None = None,
    published: Sequence[PublishedLaw] = (),
    level: float | None = None,
) -> Figure:
    """A law of the optimal learning rate or batch size (:func:`lawfit.hparams.fit_law`) against N, D or C, log-log.

    The cell optima it was fitted on are points (hollow when at the edge of their sweep: bounds), with their
    bootstrap intervals as error bars when ``optima`` is given. The law is a line with its ``level`` band (default
    the law's level). For a law of N and D drawn against N (or D), one line per ratio D/N of the cells (up to five;
    beyond that the law's value at each cell is a cross). Published laws (:func:`lawfit.hparams.published`) are
    dashed lines along the same tracks, for comparison. Several laws (the learning rate's and the batch size's, or
    one per optimizer) are drawn side by side, one panel each.

    Parameters
    ----------
    law : HparamLaw or sequence of HparamLaw
    optima : Optima, optional
        The optima the law was fitted on, for their intervals.
    x : {"N", "D", "C"}, optional
        The horizontal axis (default: the law's first input).
    published : sequence of PublishedLaw
    level : float, optional

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.hparams import cell_optima, fit_law, load_sweep
    >>> from lawfit.plot import plot_hparam_law
    >>> N = np.repeat([1e8, 2e8, 4e8, 8e8], 7); lr = np.tile(2.0 ** np.arange(-12, -5), 4)
    >>> loss = 3 + 0.02 * np.log(lr / (3e-3 * (N / 1e8) ** -0.5)) ** 2
    >>> optima = cell_optima(load_sweep({"N": N, "lr": lr, "loss": loss}), noise=1e-3, n_resamples=100)
    >>> ax = plot_hparam_law(fit_law(optima, "lr", "N"), optima).axes[0]
    >>> ax.get_xlabel(), ax.lines[0].get_label()
    ('parameters N', 'lr* = 30 N^-0.500')
    """
    laws = [law] if hasattr(law, "points") else list(law)
    if not laws or not all(hasattr(one, "points") for one in laws):
        raise LawfitError("plot_hparam_law needs one or more laws of lawfit.hparams.fit_law.")
    if level is not None:
        level = check_level(level, where="plot_hparam_law")
    columns = min(2, len(laws))
    rows = math.ceil(len(laws) / columns)
    fig = _figure(figsize=(7.0 * columns, 5.0 * rows))
    grid = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, one in zip(grid, laws, strict=False):
        _draw_law(ax, one, optima, x, published, one.level if level is None else level)
    for ax in grid[len(laws) :]:
        ax.set_visible(False)
    return fig


def _draw_law(
    ax: Axes, law: HparamLaw, optima: Optima | None, x: str | None, published: Sequence[Any], level: float
) -> None:
    points = [dict(p) for p in law.points]
    if x is None:
        x = law.inputs[0]
    have = [name for name in ("N", "D", "C") if all(name in p for p in points)]
    if x not in have:
        raise LawfitError(
            f"The 'x' of plot_hparam_law must be a size of the law's cells ({', '.join(have)}). Got {x!r} instead."
        )
    xs = np.array([p[x] for p in points])
    values = np.array([p["value"] for p in points])
    edge = np.array([bool(p.get("at_edge", False)) for p in points])
    symbol = _SYMBOLS.get(law.hparam, law.hparam)
    # A law of x alone is one line; a law of N and D one per ratio D/N of the cells.
    tracks = _tracks(points, x, by_ratio=set(law.inputs) != {x})
    drawn = False
    for i, (label, sizes) in enumerate(tracks):
        colour = f"C{i % 10}"
        if not set(law.inputs) <= set(sizes) and not ("C" in law.inputs and {"N", "D"} <= set(sizes)):
            continue
        line = _quiet(law.predict, **sizes)
        name = f"{symbol} = {_law_text(law)}" + (f" at {label}" if label else "")
        ax.plot(sizes[x], line, color=colour, lw=1.5, label=name, gid="law")
        low, high = _quiet(lambda **s: law.predict_interval(level, **s), **sizes)
        band = f"{level:.0%} interval of the law" if not drawn else None
        ax.fill_between(sizes[x], low, high, label=band, **_band_style(colour))
        drawn = True
        for j, other in enumerate(published):
            needed = set(other._inputs(law.hparam))
            if needed <= set(sizes):
                text = f"{other.name} (published)" if i == 0 else None
                ax.plot(
                    sizes[x],
                    _quiet(other.predict, law.hparam, **sizes),
                    color=colour,
                    lw=1.2,
                    ls=("--", ":", "-.")[j % 3],
                    label=text,
                )
    if not drawn:
        at = _quiet(law.predict, **{k: np.array([p[k] for p in points]) for k in have})
        ax.scatter(xs, at, marker="x", color="black", s=30, label=f"{symbol} = {_law_text(law)} at each cell")
    errors = _optimum_errors(optima, law, points)
    for mask, hollow in ((~edge, False), (edge, True)):
        if not mask.any():
            continue
        style = {"mfc": "white" if hollow else "black", "mec": "black", "color": "black"}
        label = (
            f"cell optima at the edge of their sweep ({int(mask.sum())})"
            if hollow
            else f"cell optima ({int(mask.sum())})"
        )
        ax.errorbar(
            xs[mask],
            values[mask],
            yerr=None if errors is None else errors[:, mask],
            fmt="o",
            ms=6,
            capsize=2,
            lw=1,
            label=label,
            zorder=4,
            **style,
        )
    family = ", ".join(f"{k}={v}" for k, v in law.where.items())
    title = f"{_HPARAM_LABELS.get(law.hparam, law.hparam)} optimum against {x}" + (f" [{family}]" if family else "")
    _finish(ax, _LABELS.get(x, x), f"optimal {_HPARAM_LABELS.get(law.hparam, law.hparam)}", title, log_y=True)


def plot_critical_batch(result: CriticalBatch | BatchFit, *, level: float | None = None) -> Figure:
    """Steps to a target loss against batch size (:func:`lawfit.hparams.batch.critical_batch`), log-log.

    Left: each model's measured steps as points and its fitted hyperbola ``S = S_min + E_min / B`` as a line; on
    the line, McCandlish et al.'s critical batch ``B_crit = E_min / S_min`` (a circle: there ``S = 2 S_min``) and
    Zhang et al.'s ``CBS`` (a diamond: the batch that needs ``overhead`` more examples than ``reference_batch``).
    Right (a :class:`CriticalBatch` with laws): both critical batch sizes against the laws' scale, with their
    bootstrap intervals as error bars, and their power laws.

    Examples
    --------
    >>> from lawfit.hparams.batch import critical_batch
    >>> from lawfit.plot import plot_critical_batch
    >>> b = [64, 128, 256, 512, 1024, 2048]
    >>> table = {"N": [1e8] * 6 + [4e8] * 6, "loss": [3.1] * 12, "batch": b * 2,
    ...          "steps": [1000 + 64e4 / x for x in b] + [2000 + 256e4 / x for x in b]}
    >>> fig = plot_critical_batch(critical_batch(table, n_resamples=0))
    >>> left, right = fig.axes
    >>> left.get_xlabel(), [round(float(v)) for v in left.lines[0].get_ydata()[[0, -1]]]
    ('batch size', [21000, 1156])
    """
    fits = list(result.fits) if hasattr(result, "fits") else [result]
    laws = dict(getattr(result, "laws", {}) or {})
    fig = _figure(figsize=(12.0 if laws else 7.0, 5.0))
    axes = fig.subplots(1, 2 if laws else 1, squeeze=False).ravel()
    left = axes[0]
    unit = "batch size" if getattr(result, "seq_len", None) is None else "batch size (sequences)"
    for i, f in enumerate(fits):
        colour = f"C{i % 10}"
        low = min(float(np.min(f.batch)) if f.batch.size else f.B_crit, f.B_crit, f.CBS) / 2.0
        high = max(float(np.max(f.batch)) if f.batch.size else f.B_crit, f.B_crit, f.CBS) * 2.0
        grid = np.geomspace(low, high, _GRID)
        label = f"{f.model}" + (f" (loss {f.target_loss:g})" if math.isfinite(f.target_loss) else "")
        left.plot(grid, f.S_min + f.E_min / grid, color=colour, lw=1.3, label=label, gid="hyperbola")
        if f.batch.size:
            left.scatter(f.batch, f.steps, color=colour, s=18, zorder=3)
        left.scatter(
            [f.B_crit],
            [f.S_min + f.E_min / f.B_crit],
            marker="o",
            s=55,
            facecolors="none",
            edgecolors=colour,
            lw=1.5,
            zorder=4,
            label="B_crit = E_min/S_min" if i == 0 else None,
            gid="B_crit",
        )
        left.scatter(
            [f.CBS],
            [f.S_min + f.E_min / f.CBS],
            marker="D",
            s=40,
            color=colour,
            edgecolors="black",
            lw=0.6,
            zorder=4,
            label=f"CBS ({100 * f.overhead:g}% more examples)" if i == 0 else None,
            gid="CBS",
        )
        if len(fits) == 1:
            left.axhline(f.S_min, color=colour, lw=0.8, ls=":", label=f"S_min = {f.S_min:.4g}")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel(unit)
    left.set_ylabel("steps to the target loss")
    left.set_title("steps against batch size: S = S_min + E_min / B")
    left.legend(fontsize="small")
    if laws:
        right = axes[1]
        for (name, law), colour, marker in zip(laws.items(), ("C0", "C1"), ("D", "o"), strict=False):
            values = np.array([getattr(f, name) for f in fits])
            where = np.array(law.x_values)
            bounds = np.array([f.intervals.get(name, (math.nan, math.nan)) for f in fits], dtype=np.float64)
            yerr = None
            if np.all(np.isfinite(bounds)):
                yerr = np.vstack([values - bounds[:, 0], bounds[:, 1] - values]).clip(min=0.0)
            right.errorbar(where, law.values, yerr=yerr, fmt=marker, color=colour, ms=5, capsize=2, lw=1, zorder=3)
            grid = np.geomspace(float(where.min()) / 1.5, float(where.max()) * 1.5, _GRID)
            text = law.formula
            if "exponent" in law.intervals:
                lo, hi = law.intervals["exponent"]
                text += f" [{lo:.3f}, {hi:.3f}]"
            right.plot(grid, law.predict(grid), color=colour, lw=1.5, label=text, gid=f"law {name}")
        x = next(iter(laws.values())).x
        _finish(right, _LABELS.get(x, "target loss" if x == "loss" else x), unit, "critical batch size against " + x)
    return fig


def _optimum_panels(optima: Optima, cells: Sequence[int] | None) -> list[tuple[tuple, list[Any]]]:
    """The panels: per cell, one for a 2-D optimum (its lr and batch together) or one per 1-D optimum."""
    keys: dict[tuple, list[Any]] = {}
    for c in optima.cells:
        keys.setdefault(tuple(sorted((k, str(v)) for k, v in c.cell.items())), []).append(c)
    chosen = list(keys.items())
    if cells is not None:
        try:
            chosen = [chosen[int(i)] for i in cells]
        except (IndexError, TypeError, ValueError):
            raise LawfitError(
                f"The 'cells' of plot_optima must be positions among the {len(chosen)} cells. Got {cells!r} instead."
            ) from None
    panels = []
    for key, members in chosen:
        plane = [c for c in members if len(c.axes) == 2 and len(c.curve) == 6]
        if len(plane) == 2:
            panels.append((key, plane))
        panels += [(key, [c]) for c in members if c not in plane]
    return panels


def _cell_rows(sweep: Sweep | None) -> list[tuple[dict[str, Any], np.ndarray]]:
    return [] if sweep is None else sweep.cells()


def _rows_of(cell_rows: Sequence[tuple[dict[str, Any], np.ndarray]], cell: Mapping[str, Any]) -> np.ndarray | None:
    for key, rows in cell_rows:
        if all(_same(key.get(k), v) for k, v in cell.items()):
            return rows
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9)
    return a == b


def _cell_title(cell: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in cell.items())


def _law_values(laws: Sequence[Any], hparam: str, cell: Mapping[str, Any]) -> list[tuple[str, float]]:
    """Each law's prediction of ``hparam`` at the cell's sizes, with its label."""
    sizes = {k: float(v) for k, v in cell.items() if k in ("N", "D", "C")}
    out = []
    for law in laws:
        if type(law).__name__ == "PublishedLaw":
            out.append((f"{law.name} (published)", float(_quiet(law.predict, hparam, **sizes))))
        elif getattr(law, "hparam", None) == hparam and all(cell.get(k) == v for k, v in law.where.items()):
            out.append(("law", float(_quiet(law.predict, **sizes))))
    return out


def _draw_line(
    ax: Axes, optima: Optima, c: Any, sweep: Sweep | None, rows: np.ndarray | None, laws: Sequence[Any]
) -> None:
    h = c.hparam
    best = c.best_loss
    on_line = np.zeros(0, dtype=bool)
    if sweep is not None and rows is not None:
        settings, loss = sweep.column(h)[rows], sweep.column("loss")[rows]
        best = float(loss.min())
        on_line = np.ones(rows.size, dtype=bool)
        others = [o for o in sweep.hparams if o != h]
        if others:
            held = sweep.column(others[0])[rows]
            options = []
            for value in np.unique(held):
                same = np.isclose(held, value, rtol=1e-9)
                options.append((-np.unique(settings[same]).size, float(loss[same].min()), same))
            on_line = min(options, key=lambda o: o[:2])[2]
    low_x = min(c.low, c.near_low, c.value) / 1.5
    high_x = max(c.high, c.near_high, c.value) * 1.5
    if on_line.size:
        low_x, high_x = min(low_x, float(settings.min())), max(high_x, float(settings.max()))
    top = best * 1.1
    if on_line.size:
        top = min(top, float(loss.max()) + 0.1 * (float(loss.max()) - best) + 1e-9 * best)
    if len(c.curve) == 3:
        x_min = float(settings[on_line].min()) if on_line.any() else c.near_low
        x_max = float(settings[on_line].max()) if on_line.any() else c.near_high
        grid = np.geomspace(min(x_min, c.value), max(x_max, c.value), _GRID)
        log_x = np.log(grid)
        curve = c.curve[0] + c.curve[1] * log_x + c.curve[2] * log_x**2
        ax.plot(grid, curve, color="C0", lw=1.3, label=f"fitted quadratic in log {h}", gid="quadratic")
    if on_line.size:
        kept = loss <= top
        ax.scatter(
            settings[on_line & kept],
            loss[on_line & kept],
            color="C0",
            s=22,
            zorder=3,
            label=f"runs ({int(on_line.sum())})",
        )
        if (~on_line & kept).any():
            ax.scatter(
                settings[~on_line & kept],
                loss[~on_line & kept],
                color="0.6",
                s=14,
                zorder=2,
                label="runs at other settings",
            )
        if (~kept).any():
            ax.scatter(
                settings[~kept],
                np.full(int((~kept).sum()), top),
                marker="^",
                color="C3",
                s=24,
                zorder=3,
                label=f"off the scale ({int((~kept).sum())})",
            )
    ax.axvspan(c.low, c.high, color="C1", alpha=0.18, lw=0, label=f"{c.level:.0%} interval", gid="interval")
    near = best * (1 + optima.near)
    ax.hlines(near, c.near_low, c.near_high, color="C2", lw=3, ls=":", label="near-optimal runs", gid="near")
    ax.scatter(
        [c.value],
        [c.loss],
        marker="*",
        s=140,
        color="C1",
        edgecolors="black",
        lw=0.8,
        zorder=5,
        label=f"optimum {c.value:.3g} ({c.method})",
        gid="optimum",
    )
    for i, (label, value) in enumerate(_law_values(laws, h, c.cell)):
        ax.axvline(value, color=f"C{(i + 3) % 10}", lw=1.2, ls="--", label=f"{label}: {value:.3g}", gid="law")
    ax.set_xscale("log")
    _sparse_log_ticks(ax.xaxis)
    bottom = min(best, c.loss)
    ax.set_ylim(bottom - 0.1 * (top - bottom) - 1e-6, top + 0.02 * (top - bottom) + 1e-6)
    ax.set_xlim(low_x, high_x)
    ax.set_xlabel(_HPARAM_LABELS.get(h, h))
    ax.set_ylabel("loss")
    edge = " (at the edge: a bound)" if c.at_edge else ""
    ax.set_title(_cell_title(c.cell) + edge, fontsize="small", color="C3" if c.at_edge else "black")
    ax.legend(fontsize="x-small")


def _draw_plane(
    fig: Figure,
    ax: Axes,
    optima: Optima,
    members: Sequence[Any],
    sweep: Sweep | None,
    rows: np.ndarray | None,
    laws: Sequence[Any],
) -> None:
    from matplotlib.colors import Normalize

    lr, batch = sorted(members, key=lambda c: c.hparam != "lr")
    coef = lr.curve
    best = lr.best_loss
    if sweep is not None and rows is not None:
        x, y, loss = (sweep.column(name)[rows] for name in ("lr", "batch", "loss"))
        best = float(loss.min())
        norm = Normalize(best, best * (1 + 5 * optima.near), clip=True)
        dots = ax.scatter(x, y, c=loss, cmap=f"{_CMAP}_r", norm=norm, marker="s", s=90, zorder=2)
        fig.colorbar(dots, ax=ax, label="loss", extend="max")
        close = loss <= best * (1 + optima.near)
        ax.scatter(
            x[close],
            y[close],
            marker="s",
            s=90,
            facecolors="none",
            edgecolors="black",
            lw=1.2,
            zorder=3,
            label=f"runs within {optima.near:.1%} of the best ({int(close.sum())})",
        )
        span_x, span_y = (float(x.min()), float(x.max())), (float(y.min()), float(y.max()))
    else:
        span_x = (min(lr.low, lr.near_low) / 1.5, max(lr.high, lr.near_high) * 1.5)
        span_y = (min(batch.low, batch.near_low) / 1.5, max(batch.high, batch.near_high) * 1.5)
    gx, gy = np.meshgrid(np.geomspace(*span_x, 80), np.geomspace(*span_y, 80))
    a, b = np.log(gx), np.log(gy)
    surface = coef[0] + coef[1] * a + coef[2] * b + coef[3] * a**2 + coef[4] * b**2 + coef[5] * a * b
    level = lr.loss * (1 + optima.near)
    if surface.min() < level < surface.max():
        contour = ax.contour(gx, gy, surface, levels=[level], colors="C3", linewidths=1.3, linestyles="--")
        contour.set_gid("near")
        ax.plot([], [], color="C3", ls="--", lw=1.3, label=f"fitted surface {optima.near:.1%} above its minimum")
    ax.errorbar(
        [lr.value],
        [batch.value],
        xerr=[[lr.value - lr.low], [lr.high - lr.value]],
        yerr=[[batch.value - batch.low], [batch.high - batch.value]],
        fmt="none",
        ecolor="black",
        lw=1,
        capsize=3,
        zorder=4,
        label=f"{lr.level:.0%} intervals",
    )
    ax.scatter(
        [lr.value],
        [batch.value],
        marker="*",
        s=180,
        color="C1",
        edgecolors="black",
        lw=0.8,
        zorder=5,
        label=f"optimum: lr {lr.value:.3g}, batch {batch.value:.3g}",
        gid="optimum",
    )
    predicted_lr = dict(_law_values(laws, "lr", lr.cell))
    predicted_batch = dict(_law_values(laws, "batch", lr.cell))
    for i, name in enumerate(dict.fromkeys([*predicted_lr, *predicted_batch])):
        colour = f"C{(i + 4) % 10}"
        if name in predicted_lr and name in predicted_batch:
            ax.scatter(
                [predicted_lr[name]],
                [predicted_batch[name]],
                marker="X",
                s=90,
                color=colour,
                edgecolors="black",
                lw=0.6,
                zorder=5,
                label=f"{name}: lr {predicted_lr[name]:.3g}, batch {predicted_batch[name]:.3g}",
                gid="prediction",
            )
        elif name in predicted_lr:
            ax.axvline(predicted_lr[name], color=colour, ls="--", lw=1.2, label=f"{name}: lr {predicted_lr[name]:.3g}")
        else:
            value = predicted_batch[name]
            ax.axhline(value, color=colour, ls="--", lw=1.2, label=f"{name}: batch {value:.3g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(_HPARAM_LABELS["lr"])
    ax.set_ylabel(_HPARAM_LABELS["batch"])
    edge = " (at the edge: a bound)" if lr.at_edge or batch.at_edge else ""
    ax.set_title(_cell_title(lr.cell) + edge, fontsize="small", color="C3" if edge else "black")
    ax.legend(fontsize="x-small")


def _sparse_log_ticks(axis: Any) -> None:
    """A log axis spanning about a decade ticked at 1, 2 and 5 times the powers of ten, in plain numbers: the log
    locator would label one tick there, and its minor labels run into each other."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.3g}"))
    axis.set_minor_formatter(NullFormatter())


def _tracks(
    points: Sequence[Mapping[str, Any]], x: str, *, by_ratio: bool = True
) -> list[tuple[str, dict[str, np.ndarray]]]:
    """Where to draw a law along ``x``: for cells with N and D against N or D, one track per ratio D/N (up to
    five; none beyond), each over its cells' range; else (or without ``by_ratio``, unless the cells share one ratio)
    one track over the cells' range of ``x``."""
    xs = np.array([p[x] for p in points], dtype=np.float64)
    if x in ("N", "D") and all("N" in p and "D" in p for p in points):
        n = np.array([p["N"] for p in points], dtype=np.float64)
        ratio = np.array([p["D"] for p in points], dtype=np.float64) / n
        groups = np.unique(np.round(np.log10(ratio), 1))
        if groups.size == 1 or (by_ratio and groups.size <= _N_LINES):
            tracks = []
            for g in groups:
                mine = np.isclose(np.round(np.log10(ratio), 1), g)
                r = float(np.exp(np.mean(np.log(ratio[mine]))))
                grid = np.geomspace(float(xs[mine].min()) / 1.5, float(xs[mine].max()) * 1.5, _GRID)
                n_grid = grid if x == "N" else grid / r
                label = f"D/N = {r:.3g}" if groups.size > 1 else ""
                tracks.append((label, {"N": n_grid, "D": n_grid * r, "C": 6.0 * n_grid * n_grid * r}))
            return tracks
        if by_ratio:
            return []
    grid = np.geomspace(float(xs.min()) / 1.5, float(xs.max()) * 1.5, _GRID)
    return [("", {x: grid})]


def _optimum_errors(optima: Optima | None, law: Any, points: Sequence[Mapping[str, Any]]) -> np.ndarray | None:
    """The error bars (2, k) of the points from the optima's intervals, or None without the optima."""
    if optima is None:
        return None
    bars = np.full((2, len(points)), np.nan)
    for i, p in enumerate(points):
        for c in optima.cells:
            if c.hparam == law.hparam and all(_same(p.get(k), v) for k, v in c.cell.items()):
                bars[:, i] = (c.value - c.low, c.high - c.value)
                break
    return np.nan_to_num(bars, nan=0.0).clip(min=0.0)


def _law_text(law: Any) -> str:
    """A fitted power law with its numbers, e.g. ``0.0948 N^-0.500``; else its formula."""
    params = law.params
    if set(params) == {"a", *(f"alpha_{x}" for x in law.inputs)}:
        return " ".join([f"{params['a']:.3g}", *(f"{x}^{params[f'alpha_{x}']:.3f}" for x in law.inputs)])
    return law.formula


def _quiet(function: Any, *args: Any, **kwargs: Any) -> Any:
    """A law's prediction without its ExtrapolationWarning: the figure shows how far it reaches."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return function(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# The work


# The figure of each kind of result, by its class name (see figure).
_FIGURES: dict[str, Any] = {
    "Fit": plot_fit,
    "Frontier": plot_frontier,
    "IsoFLOP": plot_isoflop,
    "CurveFit": plot_curves,
    "Optima": plot_optima,
    "HparamLaw": plot_hparam_law,
    "CriticalBatch": plot_critical_batch,
    "BatchFit": plot_critical_batch,
}


def _is_curve(value: Any) -> bool:
    """Whether ``value`` reads as a :class:`lawfit.curves.Curve` (by its fields: this module imports no analysis)."""
    return all(hasattr(value, name) for name in ("name", "lr", "step", "loss", "steps"))


def _figure(**options: Any) -> Figure:
    """A new Figure on the Agg canvas, outside pyplot; a clear error when matplotlib is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise LawfitError("Plots need matplotlib; install it with pip install 'lawfit[plot]'.") from None
    fig = Figure(layout="constrained", **options)
    FigureCanvasAgg(fig)
    return fig


def _mode_and_axis(fit: Fit, x: str | None) -> tuple[str, str]:
    """How to draw the law ("single", "nd" or "runs") and the horizontal axis."""
    inputs = fit.law.inputs
    if len(inputs) == 1:
        mode, allowed = "single", tuple(inputs)
    elif set(inputs) <= {"N", "D", "C"} and {"N", "D"} & set(inputs) and fit.law.target == "loss":
        mode, allowed = "nd", ("C", "N", "D")
    else:
        mode, allowed = "runs", tuple(inputs)
    if x is None:
        return mode, next((name for name in ("N", "D", "C") if name in allowed), allowed[0])
    if x not in allowed:
        raise LawfitError(
            f"The 'x' of a plot of {fit.law.name} must be one of {', '.join(allowed)}. Got {x!r} instead."
        )
    return mode, x


def _draw_nd(
    fig: Figure,
    ax: Axes,
    fit: Fit,
    x: str,
    level: float,
    runs: Runs | None,
    held: Runs | None,
    frontier: Frontier | None,
) -> None:
    """A law of N and D: points coloured by N (against C) or by D/N (against N or D), lines with that colour
    quantity held fixed, and the compute-optimal frontier with its band when there is one."""
    from matplotlib import colormaps

    shown = [r for r in (runs, held) if r is not None]
    ranges = fit.runs_summary.get("ranges", {})
    name, values, norm = _colouring(x, shown, fit)
    cmap = colormaps[_CMAP]
    points = None
    for r, hollow in ((runs, False), (held, True)):
        if r is None:
            continue
        if hollow:
            style = {"facecolors": "none", "edgecolors": cmap(norm(values(r))), "lw": 1.0}
        else:
            style = {"c": values(r), "cmap": cmap, "norm": norm}
        label = f"held out ({len(r)})" if hollow else f"runs ({len(r)})"
        artist = ax.scatter(r.column(x), r.column("loss"), s=18, label=label, zorder=3, **style)
        if not hollow:
            points = artist
    if points is None:  # no filled points to carry the colour scale
        from matplotlib.cm import ScalarMappable

        points = ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(points, ax=ax, label=_LABELS[name])

    if shown:
        n_all = np.concatenate([r.column("N") for r in shown])
        d_all = np.concatenate([r.column("D") for r in shown])
        c_all = 6.0 * n_all * d_all
    elif {"N", "D", "loss"} <= set(ranges):
        n_all = np.asarray(ranges["N"], dtype=np.float64)
        d_all = np.asarray(ranges["D"], dtype=np.float64)
        c_all = 6.0 * n_all * d_all
    else:
        raise LawfitError("This fit does not record the ranges of N, D and the loss; give the runs (data=...).")
    for fixed in _representatives(values, shown, norm):
        if x == "C":
            near = np.abs(np.log(n_all / fixed)) <= math.log(_NEAR)
            grid = np.geomspace(*_span([c_all[near]] if near.any() else [c_all]), _GRID)
            loss = _predict(fit, N=np.full_like(grid, fixed), D=grid / (6.0 * fixed))
        else:
            grid = np.geomspace(*_span([n_all if x == "N" else d_all]), _GRID)
            n = grid if x == "N" else grid / fixed
            loss = _predict(fit, N=n, D=n * fixed)
        # Each line in the legend with the value it holds fixed: the colour bar alone cannot be read that finely.
        ax.plot(grid, loss, color=cmap(norm(fixed)), lw=1.0, label=f"law at {'N' if x == 'C' else 'D/N'} = {fixed:.3g}")

    lowest: list[float] = []
    if frontier is not None:
        along = frontier.value(x)
        ax.plot(along, frontier.loss, color="black", lw=2.0, label="compute-optimal frontier")
        lowest.append(float(np.min(frontier.loss)))
        if frontier.draws and "loss" in frontier.draws:
            low, high = frontier.interval("loss", level)
            label = f"{level:.0%} interval of the frontier"
            # The band is a fraction of a percent of the loss: its edges keep it visible.
            ax.fill_between(along, low, high, label=label, **_band_style("black"))
    # The thin lines rise steeply where a size gets few tokens; keep the view on the runs and the frontier.
    losses = [r.column("loss") for r in shown] or [np.asarray(ranges["loss"], dtype=np.float64)]
    low_loss = min([*lowest, *(float(v.min()) for v in losses)])
    ax.set_ylim(low_loss / 1.03, max(float(v.max()) for v in losses) * 1.05)


def _band_style(colour: str) -> dict[str, Any]:
    """A band that shows however narrow it is: a light fill with dashed edges of its colour."""
    from matplotlib.colors import to_rgba

    return {"facecolor": to_rgba(colour, 0.3), "edgecolor": to_rgba(colour, 0.9), "lw": 0.8, "linestyle": "--"}


def _colouring(x: str, shown: Sequence[Runs], fit: Fit) -> tuple[str, Any, Any]:
    """The colour quantity for a law of N and D (N against C, else D/N), a function giving it for runs, its norm."""
    from matplotlib.colors import LogNorm

    name = "N" if x == "C" else "D/N"

    def values(r: Runs) -> np.ndarray:
        return r.column("N") if name == "N" else r.column("D") / r.column("N")

    span = _span([values(r) for r in shown], fit.runs_summary.get("ranges", {}).get(name))
    return name, values, LogNorm(*span)


def _representatives(values: Any, shown: Sequence[Runs], norm: Any) -> np.ndarray:
    """Up to five values of the colour quantity to hold fixed: spread over the runs' sizes (sizes that occur among
    the runs, so each line has its runs beside it), or over the ratios' quantiles, or over the fitted range."""
    if not shown:
        return np.geomspace(norm.vmin, norm.vmax, _N_LINES)
    all_values = np.concatenate([values(r) for r in shown])
    unique = np.unique(all_values)
    if unique.size <= _N_LINES:
        return unique
    if unique.size < 0.5 * all_values.size:  # sizes repeat (a grid of model sizes): pick among them
        return unique[np.round(np.linspace(0, unique.size - 1, _N_LINES)).astype(int)]
    return np.exp(np.quantile(np.log(all_values), np.linspace(0.1, 0.9, _N_LINES)))


def _scatter_runs(ax: Axes, runs: Runs | None, held: Runs | None, x: str, target: str, *, colour: str) -> None:
    if runs is not None:
        ax.scatter(runs.column(x), runs.column(target), s=18, color=colour, label=f"runs ({len(runs)})", zorder=3)
    if held is not None:
        ax.scatter(
            held.column(x),
            held.column(target),
            s=18,
            facecolors="none",
            edgecolors=colour,
            label=f"held out ({len(held)})",
            zorder=3,
        )


def _draw_parabolas(fig: Figure, ax: Axes, result: IsoFLOP) -> None:
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm

    x = result.approach.rsplit(" ", 1)[-1]  # "parabola in log N" -> "N"
    points, optima = result.points, result.optima
    c = optima["C"].to_numpy(dtype=np.float64)
    norm = LogNorm(c.min(), c.max()) if c.min() < c.max() else LogNorm(c.min() / 2.0, c.max() * 2.0)
    cmap = colormaps[_CMAP]
    size = points[x].to_numpy(dtype=np.float64)
    loss = points["loss"].to_numpy(dtype=np.float64)
    budget = points["budget"].to_numpy()
    outlier = points["outlier"].to_numpy(dtype=bool)
    kept = ~outlier
    dots = ax.scatter(size[kept], loss[kept], c=c[budget[kept]], cmap=cmap, norm=norm, s=16, label="runs")
    for b in range(len(optima)):
        members = kept & (budget == b)
        log_x = np.log(size[members])
        if np.unique(log_x).size < 3:
            continue
        # The same parabola as the analysis: least squares of the loss in log x over the budget's kept runs.
        coefficients = np.polyfit(log_x, loss[members], 2)
        line = np.linspace(log_x.min(), log_x.max(), _GRID)
        ax.plot(np.exp(line), np.polyval(coefficients, line), color=cmap(norm(c[b])), lw=1.2)
    vertex, value = optima[x].to_numpy(dtype=np.float64), optima["loss"].to_numpy(dtype=np.float64)
    used = optima["used"].to_numpy(dtype=bool)
    finite = np.isfinite(vertex) & np.isfinite(value)
    star = {"marker": "*", "s": 110, "edgecolors": "black", "lw": 0.8, "zorder": 4}
    ax.scatter(vertex[used & finite], value[used & finite], c=cmap(norm(c[used & finite])), label="optimum", **star)
    if (~used & finite).any():
        ax.scatter(vertex[~used & finite], value[~used & finite], facecolors="none", label="optimum, flagged", **star)
    if outlier.any():
        ax.scatter(size[outlier], loss[outlier], marker="x", color="red", s=30, label=f"outlier ({outlier.sum()})")
    fig.colorbar(dots, ax=ax, label="budget " + _LABELS["C"])
    title = f"IsoFLOP parabolas in log {x}: {len(optima)} budgets, {int(used.sum())} used"
    _finish(ax, _LABELS[x], "loss", title, log_y=False)


def _draw_envelope(ax: Axes, result: IsoFLOP) -> None:
    points, optima = result.points, result.optima
    first = optima.iloc[0]
    cost = float(first["C"] / (first["N"] * first["D"]))  # the analysis's C = cost*N*D
    run = points["run"] if "run" in points.columns else points["N"]
    for i, (_, curve) in enumerate(points.groupby(run, sort=False)):
        order = np.argsort(curve["D"].to_numpy())
        c = cost * curve["N"].to_numpy()[order] * curve["D"].to_numpy()[order]
        ax.plot(c, curve["loss"].to_numpy()[order], color="0.6", lw=0.8, label="training curves" if i == 0 else None)
    used = optima["used"].to_numpy(dtype=bool)
    ax.plot(optima["C"], optima["loss"], color="black", lw=1.0, ls="--", label="lower envelope")
    ax.scatter(optima["C"][used], optima["loss"][used], color="black", s=8, label="used in the power laws", zorder=3)
    title = f"training curves and their lower envelope: {int(used.sum())} of {len(optima)} points used"
    _finish(ax, _LABELS["C"], "loss", title)


def _finish(ax: Axes, xlabel: str, ylabel: str, title: str, *, log_y: bool = True) -> None:
    """Log axes (x always), labels, title and legend."""
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
        _plain_log_ticks(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")


def _plain_log_ticks(ax: Axes) -> None:
    """Tick a log y axis that spans less than a decade (a loss from 2.1 to 3.5) at plain, evenly spaced numbers:
    the log locator would leave one or two ticks there, labelled 3x10^0."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

    low, high = ax.get_ylim()
    if 0 < low and high / low < 10:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_locator(NullLocator())


def _predict(fit: Fit, **inputs: Any) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return np.asarray(fit.predict(**inputs), dtype=np.float64)


def _predict_interval(fit: Fit, level: float, **inputs: Any) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return fit.predict_interval(level, of="law", **inputs)


def _span(arrays: Sequence[np.ndarray], fallback: Sequence[float] | None = None) -> tuple[float, float]:
    """The positive range of the values, or ``fallback``; widened by a factor 2 when it is a single value."""
    values = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays]) if arrays else np.zeros(0)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size:
        low, high = float(values.min()), float(values.max())
    elif fallback is not None:
        low, high = (float(v) for v in fallback)
    else:
        raise LawfitError("There is nothing to plot: give the runs (data=...).")
    return (low / 2.0, high * 2.0) if low == high else (low, high)


def _title(fit: Fit) -> str:
    law = fit.law
    text = law.name if law.name == law.formula else f"{law.name}: {law.target} = {law.formula}"
    return text if len(text) <= 90 else text[:87] + "..."
