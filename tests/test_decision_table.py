"""The decision table: what each step calls for, for every condition result and missing-evidence
policy, run against both interpreters.

This is the truth table a reviewer reads (shared/product.md, "The order of an assessment"; the
table in riskcheck/engine/steps.py). Each row builds the smallest rule set that holds the step,
sets the facts the row names (True, False, or missing: the condition is then unknown), and expects
the decision and refusal codes written here from the law, not taken from the engine. The scalar
interpreter (one case) and the array interpreter (the same case as a one-row table) must both give
the expected outcome.

A neutral criterion (terrorism support: no) is in every rule set so that a row's step alone
decides; with nothing else calling for more, the decision is 'approve'.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from riskcheck.engine import compile_plan, evaluate
from riskcheck.engine.arrays import evaluate as evaluate_arrays
from riskcheck.engine.columns import FactTable
from riskcheck.facts import FIELDS, Fact
from tests.conftest import rules_from

DAY = dt.date(2025, 6, 1)
T, F, U = True, False, None  # a condition's facts: true, false, or missing (the condition is unknown)

CITE = ["att Art. 7(1)"]
NEUTRAL = {
    "id": "neutral",
    "title": "Neutral",
    "kind": "consider",
    "refusal_code": "6",
    "legal_text": "Always below its thresholds in this table.",
    "cite": CITE,
    "mitigable": False,
    "max_mitigation": 0,
    "factors": [
        {
            "id": "terrorism",
            "title": "Terrorism",
            "input": "country.terrorism_support",
            "weight": 1,
            "table": [{"value": True, "score": 4}, {"value": False, "score": 0}],
            "missing": {"policy": "assume_worst"},
            "explain": "{value}",
            "cite": CITE,
        }
    ],
}


def rule_set(**parts: Any) -> Any:
    data = {
        "id": "table",
        "title": "Decision table",
        "version": "1.0",
        "effective_from": "2020-01-01",
        "description": "One step at a time.",
        "disclaimer": "Decision support only.",
        "sources": {"att": {"title": "ATT", "short": "ATT", "version": "2013", "verification": "V"}},
        "policy": {
            "score_min": 0,
            "score_max": 4,
            "labels": [{"from": 0, "label": "low"}, {"from": 3, "label": "high"}],
            "floor_gap": 0,
            "thresholds": {
                "clear_risk": {"conditions": 1.5, "refer": 2.5, "deny": 3},
                "overriding_risk": {"conditions": 1.5, "refer": 2.75, "deny": 3.5},
                "consider": {"conditions": 2, "refer": 3},
            },
            "stale_after_days": 365,
        },
        "criteria": [NEUTRAL, *parts.pop("criteria", [])],
        **parts,
    }
    # a fresh copy of every shared list: PyYAML would write them as anchors, which rule files refuse
    return rules_from(json.loads(json.dumps(data)), "decision-table.yaml")


def facts(**given: Any) -> dict[str, Fact]:
    """Every field missing, but for the neutral criterion's fact and those given (``None``: missing;
    a tuple: contested, its readings)."""
    out = {name: Fact(None, "missing") for name in FIELDS}
    out["country.terrorism_support"] = Fact(False, "known")
    out["transfer.controls"] = Fact(frozenset(given.pop("controls", ())), "known")
    for key, value in given.items():
        field = key.replace("__", ".")
        if isinstance(value, tuple):
            out[field] = Fact(value[0], "contested", alternatives=value[1:])
        elif value is not None:
            out[field] = Fact(value, "known")
    return out


def both(rules: Any, fs: dict[str, Fact]) -> list[tuple[str, tuple[str, ...]]]:
    plan = compile_plan(rules)
    ev = evaluate(plan, fs, DAY)
    out = evaluate_arrays(plan, FactTable.from_facts([fs], [DAY]))
    codes = out.refusal_codes()[0]
    return [
        (ev.decision, ev.refusal_codes),
        (str(out.decisions()[0]), tuple(codes.split(";")) if codes else ()),
    ]


def cond(field: str) -> dict[str, Any]:
    return {"field": field, "op": "eq", "value": True}


# --- prohibitions (ATT Art. 6): true -> prohibited with its code; unknown -> refer; false -> nothing ---

PROHIBITION_TABLE = [
    # condition, decision, refusal codes
    (T, "prohibited", ("1a",)),
    (U, "refer", ()),
    (F, "approve", ()),
]


@pytest.mark.parametrize(("condition", "decision", "codes"), PROHIBITION_TABLE)
def test_prohibition(condition: bool | None, decision: str, codes: tuple[str, ...]) -> None:
    rules = rule_set(
        prohibitions=[
            {
                "id": "embargo",
                "title": "Embargo",
                "when": cond("embargo.un"),
                "refusal_code": "1a",
                "explain": "Embargoed.",
                "cite": CITE,
            }
        ]
    )
    assert both(rules, facts(embargo__un=condition)) == [(decision, codes)] * 2


# --- escalations: true -> the declared outcome (its code only with deny); unknown -> at most refer --

ESCALATION_TABLE = [
    # declared outcome, condition, decision, refusal codes
    ("deny", T, "deny", ("7",)),
    ("deny", U, "refer", ()),
    ("deny", F, "approve", ()),
    ("refer", T, "refer", ()),
    ("refer", U, "refer", ()),
    ("refer", F, "approve", ()),
    ("approve_with_conditions", T, "approve_with_conditions", ()),
    ("approve_with_conditions", U, "approve_with_conditions", ()),
    ("approve_with_conditions", F, "approve", ()),
]


@pytest.mark.parametrize(("declared", "condition", "decision", "codes"), ESCALATION_TABLE)
def test_escalation(declared: str, condition: bool | None, decision: str, codes: tuple[str, ...]) -> None:
    step = {
        "id": "esc",
        "title": "Escalation",
        "when": cond("unit.implicated_in_war_crimes"),
        "outcome": declared,
        "explain": "Escalated.",
        "conditions": ["A condition."] if declared == "approve_with_conditions" else [],
        "cite": CITE,
    }
    if declared == "deny":
        step["refusal_code"] = "7"
    rules = rule_set(escalations=[step])
    assert both(rules, facts(unit__implicated_in_war_crimes=condition)) == [(decision, codes)] * 2


# --- presumptions of denial: applies -> deny with its code unless every rebuttal item is met (an
# --- unknown item is not demonstrated: the burden is the applicant's); rebutted -> its minimum
# --- outcome; whether it applies cannot be established -> refer until it is (no refusal code on a gap)

PRESUMPTION_TABLE = [
    # applies, rebuttal items (a, b), minimum outcome when rebutted, decision, refusal codes
    (T, (T, T), "approve_with_conditions", "approve_with_conditions", ()),
    (T, (T, T), "refer", "refer", ()),
    (T, (T, F), "approve_with_conditions", "deny", ("7",)),
    (T, (T, U), "approve_with_conditions", "deny", ("7",)),
    (T, (U, U), "refer", "deny", ("7",)),
    (U, (T, T), "approve_with_conditions", "approve_with_conditions", ()),
    (U, (F, T), "approve_with_conditions", "refer", ()),
    (U, (U, T), "refer", "refer", ()),
    (F, (F, F), "approve_with_conditions", "approve", ()),
    (F, (U, U), "refer", "approve", ()),
]


@pytest.mark.parametrize(("applies", "items", "minimum", "decision", "codes"), PRESUMPTION_TABLE)
def test_presumption(
    applies: bool | None,
    items: tuple[bool | None, bool | None],
    minimum: str,
    decision: str,
    codes: tuple[str, ...],
) -> None:
    rules = rule_set(
        presumptions=[
            {
                "id": "presumption",
                "title": "Presumption",
                "applies_when": cond("country.diversion_history"),
                "refusal_code": "7",
                "explain": "Presumed refused.",
                "rebuttal": [
                    {"id": "a", "text": "A", "when": cond("unit.ihl_compliance_mechanisms"), "cite": CITE},
                    {
                        "id": "b",
                        "text": "B",
                        "when": cond("unit.stockpile_control_demonstrated"),
                        "cite": CITE,
                    },
                ],
                "when_rebutted": {"minimum_outcome": minimum, "conditions": ["Named unit only."]},
                "cite": CITE,
            }
        ]
    )
    fs = facts(
        country__diversion_history=applies,
        unit__ihl_compliance_mechanisms=items[0],
        unit__stockpile_control_demonstrated=items[1],
    )
    assert both(rules, fs) == [(decision, codes)] * 2


# --- a criterion and its factors ------------------------------------------------------------------


def criterion(
    kind: str = "clear_risk", factors: list[dict[str, Any]] | None = None, cap: float = 0
) -> dict[str, Any]:
    return {
        "id": "risk",
        "title": "Risk",
        "kind": kind,
        "refusal_code": "2a",
        "legal_text": "A clear risk.",
        "cite": CITE,
        "mitigable": cap > 0,
        "max_mitigation": cap,
        "factors": factors or [factor("country.hr_violations_established")],
    }


def factor(
    field: str, missing: dict[str, Any] | None = None, fid: str = "f", true_score: float = 3
) -> dict[str, Any]:
    return {
        "id": fid,
        "title": f"Factor {fid}",
        "input": field,
        "weight": 1,
        "table": [{"value": True, "score": true_score}, {"value": False, "score": 0}],
        "missing": missing or {"policy": "assume_worst"},
        "explain": "{value}",
        "cite": CITE,
    }


# Mitigation (ATT Art. 7(2), 11(2)): a control lowers the criterion only when offered and its
# requirement is established; an unknown requirement is not credited. The criterion scores 3 (the
# denial threshold); a credited control takes 1 off, leaving 2: approval with conditions.
MITIGATION_TABLE = [
    # offered, requirement (None: the mitigation has none), decision, refusal codes
    (True, "none", "approve_with_conditions", ()),
    (True, T, "approve_with_conditions", ()),
    (True, U, "deny", ("2a",)),
    (True, F, "deny", ("2a",)),
    (False, T, "deny", ("2a",)),
    (False, "none", "deny", ("2a",)),
]


@pytest.mark.parametrize(("offered", "requirement", "decision", "codes"), MITIGATION_TABLE)
def test_mitigation(offered: bool, requirement: Any, decision: str, codes: tuple[str, ...]) -> None:
    m: dict[str, Any] = {
        "id": "vetting",
        "title": "Vetting",
        "control": "unit_vetting",
        "reduces": {"risk": 1},
        "condition_text": "Vet the unit.",
        "cite": CITE,
    }
    if requirement != "none":
        m["requires"] = cond("unit.quantity_plausible")
    rules = rule_set(criteria=[criterion(cap=1)], mitigations=[m])
    fs = facts(
        country__hr_violations_established=True,
        unit__quantity_plausible=None if requirement == "none" else requirement,
        controls=("unit_vetting",) if offered else (),
    )
    assert both(rules, fs) == [(decision, codes)] * 2


# Missing evidence is never good news, and a refusal rests on evidence. A factor scoring 3 when true,
# 0 when false, in a clear-risk criterion (conditions 1.5, refer 2.5, deny 3):
#   assume_worst: missing scores 3 (the worst): the risk reaches denial, but only through the gap
#                 (favourable evidence would leave it at 0) -> refer until established, no code;
#   assume (2):   missing scores the declared 2 -> conditions;
#   refer:        missing scores 3 and the case is referred until it is established -> refer;
# contested evidence is scored on its worst reading, and a refusal may rest on it.
MISSING_TABLE = [
    # policy, evidence, decision, refusal codes
    ("assume_worst", None, "refer", ()),
    ("assume", None, "approve_with_conditions", ()),
    ("refer", None, "refer", ()),
    ("assume_worst", False, "approve", ()),
    ("assume", False, "approve", ()),
    ("refer", False, "approve", ()),
    ("assume_worst", True, "deny", ("2a",)),
    ("refer", True, "deny", ("2a",)),
    ("assume", (False, True), "deny", ("2a",)),
    ("refer", (False, True), "deny", ("2a",)),
]


@pytest.mark.parametrize(("policy", "evidence", "decision", "codes"), MISSING_TABLE)
def test_missing_evidence_policy(policy: str, evidence: Any, decision: str, codes: tuple[str, ...]) -> None:
    missing = {"policy": policy, **({"score": 2} if policy == "assume" else {})}
    rules = rule_set(criteria=[criterion(factors=[factor("country.hr_violations_established", missing)])])
    assert both(rules, facts(country__hr_violations_established=evidence)) == [(decision, codes)] * 2


# More specific evidence outranks a general record (the unit's own record; whether the items are of the
# kind used in a documented pattern): established, the general record counts with its reduced weight
# (here 0.25 of 1) and sets no floor; missing, both readings are tried and the riskier kept, and a
# denial that rests on that gap alone is referred. The country record scores 4 (floor 3: deny) and the
# unit's own record 0 when clean, 4 when not.
OUTRANKING_TABLE = [
    # the unit's record, decision, refusal codes
    (False, "approve", ()),
    (True, "deny", ("2a",)),
    (None, "refer", ()),
]


@pytest.mark.parametrize(("unit", "decision", "codes"), OUTRANKING_TABLE)
def test_outranking(unit: bool | None, decision: str, codes: tuple[str, ...]) -> None:
    country = factor("country.hr_violations_established", None, "country", true_score=4)
    country["outranked_by"] = {"field": "unit.credible_gvhr_information", "weight": 0.25}
    own = factor("unit.credible_gvhr_information", {"policy": "assume_worst"}, "unit", true_score=4)
    own["weight"] = 3
    rules = rule_set(criteria=[criterion(factors=[country, own])])
    fs = facts(country__hr_violations_established=True, unit__credible_gvhr_information=unit)
    assert both(rules, fs) == [(decision, codes)] * 2


# A factor may count only where a condition holds (applies_when): left out where it does not (no
# weight, no floor); where it cannot be established, both readings are tried and the riskier kept,
# and a denial resting on that gap is referred. The factor scores 4 when true; the criterion has
# another factor at 0.
APPLIES_TABLE = [
    # the condition, decision, refusal codes
    (T, "deny", ("2a",)),
    (F, "approve", ()),
    (U, "refer", ()),
]


@pytest.mark.parametrize(("condition", "decision", "codes"), APPLIES_TABLE)
def test_applies_when(condition: bool | None, decision: str, codes: tuple[str, ...]) -> None:
    conditional = factor("country.ihl_violations_credible", None, "conditional", true_score=4)
    conditional["applies_when"] = cond("conflicts.recipient_party")
    rules = rule_set(criteria=[criterion(factors=[conditional, factor("country.hr_violations_established")])])
    fs = facts(
        country__ihl_violations_credible=True,
        country__hr_violations_established=False,
        conflicts__recipient_party=condition,
    )
    assert both(rules, fs) == [(decision, codes)] * 2


def test_a_denial_that_stands_on_established_evidence_is_not_held_for_missing_evidence() -> None:
    """'refer' policy, missing, but another factor alone reaches denial (weakest link, floor gap 0):
    the favourable reading of the gap would still deny, so the denial stands."""
    fs = [
        factor("country.hr_violations_established", {"policy": "refer"}, "gap"),
        factor("country.ihl_violations_credible", None, "known", true_score=4),
    ]
    rules = rule_set(criteria=[criterion(factors=fs)])
    assert both(rules, facts(country__ihl_violations_credible=True)) == [("deny", ("2a",))] * 2


# Levels: the residual risk against the thresholds, exactly on, just under, just over. A 'consider'
# criterion (EU CP criteria 5-8) can refer but never refuse.
LEVEL_TABLE = [
    # kind, score, decision, refusal codes
    ("clear_risk", 1.49, "approve", ()),
    ("clear_risk", 1.5, "approve_with_conditions", ()),
    ("clear_risk", 2.49, "approve_with_conditions", ()),
    ("clear_risk", 2.5, "refer", ()),
    ("clear_risk", 2.99, "refer", ()),
    ("clear_risk", 3, "deny", ("2a",)),
    ("overriding_risk", 3.49, "refer", ()),
    ("overriding_risk", 3.5, "deny", ("2a",)),
    ("consider", 1.99, "approve", ()),
    ("consider", 2, "approve_with_conditions", ()),
    ("consider", 3, "refer", ()),
    ("consider", 4, "refer", ()),
]


@pytest.mark.parametrize(("kind", "score", "decision", "codes"), LEVEL_TABLE)
def test_criterion_level(kind: str, score: float, decision: str, codes: tuple[str, ...]) -> None:
    rules = rule_set(
        criteria=[criterion(kind, [factor("country.hr_violations_established", true_score=score)])]
    )
    assert both(rules, facts(country__hr_violations_established=True)) == [(decision, codes)] * 2


def test_one_refusal_is_not_averaged_away_by_other_steps() -> None:
    """The most severe call decides: a prohibition over a rebutted presumption and a clean criterion."""
    rules = rule_set(
        prohibitions=[
            {
                "id": "p",
                "title": "P",
                "when": cond("embargo.un"),
                "refusal_code": "1a",
                "explain": "x",
                "cite": CITE,
            }
        ],
        escalations=[
            {
                "id": "e",
                "title": "E",
                "when": cond("unit.implicated_in_war_crimes"),
                "outcome": "refer",
                "explain": "x",
                "cite": CITE,
            }
        ],
    )
    assert (
        both(rules, facts(embargo__un=True, unit__implicated_in_war_crimes=True))
        == [("prohibited", ("1a",))] * 2
    )
