"""The batch output: one row per application, written chunk by chunk (CSV, Parquet or Excel).

Columns, in order::

    application_id, row                       the register's reference and row number
    decision, refusal_codes, reasons          the outcome; refusal codes and decisive rule ids ';'-joined
    missing_evidence                          how many missing-evidence items the assessment used
    residual.<criterion>, level.<criterion>   each criterion's residual risk and level (empty: not in effect)
    after.* , changed                         with --compare-rules/--as-of: the re-assessment and whether
                                              the decision or the refusal codes changed
    rules_id, rules_version, rules_sha256,    provenance of each assessment (after.* for the re-assessment)
    reference_sha256, as_of
    engine_version
    errors                                    why a row was not scored (empty for scored rows)

Files are written to a temporary name next to the target and renamed when complete, so an
interrupted run never leaves a half-written result under the real name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import UsageError
from ..spreadsheet import FORMULA_PATTERN, safe_value

EXCEL_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header


def outcome_fields(prefix: str, criteria: list[str]) -> list[pa.Field]:
    return [
        pa.field(f"{prefix}decision", pa.string()),
        pa.field(f"{prefix}refusal_codes", pa.string()),
        pa.field(f"{prefix}reasons", pa.string()),
        pa.field(f"{prefix}missing_evidence", pa.int32()),
        *[pa.field(f"{prefix}residual.{c}", pa.float64()) for c in criteria],
        *[pa.field(f"{prefix}level.{c}", pa.string()) for c in criteria],
    ]


def provenance_fields(prefix: str) -> list[pa.Field]:
    return [
        pa.field(f"{prefix}rules_id", pa.string()),
        pa.field(f"{prefix}rules_version", pa.string()),
        pa.field(f"{prefix}rules_sha256", pa.string()),
        pa.field(f"{prefix}reference_sha256", pa.string()),
        pa.field(f"{prefix}as_of", pa.date32()),
    ]


def output_schema(variants: list[tuple[str, list[str]]]) -> pa.Schema:
    """``variants``: (prefix, criterion ids) of each assessment of the rows, 'before' first."""
    fields = [pa.field("application_id", pa.string()), pa.field("row", pa.int64())]
    for prefix, criteria in variants:
        fields += outcome_fields(prefix, criteria)
    if len(variants) > 1:
        fields.append(pa.field("changed", pa.bool_()))
    for prefix, _ in variants:
        fields += provenance_fields(prefix)
    fields += [pa.field("engine_version", pa.string()), pa.field("errors", pa.string())]
    return pa.schema(fields)


def formula_safe(table: pa.Table) -> pa.Table:
    """Text cells a spreadsheet would run as a formula get a leading quote (riskcheck.spreadsheet):
    application ids and error messages carry what the register's author typed."""
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.match_substring_regex(column, FORMULA_PATTERN)
            quoted = pc.binary_join_element_wise(
                pa.scalar("'", column.type), column, pa.scalar("", column.type)
            )
            column = pc.if_else(risky, quoted, column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def output_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    kinds = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx"}
    if suffix not in kinds:
        raise UsageError(f"cannot write {suffix or 'a file without extension'}: use .csv, .parquet or .xlsx")
    return kinds[suffix]


class Writer:
    """Append tables with one schema; ``close(ok=True)`` renames the temporary file into place."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = Path(path)
        self.schema = schema
        self.kind = output_kind(self.path)
        directory = self.path.resolve().parent
        if not directory.is_dir():
            raise UsageError(f"no such folder for the output: {directory}")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        os.close(fd)
        self.tmp = Path(tmp)
        self.rows = 0
        self._w: Any = None
        if self.kind == "csv":
            import pyarrow.csv as pacsv

            self._w = pacsv.CSVWriter(
                str(self.tmp), schema, write_options=pacsv.WriteOptions(quoting_style="needed")
            )
        elif self.kind == "parquet":
            import pyarrow.parquet as pq

            self._w = pq.ParquetWriter(str(self.tmp), schema, compression="zstd")
        else:
            import openpyxl

            self._wb = openpyxl.Workbook(write_only=True)
            self._ws = self._wb.create_sheet("assessments")
            self._ws.append(schema.names)

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if self.kind != "parquet":  # CSV and Excel are opened in spreadsheets; Parquet is data
            table = formula_safe(table)
        if self.kind == "xlsx":
            if self.rows > EXCEL_MAX_ROWS:
                raise UsageError(
                    f"an Excel worksheet holds at most {EXCEL_MAX_ROWS:,} applications; write .csv or .parquet"
                )
            columns = [c.to_pylist() for c in table.columns]
            for row in zip(*columns, strict=True):
                self._ws.append(row)
        else:
            self._w.write_table(table) if self.kind == "parquet" else self._w.write(table)

    def close(self, ok: bool, notes: list[tuple[str, str]] | None = None) -> None:
        """Finish the file (with ``notes`` as a 'run' sheet in Excel) and move it into place."""
        try:
            if self.kind == "xlsx":
                if ok:
                    run = self._wb.create_sheet("run")
                    for key, value in notes or []:
                        run.append([key, safe_value(value)])  # e.g. the input's path, as given
                    self._wb.save(str(self.tmp))
                else:
                    self._ws.close()  # release the worksheet's temporary file
            elif self._w is not None:
                self._w.close()
            if ok:
                with contextlib.suppress(FileNotFoundError):
                    mode = self.path.stat().st_mode & 0o777
                    os.chmod(self.tmp, mode)
                if not self.path.exists():
                    umask = os.umask(0)
                    os.umask(umask)
                    os.chmod(self.tmp, 0o666 & ~umask)
                os.replace(self.tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                if not ok or self.tmp.exists():
                    self.tmp.unlink()
