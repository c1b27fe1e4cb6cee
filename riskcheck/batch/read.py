"""Reading a register in chunks: CSV (blocks of whole records), Parquet (record batches), Excel.

Memory does not grow with the file: a CSV file is read in blocks of 16 MiB cut at record
boundaries (``records.split``, linear in the input; a single record longer than a block is an
error, since no cell may hold more than 20,000 characters), Parquet in record batches, Excel row by
row. Each chunk carries its rows' numbers as a spreadsheet shows them: the header is row 1, and
every record counts, blank lines and rows that cannot be read included. A malformed CSV record
(too few or too many values) is reported and skipped; a blank one is skipped silently.

Only regular files are read: a FIFO, a device (``/dev/zero``) or a socket is refused before a
byte is read (opened without blocking, checked with fstat).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa

from ..errors import Diagnostic, InputError, Location, display_path
from . import records
from .columns import COLUMNS, IGNORED_PREFIX, REQUIRED, RegisterProblem, _suggest


@dataclass
class RawChunk:
    """A slice of the register as read: raw columns by name, and each row's number."""

    columns: dict[str, pa.Array]
    rows: np.ndarray  # int64 spreadsheet row numbers
    skipped: list[RegisterProblem]  # records that could not be read (not in this chunk)
    cell_problems: list[RegisterProblem] = field(default_factory=list)  # on rows of this chunk
    blank: int = 0  # blank records passed over (counted in the row numbers)
    position: int | None = None  # bytes of the file read so far (CSV), for the progress bar
    distinct: dict[str, tuple[np.ndarray, pa.Array]] = field(default_factory=dict)  # see register.encode


class _NoPandas:
    """An import hook that finds no pandas (see ``arrow_without_pandas``)."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("the batch path does not use pandas")


def arrow_without_pandas() -> None:
    """pyarrow imports pandas (0.5-0.8 s) the first time it builds an array, to recognise pandas
    objects among its inputs; the batch path never hands it one. Let that one look find no pandas.
    Nothing changes once pandas is loaded, and a later ``import pandas`` works as usual."""
    if "pandas" in sys.modules:
        return
    hook = _NoPandas()
    sys.meta_path.insert(0, hook)  # type: ignore[arg-type]
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(hook)  # type: ignore[arg-type]


def _error(path: Path, message: str, row: int = 0, code: str = "RC604") -> InputError:
    """A problem with the file, at a row where one is known (``register.csv:17:1``)."""
    return InputError([Diagnostic(Location(display_path(path), row, 1 if row else 0), code, message)])


def open_regular(path: Path) -> IO[bytes]:
    """The file opened for reading, if it is a regular file. Opening does not block on a FIFO
    (O_NONBLOCK), and nothing is read from anything else."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise _error(path, f"cannot read: {e.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) else "not a file"
        raise _error(path, f"not a regular file ({kind}): a register must be a file", code="RC606")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def check_regular(path: Path) -> None:
    open_regular(path).close()


def register_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".xlsx":
        return "xlsx"
    raise _error(path, f"cannot read {suffix or 'a file without extension'}: use .csv, .parquet or .xlsx")


def header_problems(path: Path, names: list[str]) -> list[Diagnostic]:
    """Unknown, duplicate and missing columns, and Parquet columns of a type no register column
    holds: reported together, before any row is read."""
    shown = display_path(path)
    out = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            out.append(Diagnostic(Location(shown), "RC603", f"column {name!r} appears twice"))
        seen.add(name)
        if name not in COLUMNS and not name.startswith(IGNORED_PREFIX):
            hint = _suggest(name, COLUMNS) or _suggest(name.lower(), COLUMNS)
            out.append(
                Diagnostic(
                    Location(shown),
                    "RC601",
                    f"column {name!r} is not a register column{hint} "
                    f"(columns of your own may start with '{IGNORED_PREFIX}')",
                )
            )
    for name in REQUIRED:
        if name not in seen:
            out.append(Diagnostic(Location(shown), "RC602", f"required column {name!r} is missing"))
    if register_kind(path) == "parquet":
        out += _parquet_type_problems(path)
    return out


# --- CSV ------------------------------------------------------------------------------------------

CSV_BLOCK_BYTES = 16 << 20  # blocks of whole records: memory does not grow with the file
MAX_RECORD_BYTES = CSV_BLOCK_BYTES  # one record (row) at most: a cell holds at most 20,000 characters


@dataclass
class _CsvHeader:
    names: list[str]
    delimiter: str
    size: int  # bytes of the header record, its line break included


def _csv_header(path: Path) -> _CsvHeader:
    with open_regular(path) as fh:
        head = fh.read(1 << 20)
    bom = head.startswith(b"\xef\xbb\xbf")
    body = head[3:] if bom else head
    first_line = body.split(b"\n", 1)[0].split(b"\r", 1)[0]
    try:
        first = first_line.decode("utf-8")
    except UnicodeDecodeError:
        raise _error(path, "not valid UTF-8 text (save the register as 'CSV UTF-8')", row=1) from None
    delimiter = (
        ";" if "," not in first and ";" in first else ("\t" if "," not in first and "\t" in first else ",")
    )
    data = np.frombuffer(body, dtype=np.uint8)
    found = records.split(data, ord(delimiter), final=len(head) < (1 << 20))
    end = int(found.ends[0]) + 1 if len(found) else len(body)
    text = body[: end - 1 if len(found) else end].rstrip(b"\r").decode("utf-8", "replace")
    names = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    return _CsvHeader([n.strip() for n in names], delimiter, end + (3 if bom else 0))


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    header = _csv_header(path)
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
                raise _error(
                    path,
                    f"a row longer than {_size(MAX_RECORD_BYTES)} starts here (a quote left open?); "
                    "no cell may hold more than 20,000 characters",
                    blocks.next_row,
                )
            for start in range(0, max(table.num_rows, 1 if skipped or blank else 0), chunk_rows):
                part = table.slice(start, chunk_rows)
                yield RawChunk(
                    {n: _one_chunk(part.column(i)) for i, n in enumerate(header.names)},
                    rows[start : start + part.num_rows],
                    skipped if start == 0 else [],
                    blank=blank if start == 0 else 0,
                    position=position - len(carry),
                )
            if final:
                return


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

    def __init__(self, path: Path, header: _CsvHeader):
        import pyarrow.csv as pacsv

        self.path, self.names, self.delim = path, header.names, ord(header.delimiter)
        self.next_row = 2  # the header is row 1
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
        return table, numbers[~blank], [], int(blank.sum()), found.consumed

    def _exact(self, buf: bytes, arr: np.ndarray, final: bool) -> Parsed:
        found = records.split(arr, self.delim, final)
        if final and found.open_quote is not None:
            row = self.next_row + int(np.searchsorted(found.ends, found.open_quote))
            raise _error(self.path, "a quoted value is never closed (a '\"' opens it on this row)", row)
        block, data = buf[: found.consumed], arr[: found.consumed]
        if not len(found):
            empty = pa.table({n: pa.array([], pa.string()) for n in self.names})
            return empty, np.array([], np.int64), [], 0, 0
        try:
            table, invalid = self._read(block, multiline=found.breaks_in_quotes)
        except pa.ArrowInvalid as e:
            bad = _bad_utf8_row(block, found, self.next_row)
            if bad is not None:
                raise _error(
                    self.path, "not valid UTF-8 text (save the register as 'CSV UTF-8')", bad
                ) from None
            raise _error(self.path, f"cannot read the CSV file: {e}", self.next_row) from None
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
            skipped = [
                RegisterProblem(
                    int(numbers[k]),
                    "",
                    f"{counts[k]} values, but the header has {len(self.names)} columns (row not read)",
                    shown,
                )
                for k in np.flatnonzero(wrong)
            ]
        rows = numbers[keep]
        if len(rows) != table.num_rows:  # the split and the parser disagree: never guess a row number
            raise _error(
                self.path, "cannot read the CSV file: its quoting is ambiguous here", int(numbers[0])
            )
        return table, rows, skipped, int(blank.sum()), found.consumed

    def _read(self, block: bytes, multiline: bool) -> tuple[pa.Table, int]:
        import pyarrow.csv as pacsv

        invalid = [0]

        def bad_row(row: Any) -> str:
            invalid[0] += 1
            return "skip"

        parse = pacsv.ParseOptions(
            delimiter=chr(self.delim), newlines_in_values=multiline, invalid_row_handler=bad_row
        )
        read = pacsv.ReadOptions(column_names=self.names, block_size=1 << 20, use_threads=True)
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


# --- Parquet -------------------------------------------------------------------------------------


def _readable_type(t: pa.DataType, name: str) -> bool:
    if pa.types.is_dictionary(t):
        return _readable_type(t.value_type, name)
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return COLUMNS[name].kind == "controls" and _readable_type(t.value_type, "")
    return bool(
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_boolean(t)
        or pa.types.is_date(t)
        or pa.types.is_timestamp(t)
        or pa.types.is_null(t)
    )


def _parquet_file(path: Path) -> Any:
    import pyarrow.parquet as pq

    check_regular(path)
    try:
        return pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as e:
        raise _error(path, f"cannot read: {e}") from None


def _parquet_type_problems(path: Path) -> list[Diagnostic]:
    out = []
    for f in _parquet_file(path).schema_arrow:
        name = str(f.name).strip()
        if name in COLUMNS and not _readable_type(f.type, name):
            out.append(
                Diagnostic(
                    Location(display_path(path)),
                    "RC607",
                    f"column {name!r} has the Parquet type {f.type}, which no register column holds "
                    "(use text, a number, a boolean or a date"
                    + ("; a list of text for controls)" if name == "controls" else ")"),
                )
            )
    return out


def _decoded(
    path: Path, name: str, arr: pa.Array, rows: np.ndarray
) -> tuple[pa.Array, list[RegisterProblem]]:
    """A binary column as text (UTF-8); the rows whose bytes are not text are reported."""
    t = arr.type.value_type if pa.types.is_dictionary(arr.type) else arr.type
    if not (pa.types.is_binary(t) or pa.types.is_large_binary(t)):
        return arr, []
    try:
        return arr.cast(pa.string()), []
    except pa.ArrowInvalid:
        values: list[str | None] = []
        problems = []
        for i, raw in enumerate(arr.to_pylist()):
            try:
                values.append(None if raw is None else raw.decode("utf-8"))
            except UnicodeDecodeError:
                values.append(None)
                problems.append(
                    RegisterProblem(int(rows[i]), name, "not valid UTF-8 text", display_path(path))
                )
        return pa.array(values, pa.string()), problems


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    pf = _parquet_file(path)
    names = [str(n).strip() for n in pf.schema_arrow.names]
    next_row = 2
    for batch in pf.iter_batches(batch_size=chunk_rows):
        rows = np.arange(next_row, next_row + batch.num_rows, dtype=np.int64)
        next_row += batch.num_rows
        columns: dict[str, pa.Array] = {}
        problems: list[RegisterProblem] = []
        for i, n in enumerate(names):
            columns[n], found = (
                _decoded(path, n, batch.column(i), rows) if n in COLUMNS else (batch.column(i), [])
            )
            problems += found
        yield RawChunk(columns, rows, [], problems)


# --- Excel -----------------------------------------------------------------------------------------

FORMULA_NO_VALUE = (
    "the cell holds a formula with no saved value (open the workbook in a spreadsheet and save it, "
    "or paste the values)"
)


def _workbook(path: Path, data_only: bool) -> Any:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a declared dependency
        raise _error(path, "reading .xlsx needs openpyxl") from None
    check_regular(path)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except Exception as e:  # openpyxl raises many types for a bad file
        raise _error(path, f"cannot read: {e}") from None


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet holds a formula (an ``<f>`` element), read without parsing the XML."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    with z.open(name) as fh:
                        tail = b""
                        while chunk := fh.read(1 << 20):
                            if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                                return True
                            tail = chunk[-2:]
    except (OSError, zipfile.BadZipFile):
        return False  # openpyxl reports the broken file
    return False


def _xlsx_rows(path: Path) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...] | None]]:
    """Each worksheet row's values, with its formulas where the workbook has any (a formula
    cell whose value was never saved reads as empty, and must not pass for one)."""
    wb = _workbook(path, data_only=True)
    wf = _workbook(path, data_only=False) if _has_formulas(path) else None
    try:
        values = wb.worksheets[0].iter_rows(values_only=True)
        if wf is None:
            for r in values:
                yield r, None
        else:
            yield from zip(values, wf.worksheets[0].iter_rows(values_only=True), strict=True)
    finally:
        wb.close()
        if wf is not None:
            wf.close()


def _xlsx_header(path: Path) -> list[str]:
    header = next(_xlsx_rows(path), ((), None))[0]
    return [str(h).strip() if h is not None else "" for h in header]


def _cell_text(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, dt.datetime):
        return x.date().isoformat() if x.time() == dt.time(0) else x.isoformat()
    if isinstance(x, dt.date):
        return x.isoformat()
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _xlsx_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    it = _xlsx_rows(path)
    header = [str(h).strip() if h is not None else "" for h in next(it, ((), None))[0]]
    width = len(header)
    shown = display_path(path)
    buf: list[tuple[Any, ...]] = []
    numbers: list[int] = []
    problems: list[RegisterProblem] = []
    blank = 0

    def flush() -> RawChunk:
        nonlocal blank
        cols = {
            name: pa.array([_cell_text(r[i]) if i < len(r) else "" for r in buf], pa.string())
            for i, name in enumerate(header)
        }
        chunk = RawChunk(cols, np.array(numbers, dtype=np.int64), [], list(problems), blank)
        buf.clear()
        numbers.clear()
        problems.clear()
        blank = 0
        return chunk

    for number, (r, formulas) in enumerate(it, start=2):  # worksheet rows as the spreadsheet numbers them
        if all(c is None for c in r[:width]):
            blank += 1
            continue
        buf.append(r)
        numbers.append(number)
        if formulas is not None:
            for i, (v, f) in enumerate(zip(r[:width], formulas[:width], strict=False)):
                if v is None and isinstance(f, str) and f.startswith("=") and header[i] in COLUMNS:
                    problems.append(RegisterProblem(number, header[i], FORMULA_NO_VALUE, shown))
        if len(buf) >= chunk_rows:
            yield flush()
    if buf or blank:
        yield flush()


# --- any register ------------------------------------------------------------------------------


def read_header(path: Path) -> list[str]:
    kind = register_kind(path)
    if kind == "csv":
        return _csv_header(path).names
    if kind == "parquet":
        return [str(n).strip() for n in _parquet_file(path).schema_arrow.names]
    return _xlsx_header(path)


def count_rows(path: Path) -> int | None:
    """Rows in the register if cheap to know (Parquet metadata), else None."""
    if register_kind(path) == "parquet":
        return int(_parquet_file(path).metadata.num_rows)
    return None


def iter_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    kind = register_kind(path)
    if kind == "csv":
        yield from _csv_chunks(path, chunk_rows)
    elif kind == "parquet":
        yield from _parquet_chunks(path, chunk_rows)
    else:
        yield from _xlsx_chunks(path, chunk_rows)
