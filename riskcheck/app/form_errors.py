"""Form errors: the loader's located diagnostics mapped back onto the form field, in plain words.

No streamlit here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..errors import Diagnostic
from ..facts import field_label
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


# The items table's columns and the words the table heads show.
ITEM_LABELS = {
    "description": "Description",
    "ml_category": "Military List",
    "att_category": "ATT category",
    "sensitivity": "Sensitivity",
    "capability": "For",
    "model": "Model",
    "quantity": "Quantity",
    "value_eur": "Value (EUR)",
}
# The schema's wording (pydantic's and the loader's) in plain words, most specific first.
PLAIN: tuple[tuple[str, str], ...] = (
    (r"^String should have at least 1 character$", "required: please fill this in"),
    (r"^String should match pattern '\^\[A-Z\]\{3\}\$'$", "choose a country from the list"),
    (
        r"^'(.*)' is not one of the allowed values; allowed: .*$",
        "'\\1' is not one of the choices: pick one from the list",
    ),
    (r"^Input should be greater than or equal to (\S+)$", "must be at least \\1"),
    (r"^Input should be greater than (\S+)$", "must be more than \\1"),
    (r"^Input should be less than or equal to (\S+)$", "must be at most \\1"),
    (r"^Input should be a valid boolean.*$", "must be yes or no"),
    (r"^Input should be a valid integer.*$", "must be a whole number"),
    (r"^Input should be a valid number.*$", "must be a number"),
    (r"^Input should be a valid date.*$", "must be a date (YYYY-MM-DD)"),
    (r"^List should have at least 1 item.*$", "add at least one row"),
)


def plain(msg: str) -> str:
    for pattern, words in PLAIN:
        if re.match(pattern, msg):
            return re.sub(pattern, words, msg)
    return msg


def _message(path: tuple[Any, ...], d: Diagnostic, item_rows: Sequence[int] | None) -> str:
    msg = re.sub(r"^[\w.]+: ", "", d.message)  # the loader prefixes the dotted path
    missing = re.fullmatch(r"missing required key '(\w+)'", msg)
    if path[:2] == ("transfer", "items") and len(path) >= 3 and isinstance(path[2], int):
        # the row number the officer sees: blank rows of the table are not items, so count them in
        n = item_rows[path[2]] + 1 if item_rows is not None and path[2] < len(item_rows) else path[2] + 1
        if missing:
            return f"Items table, row {n}: {ITEM_LABELS.get(missing[1], missing[1])} is missing"
        col = ITEM_LABELS.get(str(path[3]), str(path[3])) if len(path) >= 4 else ""
        return f"Items table, row {n}" + (f", {col}" if col else "") + f": {plain(msg)}"
    if path[:1] == ("evidence",) and len(path) >= 3 and path[1] in GROUPS:
        what = field_label(f"{path[1]}.{path[2]}")
        part = f" ({path[3]})" if len(path) >= 4 and path[3] != "value" else ""
        return f"{what}{part}: {plain(msg)}"
    if missing:
        return f"{missing[1].replace('_', ' ')} is missing"
    return plain(msg)


def field_errors(
    doc: Document, diagnostics: list[Diagnostic], item_rows: Sequence[int] | None = None
) -> dict[str, list[str]]:
    """Each diagnostic as a message for the form field it concerns. ``item_rows``: for each item of the
    document, its row in the items table (the table may hold blank rows, which are not items)."""
    out: dict[str, list[str]] = {}
    for d in diagnostics:
        path = _path_at(doc, d.location.line, d.location.col) if d.location.line else None
        if path is None:
            out.setdefault("", []).append(d.message)
            continue
        # a missing key is reported at its parent mapping: say which key
        out.setdefault(field_of(path), []).append(_message(path, d, item_rows))
    return out
