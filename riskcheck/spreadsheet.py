"""Cells a spreadsheet will not run as formulas (CSV and Excel exports).

A spreadsheet reads text starting with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a
carriage return) as a formula: a title or reason typed by someone could then run on the reader's
machine ("CSV injection", OWASP). Every export of user text goes through here: text cells that
start so get a leading single quote, which spreadsheets show as text. Numbers stay numbers.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_PATTERN = "^[" + "".join(re.escape(c) for c in FORMULA_START) + "]"  # the same, for pyarrow


def safe_value(value: Any) -> Any:
    """``value`` with formula-like text quoted; anything that is not text passes unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_text(value: Any) -> str:
    """A CSV cell as text: None is empty, formula-like text is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
