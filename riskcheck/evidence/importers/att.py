"""The Arms Trade Treaty's States Parties, from the depositary's status list.

The depositary is the UN Secretary-General; the UN Treaty Collection publishes the treaty's status
(Multilateral Treaties Deposited with the Secretary-General, chapter XXVI, 8) as a page and as XML
(``XXVI-8.en.xml``, "VIEW XML" on the status page). Its participants table has the columns
``Participant``, ``Signature``, ``Provisional application under article 23(n)`` and ``Approval(AA),
Acceptance(A), Accession(a), Ratification``, dates written ``29 Jul 2020 a`` (the letter gives the
kind of instrument; none means ratification). Seen in a stored public copy of that XML's text
(treaties.un.org, ``doc/Publication/MTDSG/Volume II/Chapter XXVI/XXVI-8.en.xml``). Unverified: the
XML element names around the cells — the table is read from every element named ``Row`` with its
child cells in order, and the columns are found by their headings, so a different nesting still
reads; a file with no such rows is refused (RC602).

Mapping: ``att_state_party`` is true when the treaty is in force for the state on the date the list
was downloaded (``--as-of``, required: the list carries no date we could verify): 24 December 2014
for instruments deposited by 25 September 2014 (Art. 22(1): 90 days after the fiftieth), else 90
days after the deposit (Art. 22(2)). A signature alone, or a deposit whose 90 days have not run,
is false with a note. States absent from the list are false — for states that have a profile or
are named with --countries.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ...errors import Diagnostic, InputError, Location
from .. import countries
from ..tables import read_bytes
from .base import Extract, Options, Unmatched, Value

DATASET = "Arms Trade Treaty status (UN Treaty Collection, depositary)"
IN_FORCE = dt.date(2014, 12, 24)
FIFTIETH_PLUS = dt.date(
    2014, 9, 25
)  # the fiftieth instrument was deposited on 25 Sep 2014 [V: entry into force 24 Dec 2014]
DATE = re.compile(r"(\d{1,2})\s+([A-Z][a-z]{2})\s+(\d{4})\s*(AA|A|a)?")
MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
    )
}
KIND = {None: "ratification", "AA": "approval", "A": "acceptance", "a": "accession"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _date(text: str) -> tuple[dt.date, str] | None:
    m = DATE.search(text)
    if not m or m.group(2) not in MONTHS:
        return None
    return dt.date(int(m.group(3)), MONTHS[m.group(2)], int(m.group(1))), KIND[m.group(4)]


def in_force_for(deposit: dt.date) -> dt.date:
    return IN_FORCE if deposit <= FIFTIETH_PLUS else deposit + dt.timedelta(days=90)


def read(path: Path, opts: Options) -> Extract:
    raw, sha = read_bytes(path)
    shown = str(path)
    as_of: dt.date | None = opts.get("as_of")
    if as_of is None:
        raise InputError(
            [
                Diagnostic(
                    Location(shown), "RC608", "give --as-of DATE: the date you downloaded the status list"
                )
            ]
        )
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        line, col = e.position
        raise InputError([Diagnostic(Location(shown, line, col + 1), "RC601", f"not XML: {e}")]) from None
    rows = [
        [" ".join("".join(c.itertext()).split()) for c in el]
        for el in root.iter()
        if _local(el.tag).lower() == "row"
    ]
    if not rows:
        raise InputError(
            [
                Diagnostic(
                    Location(shown, 1, 1),
                    "RC602",
                    "no table rows (Row elements): is this the UN Treaty Collection's status XML?",
                )
            ]
        )
    header_at = next((i for i, r in enumerate(rows) if r and r[0].startswith("Participant")), None)
    if header_at is None:
        raise InputError([Diagnostic(Location(shown, 1, 1), "RC602", "no header row starting 'Participant'")])
    header = rows[header_at]
    deposit_col = next((i for i, h in enumerate(header) if "Ratification" in h or "Accession" in h), None)
    if deposit_col is None:
        raise InputError(
            [
                Diagnostic(
                    Location(shown, 1, 1),
                    "RC603",
                    "no 'Approval(AA), Acceptance(A), Accession(a), Ratification' column",
                )
            ]
        )
    sign_col = next((i for i, h in enumerate(header) if h.startswith("Signature")), None)
    out = Extract(
        DATASET,
        as_of.isoformat(),
        path.name,
        sha,
        as_of.year,
        mapping="att_state_party = the treaty is in force for the state on --as-of (Art. 22: 24 Dec 2014 or 90 days after deposit)",
    )
    from ..tables import Table

    table = Table(shown, path.name, sha, header, header_at + 1, [])
    unmatched = Unmatched(table, header[0], {}, opts.get("skip_unmatched", False))
    for i, r in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not r or not r[0]:
            continue
        name = re.sub(r"\d+$", "", r[0]).strip()  # footnote numbers written after the name
        code = countries.by_name(name)
        if code is None:
            unmatched.note(i, name)
            continue
        deposit = _date(r[deposit_col]) if deposit_col < len(r) else None
        signed = _date(r[sign_col]) if sign_col is not None and sign_col < len(r) else None
        cells = {h: (r[j] if j < len(r) else "") for j, h in enumerate(header)}
        if deposit is None:
            note = (
                f"Signed on {signed[0]:%d %b %Y}; no instrument deposited"
                if signed
                else "Listed without an instrument deposited"
            )
            out.values.append(Value(code, "att_state_party", False, as_of.year, i, cells, note, date=as_of))
            continue
        start = in_force_for(deposit[0])
        party = start <= as_of
        note = f"{deposit[1].capitalize()} deposited {deposit[0]:%d %b %Y}; in force for it from {start:%d %b %Y}"
        out.values.append(Value(code, "att_state_party", party, as_of.year, i, cells, note, date=as_of))
    unmatched.check()
    out.skipped = unmatched.skipped
    out.absent = {"att_state_party": False}
    out.absent_note = "Not listed as a participant in the depositary's status list"
    return out
