"""Sweeps: runs that vary the learning rate and batch size (and other settings) at each model size and data size.

:func:`load_sweep` reads a table through :func:`lawfit.load_runs` (the same readers, column mapping, units and
errors) and adds the learning rate ``lr`` and the batch size ``batch`` (in tokens; ``seq_len`` converts a batch
counted in sequences), found by common names ("learning_rate", "train_batch_size", "batch_size_tokens", ...) or
mapped with ``columns={"lr": ..., "batch": ...}``. The other columns (weight decay, warmup, optimizer, ...) are
kept. Runs fall into cells by N and D (sizes within 5% of each other are one size), or by the columns named in
``cell_by``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._checks import Real, check
from ..data import Extra, Runs, budget_groups, listing, load_runs
from ..errors import DataError, DataWarning

__all__ = ["HPARAMS", "Sweep", "load_sweep"]

#: The hyperparameter columns a sweep knows by name: the learning rate and the batch size in tokens.
HPARAMS = ("lr", "batch")
_SIZES = ("N", "D", "C")
_EXTRA = (
    Extra("lr", ("lr", "learning_rate", "learning rate", "peak_lr", "max_lr", "lr_max", "peak learning rate", "eta")),
    # Token counts first: a table with both (Marin's) is read in tokens.
    Extra("batch", (
        "batch_tokens", "batch_size_tokens", "tokens_per_batch", "batch", "batch_size", "train_batch_size",
        "global_batch_size", "bs",
    )),
)  # fmt: skip
# A batch of fewer tokens than this is more likely a count of sequences (LLM batches hold 1e5 to 1e8 tokens).
_FEW_TOKENS = 16384


def _counts_tokens(label: Any) -> bool:
    return "token" in str(label).lower()


@dataclass(frozen=True)
class Sweep:
    """A validated hyperparameter sweep: the runs, with ``lr`` and ``batch`` (tokens) columns, grouped in cells.

    Build it with :func:`load_sweep`.

    Parameters
    ----------
    runs : Runs
        The runs; their table holds ``lr`` and/or ``batch`` (float64, > 0) beside N, D, C and loss.
    hparams : tuple of str
        The hyperparameters swept: ``("lr",)``, ``("batch",)`` or ``("lr", "batch")``.
    cell_by : tuple of str
        The columns whose values make a cell: sizes (N, D, C; within 5% are one size) and other columns.
    notes : tuple of str
        What loading did: the columns read, conversions, rows dropped.

    Examples
    --------
    >>> sweep = load_sweep({"N": [1e8] * 3, "D": [2e9] * 3, "lr": [1e-3, 2e-3, 4e-3], "loss": [3.3, 3.2, 3.25]})
    >>> sweep.hparams, sweep.cell_by, sweep.n_cells
    (('lr',), ('N', 'D'), 1)
    """

    runs: Runs
    hparams: tuple[str, ...]
    cell_by: tuple[str, ...]
    notes: tuple[str, ...] = ()
    _cells: np.ndarray = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "hparams", tuple(self.hparams))
        object.__setattr__(self, "cell_by", tuple(self.cell_by))
        object.__setattr__(self, "notes", tuple(self.notes))
        labels = _cell_labels(self.runs, self.cell_by)
        labels.setflags(write=False)
        object.__setattr__(self, "_cells", labels)

    def __len__(self) -> int:
        return len(self.runs)

    @property
    def table(self) -> Any:
        """The runs' table (a pandas DataFrame; treat it as read-only)."""
        return self.runs.table

    @property
    def n_cells(self) -> int:
        """The number of cells."""
        return int(self._cells.max()) + 1

    @property
    def families(self) -> tuple[str, ...]:
        """The columns of ``cell_by`` that are not sizes: each of their values is fitted its own laws."""
        return tuple(name for name in self.cell_by if name not in _SIZES)

    def column(self, name: str) -> np.ndarray:
        """One numeric column as a float64 array (see :meth:`lawfit.Runs.column`)."""
        return self.runs.column(name)

    def select(self, mask: Any) -> Sweep:
        """The sweep's runs at ``mask`` (booleans, one per run, or row positions), cells regrouped.

        >>> sweep = load_sweep({"N": [1e8, 1e8, 2e8, 2e8], "D": [2e9] * 4, "lr": [1e-3, 2e-3] * 2,
        ...                     "loss": [3.3, 3.2, 3.1, 3.0]})
        >>> sweep.select(sweep.column("N") < 1.5e8).n_cells
        1
        """
        return Sweep(runs=self.runs.select(mask), hparams=self.hparams, cell_by=self.cell_by, notes=self.notes)

    def cells(self) -> list[tuple[dict[str, Any], np.ndarray]]:
        """Each cell as ``(key, rows)``: its values of ``cell_by`` (sizes as their median) and its row positions.

        >>> sweep = load_sweep({"N": [1e8, 1e8, 2e8, 2e8], "D": [2e9] * 4, "lr": [1e-3, 2e-3] * 2,
        ...                     "loss": [3.3, 3.2, 3.1, 3.0]})
        >>> [(key["N"], rows.tolist()) for key, rows in sweep.cells()]
        [(100000000.0, [0, 1]), (200000000.0, [2, 3])]
        """
        out = []
        for label in range(self.n_cells):
            rows = np.flatnonzero(self._cells == label)
            key: dict[str, Any] = {}
            for name in self.cell_by:
                if name in _SIZES:
                    key[name] = float(np.median(self.runs.column(name)[rows]))
                else:
                    value = self.table[name].iloc[int(rows[0])]
                    key[name] = value.item() if hasattr(value, "item") else value
            out.append((key, rows))
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: source, rows, hyperparameters, cells and notes."""
        return {
            "source": self.runs.source,
            "n_runs": len(self),
            "hparams": list(self.hparams),
            "cell_by": list(self.cell_by),
            "n_cells": self.n_cells,
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """What was read, in a few lines."""
        lines = [
            f"sweep      {len(self)} runs from {self.runs.source} in {self.n_cells} cells by "
            f"{', '.join(self.cell_by)}; swept {', '.join(self.hparams)}"
        ]
        lines += [f"           {note}" for note in self.notes]
        return "\n".join(lines)


def load_sweep(
    source: Any,
    *,
    columns: Mapping[str, Any] | None = None,
    seq_len: float | None = None,
    cell_by: Sequence[str] | None = None,
    format: str | None = None,
    drop_bad: bool = False,
) -> Sweep:
    """Load a hyperparameter sweep: runs with a learning rate and/or a batch size.

    Parameters
    ----------
    source : path, DataFrame, mapping or Runs
        As for :func:`lawfit.load_runs`.
    columns : mapping, optional
        Canonical name -> source column, with ``lr`` (peak learning rate) and ``batch`` (batch size) besides
        ``N``, ``D``, ``C``, ``loss``, ``run``, ``group`` and ``weight``.
    seq_len : float, optional
        Tokens per sequence: the batch column counts sequences and is multiplied by ``seq_len`` to tokens. Without
        it, a batch column whose name does not say "tokens" and whose largest value is below 16,384 is read as
        tokens with a :class:`~lawfit.errors.DataWarning` (such batches are more likely sequences).
    cell_by : sequence of str, optional
        The columns that make a cell (default: N and D, or the sizes present). Name other columns (e.g.
        ``"optimizer"``) to keep their values apart: each value then gets its own laws.
    format : str, optional
        The file type, as for :func:`lawfit.load_runs`.
    drop_bad : bool
        Drop the rows a fit cannot use (as for :func:`lawfit.load_runs`; also a learning rate or batch size that
        is missing, not a number or <= 0) and say so in the notes, instead of refusing them.

    Returns
    -------
    Sweep

    Raises
    ------
    DataError
        As :func:`lawfit.load_runs` does; also when neither a learning rate nor a batch size column is found,
        when one holds text, NaN or values <= 0, or a ``cell_by`` column is missing.

    Examples
    --------
    >>> sweep = load_sweep(
    ...     {"N": [1e8] * 3, "D": [2e9] * 3, "learning_rate": [1e-3, 2e-3, 4e-3],
    ...      "train_batch_size": [256] * 3, "loss": [3.3, 3.2, 3.25]},
    ...     seq_len=4096,
    ... )
    >>> sweep.hparams, float(sweep.column("batch")[0])
    (('lr', 'batch'), 1048576.0)
    """
    check(seq_len, (Real(0, closed="neither"), None), "seq_len", "load_sweep", error=DataError)
    runs = load_runs(source, columns=columns, format=format, drop_bad=drop_bad, extra=_EXTRA)
    table = runs.table
    notes = list(runs.notes)
    found = {name: runs.read_from[name] for name in HPARAMS if name in runs.read_from}
    if not found:
        raise DataError(
            f"The sweep from {runs.source} has no learning-rate or batch-size column (none named lr, learning_rate, "
            f"batch_size, train_batch_size, ...). Map them with --col lr=COLUMN --col batch=COLUMN (Python: "
            f"columns={{'lr': 'COLUMN', 'batch': 'COLUMN'}}). Available columns: {listing(table.columns)}."
        )
    values = {name: runs.column(name) for name in found}
    if "batch" in found:
        label = found["batch"]
        if seq_len is not None:
            if _counts_tokens(label):
                raise DataError(
                    f"The batch column {label!r} already counts tokens, so seq_len={seq_len!r} would count them "
                    "twice. Drop --seq-len (Python: seq_len=None), or map a batch column in sequences."
                )
            values["batch"] = values["batch"] * float(seq_len)
            notes.append(f"Read batch from column {label!r} in sequences, times seq_len {seq_len:g} tokens.")
        elif not _counts_tokens(label) and values["batch"].max() < _FEW_TOKENS:
            largest = float(values["batch"].max())
            warnings.warn(
                DataWarning(
                    f"The batch sizes in column {label!r} are below {_FEW_TOKENS:,} in every row (largest "
                    f"{largest:g}): they look like sequences, not tokens. Give the sequence length with --seq-len "
                    "(Python: seq_len=) to convert them; they are read as tokens.",
                    column=str(label),
                    largest=largest,
                ),
                stacklevel=2,
            )
    frame = table.assign(batch=values["batch"]) if "batch" in values else table
    runs = Runs(table=frame, source=runs.source, derived=runs.derived, notes=tuple(notes), read_from=runs.read_from)
    if cell_by is None:
        if "N" in frame.columns and "D" in frame.columns:
            cell_by = ("N", "D")
        else:
            cell_by = tuple(name for name in _SIZES if name in frame.columns)
    if isinstance(cell_by, str):
        cell_by = (cell_by,)
    cell_by = tuple(cell_by)
    missing = [name for name in cell_by if name not in frame.columns]
    if missing or not cell_by:
        raise DataError(
            f"The 'cell_by' parameter of load_sweep must name columns of the sweep. Got {list(cell_by)!r} instead "
            f"(missing {', '.join(map(repr, missing)) or 'all'}); available columns: "
            f"{', '.join(map(repr, frame.columns))}."
        )
    if not any(name in _SIZES for name in cell_by):
        cell_by = (*cell_by, *(name for name in ("N", "D") if name in frame.columns))
    return Sweep(runs=runs, hparams=tuple(found), cell_by=cell_by, notes=tuple(notes))


def _cell_labels(runs: Runs, cell_by: Sequence[str]) -> np.ndarray:
    """The cell of each run, 0.. in order of first appearance."""
    parts = []
    for name in cell_by:
        if name in _SIZES:
            parts.append(budget_groups(runs.column(name), 0.05))
        else:
            parts.append(np.unique(runs.table[name].astype(str).to_numpy(), return_inverse=True)[1].ravel())
    keys = np.stack(parts, axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    # Number the cells by where they first appear, so that a table's order is kept.
    rank = np.argsort(np.argsort(first))
    return rank[inverse.ravel()].astype(np.int64)
