"""Embargo data and rule sets checked: located errors for bad entries (a few fuzzed), the lint of
reference data and of rule sets that would ignore national measures or suspensions, and the
register's embargo columns with their located errors."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from riskcheck.cli import check_paths
from tests.test_batch import BASELINE, batch, rows, write_csv

ROOT = Path(__file__).resolve().parent.parent
EVERY = ROOT / "tests" / "fixtures" / "rules" / "every-feature.yaml"
GOOD = """id: fuzzed
title: Fuzzed embargo list
as_of: 2025-01-01
source: test
entries:
  - id: un-xka
    country: XKA
    authority: UN
    legal_act: "res. 1"
    scope: non_state_actors
    government: exempt_with_notification
    items: {ml_categories: [ML1, ML2]}
    derogations:
      - id: mission
        summary: arms for the UN mission
        items: {ml_categories: [ML1]}
        end_users: [un_mission]
        requires: [committee_notification, un_or_authorised_mission]
        source: "para. 4"
    start: 2020-01-01
    end: 2024-12-31
    source: test
    verified: V
    verified_against: "a stored copy of res. 1"
"""
# (a replacement that breaks one thing, the line it must be reported on)
BREAKS = [
    ("scope: non_state_actors", "scope: everyone", 10),
    ("government: exempt_with_notification", "government: exempt_with_luck", 11),
    ("items: {ml_categories: [ML1, ML2]}", "items: {ml_categories: [ML99]}", 12),
    ("end_users: [un_mission]", "end_users: [press]", 17),
    (
        "requires: [committee_notification, un_or_authorised_mission]",
        "requires: [committee_notification, committee_notification]",
        14,
    ),
    ("end: 2024-12-31", "end: 2019-12-31", 6),
    ('verified_against: "a stored copy of res. 1"', "verified_against: null", 6),
    ('    legal_act: "res. 1"\n', "", 6),
    ("    start: 2020-01-01\n", "", 6),
    ("    source: test\n    verified", "    verified", 6),
    ("authority: UN", "authority: UN\n    imposed_by: XNV", 6),
    ("summary: arms for the UN mission", "summary: arms for the UN mission\n        named: [Blue Force]", 14),
]


def test_the_good_entry_is_clean(tmp_path: Path) -> None:
    f = tmp_path / "e.yaml"
    f.write_text(GOOD)
    diags, _ = check_paths([f])
    assert diags == []


@pytest.mark.parametrize(("old", "new", "line"), BREAKS, ids=[b[1][:30] for b in BREAKS])
def test_a_bad_entry_gets_one_located_error(tmp_path: Path, old: str, new: str, line: int) -> None:
    assert old in GOOD
    f = tmp_path / "e.yaml"
    f.write_text(GOOD.replace(old, new, 1))
    diags, _ = check_paths([f])
    errors = [d for d in diags if d.severity == "error"]
    assert len(errors) == 1, [str(d) for d in diags]
    assert errors[0].location.line == line and errors[0].location.col >= 1, str(errors[0])


def test_fuzzed_entries_give_located_errors_never_a_crash(tmp_path: Path) -> None:
    rng = random.Random(14)
    lines = GOOD.splitlines()
    for k in range(40):
        mutated = list(lines)
        i = rng.randrange(5, len(lines))
        key, sep, _ = mutated[i].partition(":")
        mutated[i] = key + sep + rng.choice([" 7", " [", " {a: 1}", " null", " -1", " 2020-02-30", " ''"])
        f = tmp_path / f"f{k}.yaml"
        f.write_text("\n".join(mutated) + "\n")
        diags, _ = check_paths([f])
        for d in diags:
            assert d.location.line is not None and 1 <= d.location.line <= len(lines) + 1, str(d)


def test_the_bundled_rule_sets_read_national_embargoes_and_suspensions() -> None:
    diags, n = check_paths([ROOT / "rules"])
    assert n >= 4 and not [d for d in diags if d.code == "RC323"]


def test_a_rule_set_that_reads_no_national_embargoes_is_warned_about(tmp_path: Path) -> None:
    text = EVERY.read_text()
    start = text.index("  - id: national-embargo")
    end = text.index("  - id: knowledge")
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "embargoes.yaml").write_text(
        (EVERY.parent / "reference" / "embargoes.yaml").read_text()
    )
    base = EVERY.with_name("every-feature-base.yaml")  # the fixture extends it
    (tmp_path / base.name).write_text(base.read_text())
    f = tmp_path / "rules.yaml"
    f.write_text(text[:start] + text[end:])
    diags, _ = check_paths([f])
    assert [(d.code, d.severity) for d in diags] == [("RC323", "warning")]
    assert "embargo.national" in diags[0].message
    diags, _ = check_paths([EVERY])
    assert diags == []


def test_the_register_reads_the_embargo_columns_and_locates_their_errors(tmp_path: Path) -> None:
    """Rows to Valdoria (no embargo in the bundled reference data) with the row's own check: a
    national embargo given with it prohibits the row; bad procedure and condition cells are
    reported at their row and column and the rows are not scored."""
    data = rows(
        4,
        edits={
            0: {
                "embargo.un": "false",
                "embargo.eu": "false",
                "embargo.osce": "false",
                "embargo.national": "true",
            },
            1: {"sanctions_procedures": "un-x:notice:given"},
            2: {"derogation_conditions": "committee_notification=met"},
            3: {"embargo.national": "true"},
        },
    )
    report, table, err = batch(tmp_path, write_csv(tmp_path / "register.csv", data), rules=BASELINE)
    assert table[0]["decision"] == "prohibited" and "national" in table[0]["refusal_codes"]
    assert "row 3: column sanctions_procedures: 'notice' is not a procedure" in err
    assert "row 4: column derogation_conditions: committee_notification is a committee procedure" in err
    assert "row 5: column embargo.national: given only with embargo.un, embargo.eu and embargo.osce" in err
    assert [r["errors"] is not None for r in table] == [False, True, True, True]


def test_register_rows_differing_only_in_a_derogation_condition_are_read_apart(tmp_path: Path) -> None:
    """Three rows to XZZ under the every-feature fixture, alike but for the demining condition of
    the UN embargo's derogation (ML4 for demining, approved by the committee): met takes the line
    out of the embargo, not met leaves it prohibited, not recorded leaves it unknown (referred, the
    embargo named among the reasons). The register reads each row's own conditions."""
    base = {
        "recipient_country": "XZZ",
        "end_user_type": "non_state_armed_group",
        "end_user_name": "Demining Unit",
        "ml_category": "ML4",
        "att_category": "missiles_and_launchers",
        "sensitivity": "major_platform",
        "sanctions_procedures": "un-xzz:approval:given",
    }
    data = rows(
        3,
        edits={
            0: {**base, "derogation_conditions": "demining=met"},
            1: {**base, "derogation_conditions": "demining=not_met"},
            2: {**base, "derogation_conditions": ""},
        },
    )
    _, table, _ = batch(tmp_path, write_csv(tmp_path / "register.csv", data), rules=EVERY)
    assert [r["errors"] for r in table] == [None, None, None]
    assert "un-embargo" not in (table[0]["reasons"] or "")
    assert table[1]["decision"] == "prohibited" and "un-embargo" in table[1]["reasons"]
    assert table[2]["decision"] != "approve" and "un-embargo" in table[2]["reasons"]
