"""Transparency International's Corruption Perceptions Index (CPI).

Layout, as distributed (``CPI2023_Global_Results__Trends.xlsx``): a workbook whose sheets open
with three rows of title and notes; the header is on row 4 (``skip = 3`` / ``header = 3`` in every
script seen reading it) with ``Country / Territory``, ``ISO3``, ``Region`` and the score column
``CPI score 2023``; the sheet ``CPI Timeseries 2012 - 2023`` has one ``CPI score YYYY`` column per
year. Seen in scripts that read the file (GitHub search: ``readxl::read_excel(..., sheet = "CPI
Timeseries 2012 - 2023", skip = 3)``, ``pd.read_excel(..., header=3)`` with columns
``Country / Territory``, ``ISO3``, ``CPI score 2023``), and a note that the 2024 workbook
(``CPI2024-Results-and-trends.xlsx``) names the column ``CPI 2024 score``. The header row is
therefore looked for in the first ten rows of each sheet (the row holding ``ISO3`` and a score
column, either spelling); the file name and sheet are recorded with each value. ``ISO3`` holds ISO
codes except ``KSV`` for Kosovo (handled as not in ISO 3166-1). Unverified first-hand: the exact
sheet names of each year's workbook, and footnote rows below the table (rows without an ISO3
code are skipped).

Mapping: ``cpi`` is the score as published (0 highly corrupt - 100 very clean; scores are whole
numbers since the 2012 methodology).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .. import countries
from ..tables import Table, number, open_workbook, sheet_rows, table_from_rows, text
from .base import Extract, Options, Unmatched, Value, choose_year, edition_from

DATASET = "Corruption Perceptions Index (Transparency International)"
SCORE = re.compile(r"^CPI (?:score (\d{4})|(\d{4}) score)$", re.IGNORECASE)
NOT_STATES = {"KSV": "Kosovo: not in ISO 3166-1"}


def _score_columns(header: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for h in header:
        m = SCORE.match(h)
        if m:
            out[int(m.group(1) or m.group(2))] = h
    return out


def tables(path: Path) -> list[Table]:
    wb, shown, sha = open_workbook(path)
    found: list[Table] = []
    try:
        for ws in wb.worksheets:
            rows = sheet_rows(ws)
            for n, values in rows[:10]:
                header = [text(v) for v in values]
                if "ISO3" in header and _score_columns(header):
                    found.append(table_from_rows(rows, n, shown, path.name, sha, ws.title))
                    break
        if not found:
            names = ", ".join(repr(s) for s in wb.sheetnames) or "none"
            raise Table(shown, path.name, sha, [], 1, []).error(
                "RC602",
                f"no sheet has a header row with 'ISO3' and a 'CPI score YYYY' column in its first ten rows "
                f"(sheets: {names}); is this Transparency International's results workbook?",
                1,
            )
    finally:
        wb.close()
    return found


def read(path: Path, opts: Options) -> Extract:
    found = tables(path)
    by_year: dict[int, tuple[Table, str]] = {}
    for t in found:  # a year's own sheet is preferred to the time series (listed first in the workbook)
        for y, col in _score_columns(t.header).items():
            by_year.setdefault(y, (t, col))
    first = found[0]
    year = choose_year(first, next(iter(_score_columns(first.header).values())), by_year, opts.get("year"))
    table, column = by_year[year]
    name_col = "Country / Territory" if "Country / Territory" in table.columns else "Country"
    table.require([name_col, "ISO3", column])
    out = Extract(
        DATASET,
        edition_from(path, r"CPI[_-]?(\d{4})", opts.get("edition"), "CPI2023_Global_Results__Trends.xlsx"),
        path.name,
        table.sha256,
        year,
        mapping=f"cpi = {column!r} as published (0 highly corrupt - 100 very clean)",
    )
    unmatched = Unmatched(table, "ISO3", NOT_STATES, opts.get("skip_unmatched", False))
    for n, values in table.rows:
        iso = text(table.cell(values, "ISO3"))
        name = text(table.cell(values, name_col))
        raw: Any = table.cell(values, column)
        if not iso:
            continue  # notes and footnotes below the table carry no code
        score = number(table, n, column, raw, ("", "-", "NA"))
        code = countries.by_alpha3(iso) or countries.by_name(name)
        if code is None:
            if score is not None:
                unmatched.note(n, iso)
            continue
        if score is None:
            out.no_value.append(f"{code} ({name}): no score for {year}")
            continue
        if score != int(score) or not 0 <= score <= 100:
            raise table.error("RC604", f"{text(raw)!r} is not a CPI score (0-100)", n, column)
        cells = {name_col: name, "ISO3": iso, column: int(score)}
        out.values.append(Value(code, "cpi", int(score), year, n, cells, None, table.sheet))
    unmatched.check()
    out.skipped = unmatched.skipped
    return out
