"""Figures of hyperparameters: the optima of a sweep's cells, the laws of those optima, and the steps to a loss
against the batch size."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._checks import check_level
from ..errors import LawfitError
from ._common import _CMAP, _GRID, _LABELS, _N_LINES, _band_style, _figure, _finish, _quiet, _sparse_log_ticks

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..hparams import HparamLaw, Optima, PublishedLaw, Sweep
    from ..hparams.batch import BatchFit, CriticalBatch

__all__ = ["plot_critical_batch", "plot_hparam_law", "plot_optima"]

_MAX_PANELS = 12  # cells drawn by plot_optima unless told otherwise


_HPARAM_LABELS = {"lr": "learning rate", "batch": "batch size (tokens)"}


_SYMBOLS = {"lr": "lr*", "batch": "batch*"}


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
