"""Benchmarks of the core (run with `make bench`; in `make test` each runs once, as a plain test).

single_ms: one assessment with its full trace on the baseline rule set (rules compiled once, as the
app and batch paths do). Also measured: loading + assessing from files, and rendering.
"""

from __future__ import annotations

from pathlib import Path

from riskcheck.engine import assess, compile_rules
from riskcheck.explain import as_json, as_text
from riskcheck.loader import load_rules, load_scenario

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules" / "baseline.yaml"
SCENARIO = ROOT / "scenarios" / "valdoria-rifles-weak-stockpile.yaml"


def test_single_assessment_full_trace(benchmark):
    rules, scenario = load_rules(RULES), load_scenario(SCENARIO)
    compile_rules(rules)
    result = benchmark(assess, rules, scenario)
    assert result.decision == "deny"
    assert sum(len(c.factors) for c in result.criteria) >= 20  # the full trace is there


def test_load_and_assess_from_files(benchmark):
    result = benchmark(lambda: assess(load_rules(RULES), load_scenario(SCENARIO)))
    assert result.decision == "deny"


def test_render_json_and_text(benchmark):
    result = assess(load_rules(RULES), load_scenario(SCENARIO))
    out = benchmark(lambda: (as_json(result), as_text(result)))
    assert '"decision": "deny"' in out[0]
