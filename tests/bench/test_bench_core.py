"""Benchmarks of the core (run with `make bench`; in `make test` each runs once, as a plain test).

values_ms: one assessment to its outcome and full trace of values (facts derived, the plan evaluated
by the scalar interpreter; no sentences), target <= 0.4 ms.
single_ms: one assessment with its explained trace (``assess``: values put into words), the key the
bench line has always carried.
text_ms: the same with the text explanation rendered (what ``riskcheck assess`` prints), target <= 1 ms.
Rules compiled once, as the app and batch paths do. Also measured: loading + assessing from files,
and rendering.
"""

from __future__ import annotations

from pathlib import Path

from riskcheck import assess
from riskcheck.engine import compile_plan, evaluate
from riskcheck.explain import as_json, as_text
from riskcheck.facts import facts_for
from riskcheck.loader import load_rules, load_scenario

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules" / "baseline.yaml"
SCENARIO = ROOT / "scenarios" / "valdoria-rifles-weak-stockpile.yaml"


def test_single_assessment_values(benchmark):
    rules, scenario = load_rules(RULES), load_scenario(SCENARIO)
    plan, day = compile_plan(rules), scenario.model.date
    ev = benchmark(lambda: evaluate(plan, facts_for(scenario, day, rules), day))
    assert ev.decision == "deny"
    assert sum(len(c.factors) for c in ev.criteria) >= 20  # the full trace of values is there


def test_single_assessment_full_trace(benchmark):
    rules, scenario = load_rules(RULES), load_scenario(SCENARIO)
    compile_plan(rules)
    result = benchmark(assess, rules, scenario)
    assert result.decision == "deny"
    assert sum(len(c.factors) for c in result.criteria) >= 20  # the full trace is there


def test_single_assessment_with_text(benchmark):
    rules, scenario = load_rules(RULES), load_scenario(SCENARIO)
    compile_plan(rules)
    text = benchmark(lambda: as_text(assess(rules, scenario)))
    assert "DECISION: DENY" in text


def test_load_and_assess_from_files(benchmark):
    result = benchmark(lambda: assess(load_rules(RULES), load_scenario(SCENARIO)))
    assert result.decision == "deny"


def test_render_json_and_text(benchmark):
    result = assess(load_rules(RULES), load_scenario(SCENARIO))
    out = benchmark(lambda: (as_json(result), as_text(result)))
    assert '"decision": "deny"' in out[0]
