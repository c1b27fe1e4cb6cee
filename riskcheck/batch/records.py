"""Where the records of a CSV buffer end: a linear pass that knows quoting as a CSV parser does.

A line break ends a record unless it lies inside a quoted value. A quote opens a quoted value
only at the start of a field (after a delimiter or a line break, or at the start of the buffer);
anywhere else it is an ordinary character (``mortar tube 12" long``). Inside a quoted value a
doubled quote stands for one quote, and the next single quote closes it. This is the reading of
pyarrow's CSV parser and of Python's ``csv`` module, so the blocks cut here are exactly the
records pyarrow then parses.

The work is a few vectorised passes over the bytes plus, only when a quote stands where the
quick reading cannot be trusted (a quote in the middle of an unquoted field), one Python step
per quote character. CR, LF and CR LF all end a line (Excel for Mac writes CR alone).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUOTE, LF, CR = 0x22, 0x0A, 0x0D


@dataclass
class Records:
    """The complete records at the start of a buffer.

    ``ends[k]`` is the offset of record k's line break (its LF for CR LF); record k spans
    ``starts[k]:ends[k]`` without the break. ``consumed`` is where the next record begins.
    """

    starts: np.ndarray
    ends: np.ndarray
    consumed: int
    breaks_in_quotes: bool  # a line break inside a quoted value (the parser must allow it)
    open_quote: int | None  # offset of a quote still open at the end of the buffer

    def __len__(self) -> int:
        return len(self.ends)

    def blank(self, data: np.ndarray) -> np.ndarray:
        """Records with nothing on them (an empty line)."""
        length = self.ends - self.starts
        crlf = (length > 0) & (data[np.maximum(self.ends - 1, 0)] == CR)
        return length - crlf == 0


def _quotes(data: np.ndarray, delimiter: int) -> tuple[np.ndarray, np.ndarray]:
    """Offsets of the quotes that open and that close a quoted value."""
    q = np.flatnonzero(data == QUOTE)
    if not len(q):
        return q, q
    n = len(data)
    starts_field = (delimiter, LF, CR)
    # Quick reading: quotes alternate open, close. It holds when every 'opening' quote stands at a
    # field start or right after a 'closing' one (a doubled quote), and every 'closing' quote is
    # followed by a delimiter, a line break, the end or an 'opening' quote. A quote next to a
    # quote is always the other half of such a pair, since quotes alternate.
    boundary = np.zeros(256, dtype=bool)
    boundary[[delimiter, LF, CR, QUOTE]] = True
    opens, closes = q[0::2], q[1::2]
    ok = bool(boundary[data[opens[1:] - 1]].all()) and (opens[0] == 0 or boundary[data[opens[0] - 1]])
    if ok and len(closes):
        last = closes[-1] + 1 == n
        ok = bool(boundary[data[closes[: len(closes) - last] + 1]].all())
    if ok:
        return opens, closes
    return _walk(data, q.tolist(), starts_field)


def _walk(data: np.ndarray, q: list[int], starts_field: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The quotes one by one (a quote in the middle of an unquoted field is a character)."""
    opens: list[int] = []
    closes: list[int] = []
    inside = False
    i, k = 0, len(q)
    while i < k:
        p = q[i]
        if not inside:
            if p == 0 or int(data[p - 1]) in starts_field:
                inside = True
                opens.append(p)
        elif i + 1 < k and q[i + 1] == p + 1:
            i += 2  # a doubled quote inside a quoted value
            continue
        else:
            inside = False
            closes.append(p)
        i += 1
    return np.array(opens, dtype=np.int64), np.array(closes, dtype=np.int64)


def _outside(pos: np.ndarray, opens: np.ndarray, closes: np.ndarray) -> np.ndarray:
    """Which offsets lie outside every quoted value."""
    if not len(opens):
        return np.ones(len(pos), dtype=bool)
    return np.searchsorted(opens, pos) == np.searchsorted(closes, pos)


def lines(data: np.ndarray, final: bool) -> Records:
    """The lines of ``data``, taken as records: what they are when no quoted value spans a line
    break, which the caller confirms (the parser finds one record on every line that is not
    blank). Nothing here looks at quotes, so it costs one pass over the bytes."""
    none = np.array([], dtype=np.int64)
    return _records(data, final, none, none)


def split(data: np.ndarray, delimiter: int, final: bool) -> Records:
    """The complete records of ``data`` (which starts at a record's start). With ``final``, the
    text after the last line break is a record too (a file need not end with a line break)."""
    opens, closes = _quotes(data, delimiter)
    return _records(data, final, opens, closes)


def _records(data: np.ndarray, final: bool, opens: np.ndarray, closes: np.ndarray) -> Records:
    n = len(data)
    lf = np.flatnonzero(data == LF)
    cr = np.flatnonzero(data == CR)
    if len(cr):
        nxt = data[np.minimum(cr + 1, n - 1)]
        alone = (cr + 1 < n) & (nxt != LF)
        if final:
            alone |= cr + 1 == n
        breaks = np.sort(np.concatenate([lf, cr[alone]]))
    else:
        breaks = lf
    outside = _outside(breaks, opens, closes)
    ends = breaks[outside]
    open_quote = int(opens[len(closes)]) if len(opens) > len(closes) else None
    consumed = int(ends[-1]) + 1 if len(ends) else 0
    if final and consumed < n and open_quote is None:
        ends = np.append(ends, n)
        consumed = n
    starts = np.empty(len(ends), dtype=np.int64)
    if len(ends):
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
    return Records(starts, ends, consumed, bool(len(breaks) - len(ends)), open_quote)


def field_counts(data: np.ndarray, records: Records, delimiter: int) -> np.ndarray:
    """The number of values on each record (delimiters outside quotes, plus one)."""
    opens, closes = _quotes(data, delimiter)
    d = np.flatnonzero(data == delimiter)
    d = d[_outside(d, opens, closes)]
    return np.searchsorted(d, records.ends) - np.searchsorted(d, records.starts) + 1
