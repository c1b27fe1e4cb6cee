"""Rule-set depth features: unit evidence outranks country averages, weakest-link floors, rejected
arguments, embargo reference data, accumulation and both-sides facts. Worked by hand on minimal.yaml."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from riskcheck.errors import InputError
from riskcheck.facts import FIELDS
from riskcheck.loader import load_rules
from tests.conftest import indicator, run


def outrank_cpi(weight=0.25):
    def edit(r):
        r["criteria"][0]["factors"][0]["outranked_by"] = {
            "field": "unit.stockpile_control_demonstrated",
            "weight": weight,
        }

    return edit


def test_unit_evidence_outranks_the_country_average():
    # cpi 10 scores 4; channel 0. Without outranking: mean 2, floor 3 -> deny.
    corrupt = lambda s: s["evidence"]["country"].update(cpi=indicator(10))  # noqa: E731
    assert run(corrupt).decision == "deny"
    a = run(corrupt, outrank_cpi())
    div = a.criterion("div")
    f = div.factors[0]
    # With the unit's record established, cpi counts with weight 0.25: mean 0.25*4/1.25 = 0.8, and it sets no floor.
    assert f.outranked and f.weight == 0.25
    assert div.inherent == pytest.approx(0.8)
    assert "outranked by the unit's own record" in f.explanation
    assert a.decision == "approve"


def test_outranking_needs_the_unit_evidence_to_be_established():
    def edit(s):
        s["evidence"]["country"]["cpi"] = indicator(10)
        del s["evidence"]["unit"]["stockpile_control_demonstrated"]

    a = run(edit, outrank_cpi())
    # counted whichever way is worse (not outranked: 4 sets the floor), but that denial rests on the
    # unit's missing record: established, it would outrank the CPI; so the case is referred
    assert not a.criterion("div").factors[0].outranked and a.criterion("div").level == "refer"
    wanted = f"establish: {FIELDS['unit.stockpile_control_demonstrated'].title}"  # named by its title
    assert a.decision == "refer" and wanted in a.criterion("div").explanation


def test_outranking_by_a_country_field_is_refused():
    def edit(r):
        r["criteria"][0]["factors"][0]["outranked_by"] = {"field": "country.hdi", "weight": 0.1}

    with pytest.raises(InputError) as e:
        run(None, edit)
    assert [d.code for d in e.value.diagnostics] == ["RC319"]


def test_weakest_link_floor_per_criterion():
    # cpi 40 scores 2, channel 0: mean 1, floor 2 - 1 = 1 -> 1. With floor_gap 0 the worst factor sets it: 2.
    mid = lambda s: s["evidence"]["country"].update(cpi=indicator(40))  # noqa: E731
    assert run(mid).criterion("div").inherent == 1

    def weakest_link(r):
        r["criteria"][0]["floor_gap"] = 0

    a = run(mid, weakest_link)
    assert a.criterion("div").inherent == 2 and a.criterion("div").level == "conditions"


def test_past_conduct_factors_are_named_in_the_criterion():
    def flag(r):
        r["criteria"][1]["factors"][0]["past_conduct"] = True

    a = run(None, flag)
    assert a.criterion("conf").past_conduct == "Past conduct: Internal situation none"
    assert a.criterion("div").past_conduct == ""


def test_arguments_are_answered_and_never_change_the_outcome():
    def argue(s):
        s["evidence"]["country"]["cpi"] = indicator(10)
        s["transfer"]["arguments"] = ["others_would_supply", "strategic_partner"]

    def reject(r):
        r["rejected_arguments"] = [
            {
                "argument": "others_would_supply",
                "reason": "Another supplier's conduct does not lower our risk.",
                "cite": ["eucp Art. 10"],
            }
        ]

    plain = run(lambda s: s["evidence"]["country"].update(cpi=indicator(10)), reject)
    a = run(argue, reject)
    assert [(x.argument, x.rejected) for x in a.arguments] == [
        ("others_would_supply", True),
        ("strategic_partner", False),
    ]
    assert a.arguments[0].cite == ("EU CP Art. 10",)
    assert [c.residual for c in a.criteria] == [c.residual for c in plain.criteria]
    assert a.decision == plain.decision == "deny"


def test_embargo_reference_data_is_read_when_the_scenario_records_no_check(tmp_path: Path):
    rules_dir = tmp_path
    (rules_dir / "embargoes.yaml").write_text(
        "id: test-embargoes\ntitle: Test embargo list\nas_of: 2024-12-01\nsource: test\nentries:\n"
        "  - {id: un-xrc, country: XRC, authority: UN, legal_act: 'UNSC res. (test)', scope: whole_state,"
        " start: 2024-06-01, source: test, uncertain: end date not checked}\n"
    )
    text = (Path(__file__).parent / "fixtures" / "rules" / "minimal.yaml").read_text()
    (rules_dir / "minimal.yaml").write_text(
        text.replace("policy:\n", "reference_data: {embargoes: embargoes.yaml}\npolicy:\n", 1)
    )
    rules = load_rules(rules_dir / "minimal.yaml")
    assert rules.embargoes is not None and rules.reference_sha256

    from riskcheck import assess
    from tests.conftest import scenario_data, scenario_from

    s = scenario_data()
    del s["evidence"]["embargoes"]
    a = assess(rules, scenario_from(s))
    assert a.decision == "prohibited"
    assert a.prohibitions[0].status == "applies"
    assert a.provenance.reference_sha256 == rules.reference_sha256
    # A scenario's own embargo check wins over the reference data.
    assert assess(rules, scenario_from(scenario_data())).decision == "approve"


def test_missing_reference_data_is_a_located_error(tmp_path: Path):
    text = (Path(__file__).parent / "fixtures" / "rules" / "minimal.yaml").read_text()
    (tmp_path / "r.yaml").write_text(
        text.replace("policy:\n", "reference_data: {embargoes: nowhere.yaml}\npolicy:\n", 1)
    )
    with pytest.raises(InputError) as e:
        load_rules(tmp_path / "r.yaml")
    d = e.value.diagnostics[0]
    assert d.code == "RC318" and d.location.line == 11


def test_exporter_arming_the_other_side_and_recent_transfers():
    from riskcheck.facts import facts_for
    from tests.conftest import scenario_data, scenario_from

    s = scenario_data()
    s["evidence"]["conflicts"] = [
        {"name": "War", "parties": ["XRC", "XEN"], "source": "t", "as_of": dt.date(2024, 1, 1)}
    ]
    s["evidence"]["prior_transfers"] = [
        {"recipient": "XEN", "year": 2023, "description": "rifles", "source": "t"},  # by this exporter
        {"recipient": "XRC", "year": 2022, "description": "trucks", "source": "t"},
        {"recipient": "XRC", "year": 2015, "description": "old", "source": "t"},  # outside five years
        {"recipient": "XRC", "year": 2023, "description": "other", "source": "t", "exporter": "XOT"},
    ]
    facts = facts_for(scenario_from(s), dt.date(2025, 1, 1))
    assert facts["conflicts.recipient_party"].value is True
    assert facts["conflicts.exporter_arms_other_side"].value is True
    assert facts["prior_transfers.count_5y"].value == 1
    s["evidence"]["prior_transfers"][0]["exporter"] = "XOT"  # someone else armed the enemy
    assert (
        facts_for(scenario_from(s), dt.date(2025, 1, 1))["conflicts.exporter_arms_other_side"].value is False
    )


def test_elements_outside_their_effective_dates_are_skipped_and_noted():
    corrupt = lambda s: s["evidence"]["country"].update(cpi=indicator(10))  # noqa: E731

    def later(r):  # the diversion criterion only takes effect after the case's date (2025-01-01)
        r["criteria"][0]["effective_from"] = dt.date(2025, 6, 1)

    a = run(corrupt, later)
    assert "div" not in {c.id for c in a.criteria}
    assert a.decision == "approve"  # the only criterion that would deny is not yet in effect
    assert any(n.startswith("div is not in effect on 2025-01-01") for n in a.notes)
    assert run(corrupt).decision == "deny"


def test_a_rule_set_applied_to_an_earlier_case_says_so():
    def early(s):
        s["date"] = dt.date(2019, 6, 1)
        for group in ("country", "unit"):
            for ind in s["evidence"][group].values():
                ind["as_of"] = dt.date(2019, 5, 1)

    a = run(early)
    assert a.notes and "retrospective" in a.notes[0] and "2019-06-01" in a.notes[0]
    assert run().notes == ()


def test_element_dates_out_of_order_are_refused():
    def bad(r):
        r["criteria"][0]["effective_from"] = dt.date(2025, 6, 1)
        r["criteria"][0]["effective_to"] = dt.date(2025, 1, 1)

    with pytest.raises(InputError) as e:
        run(None, bad)
    assert [d.code for d in e.value.diagnostics] == ["RC313"]
