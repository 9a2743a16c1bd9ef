"""What lawfit shows: issue 13's defects in its outputs, one test each. The report's held-out table hides no run;
identifiability is judged once and said alike in text and figures; log-scale parameters show a multiplicative spread,
not a linear standard error; a target's interval does not depend on the other targets asked with it; intervals are
printed with the digits that show their width, in the unit of their value; figures label their lines, mark where
the data end, find the runs through the saved fit, and name the data set rather than its install path."""

from __future__ import annotations

import html
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import lawfit
from lawfit import datasets, diagnostics
from lawfit import uncertainty as unc
from lawfit.cli import main
from lawfit.report import gather, render


@pytest.fixture(scope="module")
def boot(chinchilla_fit_200: lawfit.Fit) -> lawfit.Fit:
    return chinchilla_fit_200  # 200 draws: the size of the other bootstraps of these runs, one compiled program


@pytest.fixture(scope="module")
def saved(boot: lawfit.Fit, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return boot.save(tmp_path_factory.mktemp("fit") / "fit.json")


# -- the held-out table --------------------------------------------------------------------------------------------


def _backtest_like(n: int) -> SimpleNamespace:
    """A back-test's table of ``n`` held-out runs by C, the worst miss in the middle, the largest last."""
    c = np.geomspace(1e20, 1e23, n)
    error = np.linspace(-0.01, 0.01, n)
    error[n // 2] = 0.2
    table = pd.DataFrame(
        {"run": [f"run{i:03d}" for i in range(n)], "C": c, "actual": 2.0, "predicted": 2.0 * (1 + error)}
    )
    table["rel_error"] = error
    return SimpleNamespace(table=table, by="C")


def test_the_held_out_table_shows_every_run_the_worst_and_the_largest_first() -> None:
    bt = _backtest_like(80)
    page = render.blocks_html(gather._held_out_table(bt, max_rows=50))
    names = re.findall(r"<td>(run\d{3})</td>", page)
    assert sorted(names) == sorted(bt.table["run"])  # all 80, none hidden
    assert names[:2] == ["run040", "run079"]  # the worst miss, then the largest run
    assert "<details>" in page and "worst miss" in page and "largest" in page


# -- identifiability -----------------------------------------------------------------------------------------------


def test_identifiability_is_judged_once_and_said_alike_in_text_and_figure(boot: lawfit.Fit) -> None:
    pytest.importorskip("matplotlib")
    from lawfit.plot import plot_bootstrap_pairs

    text = diagnostics.identifiability_summary(boot)
    fig = plot_bootstrap_pairs(boot)
    said = {}
    for ax in fig.axes:
        labels = [t.get_text() for t in ax.texts]
        if labels and labels[0].startswith("r = "):
            said[labels[0]] = labels[1] if len(labels) > 1 else ""
    strong = {r: verdict for r, verdict in said.items() if verdict}
    # Hoffmann's (A, alpha) and (B, beta) are strongly correlated: the figure says so, and the text names them with
    # the very same r.
    assert len(strong) >= 2
    for r, verdict in strong.items():
        assert r.removeprefix("r = ") in text
        assert verdict.capitalize() in text
    assert "A and alpha" in text and "B and beta" in text
    assert "no pair" not in render.blocks_html(gather._diagnostics_body(boot)).lower()
    assert text in html.unescape(render.blocks_html(gather._diagnostics_body(boot)))


# -- spreads of log-scale parameters --------------------------------------------------------------------------------


def test_log_scale_parameters_show_a_factor_not_a_linear_stderr(boot: lawfit.Fit) -> None:
    rows = {line.split()[0]: line for line in boot.summary().splitlines() if line.startswith("  ")}
    for name in ("E", "A", "B"):  # log-scale
        assert "×/÷" in rows[name]
        factor = float(rows[name].split("×/÷")[1].split()[0])
        draws = np.log(unc.param_draws(boot)[name])
        assert factor == pytest.approx(np.exp(np.std(draws, ddof=1)), rel=1e-2)
    for name in ("alpha", "beta"):
        assert f"±{boot.stderr[name]:.4g}" in rows[name]
    body = render.blocks_html(gather._fit_body(boot, 0.95))
    assert body.count("×/÷") >= 3 and f"{boot.stderr['A']:.4g}" not in body


# -- run intervals -------------------------------------------------------------------------------------------------


def test_a_run_interval_does_not_depend_on_the_other_targets(boot: lawfit.Fit, monkeypatch: pytest.MonkeyPatch) -> None:
    alone = boot.predict_interval(0.9, of="run", N=7e10, D=1.4e12)
    n = np.array([1e9, 7e10, 1e11])
    d = np.array([2e10, 1.4e12, 2e12])
    together = boot.predict_interval(0.9, of="run", N=n, D=d)
    assert float(alone[0]) == together[0][1] and float(alone[1]) == together[1][1]
    many_n, many_d = np.geomspace(1e8, 1e10, 40), np.geomspace(1e9, 1e11, 40)
    whole = boot.predict_interval(0.9, of="run", N=many_n, D=many_d)
    monkeypatch.setattr(unc, "MEMORY_BUDGET", 100 * 64 * 7)  # chunks of 7 points
    chunked = boot.predict_interval(0.9, of="run", N=many_n, D=many_d)
    assert np.array_equal(whole[0], chunked[0]) and np.array_equal(whole[1], chunked[1])
    # Honest: wider than the law's own interval, and distinct points get independent noise.
    law = boot.predict_interval(0.9, of="law", N=7e10, D=1.4e12)
    assert float(alone[1] - alone[0]) > float(law[1] - law[0])
    index = unc.noise_index(0, {"N": many_n, "D": many_d}, 2000, 240)
    assert abs(np.corrcoef(index[:, 3], index[:, 4])[0, 1]) < 0.1


# -- number formats ------------------------------------------------------------------------------------------------


def test_intervals_print_the_digits_that_show_their_width(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["optimal", str(saved), "--compute", "1e21"]) == 0
    out = capsys.readouterr().out
    low, high = re.search(r"loss \[([\d.]+), ([\d.]+)\]", out).groups()
    assert low != high and len(low.replace(".", "")) >= 4 and len(high.replace(".", "")) >= 4
    assert main(["inference", str(saved), "--target-loss", "2.1", "--inference-tokens", "1e13"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"saving     [\d.]+% of the total", out)
    assert re.search(r"interval   saving: \[[\d.]+%, [\d.]+%\]", out)  # the same unit as the saving itself


# -- figures -------------------------------------------------------------------------------------------------------


def test_the_lines_at_fixed_d_over_n_are_labelled(boot: lawfit.Fit, chinchilla_240: lawfit.Runs) -> None:
    pytest.importorskip("matplotlib")
    from lawfit.plot import plot_fit

    fig = plot_fit(replace_bootstrap(boot), chinchilla_240, x="N")
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert len([label for label in labels if label.startswith("law at D/N = ")]) >= 3


def replace_bootstrap(fit: lawfit.Fit) -> lawfit.Fit:
    from dataclasses import replace

    return replace(fit, bootstrap=None)


def test_the_frontier_marks_where_the_data_end_and_draws_its_band_edges(boot: lawfit.Fit) -> None:
    pytest.importorskip("matplotlib")
    from lawfit.plan import compute_optimal

    frontier = compute_optimal(boot, np.geomspace(1e18, 1e23, 20))
    fig = frontier.plot(largest_compute=3e21)
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert any(label.startswith("largest run (C = 3e+21)") for label in labels)
    bands = [c for c in fig.axes[0].collections if "interval" in c.get_label()]
    assert len(bands) == 2 and all(b.get_linestyle()[0][1] is not None for b in bands)  # dashed edges
    assert all(b.get_edgecolor()[0][3] > 0.5 and b.get_facecolor()[0][3] >= 0.3 for b in bands)
    assert any(p.get_label() == "beyond the runs" for p in fig.axes[0].patches)


def test_plot_finds_the_runs_through_the_saved_fit(
    saved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    from lawfit import plot

    drawn = []
    original = plot.plot_fit
    monkeypatch.setattr(plot, "plot_fit", lambda fit, runs, **kw: drawn.append(runs) or original(fit, runs, **kw))
    assert main(["plot", str(saved), "-o", str(tmp_path / "fit.png")]) == 0
    assert drawn[0] is not None and len(drawn[0]) == 240  # the bundled file, less the 5 runs the fit dropped
    assert capsys.readouterr().err == ""
    # A fit of a file with mapped columns records the path and the mapping.
    csv = tmp_path / "runs.csv"
    runs = datasets.chinchilla()
    pd.DataFrame({"params": runs.column("N"), "tokens": runs.column("D"), "val": runs.column("loss")}).to_csv(csv)
    mapping = {"N": "params", "D": "tokens", "loss": "val"}
    other = lawfit.fit(csv, "chinchilla", columns=mapping).save(tmp_path / "other.json")
    assert lawfit.load_fit(other).runs_summary["columns"] == mapping
    monkeypatch.chdir(tmp_path.parent)  # the path is absolute
    assert main(["plot", str(other), "-o", str(tmp_path / "other.png")]) == 0
    assert len(drawn[1]) == 245
    # A fit of a DataFrame has no file: the law alone, and a note that says so.
    table = lawfit.fit(runs.table, "chinchilla").save(tmp_path / "table.json")
    assert main(["plot", str(table), "-o", str(tmp_path / "table.png")]) == 0
    assert drawn[2] is None and "note: drawing the law without runs" in capsys.readouterr().err
    assert main(["plot", str(table), "--kind", "residuals", "-o", str(tmp_path / "r.png")]) == 2
    assert "--kind residuals needs the runs" in capsys.readouterr().err


def test_the_report_title_names_the_data_set_not_its_install_path() -> None:
    bundled = str(datasets.path("chinchilla"))
    assert gather._source_name(bundled) == "the bundled chinchilla data set"
    assert gather._source_name("/some/where/runs.csv") == "runs.csv"
    assert gather._source_name("<DataFrame>") == "the runs of a DataFrame"
