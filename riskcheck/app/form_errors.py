"""Form errors: the loader's located diagnostics mapped back onto the form field, in plain words.

No streamlit here.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import Diagnostic
from ..yamlfile import Document
from .evidence_rows import GROUPS


def _path_at(doc: Document, line: int, col: int) -> tuple[Any, ...] | None:
    hits = [p for p, pos in doc.positions.items() if pos == (line, col)]
    return max(hits, key=len) if hits else None


FIELD_LABELS = {
    "title": "Title",
    "date": "Assessment date",
    "transfer.exporter.country": "Exporter",
    "transfer.exporter.name": "Exporter name",
    "transfer.recipient.country": "Recipient",
    "transfer.recipient.name": "Recipient name",
    "transfer.end_user.type": "End-user type",
    "transfer.end_user.name": "End user",
    "transfer.end_user.unit": "Unit",
    "transfer.end_use": "Stated end use",
    "transfer.channel": "Channel",
    "transfer.controls": "Controls offered",
    "transfer.items": "Items",
}


def field_of(path: tuple[Any, ...]) -> str:
    """The form field a document path belongs to."""
    if not path:
        return ""
    if path[:2] == ("transfer", "items"):
        return "transfer.items"
    if path[:1] == ("evidence",) and len(path) >= 3 and path[1] in GROUPS:
        return f"evidence.{path[1]}.{path[2]}"
    if path[:2] == ("evidence", "profile"):
        return "transfer.recipient.country"
    if path[0] == "transfer" and len(path) >= 3:
        return ".".join(str(p) for p in path[:3])
    return ".".join(str(p) for p in path[:2])


FRIENDLY = {
    "String should have at least 1 character": "required: please fill this in",
    "String should match pattern '^[A-Z]{3}$'": "choose a country from the list",
}


def _message(path: tuple[Any, ...], d: Diagnostic) -> str:
    msg = re.sub(r"^[\w.]+: ", "", d.message)  # the loader prefixes the dotted path
    msg = FRIENDLY.get(msg, msg)
    if path[:2] == ("transfer", "items") and len(path) >= 3:
        col = f" ({path[3]})" if len(path) >= 4 else ""
        return f"item {int(path[2]) + 1}{col}: {msg}"
    if path[:1] == ("evidence",) and len(path) >= 4:
        return f"{path[3]}: {msg}"
    return msg


def field_errors(doc: Document, diagnostics: list[Diagnostic]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in diagnostics:
        path = _path_at(doc, d.location.line, d.location.col) if d.location.line else None
        if path is None:
            out.setdefault("", []).append(d.message)
            continue
        # a missing key is reported at its parent mapping: say which key
        out.setdefault(field_of(path), []).append(_message(path, d))
    return out
