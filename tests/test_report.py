"""The HTML report: what it says, that every user string in it is escaped, that it loads nothing, and how it renders in
a real browser (Debian's headless Chromium driven by Playwright).

The browser tests fail, and do not skip, when Chromium or Playwright is missing: CI installs both (`.ci/run`, the
`dev` extra). Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import lawfit
from lawfit.cli import main
from lawfit.report import write_report

CHROMIUM = "/usr/bin/chromium"  # Debian's package: apt-get install -y chromium
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECTIONS = ["Fit", "Diagnostics", "Data", "Figures", "Back-test", "Compute-optimal frontier", "Runs"]
SECTIONS.append("About this report")

# User text that would run or render as markup if it reached the page unescaped.
SCRIPT_RUN = "<script>alert(1)</script>"
IMG_RUN = '"><img src=x onerror=alert(2)>'
MARKUP_RUN = "a & b <i>c</i>"
COLUMN = "<b>lr</b>"
TITLE = "<u>Report</u> & <i>co</i>"
COMMAND = "lawfit report '<script>alert(3)</script>'"
HOSTILE = (SCRIPT_RUN, IMG_RUN, MARKUP_RUN, COLUMN, TITLE, COMMAND)


def _runs_table() -> pd.DataFrame:
    """24 runs of a known Chinchilla law with 0.3% noise, named runs (three of them hostile), a hostile column."""
    rng = np.random.default_rng(0)
    n = np.repeat(np.geomspace(2e7, 2e9, 6), 4)
    d = n * np.tile([4.0, 12.0, 36.0, 108.0], 6)
    loss = (1.8 + 400 / n**0.34 + 2000 / d**0.36) * np.exp(rng.normal(0.0, 0.003, n.size))
    names = [f"run-{i:02d}" for i in range(n.size)]
    names[:3] = [SCRIPT_RUN, IMG_RUN, MARKUP_RUN]
    return pd.DataFrame({"run": names, "params": n, "tokens": d, "final_loss": loss, COLUMN: np.full(n.size, 3e-4)})


@pytest.fixture(scope="module")
def hostile_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("runs") / "runs <&> 'x'.csv"  # the source path is user text too
    _runs_table().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def hostile_fit(hostile_csv: Path) -> lawfit.Fit:
    return lawfit.fit(hostile_csv, "chinchilla")


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory, hostile_csv: Path, hostile_fit: lawfit.Fit) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "report.html"
    return write_report(hostile_csv, hostile_fit, path, bootstrap=200, seed=0, title=TITLE, command=COMMAND)


@pytest.fixture(scope="module")
def chinchilla_report(tmp_path_factory: pytest.TempPathFactory, chinchilla_240: lawfit.Runs) -> Path:
    path = tmp_path_factory.mktemp("chinchilla") / "report.html"
    return write_report(chinchilla_240, "chinchilla", path, bootstrap=200, seed=0)


@pytest.fixture(scope="module")
def browser() -> Any:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class _Page:
    """A report opened in the browser, with everything the page said or asked for on the way."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.page.on("console", lambda message: self.console.append((message.type, message.text)))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(path.resolve().as_uri(), wait_until="load")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def check_quiet(self) -> None:
        assert [text for kind, text in self.console if kind == "error"] == []
        assert self.errors == []
        assert self.dialogs == []
        # The page itself, and images only as embedded data: nothing from any network.
        assert all(url.startswith(("file://", "data:")) for url in self.requests), self.requests

    def screenshot(self, path: Path) -> tuple[int, int]:
        self.page.screenshot(path=str(path), full_page=True)
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
        width, height = struct.unpack(">II", data[16:24])
        return width, height

    def close(self) -> None:
        self.page.close()


def _image_boxes(page: Any) -> list[list[float]]:
    return page.eval_on_selector_all(
        "img",
        "images => images.map(i => [i.complete ? 1 : 0, i.naturalWidth, i.naturalHeight, "
        "i.getBoundingClientRect().width, i.getBoundingClientRect().height])",
    )


# ---------------------------------------------------------------------------------------------------------------
# In the browser


def test_report_renders_in_chromium(
    browser: Any, chinchilla_report: Path, chinchilla_fit: lawfit.Fit, tmp_path: Path
) -> None:
    shown = _Page(browser, chinchilla_report)
    try:
        shown.check_quiet()
        width, height = shown.screenshot(tmp_path / "report.png")
        assert width >= 1000 and height > 3000  # a long page of tables and figures, not a blank one
        text = shown.page.inner_text("body")
        headings = [h.strip() for h in shown.page.eval_on_selector_all("h2", "hs => hs.map(h => h.innerText)")]
        assert headings == SECTIONS
        for name, value in chinchilla_fit.params.items():
            assert f"{name}\t{value:.6g}" in text  # a row of the parameter table: name, then value
        assert "stderr" in text and "95% interval" in text
        assert "The fit converged and raised no warnings" in text
        assert "187 runs with C < 5.446e+20" in text  # the back-test's default split, as `lawfit backtest` makes it
        assert "1e+23" in text and "0.5139" in text  # the frontier table, with chinchilla's N* exponent
        boxes = _image_boxes(shown.page)
        assert len(boxes) == 5  # fit, residuals, bootstrap pairs, back-test, frontier
        for complete, natural_width, natural_height, box_width, box_height in boxes:
            assert complete and natural_width > 0 and natural_height > 0  # decoded, not a broken image
            assert box_width > 300 and box_height > 200
    finally:
        shown.close()


def test_hostile_names_render_as_text_and_run_nothing(browser: Any, hostile_report: Path, tmp_path: Path) -> None:
    shown = _Page(browser, hostile_report)
    try:
        shown.check_quiet()
        shown.screenshot(tmp_path / "hostile.png")
        text = shown.page.inner_text("body")
        for hostile in HOSTILE:
            assert hostile in text
        assert "runs <&> 'x'.csv" in text
        assert shown.page.title() == TITLE
        # None of the markup in the names became elements: the page's own script, bold, italic and underline are none.
        for tag in ("script", "b", "i", "u"):
            assert shown.page.query_selector_all(tag) == []
        sources = shown.page.eval_on_selector_all("img", "images => images.map(i => i.getAttribute('src'))")
        assert sources and all(src.startswith("data:image/svg+xml;base64,") for src in sources)
    finally:
        shown.close()


# ---------------------------------------------------------------------------------------------------------------
# The HTML itself


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.links: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "data", "poster"):
                self.links.append((tag, name, value or ""))


@pytest.mark.parametrize("which", ["chinchilla_report", "hostile_report"])
def test_html_loads_nothing_from_anywhere(which: str, request: pytest.FixtureRequest) -> None:
    text = request.getfixturevalue(which).read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    parsed = _Links()
    parsed.feed(text)
    assert not parsed.tags & {"script", "link", "iframe", "object", "embed", "base", "svg"}
    for tag, name, value in parsed.links:
        assert (tag, name) in (("img", "src"), ("a", "href")), (tag, name, value)
        assert value.startswith("data:image/svg+xml;base64,") if tag == "img" else value.startswith("#")
    assert "@import" not in text and "url(" not in text
    assert "Content-Security-Policy" in text and "default-src 'none'" in text


def test_user_text_is_escaped(hostile_report: Path) -> None:
    text = hostile_report.read_text(encoding="utf-8")
    for hostile in HOSTILE:
        assert hostile not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in text
    assert "&lt;b&gt;lr&lt;/b&gt;" in text
    assert "<title>&lt;u&gt;Report&lt;/u&gt; &amp; &lt;i&gt;co&lt;/i&gt;</title>" in text
    assert "runs &lt;&amp;&gt; &#x27;x&#x27;.csv" in text


def test_report_contents(hostile_report: Path, hostile_fit: lawfit.Fit) -> None:
    text = hostile_report.read_text(encoding="utf-8")
    assert 'class="verdict ok"' in text
    assert "All 24 runs, in the order given" in text
    assert "lawfit 0.1.0" in text and "200 resamples of runs (seed 0)" in text
    assert "Read N (parameters) from column &#x27;params&#x27;." in text  # the runs' notes
    assert "The 5 held-out runs" in text and "covered" in text  # the back-test's table, with its intervals
    assert "ln(loss / law)" in text  # the residual column of the runs table


def test_law_of_one_input_leaves_the_frontier_out_with_a_reason(hostile_csv: Path, tmp_path: Path) -> None:
    text = write_report(hostile_csv, "power", tmp_path / "report.html", bootstrap=0, holdout=1).read_text()
    assert "Left out: the compute-optimal frontier needs a law of N and D; power takes C only." in text
    assert "Left out: the bootstrap pairs, which need bootstrap draws" in text
    assert "No bootstrap: standard errors and intervals need bootstrap &gt; 0." in text
    assert "not measured: it needs bootstrap &gt; 0" in text  # the back-test's coverage
    assert text.count("<img ") == 3  # fit, residuals, back-test


@pytest.mark.parametrize(
    ("changes", "warning", "verdict", "headline"),
    [
        (
            {"converged": False, "message": "stopped after 3 of 500 steps"},
            lawfit.ConvergenceWarning("Stopped after 3 of 500 steps at <alpha> = 0.1.", objective=1.0),
            "fail",
            "This fit FAILED: the search did not converge. Do not use its parameters.",
        ),
        (
            {},
            lawfit.BoundWarning("Parameters at a bound: <alpha>. The optimum may lie beyond.", params=["alpha"]),
            "doubt",
            "This fit is DOUBTFUL: it converged, but raised 1 warning.",
        ),
    ],
    ids=["failed", "doubtful"],
)
def test_a_failed_or_doubtful_fit_says_so(
    hostile_csv: Path,
    hostile_fit: lawfit.Fit,
    tmp_path: Path,
    changes: dict[str, Any],
    warning: lawfit.LawfitWarning,
    verdict: str,
    headline: str,
) -> None:
    doubtful = replace(hostile_fit, diagnostics=(warning,), **changes)
    with pytest.warns(lawfit.ExtrapolationWarning, match="beyond the 10x limit"):
        path = write_report(hostile_csv, doubtful, tmp_path / "report.html", bootstrap=0, compute=[1e30], holdout=1)
    text = path.read_text(encoding="utf-8")
    assert f'<div class="verdict {verdict}" role="status"><p class="headline">{headline}</p>' in text
    escaped = warning.message.replace("<", "&lt;").replace(">", "&gt;")
    assert f"{type(warning).__name__}</strong>: {escaped}" in text  # listed in the diagnostics, escaped
    assert "Warnings raised by the frontier:" in text and "Extrapolation: N = " in text


# ---------------------------------------------------------------------------------------------------------------
# The command line, options and the optional dependency


def test_cli_writes_the_report(hostile_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "out.html"
    argv = ["report", str(hostile_csv), "--law", "power(x=C)", "--bootstrap", "50", "--title", TITLE, "-o", str(output)]
    assert main(argv) == 0
    assert capsys.readouterr().out == f"report     {output}\n"
    text = output.read_text(encoding="utf-8")
    assert "&lt;u&gt;Report&lt;/u&gt;" in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "lawfit report " in text and "--law &#x27;power(x=C)&#x27; --bootstrap 50" in text  # the command, shown
    assert "power takes C only" in text


@pytest.mark.parametrize(
    ("output", "message"),
    [([], "needs -o REPORT.html"), (["-o", "report.png"], "must end in .html or .htm")],
)
def test_cli_needs_an_html_output(output: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--dataset", "chinchilla", "--law", "chinchilla", *output]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bootstrap": 1}, "'bootstrap' parameter of write_report must be 0"),
        ({"level": 1.5}, "'level' parameter of write_report must be a float in"),
        ({"compute": [1e21, -1.0]}, "'compute' parameter of write_report must be a positive"),
        ({"cut": 1e20, "holdout": 2}, "give one of them"),
        ({"loss": "mse"}, "a Fit carries its own objective"),
    ],
)
def test_bad_options_are_refused_before_any_work(
    options: dict[str, Any], message: str, hostile_csv: Path, hostile_fit: lawfit.Fit, tmp_path: Path
) -> None:
    with pytest.raises(lawfit.LawfitError, match=message):
        write_report(hostile_csv, hostile_fit, tmp_path / "report.html", **options)
    assert not (tmp_path / "report.html").exists()


def test_the_report_needs_matplotlib(hostile_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails, as when it is not installed
    with pytest.raises(lawfit.LawfitError, match=r"pip install 'lawfit\[plot\]'"):
        write_report(hostile_csv, "chinchilla", tmp_path / "report.html")


def test_importing_lawfit_and_the_report_does_not_import_matplotlib() -> None:
    code = "import sys, lawfit, lawfit.report, lawfit.cli; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
