"""Nothing lost: every file lawfit writes is written atomically, and its path is checked before any work.

A save killed at any moment leaves the old file or the complete new one; a full disk leaves the old file and no
temporary; ``-o`` refuses, before loading or fitting anything, a file lawfit did not write, an input of the same
command, a symbolic link, a folder or pipe, and a missing folder; ``--force`` lifts the first three (and replaces a
link itself, never its target).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import lawfit
import lawfit.curves
import lawfit.plan
import lawfit.report
from lawfit import _files
from lawfit.cli import main
from lawfit.hooks._record import Recorder

pytestmark = pytest.mark.skipif(os.name != "posix", reason="kills with SIGKILL, forks, and makes links and pipes")

LAWFIT = str(Path(sys.executable).parent / "lawfit")
MPL = Path(__file__).parent / "data" / "mpl" / "csv_25"  # see tests/data/mpl/PROVENANCE.md
TEMPORARY = re.compile(r"\.fit\.json\.\d+\.\w+\.tmp")  # what a save killed mid-write may leave
DRAWS = 5000  # bootstrap draws of the big fit: a file of about a megabyte, whose save takes a while

# A child that loads a fit once, then on each line of its input forks a saver: "loop" saves the fit to the target
# over and over until the test kills it (its pid is printed first); "fsize BYTES" saves it once under a file size
# limit and prints the outcome. Forking spares the second of importing lawfit for each of the 50 kills.
_SERVER = r"""
import os, resource, signal, sys
import lawfit

fit, target = lawfit.load_fit(sys.argv[1]), sys.argv[2]
print("ready", flush=True)
for line in sys.stdin:
    command, *rest = line.split()
    pid = os.fork()
    if pid == 0:  # the saver: it never returns to this loop
        try:
            if command == "fsize":
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
                resource.setrlimit(resource.RLIMIT_FSIZE, (int(rest[0]), int(rest[0])))
                fit.save(target)
                print("saved", flush=True)
            else:
                while True:
                    fit.save(target)
        except BaseException as error:
            print(f"{type(error).__name__}: {error}".replace("\n", " "), flush=True)
        finally:
            os._exit(0)
    if command != "fsize":
        print(pid, flush=True)
    os.waitpid(pid, 0)
    print("done", flush=True)
"""


@pytest.fixture(scope="module")
def old_fit() -> lawfit.Fit:
    return lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")


@pytest.fixture(scope="module")
def big_fit(old_fit: lawfit.Fit) -> lawfit.Fit:
    """The same law with 5,000 bootstrap draws: another record, and a big one."""
    record = old_fit.to_dict()
    centre = np.array(list(old_fit.params.values()))
    draws = centre * np.exp(np.random.default_rng(0).normal(0.0, 0.01, (DRAWS, centre.size)))
    record["bootstrap"] = {
        "seed": 0,
        "by": "run",
        "n_resamples": DRAWS,
        "converged": [True] * DRAWS,
        "draws": draws.tolist(),
        "residuals": [0.0] * old_fit.n_points,
    }
    return lawfit.Fit.from_dict(record)


class _Saver:
    """The server child above, saving into ``folder / "fit.json"``."""

    def __init__(self, source: Path, folder: Path) -> None:
        self.folder, self.target = folder, folder / "fit.json"
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(source), str(self.target)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        watchdog = threading.Timer(60.0, self.process.kill)  # a child that hangs fails the test instead
        watchdog.start()
        try:
            line = self.process.stdout.readline().strip()
        finally:
            watchdog.cancel()
        assert line, "the saving child died"
        return line

    def start_loop(self) -> int:
        self.process.stdin.write("loop\n")
        self.process.stdin.flush()
        return int(self._line())

    def wait(self) -> None:
        assert self._line() == "done"

    def save_under_limit(self, limit: int) -> str:
        self.process.stdin.write(f"fsize {limit}\n")
        self.process.stdin.flush()
        outcome = self._line()
        self.wait()
        return outcome


@pytest.fixture(scope="module")
def saver(tmp_path_factory: pytest.TempPathFactory, big_fit: lawfit.Fit) -> Iterator[_Saver]:
    source = big_fit.save(tmp_path_factory.mktemp("source") / "big.json")
    child = _Saver(source, tmp_path_factory.mktemp("saves"))
    try:
        yield child
    finally:
        child.process.stdin.close()
        try:
            child.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
        child.process.stdout.close()


def _state(folder: Path) -> dict[str, tuple[int, int, int]]:
    state = {}
    for entry in os.scandir(folder):
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        state[entry.name] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return state


def _writing(baseline: dict[str, tuple[int, int, int]], folder: Path, name: str) -> bool:
    """Whether a write has begun: the target changed or went, or another file holds data it did not hold."""
    now = _state(folder)
    if now.get(name) != baseline[name]:
        return True
    return any(value != baseline.get(key) and value[1] > 0 for key, value in now.items())


def _strays(folder: Path, *keep: str) -> list[str]:
    """The files besides ``keep``, each checked to be a temporary of a killed save (then removed)."""
    strays = sorted(set(os.listdir(folder)) - set(keep))
    assert all(TEMPORARY.fullmatch(name) for name in strays), strays
    return strays


# ---------------------------------------------------------------------------------------------------------------
# Killed mid-save


def test_a_save_killed_at_any_moment_leaves_the_old_fit_or_the_new_one(
    saver: _Saver, old_fit: lawfit.Fit, big_fit: lawfit.Fit, tmp_path: Path
) -> None:
    old = old_fit.save(tmp_path / "old.json").read_bytes()
    new = big_fit.save(tmp_path / "new.json").read_bytes()
    start = time.perf_counter()
    big_fit.save(tmp_path / "new.json")
    took = time.perf_counter() - start
    rng = random.Random(12)
    outcomes = []
    for attempt in range(50):
        saver.target.write_bytes(old)
        baseline = _state(saver.folder)
        pid = saver.start_loop()
        if attempt % 2:  # the moment the write begins: the one a write in place corrupts
            deadline = time.monotonic() + 10
            while not _writing(baseline, saver.folder, saver.target.name) and time.monotonic() < deadline:
                pass
        else:  # any moment: before, during or between saves
            time.sleep(rng.uniform(0.0, 3.0 * took))
        os.kill(pid, signal.SIGKILL)
        saver.wait()
        content = saver.target.read_bytes()
        assert content in (old, new), f"kill {attempt}: fit.json has {len(content)} bytes, neither fit"
        assert json.loads(content)["schema"] == "lawfit.fit"
        outcomes.append(content == new)
        for name in _strays(saver.folder, saver.target.name):
            os.unlink(saver.folder / name)
    assert 0 < sum(outcomes) < len(outcomes), "the kills never caught the old file, or never the new one"


def test_a_killed_lawfit_fit_leaves_the_old_fit_or_the_complete_new_one(tmp_path: Path, old_fit: lawfit.Fit) -> None:
    target = tmp_path / "fit.json"
    old = old_fit.save(target).read_bytes()
    expected = lawfit.fit(lawfit.datasets.chinchilla(), "chinchilla").params  # what the command fits: all 245 runs
    argv = [LAWFIT, "-q", "fit", "--dataset", "chinchilla", "--law", "chinchilla", "-o", str(target)]
    rng = random.Random(5)
    for attempt in range(4):  # each a few seconds: the process imports lawfit and fits
        target.write_bytes(old)
        baseline = _state(tmp_path)
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            if attempt == 0:  # the moment its save begins
                while process.poll() is None and not _writing(baseline, tmp_path, target.name):
                    time.sleep(0.0002)
            else:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=rng.uniform(0.3, 3.5))
            finished = process.poll()
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            _, err = process.communicate()
        assert finished in (None, 0), err
        content = target.read_bytes()
        if content != old:
            saved = lawfit.Fit.from_dict(json.loads(content))
            assert saved.n_points == 245 and saved.params == pytest.approx(expected, rel=1e-6)
        _strays(tmp_path, target.name)


def test_the_next_save_removes_the_temporaries_of_killed_saves_only(tmp_path: Path, old_fit: lawfit.Fit) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(ended.stdout)
    stale = tmp_path / f".fit.json.{dead}.k9x2ab_c.tmp"
    running = tmp_path / f".fit.json.{os.getppid()}.abcdefgh.tmp"  # a save under way in a process that runs
    other = tmp_path / f".other.json.{dead}.abcdefgh.tmp"  # another file's
    for path in (stale, running, other):
        path.write_text('{"schema": "lawf')
    old_fit.save(tmp_path / "fit.json")
    assert sorted(os.listdir(tmp_path)) == sorted(["fit.json", running.name, other.name])


# ---------------------------------------------------------------------------------------------------------------
# A full disk


class _FullDisk:
    """The os module on a disk that fills up halfway through the first write."""

    def __init__(self) -> None:
        self.written = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def write(self, fd: int, data: Any) -> int:
        if self.written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.written = os.write(fd, bytes(data[: len(data) // 2]))
        return self.written


def _figure() -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(3, 2))
    figure.add_subplot().scatter(*np.random.default_rng(0).random((2, 6000)), s=1)  # a PDF of about 100 KB
    return figure


def test_a_full_disk_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old_fit: lawfit.Fit, big_fit: lawfit.Fit
) -> None:
    pytest.importorskip("matplotlib")
    target, figure = old_fit.save(tmp_path / "fit.json"), _files.write_figure(_figure(), tmp_path / "fig.png")
    records = tmp_path / "curves.csv"
    recorder = Recorder(records, run="a", flops=None, owner="LawfitCallback")
    recorder.params = 10
    recorder.open(0)
    for step in (1, 2, 3):
        recorder.step(step, lr=0.1, tokens=100 * step)
        recorder.loss(step, 4.0 - step / 10)
    recorder.close()
    before = {path: path.read_bytes() for path in (target, figure, records)}
    resumed = Recorder(records, run="a", flops=None, owner="LawfitCallback")
    writes = [
        ("fit", lambda: big_fit.save(target)),
        ("figure", lambda: _files.write_figure(_figure(), figure, dpi=50)),
        ("rows of LawfitCallback", lambda: resumed.open(1)),  # a resumed run rewrites the file without steps 2, 3
    ]
    for what, write in writes:
        disk = _FullDisk()
        monkeypatch.setattr(_files, "os", disk)
        with pytest.raises(lawfit.OutputError, match=f"Cannot write the {what} to .*: No space left on device"):
            write()
        monkeypatch.undo()
        assert disk.written > 0, what  # the write began, and failed halfway
        assert {path: path.read_bytes() for path in before} == before, what
        assert sorted(os.listdir(tmp_path)) == ["curves.csv", "fig.png", "fit.json"], what


def test_a_write_past_the_file_size_limit_leaves_the_old_fit(saver: _Saver, old_fit: lawfit.Fit) -> None:
    old = old_fit.save(saver.target, force=True).read_bytes()
    outcome = saver.save_under_limit(100_000)  # the kernel stops the big fit's write at 100 KB
    assert outcome.startswith("OutputError: Cannot write the fit to") and "File too large" in outcome
    assert saver.target.read_bytes() == old
    assert os.listdir(saver.folder) == ["fit.json"]


# ---------------------------------------------------------------------------------------------------------------
# The output path, checked before any work


class _WorkStarted(BaseException):  # not an Exception: the command's handler of errors lets it through
    pass


def _work(*args: Any, **kwargs: Any) -> Any:
    raise _WorkStarted


@contextlib.contextmanager
def _no_work() -> Iterator[None]:
    """Loading or fitting anything raises _WorkStarted: a refusal must come first, an accepted path gets here."""
    with pytest.MonkeyPatch.context() as patch:
        for owner, name in [
            (lawfit, "fit"),
            (lawfit, "load_runs"),
            (lawfit, "load_fit"),
            (lawfit.report, "write_report"),
            (lawfit.curves, "fit_curves"),
            (lawfit.curves, "load_curves"),
            (lawfit.plan, "isoflop"),
        ]:
            patch.setattr(owner, name, _work)
        yield


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], *needles: str) -> None:
    """The command exits 2 before any work, with one line naming the problem."""
    with _no_work():
        assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("lawfit: error:")
    for needle in needles:
        assert needle in err, err


def _accepted(argv: list[str]) -> None:
    with _no_work(), pytest.raises(_WorkStarted):
        main(argv)


def _runs_csv(path: Path) -> Path:
    pd.read_csv(lawfit.datasets.path("chinchilla")).to_csv(path, index=False)
    return path


def _columns() -> list[str]:
    return [f"--col={name}={column}" for name, column in lawfit.datasets.DATASETS["chinchilla"][1].items()]


def test_fit_refuses_to_overwrite_its_runs_before_any_work_unless_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = _runs_csv(tmp_path / "r.csv")
    before = runs.read_bytes()
    os.link(runs, tmp_path / "alias.csv")
    monkeypatch.chdir(tmp_path)
    fit = ["fit", str(runs), *_columns(), "--law", "chinchilla"]
    for output in (str(runs), "r.csv", "alias.csv"):  # the same file by its name, a relative path, a hard link
        start = time.perf_counter()
        _refused([*fit, "-o", output], capsys, f"'{output}' is an input of this command", "pass --force")
        assert time.perf_counter() - start < 1.0
        assert runs.read_bytes() == before
    assert main(["-q", *fit, "-o", "r.csv", "--force"]) == 0
    assert lawfit.load_fit(runs).n_points == 245
    assert (tmp_path / "alias.csv").read_bytes() == before  # the link's other name keeps the runs


def test_fit_overwrites_its_own_fits_and_nothing_else_unless_forced(
    tmp_path: Path, old_fit: lawfit.Fit, capsys: pytest.CaptureFixture[str]
) -> None:
    fit = ["fit", "--dataset", "chinchilla", "--law", "chinchilla", "-o"]
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": 1}\n')
    _refused([*fit, str(notes)], capsys, f"'{notes}' exists and lawfit did not write it", "pass --force")
    assert notes.read_text() == '{"mine": 1}\n'
    curve = _curve_fit().save(tmp_path / "curve.json")
    _refused([*fit, str(curve)], capsys, "it is a lawfit curve fit, not a lawfit fit")
    _accepted([*fit, str(old_fit.save(tmp_path / "fit.json"))])
    _accepted([*fit, str(notes), "--force"])
    (tmp_path / "empty.json").touch()  # nothing to lose
    _accepted([*fit, str(tmp_path / "empty.json")])
    # From Python the same: refused without force=True.
    with pytest.raises(lawfit.OutputError, match=r"lawfit did not write it\. .*pass force=True"):
        old_fit.save(notes)
    assert notes.read_text() == '{"mine": 1}\n'
    assert lawfit.load_fit(old_fit.save(notes, force=True)).params == old_fit.params


def test_a_link_is_refused_and_never_followed(
    tmp_path: Path, old_fit: lawfit.Fit, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    theirs = old_fit.save(tmp_path / "theirs.json")  # a lawfit fit: the link is refused all the same
    fit = ["fit", "--dataset", "chinchilla", "--law", "chinchilla", "-o"]
    for target in (victim, theirs):
        link = tmp_path / f"to-{target.stem}.json"
        link.symlink_to(target)
        _refused([*fit, str(link)], capsys, f"'{link}' is a symbolic link", "pass --force to replace the link")
        _accepted([*fit, str(link), "--force"])
        with pytest.raises(lawfit.OutputError, match="symbolic link"):
            old_fit.save(link)
        assert link.is_symlink()
    link = tmp_path / "to-victim.json"
    old_fit.save(link, force=True)
    assert not link.is_symlink() and lawfit.load_fit(link).params == old_fit.params
    assert victim.read_text() == "precious\n"


def test_a_missing_folder_a_folder_or_a_pipe_is_refused_even_when_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    fit = ["fit", "--dataset", "chinchilla", "--law", "chinchilla", "-o"]
    for output, needle in [
        (tmp_path / "missing" / "fit.json", f"its folder '{tmp_path / 'missing'}' does not exist"),
        (tmp_path, "is a folder, not a regular file"),
        (pipe, "is a named pipe, not a regular file"),
    ]:
        for force in ([], ["--force"]):
            _refused([*fit, str(output), *force], capsys, needle)
    assert not (tmp_path / "missing").exists()


# ---------------------------------------------------------------------------------------------------------------
# The other verbs that write: report, plot, curve fit


def _curve_fit() -> lawfit.curves.CurveFit:
    law = lawfit.curves.curve_law("annealing")
    params = {name: 0.5 for name in law.param_names}
    return lawfit.curves.CurveFit(law, params, 1e-5, True, "made by hand", ("a",), 3, lawfit.Objective("huber"))


def _own(kind: str, path: Path, fit: lawfit.Fit) -> Path:
    """A file of ``kind`` as lawfit writes it."""
    if kind == "report":  # the page of the fit alone: its back-test and frontier would take many seconds
        runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(
                lawfit.report.gather, "_gather", lambda *args, **kwargs: lawfit.report.gather._Results(fit, runs, {})
            )
            return lawfit.report.write_report(runs, fit, path, n_resamples=0)
    if kind == "figure":
        return _files.write_figure(_figure(), path)
    return _curve_fit().save(path)


@pytest.mark.parametrize(
    ("kind", "argv", "name", "foreign"),
    [
        ("report", ["report", "--dataset", "chinchilla", "--law", "chinchilla"], "page.html", b"<html>mine</html>"),
        ("figure", ["plot", "FIT", "--kind", "fit"], "figure.png", b"\x89PNG\r\n\x1a\nmine"),
        ("figure", ["plot", "FIT", "--kind", "fit"], "figure.pdf", b"%PDF-1.4 mine"),
        ("curve_fit", ["curve", "fit", "CURVE", "--law", "annealing"], "curve.json", b"{}"),
    ],
)
def test_report_plot_and_curve_fit_check_their_output_first(
    kind: str,
    argv: list[str],
    name: str,
    foreign: bytes,
    tmp_path: Path,
    old_fit: lawfit.Fit,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if kind != "curve_fit":
        pytest.importorskip("matplotlib")
    curve = tmp_path / "cosine_24000.csv"
    curve.write_bytes((MPL / curve.name).read_bytes())
    inputs = {"FIT": str(old_fit.save(tmp_path / "fit.json")), "CURVE": str(curve)}
    argv = [inputs.get(word, word) for word in argv]
    theirs = tmp_path / name
    theirs.write_bytes(foreign)
    _refused([*argv, "-o", str(theirs)], capsys, f"'{theirs}' exists and lawfit did not write it", "--force")
    assert theirs.read_bytes() == foreign
    _accepted([*argv, "-o", str(theirs), "--force"])
    link = tmp_path / f"link{theirs.suffix}"
    link.symlink_to(theirs)
    _refused([*argv, "-o", str(link)], capsys, "is a symbolic link")
    _refused([*argv, "-o", str(tmp_path / "missing" / name), "--force"], capsys, "does not exist")
    own = _own(kind, tmp_path / f"own{theirs.suffix}", old_fit)
    assert _files.lawfit_kind(own) == kind
    _accepted([*argv, "-o", str(own)])
    if name.endswith(".pdf"):
        assert b"lawfit" not in own.read_bytes()[:65536]  # the PDF's creator comes last: found by its end
    if kind == "curve_fit":
        assert lawfit.curves.load_curve_fit(own).params == _curve_fit().params
        before = curve.read_bytes()
        _refused([*argv, "-o", str(curve)], capsys, f"'{curve}' is an input of this command")
        assert curve.read_bytes() == before
    assert theirs.read_bytes() == foreign
