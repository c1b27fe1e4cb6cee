"""UNDP's Human Development Index (HDI), Human Development Report composite indices.

Layout, as distributed (``HDR23-24_Composite_indices_complete_time_series.csv``): one row per
country, header on row 1, static columns ``iso3``, ``country``, ``hdicode``, ``region``, then one
column per indicator and year (``hdi_1990`` ... ``hdi_2022``, ``le_2022``, ``hdi_rank_2022`` ...,
1,076 columns); encoded in Latin-1 (``Côte d'Ivoire`` is byte 0xF4; UTF-8 fails); an empty cell
is a missing value; aggregates (regions and development groups) have codes starting ``ZZ``.
Seen in GitHub ``lshtram/leader-db``: ``docs/architecture/undp-hdi.md`` (checked against the
real file) and ``tests/fixtures/undp_hdi/sample.csv`` (a slice cut from it, Latin-1, with an
empty ``region`` for the United States). Unverified: other editions' file names (the edition is
read from the ``HDRyy-yy`` prefix, else give --edition).

Mapping: ``hdi`` is ``hdi_<year>`` as published (0 - 1).
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import countries
from ..tables import number, read_csv, text
from .base import Extract, Options, Unmatched, Value, choose_year, edition_from

DATASET = "Human Development Index (UNDP)"
COLUMN = re.compile(r"^hdi_(\d{4})$")
NOT_STATES = {"XKX": "Kosovo: not in ISO 3166-1", "KSV": "Kosovo: not in ISO 3166-1"}


def read(path: Path, opts: Options) -> Extract:
    table = read_csv(path, encodings=("utf-8", "latin-1"))
    table.require(["iso3", "country"])
    years = {int(m.group(1)): h for h in table.header if (m := COLUMN.match(h))}
    if not years:
        table.require(["hdi_<year>"])
    year = choose_year(table, "hdi_<year>", years, opts.get("year"))
    column = years[year]
    out = Extract(
        DATASET,
        edition_from(
            path,
            r"HDR(\d{2}-\d{2})",
            opts.get("edition"),
            "HDR23-24_Composite_indices_complete_time_series.csv",
        ),
        path.name,
        table.sha256,
        year,
        mapping=f"hdi = {column!r} as published (0 - 1)",
    )
    unmatched = Unmatched(table, "iso3", NOT_STATES, opts.get("skip_unmatched", False))
    aggregates = 0
    for n, values in table.rows:
        iso = text(table.cell(values, "iso3"))
        name = text(table.cell(values, "country"))
        if iso.upper().startswith("ZZ"):
            aggregates += 1
            continue
        v = number(table, n, column, table.cell(values, column), ("", ".."))
        code = countries.by_alpha3(iso)
        if code is None:
            if v is not None:
                unmatched.note(n, iso or name)
            continue
        if v is None:
            out.no_value.append(f"{code} ({name}): no HDI for {year}")
            continue
        if not 0 <= v <= 1:
            raise table.error(
                "RC604", f"{text(table.cell(values, column))!r} is not an HDI value (0-1)", n, column
            )
        cells = {"iso3": iso, "country": name, column: text(table.cell(values, column))}
        out.values.append(Value(code, "hdi", round(v, 3), year, n, cells))
    unmatched.check()
    out.skipped = unmatched.skipped + ([f"{aggregates} aggregate rows (codes ZZ...)"] if aggregates else [])
    return out
