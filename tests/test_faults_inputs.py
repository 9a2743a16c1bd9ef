"""Inputs that are refused or noted, never silently used (issue 12): duplicate column names, damaged TensorBoard
event files, steps too large for int64 or for a schedule, and paths that are not regular files."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c as reference_crc32c
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c as reference_masked_crc32c
from tensorboardX import SummaryWriter

from lawfit import load_runs
from lawfit.cli import main
from lawfit.curves import Curve, from_logged, load_curves, parse_schedule, schedule
from lawfit.curves.readers import _crc32c, read_curves, read_mlflow, read_tensorboard, read_wandb
from lawfit.curves.schedule import MAX_SCHEDULE_STEPS, MAX_STEP
from lawfit.errors import DataError, DataWarning

STEPS = 400


# --- helpers ---------------------------------------------------------------------------------------------------


def write_events(folder: Path, steps: range = range(STEPS), suffix: str = "") -> Path:
    """An event file of a loss logged at each step, by tensorboardX's writer; returns its path."""
    with SummaryWriter(str(folder), filename_suffix=suffix) as writer:
        for step in steps:
            writer.add_scalar("loss", 3.0 / (step + 1.0) ** 0.3, step)
    (file,) = [path for path in folder.iterdir() if path.name.endswith(suffix) and "tfevents" in path.name]
    return file


def records(file: Path) -> list[tuple[int, int]]:
    """(start, data length) of each record, by the framing alone: the test's own reader, no checksums."""
    data, found, position = file.read_bytes(), [], 0
    while position < len(data):
        (length,) = struct.unpack_from("<Q", data, position)
        found.append((position, length))
        position += 16 + length
    assert position == len(data)
    return found


def step_of(file: Path, record: tuple[int, int]) -> int:
    start, length = record
    return Event.FromString(file.read_bytes()[start + 12 : start + 12 + length]).step


def loss_steps(file: Path, first_records: int) -> list[int]:
    """The steps of the losses in the first ``first_records`` records (the first record is the file version)."""
    found = records(file)[:first_records]
    return [step_of(file, record) for record in found[1:]]


def flip(file: Path, byte: int, bit: int = 4) -> None:
    data = bytearray(file.read_bytes())
    data[byte] ^= 1 << bit
    file.write_bytes(bytes(data))


def one_warning(caught: list[warnings.WarningMessage]) -> DataWarning:
    found = [w.message for w in caught if isinstance(w.message, DataWarning)]
    assert len(found) == 1, [str(w.message) for w in caught]
    return found[0]


def read_warned(path: Path, **kwargs: Any) -> tuple[pd.DataFrame, DataWarning]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_tensorboard(path, **kwargs)
    return table, one_warning(caught)


def finishes(call: Callable[[], Any], fifos: list[Path], seconds: float = 20.0) -> Any:
    """``call()``, failing the test instead of hanging if it blocks on one of ``fifos``."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = call()
        except BaseException as error:  # handed to the test's thread
            result["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        for fifo in fifos:  # open the other end, so that the blocked reader sees an end of file and returns
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5.0)
        pytest.fail(f"reading blocked for {seconds} s on a FIFO instead of refusing it")
    if "error" in result:
        raise result["error"]
    return result["value"]


# Defined in every capped child: what each call did, accepted, refused (the DataError's message) or MemoryError.
OUTCOMES = """
def outcomes(calls):
    from lawfit.errors import DataError

    out = {}
    for name, call in calls.items():
        try:
            call()
            out[name] = "accepted"
        except DataError as error:
            out[name] = str(error)
        except MemoryError:
            out[name] = "MemoryError"
    return out
"""


def limited(code: str, *, memory: int = 3 << 30, timeout: float = 180.0) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter whose address space is capped at ``memory`` bytes, so that a regression
    that allocates by a bad value fails with MemoryError instead of exhausting the shared machine; the code prints
    one JSON line, which is returned."""
    script = f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))\n" + OUTCOMES
    script += textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(argv)
    return status, capsys.readouterr().err


def one_line(err: str) -> None:
    assert err.count("\n") == 1 and err.startswith("lawfit: error: ") and "Traceback" not in err, err


# --- duplicate column names ------------------------------------------------------------------------------------

RUNS = {"N": [1e8, 2e8, 4e8], "loss": [3.0, 2.8, 2.6], "loss2": [9.0, 9.0, 9.0]}


def _two_loss_columns(path: Path) -> None:
    """A runs file whose header names 'loss' twice, in the format its suffix says."""
    rows = list(zip(RUNS["N"], RUNS["loss"], RUNS["loss2"], strict=True))
    name = path.name
    if name.endswith((".csv", ".csv.gz", ".tsv")):
        sep = "\t" if name.endswith(".tsv") else ","
        text = sep.join(["N", "loss", "loss"]) + "\n" + "".join(sep.join(map(str, row)) + "\n" for row in rows)
        path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    elif name.endswith(".jsonl"):
        path.write_text("".join(f'{{"N": {n}, "loss": {a}, "loss": {b}}}\n' for n, a, b in rows))
    elif name.endswith("records.json"):
        path.write_text("[" + ", ".join(f'{{"N": {n}, "loss": {a}, "loss": {b}}}' for n, a, b in rows) + "]")
    elif name.endswith(".json"):
        path.write_text(f'{{"N": {RUNS["N"]}, "loss": {RUNS["loss"]}, "loss": {RUNS["loss2"]}}}')
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = [pa.array(RUNS["N"]), pa.array(RUNS["loss"]), pa.array(RUNS["loss2"])]
        pq.write_table(pa.table(columns, names=["N", "loss", "loss"]), path)


@pytest.mark.parametrize(
    "name", ["runs.csv", "runs.csv.gz", "runs.tsv", "runs.jsonl", "records.json", "columns.json", "runs.parquet"]
)
def test_runs_file_with_two_loss_columns_is_refused(tmp_path: Path, name: str) -> None:
    # pandas reads the second 'loss' of a CSV as 'loss.1' (and the first was fitted), keeps the last of repeated
    # JSON keys, and pyarrow fails on a Parquet file's with a message several lines long.
    path = tmp_path / name
    _two_loss_columns(path)
    with pytest.raises(DataError, match="duplicate column names 'loss' in the file") as excinfo:
        load_runs(path)
    assert "Rename or drop all but one" in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_a_column_genuinely_named_loss_dot_1_is_no_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("N,loss,loss.1\n1e8,3.0,9.0\n2e8,2.8,9.0\n")
    runs = load_runs(path)
    assert runs.column("loss").tolist() == [3.0, 2.8] and runs.column("loss.1").tolist() == [9.0, 9.0]
    (tmp_path / "runs.json").write_text('[{"N": 1e8, "loss": 3.0, "loss.1": 9.0}]')
    assert load_runs(tmp_path / "runs.json").column("loss").tolist() == [3.0]


def test_frames_with_two_loss_columns_are_refused() -> None:
    frame = pd.DataFrame([[1e8, 3.0, 2.0]], columns=["N", "loss", "loss"])
    with pytest.raises(DataError, match=r"duplicate column names 'loss'.*Rename or drop all but one"):
        load_runs(frame)
    curve = pd.DataFrame([[1, 1e-3, 3.0, 2.0], [2, 1e-3, 2.9, 1.9]], columns=["step", "lr", "loss", "loss"])
    with pytest.raises(DataError, match=r"duplicate column names 'loss'.*Rename or drop all but one"):
        load_curves(curve)
    with pytest.raises(DataError, match="duplicate column names 'loss'"):
        load_curves({"r1": curve})


def test_curve_files_with_two_loss_columns_are_refused(tmp_path: Path) -> None:
    table = tmp_path / "curves.csv"
    table.write_text("run,step,loss,lr,loss\na,1,3.0,1e-3,9.0\na,2,2.9,1e-3,9.0\n")
    for read in (read_curves, load_curves):
        with pytest.raises(DataError, match="duplicate column names 'loss'"):
            read(table)
    lines = tmp_path / "curves.jsonl"
    lines.write_text('{"run": "a", "step": 1, "loss": 3.0, "loss": 9.0}\n')
    for read in (read_curves, load_curves):
        with pytest.raises(DataError, match="duplicate column names 'loss'"):
            read(lines)
    # A W&B chart export of two runs that share a display name: the second was read as a metric 'loss.1'.
    chart = tmp_path / "chart.csv"
    chart.write_text("Step,glowing-sun - loss,glowing-sun - loss\n0,3.0,4.0\n10,2.9,3.9\n")
    with pytest.raises(DataError, match="duplicate column names 'glowing-sun - loss'"):
        read_wandb(chart)


def test_duplicate_columns_on_the_command_line_are_one_line(tmp_path: Path, capsys) -> None:
    runs = tmp_path / "runs.csv"
    _two_loss_columns(runs)
    status, err = cli(["fit", str(runs), "--law", "power", "--x", "N"], capsys)
    assert status == 2 and "duplicate column names 'loss'" in err
    one_line(err)
    curves = tmp_path / "curves.csv"
    curves.write_text("run,step,loss,lr,loss\na,1,3.0,1e-3,9.0\na,2,2.9,1e-3,9.0\n")
    status, err = cli(["curve", "fit", str(curves)], capsys)
    assert status == 2 and "duplicate column names 'loss'" in err
    one_line(err)


# --- CRC-32C ---------------------------------------------------------------------------------------------------


def test_crc32c_matches_tensorboards_on_every_kind_of_length() -> None:
    assert int(_crc32c(np.frombuffer(b"123456789", dtype=np.uint8), [0], [9])[0]) == 0xE3069283  # the check value
    rng = np.random.default_rng(12)
    data = rng.integers(0, 256, 3 << 20, dtype=np.uint8)
    # Around the 1 KiB blocks and the 1 MiB segments of the vectorised computation, and many at once.
    lengths = [0, 1, 2, 3, 4, 7, 8, 9, 1023, 1024, 1025, 2047, 2049, 5000, (1 << 20) - 1, 1 << 20, (1 << 20) + 1]
    lengths += [(2 << 20) + 3, *rng.integers(0, 300, 200).tolist()]
    starts = [int(rng.integers(0, data.size - length + 1)) for length in lengths]
    got = _crc32c(data, starts, lengths)
    expected = [reference_crc32c(data[s : s + n].tobytes()) for s, n in zip(starts, lengths, strict=True)]
    assert got.tolist() == expected


# --- damaged TensorBoard event files ---------------------------------------------------------------------------


def test_a_flipped_bit_in_a_records_data_keeps_the_steps_before_it_and_says_so(tmp_path: Path) -> None:
    file = write_events(tmp_path / "run")
    found = records(file)
    bad = len(found) // 3
    start, length = found[bad]
    flip(file, start + 12 + length // 2)
    table, warning = read_warned(file)
    kept = loss_steps(file, bad)
    last = step_of(file, found[bad - 1])
    # Before, the same 134 steps came back without a word.
    assert table["step"].tolist() == kept == list(range(last + 1))
    assert f"{len(found) - bad} records unreadable after step {last} in {str(file)!r}" in warning.message
    assert f"record {bad + 1} (at byte {start:,}) has data that fail their checksum" in warning.message
    assert warning.data["records_read"] == bad and warning.data["records_unreadable"] == len(found) - bad
    assert warning.data["last_step"] == last and warning.data["bytes_unreadable"] == file.stat().st_size - start


@pytest.mark.parametrize(("where", "byte"), [("length", 0), ("length checksum", 9), ("data checksum", None)])
def test_a_flipped_bit_in_a_records_frame_stops_there(tmp_path: Path, where: str, byte: int | None) -> None:
    file = write_events(tmp_path / "run")
    found = records(file)
    bad = len(found) // 2
    start, length = found[bad]
    flip(file, start + (12 + length if byte is None else byte), bit=0)
    table, warning = read_warned(file)
    last = step_of(file, found[bad - 1])
    assert table["step"].tolist() == list(range(last + 1))
    if where == "data checksum":  # the frames after it still hold: they are counted
        assert f"{len(found) - bad} records unreadable after step {last}" in warning.message
    else:  # a bad length leaves nothing to count the rest by
        size = file.stat().st_size
        assert f"the last {size - start:,} bytes unreadable after step {last}" in warning.message
        assert "has a length that fails its checksum" in warning.message
        assert warning.data["records_unreadable"] is None


@pytest.mark.parametrize("cut", ["inside the header", "inside the data"])
def test_a_truncated_event_file_keeps_its_whole_records(tmp_path: Path, cut: str) -> None:
    file = write_events(tmp_path / "run")
    found = records(file)
    start, length = found[-1]
    keep = start + (5 if cut == "inside the header" else 12 + length // 2)
    file.write_bytes(file.read_bytes()[:keep])
    table, warning = read_warned(file)
    assert table["step"].tolist() == list(range(STEPS - 1))
    assert f"1 record unreadable after step {STEPS - 2}" in warning.message and "is cut short" in warning.message
    if cut == "inside the data":
        assert (
            f"claims {length:,} bytes of data, and the file ends {keep - start - 12:,} bytes later" in warning.message
        )


def test_an_event_file_cut_between_records_is_whole(tmp_path: Path) -> None:
    file = write_events(tmp_path / "run")
    start, _ = records(file)[-1]
    file.write_bytes(file.read_bytes()[:start])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_tensorboard(file)["step"].tolist() == list(range(STEPS - 1))


@pytest.mark.parametrize("checksum", ["valid", "wrong"])
def test_an_absurd_record_length_is_never_allocated(tmp_path: Path, checksum: str) -> None:
    file = write_events(tmp_path / "run")
    size, whole = file.stat().st_size, len(records(file))
    head = struct.pack("<Q", 2**60)
    crc = reference_masked_crc32c(head) ^ (0 if checksum == "valid" else 1)
    file.write_bytes(file.read_bytes() + head + struct.pack("<I", crc) + bytes(100))
    tracemalloc.start()
    try:
        # Before, TensorBoard's reader asked for 2**60 bytes at once: MemoryError.
        table, warning = read_warned(file)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200e6
    assert table["step"].tolist() == list(range(STEPS))
    if checksum == "valid":
        assert f"1 record unreadable after step {STEPS - 1}" in warning.message
        assert f"claims {2**60:,} bytes of data, and the file ends 100 bytes later" in warning.message
    else:
        assert f"the last 112 bytes unreadable after step {STEPS - 1}" in warning.message
        assert f"record {whole + 1} (at byte {size:,}) has a length that fails its checksum" in warning.message


def test_an_event_file_with_no_readable_record_is_refused(tmp_path: Path) -> None:
    file = write_events(tmp_path / "run")
    start, _ = records(file)[0]
    flip(file, start + 12)
    for path in (file, file.parent, tmp_path):
        with pytest.raises(DataError, match=r"hold no readable events: they are empty or corrupt \(events\.out"):
            read_tensorboard(path)
    with pytest.raises(DataError, match="has data that fail their checksum"):
        read_curves(file)


def test_a_damaged_run_beside_a_whole_one_is_read_as_far_as_it_goes(tmp_path: Path) -> None:
    whole = write_events(tmp_path / "whole", range(50))
    damaged = write_events(tmp_path / "damaged", range(50))
    flip(damaged, records(damaged)[0][0] + 12)
    partial = write_events(tmp_path / "partial", range(50))
    start, length = records(partial)[21]
    flip(partial, start + 12 + length - 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_tensorboard(tmp_path)
    said = {Path(w.message.data["file"]): str(w.message) for w in caught if isinstance(w.message, DataWarning)}
    assert len(caught) == 2 and set(said) == {damaged, partial}
    assert said[damaged].startswith(f"51 records unreadable from its start in {str(damaged)!r}: record 1 (at byte 0)")
    assert said[partial].startswith(f"30 records unreadable after step 19 in {str(partial)!r}: record 22")
    assert table.groupby("run")["step"].max().to_dict() == {"partial": 19, "whole": 49}
    assert whole.exists()


def test_a_damaged_file_among_a_runs_files_loses_only_its_tail(tmp_path: Path) -> None:
    first = write_events(tmp_path / "run", range(0, 30), suffix=".a")
    write_events(tmp_path / "run", range(30, 60), suffix=".b")
    start, _ = records(first)[11]
    first.write_bytes(first.read_bytes()[: start + 3])
    table, warning = read_warned(tmp_path / "run")
    assert table["step"].tolist() == [*range(10), *range(30, 60)]
    assert "1 record unreadable after step 9" in warning.message and str(first) in warning.message


def test_load_curves_passes_the_warning_on(tmp_path: Path) -> None:
    with SummaryWriter(str(tmp_path / "run")) as writer:
        for step in range(1, STEPS):
            writer.add_scalar("loss", 3.0 / step**0.3, step)
            writer.add_scalar("lr", 1e-3, step)
    (file,) = (tmp_path / "run").iterdir()
    start, _ = records(file)[99]  # the loss of step 50, after the loss and lr of steps 1..49
    file.write_bytes(file.read_bytes()[: start + 20])
    with pytest.warns(DataWarning, match="1 record unreadable after step 49"):
        (curve,) = load_curves(tmp_path)
    assert curve.step.tolist() == list(range(1, 50)) and curve.steps == 49  # steps 1..49, the last logged


# --- steps -----------------------------------------------------------------------------------------------------


def test_steps_of_2_to_the_63_are_refused_not_wrapped(tmp_path: Path) -> None:
    huge = 2**63
    table = tmp_path / "curves.csv"
    table.write_text(f"run,step,loss,lr\na,10,3.0,1e-3\na,{huge},2.0,1e-3\n")
    with pytest.raises(
        DataError, match=r"1 loss value\(s\) in .* have a step above 1e\+12,.*step 9223372036854775808\)"
    ):
        read_curves(table)
    with pytest.raises(
        DataError, match=r"1 row\(s\) of '.*curves.csv' have a step above 1e\+12,.*index 1, step 9223372036854775808\)"
    ):
        load_curves(table)
    frame = pd.DataFrame({"step": np.array([10, huge], dtype=np.uint64), "loss": [3.0, 2.0], "lr": [1e-3, 1e-3]})
    with pytest.raises(DataError, match="step above 1e\\+12"):
        load_curves(frame)
    with pytest.raises(DataError, match=r"outside 1\.\.100"):
        Curve("a", np.full(100, 1e-3), np.array([huge], dtype=np.uint64), np.array([2.0]))
    metrics = tmp_path / "mlruns" / "0" / "abc" / "metrics"
    metrics.mkdir(parents=True)
    (metrics / "loss").write_text(f"1700000000 3.0 10\n\n1700000001 2.0 {huge}\n")
    with pytest.raises(DataError, match=f"has step {huge} on line 3, above 1e\\+12"):
        read_mlflow(metrics.parent)
    with SummaryWriter(str(tmp_path / "tb")) as writer:
        writer.add_scalar("loss", 3.0, 10)
        writer.add_scalar("loss", 2.0, huge - 1)  # the largest int64 an event can hold
    with pytest.raises(DataError, match=f"step above 1e\\+12,.*step {huge - 1}\\)"):
        read_tensorboard(tmp_path / "tb")


def test_a_step_at_the_limit_is_read(tmp_path: Path) -> None:
    table = tmp_path / "curves.csv"
    table.write_text(f"run,step,loss\na,10,3.0\na,{MAX_STEP},2.0\n")
    assert read_curves(table)["step"].tolist() == [10, MAX_STEP]


def test_a_step_of_3e9_allocates_no_schedule(tmp_path: Path) -> None:
    # Before, load_curves built a schedule of every step up to the last: 3e9 float64, 22 GiB.
    (tmp_path / "curves.csv").write_text("run,step,loss,lr\na,100,3.0,1e-3\na,3000000000,2.0,1e-3\n")
    outcome = limited(
        f"""
        import contextlib, io, json, tracemalloc
        import pandas as pd
        from lawfit.cli import main
        from lawfit.curves import from_logged, load_curves, parse_schedule, schedule

        path = {str(tmp_path / "curves.csv")!r}
        frame = pd.DataFrame({{"step": [100, 3e9], "loss": [3.0, 2.0], "lr": [1e-3, 1e-3]}})
        calls = {{
            "file": lambda: load_curves(path),
            "frame": lambda: load_curves(frame),
            "steps": lambda: load_curves(frame.iloc[:1], steps=3_000_000_000),
            "describe": lambda: parse_schedule("cosine:steps=3e9,peak=3e-4"),
            "schedule": lambda: schedule("constant", steps=3_000_000_000, peak=3e-4),
            "logged": lambda: from_logged([0, 10], [1.0, 0.5], 3_000_000_000),
        }}
        tracemalloc.start()
        out = outcomes(calls)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            try:
                out["cli"] = [main(["curve", "fit", path]), err.getvalue()]
            except MemoryError:
                out["cli"] = [None, "MemoryError"]
        out["peak"] = tracemalloc.get_traced_memory()[1]
        print(json.dumps(out))
        """
    )
    assert outcome.pop("peak") < 200e6
    status, err = outcome.pop("cli")
    assert status == 2 and "logs step 3000000000 (index 1)" in err
    one_line(err)
    for name in ("file", "frame"):
        assert "logs step 3000000000 (index 1), so its per-step schedule would have more than" in outcome[name]
    for name in ("steps", "describe", "schedule", "logged"):
        assert "steps must be at most 100,000,000 (MAX_SCHEDULE_STEPS)" in outcome[name], outcome[name]
    assert "Got 3,000,000,000" in outcome["describe"]


def test_schedules_up_to_the_limit_are_built_as_before() -> None:
    lr = schedule("cosine", steps=24000, peak=3e-4, final=3e-5, warmup=2160)
    assert lr.size == 24000 and float(lr[2160]) == 3e-4
    assert from_logged([0, 10], [1.0, 0.0], 12).size == 12
    with pytest.raises(DataError, match="at most 100,000,000"):
        schedule("constant", steps=MAX_SCHEDULE_STEPS + 1, peak=1e-3)
    for text in ("cosine:steps=nan,peak=1", "cosine:steps=inf,peak=1", "cosine:steps=1e400,peak=1"):
        with pytest.raises(DataError, match="must be a number, not inf or nan"):
            parse_schedule(text)


# --- what is not a regular file --------------------------------------------------------------------------------


def test_fifos_are_refused_before_they_are_opened(tmp_path: Path, capsys) -> None:
    runs, curves = tmp_path / "runs.csv", tmp_path / "curves.csv"
    events = tmp_path / "logs" / "run" / "events.out.tfevents.1700000000.host"
    events.parent.mkdir(parents=True)
    fifos = [runs, curves, events]
    for fifo in fifos:
        os.mkfifo(fifo)
    calls = {
        "load_runs": lambda: load_runs(runs),
        "read_curves": lambda: read_curves(curves),
        "load_curves": lambda: load_curves(curves),
        "read_wandb": lambda: read_wandb(curves),
        "read_tensorboard file": lambda: read_tensorboard(events),
        "read_tensorboard folder": lambda: read_tensorboard(tmp_path / "logs"),
        "read_curves folder": lambda: read_curves(tmp_path / "logs"),
        "load_curves folder": lambda: load_curves(tmp_path / "logs"),
    }
    for name, call in calls.items():
        with pytest.raises(DataError, match=r"it is a FIFO \(named pipe\), not a regular file") as excinfo:
            finishes(call, fifos)
        assert "\n" not in str(excinfo.value), name
    # Before, `lawfit curve fit` waited for a writer forever.
    status, err = finishes(lambda: cli(["curve", "fit", str(tmp_path / "logs")], capsys), fifos)
    assert status == 2 and "FIFO" in err and str(events) in err
    one_line(err)


def test_a_socket_and_a_directory_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        with pytest.raises(DataError, match="it is a socket, not a regular file"):
            finishes(lambda: load_runs(path), [])
        with pytest.raises(DataError, match="it is a socket, not a regular file"):
            finishes(lambda: read_curves(path), [])
    with pytest.raises(DataError, match=r"it is a directory\. Give the path of a file"):
        load_runs(tmp_path, format="csv")


def test_dev_zero_is_refused_before_it_is_read(tmp_path: Path) -> None:
    # Reading /dev/zero never ends: a regression fills the capped memory and fails, where the machine would swap.
    (tmp_path / "logs" / "run").mkdir(parents=True)
    (tmp_path / "logs" / "run" / "events.out.tfevents.1700000000.zero").symlink_to("/dev/zero")
    outcome = limited(
        f"""
        import json
        from lawfit import load_runs
        from lawfit.curves import load_curves, read_curves, read_tensorboard, read_wandb

        logs = {str(tmp_path / "logs")!r}
        calls = {{
            "load_runs": lambda: load_runs("/dev/zero", format="csv"),
            "read_curves": lambda: read_curves("/dev/zero"),
            "load_curves": lambda: load_curves("/dev/zero"),
            "read_wandb": lambda: read_wandb("/dev/zero"),
            "read_tensorboard": lambda: read_tensorboard(logs),
            "load_curves logs": lambda: load_curves(logs),
        }}
        print(json.dumps(outcomes(calls)))
        """,
        timeout=120,
    )
    for name, said in outcome.items():
        assert "it is a character device, not a regular file" in said, (name, said)
