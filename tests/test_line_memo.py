"""The item lines of one case share the evaluation of a criterion whose facts read the same on each
(``evaluate(..., memo=...)``, as ``assess`` does): each line's values, reasons and missing evidence
must be exactly those of evaluating the line on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskcheck.engine import compile_plan, evaluate
from riskcheck.facts import facts_for_lines, with_value
from riskcheck.loader import load_rules, load_scenario

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules(ROOT / "rules" / "baseline.yaml")
# two lines that differ in what some criteria read (a portable and a heavy item; a capability)
MIXED = ["corvania-mixed-licence.yaml", "iraq-2005-ad-hoc-rifles.yaml", "valdoria-rifles-weak-stockpile.yaml"]


@pytest.mark.parametrize("name", MIXED)
def test_shared_evaluation_equals_each_line_on_its_own(name):
    sc = load_scenario(ROOT / "scenarios" / name)
    plan, day = compile_plan(RULES), sc.model.date
    lines = facts_for_lines(sc, day, RULES)
    memo: dict = {}
    shared = [evaluate(plan, f, day, memo=memo) for f in lines]
    assert shared == [evaluate(plan, f, day) for f in lines]
    assert 0 < len(memo) < len(lines) * len(plan.criteria)  # some criteria were evaluated once


def test_a_fact_read_differently_on_one_line_is_not_shared():
    # corvania's lines differ in their decisions (approve with conditions vs deny): a memo that
    # shared every criterion would give both lines the first line's levels.
    sc = load_scenario(ROOT / "scenarios" / "corvania-mixed-licence.yaml")
    plan, day = compile_plan(RULES), sc.model.date
    lines = facts_for_lines(sc, day, RULES)
    memo: dict = {}
    assert [evaluate(plan, f, day, memo=memo).decision for f in lines] == ["approve_with_conditions", "deny"]


def test_equal_values_of_another_type_are_not_shared():
    # True == 1, but a band scores the number and a table the flag: the reading is typed.
    sc = load_scenario(ROOT / "scenarios" / "valdoria-rifles-weak-stockpile.yaml")
    plan, day = compile_plan(RULES), sc.model.date
    facts = facts_for_lines(sc, day, RULES)[0]
    field = next(
        fp.input
        for cp in plan.criteria
        for fp in cp.factors
        if isinstance(facts[fp.input].value, bool) and not fp.outranked_by
    )
    flag = dict(facts)
    number = dict(facts, **{field: with_value(facts[field], int(facts[field].value))})
    memo: dict = {}
    evaluate(plan, flag, day, memo=memo)
    assert evaluate(plan, number, day, memo=memo) == evaluate(plan, number, day)
