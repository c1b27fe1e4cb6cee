"""The Political Terror Scale (PTS), Gibney, Haschke et al., University of North Carolina Asheville.

Layout, as distributed (``PTS-2024.csv``, also offered as ``.xlsx`` with the same columns): one
row per country and year, header on row 1::

    Country, Country_OLD, Year, COW_Code_A, COW_Code_N, WordBank_Code_A, UN_Code_N, Region,
    PTS_A, PTS_H, PTS_S, NA_Status_A, NA_Status_H, NA_Status_S

Seen in a public copy of ``PTS-2024.csv`` (GitHub ``Mohsnmonji/Political-Terror_Dashboard``,
``PTS-2024.csv``, 10,220 rows, 1976-2023) and the PTS codebook v2.20 (13 August 2024, in the same
repository, pp. 13-16). Quirks of that file, all handled here: Windows-1252 encoding (``Türkiye``
is byte 0xFC), CRLF line ends, quoted names with commas (``"Bolivia, Plurinational State of"``),
``NA`` for a missing score with the reason in ``NA_Status_*`` (66 not a UN member, 77 state did
not exist, 88 no report published, 99 report not coded), World Bank codes that are not ISO
(``ADO`` Andorra, ``KSV`` Kosovo), COW letters that collide with ISO (``CZE`` is Czechoslovakia in
COW). States are therefore matched by ``UN_Code_N`` (ISO 3166-1 numeric), then by name, then by
``WordBank_Code_A`` when it is an ISO code.

Mapping: the indicator ``pts`` is the worst (highest) of the three codings available for the year
(vocabulary.COUNTRY_INDICATORS; domain.md §4.3: "use max of available codings"); the three are kept
in the value's note and source row. Unverified: the .xlsx copy's sheet name (the first sheet is
read); editions before 2020 (no ``NA_Status_*`` columns: they are optional here).
"""

from __future__ import annotations

from pathlib import Path

from .. import countries
from ..tables import load_table, number, text, years_in
from .base import Extract, Options, Unmatched, Value, choose_year, edition_from

DATASET = "Political Terror Scale"
CODINGS = {"PTS_A": "Amnesty International", "PTS_H": "Human Rights Watch", "PTS_S": "US State Department"}
NA_STATUS = {
    "66": "not a UN member",
    "77": "state did not exist",
    "88": "no report",
    "99": "report not coded",
}
# Entities in PTS-2024.csv that are not states in ISO 3166-1 (rows of 2023 with a score or a name).
NOT_STATES = {
    "Kosovo": "not in ISO 3166-1",
    "European Union": "not a state",
    "Gaza (Hamas)": "not a state",
    "Israel in Occupied Territories": "territory, not a state",
    "Israel in pre-1967 borders": "part of a state (Israel is coded as a whole elsewhere)",
    "Russia-Occupied Areas (Ukraine)": "territory, not a state",
    "Crimea": "territory, not a state",
    "Somaliland": "not in ISO 3166-1",
    "Czechoslovakia": "no longer exists",
    "German Democratic Republic": "no longer exists",
    "German Federal Republic": "no longer exists",
    "Soviet Union": "no longer exists",
    "Yemen Arab Republic": "no longer exists",
    "Yemen People's Republic": "no longer exists",
}
MISSING = ("NA", "")


def read(path: Path, opts: Options) -> Extract:
    table = load_table(path, ("utf-8", "cp1252"))
    table.require(["Country", "Year", *CODINGS])
    year = choose_year(table, "Year", years_in(table, "Year"), opts.get("year"))
    out = Extract(
        DATASET,
        edition_from(path, r"PTS[-_ ]?(\d{4})", opts.get("edition"), "PTS-2024.csv"),
        path.name,
        table.sha256,
        year,
        mapping="pts = the worst (highest) of PTS_A, PTS_H and PTS_S available for the year "
        "(PTS codebook v2.20; domain.md §4.3)",
    )
    unmatched = Unmatched(table, "Country", NOT_STATES, opts.get("skip_unmatched", False))
    for n, values in table.rows:
        y = number(table, n, "Year", table.cell(values, "Year"))
        if y is None or int(y) != year:
            continue
        name = text(table.cell(values, "Country"))
        scores: dict[str, int] = {}
        for col in CODINGS:
            v = number(table, n, col, table.cell(values, col), MISSING)
            if v is None:
                continue
            if v != int(v) or not 1 <= v <= 5:
                raise table.error(
                    "RC604", f"{text(table.cell(values, col))!r} is not a PTS score (1-5)", n, col
                )
            scores[col] = int(v)
        code = (
            countries.by_numeric(
                text(table.cell(values, "UN_Code_N")) if "UN_Code_N" in table.columns else None
            )
            or countries.by_name(name)
            or countries.by_alpha3(
                text(table.cell(values, "WordBank_Code_A")) if "WordBank_Code_A" in table.columns else None
            )
        )
        if code is None:
            if scores:
                unmatched.note(n, name)
            continue
        if not scores:
            reasons = (
                sorted(
                    {NA_STATUS.get(text(table.cell(values, f"NA_Status_{c[-1]}")), "") for c in CODINGS}
                    - {""}
                )
                if all(f"NA_Status_{c[-1]}" in table.columns for c in CODINGS)
                else []
            )
            out.no_value.append(
                f"{code} ({name}): no score for {year}" + (f" ({', '.join(reasons)})" if reasons else "")
            )
            continue
        cells = {"Country": name, "Year": year, **{c: text(table.cell(values, c)) for c in CODINGS}}
        note = "Codings: " + ", ".join(f"{CODINGS[c]} {scores.get(c, 'none')}" for c in CODINGS)
        out.values.append(Value(code, "pts", max(scores.values()), year, n, cells, note, table.sheet))
    unmatched.check()
    out.skipped = unmatched.skipped
    return out
