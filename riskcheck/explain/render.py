"""An assessment in each output format: plain text, Markdown and canonical JSON.

All read the same trace; none recomputes anything. JSON is canonical (stable key order, no
timestamps), so the same input gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ..trace import Assessment, to_plain
from .markdown import as_markdown
from .text import as_text

FORMATS = ("text", "markdown", "json")


def as_json(a: Assessment, indent: int | None = 2) -> str:
    """The whole trace as JSON, ``decision`` first. ``indent=None`` gives one line (the history
    stores that: json's C encoder only runs without indentation, about 7 times faster)."""
    data = to_plain(a)
    data = {"decision": data.pop("decision"), **data}
    return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[Assessment], str]] = {
    "text": as_text,
    "markdown": as_markdown,
    "json": as_json,
}


def render(a: Assessment, fmt: str) -> str:
    return RENDERERS[fmt](a)
