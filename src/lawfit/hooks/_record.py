"""The file the training hooks write, shared by the callbacks of every framework.

One row per optimizer step: ``run, step, loss, lr, N, D, C`` (see :mod:`lawfit.hooks`). A CSV file has a header
and leaves a missing loss or learning rate empty; a JSON Lines file has one object per row with ``null`` for them.
Each row is flushed as it is written.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from .._checks import Integer, check
from .._files import write_atomic
from ..data import TRAINING_FLOPS_PER_PARAM_TOKEN
from ..errors import LawfitError

COLUMNS = ("run", "step", "loss", "lr", "N", "D", "C")
OWNER = "LawfitCallback"  # the name errors give: both frameworks' callbacks are called so
_SUFFIXES = (".csv", ".jsonl")
_DTYPES = {"step": "int64", "loss": "float64", "lr": "float64", "N": "int64", "D": "int64", "C": "float64"}


class Recorder:
    """Writes the rows of one run to ``path`` as training goes, and reads them back.

    A row is started with :meth:`step` and written when its loss comes (:meth:`loss`), when the next step starts,
    or on :meth:`close`; so a framework that reports the loss after the step (or not at every step) still gets one
    row per step. ``params`` (N) is set by the callback before the first row.
    """

    def __init__(self, path: str | os.PathLike[str], *, run: str | None, flops: Any, owner: str) -> None:
        if not isinstance(path, str | os.PathLike) or Path(path).suffix.lower() not in _SUFFIXES:
            raise LawfitError(
                f"The 'path' parameter of {owner} must be a path ending in .csv or .jsonl. Got {path!r} instead."
            )
        if run is not None and (not isinstance(run, str) or not run.strip()):
            raise LawfitError(f"The 'run' parameter of {owner} must be a non-empty string. Got {run!r} instead.")
        if flops is not None and not callable(flops):
            raise LawfitError(
                f"The 'flops' parameter of {owner} must be a function flops(N, D) -> FLOPs. Got {flops!r} instead."
            )
        self.path = Path(path)
        self.run = run if run is not None else self.path.stem
        self.params = 0
        self._csv = self.path.suffix.lower() == ".csv"
        self._flops: Callable[[int, int], float] | None = flops
        self._file: io.TextIOWrapper | None = None
        self._pending: tuple[int, float, int] | None = None

    def open(self, start_step: int) -> int:
        """Open the file for appending, training starting after ``start_step``; return the tokens recorded by then.

        Rows of this run after ``start_step`` are dropped: a run resumed from a checkpoint continues its curve,
        and one started again from step 0 replaces it. Other runs' rows are kept.
        """
        self.close()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        earlier = self._read()
        mine = (earlier["run"] == self.run).to_numpy()
        keep = ~mine | (earlier["step"].to_numpy() <= start_step)
        if not keep.all():
            self._rewrite(earlier[keep])
        self._file = open(self.path, "a", encoding="utf-8", newline="")  # closed by close()
        if self._csv and self._file.tell() == 0:
            self._file.write(",".join(COLUMNS) + "\r\n")
            self._file.flush()
        kept = earlier[mine & keep]
        return int(kept["D"].iloc[-1]) if len(kept) else 0

    def step(self, step: int, *, lr: float, tokens: int) -> None:
        """Start the row of ``step``, writing the row before it if that is still open."""
        self._write_pending()
        self._pending = (int(step), float(lr), int(tokens))

    def loss(self, step: int, value: float) -> None:
        """Complete the open row of ``step`` with its loss and write it."""
        if self._pending is not None and self._pending[0] == step:
            row, self._pending = self._pending, None
            self._write(*row, loss=float(value))

    def close(self) -> None:
        """Write the open row, if any, and close the file."""
        if self._file is not None:
            try:
                self._write_pending()
            finally:
                self._file.close()
                self._file = None

    def table(self) -> pd.DataFrame:
        """This run's rows as written so far (with the open one), in the columns ``run, step, loss, lr, N, D, C``."""
        rows = self._read()
        rows = rows[rows["run"] == self.run]
        if self._pending is not None and self._file is not None:
            step, lr, tokens = self._pending
            pending = pd.DataFrame([self._row(step, lr, tokens, math.nan)], columns=COLUMNS)
            rows = pd.concat([rows, pending.astype(_DTYPES)], ignore_index=True)
        return rows.reset_index(drop=True)

    def _write_pending(self) -> None:
        if self._pending is not None:
            row, self._pending = self._pending, None
            self._write(*row, loss=math.nan)

    def _row(self, step: int, lr: float, tokens: int, loss: float) -> list[Any]:
        n = self.params
        flops = TRAINING_FLOPS_PER_PARAM_TOKEN * n * tokens if self._flops is None else self._flops(n, tokens)
        try:
            flops = float(flops)
        except (TypeError, ValueError):
            flops = math.nan
        if not math.isfinite(flops) or flops < 0:
            raise LawfitError(
                f"The flops function gave {flops!r} for N={n}, D={tokens}; it must return the training FLOPs so "
                "far, a finite number >= 0."
            )
        return [self.run, step, loss, lr, n, tokens, flops]

    def _write(self, step: int, lr: float, tokens: int, *, loss: float) -> None:
        if self._file is None:
            return
        self._file.write(self._format(self._row(step, lr, tokens, loss)))
        self._file.flush()

    def _format(self, row: list[Any]) -> str:
        if self._csv:
            text = io.StringIO()
            csv.writer(text).writerow(["" if isinstance(v, float) and math.isnan(v) else v for v in row])
            return text.getvalue()
        record = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in zip(COLUMNS, row, strict=True)}
        return json.dumps(record, allow_nan=False) + "\n"

    def _rewrite(self, rows: pd.DataFrame) -> None:
        """Replace the file by ``rows`` atomically: killed midway, the file keeps all its earlier rows."""
        text = io.StringIO()
        if self._csv:
            text.write(",".join(COLUMNS) + "\r\n")
        for row in rows.itertuples(index=False):
            values = list(row)
            values[1], values[4], values[5] = int(values[1]), int(values[4]), int(values[5])
            text.write(self._format(values))
        write_atomic(self.path, text.getvalue(), what=f"the rows of {OWNER}")

    def _read(self) -> pd.DataFrame:
        empty = pd.DataFrame({name: pd.Series(dtype=_DTYPES.get(name, "object")) for name in COLUMNS})
        if not self.path.exists() or self.path.stat().st_size == 0:
            return empty
        try:
            if self._csv:
                # Only empty cells are missing: a run named "NA" stays a name.
                table = pd.read_csv(self.path, dtype={"run": str}, keep_default_na=False, na_values=[""])
            else:
                with open(self.path, encoding="utf-8") as file:
                    table = pd.DataFrame([json.loads(line) for line in file if line.strip()])
            if table.empty and not self._csv:
                return empty
            if set(table.columns) != set(COLUMNS):
                raise ValueError(f"its columns are {list(table.columns)}, not {list(COLUMNS)}")
            if table.empty:
                return empty
            table = table[list(COLUMNS)]
            table["run"] = table["run"].astype(str)
            return table.astype(_DTYPES)
        except (ValueError, TypeError, OSError) as error:
            raise LawfitError(
                f"{self.path} exists and is not a file of lawfit's training hooks ({error}). Give another path, or "
                "remove the file."
            ) from None


class Recording:
    """What the callbacks of every framework share: the recorder, the run's name and file, and the table."""

    def __init__(self, path: str | os.PathLike[str], *, run: str | None, flops: Any, non_embedding: bool) -> None:
        self._recorder = Recorder(path, run=run, flops=flops, owner=OWNER)
        self.non_embedding = bool(non_embedding)

    @property
    def path(self) -> Path:
        """The file written."""
        return self._recorder.path

    @property
    def run(self) -> str:
        """The run's name in the file."""
        return self._recorder.run

    def table(self) -> pd.DataFrame:
        """This run's rows written so far, as a :class:`pandas.DataFrame` with columns ``run, step, loss, lr, N, D,
        C``."""
        return self._recorder.table()

    def _start(self, model: Any, step: int) -> int:
        """Count N and open the file at ``step``; the tokens recorded by then (see :meth:`Recorder.open`)."""
        self._recorder.params = count_parameters(model, non_embedding=self.non_embedding)
        return self._recorder.open(step)


def count_parameters(module: Any, *, non_embedding: bool = False) -> int:
    """The trainable parameters of a torch module, each shared tensor once.

    With ``non_embedding``, the parameters of its ``torch.nn.Embedding`` and ``EmbeddingBag`` layers (token and
    learned position embeddings, and an output layer tied to them) are left out, as Kaplan et al. (2020) count N.
    A parameter partitioned by DeepSpeed ZeRO-3 counts its full size (``ds_numel``).
    """
    import torch  # only the framework modules call this, and they have torch

    params = {id(p): p for p in module.parameters() if p.requires_grad}
    if non_embedding:
        for layer in module.modules():
            if isinstance(layer, torch.nn.Embedding | torch.nn.EmbeddingBag):
                for p in layer.parameters(recurse=False):
                    params.pop(id(p), None)
    return int(sum(getattr(p, "ds_numel", p.numel()) for p in params.values()))


def positive_int(value: Any, name: str, owner: str) -> int | None:
    """``value`` as an int > 0 (``None`` stays ``None``), or a LawfitError in lawfit's format."""
    return check(value, (Integer(1), None), name, owner)


def learning_rate(optimizer: Any, scheduler: Any = None) -> float:
    """The learning rate of the optimizer's first parameter group (else the scheduler's last), NaN if neither."""
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        return float(groups[0]["lr"])
    last = getattr(scheduler, "get_last_lr", None)
    if last is not None:
        return float(last()[0])
    return math.nan
