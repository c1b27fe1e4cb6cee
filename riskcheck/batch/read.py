"""Reading a register in chunks: CSV (blocks of whole records), Parquet (record batches), Excel.

Memory does not grow with the file: a CSV file is read in blocks of about 16 MB cut at record
boundaries (pyarrow's streaming reader was found to read the whole file ahead), Parquet in record
batches, Excel row by row. Each chunk carries its rows' numbers as a spreadsheet shows them (the
header is row 1); a malformed CSV line (too few or too many values) is reported and skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import Diagnostic, InputError, Location, display_path
from .columns import COLUMNS, IGNORED_PREFIX, REQUIRED, RegisterProblem, _suggest


@dataclass
class RawChunk:
    """A slice of the register as read: raw columns by name, and each row's number."""

    columns: dict[str, pa.Array]
    rows: np.ndarray  # int64 spreadsheet row numbers
    malformed: list[RegisterProblem]
    position: int | None = None  # bytes of the file read so far (CSV), for the progress bar


def register_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".xlsx":
        return "xlsx"
    raise InputError(
        [
            Diagnostic(
                Location(display_path(path)),
                "RC604",
                f"cannot read {suffix or 'a file without extension'}: use .csv, .parquet or .xlsx",
            )
        ]
    )


def header_problems(path: Path, names: list[str]) -> list[Diagnostic]:
    """Unknown, duplicate and missing columns: reported together, before any row is read."""
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
    return out


def _csv_header(path: Path) -> tuple[list[str], str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
    except UnicodeDecodeError:
        raise InputError(
            [Diagnostic(Location(display_path(path), 1), "RC604", "not valid UTF-8 text")]
        ) from None
    except OSError as e:
        raise InputError(
            [Diagnostic(Location(display_path(path)), "RC604", f"cannot read: {e.strerror}")]
        ) from None
    delimiter = (
        ";" if "," not in first and ";" in first else ("\t" if "," not in first and "\t" in first else ",")
    )
    names = next(csv.reader([first], delimiter=delimiter), [])
    return [n.strip() for n in names], delimiter


def read_header(path: Path) -> list[str]:
    kind = register_kind(path)
    if kind == "csv":
        return _csv_header(path)[0]
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return [str(n).strip() for n in pq.ParquetFile(path).schema_arrow.names]
        except (OSError, pa.ArrowException) as e:
            raise InputError(
                [Diagnostic(Location(display_path(path)), "RC604", f"cannot read: {e}")]
            ) from None
    ws_rows = _xlsx_rows(path)
    header = next(ws_rows, ())
    return [str(h).strip() if h is not None else "" for h in header]


def count_rows(path: Path) -> int | None:
    """Rows in the register if cheap to know (Parquet metadata), else None."""
    if register_kind(path) == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    return None


def iter_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    kind = register_kind(path)
    if kind == "csv":
        yield from _csv_chunks(path, chunk_rows)
    elif kind == "parquet":
        yield from _parquet_chunks(path, chunk_rows)
    else:
        yield from _xlsx_chunks(path, chunk_rows)


CSV_BLOCK_BYTES = 16 << 20  # read the file in blocks of whole records: memory does not grow with the file


def _record_blocks(fh: Any, size: int) -> Iterator[bytes]:
    """Blocks of whole CSV records. A newline ends a record where the quotes before it are balanced
    (quotes inside a quoted value are doubled, so their count stays even)."""
    carry = b""
    while True:
        data = fh.read(size)
        buf = carry + data
        if not data:
            if buf.strip():
                yield buf
            return
        total = buf.count(b'"')
        cut = buf.rfind(b"\n")
        while cut >= 0 and (total - buf.count(b'"', cut)) % 2:
            cut = buf.rfind(b"\n", 0, cut)
        if cut < 0:  # not one whole record yet (a very long quoted value): read on
            carry = buf
            continue
        yield buf[: cut + 1]
        carry = buf[cut + 1 :]


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    import io

    import pyarrow.csv as pacsv

    names, delimiter = _csv_header(path)
    shown = display_path(path)
    skipped: list[int] = []
    messages: list[RegisterProblem] = []
    options = {
        "read_options": pacsv.ReadOptions(
            use_threads=False, column_names=names, block_size=CSV_BLOCK_BYTES + (1 << 20)
        ),
        "convert_options": pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }
    next_row = 2  # the header is row 1
    position = 0

    def bad_row(row: Any) -> str:
        number = (
            next_row + int(row.number or 1) - 1
        )  # line within the block -> row (exact without multi-line values)
        skipped.append(number)
        messages.append(
            RegisterProblem(
                number,
                "",
                f"{row.actual_columns} values, but the header has {row.expected_columns} columns (row not read)",
                shown,
            )
        )
        return "skip"

    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=bad_row)
    try:
        with path.open("rb") as fh:
            header = fh.readline()
            position = len(header)
            for block in _record_blocks(fh, CSV_BLOCK_BYTES):
                position += len(block)
                try:
                    table = pacsv.read_csv(io.BytesIO(block), parse_options=parse, **options)
                except pa.ArrowException as e:
                    raise InputError(
                        [Diagnostic(Location(shown, next_row), "RC604", f"cannot read the CSV file: {e}")]
                    ) from None
                rows = _number_rows(next_row, table.num_rows, skipped)
                next_row = (int(rows[-1]) if len(rows) else next_row - 1) + 1
                next_row = max([next_row, *(r + 1 for r in skipped)])
                found, skipped[:], messages[:] = list(messages), [], []
                for start in range(0, max(table.num_rows, 1 if found else 0), chunk_rows):
                    part = table.slice(start, chunk_rows).combine_chunks()
                    yield RawChunk(
                        {
                            n: part.column(i).chunk(0)
                            if part.column(i).num_chunks
                            else pa.array([], pa.string())
                            for i, n in enumerate(names)
                        },
                        rows[start : start + part.num_rows],
                        found if start == 0 else [],
                        position,
                    )
    except OSError as e:
        raise InputError([Diagnostic(Location(shown), "RC604", f"cannot read: {e.strerror}")]) from None


def _number_rows(first: int, count: int, lost: list[int]) -> np.ndarray:
    """Row numbers from ``first`` on, leaving out those of rows that could not be read."""
    out = np.arange(first, first + count + len(lost), dtype=np.int64)
    if lost:
        out = out[~np.isin(out, np.array(lost, dtype=np.int64))][:count]
    return out


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    names = [str(n).strip() for n in pf.schema_arrow.names]
    next_row = 2
    for batch in pf.iter_batches(batch_size=chunk_rows):
        rows = np.arange(next_row, next_row + batch.num_rows, dtype=np.int64)
        next_row += batch.num_rows
        yield RawChunk({n: batch.column(i) for i, n in enumerate(names)}, rows, [])


def _xlsx_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a declared dependency
        raise InputError(
            [Diagnostic(Location(display_path(path)), "RC604", "reading .xlsx needs openpyxl")]
        ) from None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a bad file
        raise InputError([Diagnostic(Location(display_path(path)), "RC604", f"cannot read: {e}")]) from None
    try:
        yield from wb.worksheets[0].iter_rows(values_only=True)
    finally:
        wb.close()


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
    header = [str(h).strip() if h is not None else "" for h in next(it, ())]
    width = len(header)
    buf: list[tuple[Any, ...]] = []
    next_row = 2

    def flush() -> RawChunk:
        nonlocal next_row
        cols = {
            name: pa.array([_cell_text(r[i]) if i < len(r) else "" for r in buf], pa.string())
            for i, name in enumerate(header)
        }
        rows = np.arange(next_row, next_row + len(buf), dtype=np.int64)
        next_row += len(buf)
        buf.clear()
        return RawChunk(cols, rows, [])

    for r in it:
        if all(c is None for c in r[:width]):
            continue  # trailing empty rows of a worksheet
        buf.append(r)
        if len(buf) >= chunk_rows:
            yield flush()
    if buf:
        yield flush()
