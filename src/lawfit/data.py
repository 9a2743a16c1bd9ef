"""Runs: final-loss training runs, loaded from a file or a table into one validated, immutable value.

:func:`load_runs` reads CSV, TSV, Parquet, JSON or JSON Lines files, pandas DataFrames and mappings of column
to values. It finds the canonical columns (``N`` parameters, ``D`` tokens, ``C`` FLOPs, ``loss``, and the
optional ``run``, ``group`` and ``weight``) by an explicit mapping or by common names such as "Model Size",
derives the third of N, D, C from ``C = 6 N D`` when two are given, and refuses data a fit cannot use (NaN,
sizes <= 0, text in numeric columns, two columns of one name) with one error that names every problem, its column
and rows, and the fix; ``drop_bad=True`` (``--drop-bad-rows``) drops such rows instead and says so in the notes.
Units in headers ("Params (M)", "Tokens (B)", "N_millions") are applied and noted; sizes that look like millions
or billions without a unit, runs a tracker marks as crashed, exact repeats and a C column at odds with 6 N D are
warned of or noted. A path that is not a regular file (a FIFO, a device such as /dev/zero, a socket) is refused
before it is opened.

Columns beyond the canonical ones (a batch size, a learning rate, a model's name) are read the same way when
``load_runs`` is asked for them with ``extra=`` (see :class:`Extra`): found by their aliases or mapped with
``columns=``, checked with the same messages, kept under their own names. :func:`read_table` reads a source without
validating it, for a caller that must look at the columns first; :func:`load_runs` then takes the table it returns.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ._checks import Instance, Integer, Real, check
from ._lazy import pandas as pd  # imported when a table is first read
from .errors import DataError, DataWarning

__all__ = ["Extra", "Runs", "budget_groups", "load_runs"]

_SIZES = ("N", "D", "C")
_NUMERIC = ("N", "D", "C", "U", "loss", "weight")
_TEXT = ("run", "group")
#: The columns :func:`load_runs` knows by name, in the order of a Runs table.
CANONICAL_COLUMNS = ("N", "D", "C", "U", "loss", "run", "group", "weight")
_MEANING = {
    "N": "parameters",
    "D": "tokens",
    "C": "FLOPs",
    "U": "unique tokens",
    "loss": "final loss",
    "run": "run id",
    "group": "run family",
    "weight": "sample weight",
}
#: The source column names each canonical column is found under (compared as :func:`match_columns` does).
COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "N": (
        "n", "params", "parameters", "model size", "model_size", "n_params", "num_params", "nparams",
        "param_count", "non_embedding_params", "non-embedding parameters", "size", "n_parameters",
        "num_parameters", "parameter_count", "model_params",
    ),
    "D": (
        "d", "tokens", "n_tokens", "num_tokens", "training tokens", "train_tokens", "data", "dataset size",
        "data size", "tokens_seen", "total_tokens", "tokens_trained", "trained_tokens",
    ),
    "C": ("c", "flops", "flop", "compute", "training flop", "training flops", "train_flops", "total_flops"),
    "U": ("u", "unique tokens", "unique_tokens", "u_unique_tokens", "unique", "n_unique_tokens"),
    "loss": (
        "loss", "l", "final loss", "final_loss", "eval loss", "eval_loss", "val_loss", "validation loss",
        "valid_loss", "test_loss", "train_loss", "training loss", "val/loss", "validation/loss",
    ),
    "run": ("run", "run_id", "run_name", "name", "id"),
    "group": ("group", "family", "series"),
    "weight": ("weight", "weights", "w"),
})  # fmt: skip
_FORMATS = {
    "csv": "csv", "tsv": "tsv", "parquet": "parquet", "pq": "parquet", "json": "json", "jsonl": "jsonl",
    "ndjson": "jsonl",
}  # fmt: skip
# pandas infers these from the suffix, so "runs.csv.gz" is read as CSV.
_COMPRESSIONS = (".gz", ".bz2", ".zip", ".xz", ".zst", ".tar")
_SHOW_ROWS = 5
_DUPLICATE_FIX = (
    "Rename or drop all but one of each, so each column has one name (then map the one to use with --col "
    "NAME=COLUMN if it is not named as lawfit expects)."
)
_NO_SIZE_HINT = "or give two of N, D, C so the third is derived from C = 6ND"


def _normalize(label: Any) -> str:
    """Column name as aliases are compared: lower case, units in brackets and separators removed."""
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", str(label)).lower()
    return re.sub(r"[\s_.\-/]+", "", text)


_ALIAS_TO_NAME = {_normalize(alias): name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}


def match_columns(labels: Sequence[Any], aliases: Sequence[str]) -> list[Any]:
    """The ``labels`` that name one of ``aliases``, in the order of the aliases (then of the labels).

    Names are compared as :func:`load_runs` compares them: ignoring case, spaces, underscores, hyphens, dots, slashes
    and anything in brackets (a unit).

    >>> match_columns(["Batch Size (seqs)", "train/loss", "bs"], ("bs", "batch_size", "loss"))
    ['bs', 'Batch Size (seqs)']
    """
    order = {key: rank for rank, key in reversed(list(enumerate(_normalize(alias) for alias in aliases)))}
    found = [label for label in labels if _normalize(label) in order]
    return sorted(found, key=lambda label: order[_normalize(label)])


@dataclass(frozen=True)
class Extra:
    """A column beyond the canonical ones for :func:`load_runs` to find, check and keep under its own name.

    Parameters
    ----------
    name : str
        The column's name in the runs' table, and in ``columns=`` (``--col NAME=COLUMN``); not a canonical name.
    aliases : sequence of str
        Source column names it is found under, the likeliest first, compared as the canonical names' aliases are
        (ignoring case, separators and brackets). The name itself is always one.
    numeric : bool, default True
        Read as float64, and refuse (or with ``drop_bad`` drop) rows with text, NaN, inf or a value <= 0, as for
        N, D and loss. A text column (a model's label) is kept as strings, as ``run`` and ``group`` are.
    required : bool, default False
        Refuse runs without the column, saying how to map it.
    empty_means : str, optional
        What an empty cell says about its run, for the messages that refuse or drop it (``"runs that never
        reached the target loss"``); without it an empty cell is reported as NaN.

    Examples
    --------
    >>> runs = load_runs({"N": [1e8, 4e8], "loss": [3.2, 2.9], "Batch Size": [256, 512]},
    ...                  extra=[Extra("batch", ("batch_size", "bs"))])
    >>> runs.columns, runs.column("batch")
    (('N', 'loss', 'batch'), array([256., 512.]))
    """

    name: str
    aliases: tuple[str, ...] = ()
    numeric: bool = True
    required: bool = False
    empty_means: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or self.name in CANONICAL_COLUMNS:
            raise DataError(
                "The 'name' parameter of Extra must be a non-empty string other than the canonical names "
                f"{', '.join(CANONICAL_COLUMNS)}. Got {self.name!r} instead."
            )
        aliases = (self.aliases,) if isinstance(self.aliases, str) else self.aliases
        if not isinstance(aliases, Sequence) or not all(isinstance(alias, str) for alias in aliases):
            raise DataError(
                f"The 'aliases' parameter of Extra must be a sequence of strings. Got {self.aliases!r} instead."
            )
        for option in ("numeric", "required"):
            check(getattr(self, option), Instance((bool,), "a bool"), option, "Extra", error=DataError)
        check(self.empty_means, Instance((str,), "a string"), "empty_means", "Extra", error=DataError)
        object.__setattr__(self, "aliases", tuple(dict.fromkeys((self.name, *aliases))))


def _extras(extra: Any) -> tuple[Extra, ...]:
    """``load_runs``'s ``extra``: Extra specs, names, or a mapping of name to aliases (numeric, optional)."""
    if extra is None:
        return ()
    if isinstance(extra, Mapping):
        specs = [Extra(name, aliases) for name, aliases in extra.items()]
    elif isinstance(extra, Sequence) and not isinstance(extra, str):
        specs = [item if isinstance(item, Extra) else Extra(item) for item in extra]
    else:
        raise DataError(
            "The 'extra' parameter of load_runs must be a sequence of Extra or a mapping of name to aliases. Got "
            f"{type(extra).__name__} instead."
        )
    names = [spec.name for spec in specs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f"The 'extra' parameter of load_runs names {listing(repeated)} more than once; name each once.")
    return tuple(specs)


# Unit words of a header ("Params (M)", "tokens_B", "N_millions") and the factor that brings values to counts.
_UNIT_WORDS = {
    "k": 1e3, "thousand": 1e3, "thousands": 1e3,
    "m": 1e6, "mn": 1e6, "mil": 1e6, "million": 1e6, "millions": 1e6,
    "b": 1e9, "bn": 1e9, "g": 1e9, "billion": 1e9, "billions": 1e9,
    "t": 1e12, "trillion": 1e12, "trillions": 1e12,
}  # fmt: skip
_UNIT_NAMES = {1e3: "thousands", 1e6: "millions", 1e9: "billions", 1e12: "trillions"}
_PF_DAY = 1e15 * 86400.0  # FLOPs in a petaflop/s-day (Kaplan et al. 2020 count compute in PF-days)
_UNIT_NUMBER = r"(?:x|×|\*)?\s*(\d+(?:\.\d+)?(?:e[+-]?\d+)?|10\s*(?:\^|\*\*)\s*\d+)"
# What may follow the unit word in brackets: "(B tokens)", "(millions of params)".
_UNIT_NOUN = r"(?:\s+(?:of\s+)?[a-z\-]+)?"
_UNIT_SIZES = ("N", "D", "C", "U")
_SMALL = {"N": 1e5, "D": 1e6}  # below these, all values of a column look like millions or billions
_FAILED_STATES = ("crashed", "failed", "killed")
_STATE_COLUMNS = ("state", "status", "runstate", "runstatus")


def _unit_factor(text: str, name: str) -> float | None:
    """The factor of a unit written as ``text`` ("M", "billions", "1e9", "10^6", "PF-days"), or None.

    >>> _unit_factor("M", "N"), _unit_factor("billions of tokens", "D"), _unit_factor("x1e9", "D")
    (1000000.0, 1000000000.0, 1000000000.0)
    >>> _unit_factor("PF-days", "C"), _unit_factor("FLOPs", "C"), _unit_factor("nats", "N")
    (8.64e+19, None, None)
    """
    text = text.strip().lower()
    if name == "C" and re.fullmatch(r"(?:pf|petaflops?(?:/s)?)[\s\-_]?days?", text):
        return _PF_DAY
    word = re.fullmatch(r"([a-z]+)" + _UNIT_NOUN, text)
    if word and word.group(1) in _UNIT_WORDS:
        return _UNIT_WORDS[word.group(1)]
    number = re.fullmatch(_UNIT_NUMBER + _UNIT_NOUN, text)
    if number:
        digits = re.sub(r"\s", "", number.group(1))
        base, sep, power = digits.replace("**", "^").partition("^")
        value = float(base) ** float(power) if sep else float(digits)
        return value if value > 1 else None
    return None


def split_unit(label: Any) -> tuple[str, float | None, str]:
    """A header as (name without its unit, factor, unit as written): 'Params (M)' -> ('Params', 1e6, 'M').

    The unit is in brackets anywhere, or a last word after a separator ("tokens_B", "N_millions", "n_in_billions").
    Whether it applies is decided by the caller: only sizes (N, D, C, U) have units.

    >>> split_unit("Params (M)"), split_unit("N_millions"), split_unit("tokens_in_billions")
    (('Params', 1000000.0, 'M'), ('N', 1000000.0, 'millions'), ('tokens', 1000000000.0, 'billions'))
    >>> split_unit("train/loss")
    ('train/loss', None, '')
    """
    text = str(label)
    for inside in re.findall(r"\(([^)]*)\)|\[([^\]]*)\]", text):
        unit = inside[0] or inside[1]
        for name in ("C", "N"):  # PF-days only for compute; the other units are alike for every size
            factor = _unit_factor(unit, name)
            if factor is not None:
                stem = re.sub(r"\s*(?:\(" + re.escape(unit) + r"\)|\[" + re.escape(unit) + r"\])", "", text, count=1)
                return stem.strip(), factor, unit.strip()
    match = re.fullmatch(r"(.*?[^\s_.\-/])[\s_.\-/]+(?:in[\s_.\-/]+)?([A-Za-z]+|pf[\s_\-]?days?)", text, re.IGNORECASE)
    if match:
        for name in ("C", "N"):
            factor = _unit_factor(match.group(2), name)
            if factor is not None:
                return match.group(1), factor, match.group(2)
    return text, None, ""


def _size_alias(label: Any) -> tuple[str | None, float | None, str]:
    """The canonical name a header means, with the factor and text of its unit when it is a size with a unit."""
    name = _ALIAS_TO_NAME.get(_normalize(label))
    stem, factor, unit = split_unit(label)
    if name is None and factor is not None and _ALIAS_TO_NAME.get(_normalize(stem)) in _UNIT_SIZES:
        name = _ALIAS_TO_NAME[_normalize(stem)]
    if name not in _UNIT_SIZES or factor is None:
        return name, None, ""
    if factor == _PF_DAY and name != "C":
        return name, None, ""
    return name, factor, unit


def _unit_phrase(factor: float, unit: str) -> str:
    """'in millions (x 1e6)', 'in PF-days (x 8.64e19)'."""
    if factor == _PF_DAY:
        return f"in PF-days (x {factor:.3g} FLOPs)"
    named = _UNIT_NAMES.get(factor)
    return f"in {named} (x {factor:.0e})" if named else f"in units of {unit} (x {factor:.3g})"


def _named(name: str) -> str:
    """'D (tokens)' for canonical names, the quoted name otherwise."""
    return f"{name} ({_MEANING[name]})" if name in _MEANING else repr(name)


def _how_to_map(name: str) -> str:
    fix = f"Map it with --col {name}=COLUMN (Python: columns={{{name!r}: 'COLUMN'}})"
    return f"{fix}, {_NO_SIZE_HINT}." if name in _SIZES else f"{fix}."


def listing(labels: Sequence[Any]) -> str:
    """Labels quoted and joined for a message, or 'none'.

    >>> listing(["N", 3]), listing([])
    ("'N', 3", 'none')
    """
    return ", ".join(repr(label) for label in labels) if len(labels) else "none"


@dataclass(frozen=True)
class Origin:
    """Where a table came from, for error messages: the source and how its rows are numbered.

    >>> origin = Origin("runs.csv", is_file=True)
    >>> origin.described, origin.rows(np.array([False, True, True]), None)
    ("'runs.csv'", '2 rows (data rows 2, 3)')
    """

    source: str
    is_file: bool
    # After rows were dropped: the original position of each row left, so that files keep their row numbers.
    kept: tuple[int, ...] | None = None

    @property
    def described(self) -> str:
        return f"the {self.source.strip('<>')}" if self.source.startswith("<") else repr(self.source)

    @staticmethod
    def are(bad: np.ndarray) -> str:
        """The verb that agrees with the count of rows in ``bad``."""
        return "is" if np.count_nonzero(bad) == 1 else "are"

    def rows(self, bad: np.ndarray, index: pd.Index) -> str:
        """'2 rows (data rows 3, 7)': positions from 1 for files, index labels for tables."""
        where = np.flatnonzero(bad)
        count = f"{where.size} row{'s' if where.size != 1 else ''}"
        if self.is_file:
            shown = [str((i if self.kept is None else self.kept[i]) + 1) for i in where[:_SHOW_ROWS]]
            kind = "data row" if where.size == 1 else "data rows"
        else:
            shown = [str(index[i]) for i in where[:_SHOW_ROWS]]
            kind = "index"
        more = ", ..." if where.size > _SHOW_ROWS else ""
        return f"{count} ({kind} {', '.join(shown)}{more})"


@dataclass(frozen=True, eq=False)
class SourceTable:
    """A table as read by :func:`read_table`, not yet validated: its rows, where they came from, and notes on the
    reading. :func:`load_runs` takes it as a source, so a caller can look at the columns (or add one) first.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows as read, with the source's column names.
    origin : Origin
        The source, and how its rows are numbered in messages.
    notes : tuple of str
        What reading did (a ``.json`` file read as JSON Lines, ...); they lead the notes of the runs.
    """

    frame: pd.DataFrame
    origin: Origin
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", tuple(self.notes))


@dataclass(frozen=True, eq=False)
class Runs:
    """Final-loss runs in one validated table, ready for a law to fit.

    Build it with :func:`load_runs`. The table holds the canonical columns that are present, in the order
    ``N, D, C, loss, run, group, weight``, then the extras asked for (see :class:`Extra`), followed by the other
    source columns unchanged. ``N``, ``D``, ``C``, ``loss`` and ``weight`` are float64 (sizes and losses > 0,
    weights >= 0, all finite); ``run`` and ``group`` are strings. Treat the table as read-only: the methods hand
    out copies.

    Parameters
    ----------
    table : pandas.DataFrame
        The validated runs, one row per run.
    source : str
        The path the runs were read from, or ``"<DataFrame>"`` / ``"<mapping>"``.
    derived : Mapping[str, str]
        Columns computed from ``C = 6 N D``, with their formula, e.g. ``{"D": "D = C / (6 N)"}``.
    notes : tuple of str
        What loading did or noticed, in sentences: matched column names and the units applied, rows dropped and
        why, derived columns, runs marked as crashed, exact repeats, a C column at odds with 6 N D.
    read_from : Mapping[str, Any]
        The source column each canonical column and extra was read from, e.g. ``{"N": "Model Size"}`` (derived
        columns are not read, and are in ``derived``).

    Examples
    --------
    >>> runs = load_runs({"Model Size": [1e8, 4e8], "C": [1.2e18, 9.6e18], "loss": [3.2, 2.9]})
    >>> len(runs), runs.columns
    (2, ('N', 'D', 'C', 'loss'))
    >>> runs.column("D")
    array([2.e+09, 4.e+09])
    >>> dict(runs.derived), dict(runs.read_from)
    ({'D': 'D = C / (6 N)'}, {'N': 'Model Size', 'C': 'C', 'loss': 'loss'})
    """

    table: pd.DataFrame
    source: str = "<DataFrame>"
    derived: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    read_from: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Freeze the metadata so that a Runs handed around cannot change under its holder.
        object.__setattr__(self, "derived", MappingProxyType(dict(self.derived)))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "read_from", MappingProxyType(dict(self.read_from)))
        if not isinstance(self.table, pd.DataFrame):
            raise DataError(f"Runs needs a pandas DataFrame as table. Got {type(self.table).__name__} instead.")
        if "loss" not in self.table.columns or not any(s in self.table.columns for s in _SIZES):
            raise DataError(
                "Runs needs a table with a loss column and at least one of N, D, C. "
                f"Got columns {listing(list(self.table.columns))}; build runs with load_runs instead."
            )
        if len(self.table) == 0:
            raise DataError("Runs needs at least one row. Got an empty table.")

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        derived = "; ".join(self.derived.values())
        return (
            f"Runs({len(self)} rows from {self.source!r}; columns {', '.join(map(str, self.columns))}"
            + (f"; derived {derived}" if derived else "")
            + ")"
        )

    @property
    def columns(self) -> tuple[str, ...]:
        """The table's column names, canonical ones first."""
        return tuple(self.table.columns)

    @property
    def weights(self) -> np.ndarray:
        """The ``weight`` column as float64, or ones when the runs have no weights.

        >>> load_runs({"N": [1e8, 4e8], "loss": [3.2, 2.9]}).weights
        array([1., 1.])
        """
        if "weight" in self.table.columns:
            return self.column("weight")
        return np.ones(len(self), dtype=np.float64)

    def column(self, name: str) -> np.ndarray:
        """One numeric column as a new float64 array.

        Parameters
        ----------
        name : str
            A canonical name (``"N"``, ``"D"``, ``"C"``, ``"loss"``, ``"weight"``) or another numeric column.

        Raises
        ------
        DataError
            If the runs lack the column (the message says how to provide it), or it holds text.

        Examples
        --------
        >>> load_runs({"N": [1e8, 4e8], "loss": [3.2, 2.9]}).column("loss")
        array([3.2, 2.9])
        """
        if name not in self.table.columns:
            if name in _MEANING:
                raise DataError(f"The runs have no column {_named(name)}. {_how_to_map(name)}")
            raise DataError(
                f"The runs have no column {name!r}. Available columns: {listing(self.columns)}; "
                f"rename a source column to {name!r} to provide it."
            )
        values = self.table[name]
        if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
            raise DataError(
                f"Column {name!r} holds {values.dtype} values, not numbers; read it from runs.table[{name!r}] instead."
            )
        return values.to_numpy(dtype=np.float64, copy=True)

    def inputs(self, names: Sequence[str]) -> dict[str, np.ndarray]:
        """The columns a law reads, by name, as float64 arrays.

        Parameters
        ----------
        names : sequence of str
            The law's input names, e.g. ``("N", "D")``.

        Raises
        ------
        DataError
            If a column is missing (saying how to map or derive it), holds text, or has NaN or inf.

        Examples
        --------
        >>> runs = load_runs({"N": [1e8, 4e8], "D": [2e9, 8e9], "loss": [3.2, 2.9]})
        >>> sorted(runs.inputs(["N", "D"]))
        ['D', 'N']
        """
        missing = [name for name in names if name not in self.table.columns]
        if len(missing) == 1 and missing[0] in _MEANING:
            raise DataError(
                f"The law needs column {_named(missing[0])}, which the runs lack. {_how_to_map(missing[0])} "
                f"Available columns: {listing(self.columns)}."
            )
        if missing:
            maps = " ".join(f"--col {name}=COLUMN" for name in missing if name in _MEANING)
            others = [name for name in missing if name not in _MEANING]
            fixes = ([f"map them with {maps}"] if maps else []) + (
                [f"name source columns {listing(others)}"] if others else []
            )
            hint = f", {_NO_SIZE_HINT}" if any(name in _SIZES for name in missing) else ""
            raise DataError(
                f"The law needs columns {', '.join(_named(name) for name in missing)}, which the runs lack. "
                f"Available columns: {listing(self.columns)}; {' and '.join(fixes)}{hint}."
            )
        arrays = {}
        for name in names:
            values = self.column(name)
            # Canonical columns were checked on loading; other columns (a curve's step, say) are checked here.
            bad = ~np.isfinite(values)
            if bad.any():
                rows = Origin(self.source, is_file=False).rows(bad, self.table.index)
                raise DataError(f"Column {name!r} has NaN or inf in {rows}. Drop or fix those rows before fitting.")
            arrays[name] = values
        return arrays

    def select(self, mask: Any) -> Runs:
        """A subset of the runs, with the same source, derived columns and notes.

        Parameters
        ----------
        mask : array-like of bool or of int
            A boolean mask with one entry per run, or the positions of the runs to keep.

        Examples
        --------
        >>> runs = load_runs({"N": [1e8, 4e8, 1e9], "loss": [3.2, 2.9, 2.7]})
        >>> small = runs.select(runs.column("N") < 5e8)
        >>> len(small), small.source
        (2, '<mapping>')
        """
        keep = np.asarray(mask)
        if keep.dtype == np.bool_:
            if keep.shape != (len(self),):
                raise DataError(
                    f"The 'mask' parameter of Runs.select must be a boolean array of length {len(self)} "
                    f"or an array of row positions. Got a boolean array of shape {keep.shape} instead."
                )
            keep = np.flatnonzero(keep)
        elif keep.ndim != 1 or not (keep.size == 0 or np.issubdtype(keep.dtype, np.integer)):
            raise DataError(
                "The 'mask' parameter of Runs.select must be a boolean array or an array of row positions. "
                f"Got an array of {keep.dtype} with shape {keep.shape} instead."
            )
        if keep.size == 0:
            raise DataError("Runs.select kept no rows; a fit needs at least one run. Check the mask.")
        try:
            table = self.table.iloc[keep]
        except IndexError as error:
            raise DataError(
                f"The 'mask' parameter of Runs.select has positions outside 0..{len(self) - 1}: {error}."
            ) from None
        return Runs(table=table, source=self.source, derived=self.derived, notes=self.notes, read_from=self.read_from)

    def drop_highest_loss(self, k: int) -> Runs:
        """The runs without the ``k`` with the highest loss, in their order (outliers, as Besiroglu et al. 2024
        dropped 5 of Hoffmann's runs: ``keep = loss < sorted(loss)[-k]``).

        >>> runs = load_runs({"N": [1e8, 4e8, 1e9], "loss": [3.2, 2.9, 2.7]})
        >>> runs.drop_highest_loss(1).column("loss")
        array([2.9, 2.7])
        """
        k = check(k, Integer(0), "k", "drop_highest_loss", error=DataError)
        if k == 0:
            return self
        if k >= len(self):
            raise DataError(f"Cannot drop the {k} highest-loss runs of only {len(self)} runs.")
        order = np.argsort(self.column("loss"), kind="stable")
        dropped = self.select(np.sort(order[: len(self) - int(k)]))
        note = f"Dropped the {k} highest-loss run{'s' if k > 1 else ''} as outliers."
        return dataclasses.replace(dropped, notes=(*self.notes, note))

    def require_points(self, n_params: int, law_name: str, weights: np.ndarray | None = None) -> None:
        """Refuse to fit more parameters than there are runs (runs with weight 0 do not count): weight from the
        ``weight`` column, or ``weights`` when the fit is given its own.

        Raises
        ------
        DataError
            If the runs have fewer points than the law has parameters.

        Examples
        --------
        >>> load_runs({"N": [1e8, 4e8, 1e9], "loss": [3.2, 2.9, 2.7]}).require_points(3, "power")
        """
        points = int(np.count_nonzero((self.weights if weights is None else np.asarray(weights)) > 0))
        if points < n_params:
            counted = "points" if points == len(self) else "points with nonzero weight"
            raise DataError(
                f"Law {law_name} has {n_params} parameters but the runs have {points} {counted}; "
                "a fit needs at least as many points as parameters."
            )


def load_runs(
    source: str | os.PathLike[str] | pd.DataFrame | Mapping[str, Any] | Runs | SourceTable,
    *,
    columns: Mapping[str, Any] | None = None,
    format: str | None = None,
    drop_bad: bool = False,
    extra: Sequence[Extra | str] | Mapping[str, Sequence[str]] | None = None,
) -> Runs:
    """Load final-loss runs and validate them.

    Parameters
    ----------
    source : path, pandas.DataFrame, mapping, Runs or SourceTable
        A CSV, TSV, Parquet (``.parquet``, ``.pq``), JSON (``.json``: a list of records or a dict of columns)
        or JSON Lines (``.jsonl``, ``.ndjson``) file, possibly compressed (``.gz``, ...); a DataFrame; a
        mapping of column name to values; a :class:`Runs`, returned as is unless ``columns`` or ``extra`` is
        given; or a :class:`SourceTable` from :func:`read_table`.
    columns : mapping, optional
        Canonical name -> source column, e.g. ``{"N": "Model Size"}``. Canonical names are ``N`` (parameters),
        ``D`` (tokens), ``C`` (FLOPs), ``loss``, ``run``, ``group`` and ``weight``. Names not mapped are
        looked up among common aliases ("params", "Training FLOP", "val_loss", ...), ignoring case, spaces,
        underscores, hyphens, dots, slashes ("train/loss") and units. A size whose header names a unit, in
        brackets or as its last word ("Params (M)", "Tokens (B)", "N_millions", "tokens_in_billions", "D (1e9)",
        "Compute (PF-days)"), is multiplied to a count, and the notes say so. When no unit is named and every N
        is below 1e5 or every D below 1e6, a :class:`~lawfit.errors.DataWarning` asks whether they are millions
        or billions (except for columns named ``N`` and ``D`` of a DataFrame or mapping: lawfit's own names,
        which count parameters and tokens). Of two columns that look like the run id (a tracker's ``Name`` and
        ``ID``), the first in the order run, run_id, run_name, name, id is read, and noted; two that look like
        a size or the loss are an error that asks to choose.
    format : {"csv", "tsv", "parquet", "json", "jsonl"}, optional
        The file type, when the suffix does not say it (``--format`` on the command line). A ``.json`` file
        that holds JSON Lines (one object per line) is read as JSON Lines.
    drop_bad : bool, default False
        Drop the rows a fit cannot use (NaN or inf, a size or loss <= 0, text in a numeric column, a negative
        weight) and the runs that a ``State`` or ``Status`` column says crashed, failed or were killed, and say
        in the notes how many and why. Without it such rows are refused, all in one error, and failed runs noted.
    extra : sequence of Extra, or mapping of name to aliases, optional
        Columns beyond the canonical ones to read too, each an :class:`Extra` (a mapping ``{"batch": ("bs",
        "batch_size")}`` is short for numeric, optional extras). Each is found as the canonical columns are: mapped
        in ``columns`` (``columns={"batch": "My Col"}``), else by its aliases among the source columns the
        canonical ones did not take; numeric ones are read as float64 and their bad rows (text, NaN, inf, <= 0)
        refused or dropped with the others; the table keeps each under its name, after the canonical columns, and
        the notes say which source column was read. An extra not found is left out, unless it is required.

    Returns
    -------
    Runs
        The validated runs; when two of N, D, C are given the third is derived from ``C = 6 N D``. The notes
        also tell of rows that repeat another row's sizes and loss exactly (kept: seeds of one size differ in
        loss, so an exact repeat is more likely one run exported twice), and of a C column that disagrees
        with 6 N D (by one factor in all rows, as C = 8 N D, or in single rows by more than a factor of 2).

    Raises
    ------
    DataError
        If the source cannot be read, a needed column is missing or ambiguous, or values are unusable
        (text in a numeric column, NaN or inf, a size or loss <= 0, a negative weight, no rows).

    Examples
    --------
    >>> runs = load_runs({"Model Size": [1e8, 4e8], "tokens": [2e9, 8e9], "val_loss": [3.2, 2.9]})
    >>> runs.columns
    ('N', 'D', 'C', 'loss')
    >>> runs.column("C")
    array([1.20e+18, 1.92e+19])
    >>> runs.notes[-1]
    'Derived C (FLOPs) from C = 6 N D: C = 6 N D.'

    Units in headers are applied, and bad rows dropped on request:

    >>> runs = load_runs(
    ...     {"Params (M)": [100, 400, 1000], "Tokens (B)": [2, 8, 20], "loss": [3.2, float("nan"), 2.7]},
    ...     drop_bad=True,
    ... )
    >>> runs.column("N"), runs.notes[0]
    (array([1.e+08, 1.e+09]), "Read N (parameters) from column 'Params (M)' in millions (x 1e+06).")
    >>> runs.notes[2]
    'Dropped 1 of 3 rows that a fit cannot use: 1 row (data row 2) with NaN or inf loss.'

    Columns beyond the canonical ones, found by their aliases:

    >>> runs = load_runs({"N": [1e8, 4e8], "loss": [3.2, 2.9], "learning_rate": [1e-3, 2e-3]},
    ...                  extra={"lr": ("learning_rate", "peak_lr")})
    >>> runs.column("lr"), runs.notes[0]
    (array([0.001, 0.002]), "Read lr from column 'learning_rate'.")
    """
    extras = _extras(extra)
    if isinstance(source, Runs) and columns is None and not extras:
        if format is not None:
            raise DataError(_format_for_table("Runs", format))
        return source
    if isinstance(source, SourceTable):
        if format is not None:
            raise DataError(_format_for_table("SourceTable", format))
        table = source
    else:
        table = read_table(source, format=format)
    return _build(table, columns, drop_bad, extras)


def _build(
    source: SourceTable, columns: Mapping[str, Any] | None, drop_bad: bool = False, extras: tuple[Extra, ...] = ()
) -> Runs:
    frame, origin = source.frame, source.origin
    if frame.columns.has_duplicates:
        duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise DataError(
            f"The runs from {origin.described} have duplicate column names {listing(duplicated)}, and lawfit will "
            f"not pick one. {_DUPLICATE_FIX}"
        )
    if len(frame) == 0:
        raise DataError(
            f"The runs from {origin.described} have no rows (columns {listing(list(frame.columns))}). "
            "Give at least one run."
        )
    mapping, factors, notes = _resolve_columns(frame, columns, origin, extras)
    table, renamed = _assemble(frame, mapping, [spec.name for spec in extras])
    notes = [*source.notes, *notes, *renamed]
    table, problems = _convert(table, mapping, factors, origin, {spec.name: spec for spec in extras})
    problems += _failed_runs(table, mapping, origin)
    table, origin, dropped = _settle_problems(table, problems, origin, drop_bad)
    notes += dropped
    if "weight" in table.columns and not table["weight"].to_numpy().any():
        raise DataError(
            f"{_column_phrase('weight', mapping['weight'], origin)} is zero in every row, so no run would count in "
            "a fit. Give some runs a weight > 0."
        )
    _warn_small_sizes(table, mapping, factors, origin)
    table, derived, derivation_notes = _derive(table, origin)
    notes += derivation_notes + _duplicate_notes(table, origin)
    return Runs(table=table, source=origin.source, derived=derived, notes=tuple(notes), read_from=mapping)


def _warn_small_sizes(
    table: pd.DataFrame, mapping: Mapping[str, Any], factors: Mapping[str, float], origin: Origin
) -> None:
    """Warn when every N is below 1e5 or every D below 1e6 and the header names no unit: such values are more
    likely millions or billions than counts. A Python table whose column is named N or D speaks lawfit's own
    vocabulary (counts), and is trusted."""
    for name, limit in _SMALL.items():
        if name not in mapping or name in factors:
            continue
        label = mapping[name]
        if label == name and origin.source.startswith("<"):
            continue
        largest = float(table[name].max())
        if largest < limit:
            warnings.warn(
                DataWarning(
                    f"{_column_phrase(name, label, origin)} is below {limit:.0e} in every row (largest "
                    f"{largest:.4g}): are the values in millions or billions? If so, name the unit in the column's "
                    f"header, e.g. '{label} (M)' or '{label} (B)', and lawfit multiplies them.",
                    source=origin.source,
                    column=str(label),
                    input=name,
                    largest=largest,
                    limit=limit,
                ),
                stacklevel=4,
            )


def _format_for_table(kind: str, format: str) -> str:
    return (
        f"The 'format' parameter of load_runs applies to file paths only. Got format={format!r} with a "
        f"{kind}; drop format=."
    )


def read_table(source: Any, *, format: str | None = None) -> SourceTable:
    """A source of runs as a :class:`SourceTable`, read but not validated (:func:`load_runs` validates it).

    ``source`` and ``format`` are as for :func:`load_runs`; of :class:`Runs`, the columns derived from
    ``C = 6 N D`` are left out, so that loading them again derives them from the new mapping.

    >>> table = read_table({"Model Size": [1e8, 4e8], "val_loss": [3.2, 2.9]})
    >>> list(table.frame.columns), table.origin.described
    (['Model Size', 'val_loss'], 'the mapping')
    """
    if isinstance(source, Runs):
        if format is not None:
            raise DataError(_format_for_table("Runs", format))
        return SourceTable(source.table.drop(columns=list(source.derived)), Origin(source.source, is_file=False))
    if isinstance(source, pd.DataFrame):
        if format is not None:
            raise DataError(_format_for_table("DataFrame", format))
        return SourceTable(source, Origin("<DataFrame>", is_file=False))
    if isinstance(source, Mapping):
        if format is not None:
            raise DataError(_format_for_table("mapping", format))
        try:
            frame = pd.DataFrame(dict(source))
        except ValueError as error:
            raise DataError(
                f"Cannot read runs from the mapping: {error}. Give one list of values per column, all of the "
                "same length."
            ) from None
        # Numbered like a file's rows, since a mapping has no index of its own.
        return SourceTable(frame, Origin("<mapping>", is_file=True))
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        kind = _file_format(path, format)
        notes = []
        if kind == "json" and _holds_json_lines(path):
            kind = "jsonl"
            notes.append(f"Read {str(source)!r} as JSON Lines (one object per line).")
        return SourceTable(_read_file(path, kind), Origin(str(source), is_file=True), tuple(notes))
    raise DataError(
        "The 'source' parameter of load_runs must be a path, a pandas DataFrame, a mapping of column to "
        f"values, or Runs. Got {type(source).__name__} instead."
    )


_FORMAT_FIX = "give the type with --format csv, tsv, parquet, json or jsonl (Python: format='csv')"


def _file_format(path: Path, format: str | None) -> str:
    if format is not None:
        key = str(format).lower().lstrip(".")
        if key not in _FORMATS:
            raise DataError(
                "The file type (--format, Python: format=) must be one of 'csv', 'tsv', 'parquet', 'json', "
                f"'jsonl'. Got {format!r} instead."
            )
        return _FORMATS[key]
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in _COMPRESSIONS:
        suffixes.pop()
    suffix = suffixes[-1] if suffixes else ""
    if suffix.lstrip(".") not in _FORMATS:
        told = f"unknown file type {suffix!r}" if suffix else "no file type in its name"
        raise DataError(
            f"Cannot read runs from {str(path)!r}: {told}. Use CSV, TSV, Parquet, JSON or JSON Lines, or {_FORMAT_FIX}."
        )
    return _FORMATS[suffix.lstrip(".")]


def _holds_json_lines(path: Path) -> bool:
    """Whether a ``.json`` file is JSON Lines: its first two non-blank lines are each a whole JSON object (a JSON
    document spread over lines has a first line such as '[' or '{', which is not one)."""
    if file_kind(path) is not None:
        return False  # the reader refuses it with its reason
    from pandas.io.common import get_handle  # the decompression that read_json infers from the suffix

    try:
        with get_handle(path, "r", compression="infer", encoding="utf-8") as handle:
            lines = []
            for line in handle.handle:
                if line.strip():
                    lines.append(line)
                if len(lines) == 2:
                    break
        return len(lines) == 2 and all(isinstance(json.loads(line), dict) for line in lines)
    except (ValueError, OSError, UnicodeDecodeError):
        return False


def _read_file(path: Path, format: str) -> pd.DataFrame:
    check_regular_file(path, "runs")  # before any reading: a FIFO would block, /dev/zero never end
    duplicated = duplicate_columns(path, format)
    if duplicated:
        raise DataError(
            f"The runs from {str(path)!r} have duplicate column names {listing(duplicated)} in the file, and lawfit "
            f"will not pick one. {_DUPLICATE_FIX}"
        )
    try:
        if format == "csv":
            return pd.read_csv(path)
        if format == "tsv":
            return pd.read_csv(path, sep="\t")
        if format == "parquet":
            return _read_parquet(path)
        # dtype=False keeps values as written: no guessing of dates or integer columns.
        return pd.read_json(path, lines=format == "jsonl", precise_float=True, dtype=False)
    except pd.errors.EmptyDataError:
        raise DataError(
            f"Cannot read runs from {str(path)!r}: the file is empty. Give a header line and one row per run."
        ) from None
    except (ValueError, OSError) as error:
        # pandas and pyarrow report parse failures as ValueError subclasses (ParserError, ArrowInvalid, ...).
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(
            f"Cannot read runs from {str(path)!r} as {format.upper()}: {detail}. Check that the file is "
            f"{format.upper()}, or {_FORMAT_FIX}."
        ) from None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise DataError(
            f"Cannot read runs from {str(path)!r}: Parquet needs pyarrow. Install it with "
            "pip install 'lawfit[parquet]', or save the runs as CSV."
        ) from None
    return pd.read_parquet(path, engine="pyarrow")


def file_kind(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file ("no such file", "a FIFO (named pipe)", ...), else None.

    Links are followed. Only a regular file has an end that a reader is sure to reach: a FIFO or a socket waits for a
    writer, and a character device such as /dev/zero never ends.

    >>> file_kind(Path("/dev/null")), file_kind(Path("/")), file_kind(Path("/no/such/file"))
    ('a character device', 'a directory', 'no such file')
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as error:
        return f"not readable ({error.strerror or type(error).__name__})"
    if stat.S_ISREG(mode):
        return None
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((kind for test, kind in kinds if test(mode)), "not a regular file")


def check_regular_file(path: Path, what: str) -> None:
    """Refuse, before opening it, a path that is not a regular file (see :func:`file_kind`)."""
    kind = file_kind(path)
    if kind is None:
        return
    if kind == "no such file":
        raise DataError(f"Cannot read {what} from {str(path)!r}: no such file. Check the path.")
    if kind == "a directory":
        raise DataError(f"Cannot read {what} from {str(path)!r}: it is a directory. Give the path of a file.")
    raise DataError(
        f"Cannot read {what} from {str(path)!r}: it is {kind}, not a regular file, and reading it could wait "
        "forever or never end. Save the data to a file and give its path."
    )


class _Keys(dict):
    """A parsed JSON object that remembers the keys it gave more than once (a plain dict keeps the last)."""

    repeated: tuple[str, ...] = ()


def _keys_hook(pairs: list[tuple[str, Any]]) -> _Keys:
    keys = _Keys(pairs)
    if len(keys) < len(pairs):
        keys.repeated = tuple(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
    return keys


def _json_repeated(document: Any) -> list[str]:
    """Keys given twice in the objects that name columns: a dict of columns, or each record of a list."""
    objects = [document] if isinstance(document, dict) else document if isinstance(document, list) else []
    return [key for item in objects if isinstance(item, _Keys) for key in item.repeated]


def duplicate_columns(path: Path, format: str) -> list[str]:
    """Column names that the file gives more than once, read from the file itself, sorted.

    Readers hide them: pandas renames a CSV's second 'loss' to 'loss.1' (so a column genuinely named 'loss.1' cannot be
    told from it by name), keeps the last of a JSON object's repeated keys, and pyarrow fails on a Parquet file's. So
    the header row, the Parquet schema or the JSON objects are read again here. ``format`` is ``csv``, ``tsv``,
    ``sniffed`` (CSV with the separator guessed, as pandas' python engine does), ``parquet``, ``json`` or ``jsonl``.
    A file that cannot be parsed gives none: its reader then says what is wrong with it.
    """
    try:
        if format == "parquet":
            import pyarrow.parquet

            names: list[Any] = list(pyarrow.parquet.read_schema(path).names)
        elif format in ("json", "jsonl"):
            from pandas.io.common import get_handle  # the decompression that read_json infers from the suffix

            with get_handle(path, "r", compression="infer", encoding="utf-8") as handle:
                if format == "json":
                    return sorted(set(_json_repeated(json.load(handle.handle, object_pairs_hook=_keys_hook))))
                repeated = {
                    key
                    for line in handle.handle
                    if line.strip()
                    for key in _json_repeated([json.loads(line, object_pairs_hook=_keys_hook)])
                }
                return sorted(repeated)
        else:
            options: dict[str, Any] = {"csv": {"sep": ","}, "tsv": {"sep": "\t"}}.get(
                format, {"sep": None, "engine": "python"}
            )
            header = pd.read_csv(path, header=None, nrows=1, dtype=str, na_filter=False, **options)
            # Empty names are not duplicates: pandas names them 'Unnamed: 3' and so on.
            names = list(header.iloc[0]) if len(header) else []
    except (ValueError, OSError, ImportError, UnicodeDecodeError, pd.errors.EmptyDataError):
        return []
    counts = Counter(str(name) for name in names if str(name) != "")
    return sorted(name for name, count in counts.items() if count > 1)


def _resolve_columns(
    frame: pd.DataFrame, columns: Mapping[str, Any] | None, origin: Origin, extras: tuple[Extra, ...] = ()
) -> tuple[dict[str, Any], dict[str, float], list[str]]:
    """Canonical name -> source column (the explicit mapping first, then aliases), then each extra found; the
    factor of each size whose header names a unit ("Params (M)": 1e6), and notes on the matches."""
    available = list(frame.columns)
    mapping = dict(columns or {})
    extra_names = [spec.name for spec in extras]
    for name, label in mapping.items():
        if name not in CANONICAL_COLUMNS and name not in extra_names:
            named = f" or the extra names ({', '.join(extra_names)})" if extra_names else ""
            raise DataError(
                "The 'columns' parameter of load_runs must map canonical names (N, D, C, loss, run, group, "
                f"weight){named} to source columns. Got {name!r} instead."
            )
        if label not in frame.columns:
            raise DataError(
                f"Cannot map {_named(name) if name in CANONICAL_COLUMNS else name} to column {label!r}: the runs "
                f"from {origin.described} have no such column. Available columns: {listing(available)}."
            )
    taken = set(mapping.values())
    matches: dict[str, list[Any]] = {}
    for label in available:
        name = _size_alias(label)[0]
        if name is not None and name not in mapping and label not in taken:
            matches.setdefault(name, []).append(label)
    notes = []
    for name, labels in matches.items():
        if len(labels) > 1 and name in _TEXT:
            # A run id or family only labels the runs: take the likeliest (a tracker exports both Name and ID).
            labels = match_columns(labels, COLUMN_ALIASES[name])
            notes.append(
                f"Read {_named(name)} from column {labels[0]!r} rather than {listing(labels[1:])}; choose another "
                f"with --col {name}=COLUMN."
            )
            labels = labels[:1]
        if len(labels) > 1:
            raise DataError(
                f"Columns {listing(labels)} of {origin.described} {'both' if len(labels) == 2 else 'all'} "
                f"look like {_named(name)}. Choose one with --col {name}=COLUMN "
                f"(Python: columns={{{name!r}: {labels[-1]!r}}})."
            )
        mapping[name] = labels[0]
    _require_core(mapping, available, origin)
    mapping = {name: mapping[name] for name in CANONICAL_COLUMNS if name in mapping}
    factors = {}
    chosen = {name for name in _TEXT if any(note.startswith(f"Read {_named(name)} ") for note in notes)}
    for name, label in mapping.items():
        factor, unit = None, ""
        if name in _UNIT_SIZES:
            _, factor, unit = split_unit(label)
            if factor == _PF_DAY and name != "C":
                factor = None
        if factor is not None:
            factors[name] = factor
            notes.append(f"Read {_named(name)} from column {label!r} {_unit_phrase(factor, unit)}.")
        elif label != name and name not in (columns or {}) and name not in chosen:
            notes.append(f"Read {_named(name)} from column {label!r}.")
    found, extra_notes = _resolve_extras(available, mapping, columns or {}, origin, extras)
    return {**mapping, **found}, factors, notes + extra_notes


def _resolve_extras(
    available: list[Any],
    core: Mapping[str, Any],
    columns: Mapping[str, Any],
    origin: Origin,
    extras: tuple[Extra, ...],
) -> tuple[dict[str, Any], list[str]]:
    """Extra name -> source column: mapped in ``columns``, else the likeliest of its aliases among the columns left
    (the canonical ones and the mapped extras take theirs first); refuse runs without a required extra."""
    found = {spec.name: columns[spec.name] for spec in extras if spec.name in columns}
    used = {*core.values(), *found.values()}
    notes, missing = [], []
    for spec in extras:
        if spec.name in found:
            continue
        labels = match_columns([label for label in available if label not in used], spec.aliases)
        if not labels:
            if spec.required:
                missing.append(spec)
            continue
        found[spec.name] = labels[0]
        used.add(labels[0])
        if len(labels) > 1:
            notes.append(
                f"Read {spec.name} from column {labels[0]!r} rather than {listing(labels[1:])}; choose another with "
                f"--col {spec.name}=COLUMN."
            )
        elif labels[0] != spec.name:
            notes.append(f"Read {spec.name} from column {labels[0]!r}.")
    if missing:
        what = " and no ".join(f"{spec.name} column" for spec in missing)
        looked = "; ".join(
            f"none named {', '.join(spec.aliases[:4])}{', ...' if len(spec.aliases) > 4 else ''}" for spec in missing
        )
        maps = " ".join(f"--col {spec.name}=COLUMN" for spec in missing)
        python = ", ".join(f"{spec.name!r}: 'COLUMN'" for spec in missing)
        raise DataError(
            f"The runs from {origin.described} have no {what} ({looked}). Map {'it' if len(missing) == 1 else 'them'} "
            f"with {maps} (Python: columns={{{python}}}). Available columns: {listing(available)}."
        )
    # In the order the extras were given, after the canonical columns.
    return {spec.name: found[spec.name] for spec in extras if spec.name in found}, notes


def _require_core(mapping: Mapping[str, Any], available: list[Any], origin: Origin) -> None:
    """Refuse runs without a loss or without any size, naming every missing input at once."""
    missing = []
    if "loss" not in mapping:
        missing.append(
            "no loss column (none named loss or final_loss, val_loss, eval_loss, train/loss, ...; map it with "
            "--col loss=COLUMN)"
        )
    if not any(size in mapping for size in _SIZES):
        missing.append(
            "none of N (parameters), D (tokens), C (FLOPs) (map at least one with --col N=COLUMN, --col D=COLUMN "
            "or --col C=COLUMN)"
        )
    if missing:
        raise DataError(
            f"The runs from {origin.described} have {' and '.join(missing)}. Available columns: "
            f"{listing(available)}. (Python: columns={{'loss': 'COLUMN', 'N': 'COLUMN'}}.)"
        )


def _assemble(
    frame: pd.DataFrame, mapping: Mapping[str, Any], extra_names: Sequence[str] = ()
) -> tuple[pd.DataFrame, list[str]]:
    """Canonical columns first, then the extras, then the other source columns, renaming any that would clash (a
    source column named like an extra is renamed even when the extra is not found, so that a column of the runs
    named like an extra is always that extra)."""
    labels, names = list(mapping.values()), list(mapping)
    notes = []
    for label in frame.columns:
        if label in mapping.values():
            continue
        kept = label
        # A source column named like a canonical one mapped elsewhere keeps its data under a new name.
        while kept in CANONICAL_COLUMNS or kept in extra_names or kept in names or kept in frame.columns.drop(label):
            kept = f"{kept}_unmapped"
        if kept != label:
            notes.append(f"Kept source column {label!r} as {kept!r}, since {label} is read from another column.")
        labels.append(label)
        names.append(kept)
    # Selecting by label keeps each column's dtype and the source's index (labels are unique, checked above).
    return frame[labels].set_axis(names, axis=1), notes


@dataclass(frozen=True)
class _Problem:
    """Rows a fit cannot use, of one kind in one column: ``text`` for an error, ``short`` for a note."""

    mask: np.ndarray
    text: str
    short: str
    suspect: bool = False  # rows that can be used but should not be (a crashed run): noted, not refused


def _convert(
    table: pd.DataFrame,
    mapping: Mapping[str, Any],
    factors: Mapping[str, float],
    origin: Origin,
    extras: Mapping[str, Extra] | None = None,
) -> tuple[pd.DataFrame, list[_Problem]]:
    """Numeric canonical columns and extras as float64 (times the unit of their header), run, group and text extras
    as strings; and the problems of their rows, all of them, for one error or for dropping."""
    table = table.copy()
    extras = extras or {}
    problems: list[_Problem] = []
    for name in mapping:
        where = _column_phrase(name, mapping[name], origin)
        spec = extras.get(name)
        if name in _TEXT or (spec is not None and not spec.numeric):
            table[name] = table[name].astype(str)
            continue
        values, text = _as_float(table[name], name, where, origin)
        problems += text
        numeric = ~text[0].mask if text else None
        problems += _check_values(values, name, where, origin, table.index, numeric, spec)
        table[name] = values * factors.get(name, 1.0)
    return table, problems


def _column_phrase(name: str, label: Any, origin: Origin) -> str:
    """'Column N (source column 'Model Size' of 'runs.csv')', naming both when they differ."""
    if label == name:
        return f"Column {name} of {origin.described}"
    return f"Column {name} (source column {label!r} of {origin.described})"


def _as_float(series: pd.Series, name: str, where: str, origin: Origin) -> tuple[np.ndarray, list[_Problem]]:
    numbers = pd.to_numeric(series, errors="coerce")
    bad = (numbers.isna() & series.notna()).to_numpy()
    values = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    if not bad.any():
        return values, []
    example = series.iloc[int(np.flatnonzero(bad)[0])]
    text = (
        f"{where} must be numeric, but {origin.rows(bad, series.index)} {origin.are(bad)} not, e.g. {example!r} "
        f"(write plain numbers{', 7e9 not 7B' if name in _UNIT_SIZES else ''}, or map another column with "
        f"--col {name}=COLUMN)"
    )
    return values, [_Problem(bad, text, f"text in {name} (e.g. {example!r})")]


_WHY_POSITIVE = ", since scaling laws take logarithms of positive sizes and losses"


def _check_values(
    values: np.ndarray,
    name: str,
    where: str,
    origin: Origin,
    index: pd.Index,
    numeric: np.ndarray | None,
    spec: Extra | None = None,
) -> list[_Problem]:
    problems = []
    bad = ~np.isfinite(values) & (True if numeric is None else numeric)
    if spec is not None and spec.empty_means:
        # An empty cell says something of its run (it never reached the target): named apart from inf.
        empty = np.isnan(values) & bad
        if empty.any():
            text = f"{where} is empty in {origin.rows(empty, index)}: {spec.empty_means}"
            problems.append(_Problem(empty, text, f"empty {name} ({spec.empty_means})"))
        bad &= ~empty
        if bad.any():
            problems.append(_Problem(bad, f"{where} has inf in {origin.rows(bad, index)}", f"inf {name}"))
    elif bad.any():
        problems.append(_Problem(bad, f"{where} has NaN or inf in {origin.rows(bad, index)}", f"NaN or inf {name}"))
    with np.errstate(invalid="ignore"):
        if name == "weight":
            negative = values < 0
            if negative.any():
                problems.append(
                    _Problem(
                        negative,
                        f"{where} must be >= 0, but {origin.rows(negative, index)} {origin.are(negative)} negative, "
                        f"e.g. {float(values[negative][0])!r} (use weight 0 to leave a run out of the fit)",
                        "a negative weight",
                    )
                )
            return problems
        small = values <= 0
    if small.any():
        problems.append(
            _Problem(
                small,
                f"{where} must be > 0{'' if spec else _WHY_POSITIVE}, but {origin.rows(small, index)} "
                f"{origin.are(small)} <= 0, e.g. {float(values[small][0])!r}",
                f"{name} <= 0",
            )
        )
    return problems


def _failed_runs(table: pd.DataFrame, mapping: Mapping[str, Any], origin: Origin) -> list[_Problem]:
    """Runs that a tracker's State (or Status) column says crashed, failed or were killed: their last loss is not
    the loss of a finished run."""
    problems = []
    for label in table.columns:
        if label in mapping or _normalize(label) not in _STATE_COLUMNS:
            continue
        state = table[label].astype(str).str.strip().str.lower()
        failed = state.isin(_FAILED_STATES).to_numpy()
        if failed.any():
            kinds = " or ".join(repr(s) for s in sorted(set(state[failed])))
            was, its = ("was", "its") if np.count_nonzero(failed) == 1 else ("were", "their")
            text = (
                f"column {label!r} of {origin.described} says {origin.rows(failed, table.index)} {was} {kinds}, "
                f"so {its} loss may not be final"
            )
            problems.append(_Problem(failed, text, f"{label} {kinds}", suspect=True))
    return problems


def _drop_hint() -> str:
    return "--drop-bad-rows drops such rows (Python: load_runs(..., drop_bad=True))"


def _settle_problems(
    table: pd.DataFrame, problems: list[_Problem], origin: Origin, drop_bad: bool
) -> tuple[pd.DataFrame, Origin, list[str]]:
    """Refuse the runs with one error listing every problem, or (``drop_bad``) drop the rows and say why."""
    refused = [problem for problem in problems if not problem.suspect]
    if not drop_bad:
        if refused:
            if len(refused) == 1:
                lead, listed = "", refused[0].text
            else:
                lead = f"The runs from {origin.described} have {len(refused)} problems: "
                listed = "; ".join(problem.text[0].lower() + problem.text[1:] for problem in refused)
            raise DataError(
                f"{lead}{listed}. Drop those rows with --drop-bad-rows (Python: load_runs(..., drop_bad=True)), "
                "or fix them."
            )
        return (
            table,
            origin,
            [
                f"{problem.text[0].upper()}{problem.text[1:]}; {_drop_hint()}."
                for problem in problems
                if problem.suspect
            ],
        )
    if not problems:
        return table, origin, []
    drop = np.logical_or.reduce([problem.mask for problem in problems])
    if drop.all():
        listed = "; ".join(problem.text for problem in problems)
        raise DataError(
            f"Every one of the {len(table)} rows of the runs from {origin.described} has a problem, so dropping them "
            f"leaves none: {listed}. Fix the file or map other columns with --col NAME=COLUMN."
        )
    reasons = "; ".join(f"{origin.rows(problem.mask, table.index)} with {problem.short}" for problem in problems)
    note = f"Dropped {np.count_nonzero(drop)} of {len(table)} rows that a fit cannot use: {reasons}."
    # The rows left keep the numbers they had in the file, for the notes that follow.
    kept = Origin(origin.source, origin.is_file, tuple(int(i) for i in np.flatnonzero(~drop)))
    return table.loc[~drop], kept, [note]


def _duplicate_notes(table: pd.DataFrame, origin: Origin) -> list[str]:
    """A note on rows that repeat another row's sizes and loss exactly: more likely one run exported twice than two
    runs (seeds of one size differ in loss, and are not noted). They are kept: each counts once more in a fit."""
    names = [name for name in ("N", "D", "C", "U", "loss") if name in table.columns]
    repeats = table.duplicated(subset=names, keep="first").to_numpy()
    if not repeats.any():
        return []
    return [
        f"{origin.rows(repeats, table.index)} repeat{'s' if np.count_nonzero(repeats) == 1 else ''} an earlier "
        f"row's {', '.join(names)} exactly, so each such run counts twice in a fit; drop the copies if one run was "
        "exported twice."
    ]


TRAINING_FLOPS_PER_PARAM_TOKEN = 6.0  # C = 6 N D (Kaplan et al. 2020): forward and backward passes of a dense model


def third_size(sizes: Mapping[str, Any]) -> tuple[np.ndarray, str]:
    """The one of N, D, C missing from ``sizes`` (which holds the other two), from ``C = 6 N D``, and its formula.

    >>> c, formula = third_size({"N": 1e9, "D": 2e10})
    >>> float(c), formula
    (1.2e+20, 'C = 6 N D')
    >>> third_size({"C": 1.2e20, "N": 1e9})[1]
    'D = C / (6 N)'
    """
    k = TRAINING_FLOPS_PER_PARAM_TOKEN
    given = {name: np.asarray(sizes[name], dtype=np.float64) for name in _SIZES if name in sizes}
    if len(given) != 2:
        raise DataError(f"Give exactly two of N, D, C to derive the third from C = 6 N D; got {sorted(given)}.")
    if "C" not in given:
        return k * given["N"] * given["D"], "C = 6 N D"
    if "D" not in given:
        return given["C"] / (k * given["N"]), "D = C / (6 N)"
    return given["C"] / (k * given["D"]), "N = C / (6 D)"


def _derive(table: pd.DataFrame, origin: Origin) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Complete N, D, C from C = 6 N D when exactly two are given; note when three given disagree with it."""
    present = [size for size in _SIZES if size in table.columns]
    if len(present) == 3:
        return table, {}, _consistency_notes(table, origin)
    if len(present) != 2:
        return table, {}, []
    missing = next(size for size in _SIZES if size not in present)
    values, formula = third_size({k: table[k].to_numpy() for k in present})
    if not (np.isfinite(values).all() and (values > 0).all()):
        raise DataError(
            f"Deriving {_named(missing)} from C = 6 N D overflows float64 ({formula}). Give {missing} "
            f"directly with --col {missing}=COLUMN."
        )
    # Insert at the canonical position so the table always reads N, D, C, loss, ...
    table = table.copy()
    table.insert(_SIZES.index(missing), missing, values)
    return table, {missing: formula}, [f"Derived {_named(missing)} from C = 6 N D: {formula}."]


def _consistency_notes(table: pd.DataFrame, origin: Origin) -> list[str]:
    """Notes on a C column that disagrees with 6 N D: all rows by one factor (C counted as 8 N D, or in other units),
    most rows by more than 2x, or single rows by more than 2x from the others."""
    ratio = table["C"].to_numpy() / (6.0 * table["N"].to_numpy() * table["D"].to_numpy())
    median = float(np.median(ratio))
    off = (ratio > 2.0) | (ratio < 0.5)
    notes = []
    if np.count_nonzero(off) * 2 > len(table):
        notes.append(
            f"C differs from 6 N D by more than a factor of 2 in {np.count_nonzero(off)} of {len(table)} rows "
            f"(median C / 6ND = {median:.3g}, so C = {6 * median:.3g} N D); the columns are kept as given. Check that "
            "C counts training FLOPs, N parameters and D tokens, in the same units."
        )
    elif abs(np.log(median)) > np.log(1.1):
        notes.append(
            f"C is {median:.3g} times 6 N D in the median row (C = {6 * median:.3g} N D), so C counts FLOPs "
            "otherwise than lawfit's C = 6 N D; the columns are kept as given, and laws of C see budgets "
            f"{median:.3g} times those of laws of N and D."
        )
    outliers = np.abs(np.log(ratio / median)) > np.log(2.0)
    # Single rows off by more than 2x from the rest, unless most rows are (then the first note says it).
    if outliers.any() and np.count_nonzero(off) * 2 <= len(table):
        factors = [f"{r:.3g}x" for r in (ratio / median)[outliers]]
        shown = ", ".join(factors[:_SHOW_ROWS]) + (", ..." if len(factors) > _SHOW_ROWS else "")
        notes.append(
            f"C / 6ND differs from the other rows' ({median:.3g}) by more than a factor of 2 in "
            f"{origin.rows(outliers, table.index)}: {shown}. Check C, N and D of those runs."
        )
    return notes


def budget_groups(values: np.ndarray, rtol: float = 0.05) -> np.ndarray:
    """Label each value with its budget: 0 for the smallest budget, counting up.

    Sorted, a value joins its predecessor's budget when it exceeds it by at most ``rtol`` (relative); so the
    values of a budget recorded with some scatter (6.0e20, 6.1e20, 5.9e20) fall together, and a run of values
    each within ``rtol`` of the last chains into one budget (single linkage).

    >>> budget_groups(np.array([1e19, 1.03e18, 3e18, 1e18, 1.04e19]), 0.05)
    array([2, 0, 1, 0, 2])
    """
    rtol = check(rtol, Real(0, 1, "left"), "rtol", "budget_groups", error=DataError)
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts_budget = ordered[1:] > ordered[:-1] * (1.0 + rtol)
    labels = np.empty(values.shape, dtype=np.int64)
    labels[order] = np.concatenate([[0], np.cumsum(starts_budget)])
    return labels
