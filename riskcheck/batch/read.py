"""Reading a register in chunks, whatever its format: CSV (``read_csv``), Parquet (record
batches), Excel (row by row). Each chunk carries its rows' numbers as a spreadsheet shows them (the
header is row 1); Parquet rows are numbered the same way, so a CSV and a Parquet copy of a register
report the same rows. Columns are checked before any row is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import Diagnostic, Location, display_path
from .columns import COLUMNS, IGNORED_PREFIX, REQUIRED, RegisterProblem, _suggest
from .files import RawChunk, arrow_without_pandas, check_regular, file_error
from .read_csv import csv_chunks, csv_header

__all__ = [
    "RawChunk",
    "arrow_without_pandas",
    "count_rows",
    "header_problems",
    "iter_chunks",
    "read_header",
    "register_kind",
]


def register_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".xlsx":
        return "xlsx"
    raise file_error(path, f"cannot read {suffix or 'a file without extension'}: use .csv, .parquet or .xlsx")


# A register lists exports to states. Re-export consents and recipients that are not states are
# assessed one by one, as scenario files, which carry the holder and the recipient's own profile.
BEYOND_EXPORTS = (
    "the register assesses exports to states; a consent to re-export or a recipient that is not a state "
    "(armed group, regional authority) is assessed as a scenario file (riskcheck assess), which names "
    "the holder or the recipient's own profile (docs/evidence.md)"
)


def _beyond_exports(name: str) -> bool:
    low = name.lower()
    return (
        low in ("kind", "transfer_kind", "transfer.kind", "profile_kind", "recipient_kind", "recipient.kind")
        or low.startswith(("holder", "recipient."))
        and low != "recipient.country"
    )


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
            if _beyond_exports(name):
                out.append(Diagnostic(Location(shown), "RC601", f"column {name!r}: {BEYOND_EXPORTS}"))
                continue
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


# --- Parquet -------------------------------------------------------------------------------------


def _readable_type(t: pa.DataType, name: str) -> bool:
    if pa.types.is_dictionary(t):
        return _readable_type(t.value_type, name)
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return COLUMNS[name].kind == "set" and _readable_type(t.value_type, "")
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
        raise file_error(path, f"cannot read: {e}") from None


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
                    + ("; a list of text for a set)" if COLUMNS[name].kind == "set" else ")"),
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
        raise file_error(path, "reading .xlsx needs openpyxl") from None
    check_regular(path)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except Exception as e:  # openpyxl raises many types for a bad file
        raise file_error(path, f"cannot read: {e}") from None


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
        return csv_header(path).names
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
        yield from csv_chunks(path, chunk_rows)
    elif kind == "parquet":
        yield from _parquet_chunks(path, chunk_rows)
    else:
        yield from _xlsx_chunks(path, chunk_rows)
