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
from lawfit.cli import main
from lawfit.curves import fit_curves, load_curves
from lawfit.plan import compute_optimal, envelope, isoflop
from lawfit.plot import (
    plot_bootstrap_pairs,
    plot_calibration,
    plot_curves,
    plot_fit,
    plot_frontier,
    plot_isoflop,
    plot_residuals,
)
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
    return lawfit.fit(chinchilla_240, "chinchilla", bootstrap=200, seed=0)


@pytest.fixture(scope="module")
def held_out(chinchilla_240: lawfit.Runs) -> lawfit.Backtest:
    """The default back-test of chinchilla, its intervals calibrated on the runs below the cut (no bootstrap)."""
    return backtest(chinchilla_240, "chinchilla", level=0.9)


@pytest.fixture(scope="module")
def llama3() -> lawfit.plan.IsoFLOP:
    return isoflop(LLAMA3, x="D", columns=LLAMA3_COLUMNS, n_bootstrap=200, seed=0)


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
    fig = plot_fit(chinchilla_fit, chinchilla_240)
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
    ax = plot_fit(boot, chinchilla_240).axes[0]
    (band,) = _bands(ax)
    assert "95% interval of the frontier" in _legend(ax)
    narrow = _bands(plot_fit(boot, chinchilla_240, level=0.5).axes[0])[0]
    assert 0 < _band_width(narrow) < _band_width(band)
    assert _bands(plot_fit(replace(boot, bootstrap=None), chinchilla_240).axes[0]) == []


def test_fit_against_compute_marks_held_out_runs(chinchilla_fit, chinchilla_240, tmp_path) -> None:
    c = chinchilla_240.column("C")
    train, held = chinchilla_240.select(c < 5.4e20), chinchilla_240.select(c >= 5.4e20)
    fig = plot_fit(chinchilla_fit, train, x="C", held_out=held)
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
    ax = plot_fit(chinchilla_fit).axes[0]
    assert _points(ax) == [] and len(ax.lines) == 6
    low, high = chinchilla_fit.data["ranges"]["N"]
    assert ax.lines[0].get_xdata().min() == pytest.approx(low) and ax.lines[0].get_xdata().max() == pytest.approx(high)


def test_fit_of_one_input_law(chinchilla_240, tmp_path) -> None:
    power = lawfit.fit(chinchilla_240, "power", bootstrap=200, seed=0)
    fig = plot_fit(power, chinchilla_240)
    (ax,) = fig.axes  # no colour bar
    assert (ax.get_xscale(), ax.get_yscale(), ax.get_xlabel()) == ("log", "log", "compute C (FLOPs)")
    assert [line.get_label() for line in ax.lines] == ["law"] and len(_points(ax)) == 1 and len(_bands(ax)) == 1
    assert _legend(ax) == ["runs (240)", "law", "95% interval of the law"]
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
    fig = plot_frontier(compute_optimal(boot, budgets))
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
