"""SIPRI Military Expenditure Database: military expenditure as a share of GDP.

Layout, as distributed (``SIPRI-Milex-data-1949-2023.xlsx``; the 2025 release is
``SIPRI-Milex-data-1949-2025_v1.2.xlsx``): one sheet per measure; ``Share of GDP`` opens with a
title block (title, "Countries are grouped by region and subregion.", "Figures in blue are
SIPRI estimates.", the legend of missing values), then the header row whose first cell is
``Country``, then ``Notes`` and one column per year (integers). Region and subregion names
(``Africa``, ``North Africa`` ...) are rows of their own with no figures; ``...`` means data
unavailable and ``xxx`` that the country did not exist; figures are fractions (0.0355 for
3.55 %). Seen in GitHub ``lshtram/leader-db``: ``src/leaders_db/ingest/sipri_milex_xlsx.py`` and
``catalogs/sipri_milex.csv`` (checked against the 2025 v1.2 workbook: header on row 6 of
``Share of GDP``) and ``tests/fixtures/sipri_milex/sample.xlsx`` (same layout). The header row is
found by its ``Country`` cell, not by a fixed position. Unverified: SIPRI's spelling of every
country name (a name matching no state is reported, not guessed) and the notes below the table
(rows without any figure are skipped, as region rows are).

Mapping: ``milex_pct_gdp`` = the ``Share of GDP`` figure × 100, to two decimals (%).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import countries
from ..tables import Table, number, open_workbook, sheet_rows, table_from_rows, text
from .base import Extract, Options, Unmatched, Value, choose_year, edition_from

DATASET = "SIPRI Military Expenditure Database"
SHEET = "Share of GDP"
MISSING = ("", "...", ". .", "xxx")
NOT_STATES = {
    "Kosovo": "not in ISO 3166-1",
    "USSR": "no longer exists",
    "Czechoslovakia": "no longer exists",
    "Yugoslavia": "no longer exists",
    "German DR": "no longer exists",
    "Yemen, North": "no longer exists",
}


def load(path: Path) -> Table:
    wb, shown, sha = open_workbook(path)
    try:
        if SHEET not in wb.sheetnames:
            names = ", ".join(repr(s) for s in wb.sheetnames) or "none"
            raise Table(shown, path.name, sha, [], 1, []).error(
                "RC602", f"no sheet {SHEET!r} (sheets: {names}); is this SIPRI's milex workbook?", 1
            )
        ws = wb[SHEET]
        rows = sheet_rows(ws)
    finally:
        wb.close()
    header_at = next((n for n, v in rows if v and text(v[0]) == "Country"), None)
    if header_at is None:
        raise Table(shown, path.name, sha, [], 1, [], sheet=SHEET).error(
            "RC602", f"sheet {SHEET!r} has no header row starting with 'Country'", 1
        )
    return table_from_rows(rows, header_at, shown, path.name, sha, SHEET)


def read(path: Path, opts: Options) -> Extract:
    table = load(path)
    years = {int(h): h for h in table.header if h.isdigit() and 1940 <= int(h) <= 2200}
    if not years:
        raise table.error("RC603", "the header has no year columns", table.header_row, "Country")
    year = choose_year(table, str(max(years)), years, opts.get("year"))
    column = years[year]
    out = Extract(
        DATASET,
        edition_from(
            path,
            r"Milex-data-\d{4}-(\d{4}(?:_v[\d.]+\d)?)",
            opts.get("edition"),
            "SIPRI-Milex-data-1949-2023.xlsx",
        ),
        path.name,
        table.sha256,
        year,
        mapping="milex_pct_gdp = the 'Share of GDP' figure x 100 (SIPRI publishes fractions)",
    )
    unmatched = Unmatched(table, "Country", NOT_STATES, opts.get("skip_unmatched", False))
    year_cols = list(years.values())
    for n, values in table.rows:
        name = text(table.cell(values, "Country"))
        figures: list[Any] = [table.cell(values, c) for c in year_cols]
        if all(text(f) == "" for f in figures):
            continue  # a region heading or a note: no figures at all
        raw = table.cell(values, column)
        v = number(table, n, column, raw, MISSING)
        code = countries.by_name(name)
        if code is None:
            if any(text(f) not in MISSING for f in figures):
                unmatched.note(n, name)
            continue
        if v is None:
            why = "did not exist" if text(raw) == "xxx" else "data unavailable"
            out.no_value.append(f"{code} ({name}): no figure for {year} ({why})")
            continue
        if not 0 <= v <= 1:
            raise table.error(
                "RC604", f"{text(raw)!r} is not a share of GDP (SIPRI gives fractions, 0-1)", n, column
            )
        cells = {"Country": name, column: text(raw)}
        out.values.append(Value(code, "milex_pct_gdp", round(v * 100, 2), year, n, cells, None, SHEET))
    unmatched.check()
    out.skipped = unmatched.skipped
    return out
