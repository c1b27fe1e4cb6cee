"""Reading a CSV register: blocks of whole records with the row numbers a spreadsheet shows.

The file is read in blocks of 16 MiB cut at record boundaries, so memory does not grow with it.
Each block is first taken line by line (a record a line: one pass over the bytes, no look at
quotes) and pyarrow's parser confirms it; where it does not (a quoted value spans lines, a record
has the wrong number of values, bytes that are not UTF-8), the block is split record by record
(``records.split``, which follows quoting as the parser does) and parsed again. Both passes are
linear in the block; a single record longer than a block is an error, since no cell may hold more
than 20,000 characters. Every record counts in the row numbers: the header is row 1, blank lines
and records that cannot be read take a row each, and a value in quotes over several lines is one
row. A record with too few or too many values is reported and skipped; a blank one is skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import display_path
from . import records
from .columns import RegisterProblem
from .files import RawChunk, file_error, open_regular

CSV_BLOCK_BYTES = 16 << 20  # blocks of whole records: memory does not grow with the file
MAX_RECORD_BYTES = CSV_BLOCK_BYTES  # one record (row) at most: a cell holds at most 20,000 characters
HEADER_MAX = 1 << 20  # the header row at most


@dataclass
class CsvHeader:
    names: list[str]
    delimiter: str
    size: int  # bytes of the header record, its line break included


def csv_header(path: Path) -> CsvHeader:
    with open_regular(path) as fh:
        head = fh.read(HEADER_MAX)
    bom = head.startswith(b"\xef\xbb\xbf")
    body = head[3:] if bom else head
    first_line = body.split(b"\n", 1)[0].split(b"\r", 1)[0]
    try:
        first = first_line.decode("utf-8")
    except UnicodeDecodeError:
        raise file_error(path, "not valid UTF-8 text (save the register as 'CSV UTF-8')", row=1) from None
    delimiter = (
        ";" if "," not in first and ";" in first else ("\t" if "," not in first and "\t" in first else ",")
    )
    data = np.frombuffer(body, dtype=np.uint8)
    found = records.split(data, ord(delimiter), final=len(head) < HEADER_MAX)
    if not len(found) and len(head) == HEADER_MAX:
        raise file_error(path, f"the header row is longer than {_size(HEADER_MAX)}", row=1)
    end = int(found.ends[0]) + 1 if len(found) else len(body)
    text = body[: end - 1 if len(found) else end].rstrip(b"\r").decode("utf-8", "replace")
    names = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    return CsvHeader([n.strip() for n in names], delimiter, end + (3 if bom else 0))


def csv_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    header = csv_header(path)
    blocks = _Blocks(path, header)
    with open_regular(path) as fh:
        fh.seek(header.size)
        position = header.size
        carry = b""
        while True:
            data = fh.read(CSV_BLOCK_BYTES)
            final = not data
            buf = carry + data
            position += len(data)
            table, rows, skipped, blank, consumed = blocks.parse(buf, final)
            carry = buf[consumed:]
            if len(carry) > MAX_RECORD_BYTES:
                raise file_error(
                    path,
                    f"a row longer than {_size(MAX_RECORD_BYTES)} starts here (a quote left open?); "
                    "no cell may hold more than 20,000 characters",
                    blocks.next_row,
                )
            for start in range(0, max(table.num_rows, 1 if skipped or blank else 0), chunk_rows):
                part = table.slice(start, chunk_rows)
                numbers = rows[start : start + part.num_rows]
                yield RawChunk(
                    {n: _one_chunk(part.column(i)) for i, n in enumerate(header.names)},
                    numbers,
                    skipped if start == 0 else [],
                    _swallowed(part, numbers, header, display_path(path)) if blocks.multiline else [],
                    blank=blank if start == 0 else 0,
                    position=position - len(carry),
                )
            if final:
                return


SWALLOWED = "holds line breaks followed by what look like rows of the register: is a quote left open?"


def _swallowed(part: pa.Table, rows: np.ndarray, header: CsvHeader, shown: str) -> list[RegisterProblem]:
    """Cells whose later lines hold as many separators as the header: a quote opened by mistake
    has joined the rows after it into one cell, which the grammar allows and nobody means."""
    import pyarrow.compute as pc

    out = []
    width = len(header.names) - 1
    for i, name in enumerate(header.names):
        column = part.column(i)
        breaks = pc.fill_null(pc.match_substring_regex(column, "[\r\n]"), False)
        for k in np.flatnonzero(breaks.to_numpy(zero_copy_only=False)):
            later = str(column[int(k)].as_py()).splitlines()[1:]
            if any(line.count(header.delimiter) >= width for line in later):
                out.append(RegisterProblem(int(rows[k]), name, SWALLOWED, shown))
    return out


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n % (1 << 20) == 0 else f"{n:,} bytes"


def _one_chunk(col: pa.ChunkedArray) -> pa.Array:
    return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)


Parsed = tuple[pa.Table, np.ndarray, list[RegisterProblem], int, int]


class _Blocks:
    """Parses blocks of a CSV file into tables of whole records with their row numbers.

    First as lines (each line one record, no look at quotes); where the parser disagrees (a quoted
    value spans lines, a record has the wrong number of values, the bytes are not UTF-8), the block
    is split again record by record (``records.split``) and parsed again.
    """

    def __init__(self, path: Path, header: CsvHeader):
        import pyarrow.csv as pacsv

        self.path, self.names, self.delim = path, header.names, ord(header.delimiter)
        self.next_row = 2  # the header is row 1
        self.multiline = False  # the last block had a quoted value over several lines
        self.convert = pacsv.ConvertOptions(
            column_types={n: pa.string() for n in self.names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )

    def parse(self, buf: bytes, final: bool) -> Parsed:
        """The table of the whole records at the start of ``buf``, their row numbers, the records
        that could not be read, the number of blank ones, and the bytes consumed."""
        arr = np.frombuffer(buf, dtype=np.uint8)
        found = records.lines(arr, final)
        # The parser reads a quote left open on the last line as a value running to the end of the
        # block: that line alone is looked at closely. On every other line such a quote would
        # join lines into one record, and the count below would show it.
        if (
            not len(found)
            or records.split(arr[found.starts[-1] : found.ends[-1] + 1], self.delim, True).open_quote
            is not None
        ):
            return self._exact(buf, arr, final)
        try:
            table, invalid = self._read(buf[: found.consumed], multiline=False)
        except pa.ArrowInvalid:
            return self._exact(buf, arr, final)
        blank = found.blank(arr)
        if invalid or table.num_rows + int(blank.sum()) != len(found):
            return self._exact(buf, arr, final)
        numbers = self.next_row + np.arange(len(found), dtype=np.int64)
        self.next_row += len(found)
        self.multiline = False
        return table, numbers[~blank], [], int(blank.sum()), found.consumed

    def _exact(self, buf: bytes, arr: np.ndarray, final: bool) -> Parsed:
        found = records.split(arr, self.delim, final)
        if final and found.open_quote is not None:
            row = self.next_row + int(np.searchsorted(found.ends, found.open_quote))
            raise file_error(self.path, "a quoted value is never closed (a '\"' opens it on this row)", row)
        block, data = buf[: found.consumed], arr[: found.consumed]
        if not len(found):
            empty = pa.table({n: pa.array([], pa.string()) for n in self.names})
            return empty, np.array([], np.int64), [], 0, 0
        self.multiline = found.breaks_in_quotes
        try:
            table, invalid = self._read(block, multiline=found.breaks_in_quotes, exact=True)
        except pa.ArrowInvalid as e:
            bad = _bad_utf8_row(block, found, self.next_row)
            if bad is not None:
                raise file_error(
                    self.path, "not valid UTF-8 text (save the register as 'CSV UTF-8')", bad
                ) from None
            raise file_error(self.path, f"cannot read the CSV file: {e}", self.next_row) from None
        numbers = self.next_row + np.arange(len(found), dtype=np.int64)
        self.next_row += len(found)
        blank = found.blank(data)
        keep = ~blank
        skipped: list[RegisterProblem] = []
        if invalid:
            counts = records.field_counts(data, found, self.delim)
            wrong = keep & (counts != len(self.names))
            keep &= ~wrong
            shown = display_path(self.path)
            skipped = []
            for k in np.flatnonzero(wrong):
                lines = block[found.starts[k] : found.ends[k]]
                hint = (
                    "; it runs over several lines: is a quote left open?"
                    if b"\n" in lines or b"\r" in lines
                    else ""
                )
                message = (
                    f"{counts[k]} values, but the header has {len(self.names)} columns (row not read{hint})"
                )
                skipped.append(RegisterProblem(int(numbers[k]), "", message, shown))
        rows = numbers[keep]
        if len(rows) != table.num_rows:  # the split and the parser disagree: never guess a row number
            raise file_error(
                self.path, "cannot read the CSV file: its quoting is ambiguous here", int(numbers[0])
            )
        return table, rows, skipped, int(blank.sum()), found.consumed

    def _read(self, block: bytes, multiline: bool, exact: bool = False) -> tuple[pa.Table, int]:
        """pyarrow's parse of whole records, and how many had the wrong number of values. Taking
        lines as records, the first such record ends the attempt (ArrowInvalid: the exact path
        follows). The exact path parses in one thread: the handler, called from several threads
        once a bad record, made them wait on each other (3 s for 200,000 bad records)."""
        import pyarrow.csv as pacsv

        invalid = [0]

        def bad_row(row: Any) -> str:
            invalid[0] += 1
            return "skip" if exact else "error"

        parse = pacsv.ParseOptions(
            delimiter=chr(self.delim), newlines_in_values=multiline, invalid_row_handler=bad_row
        )
        read = pacsv.ReadOptions(column_names=self.names, block_size=1 << 20, use_threads=not exact)
        table = pacsv.read_csv(
            pa.BufferReader(block), read_options=read, parse_options=parse, convert_options=self.convert
        )
        return table, invalid[0]


def _bad_utf8_row(block: bytes, found: records.Records, first_row: int) -> int | None:
    try:
        block.decode("utf-8")
    except UnicodeDecodeError as e:
        return first_row + int(np.searchsorted(found.ends, e.start))
    return None
