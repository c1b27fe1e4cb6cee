"""The register's columns for telling transfers apart (issue 13): what the items are for, the
documented patterns they may be linked to, the recipient's role in a conflict and the record of
controls tried. Each expected value below is read off the rule written in docs/batch.md and
facts.py by hand, not taken from the engine; test_batch_equivalence.py checks the same columns
against the single-assessment engine on thousands of generated rows."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from riskcheck.batch.read import iter_chunks
from riskcheck.batch.register import ParsedChunk, ProfileIndex, SeenIds, parse_chunk
from tests.register_gen import write_profiles
from tests.test_batch import BASE_ROW

BASE = {**BASE_ROW, "application_id": ""}


def parsed(tmp_path: Path, edits: list[dict[str, str]]) -> ParsedChunk:
    data = [{**BASE, "application_id": f"A-{i + 1}", **e} for i, e in enumerate(edits)]
    names = list(dict.fromkeys(k for r in data for k in r))
    path = tmp_path / "r.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=names)
        w.writeheader()
        w.writerows(data)
    (raw,) = iter_chunks(path, 1000)
    return parse_chunk(raw, "r.csv", ProfileIndex(write_profiles(tmp_path / "profiles")), SeenIds())


def column(pc: ParsedChunk, name: str) -> list[Any]:
    return [None if pc.invalid[i] else pc.base[name].value_at(i) for i in range(pc.n)]


def errors(pc: ParsedChunk) -> list[str]:
    return ["; ".join(str(p) for p in pc.problems.for_row(int(r))) for r in pc.rows]


SALW = "small_arms_light_weapons"
AIR_DEF = "air_missile_defence"


def test_a_line_is_linked_to_a_pattern_only_by_evidence(tmp_path: Path) -> None:
    pc = parsed(
        tmp_path,
        [
            {"capability": SALW, "patterns.ihl": f"{SALW};artillery_rockets"},
            {"capability": AIR_DEF, "patterns.ihl": f"{SALW};artillery_rockets"},
            {"capability": AIR_DEF, "country.ihl_violations_credible": "false"},  # no record to link to
            {"capability": AIR_DEF, "country.ihl_violations_credible": "true"},  # a record, no pattern
            {"capability": AIR_DEF, "country.ihl_violations_credible": "false|true"},  # contested
            {"patterns.ihl": SALW, "country.ihl_violations_credible": "false"},  # capability not stated
            {"recipient_country": "XAL", "profile": "alpha", "capability": "artillery_rockets"},
            {
                "recipient_country": "XAL",
                "profile": "alpha",
                "capability": "artillery_rockets",
                "patterns.ihl": "naval",
            },
            {"capability": AIR_DEF, "patterns.ihl": ";", "country.ihl_violations_credible": "true"},
        ],
    )
    assert column(pc, "item.capability") == [
        SALW,
        AIR_DEF,
        AIR_DEF,
        AIR_DEF,
        AIR_DEF,
        None,
        *["artillery_rockets"] * 2,
        AIR_DEF,
    ]
    assert column(pc, "item.ihl_pattern_link") == [
        "linked",
        "not_linked",
        "no_pattern",
        None,
        None,  # a contested record is not a clean one
        None,
        "linked",  # alpha's profile: shelling with artillery and air strikes
        "not_linked",  # the row's own pattern replaces the profile's
        None,  # ';' records no pattern
    ]


def test_repression_link_reads_the_political_terror_scale(tmp_path: Path) -> None:
    pc = parsed(
        tmp_path,
        [
            {"capability": SALW, "country.pts": "2"},
            {"capability": SALW, "country.pts": "3"},
            {"capability": SALW, "country.pts": "2|4"},
            {"capability": SALW, "country.pts": "5", "patterns.repression": "riot_control_internal_security"},
        ],
    )
    assert column(pc, "item.repression_link") == ["no_pattern", None, None, "not_linked"]


def test_the_recipients_role_is_read_with_the_conflict_check(tmp_path: Path) -> None:
    pc = parsed(
        tmp_path,
        [
            {"conflicts.recipient_party": "true", "conflicts.recipient_role": "aggressor"},
            {"conflicts.recipient_party": "false"},
            {"conflicts.recipient_party": "false", "conflicts.recipient_role": "none"},
            {"conflicts.recipient_party": "true"},  # a party, role not recorded: unknown
            {"recipient_country": "XAL", "profile": "alpha"},  # the profile's conflict names a role
            {"recipient_country": "XBE", "profile": "beta"},  # the profile's check found no conflict
            {},  # no check at all
        ],
    )
    assert column(pc, "conflicts.recipient_role") == [
        "aggressor",
        "none",
        "none",
        None,
        "aggressor",
        "none",
        None,
    ]
    assert not pc.invalid.any()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            {"conflicts.recipient_role": "self_defence"},
            "column conflicts.recipient_role: needs conflicts.recipient_party",
        ),
        (
            {"conflicts.recipient_party": "false", "conflicts.recipient_role": "aggressor"},
            "column conflicts.recipient_role: is given, but conflicts.recipient_party is false",
        ),
        (
            {"conflicts.recipient_party": "true", "conflicts.recipient_role": "none"},
            "column conflicts.recipient_role: is none, but conflicts.recipient_party is true",
        ),
        (
            {"conflicts.recipient_party": "true", "conflicts.recipient_role": "agressor"},
            "'agressor' is not one of the allowed values (did you mean 'aggressor'?)",
        ),
        ({"controls.record": "breaches_found"}, "column controls.breached: name the controls breached"),
        (
            {"controls.record": "compliance_confirmed", "controls.breached": "no_reexport_clause"},
            "column controls.breached: needs controls.record breaches_found",
        ),
        ({"controls.breached": "no_reexport_clause"}, "needs controls.record breaches_found"),
        ({"controls.breached": "psv"}, "column controls.breached: 'psv' is not a control"),
        ({"patterns.ihl": "rifles"}, "column patterns.ihl: 'rifles' is not a capability"),
        ({"capability": "rifles"}, "column capability: 'rifles' is not one of the allowed values"),
    ],
)
def test_inconsistent_item_and_record_columns_are_located(
    tmp_path: Path, edit: dict[str, str], message: str
) -> None:
    pc = parsed(tmp_path, [{}, edit])
    assert list(pc.invalid) == [False, True]
    assert message in errors(pc)[1] and errors(pc)[1].startswith("r.csv:row 3: ")


def test_the_record_of_controls_tried(tmp_path: Path) -> None:
    pc = parsed(
        tmp_path,
        [
            {"controls.record": "breaches_found", "controls.breached": "no_reexport_clause;psv_consent"},
            {"controls.record": "compliance_confirmed"},
            {"controls.record": "none_recorded"},
            {},
        ],
    )
    assert column(pc, "controls.record") == ["breaches_found", "compliance_confirmed", "none_recorded", None]
    assert column(pc, "controls.breached") == [
        frozenset({"no_reexport_clause", "psv_consent"}),
        frozenset(),
        frozenset(),
        None,
    ]
