"""Properties over random evidence on the baseline rule set: determinism, bounds, monotonicity.

Evidence is varied at the level of facts and fed to the engine's evaluate() and the explain
layer, the functions assess() itself calls, so each example costs microseconds rather than a
YAML parse.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from riskcheck.engine import compile_plan, evaluate
from riskcheck.engine.plan import step_id
from riskcheck.explain import as_json, explain
from riskcheck.facts import Fact, facts_for
from riskcheck.loader import load_rules, load_scenario
from riskcheck.pipeline import meta_for
from riskcheck.trace import SEVERITY

ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules(ROOT / "rules" / "baseline.yaml")
SCENARIO = load_scenario(ROOT / "scenarios" / "valdoria-rifles-rebutted.yaml")
PLAN = compile_plan(RULES)
BASE = facts_for(SCENARIO, SCENARIO.model.date)
META = meta_for(RULES, SCENARIO, SCENARIO.model.date)

# Each indicator's possible values, ordered from best to worst (domain.md §7 directions).
ORDERED: dict[str, list] = {
    "country.pts": [1, 2, 3, 4, 5],
    "country.cpi": list(range(100, -1, -10)),
    "country.hdi": [0.95, 0.8, 0.7, 0.6, 0.5, 0.3],
    "country.milex_pct_gdp": [0.5, 2, 3, 5, 8],
    "country.internal_conflict": ["none", "tension", "minor", "war"],
    "country.interstate_conflict": ["none", "dispute", "threat", "active"],
    "country.gbv_risk": ["low", "moderate", "high"],
    "country.nonproliferation_record": ["good", "mixed", "poor"],
    "country.stockpile_records": [3, 2, 1, 0],
    "country.stockpile_physical_security": [3, 2, 1, 0],
    "country.stockpile_overrun_resilience": [3, 2, 1, 0],
    "unit.past_conduct_with_similar_items": ["lawful", "some_concerns", "misuse_documented"],
    **{
        f: [False, True]
        for f in (
            "country.ihl_violations_credible",
            "country.diversion_history",
            "country.conflict_near_depots",
            "country.reexport_breaches",
            "country.terrorism_support",
            "country.hr_violations_established",
            "country.territorial_claim_by_force",
            "country.threat_to_eu_allies",
            "unit.credible_gvhr_information",
        )
    },
    **{
        f: [True, False]
        for f in (
            "unit.ihl_compliance_mechanisms",
            "unit.quantity_plausible",
            "unit.stockpile_control_demonstrated",
        )
    },
}
FIELDS = sorted(ORDERED)
CONTROLS = [
    "euc_government",
    "no_reexport_clause",
    "delivery_verification",
    "serial_number_lists",
    "psv_consent",
    "enhanced_eum",
    "pssm_assistance",
    "unit_vetting",
    "ihl_training",
]

ranks = st.fixed_dictionaries({f: st.integers(0, len(ORDERED[f]) - 1) for f in FIELDS})


def facts_with(
    rank: dict[str, int], controls: frozenset[str] = frozenset(), missing: frozenset[str] = frozenset()
):
    facts = dict(BASE)
    for f, i in rank.items():
        facts[f] = Fact(None, "missing") if f in missing else Fact(ORDERED[f][i], "known", source="generated")
    facts["transfer.controls"] = Fact(controls, "known")
    return facts


def run(facts):
    return explain(PLAN, facts, META, evaluate(PLAN, facts, SCENARIO.model.date))


@settings(max_examples=150, deadline=None)
@given(ranks, st.sets(st.sampled_from(CONTROLS)).map(frozenset))
def test_determinism_and_bounds(rank, controls):
    facts = facts_with(rank, controls)
    a, b = run(facts), run(dict(facts))
    assert a == b and as_json(a) == as_json(b)
    pol = RULES.model.policy
    for c in a.criteria:
        assert pol.score_min <= c.residual <= c.inherent <= pol.score_max
        assert c.inherent - c.residual <= c.mitigation_cap + 1e-9
        assert c.inherent >= c.worst_factor - pol.floor_gap - 1e-9  # non-compensation
        if not c.mitigable:
            assert c.residual == c.inherent
    assert a.decision in SEVERITY
    if a.decision in ("deny", "prohibited"):
        assert a.refusal_codes
    else:
        assert a.refusal_codes == ()


@settings(max_examples=200, deadline=None)
@given(ranks, st.sampled_from(FIELDS), st.sets(st.sampled_from(CONTROLS)).map(frozenset))
def test_worse_evidence_never_lowers_risk(rank, field, controls):
    if rank[field] == len(ORDERED[field]) - 1:
        return  # already the worst value
    worse = {**rank, field: rank[field] + 1}
    a, b = run(facts_with(rank, controls)), run(facts_with(worse, controls))
    for ca, cb in zip(a.criteria, b.criteria, strict=True):
        assert cb.inherent >= ca.inherent - 1e-9, ca.id
        assert cb.residual >= ca.residual - 1e-9, ca.id
    assert SEVERITY[b.decision] >= SEVERITY[a.decision]


def _fields_by_policy() -> tuple[set[str], set[str]]:
    """Fields every reading factor scores as the worst case when missing (assume_worst), and fields
    some factor refers on when missing (refer)."""
    policies: dict[str, set[str]] = {}
    for c in RULES.model.criteria:
        for f in c.factors:
            policies.setdefault(f.input, set()).add(f.missing.policy)
    worst = {k for k, v in policies.items() if v == {"assume_worst"}}
    refer = {k for k, v in policies.items() if "refer" in v}
    return worst, refer


WORST_CASE, REFER_CASE = _fields_by_policy()
FACTOR_INPUTS = {f.input for c in RULES.model.criteria for f in c.factors}


@settings(max_examples=150, deadline=None)
@given(ranks, st.sampled_from(FIELDS))
def test_missing_evidence_never_counts_as_good_news(rank, field):
    # Missing is never better than the most favourable known value, and under 'assume_worst' its risk
    # is never lower than any known value's. A refusal needs evidence of the risk: where a known value
    # would deny, the gap is at least a referral (never an approval); where the most favourable value
    # would not deny, the gap does not deny either (no refusal rests on a gap alone).
    a = run(facts_with(rank if field in WORST_CASE else {**rank, field: 0}))
    good = run(facts_with({**rank, field: 0}))
    b = run(facts_with(rank, missing=frozenset({field})))
    for ca, cb in zip(a.criteria, b.criteria, strict=True):
        assert cb.inherent >= ca.inherent - 1e-9, ca.id
    assert SEVERITY[b.decision] >= SEVERITY[good.decision]
    if SEVERITY[a.decision] >= SEVERITY["deny"]:
        assert SEVERITY[b.decision] >= SEVERITY["refer"]
    if field in REFER_CASE:
        assert SEVERITY[b.decision] >= SEVERITY["refer"]
    if SEVERITY[b.decision] >= SEVERITY["deny"] and b.decision != "prohibited":
        assert SEVERITY[good.decision] >= SEVERITY["deny"], "a denial rests on the gap alone"
    if field in FACTOR_INPUTS:  # rebuttal-only evidence is listed only where the presumption applies
        assert field in {m.field for m in b.missing}


@settings(max_examples=150, deadline=None)
@given(ranks, st.sets(st.sampled_from(CONTROLS)).map(frozenset), st.sampled_from(CONTROLS))
def test_offering_another_control_never_raises_risk(rank, controls, extra):
    a, b = run(facts_with(rank, controls)), run(facts_with(rank, controls | {extra}))
    for ca, cb in zip(a.criteria, b.criteria, strict=True):
        assert cb.residual <= ca.residual + 1e-9
    assert SEVERITY[b.decision] <= SEVERITY[a.decision]


def test_prohibition_outranks_any_evidence():
    best = {f: 0 for f in FIELDS}
    facts = facts_with(best, frozenset(CONTROLS))
    facts["embargo.un"] = dataclasses.replace(facts["embargo.un"], value=True)
    a = run(facts)
    assert a.decision == "prohibited" and "1a" in a.refusal_codes


@settings(max_examples=150, deadline=None)
@given(ranks, st.sets(st.sampled_from(CONTROLS)).map(frozenset))
def test_the_explained_assessment_carries_the_evaluation(rank, controls):
    """What the searches compare (values only) is what a reader is shown (values with words)."""
    facts = facts_with(rank, controls)
    full, lean = run(facts), evaluate(PLAN, facts, SCENARIO.model.date)
    assert (lean.decision, lean.refusal_codes) == (full.decision, full.refusal_codes)
    assert [(PLAN.criteria[c.index].id, c.inherent, c.residual, c.level) for c in lean.criteria] == [
        (c.id, c.inherent, c.residual, c.level) for c in full.criteria
    ]
    assert [(r.outcome, step_id(PLAN, r.step, r.index, r.factor)) for r in lean.reasons] == [
        (r.outcome, r.rule_id) for r in full.reasons
    ]
