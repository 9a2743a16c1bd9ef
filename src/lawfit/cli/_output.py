"""What every verb's ``--json`` prints: strict JSON, one object.

Python's :func:`json.dumps` writes ``NaN`` and ``Infinity``, which are not JSON: ``jq``, JavaScript's ``JSON.parse``
and most other readers refuse them. :func:`dumps_strict` writes such a number as ``null`` instead and names it
under the record's ``"non_finite"`` key, a map from the field's path (``"high[0]"``, ``"params.alpha"``) to what it
was (``"nan"``, ``"inf"`` or ``"-inf"``); a record whose numbers are all finite has no such key.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["NON_FINITE", "dumps_strict", "print_json"]

NON_FINITE = "non_finite"


def dumps_strict(record: Any) -> str:
    """``record`` as strict JSON: NaN and infinities become ``null``, named under ``"non_finite"`` (a dict record
    only). numpy scalars and arrays are written as numbers and lists.

    >>> dumps_strict({"loss": [2.5, float("inf")], "E": float("nan")})
    '{"loss": [2.5, null], "E": null, "non_finite": {"loss[1]": "inf", "E": "nan"}}'
    """
    found: dict[str, str] = {}
    clean = _clean(record, "", found)
    if found and isinstance(clean, dict):
        clean[NON_FINITE] = found
    return json.dumps(clean, allow_nan=False)


def print_json(record: Any) -> None:
    """Print ``record`` as one line of strict JSON (see :func:`dumps_strict`)."""
    print(dumps_strict(record))


def _clean(value: Any, path: str, found: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: _clean(item, f"{path}.{key}" if path else str(key), found) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item, f"{path}[{i}]", found) for i, item in enumerate(value)]
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":  # arrays and scalars alike
        return _clean(value.tolist(), path, found)
    if isinstance(value, float) and not math.isfinite(value):
        found[path] = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return None
    return value
