"""Recipients beyond states, consents to re-export and layered rule sets (issue 14, items 4-6).

The expected values are read from the files by hand (the profiles, the scenarios and the rules), not
taken from the engine: the Northern Liberation Front's profile records its own findings and lacks an
audit score; Lirenza's (its host) records CPI 28 and an audit of 1; the Southern Region's record is
clean where Valdoria's army lost depots.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from riskcheck import assess
from riskcheck.compare import as_markdown, compare, deciding_steps
from riskcheck.errors import InputError
from riskcheck.facts import derive, facts_for
from riskcheck.loader import load_rules, load_scenario
from riskcheck.scenario_model import Conflict, ControlRecord, Holder

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"
RULES = ROOT / "rules"
DAY = dt.date(2025, 9, 15)

FRONT = SCEN / "lirenza-front-own-record.yaml"
REGION = SCEN / "valdoria-southern-region-rifles.yaml"
ARMY = SCEN / "valdoria-rifles-weak-stockpile.yaml"
REEXPORT = SCEN / "tervia-reexport-consent-apcs.yaml"


def _facts(path: Path, rules: str = "baseline") -> dict:
    s = load_scenario(path)
    return facts_for(s, s.model.date, load_rules(RULES / f"{rules}.yaml"))


# --- whose record: the recipient's own profile, the host's country facts --------------------------


def test_a_group_is_read_on_its_own_record_and_its_host_gives_the_country_facts() -> None:
    f = _facts(FRONT)
    assert f["recipient.kind"].value == "non_state_armed_group"
    # its own record (the Front's profile), not Lirenza's
    assert f["country.diversion_history"].value is True  # Lirenza's profile says false
    assert f["country.stockpile_records"].value == 0  # Lirenza's says 2
    assert f["country.ihl_violations_credible"].origin == "profile"
    assert "northern-liberation-front.yaml" in str(f["country.ihl_violations_credible"].location)
    # a record indicator its own profile lacks is unknown, never the host's value (Lirenza: audit 1)
    assert f["country.stockpile_audit"].is_missing
    assert "own profile" in (f["country.stockpile_audit"].note or "")
    assert f["country.terrorism_support"].is_missing  # Lirenza: false
    # the country facts from the host state's profile
    assert f["country.cpi"].value == 28 and f["country.cpi"].origin == "host_profile"
    assert "lirenza.yaml" in str(f["country.cpi"].location)
    # its own indicators and the end-user findings of its profile
    assert f["recipient.host_state_consents"].value is False
    assert f["recipient.territory_held"].value == "contested"
    assert f["unit.implicated_in_war_crimes"].value is True


def test_a_state_recipient_has_no_recipient_indicators_and_reads_the_country_record() -> None:
    f = _facts(ARMY)
    assert f["recipient.kind"].value == "state"
    assert f["country.diversion_history"].value is True  # Valdoria's army lost depots
    for key in ("command_and_control", "territory_held", "supply_routes_hostile", "host_state_consents"):
        fact = f[f"recipient.{key}"]
        assert fact.is_missing and "is a state" in (fact.note or "")


def test_a_regional_authority_is_read_on_its_own_stockpiles_not_the_central_states() -> None:
    region, army = _facts(REGION), _facts(ARMY)
    assert (region["country.diversion_history"].value, army["country.diversion_history"].value) == (
        False,
        True,
    )
    assert (region["country.stockpile_audit"].value, army["country.stockpile_audit"].value) == (3, 1)
    assert region["country.cpi"].value == army["country.cpi"].value == 35  # the host's
    base = load_rules(RULES / "baseline.yaml")
    a_region, a_army = assess(base, load_scenario(REGION)), assess(base, load_scenario(ARMY))
    # the presumption reads the recipient's own loss of stocks: the army's applies, the region's not
    assert a_army.presumptions[0].applies == "applies"
    assert a_region.presumptions[0].applies == "does_not_apply"
    assert a_region.criterion("c7-stockpile").residual < a_army.criterion("c7-stockpile").residual
    assert (a_region.decision, a_army.decision) == ("approve_with_conditions", "deny")


def test_without_a_host_profile_the_country_facts_are_unknown(tmp_path: Path) -> None:
    shutil.copytree(SCEN / "profiles", tmp_path / "profiles")
    prof = tmp_path / "profiles" / "northern-liberation-front.yaml"
    prof.write_text(prof.read_text().replace("host_profile: lirenza.yaml\n", ""))
    shutil.copy(FRONT, tmp_path / FRONT.name)
    s = load_scenario(tmp_path / FRONT.name)
    f = facts_for(s, s.model.date)
    assert f["country.cpi"].is_missing and f["country.hdi"].is_missing
    assert "no host state's profile" in assess(load_rules(RULES / "baseline.yaml"), s).request


def test_the_policy_embargo_reads_the_groups_own_profile(tmp_path: Path) -> None:
    base = load_rules(RULES / "baseline.yaml")
    a = assess(base, load_scenario(FRONT))
    p = next(x for x in a.prohibitions if x.id == "armed-groups-war-crimes")
    assert p.status == "applies" and a.decision == "prohibited"
    # without the finding in the group's profile the embargo cannot be excluded (no host fallback)
    shutil.copytree(SCEN / "profiles", tmp_path / "profiles")
    prof = tmp_path / "profiles" / "northern-liberation-front.yaml"
    text = prof.read_text()
    cut = next(line for line in text.splitlines() if line.strip().startswith("implicated_in_war_crimes:"))
    prof.write_text(text.replace(cut + "\n", ""))
    shutil.copy(FRONT, tmp_path / FRONT.name)
    a2 = assess(base, load_scenario(tmp_path / FRONT.name))
    p2 = next(x for x in a2.prohibitions if x.id == "armed-groups-war-crimes")
    assert p2.status == "cannot_be_excluded"
    assert a2.decision != "approve"


# --- truth tables of the new derived facts -------------------------------------------------------

_C = dict(source="test", as_of=DAY)


@pytest.mark.parametrize(
    ("conflicts", "expected"),
    [
        (None, None),  # no conflict check: unknown
        ([], False),  # checked, in none
        ([Conflict(name="insurgency", parties=["XTV"], internal=True, **_C)], False),  # internal only
        ([Conflict(name="war", parties=["XTV", "XUL"], **_C)], True),  # between states, a party
        ([Conflict(name="elsewhere", parties=["XAA", "XUL"], **_C)], False),  # not a party
        (
            [
                Conflict(name="insurgency", parties=["XTV"], internal=True, **_C),
                Conflict(name="war", parties=["XTV", "XUL"], **_C),
            ],
            True,
        ),
    ],
)
def test_recipient_party_to_an_international_armed_conflict(conflicts, expected) -> None:
    s = load_scenario(REEXPORT)
    model = s.model.model_copy(
        update={"evidence": s.model.evidence.model_copy(update={"conflicts": conflicts})}
    )
    f = derive(model, s.country, s.unit, s.where, DAY)
    assert f["conflicts.recipient_international"].value is expected


def _record(*results: str) -> list[ControlRecord]:
    return [ControlRecord(control="no_reexport_clause", result=r, date=DAY, source="test") for r in results]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (None, None),  # not checked: unknown, never a clean record
        ([], "none_recorded"),
        (_record("compliance_confirmed"), "compliance_confirmed"),
        (_record("compliance_confirmed", "undertaking_broken"), "breaches_found"),  # a breach outweighs
        (_record("breaches_found"), "breaches_found"),
    ],
)
def test_the_holders_record(record, expected) -> None:
    s = load_scenario(REEXPORT)
    holder = s.model.transfer.holder.model_copy(update={"control_record": record})  # type: ignore[union-attr]
    t = s.model.transfer.model_copy(update={"holder": holder})
    f = derive(s.model.model_copy(update={"transfer": t}), s.country, s.unit, s.where, DAY)
    assert f["holder.record"].value == expected
    assert f["transfer.kind"].value == "reexport_consent"


def test_an_export_has_no_holder_record() -> None:
    f = _facts(ARMY)
    assert f["transfer.kind"].value == "export"
    assert f["holder.record"].is_missing


def test_a_transfer_kind_and_its_holder_go_together() -> None:
    t = load_scenario(REEXPORT).model.transfer
    holder = Holder(country="XEM", name="Estmark")
    with pytest.raises(ValueError, match="names the current 'holder'"):
        type(t).model_validate({**t.model_dump(), "holder": None})
    with pytest.raises(ValueError, match="belongs to a re-export consent"):
        type(t).model_validate({**t.model_dump(), "kind": "export", "holder": holder.model_dump()})
    with pytest.raises(ValueError, match="new destination"):
        type(t).model_validate({**t.model_dump(), "holder": {"country": "XTV", "name": "Tervia"}})


# --- re-export consent: assessed against the new end user, the holder's record as evidence --------


def test_a_reexport_consent_is_explained_and_the_holders_breaches_count() -> None:
    base = load_rules(RULES / "baseline.yaml")
    s = load_scenario(REEXPORT)
    a = assess(base, s)
    assert a.request.startswith("Consent to re-export: holder Kingdom of Estmark (XEM)")
    assert "new end user Tervian Army, 4th Mechanised Brigade in Republic of Tervia (XTV)" in a.request
    holder = next(f for f in a.criterion("c7-diversion").factors if f.id == "holder-record")
    assert (holder.evidence.value, holder.score, holder.weight) == ("compliance_confirmed", 0, 2)
    assert a.decision == "approve_with_conditions"
    # the same request from a holder that broke its no-re-export undertaking: referred, and Criterion 7
    # reads the breach (score 4)
    broken = s.model.transfer.holder.model_copy(update={"control_record": _record("undertaking_broken")})  # type: ignore[union-attr]
    model = s.model.model_copy(update={"transfer": s.model.transfer.model_copy(update={"holder": broken})})
    b = assess(base, type(s)(**{**s.__dict__, "model": model}))
    assert next(f for f in b.criterion("c7-diversion").factors if f.id == "holder-record").score == 4
    assert b.decision == "refer"
    assert "reexport-holder-breaches" in {r.rule_id for r in b.reasons}


def test_a_state_export_waits_for_no_recipient_or_holder_evidence() -> None:
    a = assess(load_rules(RULES / "baseline.yaml"), load_scenario(ARMY))
    assert a.request == ""
    new = {"recipient.command_and_control", "recipient.host_state_consents", "recipient.territory_held"}
    new |= {"recipient.supply_routes_hostile", "holder.record"}
    assert not new & {m.field for m in a.missing}
    for c in a.criteria:
        for f in c.factors:
            if f.evidence.field in new:
                assert f.weight == 0, (c.id, f.id)


# --- layered rule sets ------------------------------------------------------------------------------


def test_the_national_layer_is_the_baseline_plus_its_own_rule_each_located_in_its_file() -> None:
    base, nat = load_rules(RULES / "baseline.yaml"), load_rules(RULES / "national-neutrality.yaml")
    assert nat.model.id == "national-neutrality" and nat.model.version == "1.0"
    assert [p.id for p in nat.model.prohibitions] == [p.id for p in base.model.prohibitions] + [
        "neutrality-belligerent"
    ]
    assert [c.id for c in nat.model.criteria] == [c.id for c in base.model.criteria]
    assert nat.model.policy == base.model.policy
    assert "nv_neutrality" in nat.model.sources and "att" in nat.model.sources
    first = nat.line_of("prohibitions", 0)
    assert (first.path, first.line) == (
        base.line_of("prohibitions", 0).path,
        base.line_of("prohibitions", 0).line,
    )
    last = nat.line_of("prohibitions", len(nat.model.prohibitions) - 1)
    assert last.path.endswith("national-neutrality.yaml")
    text = (RULES / "national-neutrality.yaml").read_text().splitlines()
    assert "neutrality-belligerent" in text[last.line - 1]
    assert nat.sha256 != base.sha256


def test_a_change_in_the_base_changes_the_layers_hash(tmp_path: Path) -> None:
    for name in ("baseline.yaml", "national-neutrality.yaml"):
        shutil.copy(RULES / name, tmp_path / name)
    shutil.copytree(RULES / "reference", tmp_path / "reference")
    before = load_rules(tmp_path / "national-neutrality.yaml").sha256
    base = tmp_path / "baseline.yaml"
    base.write_text(base.read_text().replace("floor_gap: 1\n", "floor_gap: 1.25\n", 1))
    assert load_rules(tmp_path / "national-neutrality.yaml").sha256 != before


def test_a_cycle_of_two_layers_is_reported_at_the_extends_key(tmp_path: Path) -> None:
    for a, b in (("a", "b"), ("b", "a")):
        (tmp_path / f"{a}.yaml").write_text(
            f'id: {a}\nversion: "1.0"\ntitle: {a}\ndescription: d\nextends: {b}.yaml\n'
        )
    with pytest.raises(InputError) as e:
        load_rules(tmp_path / "a.yaml")
    d = e.value.diagnostics[0]
    assert d.code == "RC341" and "a.yaml -> b.yaml -> a.yaml" in d.message
    assert d.location.line == 5


def test_an_error_in_an_inherited_rule_is_reported_in_the_base(tmp_path: Path) -> None:
    shutil.copy(RULES / "national-neutrality.yaml", tmp_path / "national-neutrality.yaml")
    shutil.copytree(RULES / "reference", tmp_path / "reference")
    text = (RULES / "baseline.yaml").read_text()
    (tmp_path / "baseline.yaml").write_text(text.replace("input: country.cpi", "input: country.cpy", 1))
    with pytest.raises(InputError) as e:
        load_rules(tmp_path / "national-neutrality.yaml")
    d = e.value.diagnostics[0]
    assert d.code == "RC305" and d.location.path.endswith("baseline.yaml")
    line = (tmp_path / "baseline.yaml").read_text().splitlines()[d.location.line - 1]
    assert "country.cpy" in line


# --- where the national layer and the baseline disagree -------------------------------------------


def test_compare_shows_the_disagreement_and_each_sides_deciding_steps() -> None:
    s = load_scenario(REEXPORT)
    base, nat = load_rules(RULES / "baseline.yaml"), load_rules(RULES / "national-neutrality.yaml")
    c = compare([assess(base, s), assess(nat, s)])
    assert not c.same_decision
    assert [a.decision for a in c.assessments] == ["approve_with_conditions", "prohibited"]
    rows = c.disagreements
    assert [r.key for r in rows] == ["prohibition neutrality-belligerent"]
    assert rows[0].cells[0] is None and rows[0].cells[1].outcome == "prohibited"  # type: ignore[union-attr]
    assert [r.rule_id for r in deciding_steps(c.assessments[0])] == ["c7-stockpile"]
    assert [r.rule_id for r in deciding_steps(c.assessments[1])] == ["neutrality-belligerent"]
    md = as_markdown(c)
    assert "The rule sets disagree." in md and "which reading governs is for the officials" in md


def test_the_layer_agrees_with_the_baseline_where_its_rule_does_not_apply() -> None:
    s = load_scenario(REGION)
    c = compare([assess(load_rules(RULES / f"{r}.yaml"), s) for r in ("baseline", "national-neutrality")])
    assert c.same_decision and not c.disagreements


def test_riskcheck_compare_prints_both_readings() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "riskcheck.cli",
            "compare",
            str(REEXPORT),
            "--rules",
            str(RULES / "baseline.yaml"),
            str(RULES / "national-neutrality.yaml"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "**baseline 1.5**: Approve with conditions" in out
    assert "**national-neutrality 1.0**: Prohibited - refusal criteria NV-N1" in out
    assert "### Prohibition: Neutrality" in out
