"""Invisible format characters made visible in what riskcheck shows people.

Bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C) reorder the text that
follows them without being seen: a title holding U+202E displays reversed, in a terminal, a
Markdown viewer and a browser tab alike ("Trojan Source", CVE-2021-42574). Zero-width characters
(U+200B, U+2060, U+FEFF ...) make two different ids or names look the same. Both are shown as
``[U+202E]`` in every text, Markdown and HTML output, where the reader can see them.

They are shown, not refused: titles, names and reasons are free text in rule files, scenarios and
registers, where refusing a character would make a file that validates today fail to load for a
matter of display, and escaping keeps the evidence of what the file really holds. Ids cannot carry
them anyway (their patterns allow ASCII letters, digits and a few marks only). The exact text is
kept where it is data, not display: JSON output and the history database.

Zero-width joiner and non-joiner (U+200D, U+200C) are left alone: Persian, Arabic and Indic
scripts and emoji sequences need them to be written correctly, and they cannot reorder text.
"""

from __future__ import annotations

import re
import unicodedata

_KEEP = {"\u200c", "\u200d"}


def _hidden(ch: str) -> bool:
    # Cf: format characters (bidi controls, zero-width space, BOM, word joiner, ...); Zl/Zp: the
    # line and paragraph separators, which break a line where no newline is seen.
    return ch not in _KEEP and unicodedata.category(ch) in ("Cf", "Zl", "Zp")


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def visible(text: str) -> str:
    """``text`` with every invisible format character written as ``[U+XXXX]``."""
    if text.isascii():
        return text
    # each distinct character is looked at once (a report repeats its few non-ASCII marks often)
    shown = {ord(ch): f"[U+{ord(ch):04X}]" for ch in set(_NON_ASCII.findall(text)) if _hidden(ch)}
    return text.translate(shown) if shown else text
