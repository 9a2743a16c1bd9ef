"""Training-curve readers: TensorBoard logs written by real writers, W&B and MLflow exports in their documented
formats, dispatch, and one clear error for each bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboardX import SummaryWriter

from lawfit.curves.readers import read_curves, read_mlflow, read_tensorboard, read_wandb
from lawfit.errors import DataError

STEPS = np.arange(50)
LR_STEPS = np.arange(0, 50, 10)


def loss_of(run: str, step: np.ndarray) -> np.ndarray:
    return {"r1": 4.0, "r2": 5.0}[run] * (step + 1.0) ** -0.3


def lr_of(step: np.ndarray) -> np.ndarray:
    return 1e-3 * (1.0 - step / 50.0)


def f32(values: np.ndarray) -> np.ndarray:
    """Event files store scalars as float32: what a reader can give back."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def curve(runs: list[str], steps: list[int], loss: list[float], lr: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": pd.Series(runs, dtype=str),
            "step": np.asarray(steps, dtype=np.int64),
            "loss": np.asarray(loss, dtype=np.float64),
            "lr": np.asarray(lr, dtype=np.float64),
        }
    )


def lr_points(runs: list[str], steps: list[int], lr: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": pd.Series(runs, dtype=str),
            "step": np.asarray(steps, dtype=np.int64),
            "lr": np.asarray(lr, dtype=np.float64),
        }
    )


def logged_lr(table: pd.DataFrame) -> pd.DataFrame:
    """The sparse learning-rate series of a curve table: its rows where the lr was logged."""
    return table.dropna(subset=["lr"])[["run", "step", "lr"]].reset_index(drop=True)


def check(table: pd.DataFrame, expected: pd.DataFrame, lr: pd.DataFrame, source: Path, tags: dict) -> None:
    """The whole contract: columns, dtypes, values, sorted rows, a RangeIndex, the attrs (only the source and
    tags, no tables), and the logged learning rates as the rows with an lr."""
    assert list(table.columns) == ["run", "step", "loss", "lr"]
    pd.testing.assert_frame_equal(table, expected)
    assert table.attrs == {"source": str(source), "tags": tags}
    pd.testing.assert_frame_equal(logged_lr(table), lr)
    assert table.groupby("run")["loss"].count().min() >= 1


# --- TensorBoard -----------------------------------------------------------------------------------------------


def write_runs(logs: Path) -> None:
    """Two runs with tensorboardX's SummaryWriter: loss every step, lr every 10 steps; r2 also logs train/loss."""
    for run in ("r1", "r2"):
        with SummaryWriter(str(logs / run)) as writer:
            for step in STEPS:
                writer.add_scalar("loss", loss_of(run, step), step)
                if step % 10 == 0:
                    writer.add_scalar("lr", lr_of(step), step)
                if run == "r2":
                    writer.add_scalar("train/loss", 10.0 + step, step)


def expected_runs() -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = ["r1"] * 50 + ["r2"] * 50
    steps = [*STEPS, *STEPS]
    loss = [*f32(loss_of("r1", STEPS)), *f32(loss_of("r2", STEPS))]
    lr = np.full(100, np.nan)
    lr[LR_STEPS] = lr[LR_STEPS + 50] = f32(lr_of(LR_STEPS))
    lr_series = lr_points(["r1"] * 5 + ["r2"] * 5, [*LR_STEPS, *LR_STEPS], [*f32(lr_of(LR_STEPS))] * 2)
    return curve(runs, steps, loss, list(lr)), lr_series


def test_tensorboard_directory_of_runs(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_runs(logs)
    table = read_tensorboard(logs)
    expected, lr = expected_runs()
    check(table, expected, lr, logs, {"loss": "loss", "lr": "lr"})
    # The lr is logged every 10 steps at steps that also log the loss: no row of its own, one row per step.
    assert len(table) == 100
    assert table["loss"].notna().all()
    assert table["lr"].notna().sum() == 10
    assert (table.loc[table["lr"].notna(), "step"] % 10 == 0).all()


def test_tensorboard_other_loss_tag_of_one_run(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_runs(logs)
    # A run's own folder: the run is named after it, as TensorBoard names the run ".".
    table = read_tensorboard(logs / "r2", loss_tag="train/loss")
    assert table.attrs["tags"] == {"loss": "train/loss", "lr": "lr"}
    assert (table["run"] == "r2").all()
    np.testing.assert_array_equal(table["loss"], 10.0 + STEPS)
    # Every run must log the loss tag: r1 does not log train/loss.
    with pytest.raises(DataError, match=r"1 of 2 runs in .* lack the loss tag 'train/loss': run 'r1' has 'loss', 'lr'"):
        read_tensorboard(logs, loss_tag="train/loss")


def test_tensorboard_single_event_file(tmp_path: Path) -> None:
    write_runs(tmp_path / "logs")
    (file,) = (tmp_path / "logs" / "r1").iterdir()
    table = read_tensorboard(file)
    expected, lr = expected_runs()
    check(table, expected[:50], lr[:5], file, {"loss": "loss", "lr": "lr"})
    assert (read_tensorboard(file, run="small")["run"] == "small").all()


def test_tensorboard_scalars_written_as_tensors(tmp_path: Path) -> None:
    # torch.utils.tensorboard (new_style) and TF2 write scalars as tensors of the "scalars" plugin; write them
    # with TensorBoard's own event writer and its scalar summary, nested two folders deep, beside a tensorboardX
    # run at the top of the log directory.
    logs = tmp_path / "logs"
    writer = EventFileWriter(str(logs / "sweep" / "tensor-run"))
    for step in STEPS:
        summary = scalar_pb("train/loss", loss_of("r1", step))
        if step % 10 == 0:
            summary.value.extend(scalar_pb("train/learning_rate", lr_of(step)).value)
        writer.add_event(Event(step=int(step), wall_time=1.0, summary=summary))
    # The final learning rate, logged after the last loss: a row of its own, without a loss.
    writer.add_event(Event(step=50, wall_time=1.0, summary=scalar_pb("train/learning_rate", 0.0)))
    writer.close()
    with SummaryWriter(str(logs)) as top:
        for step in (0, 5):
            top.add_scalar("train/loss", 2.0 - step / 10, step)
    table = read_tensorboard(logs)
    assert table.attrs["tags"] == {"loss": "train/loss", "lr": "train/learning_rate"}
    tensor_run = ["sweep/tensor-run"] * 51
    lr = np.full(51, np.nan)
    lr[LR_STEPS] = f32(lr_of(LR_STEPS))
    lr[50] = 0.0
    expected = pd.concat(
        [
            curve(["logs"] * 2, [0, 5], [2.0, 1.5], [np.nan] * 2),
            curve(tensor_run, [*STEPS, 50], [*f32(loss_of("r1", STEPS)), np.nan], lr),
        ],
        ignore_index=True,
    )
    lr_series = lr_points(["sweep/tensor-run"] * 6, [*LR_STEPS, 50], [*f32(lr_of(LR_STEPS)), 0.0])
    check(table, expected, lr_series, logs, {"loss": "train/loss", "lr": "train/learning_rate"})
    last = table.iloc[-1]
    assert (last["run"], last["step"], last["lr"]) == ("sweep/tensor-run", 50, 0.0)
    assert np.isnan(last["loss"])


def test_tensorboard_keeps_last_value_at_a_step_and_skips_runs_without_scalars(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    with SummaryWriter(str(logs / "run")) as writer:
        for step, value in [(0, 3.0), (1, 9.0), (1, 2.5), (2, 2.0)]:
            writer.add_scalar("train_loss", value, step)
    with SummaryWriter(str(logs / "hparams")) as writer:
        writer.add_histogram("weights", np.arange(10.0), 0)
    table = read_tensorboard(logs)
    pd.testing.assert_frame_equal(table, curve(["run"] * 3, [0, 1, 2], [3.0, 2.5, 2.0], [np.nan] * 3))
    assert table.attrs == {"source": str(logs), "tags": {"loss": "train_loss", "lr": None}}
    assert logged_lr(table).empty


def test_tensorboard_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file or directory"):
        read_tensorboard(tmp_path / "absent")
    with pytest.raises(DataError, match=r"No TensorBoard event files \(events.out.tfevents.\*\) under"):
        read_tensorboard(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="is not a TensorBoard event file"):
        read_tensorboard(tmp_path / "notes.txt")
    corrupt = tmp_path / "corrupt" / "events.out.tfevents.1700000000.host"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"not a record" * 20)
    for path in (corrupt, corrupt.parent):
        with pytest.raises(DataError, match="hold no readable events: they are empty or corrupt"):
            read_tensorboard(path)
    with SummaryWriter(str(tmp_path / "histograms")) as writer:
        writer.add_histogram("weights", np.arange(10.0), 0)
    with pytest.raises(DataError, match="hold no scalars"):
        read_tensorboard(tmp_path / "histograms")


def test_tensorboard_tag_errors(tmp_path: Path) -> None:
    with SummaryWriter(str(tmp_path / "run")) as writer:
        writer.add_scalar("accuracy", 0.5, 0)
        writer.add_scalar("lr", 0.1, 0)
    with pytest.raises(
        DataError, match=r"No loss tag in .*: none of 'loss', .*Its tags are 'accuracy', 'lr'\. Pass loss_tag="
    ):
        read_tensorboard(tmp_path)
    with pytest.raises(DataError, match=r"No tag 'val/loss' in .*Its tags are 'accuracy', 'lr'\. Pass loss_tag= one"):
        read_tensorboard(tmp_path, loss_tag="val/loss")
    with pytest.raises(DataError, match=r"No tag 'lr/group0' .* Pass lr_tag= one of them or leave it unset"):
        read_tensorboard(tmp_path, loss_tag="accuracy", lr_tag="lr/group0")


def test_tensorboard_refuses_nan_and_inf_loss(tmp_path: Path) -> None:
    for run in ("a", "b"):
        with SummaryWriter(str(tmp_path / run)) as writer:
            for step in range(10):
                bad = run == "a" and step in (3, 7)
                writer.add_scalar("loss", (np.nan if step == 3 else np.inf) if bad else 1.0, step)
    message = r"2 loss value\(s\) of 'loss' in .* are NaN or infinite: 2 in run 'a' \(step 3, 7\)\. .*clean it there"
    with pytest.raises(DataError, match=message):
        read_tensorboard(tmp_path)


def test_run_names_one_run_only(tmp_path: Path) -> None:
    write_runs(tmp_path / "logs")
    with pytest.raises(
        DataError, match=r"run='x' names the run of a source holding one, but .* holds 2 runs \('r1', 'r2'\)"
    ):
        read_tensorboard(tmp_path / "logs", run="x")


def test_tensorboard_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name == "tensorboard" or name.startswith("tensorboard.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(
        DataError, match=r"needs the tensorboard package\. Install it with pip install 'lawfit\[tensorboard\]'"
    ):
        read_tensorboard(tmp_path)


def test_importing_the_readers_does_not_import_tensorboard() -> None:
    code = "import sys, lawfit.curves.readers; print(sorted(m for m in sys.modules if m.startswith('tensorboard')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- W&B -------------------------------------------------------------------------------------------------------
# No wandb here (a large dependency): the files are written in W&B's export formats with pandas. A run history is
# what the public API's Run.history() / Run.scan_history() return (W&B docs, "Export data": one row per
# wandb.log call, a `_step` counter, `_runtime`, `_timestamp` and one column per key), saved with pandas. A
# chart's "Export CSV" in the W&B app has a `Step` column and, per run, `<run name> - <metric>` with `__MIN`
# and `__MAX` companions.


def lightning_history() -> pd.DataFrame:
    """PyTorch Lightning's WandbLogger: every row has trainer/global_step; LearningRateMonitor logs lr-AdamW in
    rows of its own, so `_step` (one per row) is not the training step."""
    rows = []
    for step in range(20):
        if step % 5 == 0:
            rows.append({"trainer/global_step": step, "lr-AdamW": 1e-3 / (step + 1)})
        rows.append({"trainer/global_step": step, "train_loss": 3.0 - 0.05 * step, "epoch": 0})
    history = pd.DataFrame(rows)
    history.insert(0, "_step", np.arange(len(history)))
    history["_runtime"] = 0.5 * np.arange(len(history))
    return history


def test_wandb_history_in_each_file_format(tmp_path: Path) -> None:
    history = lightning_history()
    files = [tmp_path / "history.csv", tmp_path / "history.json", tmp_path / "history.jsonl"]
    history.to_csv(files[0], index=False)
    history.to_json(files[1])
    history.to_json(files[2], orient="records", lines=True)
    steps = list(range(20))
    lr = [1e-3 / (step + 1) if step % 5 == 0 else np.nan for step in steps]
    expected = curve(["history"] * 20, steps, [3.0 - 0.05 * step for step in steps], lr)
    lr_series = lr_points(["history"] * 4, [0, 5, 10, 15], [1e-3 / (step + 1) for step in (0, 5, 10, 15)])
    for file in files:
        check(read_wandb(file), expected, lr_series, file, {"loss": "train_loss", "lr": "lr-AdamW"})
        check(read_curves(file), expected, lr_series, file, {"loss": "train_loss", "lr": "lr-AdamW"})


def test_wandb_history_by_step_counter(tmp_path: Path) -> None:
    # Hugging Face style keys logged in one wandb.log call per step: `_step` is the step; empty cells are keys
    # not logged in that row.
    history = pd.DataFrame(
        {
            "_step": [0, 1, 2, 3],
            "train/loss": [2.0, np.nan, 1.5, 1.25],
            "train/learning_rate": [0.1, 0.1, np.nan, 0.05],
            "_timestamp": [1.7e9, 1.7e9 + 1, 1.7e9 + 2, 1.7e9 + 3],
        }
    )
    file = tmp_path / "h.csv"
    history.to_csv(file)  # with the index column, as DataFrame.to_csv writes by default
    table = read_wandb(file, run="gpt-small")
    # Step 1 logs the learning rate but no loss: its row has a NaN loss; step 2 logs the loss but no lr.
    expected = curve(["gpt-small"] * 4, [0, 1, 2, 3], [2.0, np.nan, 1.5, 1.25], [0.1, 0.1, np.nan, 0.05])
    lr_series = lr_points(["gpt-small"] * 3, [0, 1, 3], [0.1, 0.1, 0.05])
    check(table, expected, lr_series, file, {"loss": "train/loss", "lr": "train/learning_rate"})
    assert np.isnan(table.loc[table["step"] == 1, "loss"]).all()
    assert table.dropna(subset=["loss"])["step"].tolist() == [0, 2, 3]


def test_wandb_chart_export(tmp_path: Path) -> None:
    file = tmp_path / "wandb_export_2025-01-01T00_00_00.csv"
    file.write_text(
        "Step,glowing-sun-12 - train/loss,glowing-sun-12 - train/loss__MIN,glowing-sun-12 - train/loss__MAX,"
        "my run - v2 - train/loss,my run - v2 - train/loss__MIN,my run - v2 - train/loss__MAX\n"
        "0,3.5,3.5,3.5,4.0,4.0,4.0\n"
        "100,3.0,3.0,3.0,,,\n"
        "200,2.75,2.75,2.75,3.25,3.25,3.25\n"
    )
    runs = ["glowing-sun-12"] * 3 + ["my run - v2"] * 2
    expected = curve(runs, [0, 100, 200, 0, 200], [3.5, 3.0, 2.75, 4.0, 3.25], [np.nan] * 5)
    empty_lr = lr_points([], [], [])
    check(read_wandb(file), expected, empty_lr, file, {"loss": "train/loss", "lr": None})
    check(read_curves(file, loss_tag="train/loss"), expected, empty_lr, file, {"loss": "train/loss", "lr": None})


def test_wandb_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"is a directory\. Give the exported CSV"):
        read_wandb(tmp_path)
    file = tmp_path / "history.csv"
    pd.DataFrame({"iteration": [0, 1], "loss": [1.0, 2.0]}).to_csv(file, index=False)
    with pytest.raises(DataError, match=r"No step column in .*Its columns are 'iteration', 'loss'\. Rename"):
        read_wandb(file)
    pd.DataFrame({"_step": [0, 1], "val/loss": [1.0, 2.0]}).to_csv(file, index=False)
    with pytest.raises(DataError, match=r"No loss metric key in .*Its metric keys are 'val/loss'\. Pass loss_key="):
        read_wandb(file)
    pd.DataFrame({"_step": [0, 1], "loss": ["1.0", "oops"]}).to_csv(file, index=False)
    with pytest.raises(
        DataError, match=r"Column 'loss' of .* holds 1 value\(s\) that are not numbers \(first: 'oops'\)"
    ):
        read_wandb(file)
    pd.DataFrame({"_step": [0, 1], "loss": [1.0, np.inf]}).to_csv(file, index=False)
    with pytest.raises(
        DataError, match=r"1 loss value\(s\) of 'loss' .* NaN or infinite: 1 in run 'history' \(step 1\)"
    ):
        read_wandb(file)
    file.write_text(
        "Step,glowing-sun-12 - val/acc,glowing-sun-12 - val/acc__MIN,glowing-sun-12 - val/acc__MAX\n0,1,1,1\n"
    )
    with pytest.raises(DataError, match=r"No loss metric key in .*Its metric keys are 'val/acc'\. Pass loss_key="):
        read_wandb(file)
    pd.DataFrame({"trainer/global_step": [0, np.nan], "loss": [1.0, 2.0]}).to_csv(file, index=False)
    with pytest.raises(
        DataError, match=r"1 loss value\(s\) in .* have a step that is missing, negative or not a whole"
    ):
        read_wandb(file)


# --- MLflow ----------------------------------------------------------------------------------------------------
# No mlflow here (a large dependency): the file store is written as MLflow's FileStore lays it out
# (mlflow/store/tracking/file_store.py): mlruns/<experiment id>/meta.yaml, and per run <run id>/meta.yaml,
# metrics/<key> (a key with slashes is nested folders) holding one "<timestamp> <value> <step>" line per
# log_metric call, and tags/<tag> files such as tags/mlflow.runName. The CSV is MlflowClient.get_metric_history's
# Metric objects (key, value, timestamp, step, run_id) as a DataFrame with the run name added.


def write_mlflow_run(
    experiment: Path, run_id: str, metrics: dict[str, list[tuple[float, int]]], name: str | None, stage: str = "active"
) -> Path:
    run = experiment / run_id
    (run / "tags").mkdir(parents=True)
    (run / "meta.yaml").write_text(f"run_id: {run_id}\nexperiment_id: '1'\nlifecycle_stage: {stage}\nstatus: 3\n")
    if name is not None:
        (run / "tags" / "mlflow.runName").write_text(name)
    for key, points in metrics.items():
        file = run / "metrics" / key
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text("".join(f"{1700000000000 + step} {value} {step}\n" for value, step in points))
    return run


def mlflow_experiment(tmp_path: Path) -> Path:
    experiment = tmp_path / "mlruns" / "1"
    experiment.mkdir(parents=True)
    (experiment / "meta.yaml").write_text("experiment_id: '1'\nname: sweep\nlifecycle_stage: active\n")
    loss = [(3.0, 0), (2.5, 1), (9.0, 2), (2.0, 2), (1.75, 3)]  # step 2 logged twice: the later line counts
    lr = [(0.1, 0), (0.05, 2), (0.025, 5)]  # step 5 logs no loss
    write_mlflow_run(experiment, "0a1b", {"train/loss": loss, "lr": lr}, "baseline")
    write_mlflow_run(experiment, "9f8e", {"train/loss": [(4.0, 10), (3.0, 20)]}, None)
    write_mlflow_run(experiment, "dead", {"train/loss": [(np.nan, 0)]}, "deleted", stage="deleted")
    return experiment


def test_mlflow_file_store(tmp_path: Path) -> None:
    experiment = mlflow_experiment(tmp_path)
    expected = curve(
        ["9f8e", "9f8e", "baseline", "baseline", "baseline", "baseline", "baseline"],
        [10, 20, 0, 1, 2, 3, 5],
        [4.0, 3.0, 3.0, 2.5, 2.0, 1.75, np.nan],
        [np.nan, np.nan, 0.1, np.nan, 0.05, np.nan, 0.025],
    )
    lr_series = lr_points(["baseline"] * 3, [0, 2, 5], [0.1, 0.05, 0.025])
    tags = {"loss": "train/loss", "lr": "lr"}
    check(read_mlflow(experiment), expected, lr_series, experiment, tags)
    check(read_curves(experiment), expected, lr_series, experiment, tags)
    run = experiment / "0a1b"
    check(read_mlflow(run), expected[2:].reset_index(drop=True), lr_series, run, tags)
    check(read_curves(run, loss_tag="train/loss"), expected[2:].reset_index(drop=True), lr_series, run, tags)


def test_mlflow_runs_sharing_a_name(tmp_path: Path) -> None:
    for run_id in ("aaa", "bbb"):
        write_mlflow_run(tmp_path, run_id, {"loss": [(1.0, 0)]}, "rerun")
    assert read_mlflow(tmp_path)["run"].tolist() == ["rerun (aaa)", "rerun (bbb)"]


def test_mlflow_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"No MLflow runs in .*: expected a run directory with metrics/"):
        read_mlflow(tmp_path)
    run = write_mlflow_run(tmp_path, "abc", {"loss": [(1.0, 0)]}, "r")
    (run / "metrics" / "loss").write_text("1700000000000 1.0 0\n1700000000001 oops\n")
    with pytest.raises(DataError, match=r"line 2 is '1700000000001 oops', not 'timestamp value step'"):
        read_mlflow(run)
    (run / "metrics" / "loss").write_text("1700000000000 1.0 0\n1700000000001 nan 1\n")
    with pytest.raises(DataError, match=r"1 loss value\(s\) of 'loss' .* NaN or infinite: 1 in run 'r' \(step 1\)"):
        read_mlflow(run)
    csv = tmp_path / "history.csv"
    pd.DataFrame({"metric": ["loss"], "value": [1.0], "step": [0]}).to_csv(csv, index=False)
    with pytest.raises(DataError, match=r"is not an MLflow metric history: it lacks 'key' \(its columns are 'metric'"):
        read_mlflow(csv)


def test_mlflow_csv(tmp_path: Path) -> None:
    history = pd.DataFrame(
        {
            "key": ["train_loss", "train_loss", "learning_rate", "train_loss", "train_loss", "train_loss"],
            "value": [2.0, 1.5, 3e-4, 2.5, 1.0, 9.9],
            "timestamp": [10, 11, 10, 20, 12, 5],
            "step": [0, 1, 0, 0, 2, 2],
            "run_id": ["r-1", "r-1", "r-1", "r-2", "r-1", "r-1"],
            "run_name": ["small", "small", "small", "large", "small", "small"],
        }
    )
    file = tmp_path / "metrics.csv"
    history.to_csv(file, index=False)
    # The row with timestamp 5 was logged first, so the value logged at timestamp 12 is the one kept at step 2.
    expected = curve(
        ["large", "small", "small", "small"], [0, 0, 1, 2], [2.5, 2.0, 1.5, 1.0], [np.nan, 3e-4, np.nan, np.nan]
    )
    lr_series = lr_points(["small"], [0], [3e-4])
    tags = {"loss": "train_loss", "lr": "learning_rate"}
    check(read_mlflow(file), expected, lr_series, file, tags)
    check(read_curves(file), expected, lr_series, file, tags)


# --- read_curves ---------------------------------------------------------------------------------------------


def test_read_curves_dispatches_tensorboard(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_runs(logs)
    expected, lr = expected_runs()
    check(read_curves(logs), expected, lr, logs, {"loss": "loss", "lr": "lr"})
    (file,) = (logs / "r2").iterdir()
    table = read_curves(file, loss_key="train/loss", run="big")
    assert table.attrs["tags"]["loss"] == "train/loss"
    assert (table["run"] == "big").all()


def test_read_curves_reads_the_curve_table(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {"run": ["b", "a", "a", "a"], "step": [0, 2, 0, 1], "loss": [5.0, 2.0, 3.0, 2.5], "lr": [0.1, np.nan, 0.2, 0.2]}
    )
    expected = curve(["a", "a", "a", "b"], [0, 1, 2, 0], [3.0, 2.5, 2.0, 5.0], [0.2, 0.2, np.nan, 0.1])
    lr_series = lr_points(["a", "a", "b"], [0, 1, 0], [0.2, 0.2, 0.1])
    csv, jsonl = tmp_path / "curves.csv", tmp_path / "curves.jsonl"
    table.to_csv(csv, index=False)
    table.to_json(jsonl, orient="records", lines=True)
    check(read_curves(csv), expected, lr_series, csv, {"loss": "loss", "lr": "lr"})
    check(read_curves(jsonl), expected, lr_series, jsonl, {"loss": "loss", "lr": "lr"})
    table.drop(columns="lr").to_csv(csv, index=False)
    check(read_curves(csv), expected.assign(lr=np.nan), lr_points([], [], []), csv, {"loss": "loss", "lr": None})
    with pytest.raises(DataError, match=r"is a curve table .* it takes no options, got 'loss_key'"):
        read_curves(csv, loss_key="loss")


def test_read_curves_reads_learning_rates_without_a_loss(tmp_path: Path) -> None:
    # A row with an lr and an empty loss is a step that logged only the learning rate, as the readers write it.
    table = pd.DataFrame(
        {
            "run": ["a", "a", "a", "b"],
            "step": [3, 0, 1, 0],
            "loss": [np.nan, 3.0, 2.5, 5.0],
            "lr": [0.3, 0.2, np.nan, 0.1],
        }
    )
    csv, jsonl = tmp_path / "curves.csv", tmp_path / "curves.jsonl"
    table.to_csv(csv, index=False)
    table.to_json(jsonl, orient="records", lines=True)
    expected = curve(["a", "a", "a", "b"], [0, 1, 3, 0], [3.0, 2.5, np.nan, 5.0], [0.2, np.nan, 0.3, 0.1])
    lr_series = lr_points(["a", "a", "b"], [0, 3, 0], [0.2, 0.3, 0.1])
    for file in (csv, jsonl):
        read = read_curves(file)
        check(read, expected, lr_series, file, {"loss": "loss", "lr": "lr"})
        assert np.isnan(read.loc[(read["run"] == "a") & (read["step"] == 3), "loss"]).all()
    # What a reader returns is written and read back unchanged.
    read.to_csv(csv, index=False)
    check(read_curves(csv), expected, lr_series, csv, {"loss": "loss", "lr": "lr"})


def test_read_curves_curve_table_errors(tmp_path: Path) -> None:
    csv = tmp_path / "curves.csv"
    table = pd.DataFrame(
        {"run": ["b", "a", "a", "a"], "step": [0, 2, 0, 1], "loss": [5.0, 2.0, 3.0, 2.5], "lr": [0.1, np.nan, 0.2, 0.2]}
    )
    # An empty loss is one not logged; a row that logs neither the loss nor the lr is refused, not dropped.
    table.assign(loss=[1.0, np.nan, 2.0, 3.0]).to_csv(csv, index=False)
    with pytest.raises(
        DataError, match=r"1 row\(s\) of .* have neither a loss nor a learning rate \(first: run 'a', step 2\)"
    ):
        read_curves(csv)
    table.drop(columns="lr").assign(loss=[1.0, np.nan, 2.0, 3.0]).to_csv(csv, index=False)
    with pytest.raises(DataError, match=r"have neither a loss nor a learning rate \(first: run 'a', step 2\)"):
        read_curves(csv)
    table.assign(loss=[1.0, np.inf, 2.0, 3.0]).to_csv(csv, index=False)
    with pytest.raises(DataError, match=r"1 loss value\(s\) of 'loss' .* NaN or infinite: 1 in run 'a' \(step 2\)"):
        read_curves(csv)
    # Every run needs a loss: a run that logged only learning rates is refused.
    table.assign(loss=[np.nan, 2.0, 3.0, 2.5]).to_csv(csv, index=False)
    with pytest.raises(DataError, match=r"1 run\(s\) in .* hold no loss values under 'loss', only learning rates: 'b'"):
        read_curves(csv)
    table.assign(loss=np.nan, lr=0.1).to_csv(csv, index=False)
    with pytest.raises(DataError, match=r"holds no loss values under 'loss'\. Check the source"):
        read_curves(csv)
    table.assign(step=[0, -1, 0, 1]).to_csv(csv, index=False)
    with pytest.raises(
        DataError, match=r"have a step that is missing, negative or not a whole number \(first: run 'a', step -1"
    ):
        read_curves(csv)


def test_tables_of_several_sources_concatenate(tmp_path: Path) -> None:
    # attrs hold only comparable values (pandas compares them with == when concatenating: pandas#60455).
    logs = tmp_path / "logs"
    write_runs(logs)
    history = tmp_path / "h.csv"
    pd.DataFrame({"_step": [0, 1, 2], "train/loss": [2.0, np.nan, 1.5], "lr": [0.1, 0.05, np.nan]}).to_csv(
        history, index=False
    )
    first, second = read_curves(logs), read_curves(history)
    both = pd.concat([first, second], ignore_index=True)
    expected, lr = expected_runs()
    expected = pd.concat(
        [expected, curve(["h"] * 3, [0, 1, 2], [2.0, np.nan, 1.5], [0.1, 0.05, np.nan])], ignore_index=True
    )
    pd.testing.assert_frame_equal(both, expected)
    pd.testing.assert_frame_equal(
        logged_lr(both), pd.concat([lr, lr_points(["h"] * 2, [0, 1], [0.1, 0.05])], ignore_index=True)
    )
    assert both.attrs == {}  # the sources differ: pandas keeps attrs only when all are equal
    again = pd.concat([first, read_curves(logs)])
    assert again.attrs == {"source": str(logs), "tags": {"loss": "loss", "lr": "lr"}}
    assert len(again) == 2 * len(first)


def test_read_curves_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file or directory"):
        read_curves(tmp_path / "absent.csv")
    with pytest.raises(DataError, match=r"Cannot tell what .* holds: no TensorBoard event files .* no meta.yaml"):
        read_curves(tmp_path)
    file = tmp_path / "other.csv"
    pd.DataFrame({"epoch": [1], "accuracy": [0.5]}).to_csv(file, index=False)
    with pytest.raises(DataError, match=r"Cannot tell what .* holds from its columns \('epoch', 'accuracy'\)"):
        read_curves(file)
    (tmp_path / "run.parquet").write_bytes(b"PAR1")
    with pytest.raises(DataError, match=r"its suffix is not one of '.csv', '.json', '.jsonl', '.ndjson'"):
        read_curves(tmp_path / "run.parquet")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="the file is empty"):
        read_curves(tmp_path / "empty.csv")
    (tmp_path / "broken.json").write_text('{"run": [1, 2')
    with pytest.raises(DataError, match=r"Cannot read .*broken.json' as JSON: .*Check that the file is JSON"):
        read_curves(tmp_path / "broken.json")
