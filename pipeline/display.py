"""Data as rich renderables that are never read as markup.

rich reads `[...]` in any printed string as a style tag: an article with "[Reuters] ... [/i]"
raised MarkupError and ended the batch, and `f1[killed]` lost its label. Everything that comes
from data (articles, paths, SQL results, model names) goes through these; only our own literal
styles stay markup.
"""

from __future__ import annotations

from rich.text import Text


def cell(value: object) -> Text:
    """A table cell showing `value` literally; None shows as empty."""
    return Text("" if value is None else str(value))


def cells(*values: object) -> list[Text]:
    return [cell(v) for v in values]


def styled(label: str, style: str, rest: object = "") -> Text:
    """`label` in `style`, then `rest` as plain text: "error: <message>" and the like."""
    return Text.assemble((label, style), str(rest))
