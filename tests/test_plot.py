"""Figures, checked for structure on real data (the Chinchilla runs, the Llama 3 IsoFLOP points, Luo et al.'s training
curves): log axes, one series per drawn thing, a band exactly when there are bootstrap draws, held-out runs marked,
the forecast band equal to the library's, labels, files written; and the plot verb."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure

import lawfit
from lawfit import hparams
from lawfit.cli import main
from lawfit.curves import fit_curves, load_curves
from lawfit.plan import compute_optimal, envelope, isoflop
from lawfit.plot import (
    plot_bootstrap_pairs,
    plot_calibration,
    plot_critical_batch,
    plot_curves,
    plot_fit,
    plot_frontier,
    plot_hparam_law,
    plot_isoflop,
    plot_optima,
    plot_residuals,
)
from lawfit.report.gather import figure_frontier
from lawfit.validate import backtest

DATA = Path(__file__).parent / "data"  # see tests/data/PROVENANCE.md
LLAMA3 = DATA / "llama3_isoflops_points.csv"
LLAMA3_COLUMNS = {"C": "compute_budget", "D": "training_tokens", "loss": "validation_loss"}
LLAMA3_COLS = ["--col", "C=compute_budget", "--col", "D=training_tokens", "--col", "loss=validation_loss"]
WARMUP = "warmup=2160,peak=3e-4"
SCHEDULES = {
    "cosine_24000": f"cosine:steps=24000,final=3e-5,{WARMUP}",
    "constant_24000": f"constant:steps=24000,{WARMUP}",
    "wsd_20000_24000": f"wsd:steps=24000,final=3e-5,decay_start=20000,decay=geometric,{WARMUP}",
}


@pytest.fixture(scope="module")
def boot(chinchilla_240: lawfit.Runs) -> lawfit.Fit:
    return lawfit.fit(chinchilla_240, "chinchilla", n_resamples=200, seed=0)


@pytest.fixture(scope="module")
def held_out(chinchilla_240: lawfit.Runs) -> lawfit.Backtest:
    """The default back-test of chinchilla, its intervals calibrated on the runs below the cut (no bootstrap)."""
    return backtest(chinchilla_240, "chinchilla", level=0.9)


@pytest.fixture(scope="module")
def llama3() -> lawfit.plan.IsoFLOP:
    return isoflop(LLAMA3, x="D", columns=LLAMA3_COLUMNS, n_resamples=200, seed=0)


def _bands(ax) -> list:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def _points(ax) -> list:
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def _legend(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def _saves(fig, path: Path) -> None:
    """The figure saves, to a file well beyond one of empty axes of its size and format."""
    fig.savefig(path, dpi=80)
    empty = Figure(figsize=fig.get_size_inches())
    empty.add_subplot()
    blank = io.BytesIO()
    empty.savefig(blank, format=path.suffix[1:], dpi=80)
    assert path.stat().st_size > 1.5 * len(blank.getvalue())


def _band_width(band) -> float:
    y = band.get_paths()[0].vertices[:, 1]
    return float(y.max() - y.min())


# -- library ------------------------------------------------------------------------------------------------------


def test_importing_lawfit_does_not_import_matplotlib() -> None:
    code = "import sys, lawfit, lawfit.plot, lawfit.cli; assert 'matplotlib' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_matplotlib_a_plot_says_how_to_install_it(monkeypatch, chinchilla_fit) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails as if it were not installed
    with pytest.raises(lawfit.LawfitError, match=r"pip install 'lawfit\[plot\]'"):
        plot_fit(chinchilla_fit)
    with pytest.raises(lawfit.LawfitError, match=r"pip install 'lawfit\[plot\]'"):
        chinchilla_fit.plot()


def test_fit_of_n_and_d_lines_at_fixed_ratios_and_the_frontier(chinchilla_fit, chinchilla_240, tmp_path) -> None:
    fig = plot_fit(chinchilla_fit, chinchilla_240, frontier=figure_frontier(chinchilla_fit, chinchilla_240))
    ax, colorbar = fig.axes
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert ax.get_xlabel() == "parameters N" and ax.get_ylabel() == "loss" and "chinchilla" in ax.get_title()
    assert colorbar.get_ylabel() == "tokens per parameter D/N"
    (points,) = _points(ax)
    assert len(points.get_offsets()) == 240
    assert len(ax.lines) == 5 + 1  # five fixed ratios and the frontier
    assert _bands(ax) == []  # no bootstrap draws, no band
    frontier = ax.lines[-1]
    assert frontier.get_label() == "compute-optimal frontier"
    # The black line is the frontier: at N*(C) it is at the lowest loss the law reaches with C.
    expected = compute_optimal(chinchilla_fit, [1e20])
    n_star = float(expected.N[0])
    assert np.interp(np.log(n_star), np.log(frontier.get_xdata()), frontier.get_ydata()) == pytest.approx(
        float(expected.loss[0]), rel=1e-3
    )
    _saves(fig, tmp_path / "fit.png")


def test_fit_band_appears_exactly_with_bootstrap_draws(boot, chinchilla_240) -> None:
    frontier = figure_frontier(boot, chinchilla_240)
    ax = plot_fit(boot, chinchilla_240, frontier=frontier).axes[0]
    (band,) = _bands(ax)
    assert "90% interval of the frontier" in _legend(ax)
    narrow = _bands(plot_fit(boot, chinchilla_240, level=0.5, frontier=frontier).axes[0])[0]
    assert 0 < _band_width(narrow) < _band_width(band)
    plain = replace(boot, bootstrap=None)
    assert _bands(plot_fit(plain, chinchilla_240, frontier=figure_frontier(plain, chinchilla_240)).axes[0]) == []


def test_fit_draws_the_frontier_it_is_given_and_computes_none(chinchilla_fit, chinchilla_240, monkeypatch) -> None:
    # plot draws results; the analyses are the caller's: with the planner broken, the figure is still drawn
    import lawfit.plan.frontier

    given = compute_optimal(chinchilla_fit, np.geomspace(1e19, 1e21, 7))

    def broken(*args, **kwargs):
        raise AssertionError("plot_fit computed a frontier")

    monkeypatch.setattr(lawfit.plan.frontier, "compute_optimal", broken)
    monkeypatch.setattr(lawfit.plan, "compute_optimal", broken, raising=False)
    without = plot_fit(chinchilla_fit, chinchilla_240).axes[0]
    assert len(without.lines) == 5 and "compute-optimal frontier" not in _legend(without)
    drawn = plot_fit(chinchilla_fit, chinchilla_240, frontier=given).axes[0].lines[-1]
    assert drawn.get_label() == "compute-optimal frontier"
    np.testing.assert_array_equal(drawn.get_xdata(), given.N)  # the frontier given, at its own budgets
    np.testing.assert_array_equal(drawn.get_ydata(), given.loss)


def test_fit_against_compute_marks_held_out_runs(chinchilla_fit, chinchilla_240, tmp_path) -> None:
    c = chinchilla_240.column("C")
    train, held = chinchilla_240.select(c < 5.4e20), chinchilla_240.select(c >= 5.4e20)
    fig = plot_fit(chinchilla_fit, train, x="C", held_out=held, frontier=figure_frontier(chinchilla_fit, train, held))
    ax, colorbar = fig.axes
    assert ax.get_xlabel() == "compute C (FLOPs)" and colorbar.get_ylabel() == "parameters N"
    fitted, hollow = _points(ax)
    assert len(fitted.get_offsets()) == len(train) and len(fitted.get_facecolor()) > 0
    assert len(hollow.get_offsets()) == len(held) and len(hollow.get_facecolor()) == 0  # hollow markers
    assert _legend(ax)[:2] == [f"runs ({len(train)})", f"held out ({len(held)})"]
    assert len(ax.lines) == 5 + 1
    assert ax.lines[-1].get_xdata().max() == pytest.approx(c.max())  # the frontier reaches the held-out runs
    _saves(fig, tmp_path / "held_out.pdf")


def test_fit_without_data_draws_the_law_over_the_fitted_ranges(chinchilla_fit) -> None:
    ax = plot_fit(chinchilla_fit, frontier=figure_frontier(chinchilla_fit)).axes[0]
    assert _points(ax) == [] and len(ax.lines) == 6
    low, high = chinchilla_fit.runs_summary["ranges"]["N"]
    assert ax.lines[0].get_xdata().min() == pytest.approx(low) and ax.lines[0].get_xdata().max() == pytest.approx(high)


def test_fit_of_one_input_law(chinchilla_240, tmp_path) -> None:
    power = lawfit.fit(chinchilla_240, "power", n_resamples=200, seed=0)
    fig = plot_fit(power, chinchilla_240)
    (ax,) = fig.axes  # no colour bar
    assert (ax.get_xscale(), ax.get_yscale(), ax.get_xlabel()) == ("log", "log", "compute C (FLOPs)")
    assert [line.get_label() for line in ax.lines] == ["law"] and len(_points(ax)) == 1 and len(_bands(ax)) == 1
    assert _legend(ax) == ["runs (240)", "law", "90% interval of the law"]
    assert _bands(plot_fit(replace(power, bootstrap=None), chinchilla_240).axes[0]) == []
    with pytest.raises(lawfit.LawfitError, match="'x' of a plot of power must be one of C"):
        plot_fit(power, chinchilla_240, x="N")
    _saves(fig, tmp_path / "power.svg")


def test_fit_of_a_law_with_a_third_input_shows_the_law_at_each_run() -> None:
    law = lawfit.get_law("data_constrained")
    params = {"E": 1.9, "A": 400.0, "B": 1500.0, "alpha": 0.34, "beta": 0.28, "R_D": 15.0, "R_N": 5.0}
    f = lawfit.Fit(law=law, params=params, objective=0.0, n_points=4, converged=True, message="given")
    n = np.array([1e8, 2e8, 4e8, 8e8])
    runs = {"N": n, "D": 20 * n, "U": 5 * n, "loss": law.predict(params, N=n, D=20 * n, U=5 * n) * 1.01}
    ax = plot_fit(f, runs).axes[0]
    _, crosses = _points(ax)
    assert crosses.get_label() == "law at each run"
    np.testing.assert_allclose(crosses.get_offsets()[:, 1], runs["loss"] / 1.01)
    with pytest.raises(lawfit.LawfitError, match="cannot be drawn as one line"):
        plot_fit(f)


def test_residuals_are_log_ratios_around_a_zero_line(chinchilla_fit, chinchilla_240, tmp_path) -> None:
    fig = plot_residuals(chinchilla_fit, chinchilla_240)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "parameters N"
    assert ax.get_ylabel() == "log residual ln(loss / law)" and "RMS" in ax.get_title()
    (zero,) = ax.lines
    assert list(zero.get_ydata()) == [0.0, 0.0]
    (points,) = _points(ax)
    expected = np.log(chinchilla_240.column("loss") / chinchilla_fit.predict(**chinchilla_240.inputs(["N", "D"])))
    np.testing.assert_allclose(points.get_offsets()[:, 1], expected)
    assert plot_residuals(chinchilla_fit, chinchilla_240, x="C").axes[0].get_xlabel() == "compute C (FLOPs)"
    _saves(fig, tmp_path / "residuals.png")


def test_bootstrap_pairs_show_each_pair_and_its_correlation(boot, chinchilla_fit, tmp_path) -> None:
    fig = plot_bootstrap_pairs(boot)
    assert len(fig.axes) == 15  # five histograms, ten pairs
    pairs = [ax for ax in fig.axes if ax.collections]
    assert len(pairs) == 10
    assert all(len(ax.collections[0].get_offsets()) == int(boot.bootstrap.converged.sum()) for ax in pairs)
    assert [ax.get_xlabel() for ax in fig.axes[-5:]] == ["log10 E", "log10 A", "log10 B", "alpha", "beta"]
    assert fig.get_suptitle().startswith("bootstrap draws of chinchilla: 200 refits")
    small = plot_bootstrap_pairs(boot, ["A", "alpha"])
    (hist_a, scatter, hist_alpha) = small.axes
    # Chinchilla's A and alpha are nearly unidentifiable apart (Besiroglu et al.): the panel's correlation says so.
    r = float(scatter.texts[0].get_text().split("=")[1])
    assert r > 0.99 and len(hist_a.patches) == 30 and len(hist_alpha.patches) == 30
    _saves(small, tmp_path / "pairs.png")
    with pytest.raises(lawfit.LawfitError, match="needs bootstrap draws"):
        plot_bootstrap_pairs(chinchilla_fit)
    with pytest.raises(lawfit.LawfitError, match="two or more distinct parameters"):
        plot_bootstrap_pairs(boot, ["A", "gamma"])


def _line(ax, gid: str):
    (line,) = [line for line in ax.lines if line.get_gid() == gid]
    return line


def _relative_band(calibration, distance, level) -> tuple[np.ndarray, np.ndarray]:
    """The band of (predicted - actual) / actual in %, from the library's own interval around a prediction of 1."""
    low, high = calibration.interval(1.0, distance, level)
    return 100.0 * (1.0 / high - 1.0), 100.0 * (1.0 / low - 1.0)


def test_calibration_points_are_the_nested_back_tests_and_the_band_is_the_librarys(boot, tmp_path) -> None:
    cal = boot.calibration
    assert cal is not None and cal.calibrated
    fig = plot_calibration(boot)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "decades of C beyond the largest fitted run: log10(C / largest C)"
    assert ax.get_ylabel() == "relative error (predicted - actual) / actual, %"
    cuts = [p for p in _points(ax) if p.get_label().startswith("fitted below C = ")]
    assert len(cuts) == len(cal.cuts) == 4
    assert sum(len(p.get_offsets()) for p in cuts) == cal.error.size == 349
    for j, points in enumerate(cuts):  # one colour per cut, each at its runs' distances and errors
        mine = cal.cut_index == j
        np.testing.assert_allclose(points.get_offsets()[:, 0], cal.distance[mine])
        np.testing.assert_allclose(points.get_offsets()[:, 1], 100.0 * (np.exp(-cal.error[mine]) - 1.0))
    low, high = _line(ax, "band_low"), _line(ax, "band_high")
    distance = low.get_xdata()
    assert distance[0] == 0.0 and distance[-1] >= cal.distance.max()
    expected_low, expected_high = _relative_band(cal, distance, 0.9)
    np.testing.assert_allclose(low.get_ydata(), expected_low, rtol=1e-9)
    np.testing.assert_allclose(high.get_ydata(), expected_high, rtol=1e-9)
    assert np.all(np.diff(high.get_ydata() - low.get_ydata()) >= 0)  # wider the further out
    assert len(_bands(ax)) == 1 and "90% forecast interval, calibrated on these runs" in _legend(ax)
    # No back-test, nothing held out: only the cuts' points, no dashed band.
    assert len(_points(ax)) == 4 and not any(line.get_linestyle() == "--" for line in ax.lines)
    narrow = _line(plot_calibration(boot, level=0.5).axes[0], "band_high").get_ydata()
    assert np.all(narrow < high.get_ydata())
    _saves(fig, tmp_path / "calibration.png")


def test_calibration_with_a_backtest_draws_its_held_out_runs(boot, held_out, tmp_path) -> None:
    train = held_out.train_fit.calibration
    assert held_out.interval == "forecast" and train is not None and train.calibrated
    ax = plot_calibration(boot, held_out).axes[0]
    inside, outside = (p for p in _points(ax) if p.get_label().startswith("held out"))
    covered = held_out.table["covered"].to_numpy(dtype=bool)
    assert inside.get_label() == f"held out, inside their forecast interval ({covered.sum()})"
    assert outside.get_label() == f"held out, outside it ({(~covered).sum()})"
    assert len(inside.get_offsets()) + len(outside.get_offsets()) == held_out.n_test == 53
    distance = np.log10(held_out.table["C"].to_numpy() / train.top)  # beyond the largest run below the cut
    np.testing.assert_allclose(inside.get_offsets()[:, 0], distance[covered])
    np.testing.assert_allclose(outside.get_offsets()[:, 1], 100.0 * held_out.table["rel_error"].to_numpy()[~covered])
    assert train.top < held_out.cut and distance.min() > 0
    # The dashed band is the one the held-out runs were judged by: the fit below the cut's, at the back-test's level.
    low = _line(ax, "backtest_band_low")
    assert low.get_linestyle() == "--"
    expected_low, expected_high = _relative_band(train, low.get_xdata(), held_out.level)
    np.testing.assert_allclose(low.get_ydata(), expected_low, rtol=1e-9)
    np.testing.assert_allclose(_line(ax, "backtest_band_high").get_ydata(), expected_high, rtol=1e-9)
    assert len([p for p in _points(ax) if p.get_label().startswith("fitted below")]) == 4
    _saves(ax.figure, tmp_path / "calibration.svg")


def test_calibration_needs_a_calibrated_fit(chinchilla_fit, boot) -> None:
    assert chinchilla_fit.calibration is None  # no bootstrap, not auto: not calibrated by default
    with pytest.raises(lawfit.LawfitError, match="calibrate=True"):
        plot_calibration(chinchilla_fit)
    note = "the runs allow 1 nested back-test cut(s)"
    uncalibrated = replace(boot, calibration=replace(boot.calibration, note=note))
    with pytest.raises(lawfit.LawfitError, match=r"uncalibrated, so there is no band to draw: the runs allow 1"):
        plot_calibration(uncalibrated)
    with pytest.raises(lawfit.LawfitError, match="'level' parameter of plot_calibration must be a float in"):
        plot_calibration(boot, level=90)


def test_isoflop_parabolas_optima_and_power_laws(llama3, tmp_path) -> None:
    fig = plot_isoflop(llama3)
    left, right, colorbar = fig.axes
    assert left.get_xscale() == "log" and left.get_xlabel() == "tokens D" and left.get_ylabel() == "loss"
    assert colorbar.get_ylabel() == "budget compute C (FLOPs)"
    assert len(left.lines) == 10  # one parabola per budget
    runs, optima = _points(left)  # no outliers, no flagged budgets in the Llama 3 points
    assert len(runs.get_offsets()) == len(llama3.points)
    np.testing.assert_allclose(optima.get_offsets(), llama3.optima[["D", "loss"]].to_numpy())
    assert (right.get_xscale(), right.get_yscale()) == ("log", "log")
    assert len(right.lines) == 2 and len(_bands(right)) == 2  # N* and D*, with bootstrap bands
    assert right.get_legend().get_texts()[2].get_text().startswith("D* = 0.299 C^0.537")
    _saves(fig, tmp_path / "isoflop.png")
    assert _bands(plot_isoflop(isoflop(LLAMA3, x="D", columns=LLAMA3_COLUMNS)).axes[1]) == []


def test_isoflop_marks_outliers() -> None:
    table = pd.read_csv(LLAMA3)
    row = table.index[table["compute_budget"] == table["compute_budget"].min()][8]
    table.loc[row, "validation_loss"] *= 1.1
    result = isoflop(table, x="D", columns=LLAMA3_COLUMNS)
    assert int(result.points["outlier"].sum()) == 1
    left = plot_isoflop(result).axes[0]
    outliers = _points(left)[-1]
    assert outliers.get_label() == "outlier (1)"
    np.testing.assert_allclose(outliers.get_offsets()[0, 1], table.loc[row, "validation_loss"])


def test_envelope_draws_the_curves_and_their_lower_envelope() -> None:
    sizes = np.logspace(7, 10, 12)
    n, d = (a.ravel() for a in np.meshgrid(sizes, np.logspace(8, 12, 30), indexing="ij"))
    left, right = plot_isoflop(envelope({"N": n, "D": d, "loss": 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28})).axes
    assert len(left.lines) == 12 + 1 and left.lines[-1].get_label() == "lower envelope"
    assert (right.get_xscale(), right.get_yscale()) == ("log", "log") and _bands(right) == []


def test_frontier_with_and_without_draws(boot, chinchilla_fit, tmp_path) -> None:
    budgets = np.geomspace(1e19, 1e22, 30)
    fig = plot_frontier(compute_optimal(boot, budgets, level=0.95))
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale(), ax.get_xlabel()) == ("log", "log", "compute C (FLOPs)")
    n_line, d_line = ax.lines
    assert n_line.get_label().startswith("N* (exponent 0.514, 95% [") and d_line.get_label().startswith("D*")
    assert len(_bands(ax)) == 2 and "chinchilla" in ax.get_title()
    _saves(fig, tmp_path / "frontier.png")
    plain = compute_optimal(chinchilla_fit, [1e20, 1e21, 1e22]).plot().axes[0]
    assert _bands(plain) == [] and plain.lines[0].get_marker() == "o"  # few budgets: markers


def test_training_curves_with_held_out_schedule(tmp_path) -> None:
    curves = [
        load_curves({name: pd.read_csv(DATA / "mpl" / "csv_25" / f"{name}.csv")}, schedules={name: text})[0]
        for name, text in SCHEDULES.items()
    ]
    cf = fit_curves(curves[:2], "annealing")
    fig = plot_curves(cf, curves)
    top, bottom = fig.axes
    assert (top.get_xscale(), top.get_yscale()) == ("linear", "linear")
    assert top.get_ylabel() == "loss" and bottom.get_ylabel() == "learning rate" and bottom.get_xlabel() == "step"
    assert len(top.lines) == 3 and len(top.collections) == 3 and len(bottom.lines) == 3
    assert [c.get_label() for c in top.collections] == ["cosine_24000", "constant_24000", "wsd_20000_24000 (held out)"]
    assert len(top.collections[2].get_facecolor()) == 0 and len(top.collections[0].get_facecolor()) > 0
    line = top.lines[2]
    np.testing.assert_allclose(line.get_ydata(), cf.predict(curves[2], line.get_xdata()))
    np.testing.assert_array_equal(bottom.lines[0].get_ydata(), curves[0].lr)
    _saves(fig, tmp_path / "curves.png")
    assert len(cf.plot(curves[0]).axes[0].lines) == 1


def test_thin_methods_dispatch(chinchilla_fit, chinchilla_240, boot, llama3) -> None:
    assert chinchilla_fit.plot(data=chinchilla_240).axes[0].get_xlabel() == "parameters N"
    assert chinchilla_fit.plot("residuals", data=chinchilla_240).axes[0].get_ylabel().startswith("log residual")
    assert len(boot.plot("pairs", params=["B", "beta"]).axes) == 3
    assert len(llama3.plot().axes) == 3
    with pytest.raises(lawfit.LawfitError, match=r"'kind' of Fit\.plot must be one of fit, residuals, pairs"):
        chinchilla_fit.plot("frontier")


# -- the plot verb ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_fit(boot, tmp_path_factory) -> str:
    return str(boot.save(tmp_path_factory.mktemp("plot") / "chinchilla.json"))


def _png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_plot_verb_writes_each_kind(saved_fit, tmp_path, capsys) -> None:
    data = ["--dataset", "chinchilla", "--drop-highest-loss", "5"]
    for kind, extra in [
        ("fit", data),
        ("residuals", [*data, "--x", "C"]),
        ("pairs", ["--params", "A,alpha,B,beta"]),
        ("calibration", ["--level", "0.9"]),
        ("frontier", ["--compute", "1e20,1e22"]),
    ]:
        out = tmp_path / f"{kind}.png"
        assert main(["plot", saved_fit, "--kind", kind, *extra, "-o", str(out)]) == 0
        _png(out)
        assert capsys.readouterr().out.strip() == f"figure     {out} ({kind})"
    out = tmp_path / "isoflop.svg"
    argv = ["plot", str(LLAMA3), "--kind", "isoflop", *LLAMA3_COLS, "--x", "D", "--bootstrap", "50", "-o", str(out)]
    assert main(argv) == 0
    assert out.read_text().lstrip().startswith("<?xml")


def test_plot_verb_held_out_runs(saved_fit, tmp_path) -> None:
    runs = lawfit.datasets.chinchilla(drop_highest_loss=5).table
    train, held = tmp_path / "train.csv", tmp_path / "held.csv"
    runs[runs["C"] < 5.4e20][["N", "C", "loss"]].to_csv(train, index=False)
    runs[runs["C"] >= 5.4e20][["N", "C", "loss"]].to_csv(held, index=False)
    out = tmp_path / "held.png"
    assert main(["plot", saved_fit, "--data", str(train), "--held-out", str(held), "--x", "C", "-o", str(out)]) == 0
    _png(out)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--kind", "bogus", "-o", "x.png"], "Unknown plot kind 'bogus'"),
        (["--kind", "fit"], "needs -o FIG.png"),
        (["-o", "x.jpg"], "must end in .png, .pdf or .svg"),
        (["--kind", "frontier", "-o", "x.png"], "--kind frontier needs the budgets"),
        (["--kind", "pairs", "--params", "A,zeta", "-o", "x.png"], "two or more distinct parameters"),
    ],
)
def test_plot_verb_refuses_bad_input_in_one_line(saved_fit, tmp_path, capsys, argv, message) -> None:
    argv = [str(tmp_path / a) if a.startswith("x.") else a for a in argv]
    assert main(["plot", saved_fit, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not list(tmp_path.glob("x.*"))


def test_plot_verb_needs_the_fit_file(capsys) -> None:
    assert main(["plot", "--kind", "fit", "-o", "x.png"]) == 2
    assert "Give the saved fit" in capsys.readouterr().err


def test_figure_dispatches_on_the_type_of_the_result(chinchilla_fit, chinchilla_240, llama3) -> None:
    from lawfit.plot import figure

    ax = figure(chinchilla_fit, chinchilla_240).axes[0]  # plot_fit: the runs and five lines, no frontier given
    assert ax.get_xlabel() == "parameters N" and len(ax.lines) == 5 and len(_points(ax)) == 1
    frontier = compute_optimal(chinchilla_fit, [1e20, 1e21, 1e22])
    assert figure(frontier).axes[0].get_title() == plot_frontier(frontier).axes[0].get_title()
    assert len(figure(llama3).axes[0].lines) == len(plot_isoflop(llama3).axes[0].lines)

    class Fit:  # a Fit by name only, not lawfit's
        pass

    with pytest.raises(
        lawfit.LawfitError,
        match=r"must be one of lawfit's results \(BatchFit, CriticalBatch, CurveFit, Fit, Frontier, HparamLaw, ",
    ):
        figure(Fit())
    with pytest.raises(lawfit.LawfitError, match=r"Got a dict instead"):
        figure({})


# -- hyperparameters: sweeps, optima, laws, critical batch -------------------------------------------------------

MARIN = DATA / "hparam_sweeps_marin" / "sweep_lr_batch.csv"  # see its PROVENANCE.md
ZHANG = DATA / "critical_batch_zhang2024" / "cbs_chinchilla_steps_to_target.csv"


def _by_gid(ax, gid: str) -> list:
    return [a for a in (*ax.lines, *ax.collections, *ax.patches) if a.get_gid() == gid]


def _lr_sweep() -> dict[str, np.ndarray]:
    """Cells N in {1e8, 2e8, 4e8} at D = 20 N, each a 7-point lr grid about lr* = 3e-3 (N/1e8)^-0.5, a little noise."""
    rng = np.random.default_rng(3)
    n = np.repeat([1e8, 2e8, 4e8], 7)
    best = 3e-3 * (n / 1e8) ** -0.5
    lr = best * np.tile(2.0 ** (np.arange(7) - 3.3), 3)
    loss = 3 + 0.03 * np.log(lr / best) ** 2 + 0.002 * rng.standard_normal(n.size)
    return {"N": n, "D": 20 * n, "lr": lr, "loss": loss}


@pytest.fixture(scope="module")
def lr_sweep():
    return hparams.load_sweep(_lr_sweep())


@pytest.fixture(scope="module")
def lr_optima(lr_sweep):
    return hparams.cell_optima(lr_sweep, n_resamples=200, seed=0)


@pytest.fixture(scope="module")
def plane():
    """Two cells, each a 6 x 5 grid of learning rates and batch sizes about a known optimum (a 2-D quadratic)."""
    rng = np.random.default_rng(4)
    rows = []
    for n in (1e8, 4e8):
        for lr in 2.0 ** np.arange(-11, -5):
            for batch in 2.0 ** np.arange(17, 22):
                loss = 3 + 0.02 * np.log(lr / (3e-3 * (n / 1e8) ** -0.5)) ** 2 + 0.01 * np.log(batch / 5e5) ** 2
                rows.append({"N": n, "D": 20 * n, "lr": lr, "batch_tokens": batch, "loss": loss + 1e-3 * rng.normal()})
    sweep = hparams.load_sweep(pd.DataFrame(rows))
    return sweep, hparams.cell_optima(sweep, n_resamples=200, seed=0)


def test_optima_of_a_one_at_a_time_sweep_draw_the_fitted_quadratic_and_optimum(lr_sweep, lr_optima, tmp_path):
    law = hparams.fit_law(lr_optima, "lr", "N")
    fig = plot_optima(lr_optima, lr_sweep, laws=[law, hparams.published("step-law")])
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 3
    for ax, c in zip(axes, lr_optima.cells, strict=True):
        assert ax.get_xscale() == "log" and ax.get_xlabel() == "learning rate"
        (star,) = _by_gid(ax, "optimum")
        np.testing.assert_allclose(star.get_offsets()[0], [c.value, c.loss])
        (quadratic,) = _by_gid(ax, "quadratic")  # the optimum's own quadratic: its minimum is the star
        x, y = quadratic.get_xdata(), quadratic.get_ydata()
        np.testing.assert_allclose(y, np.polyval(c.curve[::-1], np.log(x)))
        assert y.min() == pytest.approx(c.loss, rel=1e-6) and x[np.argmin(y)] == pytest.approx(c.value, rel=0.05)
        (interval,) = _by_gid(ax, "interval")
        assert (interval.get_x(), interval.get_x() + interval.get_width()) == pytest.approx((c.low, c.high))
        (near,) = _by_gid(ax, "near")
        assert near.get_segments()[0][:, 0].tolist() == pytest.approx([c.near_low, c.near_high])
        fitted, published = _by_gid(ax, "law")  # each law's prediction at the cell, a vertical line
        assert fitted.get_xdata()[0] == pytest.approx(float(law.predict(N=c.cell["N"])))
        step = hparams.published("step-law").lr(N=c.cell["N"], D=c.cell["D"])
        assert published.get_xdata()[0] == pytest.approx(float(step))
    _saves(fig, tmp_path / "optima.png")


def test_optima_without_the_sweep_draw_the_curves_only_and_refit_nothing(lr_optima, monkeypatch):
    import lawfit.hparams.optimum

    def broken(*args, **kwargs):
        raise AssertionError("the figure fitted a quadratic")

    monkeypatch.setattr(lawfit.hparams.optimum, "_fit_quadratic", broken)
    fig = plot_optima(lr_optima, cells=[1])
    (ax,) = [ax for ax in fig.axes if ax.get_visible()]
    assert len(_by_gid(ax, "quadratic")) == 1 and "N=2e+08" in ax.get_title()
    assert not [c for c in _points(ax) if c.get_gid() is None]  # no runs: only the optimum
    with pytest.raises(lawfit.LawfitError, match="must be positions among the 3 cells"):
        plot_optima(lr_optima, cells=[5])


def test_optima_on_a_grid_draw_the_loss_plane_with_the_optimum_and_the_near_optimal_contour(plane, tmp_path):
    sweep, optima = plane
    lr_law, batch_law = hparams.fit_law(optima, "lr", "N"), hparams.fit_law(optima, "batch", "N")
    fig = plot_optima(optima, sweep, laws=[lr_law, batch_law])
    panels = [ax for ax in fig.axes if ax.get_xlabel() == "learning rate"]
    assert len(panels) == 2  # one plane per cell, each with its colour bar
    for ax, n in zip(panels, (1e8, 4e8), strict=True):
        lr, batch = optima.of("lr", N=n)[0], optima.of("batch", N=n)[0]
        assert lr.method == "quadratic-2d" and ax.get_ylabel() == "batch size (tokens)"
        (star,) = _by_gid(ax, "optimum")
        np.testing.assert_allclose(star.get_offsets()[0], [lr.value, batch.value])
        assert lr.value == pytest.approx(3e-3 * (n / 1e8) ** -0.5, rel=0.1) and batch.value == pytest.approx(
            5e5, rel=0.2
        )
        (cross,) = _by_gid(ax, "prediction")
        np.testing.assert_allclose(cross.get_offsets()[0], [lr_law.predict(N=n), batch_law.predict(N=n)])
        assert _by_gid(ax, "near")  # the contour of the fitted surface 1% above its minimum
        heat = [c for c in _points(ax) if c.get_array() is not None and c.get_gid() is None]
        assert len(heat[0].get_offsets()) == 30  # every run of the cell, coloured by its loss
    _saves(fig, tmp_path / "plane.svg")


def test_hparam_law_draws_the_law_its_band_and_the_optima_with_their_intervals(lr_optima, tmp_path):
    law = hparams.fit_law(lr_optima, "lr", "N")
    fig = plot_hparam_law(law, lr_optima, published=[hparams.published("step-law")])
    (ax,) = fig.axes
    assert (ax.get_xscale(), ax.get_yscale(), ax.get_xlabel()) == ("log", "log", "parameters N")
    (line,) = _by_gid(ax, "law")
    np.testing.assert_allclose(line.get_ydata(), law.predict(N=line.get_xdata()))
    (band,) = _bands(ax)
    low, high = law.predict_interval(N=line.get_xdata())
    vertices = band.get_paths()[0].vertices[:, 1]
    assert vertices.min() == pytest.approx(low.min(), rel=1e-9) and vertices.max() == pytest.approx(
        high.max(), rel=1e-9
    )
    published = [line for line in ax.lines if line.get_label() == "step-law (published)"]
    np.testing.assert_allclose(
        published[0].get_ydata(), hparams.published("step-law").lr(N=line.get_xdata(), D=20 * line.get_xdata())
    )
    (optima_bars,) = ax.containers
    points = optima_bars.lines[0]
    np.testing.assert_allclose(points.get_ydata(), [c.value for c in lr_optima.cells])
    (bars,) = optima_bars.lines[2]
    tops = np.array([segment[:, 1].max() for segment in bars.get_segments()])
    np.testing.assert_allclose(tops, [c.high for c in lr_optima.cells])
    with pytest.raises(lawfit.LawfitError, match=r"'x' of plot_hparam_law must be a size of the law's cells"):
        plot_hparam_law(law, x="U")
    _saves(fig, tmp_path / "law.pdf")


def test_hparam_law_of_n_and_d_on_marin_draws_a_line_per_ratio_and_bounds_hollow(tmp_path):
    sweep = hparams.load_sweep(MARIN, columns={"N": "N_nonembed", "D": "D_target_tokens"}, cell_by=["optimizer"])
    with pytest.warns(lawfit.EdgeWarning):
        optima = hparams.cell_optima(sweep, n_resamples=100, skip_single=True)
    law = hparams.fit_law(optima, "lr", "N,D", where={"optimizer": "adamw"})
    ax = plot_hparam_law(law, optima).axes[0]
    ratios = {round(p["D"] / p["N"]) for p in law.points}
    assert len(_by_gid(ax, "law")) == len(ratios) == 4
    for line in _by_gid(ax, "law"):
        ratio = float(line.get_label().rsplit("= ", 1)[1])
        np.testing.assert_allclose(
            line.get_ydata(), law.predict(N=line.get_xdata(), D=ratio * line.get_xdata()), rtol=1e-3
        )
    edge = sum(p["at_edge"] for p in law.points)
    assert f"cell optima at the edge of their sweep ({edge})" in _legend(ax) and "adamw" in ax.get_title()
    _saves(fig := ax.figure, tmp_path / "marin.png")
    assert isinstance(fig, Figure)


def test_critical_batch_draws_each_hyperbola_both_critical_batches_and_the_laws(tmp_path):
    from lawfit.hparams.batch import critical_batch

    result = critical_batch(ZHANG, seq_len=512, n_resamples=100)
    fig = plot_critical_batch(result)
    left, right = fig.axes
    assert left.get_xlabel() == "batch size (sequences)" and left.get_yscale() == "log"
    lines = _by_gid(left, "hyperbola")
    assert len(lines) == len(result.fits) == 5
    for line, f in zip(lines, result.fits, strict=True):
        np.testing.assert_allclose(line.get_ydata(), f.S_min + f.E_min / line.get_xdata())
    b_crit = np.vstack([c.get_offsets() for c in _by_gid(left, "B_crit")])
    np.testing.assert_allclose(b_crit, [[f.B_crit, 2 * f.S_min] for f in result.fits])  # S(B_crit) = 2 S_min
    cbs = np.vstack([c.get_offsets() for c in _by_gid(left, "CBS")])
    np.testing.assert_allclose(cbs[:, 0], [f.CBS for f in result.fits])
    (law,) = _by_gid(right, "law CBS")
    np.testing.assert_allclose(law.get_ydata(), 93.197 * (law.get_xdata() / 1e6) ** 0.4683, rtol=2e-3)
    single = plot_critical_batch(result.fits[0])
    assert len(single.axes) == 1 and "S_min = " in " ".join(_legend(single.axes[0]))
    _saves(fig, tmp_path / "cbs.png")


def test_figure_dispatches_hparam_results(lr_sweep, lr_optima):
    from lawfit.hparams.batch import BatchFit
    from lawfit.plot import figure

    assert figure(lr_optima, lr_sweep).axes[0].get_xlabel() == "learning rate"
    assert figure(hparams.fit_law(lr_optima, "lr", "N")).axes[0].get_xlabel() == "parameters N"
    assert figure(BatchFit.from_values(S_min=1e3, E_min=1e6)).axes[0].get_xlabel() == "batch size"
