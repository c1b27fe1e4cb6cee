"""One transfer under several rule sets. Expected outcomes are the scenario's own `expected` blocks
(reasoned when it was written): valdoria-rifles-weak-stockpile is denied under the baseline (the
presumption of denial and criterion 7), referred under the EU Common Position (criterion 7 is only
taken into account there) and under the ATT minimum (Art. 11 diversion refers)."""

from __future__ import annotations

from pathlib import Path

from riskcheck import assess, load_rules, load_scenario
from riskcheck.compare import compare

ROOT = Path(__file__).resolve().parent.parent
RULE_SETS = ("baseline", "eu-common-position", "att-minimum")


def comparison(scenario: str):
    s = load_scenario(ROOT / "scenarios" / scenario)
    return s, compare([assess(load_rules(ROOT / "rules" / f"{r}.yaml"), s) for r in RULE_SETS])


def test_each_rule_set_keeps_its_decision_and_codes():
    s, c = comparison("valdoria-rifles-weak-stockpile.yaml")
    for a, rid in zip(c.assessments, RULE_SETS, strict=True):
        exp = s.model.expected[rid]
        assert a.decision == exp.decision
        assert list(a.refusal_codes) == list(exp.refusal_codes or [])
    assert not c.same_decision


def test_the_disagreements_are_the_elements_that_decide_differently():
    s, c = comparison("valdoria-rifles-weak-stockpile.yaml")
    rows = {r.key: r for r in c.disagreements}
    presumption = rows["presumption presumption-looted-stocks"]
    assert [x.outcome if x else None for x in presumption.cells] == ["deny", None, None]
    assert "Not demonstrated" in presumption.cells[0].why
    diversion = rows["criterion c7-diversion"]
    assert [x.outcome if x else None for x in diversion.cells] == ["deny", "refer", None]
    assert rows["criterion att-11-diversion"].cells[2].outcome == "refer"
    # the most severe call first: the presumption and criterion 7 deny under the baseline
    assert {c.disagreements[0].key, c.disagreements[1].key} == {
        "presumption presumption-looted-stocks",
        "criterion c7-diversion",
    }
    # what every rule set scores alike is not a disagreement
    assert "criterion c1-obligations" not in rows


def test_one_rule_set_against_itself_agrees_everywhere():
    s = load_scenario(ROOT / "scenarios" / "nordvale-g2g-approve.yaml")
    a = assess(load_rules(ROOT / "rules" / "baseline.yaml"), s)
    c = compare([a, a])
    assert c.same_decision and c.disagreements == ()
