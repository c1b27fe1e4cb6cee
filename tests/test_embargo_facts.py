"""How an embargo reads on an item line (facts.embargo_facts, the one definition the scenario and
register paths share): the truth table of end-user scope x item scope x derogation x the status of
each condition. Every expected value is worked out by hand from the rule in docs/rules.md
(section Embargoes): covered -> true; outside the end-user or item scope -> false; a derogation that
fits with every condition met -> false; one condition unknown (none refused) -> unknown; one not met
-> true; whatever the answer turns on that is not recorded -> unknown, never false."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from riskcheck.facts import EmbargoCheck, embargo_facts, embargo_lines
from riskcheck.scenario_model import Embargo, Item, Transfer

DAY = dt.date(2025, 10, 1)
GOV = {"type": "armed_forces", "name": "Army"}
MEDIA = {"type": "humanitarian_or_media", "name": "Broadcaster"}
GROUP = {"type": "non_state_armed_group", "name": "Highland Front"}


def entry(**over: Any) -> Embargo:
    data = {
        "id": "un-x",
        "country": "XCV",
        "authority": "UN",
        "legal_act": "res. 1",
        "scope": "whole_state",
        "start": "2020-01-01",
        "source": "fixture",
    }
    data.update(over)
    return Embargo.model_validate(data)


def item(ml: str = "ML1", **over: Any) -> Item:
    data = {
        "description": "x",
        "ml_category": ml,
        "att_category": "small_arms_light_weapons",
        "sensitivity": "salw",
        "quantity": 1,
    }
    data.update(over)
    return Item.model_validate(data)


def transfer(
    end_user: dict[str, Any],
    procedures: list[Any] = (),
    conditions: dict[str, str] | None = None,
    **over: Any,
) -> Transfer:
    data = {
        "exporter": {"country": "XNV", "name": "Nordvale"},
        "recipient": {"country": "XCV", "name": "Corvania"},
        "end_user": end_user,
        "items": [item().model_dump(exclude_none=True)],
        "end_use": "x",
        "channel": "g2g",
        "sanctions_procedures": [{"embargo": e, "kind": k, "status": s} for e, k, s in procedures],
        "derogation_conditions": conditions or {},
    }
    data.update(over)
    return Transfer.model_validate(data)


def read(entries: list[Embargo], t: Transfer, line: Item, key: str = "embargo.un") -> Any:
    return embargo_facts(EmbargoCheck(tuple(entries), "fixture", DAY, None), t, line, DAY)[key]


MEDIA_DEROGATION = entry(
    items={"ml_categories": ["ML1"]},
    derogations=[
        {
            "id": "personal",
            "summary": "protective clothing for media",
            "items": {"ml_categories": ["ML1"]},
            "end_users": ["media"],
            "requires": ["personal_protective_use", "committee_notification"],
            "source": "para. 3",
        }
    ],
)


@pytest.mark.parametrize(
    ("end_user", "ml", "personal", "notification", "expected"),
    [
        (GOV, "ML1", None, None, True),  # the derogation is for media only
        (MEDIA, "ML1", "met", "given", False),  # within the derogation
        (MEDIA, "ML1", "met", "pending", None),  # notification not yet made
        (MEDIA, "ML1", "met", None, None),  # notification not recorded
        (MEDIA, "ML1", "unknown", "given", None),
        (MEDIA, "ML1", None, "given", None),  # absent = unknown
        (MEDIA, "ML1", "not_met", "given", True),
        (MEDIA, "ML1", "met", "refused", True),
        (MEDIA, "ML1", "not_met", "pending", True),  # one not met decides, whatever else is open
        (MEDIA, "ML13", None, None, False),  # outside the item scope
        (GOV, "ML13", None, None, False),
    ],
)
def test_coverage_derogation_and_condition_status(end_user, ml, personal, notification, expected) -> None:
    conditions = {"personal_protective_use": personal} if personal else {}
    procedures = [("un-x", "notification", notification)] if notification else []
    fact = read([MEDIA_DEROGATION], transfer(end_user, procedures, conditions), item(ml))
    assert fact.value is expected
    if expected is None:  # referred, and the reason names what is unknown
        assert fact.confidence == "missing"
        assert "personal" in fact.note and (
            "personal_protective_use" in fact.note or "committee" in fact.note
        )


def test_the_lines_own_record_wins_over_the_transfers() -> None:
    t = transfer(MEDIA, [("un-x", "notification", "given")], {"personal_protective_use": "not_met"})
    own = item(derogation_conditions={"personal_protective_use": "met"})
    assert read([MEDIA_DEROGATION], t, own).value is False
    assert read([MEDIA_DEROGATION], t, item()).value is True


NON_STATE = entry(scope="non_state_actors", government="exempt_with_notification")


@pytest.mark.parametrize(
    ("end_user", "notification", "expected"),
    [
        (GOV, "given", False),
        (GOV, "pending", None),
        (GOV, None, None),
        (GOV, "refused", True),
        (GROUP, "given", True),  # the notification is the government's exemption, not the group's
        ({"type": "un_peace_operation", "name": "UN mission"}, None, False),
        ({"type": "sub_state_authority", "name": "Regional guard"}, None, None),
        ({"type": "private", "name": "Acme Ltd"}, None, True),
    ],
)
def test_government_treatment_under_a_non_state_scope(end_user, notification, expected) -> None:
    procedures = [("un-x", "notification", notification)] if notification else []
    assert read([NON_STATE], transfer(end_user, procedures), item()).value is expected


def test_whole_state_defaults_to_covering_the_government_and_exempt_means_exempt() -> None:
    assert read([entry()], transfer(GOV), item()).value is True
    assert read([entry(government="exempt")], transfer(GOV), item()).value is False
    assert read([entry(government="exempt")], transfer(MEDIA), item()).value is True


def test_named_forces_are_matched_by_name_or_unit() -> None:
    e = entry(scope="named_forces", targets=["Red Brigade"])
    assert read([e], transfer({"type": "non_state_armed_group", "name": "red brigade"}), item()).value is True
    assert read([e], transfer({**GOV, "unit": "Red Brigade"}), item()).value is True
    assert read([e], transfer(GOV), item()).value is False


@pytest.mark.parametrize(
    ("capability", "model", "expected"),
    [
        ("small_arms_light_weapons", None, True),
        ("naval", "Patrol boat", False),
        (None, "Patrol boat", None),  # the scope lists capabilities and the line states none
        ("naval", "T-72B3", True),  # a named system
        ("naval", None, None),  # the scope lists systems and the line names no model
    ],
)
def test_item_scope_by_capability_and_named_system(capability, model, expected) -> None:
    e = entry(items={"capabilities": ["small_arms_light_weapons"], "systems": ["T-72"]})
    line = item("ML9", capability=capability, model=model)
    assert read([e], transfer(GOV), line).value is expected


def test_a_contract_before_the_date_is_exempt_only_where_the_act_says_so() -> None:
    e = entry(contracts_before="2014-08-01")
    assert read([e], transfer(GOV, contract_date="2014-05-01"), item()).value is False
    assert read([e], transfer(GOV, contract_date="2014-09-01"), item()).value is True
    assert read([e], transfer(GOV), item()).value is True  # no contract date: nothing to exempt
    assert read([entry()], transfer(GOV, contract_date="2001-01-01"), item()).value is True


def test_dates_national_measures_and_suspensions() -> None:
    lifted = entry(end="2025-09-30")
    later = entry(start="2025-10-02")
    assert read([lifted, later], transfer(GOV), item()).value is False
    mine = entry(id="xnv", authority="national", imposed_by="XNV")
    theirs = entry(id="xtv", authority="national", imposed_by="XTV")
    unsaid = entry(id="own", authority="national")
    assert read([theirs], transfer(GOV), item(), "embargo.national").value is False
    assert read([mine], transfer(GOV), item(), "embargo.national").value is True
    assert read([unsaid], transfer(GOV), item(), "embargo.national").value is True
    assert read([mine], transfer(GOV), item()).value is False  # a national measure is not a UN one
    s = entry(id="susp", authority="EU", kind="suspension", criterion="2a")
    assert read([s], transfer(GOV), item(), "suspension.in_force").value is True
    assert read([s], transfer(GOV), item(), "suspension.criterion").value == "2a"
    assert read([s], transfer(GOV), item(), "embargo.eu").value is False  # a suspension is no embargo
    plain = entry(id="susp", authority="EU", kind="suspension")
    assert read([plain], transfer(GOV), item(), "suspension.criterion").value == "none"
    assert read([], transfer(GOV), item(), "suspension.criterion").value == "none"


def test_several_entries_of_one_authority_combine_in_three_valued_logic() -> None:
    unknown = entry(id="a", items={"capabilities": ["naval"]})  # the line states no capability
    covering = entry(id="b")
    outside = entry(id="c", items={"ml_categories": ["ML9"]})
    assert read([unknown, outside], transfer(GOV), item()).value is None
    assert read([unknown, covering], transfer(GOV), item()).value is True
    assert read([outside], transfer(GOV), item()).value is False


def test_no_check_recorded_leaves_every_embargo_fact_missing() -> None:
    facts = embargo_facts(None, transfer(GOV), item(), DAY)
    assert all(f.value is None for f in facts.values())


def test_the_line_says_which_embargo_and_derogation_and_each_condition() -> None:
    t = transfer(MEDIA, [("un-x", "notification", "given")], {"personal_protective_use": "met"})
    facts = embargo_facts(EmbargoCheck((MEDIA_DEROGATION,), "fixture", DAY, None), t, item(), DAY)
    (said,) = embargo_lines(facts)
    assert said.startswith("UN embargo un-x: does not apply - within derogation personal: conditions met")
    assert "personal_protective_use: met, committee_notification: met" in said and said.endswith("[res. 1].")
