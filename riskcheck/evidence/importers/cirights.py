"""CIRIGHTS (Cingranelli, Richards, Clay et al.), the successor of the CIRI Human Rights Data Project.

Layout, as distributed (``cirights_v3.12.10.24.xlsx``): one sheet, ``Sheet1``, header on row 1,
one row per country and year, 50 columns among them ``country``, ``year`` and
``Physical Integrity Rights Index`` (0-8: the sum of the disappearance, extrajudicial killing,
political imprisonment and torture scores, 0-2 each); a missing score is an empty cell. Not seen
first-hand: taken from the description of that file in the ingestion code of GitHub
``lshtram/leader-db`` (``src/leaders_db/ingest/cirights_io.py`` and ``cirights_xlsx.py``, which
state they were checked against the real workbook: 7,931 rows, 1981-2022, 207 countries).
Countries are named (``United States of America``), not coded, so they are matched by name.
Unverified: the other 47 column names, whether older editions name the sheet the same way (the
first sheet is read when ``Sheet1`` is absent, and said so), and the list of former states in
``NOT_STATES``. A CSV export with the same header is read too.

Mapping: ``cirights_physint`` is the Physical Integrity Rights Index as published (0 worst - 8
best; domain.md §4.3, CIRIGHTS scoring manual v2.11.06.23).
"""

from __future__ import annotations

from pathlib import Path

from .. import countries
from ..tables import load_table, number, text, years_in
from .base import Extract, Options, Unmatched, Value, choose_year, edition_from

DATASET = "CIRIGHTS"
COLUMN = "Physical Integrity Rights Index"
NOT_STATES = {
    "Kosovo": "not in ISO 3166-1",
    "Soviet Union": "no longer exists",
    "USSR": "no longer exists",
    "Yugoslavia": "no longer exists",
    "Czechoslovakia": "no longer exists",
    "German Democratic Republic": "no longer exists",
    "Serbia and Montenegro": "no longer exists",
}


def read(path: Path, opts: Options) -> Extract:
    table = load_table(path, ("utf-8", "cp1252"), sheet="Sheet1")
    table.require(["country", "year", COLUMN])
    year = choose_year(table, "year", years_in(table, "year"), opts.get("year"))
    out = Extract(
        DATASET,
        edition_from(path, r"cirights[_-]?(v[\d.]+\d)", opts.get("edition"), "cirights_v3.12.10.24.xlsx"),
        path.name,
        table.sha256,
        year,
        mapping="cirights_physint = the Physical Integrity Rights Index as published (0 worst - 8 best)",
    )
    unmatched = Unmatched(table, "country", NOT_STATES, opts.get("skip_unmatched", False))
    for n, values in table.rows:
        y = number(table, n, "year", table.cell(values, "year"))
        if y is None or int(y) != year:
            continue
        name = text(table.cell(values, "country"))
        score = number(table, n, COLUMN, table.cell(values, COLUMN), ("", "NA", "."))
        code = countries.by_name(name)
        if code is None:
            if score is not None:
                unmatched.note(n, name)
            continue
        if score is None:
            out.no_value.append(f"{code} ({name}): no score for {year}")
            continue
        if score != int(score) or not 0 <= score <= 8:
            raise table.error(
                "RC604", f"{text(table.cell(values, COLUMN))!r} is not an index value (0-8)", n, COLUMN
            )
        cells = {"country": name, "year": year, COLUMN: int(score)}
        out.values.append(Value(code, "cirights_physint", int(score), year, n, cells, None, table.sheet))
    unmatched.check()
    out.skipped = unmatched.skipped
    return out
