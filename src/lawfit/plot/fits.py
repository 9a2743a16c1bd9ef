"""Figures of fits of final-loss laws: the fit against its runs, its residuals, its bootstrap draws in pairs, and its
forecast error against the distance of extrapolation."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._checks import check_level
from ..data import Runs, load_runs
from ..errors import ExtrapolationWarning, LawfitError
from ._common import _CMAP, _GRID, _LABELS, _N_LINES, _band_style, _figure, _finish, _span

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..fit import Fit
    from ..plan import Frontier
    from ..validate import Backtest

__all__ = ["plot_bootstrap_pairs", "plot_calibration", "plot_fit", "plot_residuals"]

_NEAR = 1.25  # a line at fixed N spans the compute of the runs within this factor of its N


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
    from ..diagnostics import (
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


def _predict(fit: Fit, **inputs: Any) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return np.asarray(fit.predict(**inputs), dtype=np.float64)


def _predict_interval(fit: Fit, level: float, **inputs: Any) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return fit.predict_interval(level, of="law", **inputs)


def _title(fit: Fit) -> str:
    law = fit.law
    text = law.name if law.name == law.formula else f"{law.name}: {law.target} = {law.formula}"
    return text if len(text) <= 90 else text[:87] + "..."
