"""The `lawfit` command under faults: one line and the right exit status for every failure, no traceback unless
--debug, no leaked Python warnings, quiet exit into a closed pipe, strict JSON, a bounded --bootstrap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import lawfit
import lawfit.cli
from lawfit.cli import MAX_BOOTSTRAP, _parser, main
from lawfit.cli._output import dumps_strict

LAWFIT = str(Path(sys.executable).parent / "lawfit")
DEBUG_HINT = "(rerun with --debug for the traceback)"


def _strict_loads(text: str) -> dict:
    """json.loads that refuses NaN and Infinity, as jq and JSON.parse do."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _raising(exc: BaseException):
    def command(args) -> int:
        raise exc

    return command


@pytest.fixture(scope="module")
def fit_file(tmp_path_factory, chinchilla_fit: lawfit.Fit) -> str:
    path = tmp_path_factory.mktemp("faults") / "chinchilla.json"
    chinchilla_fit.save(path)
    return str(path)


# 1. Internal errors: exit 1, one line, a hint to --debug; --debug shows the traceback, before or after the verb.


def test_internal_error_is_one_line_with_exit_1(monkeypatch, capsys) -> None:
    monkeypatch.setitem(lawfit.cli._COMMANDS, "datasets", _raising(RuntimeError("boom\nsecond line")))
    assert main(["datasets"]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("lawfit: internal error: RuntimeError: boom") and line.endswith(DEBUG_HINT)


@pytest.mark.parametrize("argv", [["--debug", "datasets"], ["datasets", "--debug"]])
def test_debug_prints_the_traceback(argv: list[str], monkeypatch, capsys) -> None:
    monkeypatch.setitem(lawfit.cli._COMMANDS, "datasets", _raising(RuntimeError("boom")))
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "RuntimeError: boom" in err
    assert err.strip().splitlines()[-1] == "lawfit: internal error: RuntimeError: boom"


# 2. Errors of the user's files and of the machine: exit 2, one line that says what to do.


@pytest.mark.parametrize(
    ("exc", "needles"),
    [
        (FileNotFoundError(2, "No such file or directory", "runs.csv"), ["'runs.csv'", "check the path"]),
        (PermissionError(13, "Permission denied", "runs.csv"), ["'runs.csv'", "Permission denied"]),
        (IsADirectoryError(21, "Is a directory", "runs"), ["'runs'", "not a folder"]),
        (OSError(28, "No space left on device"), ["No space left", "free some disk space"]),
        (MemoryError("Unable to allocate 29.8 GiB for an array"), ["out of memory", "29.8 GiB", "lower --bootstrap"]),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), ["not UTF-8", "save it as UTF-8"]),
    ],
)
def test_os_errors_exit_2_with_one_line(exc: Exception, needles: list[str], monkeypatch, capsys) -> None:
    monkeypatch.setitem(lawfit.cli._COMMANDS, "datasets", _raising(exc))
    assert main(["datasets"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("lawfit: error:") and DEBUG_HINT not in line
    assert all(needle in line for needle in needles), line


def test_unreadable_input_files_exit_2_with_one_line(tmp_path: Path, capsys) -> None:
    binary = tmp_path / "fit.json"
    binary.write_bytes(b'{"law": "caf\xe9"}')  # Latin-1: load_fit's UnicodeDecodeError escaped as a traceback
    assert main(["predict", str(binary), "N=1e9"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("lawfit: error:") and str(binary) in line and "UTF-8" in line
    assert main(["fit", str(tmp_path / "missing.csv"), "--law", "power"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("lawfit: error:") and "missing.csv" in line


def test_usage_errors_are_one_line(capsys) -> None:
    assert main(["fit", "--dataset", "chinchilla", "--nope"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("lawfit: error: unrecognized arguments: --nope") and "--help" in line
    assert main(["--help"]) == 0
    assert "Exit status" in capsys.readouterr().out


# 3. A closed pipe: exit 141 (as for a tool killed by SIGPIPE), nothing on stderr.


@pytest.mark.parametrize("unbuffered", [True, False], ids=["write-in-verb", "final-flush"])
@pytest.mark.parametrize("argv", [["datasets"], ["--help"]])
def test_closed_pipe_exits_quietly(argv: list[str], unbuffered: bool) -> None:
    env = os.environ.copy()
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"  # every print writes at once, into the closed pipe
    read, write = os.pipe()
    os.close(read)  # closed before the command starts: its first write fails, every time
    try:
        out = subprocess.run([LAWFIT, *argv], stdout=write, stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    finally:
        os.close(write)
    assert out.stderr == ""
    assert out.returncode == 141


def test_broken_pipe_in_process_returns_141(monkeypatch, capsys) -> None:
    monkeypatch.setitem(lawfit.cli._COMMANDS, "datasets", _raising(BrokenPipeError(32, "Broken pipe")))
    assert main(["datasets"]) == 141
    assert capsys.readouterr().err == ""


# 4. Warnings: numpy's RuntimeWarnings stay out of stderr (unless --debug); lawfit's print once each.

INFERENCE_OVERFLOW = ["--target-loss", "1.95", "--inference-tokens", "1e300", "--json"]  # overflows in plan/frontier.py


def test_no_runtime_warning_and_strict_json_from_the_shell(fit_file: str) -> None:
    out = subprocess.run(
        [LAWFIT, "inference", fit_file, *INFERENCE_OVERFLOW],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "RuntimeWarning" not in out.stderr and "Warning" not in out.stderr
    record = _strict_loads(out.stdout)  # json.dumps wrote NaN and Infinity here
    assert record["D"] is None and record["compute_optimal"]["total_flops"] is None
    assert record["non_finite"]["D"] == "nan" and record["non_finite"]["compute_optimal.total_flops"] == "inf"
    assert record["inference_flops"] > 1e300


def test_debug_shows_python_warnings(fit_file: str, capsys) -> None:
    assert main(["inference", fit_file, *INFERENCE_OVERFLOW, "--debug"]) == 0
    err = capsys.readouterr().err
    assert "RuntimeWarning: overflow" in err


def test_lawfit_warnings_print_once_and_others_not_at_all(monkeypatch, capsys) -> None:
    def command(args) -> int:
        for _ in range(3):
            warnings.warn(lawfit.ExtrapolationWarning("Extrapolation: N = 1e+13 is far"), stacklevel=1)
        warnings.warn(lawfit.ExtrapolationWarning("Extrapolation: D = 1e+14 is far"), stacklevel=1)
        np.exp(np.array([1e6]))  # overflow: a RuntimeWarning
        warnings.warn("deprecated", DeprecationWarning, stacklevel=1)
        print("done")
        return 0

    monkeypatch.setitem(lawfit.cli._COMMANDS, "datasets", command)
    assert main(["datasets"]) == 0
    out = capsys.readouterr()
    assert out.out == "done\n"
    assert out.err.splitlines() == [
        "lawfit: warning: ExtrapolationWarning: Extrapolation: N = 1e+13 is far",
        "lawfit: warning: ExtrapolationWarning: Extrapolation: D = 1e+14 is far",
    ]


# 5. Strict JSON from every verb.


def test_dumps_strict_nulls_and_names_what_is_not_finite() -> None:
    record = {
        "loss": np.array([2.0, np.inf]),
        "params": {"E": np.float64("nan"), "alpha": np.float32(0.5)},
        "rows": [{"error": -np.inf}, {"error": 1}],
        "n": np.int64(3),
        "ok": np.bool_(True),
        "pair": (1.5, float("nan")),
    }
    back = _strict_loads(dumps_strict(record))
    assert back["loss"] == [2.0, None] and back["params"] == {"E": None, "alpha": 0.5}
    assert back["rows"] == [{"error": None}, {"error": 1}] and back["n"] == 3 and back["ok"] is True
    assert back["pair"] == [1.5, None]
    assert back["non_finite"] == {
        "loss[1]": "inf",
        "params.E": "nan",
        "rows[0].error": "-inf",
        "pair[1]": "nan",
    }
    assert "non_finite" not in _strict_loads(dumps_strict({"loss": [2.0]}))


def test_every_verb_prints_json_through_dumps_strict() -> None:
    folder = Path(lawfit.cli.__file__).parent
    for path in folder.glob("*.py"):
        if path.name != "_output.py":
            assert "json.dumps" not in path.read_text(encoding="utf-8"), path.name


# 6. --bootstrap has a ceiling, in every verb that takes it.


@pytest.mark.parametrize(
    "argv",
    [
        ["fit", "--dataset", "chinchilla", "--law", "chinchilla"],
        ["backtest", "--dataset", "chinchilla", "--law", "chinchilla"],
        ["isoflop", "--dataset", "chinchilla"],
        ["report", "--dataset", "chinchilla"],
        ["plot", "--dataset", "chinchilla", "--kind", "isoflop", "-o", "x.png"],
        ["curve", "forecast", "run.csv"],
    ],
)
def test_bootstrap_is_bounded(argv: list[str], capsys) -> None:
    assert main([*argv, "--bootstrap", "100000000"]) == 2  # asked for 30 GiB
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("lawfit: error: argument --bootstrap:") and f"0 to {MAX_BOOTSTRAP}" in line
    assert "try 1000" in line
    assert main([*argv, "--bootstrap", "-1"]) == 2
    assert "got -1" in _one_error_line(capsys.readouterr().err)
    assert _parser().parse_args([*argv, "--bootstrap", str(MAX_BOOTSTRAP)]).bootstrap == MAX_BOOTSTRAP


# 7. -q and --debug go before or after the verb, and one given before the verb stands.


@pytest.mark.parametrize(
    ("argv", "quiet", "debug"),
    [
        (["-q", "datasets"], True, False),
        (["datasets", "-q"], True, False),
        (["datasets", "--debug", "--quiet"], True, True),
        (["--debug", "datasets"], False, True),
        (["--debug", "-q", "datasets"], True, True),
        (["curve", "predict", "f.json", "--schedule", "constant:steps=10,peak=1e-3", "-q", "--debug"], True, True),
        (["curve", "--debug", "predict", "f.json", "--schedule", "constant:steps=10,peak=1e-3"], False, True),
    ],
)
def test_global_options_go_before_or_after_the_verb(argv: list[str], quiet: bool, debug: bool) -> None:
    args = _parser().parse_args(argv)
    assert (args.quiet, args.debug) == (quiet, debug)


def test_quiet_after_the_verb_runs(capsys) -> None:
    assert main(["datasets", "-q", "--debug"]) == 0
    assert "chinchilla" in capsys.readouterr().out
