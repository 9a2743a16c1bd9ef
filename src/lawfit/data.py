"""Runs: final-loss training runs, loaded from a file or a table into one validated, immutable value.

:func:`load_runs` reads CSV, TSV, Parquet, JSON or JSON Lines files, pandas DataFrames and mappings of column
to values. It finds the canonical columns (``N`` parameters, ``D`` tokens, ``C`` FLOPs, ``loss``, and the
optional ``run``, ``group`` and ``weight``) by an explicit mapping or by common names such as "Model Size",
derives the third of N, D, C from ``C = 6 N D`` when two are given, and refuses data a fit cannot use (NaN,
sizes <= 0, text in numeric columns, two columns of one name) with one error that names the column, the rows and the
fix. A path that is not a regular file (a FIFO, a device such as /dev/zero, a socket) is refused before it is opened.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError

__all__ = ["Runs", "budget_groups", "load_runs"]

_SIZES = ("N", "D", "C")
_NUMERIC = ("N", "D", "C", "U", "loss", "weight")
_TEXT = ("run", "group")
_CANONICAL = ("N", "D", "C", "U", "loss", "run", "group", "weight")
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
_ALIASES = {
    "N": (
        "n", "params", "parameters", "model size", "model_size", "n_params", "num_params", "nparams",
        "param_count", "non_embedding_params", "size",
    ),
    "D": (
        "d", "tokens", "n_tokens", "num_tokens", "training tokens", "train_tokens", "data", "dataset size",
        "data size", "tokens_seen",
    ),
    "C": ("c", "flops", "flop", "compute", "training flop", "training flops", "train_flops", "total_flops"),
    "U": ("u", "unique tokens", "unique_tokens", "u_unique_tokens", "unique", "n_unique_tokens"),
    "loss": (
        "loss", "l", "final loss", "final_loss", "eval loss", "eval_loss", "val_loss", "validation loss",
        "valid_loss", "test_loss", "train_loss", "training loss",
    ),
    "run": ("run", "run_id", "run_name", "name", "id"),
    "group": ("group", "family", "series"),
    "weight": ("weight", "weights", "w"),
}  # fmt: skip
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
    return re.sub(r"[\s_.\-]+", "", text)


_ALIAS_TO_NAME = {_normalize(alias): name for name, aliases in _ALIASES.items() for alias in aliases}


def _named(name: str) -> str:
    """'D (tokens)' for canonical names, the quoted name otherwise."""
    return f"{name} ({_MEANING[name]})" if name in _MEANING else repr(name)


def _how_to_map(name: str) -> str:
    fix = f"Map it with --col {name}=COLUMN (Python: columns={{{name!r}: 'COLUMN'}})"
    return f"{fix}, {_NO_SIZE_HINT}." if name in _SIZES else f"{fix}."


def _listing(labels: Sequence[Any]) -> str:
    return ", ".join(repr(label) for label in labels) if len(labels) else "none"


@dataclass(frozen=True)
class _Origin:
    """Where a table came from, for error messages: the source and how its rows are numbered."""

    source: str
    is_file: bool

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
            shown = [str(i + 1) for i in where[:_SHOW_ROWS]]
            kind = "data row" if where.size == 1 else "data rows"
        else:
            shown = [str(index[i]) for i in where[:_SHOW_ROWS]]
            kind = "index"
        more = ", ..." if where.size > _SHOW_ROWS else ""
        return f"{count} ({kind} {', '.join(shown)}{more})"


@dataclass(frozen=True, eq=False)
class Runs:
    """Final-loss runs in one validated table, ready for a law to fit.

    Build it with :func:`load_runs`. The table holds the canonical columns that are present, in the order
    ``N, D, C, loss, run, group, weight``, followed by the other source columns unchanged. ``N``, ``D``,
    ``C``, ``loss`` and ``weight`` are float64 (sizes and losses > 0, weights >= 0, all finite); ``run`` and
    ``group`` are strings. Treat the table as read-only: the methods hand out copies.

    Parameters
    ----------
    table : pandas.DataFrame
        The validated runs, one row per run.
    source : str
        The path the runs were read from, or ``"<DataFrame>"`` / ``"<mapping>"``.
    derived : Mapping[str, str]
        Columns computed from ``C = 6 N D``, with their formula, e.g. ``{"D": "D = C / (6 N)"}``.
    notes : tuple of str
        What loading did or noticed, in sentences (matched column names, derived columns, inconsistencies).

    Examples
    --------
    >>> runs = load_runs({"N": [1e8, 4e8], "C": [1.2e18, 9.6e18], "loss": [3.2, 2.9]})
    >>> len(runs), runs.columns
    (2, ('N', 'D', 'C', 'loss'))
    >>> runs.column("D")
    array([2.e+09, 4.e+09])
    >>> dict(runs.derived)
    {'D': 'D = C / (6 N)'}
    """

    table: pd.DataFrame
    source: str = "<DataFrame>"
    derived: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Freeze the metadata so that a Runs handed around cannot change under its holder.
        object.__setattr__(self, "derived", MappingProxyType(dict(self.derived)))
        object.__setattr__(self, "notes", tuple(self.notes))
        if not isinstance(self.table, pd.DataFrame):
            raise DataError(f"Runs needs a pandas DataFrame as table. Got {type(self.table).__name__} instead.")
        if "loss" not in self.table.columns or not any(s in self.table.columns for s in _SIZES):
            raise DataError(
                "Runs needs a table with a loss column and at least one of N, D, C. "
                f"Got columns {_listing(list(self.table.columns))}; build runs with load_runs instead."
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
                f"The runs have no column {name!r}. Available columns: {_listing(self.columns)}; "
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
        arrays = {}
        for name in names:
            if name not in self.table.columns:
                fix = (
                    _how_to_map(name)
                    if name in _MEANING
                    else (f"Name a source column {name!r}; available columns: {_listing(self.columns)}.")
                )
                raise DataError(f"The law needs column {_named(name)}, which the runs lack. {fix}")
            values = self.column(name)
            # Canonical columns were checked on loading; other columns (a curve's step, say) are checked here.
            bad = ~np.isfinite(values)
            if bad.any():
                rows = _Origin(self.source, is_file=False).rows(bad, self.table.index)
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
        return Runs(table=table, source=self.source, derived=self.derived, notes=self.notes)

    def drop_highest_loss(self, k: int) -> Runs:
        """The runs without the ``k`` with the highest loss, in their order (outliers, as Besiroglu et al. 2024
        dropped 5 of Hoffmann's runs: ``keep = loss < sorted(loss)[-k]``).

        >>> runs = load_runs({"N": [1e8, 4e8, 1e9], "loss": [3.2, 2.9, 2.7]})
        >>> runs.drop_highest_loss(1).column("loss")
        array([2.9, 2.7])
        """
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
            raise DataError(f"The number of highest-loss runs to drop must be an integer >= 0. Got {k!r} instead.")
        if k == 0:
            return self
        if k >= len(self):
            raise DataError(f"Cannot drop the {k} highest-loss runs of only {len(self)} runs.")
        order = np.argsort(self.column("loss"), kind="stable")
        dropped = self.select(np.sort(order[: len(self) - int(k)]))
        note = f"Dropped the {k} highest-loss run{'s' if k > 1 else ''} as outliers."
        return Runs(table=dropped.table, source=self.source, derived=self.derived, notes=(*self.notes, note))

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
    source: str | os.PathLike[str] | pd.DataFrame | Mapping[str, Any] | Runs,
    *,
    columns: Mapping[str, Any] | None = None,
    format: str | None = None,
) -> Runs:
    """Load final-loss runs and validate them.

    Parameters
    ----------
    source : path, pandas.DataFrame, mapping or Runs
        A CSV, TSV, Parquet (``.parquet``, ``.pq``), JSON (``.json``: a list of records or a dict of columns)
        or JSON Lines (``.jsonl``, ``.ndjson``) file, possibly compressed (``.gz``, ...); a DataFrame; a
        mapping of column name to values; or a :class:`Runs`, returned as is unless ``columns`` is given.
    columns : mapping, optional
        Canonical name -> source column, e.g. ``{"N": "Model Size"}``. Canonical names are ``N`` (parameters),
        ``D`` (tokens), ``C`` (FLOPs), ``loss``, ``run``, ``group`` and ``weight``. Names not mapped are
        looked up among common aliases ("params", "Training FLOP", "val_loss", ...), ignoring case, spaces,
        underscores, hyphens, dots and units in brackets.
    format : {"csv", "tsv", "parquet", "json", "jsonl"}, optional
        The file type, when the suffix does not say it.

    Returns
    -------
    Runs
        The validated runs; when two of N, D, C are given the third is derived from ``C = 6 N D``.

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
    """
    if isinstance(source, Runs):
        if format is not None:
            raise DataError(_format_for_table("Runs", format))
        if columns is None:
            return source
        # Derived columns are recomputed from the new mapping rather than read back as given.
        frame = source.table.drop(columns=list(source.derived))
        return _build(frame, _Origin(source.source, is_file=False), columns)
    frame, origin = _read(source, format)
    return _build(frame, origin, columns)


def _build(frame: pd.DataFrame, origin: _Origin, columns: Mapping[str, Any] | None) -> Runs:
    if frame.columns.has_duplicates:
        duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise DataError(
            f"The runs from {origin.described} have duplicate column names {_listing(duplicated)}, and lawfit will "
            f"not pick one. {_DUPLICATE_FIX}"
        )
    if len(frame) == 0:
        raise DataError(
            f"The runs from {origin.described} have no rows (columns {_listing(list(frame.columns))}). "
            "Give at least one run."
        )
    mapping, notes = _resolve_columns(frame, columns, origin)
    table, renamed = _assemble(frame, mapping)
    notes += renamed
    table = _convert(table, mapping, origin)
    table, derived, derivation_notes = _derive(table)
    return Runs(table=table, source=origin.source, derived=derived, notes=tuple(notes + derivation_notes))


def _format_for_table(kind: str, format: str) -> str:
    return (
        f"The 'format' parameter of load_runs applies to file paths only. Got format={format!r} with a "
        f"{kind}; drop format=."
    )


def _read(source: Any, format: str | None) -> tuple[pd.DataFrame, _Origin]:
    """The source as a DataFrame, and where it came from."""
    if isinstance(source, pd.DataFrame):
        if format is not None:
            raise DataError(_format_for_table("DataFrame", format))
        return source, _Origin("<DataFrame>", is_file=False)
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
        return frame, _Origin("<mapping>", is_file=True)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return _read_file(path, _file_format(path, format)), _Origin(str(source), is_file=True)
    raise DataError(
        "The 'source' parameter of load_runs must be a path, a pandas DataFrame, a mapping of column to "
        f"values, or Runs. Got {type(source).__name__} instead."
    )


def _file_format(path: Path, format: str | None) -> str:
    if format is not None:
        key = str(format).lower().lstrip(".")
        if key not in _FORMATS:
            raise DataError(
                "The 'format' parameter of load_runs must be one of 'csv', 'tsv', 'parquet', 'json', "
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
            f"Cannot read runs from {str(path)!r}: {told}. Use CSV, TSV, Parquet, JSON or JSON Lines, "
            "or pass format=...."
        )
    return _FORMATS[suffix.lstrip(".")]


def _read_file(path: Path, format: str) -> pd.DataFrame:
    _check_regular_file(path, "runs")  # before any reading: a FIFO would block, /dev/zero never end
    duplicated = _duplicate_columns(path, format)
    if duplicated:
        raise DataError(
            f"The runs from {str(path)!r} have duplicate column names {_listing(duplicated)} in the file, and lawfit "
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
            f"{format.upper()}, or pass format=... for another type."
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


def _file_kind(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file ("no such file", "a FIFO (named pipe)", ...), else None.

    Links are followed. Only a regular file has an end that a reader is sure to reach: a FIFO or a socket waits for a
    writer, and a character device such as /dev/zero never ends.

    >>> _file_kind(Path("/dev/null")), _file_kind(Path("/")), _file_kind(Path("/no/such/file"))
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


def _check_regular_file(path: Path, what: str) -> None:
    """Refuse, before opening it, a path that is not a regular file (see :func:`_file_kind`)."""
    kind = _file_kind(path)
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


def _duplicate_columns(path: Path, format: str) -> list[str]:
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
    frame: pd.DataFrame, columns: Mapping[str, Any] | None, origin: _Origin
) -> tuple[dict[str, Any], list[str]]:
    """Canonical name -> source column: the explicit mapping first, then aliases; and notes on the matches."""
    available = list(frame.columns)
    mapping = dict(columns or {})
    for name, label in mapping.items():
        if name not in _CANONICAL:
            raise DataError(
                "The 'columns' parameter of load_runs must map canonical names (N, D, C, loss, run, group, "
                f"weight) to source columns. Got {name!r} instead."
            )
        if label not in frame.columns:
            raise DataError(
                f"Cannot map {_named(name)} to column {label!r}: the runs from {origin.described} have no "
                f"such column. Available columns: {_listing(available)}."
            )
    taken = set(mapping.values())
    matches: dict[str, list[Any]] = {}
    for label in available:
        name = _ALIAS_TO_NAME.get(_normalize(label))
        if name is not None and name not in mapping and label not in taken:
            matches.setdefault(name, []).append(label)
    notes = []
    for name, labels in matches.items():
        if len(labels) > 1:
            raise DataError(
                f"Columns {_listing(labels)} of {origin.described} {'both' if len(labels) == 2 else 'all'} "
                f"look like {_named(name)}. Choose one with --col {name}=COLUMN "
                f"(Python: columns={{{name!r}: {labels[-1]!r}}})."
            )
        mapping[name] = labels[0]
        if labels[0] != name:
            notes.append(f"Read {_named(name)} from column {labels[0]!r}.")
    _require_core(mapping, available, origin)
    return {name: mapping[name] for name in _CANONICAL if name in mapping}, notes


def _require_core(mapping: Mapping[str, Any], available: list[Any], origin: _Origin) -> None:
    if "loss" not in mapping:
        raise DataError(
            f"The runs from {origin.described} have no loss column (none named loss or final_loss, val_loss, "
            "eval_loss, ...). Map it with --col loss=COLUMN (Python: columns={'loss': 'COLUMN'}). Available "
            f"columns: {_listing(available)}."
        )
    if not any(size in mapping for size in _SIZES):
        raise DataError(
            f"The runs from {origin.described} have none of N (parameters), D (tokens), C (FLOPs). Map at "
            "least one with --col N=COLUMN, --col D=COLUMN or --col C=COLUMN "
            "(Python: columns={'N': 'COLUMN'}). "
            f"Available columns: {_listing(available)}."
        )


def _assemble(frame: pd.DataFrame, mapping: Mapping[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """Canonical columns first, then the other source columns, renaming any that would clash."""
    labels, names = list(mapping.values()), list(mapping)
    notes = []
    for label in frame.columns:
        if label in mapping.values():
            continue
        kept = label
        # A source column named like a canonical one mapped elsewhere keeps its data under a new name.
        while kept in _CANONICAL or kept in names or kept in frame.columns.drop(label):
            kept = f"{kept}_unmapped"
        if kept != label:
            notes.append(f"Kept source column {label!r} as {kept!r}, since {label} is read from another column.")
        labels.append(label)
        names.append(kept)
    # Selecting by label keeps each column's dtype and the source's index (labels are unique, checked above).
    return frame[labels].set_axis(names, axis=1), notes


def _convert(table: pd.DataFrame, mapping: Mapping[str, Any], origin: _Origin) -> pd.DataFrame:
    """Numeric canonical columns as checked float64, run and group as strings."""
    table = table.copy()
    for name in mapping:
        where = _column_phrase(name, mapping[name], origin)
        if name in _TEXT:
            table[name] = table[name].astype(str)
            continue
        values = _as_float(table[name], name, where, origin)
        _check_values(values, name, where, origin, table.index)
        table[name] = values
    return table


def _column_phrase(name: str, label: Any, origin: _Origin) -> str:
    """'Column N (source column 'Model Size' of 'runs.csv')', naming both when they differ."""
    if label == name:
        return f"Column {name} of {origin.described}"
    return f"Column {name} (source column {label!r} of {origin.described})"


def _as_float(series: pd.Series, name: str, where: str, origin: _Origin) -> np.ndarray:
    numbers = pd.to_numeric(series, errors="coerce")
    bad = (numbers.isna() & series.notna()).to_numpy()
    if bad.any():
        example = series.iloc[int(np.flatnonzero(bad)[0])]
        raise DataError(
            f"{where} must be numeric, but {origin.rows(bad, series.index)} {origin.are(bad)} not, "
            f"e.g. {example!r}. Write plain numbers (7e9, not '7B'), or map another column with "
            f"--col {name}=COLUMN."
        )
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def _check_values(values: np.ndarray, name: str, where: str, origin: _Origin, index: pd.Index) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(
            f"{where} has NaN or inf in {origin.rows(bad, index)}. Drop those rows (or fill them in) before loading."
        )
    if name == "weight":
        negative = values < 0
        if negative.any():
            raise DataError(
                f"{where} must be >= 0, but {origin.rows(negative, index)} {origin.are(negative)} "
                f"negative, e.g. {float(values[negative][0])!r}. Use weight 0 to leave a run out of the fit."
            )
        if not values.any():
            raise DataError(
                f"{where} is zero in every row, so no run would count in a fit. Give some runs a weight > 0."
            )
        return
    small = values <= 0
    if small.any():
        raise DataError(
            f"{where} must be > 0: scaling laws work on positive sizes and losses (they take "
            f"logarithms), but {origin.rows(small, index)} {origin.are(small)} <= 0, "
            f"e.g. {float(values[small][0])!r}. Drop or fix those rows."
        )


def _derive(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Complete N, D, C from C = 6 N D when exactly two are given; note when three given disagree with it."""
    present = [size for size in _SIZES if size in table.columns]
    if len(present) == 3:
        return table, {}, _consistency_notes(table)
    if len(present) != 2:
        return table, {}, []
    missing = next(size for size in _SIZES if size not in present)
    if missing == "C":
        values, formula = 6.0 * table["N"].to_numpy() * table["D"].to_numpy(), "C = 6 N D"
    elif missing == "D":
        values, formula = table["C"].to_numpy() / (6.0 * table["N"].to_numpy()), "D = C / (6 N)"
    else:
        values, formula = table["C"].to_numpy() / (6.0 * table["D"].to_numpy()), "N = C / (6 D)"
    if not (np.isfinite(values).all() and (values > 0).all()):
        raise DataError(
            f"Deriving {_named(missing)} from C = 6 N D overflows float64 ({formula}). Give {missing} "
            f"directly with --col {missing}=COLUMN."
        )
    # Insert at the canonical position so the table always reads N, D, C, loss, ...
    table = table.copy()
    table.insert(_SIZES.index(missing), missing, values)
    return table, {missing: formula}, [f"Derived {_named(missing)} from C = 6 N D: {formula}."]


def _consistency_notes(table: pd.DataFrame) -> list[str]:
    ratio = table["C"].to_numpy() / (6.0 * table["N"].to_numpy() * table["D"].to_numpy())
    off = (ratio > 2.0) | (ratio < 0.5)
    if np.count_nonzero(off) * 2 <= len(table):
        return []
    return [
        f"C differs from 6 N D by more than a factor of 2 in {np.count_nonzero(off)} of {len(table)} rows "
        f"(median C / 6ND = {np.median(ratio):.3g}); the columns are kept as given. Check that C counts "
        "training FLOPs, N parameters and D tokens."
    ]


def budget_groups(values: np.ndarray, rtol: float = 0.05) -> np.ndarray:
    """Label each value with its budget: 0 for the smallest budget, counting up.

    Sorted, a value joins its predecessor's budget when it exceeds it by at most ``rtol`` (relative); so the
    values of a budget recorded with some scatter (6.0e20, 6.1e20, 5.9e20) fall together, and a run of values
    each within ``rtol`` of the last chains into one budget (single linkage).

    >>> budget_groups(np.array([1e19, 1.03e18, 3e18, 1e18, 1.04e19]), 0.05)
    array([2, 0, 1, 0, 2])
    """
    if isinstance(rtol, bool) or not isinstance(rtol, (int, float)) or not 0 <= rtol < 1:
        raise DataError(f"The 'rtol' of budget grouping must be a number in [0, 1), e.g. 0.05. Got {rtol!r}.")
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts_budget = ordered[1:] > ordered[:-1] * (1.0 + rtol)
    labels = np.empty(values.shape, dtype=np.int64)
    labels[order] = np.concatenate([[0], np.cumsum(starts_budget)])
    return labels
