"""The report of capabilities (lawfit.report.gather_capabilities, write_capabilities_report) and the --plot and --report
options of `lawfit capabilities` and `lawfit coverage`: the Report as plain data (sections and numbers as the
results say), the page (no script, user text escaped), and the files (written, refused, checked before the work).

Data: Ruan et al. 2024's benchmark scores and Brown et al. 2024's Pythia MATH counts (tests/data, see PROVENANCE.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from capabilities_data import BASE, COUNTS, EMERGENT, LLAMA2_7B, TARGET
from lawfit.capabilities import (
    load_benchmarks,
    observational_scaling,
)
from lawfit.cli import main
from lawfit.errors import LawfitError, OutputError
from lawfit.report import write_capabilities_report
from lawfit.report.document import Folded, Plot, Table
from lawfit.report.gather_capabilities import gather_capabilities
from lawfit.report.render import render


@pytest.fixture(scope="module")
def analysis():
    return observational_scaling(BASE, scores=EMERGENT, target=TARGET, cutoff=LLAMA2_7B, n_resamples=10)


def _tables(section):
    return [b for b in section.blocks if isinstance(b, Table)]


# ---------------------------------------------------------------------------------------------------------------
# Gathering: the Report as data


def test_observational_report_says_what_the_analysis_found(analysis, benchmark_table) -> None:
    doc = gather_capabilities(observational=analysis, table=benchmark_table)
    assert [s.key for s in doc.sections] == ["components", "families", "target", "figures", "about"]
    # Components: the explained variance and loadings of each component.
    pcs = _tables(doc.section("components"))[0]
    ratio = analysis.components.explained_variance_ratio
    assert [row[0] for row in pcs.rows] == ["PC1", "PC2", "PC3"]
    assert [float(row[1]) for row in pcs.rows] == pytest.approx(ratio[:3], abs=5e-4)
    assert float(pcs.rows[2][2]) == pytest.approx(ratio[:3].sum(), abs=5e-4)
    assert pcs.headers[3:] == analysis.components.benchmarks
    # Families: one row each, the most compute-efficient first, at relative compute 1.
    families = _tables(doc.section("families"))[0]
    offsets = analysis.families.offsets
    assert len(families.rows) == len(offsets) == 33
    first = families.rows[0]
    assert first[0] == max(offsets, key=lambda f: offsets[f][0]) and first[-1] == "1"
    llama = next(row for row in families.rows if row[0] == "Llama-2")
    assert float(llama[2]) == pytest.approx(offsets["Llama-2"][0], rel=1e-3)
    assert float(llama[-1]) == pytest.approx(analysis.families.relative_compute("Llama-2", first[0]), rel=1e-2)
    # The back-test against the log-FLOPs baseline, the winner marked, and each held-out model.
    bt = analysis.backtest
    errors = _tables(doc.section("target"))[0]
    assert [float(row[1]) for row in errors.rows] == pytest.approx([bt.mse["components"], bt.mse["flops"]], rel=1e-3)
    assert errors.marked == ((0,) if bt.winner == "components" else (1,))
    held = next(b for b in doc.section("target").blocks if isinstance(b, Folded)).table
    assert len(held.rows) == len(bt.test) == 29
    assert held.rows[0][0] == bt.test[0] and float(held.rows[0][1]) == pytest.approx(bt.actual[0], abs=5e-4)
    assert held.headers == ("model", "actual", "components", "90% interval", "log FLOPs", "90% interval")
    # The verdict names the winner, and the figures are the components and the sigmoid.
    assert "PC1 explains 85.3%" in doc.verdict.headline
    assert [b.figure for b in doc.section("figures").blocks if isinstance(b, Plot)] == [
        "plot_components",
        "plot_sigmoid",
    ]


def test_observational_report_without_a_target_or_table(benchmark_table) -> None:
    plain = observational_scaling(BASE, n_resamples=0)
    doc = gather_capabilities(observational=plain)
    assert type(doc.section("target").blocks[0]).__name__ == "Omitted"
    assert "need the table" in doc.section("figures").blocks[0].reason


def test_coverage_report_says_what_each_model_found(pythia_coverage) -> None:
    doc = gather_capabilities(coverage=pythia_coverage)
    assert [s.key for s in doc.sections] == ["coverage", "forecasts", "figures", "about"]
    summary = _tables(doc.section("coverage"))[0]
    assert [row[0] for row in summary.rows] == ["Pythia 160M", "Pythia 12B"]
    twelve = pythia_coverage["Pythia 12B"]
    row = summary.rows[1]
    assert row[1] == "128" and row[2] == "100"
    assert float(row[3]) == pytest.approx(twelve["curve"].coverage[-1], abs=5e-5)
    assert (float(row[5]), float(row[6])) == pytest.approx((twelve["law"].a, twelve["law"].b), rel=1e-3)
    per_k = [b for b in doc.section("coverage").blocks if isinstance(b, Folded)]
    assert len(per_k) == 2 and len(per_k[1].table.rows) == twelve["curve"].k.size
    forecasts = _tables(doc.section("forecasts"))[0]
    assert len(forecasts.rows) == 8
    assert [forecasts.rows[i][1] for i in forecasts.marked] == ["1000", "10000"] * 2  # beyond the 100 drawn
    at = next(r for r in forecasts.rows if r[0] == "Pythia 12B" and r[1] == "10000")
    assert float(at[2]) == pytest.approx(twelve["forecast"].coverage[-1], abs=5e-5)
    assert "forecast up to 100 times the samples drawn" in doc.verdict.headline
    assert doc.section("figures").blocks[0].figure == "plot_coverage"


def test_a_report_needs_results() -> None:
    with pytest.raises(LawfitError, match="needs an observational analysis"):
        gather_capabilities()
    with pytest.raises(LawfitError, match="must be a mapping with a 'curve'"):
        gather_capabilities(coverage={"m": {"law": None}})


# ---------------------------------------------------------------------------------------------------------------
# The page


def test_the_page_runs_nothing_and_escapes_user_text(pythia_coverage) -> None:
    named = {"<b>evil</b> & co": pythia_coverage["Pythia 12B"]}
    page = render(gather_capabilities(coverage=named, title="<script>alert(1)</script>"))
    assert "<script" not in page and "<b>evil" not in page
    assert "&lt;b&gt;evil&lt;/b&gt; &amp; co" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("data:image/svg+xml;base64,") == 1


def test_write_capabilities_report_refuses_a_file_lawfit_did_not_write(pythia_coverage, tmp_path: Path) -> None:
    mine = tmp_path / "notes.html"
    mine.write_text("my notes")
    with pytest.raises(OutputError, match="lawfit did not write it"):
        write_capabilities_report(mine, coverage=pythia_coverage)
    assert mine.read_text() == "my notes"
    with pytest.raises(OutputError, match="does not exist"):
        write_capabilities_report(tmp_path / "missing" / "r.html", coverage=pythia_coverage)
    path = write_capabilities_report(mine, coverage=pythia_coverage, force=True)
    assert "Coverage per model" in path.read_text()
    write_capabilities_report(path, coverage=pythia_coverage)  # its own report: overwritten without force


def test_write_capabilities_report_refuses_the_benchmark_table(analysis, benchmark_table, tmp_path: Path) -> None:
    copy = tmp_path / "table.csv"
    copy.write_bytes(BASE.read_bytes())
    mine = load_benchmarks(copy)
    with pytest.raises(OutputError, match="is an input"):
        write_capabilities_report(copy, observational=analysis, table=mine)


# ---------------------------------------------------------------------------------------------------------------
# The command line


def _cli(argv: list[str], capsys) -> tuple[int, str, str]:
    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


COVERAGE = ["coverage", str(COUNTS), "--model", "Pythia 12B", "--samples-per-problem", "100", "--bootstrap", "10"]


def test_cli_coverage_writes_the_figure_and_the_report(tmp_path: Path, capsys) -> None:
    fig, page = tmp_path / "coverage.png", tmp_path / "coverage.html"
    status, out, err = _cli([*COVERAGE, "--plot", str(fig), "--report", str(page), "--json"], capsys)
    assert status == 0 and not err
    record = json.loads(out)
    assert record["figure"] == str(fig) and record["report"] == str(page)
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = page.read_text()
    assert "Pythia 12B" in text and "<script" not in text and "lawfit coverage" in text
    # Both are lawfit's now: a second run overwrites them without --force.
    status, out, _ = _cli([*COVERAGE, "--plot", str(fig), "--report", str(page)], capsys)
    assert status == 0 and f"figure     {fig}" in out and f"report     {page}" in out


def test_cli_capabilities_writes_the_sigmoid_figure_and_the_report(tmp_path: Path, capsys) -> None:
    fig, page = tmp_path / "sigmoid.svg", tmp_path / "obs.html"
    argv = ["capabilities", str(BASE), "--scores", str(EMERGENT), "--target", TARGET, "--cutoff", "8.4e22"]
    status, out, err = _cli([*argv, "--bootstrap", "5", "--plot", str(fig), "--report", str(page)], capsys)
    assert status == 0 and not err
    assert f"figure     {fig} (sigmoid)" in out and f"report     {page}" in out
    assert fig.read_text().lstrip().startswith("<?xml")
    text = page.read_text()
    assert "Back-test of word_unscrambling_2_exact_match" in text and "<script" not in text
    components = tmp_path / "pcs.pdf"
    status, out, _ = _cli(["capabilities", str(BASE), "--bootstrap", "0", "--plot", str(components)], capsys)
    assert status == 0 and f"figure     {components} (components)" in out
    assert components.read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize(
    ("option", "name", "message"),
    [
        ("--plot", "fig.png", "lawfit did not write it"),
        ("--report", "page.html", "lawfit did not write it"),
        ("--plot", "missing/fig.png", "does not exist"),
        ("--report", "missing/page.html", "does not exist"),
        ("--plot", "fig.txt", "must end in .png, .pdf or .svg"),
        ("--report", "page.txt", "must end in .html or .htm"),
    ],
)
def test_cli_refuses_outputs_before_the_work(option, name, message, tmp_path: Path, capsys, monkeypatch) -> None:
    import lawfit.capabilities.coverage as cov

    def broken(*args, **kwargs):
        raise AssertionError("the work started before the output was checked")

    monkeypatch.setattr(cov, "read_counts", broken)
    for existing in ("fig.png", "page.html"):
        (tmp_path / existing).write_text("mine")
    status, out, err = _cli([*COVERAGE, option, str(tmp_path / name)], capsys)
    assert status == 2 and not out
    assert err.count("\n") == 1 and err.startswith("lawfit: error: ") and message in err
    assert (tmp_path / "fig.png").read_text() == "mine" and (tmp_path / "page.html").read_text() == "mine"


def test_cli_capabilities_refuses_an_input_as_the_report(tmp_path: Path, capsys) -> None:
    copy = tmp_path / "table.html"  # a table with the report's suffix, read as CSV
    copy.write_bytes(BASE.read_bytes())
    argv = ["capabilities", str(copy), "--format", "csv", "--bootstrap", "0", "--report", str(copy)]
    status, out, err = _cli(argv, capsys)
    assert status == 2 and not out and err.count("\n") == 1 and "is an input" in err


def test_cli_force_overwrites(tmp_path: Path, capsys) -> None:
    fig = tmp_path / "fig.png"
    fig.write_text("mine")
    status, _, _ = _cli([*COVERAGE, "--plot", str(fig), "--force"], capsys)
    assert status == 0 and fig.read_bytes()[:4] == b"\x89PNG"
