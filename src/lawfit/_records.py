"""Saving a result as a versioned record, and reading it back field by field, trusting nothing in it.

Every saved result (:class:`~lawfit.Fit`, :class:`~lawfit.curves.CurveFit`) is one JSON object whose first keys are
its ``schema`` (a :class:`Schema`: ``"lawfit.fit"``, ``"lawfit.curve_fit"``), ``schema_version`` and
``lawfit_version``; :func:`save_record` writes it atomically, :func:`open_record` and :func:`check_schema` begin
reading it back, so that every kind is saved and refused alike.

A saved fit may have been edited by hand, cut short, or be some other file altogether. :func:`read_json_object`
checks the file (its size, at most :data:`MAX_BYTES`, read before the rest; UTF-8; JSON; nesting; an object at the
top) and :class:`Fields` checks each field that a loader reads (type, finite values, sizes, shapes), so that a bad
file gives one :class:`~lawfit.errors.FitFileError` naming the file, the field's path (``params.alpha``,
``bootstrap.draws[3]``) and what was expected, never a traceback from deep inside.

Numbers that JSON cannot hold are saved as the strings ``"nan"``, ``"inf"`` and ``"-inf"``; the readers here take
those (and Python's ``NaN`` and ``Infinity``) as numbers wherever a non-finite value is allowed.

Examples
--------
>>> fields = Fields("the saved fit")
>>> fields.number({"alpha": 0.34}, "alpha", "params")
0.34
>>> fields.number({"alpha": "nan"}, "alpha", "params")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
lawfit.errors.FitFileError: Field 'params.alpha' of the saved fit must be a finite number; got 'nan'. Save the fit ...
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import FitFileError

__all__ = [
    "CURVE_FIT",
    "FIT",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MISSING",
    "SCHEMAS",
    "Fields",
    "Schema",
    "check_schema",
    "jsonable",
    "open_record",
    "read_json_object",
    "restore",
    "result_record",
    "save_record",
    "show",
]

#: The largest file a loader reads: a fit with 100,000 bootstrap draws of 10 parameters takes about 30 MB.
MAX_BYTES = 64 * 2**20
#: The deepest nesting of JSON arrays and objects a saved record may have (lawfit's own go 5 deep).
MAX_DEPTH = 32

MISSING: Any = object()
_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_BOMS = (
    (b"\xef\xbb\xbf", "starts with a UTF-8 byte-order mark, which JSON does not allow; save it as UTF-8 without one"),
    (b"\xff\xfe", "is UTF-16 (or UTF-32) text; lawfit reads UTF-8 only: save it as UTF-8"),
    (b"\xfe\xff", "is UTF-16 text; lawfit reads UTF-8 only: save it as UTF-8"),
    (b"\x00\x00\xfe\xff", "is UTF-32 text; lawfit reads UTF-8 only: save it as UTF-8"),
)


@dataclass(frozen=True)
class Schema:
    """A kind of record that lawfit saves.

    ``name`` is the file's ``schema`` (``"lawfit.fit"``), ``version`` the ``schema_version`` this lawfit writes and
    the newest it reads, ``noun`` what it is called ("fit"), ``what`` what it is in words, ``reader`` how to read
    one. ``legacy`` is the key that marked this kind before it had a ``schema`` (its value was the version, 1).
    ``oldest`` is the oldest version this lawfit still reads.
    """

    name: str
    version: int
    noun: str
    what: str
    reader: str
    legacy: str = ""
    oldest: int = 1

    @property
    def kind(self) -> str:
        """The kind of output :func:`lawfit._files.check_output` knows it as: ``"fit"``, ``"curve_fit"``."""
        return self.name.removeprefix("lawfit.")


# Version 2 of both renamed keys to the words of the API and the command (version 1 is still read):
# "loss" -> "objective_settings" (its "loss" -> "name"), a fit's "data" -> "runs_summary", "search" -> "search_report".
FIT = Schema("lawfit.fit", 2, "fit", "a fit of a law to runs", "lawfit.load_fit (on the command line: lawfit predict)")
# Version 1 of the curve fit was the format before its schema: {"lawfit_curve_fit": 1, "law": NAME, "spec": ...}.
CURVE_FIT = Schema(
    "lawfit.curve_fit",
    3,
    "curve fit",
    "a loss-curve fit",
    "lawfit.curves.load_curve_fit (on the command line: lawfit curve predict)",
    legacy="lawfit_curve_fit",
)
SCHEMAS = (FIT, CURVE_FIT)


def save_record(record: Mapping[str, Any], path: str | os.PathLike[str], schema: Schema, *, force: bool) -> Path:
    """Write ``record`` (a result's ``to_dict()``, stamped with ``schema``) as JSON to ``path``, atomically; returns
    the path. A file that is not a saved ``schema`` record, or a symbolic link, is refused unless ``force``
    (:func:`lawfit._files.check_output`); a failed write raises :class:`~lawfit.OutputError` and leaves ``path`` as
    it was."""
    from ._files import check_output, write_atomic

    if record.get("schema") != schema.name or next(iter(record), None) != "schema":
        raise ValueError(f"A {schema.noun} record must begin with its schema {schema.name!r}.")
    path = check_output(path, force=force, kinds=(schema.kind,))
    return write_atomic(path, json.dumps(jsonable(record), indent=2) + "\n", what=f"the {schema.noun}")


def result_record(schema: Schema, result: Any, **rest: Any) -> dict[str, Any]:
    """The JSON-ready record of a fitted ``result`` (a :class:`~lawfit.Fit`, a :class:`~lawfit.curves.CurveFit`):
    ``schema`` first, then the fields every fitted result has (its law, parameters, objective and its value,
    convergence), then ``rest``, its own."""
    law = result.law
    return jsonable(
        {
            "schema": schema.name,
            "schema_version": schema.version,
            "lawfit_version": result.lawfit_version,
            "law": {"name": law.name, "formula": law.formula, "spec": dict(law.spec)},
            "params": dict(result.params),
            "objective": result.objective,
            "n_points": result.n_points,
            "converged": result.converged,
            "message": result.message,
            "objective_settings": objective_settings(result.objective_settings),
            **rest,
        }
    )


def objective_settings(objective: Any) -> dict[str, Any]:
    """An :class:`~lawfit.Objective`'s record under a result's ``objective_settings``: ``name`` (what the
    ``objective`` parameter and ``--objective`` name), then its settings."""
    settings = objective.to_dict()
    return {"name": settings.pop("loss"), **settings}


def open_record(path: str | os.PathLike[str], schema: Schema, fix: str) -> tuple[dict[str, Any], Fields]:
    """The JSON object saved at ``path`` (see :func:`read_json_object`), and the :class:`Fields` that read it,
    naming the file and saying how to ``fix`` a bad field. :func:`check_schema` is the next step."""
    path = Path(path)
    record = read_json_object(path, f"{schema.noun} file")
    return record, Fields(f"the {schema.noun} file '{path}'", fix=fix)


def check_schema(record: Any, fields: Fields, schema: Schema) -> int:
    """The schema version of ``record``, which must be a ``schema`` record this lawfit reads: one of another kind
    says how to read it; a newer version says to upgrade lawfit. A record with ``schema.legacy`` and no schema is
    version 1.

    >>> check_schema({"schema": "lawfit.fit", "schema_version": 1}, Fields("the saved fit"), FIT)
    1
    >>> check_schema({"schema": "lawfit.fit", "schema_version": 9}, Fields("the saved fit"), FIT)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lawfit.errors.FitFileError: The saved fit was written in fit schema version 9, newer than this lawfit reads ...
    """
    where = fields.subject
    if not isinstance(record, Mapping):
        raise FitFileError(f"{where} is {show(record)}, not an object: it is not a {schema.noun} saved by lawfit.")
    name = record.get("schema", MISSING)
    if name == schema.name:
        return fields.version(record, "schema_version", schema.version, f"{schema.noun} schema", oldest=schema.oldest)
    if name is MISSING and schema.legacy and schema.legacy in record:
        fields.version(record, schema.legacy, 1, f"{schema.noun} format")
        return 1
    for other in SCHEMAS:
        legacy = name is MISSING and bool(other.legacy) and other.legacy in record
        if other is not schema and (name == other.name or legacy):
            raise FitFileError(f"{where} is {other.what}, not {schema.what}: read it with {other.reader}.")
    got = "it has none" if name is MISSING else f"got {show(name)}"
    raise FitFileError(
        f"{where} is not a {schema.noun} saved by lawfit: its field 'schema' must be '{schema.name}'; {got}."
    )


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers, tuples as lists, and the floats JSON has no word for as the
    strings ``"nan"``, ``"inf"``, ``"-inf"`` (:func:`restore` reads them back).

    >>> jsonable({"a": (np.float64(1.5), float("inf"))})
    {'a': [1.5, 'inf']}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def restore(value: Any) -> Any:
    """``value`` with the strings ``"nan"``, ``"inf"``, ``"-inf"`` as floats again (see :func:`jsonable`)."""
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    if isinstance(value, Mapping):
        return {k: restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [restore(v) for v in value]
    return value


def read_json_object(path: str | os.PathLike[str], what: str, *, cannot: str = "Cannot read") -> dict[str, Any]:
    """The JSON object in the file at ``path`` (a ``what``: "fit file", "curve fit file"), or a
    :class:`~lawfit.errors.FitFileError` that says what is wrong with the file as a whole (``cannot`` begins the
    message of a file that cannot be opened).

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "fit.json"
    >>> _ = path.write_text("[1, 2]")
    >>> read_json_object(path, "fit file")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lawfit.errors.FitFileError: The fit file '...fit.json' holds a JSON list at the top, not an object: ...
    """
    path = Path(path)
    named = f"The {what} '{path}'"
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > MAX_BYTES:
                raise FitFileError(f"{named} is {_megabytes(size)}; lawfit reads files up to {_megabytes(MAX_BYTES)}.")
            data = file.read(MAX_BYTES + 1)  # a pipe or device has no size to look at first
    except OSError as exc:
        raise FitFileError(f"{cannot} the {what} '{path}': {exc.strerror or exc}. Check the path.") from None
    if len(data) > MAX_BYTES:
        raise FitFileError(f"{named} holds more than {_megabytes(MAX_BYTES)}; lawfit reads files up to that size.")
    if not data.strip():
        raise FitFileError(f"{named} is empty: its writing was cut short, or it is not a file that lawfit saved.")
    for bom, reason in _BOMS:
        if data.startswith(bom):
            raise FitFileError(f"{named} {reason}.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FitFileError(
            f"{named} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}): it is damaged, or not "
            "a file that lawfit saved."
        ) from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FitFileError(
            f"{named} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}): it is damaged or was cut "
            "short. Save the fit again."
        ) from None
    except RecursionError:
        raise FitFileError(
            f"{named} nests JSON deeper than {MAX_DEPTH} levels: it is not a file that lawfit saved."
        ) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise FitFileError(f"{named} is not valid JSON ({exc}).") from None
    if not isinstance(record, dict):
        raise FitFileError(
            f"{named} holds a JSON {_json_type(record)} at the top, not an object: it is not a file that lawfit saved."
        )
    if _depth(record) > MAX_DEPTH:
        raise FitFileError(f"{named} nests JSON deeper than {MAX_DEPTH} levels: it is not a file that lawfit saved.")
    return record


def _depth(value: Any) -> int:
    """How deep arrays and objects nest in ``value``, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.1f} MB" if size < 2**30 else f"{size / 2**30:,.1f} GB"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def show(value: Any) -> str:
    """A short account of a JSON value, for an error message.

    >>> show("nan"), show([1, 2, 3]), show({"a": 1}), show(None), show(True)
    ("'nan'", 'a list of 3 items', 'an object', 'null', 'true')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return "an object"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Fields:
    """Reads the fields of a record, each checked; a bad field raises a :class:`~lawfit.errors.FitFileError` that
    names it by its path in the record and ``where`` the record comes from ("the fit file 'f.json'").

    Every reader takes the record (an object), the field's key in it and the path of the record itself (``""`` at
    the top), and returns the field's value in Python terms. A ``default`` makes the field optional: it is returned
    when the field is absent (or null, for a default of None). The ``as_*`` checkers take a value and its path.
    """

    def __init__(self, where: str, fix: str = "Save the fit again, or correct that field.") -> None:
        self.where = where
        self.fix = fix

    # -- errors --------------------------------------------------------------------------------------------------
    def error(self, path: str, expected: str, value: Any = MISSING) -> FitFileError:
        """The error for field ``path``, which must be ``expected`` and is ``value`` (or missing)."""
        got = "it is missing" if value is MISSING else f"got {show(value)}"
        return FitFileError(f"Field '{path}' of {self.where} must be {expected}; {got}. {self.fix}")

    def invalid(self, path: str, reason: str) -> FitFileError:
        """The error for field ``path`` that has the right type but cannot be used, for ``reason``."""
        return FitFileError(f"Field '{path}' of {self.where} is not valid: {reason.rstrip('.')}. {self.fix}")

    @property
    def subject(self) -> str:
        """``where``, to begin a sentence."""
        return self.where[:1].upper() + self.where[1:]

    def version(
        self, record: Mapping[str, Any], key: str, current: int, kind: str, *, oldest: int | None = None
    ) -> int:
        """``record[key]``, checked to be a version of the ``kind`` (e.g. "fit schema") this lawfit reads: ``current``
        or, with ``oldest``, one from ``oldest`` to ``current``; a newer one says to upgrade lawfit."""
        value = record.get(key, MISSING)
        if oldest is not None and isinstance(value, int) and not isinstance(value, bool) and oldest <= value < current:
            return value
        if isinstance(value, int) and not isinstance(value, bool) and value > current:
            raise FitFileError(
                f"{self.subject} was written in {kind} version {value}, newer than this lawfit reads ({current}); "
                "upgrade lawfit to read it."
            )
        if isinstance(value, bool) or value != current:
            older = f" (or an older one from {oldest})" if oldest is not None and oldest < current else ""
            raise self.error(key, f"{current}, the {kind} version this lawfit writes{older}", value)
        return current

    # -- reading a field -----------------------------------------------------------------------------------------
    @staticmethod
    def path(base: str, key: str | int) -> str:
        if isinstance(key, int):
            return f"{base}[{key}]"
        return f"{base}.{key}" if base else key

    def get(self, record: Mapping[str, Any], key: str, base: str, default: Any = MISSING) -> Any:
        """The raw value of ``record[key]``; missing (and not optional) is an error."""
        value = record.get(key, MISSING)
        if value is MISSING:
            if default is MISSING:
                raise FitFileError(f"Field '{self.path(base, key)}' of {self.where} is missing. {self.fix}")
            return default
        return value

    def _read(self, record: Mapping[str, Any], key: str, base: str, default: Any, check: Any) -> Any:
        value = self.get(record, key, base, default)
        if value is default and default is not MISSING:
            return default
        return check(value, self.path(base, key))

    def obj(self, record: Mapping[str, Any], key: str, base: str, default: Any = MISSING) -> Any:
        """An object (a mapping of names to values)."""
        return self._read(record, key, base, default, self.as_obj)

    def text(
        self, record: Mapping[str, Any], key: str, base: str, default: Any = MISSING, choices: Sequence[str] = ()
    ) -> Any:
        """A string; with ``choices``, one of them."""
        return self._read(record, key, base, default, lambda value, path: self.as_text(value, path, choices))

    def boolean(self, record: Mapping[str, Any], key: str, base: str, default: Any = MISSING) -> Any:
        return self._read(record, key, base, default, self.as_boolean)

    def integer(
        self, record: Mapping[str, Any], key: str, base: str, default: Any = MISSING, minimum: int | None = None
    ) -> Any:
        """A whole number (not a boolean, not 3.0), at least ``minimum``."""
        return self._read(record, key, base, default, lambda value, path: self.as_integer(value, path, minimum))

    def number(
        self,
        record: Mapping[str, Any],
        key: str,
        base: str,
        default: Any = MISSING,
        *,
        finite: bool = True,
        nan: bool = False,
        minimum: float | None = None,
    ) -> Any:
        """A number: finite unless ``finite=False`` (then infinities pass, and NaN too if ``nan``), and at least
        ``minimum``."""
        return self._read(
            record,
            key,
            base,
            default,
            lambda value, path: self.as_number(value, path, finite=finite, nan=nan, minimum=minimum),
        )

    def texts(self, record: Mapping[str, Any], key: str, base: str, default: Any = MISSING) -> Any:
        """A list of strings."""
        return self._read(record, key, base, default, self.as_texts)

    def vector(
        self,
        record: Mapping[str, Any],
        key: str,
        base: str,
        default: Any = MISSING,
        *,
        length: int | None = None,
        finite: bool = False,
        what: str = "",
    ) -> Any:
        """A list of numbers as a float array (of ``length`` numbers, ``what`` saying what they are); non-finite
        numbers pass unless ``finite``. A list ``default`` is returned as an array too."""
        found = self._read(
            record,
            key,
            base,
            default,
            lambda value, path: self.as_vector(value, path, length=length, finite=finite, what=what),
        )
        return None if found is None else np.asarray(found, dtype=np.float64)

    def objects(
        self, record: Mapping[str, Any], key: str, base: str, what: str, default: Any = MISSING
    ) -> list[tuple[str, dict[str, Any]]] | Any:
        """A list of objects (``what`` they are), as ``(path, object)`` pairs."""
        value = self.get(record, key, base, default)
        if value is default and default is not MISSING:
            return default
        path = self.path(base, key)
        if not isinstance(value, list):
            raise self.error(path, f"a list of {what}", value)
        return [(self.path(path, i), self.as_obj(item, self.path(path, i))) for i, item in enumerate(value)]

    def matrix(
        self,
        record: Mapping[str, Any],
        key: str,
        base: str,
        *,
        columns: int,
        rows: int | None = None,
        what: str = "",
    ) -> np.ndarray:
        """A list of ``rows`` lists of ``columns`` numbers each (non-finite numbers pass), as a float array."""
        value = self.get(record, key, base)
        path = self.path(base, key)
        shape = f"a list of {rows:,} list{'s' if rows != 1 else ''}" if rows is not None else "a list of lists"
        expected = f"{shape} of {columns} number{'s' if columns != 1 else ''}" + (f" ({what})" if what else "")
        if not isinstance(value, list) or not value or (rows is not None and len(value) != rows):
            raise self.error(path, expected, value)
        out = np.empty((len(value), columns), dtype=np.float64)
        for i, row in enumerate(value):
            out[i] = self.as_vector(row, self.path(path, i), length=columns, what=what)
        return out

    def flags(self, record: Mapping[str, Any], key: str, base: str, *, length: int, what: str = "") -> np.ndarray:
        """A list of ``length`` booleans."""
        value = self.get(record, key, base)
        path = self.path(base, key)
        if not isinstance(value, list) or len(value) != length:
            raise self.error(path, f"a list of {length:,} booleans" + (f" ({what})" if what else ""), value)
        for i, item in enumerate(value):
            self.as_boolean(item, self.path(path, i))
        return np.array(value, dtype=bool)

    def params(
        self, record: Mapping[str, Any], key: str, base: str, names: Sequence[str], law: str
    ) -> dict[str, float]:
        """An object of exactly the parameters ``names`` (of law ``law``), each a finite number."""
        path = self.path(base, key)
        value = self.obj(record, key, base)
        listed = ", ".join(names)
        for name in value:
            if name not in names:
                raise self.invalid(
                    self.path(path, name), f"law {law} has no parameter {name} (its parameters: {listed})"
                )
        return {name: self.number(value, name, path) for name in names}

    # -- checking a value ----------------------------------------------------------------------------------------
    def as_obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(path, "an object", value)
        return value

    def as_text(self, value: Any, path: str, choices: Sequence[str] = ()) -> str:
        if not isinstance(value, str):
            raise self.error(path, "a string", value)
        if choices and value not in choices:
            raise self.error(path, "one of " + ", ".join(repr(c) for c in choices), value)
        return value

    def as_boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(path, "true or false", value)
        return value

    def as_integer(self, value: Any, path: str, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
            raise self.error(path, "a whole number" + (f" >= {minimum}" if minimum is not None else ""), value)
        return value

    def as_number(
        self, value: Any, path: str, *, finite: bool = True, nan: bool = False, minimum: float | None = None
    ) -> float:
        kind = "a finite number" if finite else ("a number" if nan else "a number (not NaN)")
        if minimum is not None:
            kind += f" >= {minimum:g}"
        number = _as_float(value)
        if number is None:
            raise self.error(path, kind, value)
        if (finite and not math.isfinite(number)) or (math.isnan(number) and not nan):
            raise self.error(path, kind, value)
        if minimum is not None and number < minimum:
            raise self.error(path, kind, value)
        return number

    def as_texts(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, list):
            raise self.error(path, "a list of strings", value)
        for i, item in enumerate(value):
            self.as_text(item, self.path(path, i))
        return value

    def as_vector(
        self, value: Any, path: str, *, length: int | None = None, finite: bool = False, what: str = ""
    ) -> np.ndarray:
        kind = "finite numbers" if finite else "numbers"
        expected = f"a list of {length:,} {kind}" if length is not None else f"a list of {kind}"
        if what:
            expected += f" ({what})"
        if not isinstance(value, list) or (length is not None and len(value) != length):
            raise self.error(path, expected, value)
        out = np.empty(len(value), dtype=np.float64)
        for i, item in enumerate(value):
            out[i] = self.as_number(item, self.path(path, i), finite=finite, nan=not finite)
        return out


def _as_float(value: Any) -> float | None:
    """``value`` as a float if it is a JSON number or one of the strings that stand for one; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return None
    if isinstance(value, str):
        return _SPECIAL.get(value)
    return None
