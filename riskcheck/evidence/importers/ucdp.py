"""The UCDP/PRIO Armed Conflict Dataset (Uppsala Conflict Data Program and PRIO).

Layout, as distributed (``ucdp-prio-acd-241.csv``, also ``UcdpPrioConflict_v24_1.csv``): one row
per conflict and year, header on row 1, the header quoted, 28 columns::

    conflict_id, location, side_a, side_a_id, side_a_2nd, side_b, side_b_id, side_b_2nd,
    incompatibility, territory_name, year, intensity_level, cumulative_intensity,
    type_of_conflict, start_date, start_prec, start_date2, start_prec2, ep_end, ep_end_date,
    ep_end_prec, gwno_a, gwno_a_2nd, gwno_b, gwno_b_2nd, gwno_loc, region, version

Seen in code that checks this exact header (GitHub search: an ``expectedColumns`` list reading
``konflikty.csv``) and in the UCDP/PRIO codebook as summarised in GitHub ``kvelleby/poldat``
(``R/data.R``: intensity_level 1 = 25-999 battle-related deaths in the year, 2 = 1,000 or more).
``type_of_conflict``: 1 extrasystemic, 2 interstate, 3 intrastate, 4 internationalised
intrastate. Several states on one side are listed in one cell (``Government of Australia,
Government of United Kingdom``). Governments are matched by name (``Government of Russia
(Soviet Union)`` -> RUS: a former name in brackets is ignored); the Gleditsch-Ward numbers in
``gwno_*`` are not used, since no code table with a licence this project can bundle was found.
Unverified first-hand: the file's encoding (UTF-8 is read, Windows-1252 as a fallback).

Mapping (UCDP definitions, stated in the vocabulary): a state's ``internal_conflict`` for a year is
``war`` if its government is side A of an intrastate or internationalised intrastate conflict
(type 3 or 4) of intensity 2 (>= 1,000 battle-related deaths), ``minor`` if of intensity 1
(25-999), else ``none``; ``tension`` (below 25 deaths) cannot be read from UCDP and is never set.
``interstate_conflict`` is ``active`` if its government is on either side of an interstate
conflict (type 2), as a primary party or with troops in support (``side_*_2nd``), else ``none``;
``dispute`` and ``threat`` are below UCDP's threshold and are never set. States not in the file
for the year get ``none`` — only those that have a profile already or are named with
--countries (UCDP covers every state, but pycountry cannot tell states from territories).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import countries
from ..tables import number, read_csv, text, years_in
from .base import Extract, Options, Unmatched, Value, choose_year, edition_from

DATASET = "UCDP/PRIO Armed Conflict Dataset"
NEEDED = [
    "conflict_id",
    "location",
    "side_a",
    "side_a_2nd",
    "side_b",
    "side_b_2nd",
    "year",
    "intensity_level",
    "type_of_conflict",
]
INTERNAL_TYPES = {3, 4}
INTERSTATE = 2
LEVELS = {1: "minor", 2: "war"}
GOVERNMENT = re.compile(r"^Government of (.+)$")
NONE_NOTE = "Not a party to any armed conflict in the UCDP/PRIO Armed Conflict Dataset for the year"


@dataclass
class _Hit:
    row: int
    level: int  # intensity 1 or 2
    text: str
    cells: dict[str, Any]


def governments(cell: str) -> list[str]:
    """The states named in one side's cell ("Government of A, Government of B")."""
    parts = re.split(r",\s*(?=Government of )", cell) if cell else []
    return [m.group(1).strip() for p in parts if (m := GOVERNMENT.match(p.strip()))]


def read(path: Path, opts: Options) -> Extract:
    table = read_csv(path, encodings=("utf-8", "cp1252"))
    table.require(NEEDED)
    year = choose_year(table, "year", years_in(table, "year"), opts.get("year"))
    out = Extract(
        DATASET,
        edition_from(path, r"(?:acd-|_v)(\d\d[._]?\d)", opts.get("edition"), "ucdp-prio-acd-241.csv").replace(
            "_", "."
        ),
        path.name,
        table.sha256,
        year,
        mapping="internal_conflict: government on side A of a type 3/4 conflict, intensity 1 -> minor "
        "(25-999 battle-related deaths), 2 -> war (>= 1,000); interstate_conflict: a party to a type 2 "
        "conflict -> active; not in the file -> none (UCDP/PRIO codebook definitions)",
    )
    if not re.match(r"^\d\d\.\d$", out.edition) and not opts.get("edition"):
        out.edition = out.edition[:2] + "." + out.edition[2:]
    unmatched = Unmatched(table, "side_a", {}, opts.get("skip_unmatched", False))
    internal: dict[str, list[_Hit]] = {}
    interstate: dict[str, list[_Hit]] = {}
    for n, values in table.rows:
        y = number(table, n, "year", table.cell(values, "year"))
        if y is None or int(y) != year:
            continue
        kind = number(table, n, "type_of_conflict", table.cell(values, "type_of_conflict"))
        level = number(table, n, "intensity_level", table.cell(values, "intensity_level"))
        if kind not in (1, 2, 3, 4):
            raise table.error(
                "RC604",
                f"{text(table.cell(values, 'type_of_conflict'))!r} is not a conflict type (1-4)",
                n,
                "type_of_conflict",
            )
        if level not in (1, 2):
            raise table.error(
                "RC604",
                f"{text(table.cell(values, 'intensity_level'))!r} is not an intensity level (1 or 2)",
                n,
                "intensity_level",
            )
        cells = {
            c: text(table.cell(values, c))
            for c in (
                "conflict_id",
                "location",
                "side_a",
                "side_b",
                "year",
                "intensity_level",
                "type_of_conflict",
            )
        }
        desc = f"{cells['side_a']} vs {cells['side_b']} (conflict {cells['conflict_id']}, intensity {int(level)})"
        hit = _Hit(n, int(level), desc, cells)
        columns = (
            ("side_a",)
            if kind in INTERNAL_TYPES
            else ("side_a", "side_b", "side_a_2nd", "side_b_2nd")
            if kind == INTERSTATE
            else ()
        )
        for col in columns:
            for name in governments(text(table.cell(values, col))):
                code = countries.by_name(name)
                if code is None:
                    unmatched.note(n, f"Government of {name}")
                    continue
                target = internal if kind in INTERNAL_TYPES else interstate
                target.setdefault(code, []).append(hit)
    unmatched.check()
    out.skipped = unmatched.skipped
    for indicator, found, value_of in (
        ("internal_conflict", internal, lambda h: LEVELS[max(x.level for x in h)]),
        ("interstate_conflict", interstate, lambda h: "active"),
    ):
        for code, hits in sorted(found.items()):
            top = max(hits, key=lambda h: (h.level, -h.row))
            note = "Conflicts: " + "; ".join(h.text for h in sorted(hits, key=lambda h: h.row))
            out.values.append(Value(code, indicator, value_of(hits), year, top.row, top.cells, note))
    out.absent = {"internal_conflict": "none", "interstate_conflict": "none"}
    out.absent_note = NONE_NOTE
    return out
