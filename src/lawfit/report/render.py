"""Rendering a report: a :class:`~lawfit.report.document.Report` as one self-contained HTML page.

The page loads nothing: the figures are SVG embedded as data, the style is inline, and there is no script; a
Content-Security-Policy forbids any other load. Every piece of text is escaped here, so whatever came from the user
(run names, column names, the source path, the formula, notes, warnings, the title) shows as text.

This module draws the figures the report names (:mod:`lawfit.plot`) and runs no analysis.

>>> from lawfit.report.document import Facts, Text
>>> print(blocks_html([Text("a < b", "caveat"), Facts((("x", "<1>"),))]))
<p class="caveat">a &lt; b</p>
<dl class="facts"><dt>x</dt><dd>&lt;1&gt;</dd></dl>
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import Any

from .. import plot
from ..errors import LawfitError
from .document import (
    Block,
    Bullets,
    Cell,
    Facts,
    Folded,
    Heading,
    Omitted,
    Plot,
    Report,
    Table,
    Text,
    Warnings,
)

__all__ = ["blocks_html", "render"]

_DPI = 96  # CSS pixels per inch: a figure is shown at its own size, or narrower on a narrow screen


def render(report: Report) -> str:
    """The page of ``report``: HTML with its figures drawn and embedded (needs matplotlib).

    >>> from lawfit.report.document import Report, Section, Text, Verdict
    >>> page = render(Report("<T>", "meta", "0", Verdict("ok", "Fine.", ()), (Section("a", "A", (Text("x"),)),)))
    >>> "<title>&lt;T&gt;</title>" in page and '<section id="a">' in page and "<script" not in page
    True
    """
    sections = [
        f'<section id="{_e(s.key)}">\n<h2>{_e(s.title)}</h2>\n{blocks_html(s.blocks)}\n</section>'
        for s in report.sections
    ]
    nav = "".join(f'<li><a href="#{_e(s.key)}">{_e(s.title)}</a></li>' for s in report.sections)
    verdict = report.verdict
    items = "".join(f"<li>{_e(point)}</li>" for point in verdict.points)
    verdict_html = (
        f'<div class="verdict {_e(verdict.kind)}" role="status"><p class="headline">{_e(verdict.headline)}</p>'
        + (f"<ul>{items}</ul>" if items else "")
        + "</div>"
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            # Nothing may load or run: no scripts, no fonts, no network; images only as embedded data.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
            "style-src 'unsafe-inline'\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="lawfit {_e(report.version)}">',
            f"<title>{_e(report.title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            f"<h1>{_e(report.title)}</h1>",
            f'<p class="meta">{_e(report.meta)}</p>',
            verdict_html,
            f'<nav aria-label="Contents"><ul>{nav}</ul></nav>',
            *sections,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def blocks_html(blocks: Sequence[Block]) -> str:
    """The HTML of a section's blocks, one after another."""
    return "\n".join(_block(block) for block in blocks)


def _block(block: Block) -> str:
    if isinstance(block, Text):
        return f'<p class="{_e(block.style)}">{_e(block.text)}</p>' if block.style else f"<p>{_e(block.text)}</p>"
    if isinstance(block, Heading):
        return f"<h3>{_e(block.text)}</h3>"
    if isinstance(block, Facts):
        items = "".join(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in block.rows)
        return f'<dl class="facts">{items}</dl>'
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_e(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Warnings):
        items = "".join(f'<li><strong class="kind">{_e(kind)}</strong>: {_e(text)}</li>' for kind, text in block.items)
        return f'<ul class="warnings">{items}</ul>'
    if isinstance(block, Omitted):
        return _omitted(block.reason)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Folded):
        return f"<details><summary>{_e(block.summary)}</summary>\n{_table(block.table)}\n</details>"
    if isinstance(block, Plot):
        return _figure(block)
    raise TypeError(f"Not a block of a report: {block!r}")


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _table(table: Table) -> str:
    """A table of plain-text cells; a cell ``(value, note)`` shows the note in small type below the value; the rows
    ``marked`` stand out."""
    right = set(table.numeric)

    def cell(tag: str, i: int, content: Cell) -> str:
        if isinstance(content, tuple):
            inner = f'{_e(content[0])}<span class="sub">{_e(content[1])}</span>'
        else:
            inner = _e(content)
        return f'<{tag} class="num">{inner}</{tag}>' if i in right else f"<{tag}>{inner}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(table.headers))
    body = "".join(
        ('<tr class="marked">' if r in table.marked else "<tr>")
        + "".join(cell("td", i, c) for i, c in enumerate(row))
        + "</tr>"
        for r, row in enumerate(table.rows)
    )
    top = f"<caption>{_e(table.caption)}</caption>" if table.caption else ""
    return f'<div class="scroll"><table>{top}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _omitted(reason: str) -> str:
    return f'<p class="omitted">Left out: {_e(reason)}</p>'


def _figure(block: Plot) -> str:
    """A figure as an SVG embedded in an <img>: sharp, no fonts (text as paths), and inert (an image runs nothing)."""
    import matplotlib

    try:
        fig = getattr(plot, block.figure)(*block.args, **block.options)
    except LawfitError as exc:
        return _omitted(f"{block.alt.lower()}: {exc}")
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "lawfit"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    width, height = (round(v * _DPI) for v in fig.get_size_inches())
    return (
        f'<figure><img src="data:image/svg+xml;base64,{data}" alt="{_e(block.alt)}" width="{width}" height="{height}">'
        f"<figcaption>{_e(block.caption)}</figcaption></figure>"
    )


_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1f2328;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 1.6em; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.3em; margin: 2em 0 .6em; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.05em; margin: 1.2em 0 .4em; }
.meta { color: #59636e; margin: 0 0 12px; overflow-wrap: anywhere; }
nav ul { list-style: none; padding: 0; margin: 12px 0; display: flex; flex-wrap: wrap; gap: 4px 18px; }
a { color: #0969da; }
.verdict { border-left: 6px solid; border-radius: 4px; padding: 10px 16px; margin: 16px 0; }
.verdict .headline { font-size: 1.15em; font-weight: 600; margin: 0; }
.verdict ul { margin: 6px 0 0; padding-left: 20px; }
.verdict.ok { border-color: #1a7f37; background: #dafbe1; }
.verdict.doubt { border-color: #9a6700; background: #fff8c5; }
.verdict.fail { border-color: #cf222e; background: #ffebe9; }
.verdict.fail .headline { color: #a40e26; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 16px; }
dl.facts dt { color: #59636e; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: .9em; }
caption { text-align: left; color: #59636e; padding: 4px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e6e9ed; text-align: left; vertical-align: top; }
th { border-bottom: 2px solid #d0d7de; }
tr.marked td { font-weight: 600; background: #ddf4ff; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .95em; }
ul.warnings li { margin: 4px 0; }
.kind { color: #9a6700; }
.caveat { border-left: 4px solid #9a6700; background: #fff8c5; padding: 6px 12px; }
.omitted { color: #59636e; font-style: italic; }
.sub { display: block; color: #59636e; font-size: .85em; }
figure { margin: 16px 0 24px; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { color: #59636e; font-size: .9em; margin-top: 4px; }
@media print { nav { display: none; } main { max-width: none; padding: 0; } section { break-inside: avoid-page; } }
"""
