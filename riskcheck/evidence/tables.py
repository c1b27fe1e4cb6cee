"""The publishers' files read as they distribute them: rows numbered as a spreadsheet shows them.

A CSV file's header is row 1 and its first data row row 2; a workbook's rows keep their sheet row
numbers (a title block above the header is counted, as Excel shows it). Every problem is an
``InputError`` located at ``file:row:column`` with an RC6xx code (codes in ``docs/evidence.md``):

    RC601  the file cannot be read (missing, not a CSV or workbook, an encoding none of the expected)
    RC602  the layout is not the publisher's (no such sheet, no header row where it should be)
    RC603  a column the importer needs is missing
    RC604  a value cannot be read (not a number, outside the data set's scale)
    RC605  a row names no state that can be matched
    RC606  the file holds no data rows
    RC607  the year asked for is not in the file
    RC608  the edition cannot be told from the file name
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Diagnostic, InputError, Location, display_path

MAX_BYTES = 200 * 2**20  # the largest publisher file riskcheck reads (UCDP's CSVs are a few MB)


@dataclass
class Table:
    """One sheet or CSV: its header and data rows, each with the row number a spreadsheet shows."""

    path: str  # as shown in messages
    name: str  # the file name (recorded in each value's provenance)
    sha256: str
    header: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]]
    sheet: str | None = None
    columns: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.columns = {}
        for i, h in enumerate(self.header):
            self.columns.setdefault(h, i)

    def where(self, row: int, column: str | None = None) -> Location:
        col = self.columns[column] + 1 if column is not None and column in self.columns else 0
        return Location(self.path, row, col)

    def error(self, code: str, message: str, row: int = 0, column: str | None = None) -> InputError:
        return InputError([Diagnostic(self.where(row, column), code, message)])

    def require(self, needed: Sequence[str]) -> None:
        """Every named column present, else RC603 naming each missing one (all at once)."""
        missing = [c for c in needed if c not in self.columns]
        if missing:
            shown = ", ".join(repr(c) for c in missing)
            raise InputError(
                [
                    Diagnostic(
                        Location(self.path, self.header_row, 1),
                        "RC603",
                        f"column {shown} is missing from the header"
                        + (f" of sheet {self.sheet!r}" if self.sheet else "")
                        + " (this is not the publisher's layout, or a column was renamed)",
                    )
                ]
            )

    def cell(self, values: list[Any], column: str) -> Any:
        i = self.columns[column]
        return values[i] if i < len(values) else None

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        for n, values in self.rows:
            yield n, {h: (values[i] if i < len(values) else None) for h, i in self.columns.items()}


def read_bytes(path: Path) -> tuple[bytes, str]:
    shown = display_path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError([Diagnostic(Location(shown), "RC601", f"file is larger than {MAX_BYTES} bytes")])
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Diagnostic(Location(shown), "RC601", "file not found")]) from None
    except IsADirectoryError:
        raise InputError([Diagnostic(Location(shown), "RC601", "is a directory, not a file")]) from None
    except OSError as e:
        raise InputError([Diagnostic(Location(shown), "RC601", f"cannot read: {e.strerror}")]) from None
    return raw, hashlib.sha256(raw).hexdigest()


def decode(raw: bytes, shown: str, encodings: Sequence[str]) -> str:
    """The text in the first of the publisher's encodings that decodes it (a UTF-8 BOM is dropped)."""
    for enc in encodings:
        try:
            return raw.decode("utf-8-sig" if enc == "utf-8" else enc)
        except UnicodeDecodeError:
            continue
    try:
        raw.decode(encodings[0])
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InputError(
            [
                Diagnostic(
                    Location(shown, line, 1),
                    "RC601",
                    f"byte {raw[e.start]:#04x} is not text in {' or '.join(encodings)} "
                    "(the publisher's encodings for this file)",
                )
            ]
        ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def read_csv(path: Path, encodings: Sequence[str] = ("utf-8",), header_row: int = 1) -> Table:
    raw, sha = read_bytes(path)
    shown = display_path(path)
    if zipfile.is_zipfile(io.BytesIO(raw)):
        raise InputError(
            [Diagnostic(Location(shown), "RC601", "this is a ZIP archive or workbook, not a CSV file")]
        )
    text = decode(raw, shown, encodings)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise InputError([Diagnostic(Location(shown), "RC601", f"not a CSV file: {e}")]) from None
    if len(rows) < header_row or not any(c.strip() for c in rows[header_row - 1]):
        raise InputError([Diagnostic(Location(shown, 1, 1), "RC606", "the file is empty: no header row")])
    header = [c.strip() for c in rows[header_row - 1]]
    data = [
        (i, r) for i, r in enumerate(rows[header_row:], start=header_row + 1) if any(c.strip() for c in r)
    ]
    return Table(shown, path.name, sha, header, header_row, data)


def open_workbook(path: Path) -> tuple[Any, str, str]:
    """An openpyxl workbook (read-only, cached values), its shown path and sha256."""
    import openpyxl

    raw, sha = read_bytes(path)
    shown = display_path(path)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise InputError(
            [Diagnostic(Location(shown), "RC601", f"not an Excel workbook (.xlsx): {e.__class__.__name__}")]
        ) from None
    return wb, shown, sha


def sheet_rows(ws: Any) -> list[tuple[int, list[Any]]]:
    """Every non-empty row of a worksheet with its row number, strings stripped."""
    out: list[tuple[int, list[Any]]] = []
    for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
        values = [v.strip() if isinstance(v, str) else v for v in row]
        if any(v not in (None, "") for v in values):
            out.append((n, values))
    return out


def table_from_rows(
    rows: list[tuple[int, list[Any]]], header_at: int, shown: str, name: str, sha: str, sheet: str | None
) -> Table:
    """A table whose header is the row numbered ``header_at``; data are the rows below it."""
    header_values = next(v for n, v in rows if n == header_at)
    header = ["" if h is None else str(h).strip() for h in header_values]
    data = [(n, v) for n, v in rows if n > header_at]
    return Table(shown, name, sha, header, header_at, data, sheet=sheet)


def text(value: Any) -> str:
    """A cell as text: None -> '', 2023.0 -> '2023'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def number(table: Table, row: int, column: str, value: Any, missing: Sequence[str] = ("",)) -> float | None:
    """A numeric cell; None for the data set's missing-value markers; RC604 for anything else."""
    if isinstance(value, bool):
        raise table.error("RC604", f"{value!r} is not a number", row, column)
    if isinstance(value, int | float):
        return float(value)
    shown = text(value)
    if shown in missing:
        return None
    try:
        return float(shown)
    except ValueError:
        allowed = ", ".join(repr(m) for m in missing if m) or "an empty cell"
        raise table.error(
            "RC604", f"{shown!r} is not a number (missing values are written {allowed})", row, column
        ) from None


def load_table(path: Path, encodings: Sequence[str], sheet: str | None = None) -> Table:
    """A CSV file, or a workbook's sheet (``sheet`` if it has one, else its first) whose header is
    its first non-empty row: the two forms publishers offer the same table in."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return read_csv(path, encodings=encodings)
    wb, shown, sha = open_workbook(path)
    try:
        ws = wb[sheet] if sheet in wb.sheetnames else wb.worksheets[0]
        rows = sheet_rows(ws)
    finally:
        wb.close()
    if not rows:
        raise Table(shown, path.name, sha, [], 1, [], sheet=ws.title).error("RC606", "the sheet is empty", 1)
    return table_from_rows(rows, rows[0][0], shown, path.name, sha, ws.title)


def years_in(table: Table, column: str) -> list[int]:
    """The years a table's rows are for (RC604 for a cell that is not a number)."""
    return [
        int(y) for n, v in table.rows if (y := number(table, n, column, table.cell(v, column))) is not None
    ]
