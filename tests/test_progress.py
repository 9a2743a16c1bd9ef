"""Progress bars: drawn on a terminal for long work, silent otherwise, switchable; the bootstrap, comparisons and
IsoFLOP bootstraps report through them."""

from __future__ import annotations

import io
import sys

import pytest

import lawfit
from lawfit import set_progress
from lawfit._progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore():
    yield
    set_progress(None)


def test_a_bar_shows_on_a_terminal_only() -> None:
    set_progress(None, delay=0)
    tty, pipe = Terminal(), io.StringIO()
    for stream in (tty, pipe):
        with Progress(4, "work", stream=stream) as bar:
            for _ in range(4):
                bar.update()
    assert pipe.getvalue() == ""
    frames = tty.getvalue().split("\r")[1:]
    assert [f.split("  ")[0] for f in frames] == [
        "work [######..................] 1/4",
        "work [############............] 2/4",
        "work [##################......] 3/4",
        "work [########################] 4/4",
        "work [########################] 4/4",  # redrawn on close, then a new line
    ]
    assert tty.getvalue().endswith(" s\n")


def test_switched_off_or_forced() -> None:
    set_progress(False, delay=0)
    tty = Terminal()
    for _ in Progress(3, "quiet", stream=tty).iterate(range(3)):
        pass
    assert tty.getvalue() == ""
    set_progress(True, delay=0)
    pipe = io.StringIO()
    for _ in Progress(3, "forced", stream=pipe).iterate(range(3)):
        pass
    assert "forced [" in pipe.getvalue() and "3/3" in pipe.getvalue()


def test_quick_work_draws_nothing() -> None:
    set_progress(None, delay=60)
    tty = Terminal()
    for _ in Progress(3, "quick", stream=tty).iterate(range(3)):
        pass
    assert tty.getvalue() == ""


def test_bootstrap_reports_its_refits(monkeypatch, chinchilla_fit, chinchilla_240) -> None:
    set_progress(None, delay=0)
    tty = Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    lawfit.bootstrap(chinchilla_fit, chinchilla_240, n_resamples=1000, seed=0)
    out = tty.getvalue()
    assert "bootstrap chinchilla [" in out and "500/1,000" in out and "1,000/1,000" in out


def test_bad_setting() -> None:
    with pytest.raises(lawfit.LawfitError, match="must be True, False or None"):
        set_progress("yes")  # type: ignore[arg-type]


def test_the_command_line_is_quiet_when_asked(monkeypatch, capsys) -> None:
    from lawfit.cli import main

    set_progress(True, delay=0)
    argv = ["fit", "--dataset", "chinchilla", "--drop-highest-loss", "5", "--law", "chinchilla", "--json"]
    assert main([*argv, "--bootstrap", "600"]) == 0
    assert "bootstrap chinchilla [" in capsys.readouterr().err
    assert main(["--quiet", *argv, "--bootstrap", "600"]) == 0
    assert capsys.readouterr().err == ""
    assert Progress(1, "after")._enabled  # --quiet lasted only for its command
