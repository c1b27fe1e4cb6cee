"""The explain layer: the engine's values in words (``assessment.py``, with every sentence in
``words.py``) and their renderings (``text.py``, ``markdown.py``, ``render.py``: JSON and the
format registry; ``memo.py``: the memo for the file, Markdown and printable HTML)."""

from __future__ import annotations

from .assessment import explain
from .markdown import as_markdown, md_escape
from .render import FORMATS, RENDERERS, as_json, render
from .text import as_text
from .words import DECISION_WORDS, KIND_WORDS, LEVEL_WORDS, check_values, evidence_line, num, value_text

__all__ = [
    "DECISION_WORDS",
    "FORMATS",
    "KIND_WORDS",
    "LEVEL_WORDS",
    "RENDERERS",
    "as_json",
    "as_markdown",
    "as_text",
    "check_values",
    "evidence_line",
    "explain",
    "md_escape",
    "num",
    "render",
    "value_text",
]
