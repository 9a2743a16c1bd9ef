"""What a report says, as plain values: sections of blocks of text, numbers and tables, before any HTML.

:mod:`lawfit.report.gather` fills a :class:`Report` from the results; :mod:`lawfit.report.render` writes it as HTML.
Everything here is text, numbers or tuples of them, except a :class:`Plot`, which names a figure of
:mod:`lawfit.plot` and the (immutable) results it draws.

>>> doc = Report("t", "lawfit 0", "0", Verdict("ok", "Fine.", ()), (Section("fit", "Fit", (Text("Hello."),)),))
>>> doc.section("fit").blocks[0].text
'Hello.'
>>> doc.to_dict()["sections"][0]["blocks"][0]
{'block': 'text', 'text': 'Hello.', 'style': ''}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import LawfitError

__all__ = [
    "Block",
    "Bullets",
    "Facts",
    "Folded",
    "Heading",
    "Omitted",
    "Plot",
    "Report",
    "Section",
    "Table",
    "Text",
    "Verdict",
    "Warnings",
]

Cell = str | tuple[str, str]  # a value, or a value with a note in small type below it


@dataclass(frozen=True)
class Text:
    """A paragraph; ``style`` is its kind (``"caveat"``, ``"omitted"``, ...), ``""`` for plain text."""

    text: str
    style: str = ""


@dataclass(frozen=True)
class Heading:
    """A heading within a section."""

    text: str


@dataclass(frozen=True)
class Facts:
    """Named facts, one ``(name, value)`` pair each."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Bullets:
    """A list of items."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Warnings:
    """Warnings, each ``(kind, message)``, e.g. ``("ExtrapolationWarning", "...")``."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Omitted:
    """What the report leaves out, and why."""

    reason: str


@dataclass(frozen=True)
class Table:
    """A table of text cells: ``numeric`` columns align right; ``marked`` rows stand out."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: tuple[int, ...] = ()
    caption: str | None = None
    marked: tuple[int, ...] = ()


@dataclass(frozen=True)
class Folded:
    """A table folded away under a one-line summary."""

    summary: str
    table: Table


@dataclass(frozen=True)
class Plot:
    """A figure: the function of :mod:`lawfit.plot` named ``figure``, called with ``args`` and ``options``."""

    figure: str
    args: tuple[Any, ...]
    options: Mapping[str, Any]
    alt: str
    caption: str


Block = Text | Heading | Facts | Bullets | Warnings | Omitted | Table | Folded | Plot


@dataclass(frozen=True)
class Verdict:
    """The first thing on the page: ``kind`` is ``"ok"``, ``"doubt"`` or ``"fail"``."""

    kind: str
    headline: str
    points: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Report:
    """A report before it is written: its title, a line of metadata, the verdict and the sections."""

    title: str
    meta: str
    version: str
    verdict: Verdict
    sections: tuple[Section, ...]
    warnings: tuple[tuple[str, str], ...] = field(default=())

    def section(self, key: str) -> Section:
        """The section ``key`` (``"fit"``, ``"backtest"``, ``"frontier"``, ...)."""
        for section in self.sections:
            if section.key == key:
                return section
        known = ", ".join(s.key for s in self.sections)
        raise LawfitError(f"The report has no section {key!r}. Its sections: {known}.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; a figure is given by its function, alt text and caption (not by what it draws)."""

        def block(item: Block) -> dict[str, Any]:
            name = type(item).__name__.lower()
            if isinstance(item, Plot):
                return {"block": name, "figure": item.figure, "alt": item.alt, "caption": item.caption}
            record = {"block": name, **dataclasses.asdict(item)}
            return _lists(record)

        return {
            "title": self.title,
            "meta": self.meta,
            "version": self.version,
            "verdict": _lists(dataclasses.asdict(self.verdict)),
            "sections": [
                {"key": s.key, "title": s.title, "blocks": [block(b) for b in s.blocks]} for s in self.sections
            ],
            "warnings": [list(w) for w in self.warnings],
        }

    def summary(self) -> str:
        """The title, the verdict and what each section holds, as plain text."""
        lines = [self.title, self.meta, "", f"verdict ({self.verdict.kind}): {self.verdict.headline}"]
        lines += [f"  - {point}" for point in self.verdict.points]
        lines.append("")
        for s in self.sections:
            kinds = ", ".join(type(b).__name__.lower() for b in s.blocks)
            lines.append(f"{s.title:<28} {kinds}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _lists(value: Any) -> Any:
    """Tuples as lists, for JSON."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value
