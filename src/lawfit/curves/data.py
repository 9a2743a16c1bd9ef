"""Training curves as data: for each run, the learning rate at every step and the loss at the logged steps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data import check_regular_file, duplicate_columns
from ..errors import DataError
from .schedule import MAX_SCHEDULE_STEPS, MAX_STEP, from_logged, schedules_from

__all__ = ["Curve", "curve_tables", "load_curves"]


@dataclass(frozen=True, eq=False)
class Curve:
    """One training run: the schedule ``lr`` (``lr[k - 1]`` the rate of optimizer step ``k = 1 .. steps``), and the
    loss logged at each of ``step`` (in ``1 .. steps``), as :mod:`lawfit.curves` counts steps.

    ``note`` says how the schedule was obtained (given, logged at every step, or rebuilt from sparse logs).
    """

    name: str
    lr: np.ndarray
    step: np.ndarray
    loss: np.ndarray
    note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        lr = np.asarray(self.lr, dtype=np.float64)
        step = np.asarray(self.step)
        loss = np.asarray(self.loss, dtype=np.float64)
        if lr.ndim != 1 or lr.size == 0 or not np.all(np.isfinite(lr)) or np.any(lr < 0):
            raise DataError(f"The schedule of run {self.name!r} must be finite learning rates >= 0, one per step.")
        if step.shape != loss.shape or step.ndim != 1:
            raise DataError(f"Run {self.name!r} needs one loss per logged step.")
        if step.size and (not np.all(np.isfinite(step.astype(np.float64))) or np.any(step != np.round(step))):
            raise DataError(f"The steps of run {self.name!r} must be whole numbers.")
        # Compared before the cast to int64, which would wrap a step of 2**63 or more round to a negative one.
        if np.any(step < 1) or np.any(step > lr.size):
            outside = step[(step < 1) | (step > lr.size)]
            raise DataError(
                f"Run {self.name!r} has losses at steps outside 1..{lr.size}, the steps its schedule covers (first: "
                f"step {_step_text(outside[0])}); give a schedule as long as the run (steps=...): a schedule of S "
                "steps covers steps 1..S."
            )
        step = step.astype(np.int64)
        bad = ~np.isfinite(loss) | (loss <= 0)
        if bad.any():
            raise DataError(
                f"Run {self.name!r} has {int(bad.sum())} loss value(s) that are NaN, infinite or <= 0 (first at step "
                f"{int(step[bad][0])}); remove those rows."
            )
        order = np.argsort(step, kind="stable")
        object.__setattr__(self, "lr", lr)
        object.__setattr__(self, "step", step[order])
        object.__setattr__(self, "loss", loss[order])

    @property
    def steps(self) -> int:
        """Length of the schedule: its last step."""
        return int(self.lr.size)

    def until(self, last_step: int) -> Curve:
        """The same run with only the losses logged up to ``last_step`` (the schedule stays whole)."""
        keep = self.step <= last_step
        return Curve(self.name, self.lr, self.step[keep], self.loss[keep], self.note)


def load_curves(
    data: Any,
    *,
    schedules: Mapping[str, Any] | None = None,
    columns: Mapping[str, str] | None = None,
    steps: Mapping[str, int] | int | None = None,
) -> list[Curve]:
    """Curves from a table of ``run, step, loss`` (and ``lr``) rows, or a mapping ``run -> table``.

    Parameters
    ----------
    data : DataFrame, path or mapping of run name -> DataFrame/path
        One row per logged step. A single-run table needs no ``run`` column. A path may be a CSV, JSON or Parquet
        table, a TensorBoard log, or a W&B or MLflow export (see :func:`lawfit.curves.read_curves`). Steps count
        optimizer updates from 1 (see :mod:`lawfit.curves`); a loss at step 0, before any update, is dropped.
    schedules : mapping, optional
        ``run -> schedule``: a per-step array or a description such as
        ``"cosine:steps=24000,peak=3e-4,final=3e-5,warmup=2160"`` (see :func:`lawfit.curves.parse_schedule`).
        A run with a schedule needs no ``lr`` column. Runs without one use their ``lr`` column: as is when it is
        logged at every step, otherwise rebuilt by linear interpolation (the curve's ``note`` says so).
    columns : mapping, optional
        Canonical name (``run``, ``step``, ``lr``, ``loss``) -> the table's column.
    steps : int or mapping, optional
        The planned length of each run's schedule when it is rebuilt from logs, its last step (default: the last
        logged step).
    """
    tables = _tables(data, columns or {})
    given = schedules_from(schedules)
    unknown = set(given) - set(tables)
    if unknown:
        raise DataError(f"Schedules were given for runs not in the data: {sorted(unknown)}. Runs: {sorted(tables)}.")
    curves = []
    for name, table in tables.items():
        step = table["step"].to_numpy(dtype=np.float64)
        loss = table["loss"].to_numpy(dtype=np.float64)
        has_loss = np.isfinite(loss)
        if name in given:
            lr, note = given[name], "schedule given"
        else:
            if "lr" not in table or not table["lr"].notna().any():
                raise DataError(
                    f"Run {name!r} has no learning rate logged and no schedule: give its schedule (in Python "
                    f"schedules={{{name!r}: 'cosine:steps=...,peak=...'}}, on the command line --schedule "
                    f"{name}=cosine:steps=...,peak=...), or log the learning rate."
                )
            logged = table[["step", "lr"]].dropna()
            length = steps.get(name) if isinstance(steps, Mapping) else steps
            length = length if length is not None else _schedule_length(table, name)
            s = logged["step"].to_numpy(dtype=np.float64)
            lr = from_logged(s, logged["lr"].to_numpy(dtype=np.float64), length)  # checks the length first
            dense = np.array_equal(np.unique(s[s >= 1]), np.arange(1, length + 1))
            note = "lr logged at every step" if dense else f"lr rebuilt from {s.size} logged values by interpolation"
        inside = (step >= 1) & (step <= lr.size)
        keep = has_loss & inside
        keep[keep] = np.cumsum(lr)[step[keep].astype(np.int64) - 1] > 0
        # Step 0 (before any update), or step 1 of a warmup from 0: no learning yet, and the laws' S1 = 0 there.
        dropped = int(np.count_nonzero(has_loss & ~keep & (inside | (step == 0))))
        if dropped:
            note += f"; dropped {dropped} loss(es) logged before the learning rate was ever above 0"
        keep |= has_loss & ((step < 0) | (step > lr.size))  # out-of-range steps: Curve says what is wrong
        curves.append(Curve(name, lr, step[keep], loss[keep], note))
    return curves


def curve_tables(data: Any, *, columns: Mapping[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """The tables of ``data`` by run, in the columns ``step, loss`` (and ``lr``): what :func:`load_curves` reads
    before it builds each run's schedule. A caller that must know the runs before it gives their schedules (the
    command line's ``--schedule``) reads them so, and hands the mapping back to :func:`load_curves`.
    """
    return _tables(data, columns or {})


def _schedule_length(table: pd.DataFrame, run: str) -> int:
    """The last logged step, refused beyond MAX_SCHEDULE_STEPS before a schedule of that length is built."""
    step = table["step"].to_numpy(dtype=np.float64)
    last = int(np.argmax(step))
    if step[last] > MAX_SCHEDULE_STEPS:
        raise DataError(
            f"Run {run!r} logs step {_step_text(step[last])} (index {table.index[last]}), so its per-step schedule "
            f"would have more than the {MAX_SCHEDULE_STEPS:,} steps lawfit builds (8 bytes a step). Check that the "
            "step column counts optimizer steps, not tokens or samples, and fix or drop that row."
        )
    return int(step[last])


def _step_text(value: Any) -> str:
    """A step as written: whole numbers exactly, however large (``f"{2.0**63:g}"`` would round them)."""
    number = float(value)
    return str(int(value)) if number.is_integer() else f"{number:.17g}"


def _tables(data: Any, columns: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    if isinstance(data, Mapping) and data and all(isinstance(v, (pd.DataFrame, str, Path)) for v in data.values()):
        return {str(name): _canonical(_read(table, columns), columns, str(name)) for name, table in data.items()}
    where = str(data) if isinstance(data, (str, Path)) else None
    table = _canonical(_read(data, columns), columns, None, where)
    if "run" not in table:  # one run: named after its file
        return {Path(data).stem if isinstance(data, (str, Path)) else "run": table}
    return {str(name): group.drop(columns="run") for name, group in table.groupby("run", sort=False)}


def _read(data: Any, columns: Mapping[str, str]) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, Path)):
        path = Path(data)
        if not path.exists():
            raise DataError(f"No such file: {path}. Give a table of step, loss (lr, run) rows or a tracker's log.")
        if not path.is_dir():
            check_regular_file(path, "training curves")  # before reading: a FIFO would block, /dev/zero never end
        table = _read_table(path) if path.is_file() else None
        if table is not None and (columns or {"step", "loss"} <= set(table.columns)):
            return table
        from .readers import read_curves  # TensorBoard logs, W&B and MLflow exports

        return read_curves(path)
    if isinstance(data, Mapping):
        return pd.DataFrame(dict(data))
    raise DataError(f"Curves come as a DataFrame, a file or a mapping of columns. Got {type(data).__name__}.")


def _read_table(path: Path) -> pd.DataFrame | None:
    suffix = path.suffix.lower()
    format = {".parquet": "parquet", ".json": "json", ".jsonl": "jsonl", ".csv": "sniffed", ".tsv": "sniffed"}
    duplicated = duplicate_columns(path, format.get(suffix, "sniffed")) if suffix in (*format, ".txt") else []
    if duplicated:
        raise DataError(
            f"{path} has duplicate column names {', '.join(map(repr, duplicated))}, and lawfit will not pick one. "
            "Rename or drop all but one of each (then map the one to use with --col NAME=COLUMN if its name changes)."
        )
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".json", ".jsonl"):
            return pd.read_json(path, lines=suffix == ".jsonl", dtype=False)
        if suffix in (".csv", ".tsv", ".txt"):
            return pd.read_csv(path, sep=None, engine="python")
    except (OSError, ValueError, ImportError) as exc:
        raise DataError(f"Could not read {path}: {exc}. Give a CSV, JSON or Parquet table.") from None
    return None


def _canonical(
    table: pd.DataFrame, columns: Mapping[str, str], run: str | None, where: str | None = None
) -> pd.DataFrame:
    if table.columns.has_duplicates:
        duplicated = sorted({str(c) for c in table.columns[table.columns.duplicated()]})
        raise DataError(
            f"The curve table{f' of run {run!r}' if run else ''} has duplicate column names "
            f"{', '.join(map(repr, duplicated))}, and lawfit will not pick one. Rename or drop all but one of each "
            "(then map the one to use with columns={'loss': 'COLUMN'} if its name changes)."
        )
    rename = {source: name for name, source in columns.items()}
    missing = [source for source in rename if source not in table.columns]
    if missing:
        raise DataError(f"Columns {missing} are not in the table. Its columns: {list(table.columns)}.")
    table = table.rename(columns=rename)
    for name in ("step", "loss"):
        if name not in table:
            raise DataError(
                f"Curves need a {name!r} column" + (f" (run {run!r})" if run else "") + f"; the table has "
                f"{list(table.columns)}. Map one with columns={{'{name}': 'your column'}}."
            )
    keep = [c for c in ("run", "step", "lr", "loss") if c in table]
    out = table[keep].copy()
    for name in ("step", "lr", "loss"):
        if name in out:
            out[name] = pd.to_numeric(out[name], errors="coerce")
    if out["step"].isna().any():
        raise DataError("The step column has missing or non-numeric values; every row needs its step.")
    huge = out["step"].to_numpy(dtype=np.float64) > MAX_STEP
    if huge.any():  # int64 would wrap a step of 2**63 or more round to a negative one
        first = int(np.flatnonzero(huge)[0])
        of = f" of run {run!r}" if run else f" of {where!r}" if where else ""
        raise DataError(
            f"{int(huge.sum())} row(s){of} have a step above {MAX_STEP:.0e}, more optimizer steps than any training "
            f"run takes (first: index {out.index[first]}, step {_step_text(out['step'].iloc[first])}). Check that the "
            "step column counts optimizer steps, not tokens, samples or time, and fix or drop those rows."
        )
    return out.sort_values("step", kind="stable")
