"""Readers of training curves: loss and learning rate against step, from TensorBoard, W&B and MLflow logs.

Every reader returns the curve table, a :class:`pandas.DataFrame` with the columns ``run`` (str), ``step``
(int64, >= 0), ``loss`` (float64) and ``lr`` (float64), one row per run and step at which the loss or the
learning rate (or both) was logged, sorted by run and step. ``loss`` is NaN on rows where only the learning rate
was logged, and ``lr`` on rows where only the loss was: trackers log the two at their own steps, the learning
rate often sparsely. So ``table.dropna(subset=["loss"])`` is the loss curve and ``table.dropna(subset=["lr"])``
every logged learning-rate point, from which the schedule can be rebuilt. Every run has at least one loss.
``attrs["source"]`` is the path that was read (a str) and ``attrs["tags"]`` the tag or key that each column came
from, ``{"loss": ..., "lr": ... or None}``; both compare with ``==``, so tables read from several sources can be
joined with :func:`pandas.concat`. A value logged twice at one step keeps the later one. The step is the one the
run logged, unchanged: a training framework's global step, the updates done, counted from 1 as :mod:`lawfit.curves`
counts them (a W&B history's own row counter ``_step`` is used only when it holds no such step).

A loss that is infinite is refused with a :class:`~lawfit.errors.DataError`, as is a step above
:data:`~lawfit.curves.schedule.MAX_STEP`, a file with two columns of one name, anything but a regular file (a FIFO
would block the reader, /dev/zero never end), and every other input that cannot be read, rather than dropped; so
is a loss that is NaN where the source tells a logged NaN from a step without a loss (TensorBoard events, MLflow
metric files and histories). Where it does not (an empty cell of a W&B export or of a curve table), NaN means "not
logged at this step". A damaged TensorBoard event file is read up to its first bad record, with a
:class:`~lawfit.errors.DataWarning` (see :func:`read_tensorboard`).

When no tag or key is given, the loss is the first of ``loss``, ``train/loss``, ``train_loss``,
``training_loss``, ``lm_loss``, ``train/lm_loss``, ``loss/train`` that the source holds, and the learning rate
the first of ``lr``, ``learning_rate``, ``train/lr``, ``train/learning_rate``, ``lr-AdamW``, ``optimizer/lr``
(none is fine: ``lr`` is then all NaN).
"""

from __future__ import annotations

import contextlib
import functools
import mmap
import os
import re
import struct
import tempfile
import warnings
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from ..data import check_regular_file, duplicate_columns, file_kind
from ..errors import DataError, DataWarning
from .schedule import MAX_STEP

__all__ = ["read_curves", "read_mlflow", "read_tensorboard", "read_wandb"]

_LOSS_KEYS = ("loss", "train/loss", "train_loss", "training_loss", "lm_loss", "train/lm_loss", "loss/train")
_LR_KEYS = ("lr", "learning_rate", "train/lr", "train/learning_rate", "lr-AdamW", "optimizer/lr")
# The training step that frameworks log (PyTorch Lightning, Hugging Face) comes before W&B's own row counter
# `_step`, which also counts rows that log other metrics at the same training step.
_WANDB_STEPS = ("trainer/global_step", "train/global_step", "step", "_step")
_WANDB_EXTREMES = ("__MIN", "__MAX")
_MLFLOW_CSV = ("key", "value", "step")
_TABLE_SUFFIXES = {".csv": "CSV", ".json": "JSON", ".jsonl": "JSON Lines", ".ndjson": "JSON Lines"}
_SHOWN = 20


def read_tensorboard(
    path: str | os.PathLike[str], *, loss_tag: str | None = None, lr_tag: str | None = None, run: str | None = None
) -> pd.DataFrame:
    """Read training curves from TensorBoard event files.

    Scalars are read with TensorBoard's own ``EventAccumulator``, keeping every point, both those written as
    scalars (``tensorboardX``, TF1) and those written as tensors of the scalars plugin
    (``torch.utils.tensorboard``, TF2).

    Every record of an event file is checked first: its length, and both CRC-32C checksums (of the length and of
    the data), against the file's size. A file with a bad record (a flipped bit, a length beyond the end of the
    file, a last record cut short) is read up to that record, and a :class:`~lawfit.errors.DataWarning` says how
    many records after which step could not be read; when no file has a readable record, it is refused.

    Parameters
    ----------
    path
        One event file (``events.out.tfevents.*``), or a log directory. In a directory every folder holding
        event files is one run, named by its path relative to ``path`` as TensorBoard names runs; the
        directory's own event files form the run named after the directory. Folders whose event files hold no
        scalars (such as hyperparameter summaries) are skipped.
    loss_tag
        The scalar tag of the loss; every run must log it. Default: the first of the usual loss tags present.
    lr_tag
        The scalar tag of the learning rate. Default: the first of the usual learning-rate tags present, if any.
    run
        Name of the run when the source holds one. Default: the name of the folder holding the event files.

    Returns
    -------
    pandas.DataFrame
        The curve table ``run, step, loss, lr`` (``loss`` or ``lr`` NaN where it was not logged at that
        step), with ``attrs["source"]`` and ``attrs["tags"]``, as described in :mod:`lawfit.curves.readers`.

    Raises
    ------
    DataError
        If tensorboard is not installed, the path is missing, an event file is not a regular file, the event files
        hold no readable record or no scalars, a run lacks the loss tag or logs no loss, or a loss is NaN or
        infinite.

    Examples
    --------
    Read the runs under a log directory, naming the tags::

        curves = read_tensorboard("runs/", loss_tag="train/loss", lr_tag="train/lr")
    """
    source = _existing(path)
    event_accumulator, tensor_util = _tensorboard()
    runs = _event_runs(source)
    scans = {name: [_scan_events(file) for file in _event_files(target)] for name, target in runs.items()}
    damaged = [scan for found in scans.values() for scan in found if scan.problem is not None]
    if damaged and not any(scan.records for found in scans.values() for scan in found):
        raise DataError(
            f"The event files in {str(source)!r} hold no readable events: they are empty or corrupt "
            f"({damaged[0].path.name}: {damaged[0].problem}). Give the log directory of a training run that logged "
            "its loss as a scalar (SummaryWriter.add_scalar)."
        )
    with tempfile.TemporaryDirectory(prefix="lawfit-events-") if damaged else contextlib.nullcontext() as scratch:
        logs = {
            name: _load_events(_readable(runs[name], scans[name], scratch, index), event_accumulator)
            for index, name in enumerate(runs)
        }
        tags = {name: _scalar_tags(log, event_accumulator) for name, log in logs.items()}
        tags = {name: present for name, present in tags.items() if present}
        if not tags:
            readable = any(_has_events(log) for log in logs.values())
            holds = "no scalars" if readable else "no readable events: they are empty or corrupt"
            raise DataError(
                f"The event files in {str(source)!r} hold {holds}. Give the log directory of a training run that "
                "logged its loss as a scalar (SummaryWriter.add_scalar)."
            )
        choice = {"noun": "tag", "where": str(source)}
        loss_tag = _choose(loss_tag, _LOSS_KEYS, tags, what="loss", option="loss_tag", **choice)
        lr_tag = _choose(lr_tag, _LR_KEYS, tags, what="lr", option="lr_tag", **choice)
        loss = _concat([_points(name, *_event_scalars(logs[name], loss_tag, tensor_util)) for name in tags])
        lr = _concat(
            [_points(name, *_event_scalars(logs[name], lr_tag, tensor_util)) for name in tags if lr_tag in tags[name]]
        )
    table = _curve_table(loss, lr, source=source, loss_tag=loss_tag, lr_tag=lr_tag, run=run)
    for scan in damaged:  # said only once the table stands: a refused read says why in its error instead
        warnings.warn(scan.warning(), stacklevel=2)
    return table


def read_wandb(
    path: str | os.PathLike[str], *, loss_key: str | None = None, lr_key: str | None = None, run: str | None = None
) -> pd.DataFrame:
    """Read training curves from a Weights & Biases export.

    Two kinds of file are read, as CSV, JSON or JSON Lines:

    - a run's history, as saved with pandas from ``run.history()`` or ``run.scan_history()``: one column per
      metric key (``train/loss``, ``lr``, ...) and the step in ``trainer/global_step``, ``train/global_step``,
      ``step`` or ``_step`` (the first present). An empty cell means the key was not logged in that row.
      ``run.history()`` samples 500 rows by default; ``scan_history()`` gives them all.
    - the "Export CSV" of a chart in the W&B app: a ``Step`` column and one ``<run name> - <metric>`` column per
      run (the ``__MIN`` and ``__MAX`` columns are ignored).

    Parameters
    ----------
    path
        The exported file.
    loss_key
        The metric key of the loss. Default: the first of the usual loss keys present.
    lr_key
        The metric key of the learning rate. Default: the first of the usual learning-rate keys present, if any.
    run
        Name of the run when the file holds one. Default: the file name without its suffix for a history, the
        run names in the columns for a chart export.

    Returns
    -------
    pandas.DataFrame
        The curve table ``run, step, loss, lr`` (``loss`` or ``lr`` NaN where it was not logged at that
        step), with ``attrs["source"]`` and ``attrs["tags"]``, as described in :mod:`lawfit.curves.readers`.

    Raises
    ------
    DataError
        If the file is missing or unreadable, has no step or loss column, holds text where numbers belong, a
        run logs no loss, or a loss is infinite (an empty or NaN cell is a key not logged in that row).
    """
    source = _existing_file(path)
    return _wandb(_read_table(source), source, loss_key=loss_key, lr_key=lr_key, run=run)


def read_mlflow(
    path: str | os.PathLike[str], *, loss_key: str | None = None, lr_key: str | None = None, run: str | None = None
) -> pd.DataFrame:
    """Read training curves from MLflow.

    Two sources are read:

    - a run directory of MLflow's file store (``mlruns/<experiment id>/<run id>/``), whose ``metrics/`` folder
      holds one file per metric key (keys with slashes are nested folders), one ``timestamp value step`` line
      per logged point; or an experiment directory holding such runs (deleted runs are skipped). A run is
      named by its ``mlflow.runName`` tag, else by its id; runs that share a name get their id appended.
    - a CSV of metric history, as from ``MlflowClient.get_metric_history`` turned into a DataFrame: columns
      ``key``, ``value``, ``step`` and optionally ``run_name``, ``run_id`` and ``timestamp``.

    Parameters
    ----------
    path
        The run or experiment directory, or the CSV file.
    loss_key
        The metric key of the loss; every run must log it. Default: the first of the usual loss keys present.
    lr_key
        The metric key of the learning rate. Default: the first of the usual learning-rate keys present, if any.
    run
        Name of the run when the source holds one. Default: as above; the file name without its suffix for a
        CSV without ``run_name`` or ``run_id``.

    Returns
    -------
    pandas.DataFrame
        The curve table ``run, step, loss, lr`` (``loss`` or ``lr`` NaN where it was not logged at that
        step), with ``attrs["source"]`` and ``attrs["tags"]``, as described in :mod:`lawfit.curves.readers`.

    Raises
    ------
    DataError
        If the path is missing, holds no MLflow runs, a metric file or the CSV cannot be read, a run lacks the
        loss key or logs no loss, or a loss is NaN or infinite.
    """
    source = _existing(path)
    if source.is_dir():
        return _mlflow_store(source, loss_key=loss_key, lr_key=lr_key, run=run)
    return _mlflow_csv(_read_table(source), source, loss_key=loss_key, lr_key=lr_key, run=run)


def read_curves(path: str | os.PathLike[str], **kwargs: Any) -> pd.DataFrame:
    """Read training curves from any source that lawfit knows, choosing the reader from what the path holds.

    - an event file, or a directory holding event files: :func:`read_tensorboard`;
    - a directory holding ``meta.yaml`` or ``metrics/`` (an MLflow run or experiment): :func:`read_mlflow`;
    - a CSV, JSON or JSON Lines file with columns ``run``, ``step``, ``loss`` and optionally ``lr``: the curve
      table itself, read as it is, as written by ``table.to_csv(path, index=False)``: an empty ``loss`` or
      ``lr`` is one not logged at that step, and every row needs one of them;
    - such a file with ``_step``, or ``Step`` and ``<run> - <metric>`` columns: :func:`read_wandb`;
    - such a file with ``key``, ``value`` and ``step`` columns: :func:`read_mlflow`.

    Parameters
    ----------
    path
        The file or directory.
    **kwargs
        Passed to the chosen reader: ``loss_tag``/``loss_key``, ``lr_tag``/``lr_key`` (either spelling) and
        ``run``. The curve table takes none.

    Returns
    -------
    pandas.DataFrame
        The curve table ``run, step, loss, lr`` (``loss`` or ``lr`` NaN where it was not logged at that
        step), with ``attrs["source"]`` and ``attrs["tags"]``, as described in :mod:`lawfit.curves.readers`.

    Raises
    ------
    DataError
        If the path is missing or is none of the above, or the chosen reader refuses it. A curve table is
        refused if a row has no run, an infinite loss, or neither a loss nor a learning rate, or a run has no
        loss.
    """
    source = _existing(path)
    if (source.is_dir() and _event_folders(source)) or (source.is_file() and "tfevents" in source.name):
        return read_tensorboard(source, **_spelled(kwargs, tensorboard=True))
    if source.is_dir():
        if (source / "meta.yaml").is_file() or (source / "metrics").is_dir():
            return read_mlflow(source, **_spelled(kwargs, tensorboard=False))
        raise DataError(
            f"Cannot tell what {str(source)!r} holds: no TensorBoard event files (events.out.tfevents.*) under it, "
            "and no meta.yaml or metrics/ of an MLflow run or experiment in it. Give a log directory, an MLflow "
            "run or experiment directory, or an exported CSV, JSON or JSON Lines file."
        )
    table = _read_table(source)
    columns = set(table.columns)
    if {"run", "step", "loss"} <= columns:
        if kwargs:
            raise DataError(
                f"{str(source)!r} is a curve table (columns run, step, loss), read as it is: it takes no "
                f"options, got {_listing(sorted(kwargs))}. Rename its columns instead."
            )
        return _curve_table_file(table, source)
    if _is_wandb(table):
        return _wandb(table, source, **_spelled(kwargs, tensorboard=False))
    if set(_MLFLOW_CSV) <= columns:
        return _mlflow_csv(table, source, **_spelled(kwargs, tensorboard=False))
    raise DataError(
        f"Cannot tell what {str(source)!r} holds from its columns ({_listing(list(table.columns))}). Give a curve "
        "table (run, step, loss[, lr]), a W&B history (_step and metric keys) or chart export (Step and "
        "'<run> - <metric>'), or an MLflow metric history (key, value, step)."
    )


# --- the curve table -------------------------------------------------------------------------------------------


def _points(run: str, steps: Any, values: Any) -> pd.DataFrame:
    """Logged points of one series of one run, in logged order: run, step, value."""
    values = np.asarray(values, dtype=np.float64)
    steps = np.asarray(steps)
    # Integer steps (event files, MLflow) stay exact: float64 would round those above 2**53.
    steps = steps.astype(np.int64 if np.issubdtype(steps.dtype, np.signedinteger) else np.float64)
    return pd.DataFrame({"run": pd.Series([run] * len(values), dtype=str), "step": steps, "value": values})


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return _points("", [], [])
    return pd.concat(frames, ignore_index=True)


def _curve_table(
    loss: pd.DataFrame, lr: pd.DataFrame, *, source: Path, loss_tag: str, lr_tag: str | None, run: str | None
) -> pd.DataFrame:
    """The curve table from the loss and learning-rate points, with its attrs.

    ``loss`` holds the logged loss points (a NaN among them is refused: drop the points that mean "not logged"
    before), ``lr`` the learning-rate points (a NaN among them is dropped).
    """
    where = str(source)
    if run is not None:
        names = list(dict.fromkeys([*loss["run"], *lr["run"]]))
        if len(names) > 1:
            raise DataError(
                f"run={run!r} names the run of a source holding one, but {where!r} holds {len(names)} runs "
                f"({_listing(names)}). Leave run unset: the runs are named from the source."
            )
        loss, lr = loss.assign(run=run), lr.assign(run=run)
    loss = _latest(loss, "loss", where)
    if loss.empty:
        raise DataError(f"{where!r} holds no loss values under {loss_tag!r}. Check the source, or pass another key.")
    _check_finite(loss, loss_tag, where)
    lr = _latest(lr[lr["value"].notna()], "lr", where)
    lossless = sorted(set(lr["run"]) - set(loss["run"]))
    if lossless:
        raise DataError(
            f"{len(lossless)} run(s) in {where!r} hold no loss values under {loss_tag!r}, only learning rates: "
            f"{_listing(lossless)}. Every run needs a loss: check the source, pass another key, or read those "
            "runs separately."
        )
    table = loss.merge(lr, on=["run", "step"], how="outer", validate="one_to_one")
    table = table.sort_values(["run", "step"], kind="stable", ignore_index=True)
    table = table.astype({"run": loss["run"].dtype, "step": np.int64, "loss": np.float64, "lr": np.float64})
    table.attrs = {"source": where, "tags": {"loss": loss_tag, "lr": lr_tag}}
    return table


def _latest(points: pd.DataFrame, name: str, where: str) -> pd.DataFrame:
    """One row per run and step (the last logged), sorted, with the step as int64 and the value named."""
    steps = points["step"].to_numpy(dtype=np.float64)
    valid = np.isfinite(steps) & (steps >= 0) & (steps == np.floor(steps))
    if not valid.all():
        first = points.loc[~valid].iloc[0]
        raise DataError(
            f"{np.count_nonzero(~valid)} {name} value(s) in {where!r} have a step that is missing, negative or "
            f"not a whole number (first: run {first['run']!r}, step {first['step']}). Steps must be whole "
            "numbers >= 0: fix or drop those rows."
        )
    # Checked as float64, before the cast to int64: a step of 2**63 or more would wrap round to a negative one.
    huge = steps > MAX_STEP
    if huge.any():
        first = points.loc[huge].iloc[0]
        raise DataError(
            f"{np.count_nonzero(huge)} {name} value(s) in {where!r} have a step above {MAX_STEP:.0e}, more optimizer "
            f"steps than any training run takes (first: run {first['run']!r}, step {int(first['step'])}). Check "
            "that the step column counts optimizer steps, not tokens, samples or time, and fix or drop those rows."
        )
    latest = points.astype({"step": np.int64}).drop_duplicates(["run", "step"], keep="last")
    latest = latest.sort_values(["run", "step"], kind="stable", ignore_index=True)
    return latest.rename(columns={"value": name}).astype({"run": str, name: np.float64})


def _check_finite(loss: pd.DataFrame, loss_tag: str, where: str) -> None:
    bad = ~np.isfinite(loss["loss"].to_numpy())
    if not bad.any():
        return
    per_run = loss.loc[bad].groupby("run", sort=True)["step"].apply(list)
    detail = "; ".join(f"{len(steps)} in run {name!r} (step {_few(steps)})" for name, steps in per_run.items())
    raise DataError(
        f"{np.count_nonzero(bad)} loss value(s) of {loss_tag!r} in {where!r} are NaN or infinite: {detail}. "
        "lawfit does not drop them silently: remove or fix those steps at the source (or export the curves to a "
        "CSV with columns run, step, loss and clean it there), then read again."
    )


def _curve_table_file(table: pd.DataFrame, source: Path) -> pd.DataFrame:
    """A file that already holds the curve table: each row a step at which the loss or the learning rate was
    logged, the other NaN (empty) where it was not."""
    where = str(source)
    if table["run"].isna().any():
        raise DataError(f"{np.count_nonzero(table['run'].isna())} row(s) of {where!r} have no run. Fill them in.")
    runs, steps = table["run"].astype(str), _numbers(table["step"], "step", where)
    loss = _numbers(table["loss"], "loss", where)
    lr = _numbers(table["lr"], "lr", where) if "lr" in table else pd.Series(np.nan, index=table.index)
    empty = loss.isna() & lr.isna()
    if empty.any():
        first = empty.to_numpy().nonzero()[0][0]
        raise DataError(
            f"{np.count_nonzero(empty)} row(s) of {where!r} have neither a loss nor a learning rate (first: run "
            f"{runs.iloc[first]!r}, step {steps.iloc[first]:g}). Each row is a step at which the loss or the learning "
            "rate was logged: drop those rows, or fill in the loss if it was left out."
        )
    logged = loss.notna()
    return _curve_table(
        pd.DataFrame({"run": runs[logged], "step": steps[logged], "value": loss[logged]}),
        pd.DataFrame({"run": runs, "step": steps, "value": lr}),
        source=source,
        loss_tag="loss",
        lr_tag="lr" if "lr" in table else None,
        run=None,
    )


# --- choosing tags and keys ------------------------------------------------------------------------------------


def _choose(
    given: str | None,
    candidates: Sequence[str],
    keys: Mapping[str, Collection[str]],
    *,
    what: str,
    noun: str,
    option: str,
    where: str,
) -> str | None:
    """The tag or key of the loss (``what="loss"``, which every run must hold) or of the learning rate."""
    found = sorted(set().union(*keys.values()))
    if given is None:
        key = next((candidate for candidate in candidates if candidate in found), None)
        if key is None and what == "loss":
            raise DataError(
                f"No loss {noun} in {where!r}: none of {_listing(candidates)}. Its {noun}s are {_listing(found)}. "
                f"Pass {option}='...' naming the loss."
            )
    elif given not in found:
        also = " or leave it unset" if what == "lr" else ""
        raise DataError(
            f"No {noun} {given!r} in {where!r}. Its {noun}s are {_listing(found)}. Pass {option}= one of them{also}."
        )
    else:
        key = given
    lacking = [name for name, present in keys.items() if key not in present]
    if what == "loss" and lacking:
        raise DataError(
            f"{len(lacking)} of {len(keys)} runs in {where!r} lack the loss {noun} {key!r}: run {lacking[0]!r} "
            f"has {_listing(sorted(keys[lacking[0]]))}. Pass {option}='...' if the loss is logged under another "
            "name, or read those runs separately."
        )
    return key


def _spelled(kwargs: Mapping[str, Any], *, tensorboard: bool) -> dict[str, Any]:
    """Options for the chosen reader: TensorBoard says ``loss_tag``, W&B and MLflow ``loss_key``."""
    spelling = {"loss_key": "loss_tag", "lr_key": "lr_tag"}
    if not tensorboard:
        spelling = {tag: key for key, tag in spelling.items()}
    return {spelling.get(name, name): value for name, value in kwargs.items()}


# --- TensorBoard -----------------------------------------------------------------------------------------------


def _tensorboard() -> tuple[ModuleType, ModuleType]:
    """TensorBoard's event accumulator and tensor utilities, imported only when a log is read."""
    try:
        from tensorboard.backend.event_processing import event_accumulator
        from tensorboard.util import tensor_util
    except ImportError:
        raise DataError(
            "Reading TensorBoard logs needs the tensorboard package. Install it with pip install 'lawfit[tensorboard]'."
        ) from None
    return event_accumulator, tensor_util


def _event_folders(root: Path) -> list[Path]:
    """The folders under ``root`` (itself included) that hold event files, sorted."""
    return sorted(Path(folder) for folder, _, files in os.walk(root) if any("tfevents" in name for name in files))


def _event_runs(source: Path) -> dict[str, Path]:
    """Run name -> event file or folder, named as TensorBoard names runs."""
    if source.is_file():
        if "tfevents" not in source.name:
            raise DataError(
                f"{str(source)!r} is not a TensorBoard event file: their names hold 'tfevents' "
                "(events.out.tfevents.*). Give an event file or the log directory."
            )
        return {source.resolve().parent.name: source}
    folders = _event_folders(source)
    if not folders:
        raise DataError(
            f"No TensorBoard event files (events.out.tfevents.*) under {str(source)!r}. Give the log directory "
            "that the SummaryWriter wrote to."
        )
    named = {folder.relative_to(source).as_posix(): folder for folder in folders}
    return {source.resolve().name if name == "." else name: folder for name, folder in named.items()}


def _event_files(target: Path) -> list[Path]:
    """The event files that TensorBoard reads for a run: the file itself, or those directly in the folder."""
    if not target.is_dir():
        return [target]
    return sorted(entry for entry in target.iterdir() if "tfevents" in entry.name and not entry.is_dir())


@dataclass(frozen=True)
class _EventScan:
    """One event file, checked record by record: how much of it is whole, and why reading stops where it does.

    ``records`` records are whole (``end`` bytes from the start); ``problem`` says what is wrong with the next one
    (None when the file is whole), ``unread`` how many records are left unread from it on (None when a bad length
    leaves the rest of the file without a frame to count by), ``last_step`` the step of the last whole record.
    """

    path: Path
    size: int
    records: int = 0
    end: int = 0
    problem: str | None = None
    unread: int | None = None
    last_step: int | None = None

    def warning(self) -> DataWarning:
        lost = (
            f"{self.unread} record{'s' if self.unread != 1 else ''}"
            if self.unread is not None
            else f"the last {self.size - self.end:,} bytes"
        )
        after = "from its start" if self.records == 0 else f"after step {self.last_step}"
        message = (
            f"{lost} unreadable {after} in {str(self.path)!r}: record {self.records + 1} (at byte {self.end:,}) "
            f"{self.problem}. Read the {self.records} records before it; copy the log again if it is whole where it "
            "was written."
        )
        return DataWarning(
            message,
            file=str(self.path),
            records_read=self.records,
            records_unreadable=self.unread,
            bytes_unreadable=self.size - self.end,
            last_step=self.last_step,
            reason=self.problem,
        )


# An event file is a sequence of records: the data's length (uint64, little-endian), the masked CRC-32C of those 8
# bytes, the data (a serialised Event), and the masked CRC-32C of the data (TensorFlow's record_writer.cc).
_RECORD_HEAD = struct.Struct("<Q")
_FRAME = 16  # bytes of a record beside its data: the length, and the two checksums


def _scan_events(file: Path) -> _EventScan:
    """Check every record of an event file: framing against the file's size, and both checksums.

    The file is mapped, not read: memory stays bounded by the records of one batch, whatever the file's size or
    the lengths its records claim (each is checked against the bytes left before it is trusted).
    """
    check_regular_file(file, "TensorBoard events")
    with open(file, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            return _EventScan(file, 0)
        view = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            return _scan_view(file, view)
        finally:
            with contextlib.suppress(BufferError):  # an exception's traceback may still hold an array on it
                view.close()


def _scan_view(file: Path, view: mmap.mmap) -> _EventScan:
    size = len(view)
    starts, lengths = np.zeros(0, np.int64), np.zeros(0, np.int64)
    found_starts, found_lengths = [], []
    position = 0
    while size - position >= 12:
        (length,) = _RECORD_HEAD.unpack_from(view, position)
        if length > size - position - _FRAME:  # never trusted beyond the bytes that are there
            break
        found_starts.append(position)
        found_lengths.append(length)
        position += _FRAME + length
        if len(found_starts) >= 1 << 16:  # keep the Python lists short
            starts = np.concatenate([starts, np.asarray(found_starts, np.int64)])
            lengths = np.concatenate([lengths, np.asarray(found_lengths, np.int64)])
            found_starts, found_lengths = [], []
    starts = np.concatenate([starts, np.asarray(found_starts, np.int64)])
    lengths = np.concatenate([lengths, np.asarray(found_lengths, np.int64)])
    framed = starts.size
    data = np.frombuffer(view, dtype=np.uint8)
    # The record where framing stopped has its length checked too, when the file holds it whole.
    heads = np.append(starts, position) if size - position >= 12 else starts
    bad_head = _masked_crc32c(data, heads, np.full(heads.size, 8)) != _uint32_at(data, heads + 8)
    bad_data = _masked_crc32c(data, starts + 12, lengths) != _uint32_at(data, starts + 12 + lengths)
    del data
    bad = np.flatnonzero(bad_head[:framed] | bad_data)
    if bad.size:
        first = int(bad[0])
        end = int(starts[first])
        if bad_head[first]:
            problem, unread = "has a length that fails its checksum", None
        else:
            problem = "has data that fail their checksum"
            # The records after it can be counted while their lengths check out up to the end of the file.
            countable = not bad_head[first:].any() and position == size
            unread = framed - first if countable else None
    elif position < size:
        first, end = framed, position
        if size - position < 12:
            problem, unread = f"is cut short: the file ends {size - position} bytes into it", 1
        elif bad_head[framed]:
            problem, unread = "has a length that fails its checksum", None
        else:
            (claimed,) = _RECORD_HEAD.unpack_from(view, position)
            problem = (
                f"is cut short: it claims {claimed:,} bytes of data, and the file ends {size - position - 12:,} "
                "bytes later"
            )
            unread = 1
    else:
        return _EventScan(file, size, framed, size)
    last_step = _event_step(view, int(starts[first - 1]), int(lengths[first - 1])) if first else None
    return _EventScan(file, size, first, end, problem, unread, last_step)


def _event_step(view: mmap.mmap, start: int, length: int) -> int | None:
    """The step of the Event in the record at ``start``, or None if it does not parse."""
    from tensorboard.compat.proto.event_pb2 import Event

    try:
        return int(Event.FromString(view[start + 12 : start + 12 + length]).step)
    except Exception:  # a record whose checksum holds but whose data are no Event: the error is not ours to name
        return None


def _readable(target: Path, scans: Sequence[_EventScan], scratch: str | None, index: int) -> Path:
    """``target`` when its event files are whole; else a copy in ``scratch`` holding their whole records only.

    TensorBoard's reader would stop at a bad record too, but without a word, and it reads a record's data by the
    length the record claims before checking anything; so it is given only what was checked.
    """
    if all(scan.problem is None for scan in scans) or scratch is None:
        return target
    folder = Path(scratch) / str(index)
    folder.mkdir()
    for scan in scans:
        copy = folder / scan.path.name
        if scan.problem is None:
            try:
                os.symlink(scan.path.resolve(), copy)
            except OSError:
                _copy_prefix(scan.path, copy, scan.size)
        else:
            _copy_prefix(scan.path, copy, scan.end)
    return folder / target.name if not target.is_dir() else folder


def _copy_prefix(source: Path, target: Path, size: int) -> None:
    with open(source, "rb") as reader, open(target, "wb") as writer:
        left = size
        while left > 0:
            chunk = reader.read(min(left, 1 << 20))
            if not chunk:
                break
            writer.write(chunk)
            left -= len(chunk)


# --- CRC-32C (Castagnoli), vectorised ----------------------------------------------------------------------------
# No dependency of lawfit computes it (zlib's crc32 is another polynomial), and TensorBoard's own, in pure Python,
# reads about 7 MB/s. This one reads 30-70 MB/s: the CRC is linear, so a message's CRC is the XOR of each byte's
# contribution, looked up by its distance from the end of its 1 KiB block; the blocks, and then the 1 MiB segments
# of longer messages, are folded together by tables that append a block's (a segment's) worth of zero bytes.

_CRC32C_POLY = 0x82F63B78  # reflected
_CRC_BLOCK = 1 << 10
_CRC_SEGMENT = 1 << 20  # also the bytes handled at once: a few tens of MB of temporaries
_U8, _U32 = np.uint32(0xFF), np.uint32(0xFFFFFFFF)


def _after_zero_byte(state: np.ndarray, table: np.ndarray) -> np.ndarray:
    return (state >> np.uint32(8)) ^ table[state & _U8]


@functools.cache
def _crc_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Byte-at-distance table (flat, ``[distance * 256 + byte]``), the initial state after k zero bytes, and the
    tables appending a block and a segment of zero bytes to a state (one per byte of the state)."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> np.uint32(1)) ^ np.uint32(_CRC32C_POLY), table >> np.uint32(1))
    at = np.empty((_CRC_BLOCK, 256), dtype=np.uint32)
    at[0] = table
    for distance in range(1, _CRC_BLOCK):
        at[distance] = _after_zero_byte(at[distance - 1], table)
    initial = np.empty(_CRC_BLOCK + 1, dtype=np.uint32)
    initial[0] = _U32
    for count in range(1, _CRC_BLOCK + 1):
        initial[count] = _after_zero_byte(initial[count - 1 : count], table)[0]
    basis = np.arange(256, dtype=np.uint32)[None, :] << (np.uint32(8) * np.arange(4, dtype=np.uint32)[:, None])
    block = basis
    for _ in range(_CRC_BLOCK):
        block = _after_zero_byte(block, table)
    segment = basis
    for _ in range(_CRC_SEGMENT // _CRC_BLOCK):
        segment = _append_zeros(segment, block)
    return at.reshape(-1), initial, block, segment


def _append_zeros(state: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """The CRC state after the zero bytes that ``tables`` stand for (it is linear: one lookup per byte)."""
    return (
        tables[0][state & _U8]
        ^ tables[1][(state >> np.uint32(8)) & _U8]
        ^ tables[2][(state >> np.uint32(16)) & _U8]
        ^ tables[3][state >> np.uint32(24)]
    )


def _fold(first: np.ndarray, counts: np.ndarray, parts: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """For each i, the CRC state of ``counts[i]`` consecutive parts from ``parts[first[i]]``: Horner's rule."""
    order = np.argsort(-counts, kind="stable")  # the longest first, so those still going are a prefix
    state = parts[first[order]]
    remaining = counts[order]
    for j in range(1, int(remaining[0]) if remaining.size else 0):
        going = int(np.count_nonzero(remaining > j))
        state[:going] = _append_zeros(state[:going], tables) ^ parts[first[order[:going]] + j]
    out = np.empty_like(state)
    out[order] = state
    return out


def _crc32c(data: np.ndarray, starts: Any, lengths: Any) -> np.ndarray:
    """CRC-32C of each ``data[start : start + length]``, as uint32.

    >>> hex(_crc32c(np.frombuffer(b"123456789", dtype=np.uint8), [0], [9])[0])
    '0xe3069283'
    """
    segment = _crc_tables()[3]
    starts, lengths = np.asarray(starts, dtype=np.int64), np.asarray(lengths, dtype=np.int64)
    out = np.zeros(starts.size, dtype=np.uint32)  # the CRC of no bytes is 0
    some = np.flatnonzero(lengths > 0)
    if some.size == 0:
        return out
    # Segments aligned on each message's end, so only a message's first segment is short.
    n = lengths[some]
    count = -(-n // _CRC_SEGMENT)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    message = np.repeat(np.arange(some.size), count)
    ordinal = np.arange(message.size) - first[message]
    head = n - (count - 1) * _CRC_SEGMENT
    start = starts[some][message] + np.where(ordinal > 0, head[message] + (ordinal - 1) * _CRC_SEGMENT, 0)
    length = np.where(ordinal > 0, _CRC_SEGMENT, head[message])
    states = np.empty(message.size, dtype=np.uint32)
    ends = np.cumsum(length)
    low = 0
    while low < message.size:
        high = max(int(np.searchsorted(ends, ends[low] - length[low] + _CRC_SEGMENT, side="right")), low + 1)
        states[low:high] = _segment_states(data, start[low:high], length[low:high], ordinal[low:high] == 0)
        low = high
    out[some] = _fold(first, count, states, segment) ^ _U32
    return out


def _segment_states(data: np.ndarray, start: np.ndarray, length: np.ndarray, opens: np.ndarray) -> np.ndarray:
    """CRC state of each segment, from 0, or from the initial 0xFFFFFFFF for those that open their message."""
    at, initial, block, _ = _crc_tables()
    count = -(-length // _CRC_BLOCK)
    head = length - (count - 1) * _CRC_BLOCK
    offset = np.concatenate([[0], np.cumsum(length)[:-1]])
    position = np.arange(int(length.sum()), dtype=np.int64) + np.repeat(start - offset, length)
    distance = np.repeat(start + length - 1, length) - position  # from the segment's end, so blocks align on it
    contributions = at[(distance % _CRC_BLOCK) * 256 + data[position]]
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    segment = np.repeat(np.arange(length.size), count)
    ordinal = np.arange(segment.size) - first[segment]
    blocks = np.bitwise_xor.reduceat(
        contributions, offset[segment] + np.where(ordinal > 0, head[segment] + (ordinal - 1) * _CRC_BLOCK, 0)
    )
    # The initial state, carried through the zero bytes of the first block, joins the first block.
    blocks[first[opens]] ^= initial[head[opens]]
    return _fold(first, count, blocks, block)


def _masked_crc32c(data: np.ndarray, starts: Any, lengths: Any) -> np.ndarray:
    """The CRC-32C as TFRecord stores it: rotated right by 15 bits, plus 0xa282ead8."""
    crc = _crc32c(data, starts, lengths)
    return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(0xA282EAD8)


def _uint32_at(data: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The little-endian uint32 at each of ``starts``."""
    if starts.size == 0:
        return np.zeros(0, dtype=np.uint32)
    octets = data[starts[:, None] + np.arange(4)].astype(np.uint32)
    return (
        octets[:, 0]
        | (octets[:, 1] << np.uint32(8))
        | (octets[:, 2] << np.uint32(16))
        | (octets[:, 3] << np.uint32(24))
    )


def _load_events(target: Path, event_accumulator: ModuleType) -> Any:
    """An accumulator that has read every scalar and tensor of the event file or folder (0 keeps them all)."""
    kept = {kind: 1 for kind in event_accumulator.DEFAULT_SIZE_GUIDANCE}
    kept.update({event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0})
    return event_accumulator.EventAccumulator(str(target), size_guidance=kept).Reload()


def _has_events(log: Any) -> bool:
    try:
        log.FirstEventTimestamp()
    except ValueError:
        return False
    return True


def _scalar_tags(log: Any, event_accumulator: ModuleType) -> set[str]:
    """Tags of scalars, whether written as scalars or as tensors of the scalars plugin."""
    tags = log.Tags()
    tensors = {tag for tag in tags[event_accumulator.TENSORS] if _is_scalar_tensor(log, tag)}
    return set(tags[event_accumulator.SCALARS]) | tensors


def _is_scalar_tensor(log: Any, tag: str) -> bool:
    metadata = log.summary_metadata.get(tag)
    return metadata is not None and metadata.plugin_data.plugin_name == "scalars"


def _event_scalars(log: Any, tag: str, tensor_util: ModuleType) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of one scalar tag, in logged order."""
    if _is_scalar_tensor(log, tag):
        events = log.Tensors(tag)
        values = [float(tensor_util.make_ndarray(event.tensor_proto)) for event in events]
    else:
        events = log.Scalars(tag)
        values = [event.value for event in events]
    steps = np.fromiter((event.step for event in events), dtype=np.int64, count=len(events))
    return steps, np.asarray(values, dtype=np.float64)


# --- W&B -------------------------------------------------------------------------------------------------------


def _is_chart_export(table: pd.DataFrame) -> bool:
    """A chart's "Export CSV" in the W&B app: ``Step`` and ``<run name> - <metric>`` columns."""
    return "Step" in table.columns and any(" - " in name for name in table.columns)


def _is_wandb(table: pd.DataFrame) -> bool:
    return "_step" in table.columns or _is_chart_export(table)


def _wandb(
    table: pd.DataFrame, source: Path, *, loss_key: str | None = None, lr_key: str | None = None, run: str | None = None
) -> pd.DataFrame:
    """A W&B run history or chart export, read as a table."""
    where = str(source)
    if _is_chart_export(table):
        step_column = "Step"
        series = {
            name: name.rpartition(" - ")[::2]
            for name in table.columns
            if " - " in name and not name.endswith(_WANDB_EXTREMES)
        }
    else:
        step_column = next((name for name in _WANDB_STEPS if name in table.columns), None)
        if step_column is None:
            raise DataError(
                f"No step column in {where!r}: none of {_listing(_WANDB_STEPS)}. Its columns are "
                f"{_listing(list(table.columns))}. Rename the step column to 'step'."
            )
        series = {column: (source.stem, column) for column in table.columns if column not in _WANDB_STEPS}
    keys: dict[str, set[str]] = {}
    for run_name, key in series.values():
        keys.setdefault(run_name, set()).add(key)
    choice = {"noun": "metric key", "where": where}
    loss_key = _choose(loss_key, _LOSS_KEYS, keys, what="loss", option="loss_key", **choice)
    lr_key = _choose(lr_key, _LR_KEYS, keys, what="lr", option="lr_key", **choice)
    steps = _numbers(table[step_column], step_column, where)

    def logged(key: str | None) -> pd.DataFrame:
        frames = []
        for column, (run_name, column_key) in series.items():
            if column_key == key:
                values = _numbers(table[column], column, where)
                frames.append(_points(run_name, steps[values.notna()], values[values.notna()]))
        return _concat(frames)

    return _curve_table(logged(loss_key), logged(lr_key), source=source, loss_tag=loss_key, lr_tag=lr_key, run=run)


# --- MLflow ----------------------------------------------------------------------------------------------------


def _mlflow_store(root: Path, *, loss_key: str | None, lr_key: str | None, run: str | None) -> pd.DataFrame:
    """Runs of MLflow's file store: a run directory, or an experiment directory of runs."""
    if (root / "metrics").is_dir():
        run_dirs = [root]
    else:
        run_dirs = sorted(d for d in root.iterdir() if (d / "metrics").is_dir() and not _mlflow_deleted(d))
    if not run_dirs:
        raise DataError(
            f"No MLflow runs in {str(root)!r}: expected a run directory with metrics/ "
            "(mlruns/<experiment id>/<run id>/) or an experiment directory holding such runs."
        )
    names = _unique_names({d.name: _mlflow_run_name(d) for d in run_dirs})
    keys = {
        names[d.name]: {p.relative_to(d / "metrics").as_posix() for p in (d / "metrics").rglob("*") if p.is_file()}
        for d in run_dirs
    }
    choice = {"noun": "metric key", "where": str(root)}
    loss_key = _choose(loss_key, _LOSS_KEYS, keys, what="loss", option="loss_key", **choice)
    lr_key = _choose(lr_key, _LR_KEYS, keys, what="lr", option="lr_key", **choice)
    loss = _concat([_points(names[d.name], *_mlflow_metric(d / "metrics" / loss_key)) for d in run_dirs])
    lr = _concat(
        [
            _points(names[d.name], *_mlflow_metric(d / "metrics" / lr_key))
            for d in run_dirs
            if lr_key in keys[names[d.name]]
        ]
    )
    return _curve_table(loss, lr, source=root, loss_tag=loss_key, lr_tag=lr_key, run=run)


def _mlflow_deleted(run_dir: Path) -> bool:
    meta = run_dir / "meta.yaml"
    return meta.is_file() and re.search(r"^lifecycle_stage:\s*deleted\s*$", _text(meta), re.MULTILINE) is not None


def _mlflow_run_name(run_dir: Path) -> str:
    tag = run_dir / "tags" / "mlflow.runName"
    name = _text(tag).strip() if tag.is_file() else ""
    return name or run_dir.name


def _mlflow_metric(file: Path) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of one metric file, one ``timestamp value step`` line per point (MLflow reads a line
    without a step as step 0)."""
    steps, values = [], []
    for number, line in enumerate(_text(file).splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        try:
            if len(fields) not in (2, 3):
                raise ValueError
            values.append(float(fields[1]))
            steps.append(int(fields[2]) if len(fields) == 3 else 0)
        except ValueError:
            raise DataError(
                f"Cannot read MLflow metric file {str(file)!r}: line {number} is {line!r}, not 'timestamp value "
                "step'. The file is corrupt: fix or remove that line."
            ) from None
        if abs(steps[-1]) > MAX_STEP:  # refused before int64, which a step of 2**63 or more would overflow
            raise DataError(
                f"MLflow metric file {str(file)!r} has step {steps[-1]} on line {number}, above {MAX_STEP:.0e}: more "
                "optimizer steps than any training run takes. Check what the run logged as its step, and fix or "
                "remove that line."
            )
    return np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=np.float64)


def _mlflow_csv(
    table: pd.DataFrame, source: Path, *, loss_key: str | None = None, lr_key: str | None = None, run: str | None = None
) -> pd.DataFrame:
    """A metric history in long form: key, value, step, and optionally run_name, run_id, timestamp."""
    where = str(source)
    missing = [name for name in _MLFLOW_CSV if name not in table.columns]
    if missing:
        raise DataError(
            f"{where!r} is not an MLflow metric history: it lacks {_listing(missing)} (its columns are "
            f"{_listing(list(table.columns))}). Give columns key, value, step, as from "
            "MlflowClient.get_metric_history."
        )
    if "timestamp" in table.columns:
        table = table.sort_values("timestamp", kind="stable")
    runs = _mlflow_csv_runs(table, source.stem)
    metric = table["key"].astype(str)
    keys = {name: set(metric[runs == name]) for name in runs.unique()}
    choice = {"noun": "metric key", "where": where}
    loss_key = _choose(loss_key, _LOSS_KEYS, keys, what="loss", option="loss_key", **choice)
    lr_key = _choose(lr_key, _LR_KEYS, keys, what="lr", option="lr_key", **choice)
    steps, values = _numbers(table["step"], "step", where), _numbers(table["value"], "value", where)

    def logged(key: str | None) -> pd.DataFrame:
        rows = metric == key
        return pd.DataFrame({"run": runs[rows], "step": steps[rows], "value": values[rows]})

    return _curve_table(logged(loss_key), logged(lr_key), source=source, loss_tag=loss_key, lr_tag=lr_key, run=run)


def _mlflow_csv_runs(table: pd.DataFrame, default: str) -> pd.Series:
    """Each row's run: its run_name (with the id appended where runs share a name), else its run_id."""
    if "run_id" not in table.columns:
        return table["run_name"].astype(str) if "run_name" in table.columns else pd.Series(default, index=table.index)
    ids = table["run_id"].astype(str)
    if "run_name" not in table.columns:
        return ids
    names = table["run_name"].astype(str).where(table["run_name"].notna(), ids)
    return ids.map(_unique_names(dict(zip(ids, names, strict=True)))).astype(str)


def _unique_names(names: Mapping[str, str]) -> dict[str, str]:
    """Run id -> run name, as ``name (id)`` where runs share a name."""
    count = Counter(names.values())
    return {rid: name if count[name] == 1 else f"{name} ({rid})" for rid, name in names.items()}


# --- files -----------------------------------------------------------------------------------------------------


def _existing(path: str | os.PathLike[str]) -> Path:
    """The path of a directory or a regular file; anything else is refused before it is opened."""
    source = Path(path)
    kind = file_kind(source)
    if kind == "no such file":
        raise DataError(f"Cannot read training curves from {str(source)!r}: no such file or directory. Check the path.")
    if kind != "a directory":
        check_regular_file(source, "training curves")
    return source


def _existing_file(path: str | os.PathLike[str]) -> Path:
    source = _existing(path)
    if source.is_dir():
        raise DataError(f"{str(source)!r} is a directory. Give the exported CSV, JSON or JSON Lines file.")
    return source


def _text(file: Path) -> str:
    check_regular_file(file, "an MLflow file")
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"Cannot read {str(file)!r}: {error}. Check the file.") from None


def _read_table(source: Path) -> pd.DataFrame:
    """A CSV, JSON or JSON Lines file as a table with str column names."""
    kind = _TABLE_SUFFIXES.get(source.suffix.lower())
    if kind is None:
        raise DataError(
            f"Cannot read {str(source)!r}: its suffix is not one of {_listing(list(_TABLE_SUFFIXES))}. Give a "
            "CSV, JSON or JSON Lines export, a TensorBoard event file, or a log directory."
        )
    duplicated = duplicate_columns(source, {"CSV": "csv", "JSON": "json"}.get(kind, "jsonl"))
    if duplicated:
        raise DataError(
            f"{str(source)!r} has duplicate column names {_listing(duplicated)}, and lawfit will not pick one. Rename "
            "or drop all but one of each (then name the one to use with loss_key=... or --col if its name changes)."
        )
    try:
        if kind == "CSV":
            table = pd.read_csv(source)
        else:
            # dtype=False keeps values as written: no guessing of dates (a "timestamp" column) or of types.
            table = pd.read_json(source, lines=kind == "JSON Lines", dtype=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"Cannot read {str(source)!r}: the file is empty. Export the curves again.") from None
    except (ValueError, OSError) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"Cannot read {str(source)!r} as {kind}: {detail}. Check that the file is {kind}.") from None
    return table.rename(columns=str)


def _numbers(values: pd.Series, column: str, where: str) -> pd.Series:
    """The column as float64 (NaN where empty), refusing text."""
    numbers = pd.to_numeric(values, errors="coerce").astype(np.float64)
    text = numbers.isna() & values.notna()
    if text.any():
        raise DataError(
            f"Column {column!r} of {where!r} holds {np.count_nonzero(text)} value(s) that are not numbers "
            f"(first: {values[text].iloc[0]!r}). Fix or remove them."
        )
    return numbers


def _listing(labels: Sequence[Any]) -> str:
    """'a', 'b', 'c', ... (12 more)"""
    if not len(labels):
        return "none"
    shown = ", ".join(repr(label) for label in labels[:_SHOWN])
    return shown + (f", ... ({len(labels) - _SHOWN} more)" if len(labels) > _SHOWN else "")


def _few(values: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(str(value) for value in values[:limit])
    return shown + (", ..." if len(values) > limit else "")
