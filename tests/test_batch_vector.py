"""The array interpreter against the scalar interpreter, on random facts and varied rule sets
(hypothesis).

Each example is a small table of random facts (missing, contested, multi-item sets, any date)
evaluated at once by ``engine.arrays.evaluate`` and row by row by ``engine.evaluate``; the outcomes
must be equal. The rule sets are the bundled ones, the test fixtures, and variants of the baseline with
effective dates on elements, weakest-link floors, criterion thresholds and extra mitigation
requirements, so that every code path of the engine is compared, not only the bundled numbers.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskcheck import assess
from riskcheck import vocabulary as v
from riskcheck.engine import Params, Plan, compile_plan, evaluate
from riskcheck.engine.arrays import evaluate as evaluate_arrays
from riskcheck.engine.columns import Column, FactTable
from riskcheck.engine.plan import step_id
from riskcheck.facts import FIELDS, Fact, facts_for, facts_for_lines
from riskcheck.loader import LoadedRules, load_rules, load_scenario
from riskcheck.paths import scenario_files
from riskcheck.trace import DECISIONS
from tests.conftest import FIXTURES, rules_from

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted((ROOT / "rules").glob("*.yaml")) + sorted((FIXTURES / "rules").glob("*.yaml"))
SCENARIO = load_scenario(sorted((ROOT / "scenarios").glob("*.yaml"))[0])


def _variants() -> list[LoadedRules]:
    """Baseline variants that exercise what the bundled numbers may not."""
    base = yaml.safe_load((ROOT / "rules" / "baseline.yaml").read_text())
    out = []
    dated = copy.deepcopy(base)
    for i, p in enumerate(dated["prohibitions"]):
        p["effective_from"] = dt.date(2016 + i, 1, 1)
    for i, c in enumerate(dated["criteria"]):
        if i % 3 == 0:
            c["effective_to"] = dt.date(2022, 6, 30)
        if i % 3 == 1:
            c["effective_from"] = dt.date(2019, 3, 1)
    for i, m in enumerate(dated["mitigations"]):
        if i % 2:
            m["effective_from"] = dt.date(2020, 1, 1)
    for e in dated["escalations"][::2]:
        e["effective_to"] = dt.date(2021, 12, 31)
    dated["presumptions"][0]["effective_from"] = dt.date(2018, 1, 1)
    out.append(dated)
    strict = copy.deepcopy(base)
    strict["policy"]["floor_gap"] = 0.5
    for i, c in enumerate(strict["criteria"]):
        c["floor_gap"] = [0, 0.25, 1.5][i % 3]
        if c["kind"] != "consider":
            c["thresholds"] = {"conditions": 1, "refer": 2, "deny": 2.75}
    for m in strict["mitigations"]:
        m.setdefault("requires", {"field": "end_user.unit_named", "op": "eq", "value": True})
    out.append(strict)
    return [rules_from(d, f"variant-{i}.yaml") for i, d in enumerate(out)]


RULES = [load_rules(p) for p in RULE_FILES] + _variants()
COMPILED = [compile_plan(r) for r in RULES]


def _field_strategy(name: str) -> st.SearchStrategy[Fact]:
    spec = FIELDS[name]
    if spec.kind == "bool":
        base: st.SearchStrategy[Any] = st.booleans()
    elif spec.kind == "enum":
        base = st.sampled_from(spec.values)
    elif spec.kind == "int":
        lo = int(spec.low) if spec.low is not None else 0
        base = st.integers(lo, int(spec.high) if spec.high is not None else lo + 12)
    elif spec.kind == "number":
        hi = spec.high if spec.high is not None else 1e7
        base = st.one_of(
            st.floats(spec.low or 0, min(hi, 12), allow_nan=False),
            st.sampled_from([0.55, 0.7, 0.8, 2, 4, 6]),
        )
    elif spec.kind == "set":
        base = st.frozensets(st.sampled_from(spec.values), max_size=4)
    else:
        base = st.sampled_from(["IRQ", "SYR", "XVL", "XNV", "RUS", "XKA"])
    known = base.map(lambda x: Fact(x, "known"))
    if spec.kind == "set":
        return known  # transfer fields: always stated
    contested = st.lists(base, min_size=2, max_size=3, unique=True).map(
        lambda xs: Fact(xs[0], "contested", alternatives=tuple(xs[1:]))
    )
    if name in (
        "transfer.channel",
        "end_user.type",
        "recipient.country",
        "exporter.country",
        "end_user.unit_named",
    ):
        return known
    return st.one_of(known, known, st.just(Fact(None, "missing")), contested)


FACTS = st.fixed_dictionaries({name: _field_strategy(name) for name in FIELDS})
DATES = st.dates(dt.date(2010, 1, 1), dt.date(2030, 12, 31))


def check_rows(
    plan: Plan, facts: list[dict[str, Fact]], dates: list[dt.date], params: list[Params] | None = None
) -> None:
    """Every row of the array interpreter's outcome equals the scalar interpreter's (``params``: one
    Params per row, stacked into arrays for the array interpreter)."""
    stacked = None
    if params is not None:
        stacked = Params(
            {k: np.array([p.weights[k] for p in params]) for k in params[0].weights},
            {k: np.array([p.shifts[k] for p in params]) for k in params[0].shifts},
        )
    out = evaluate_arrays(plan, FactTable.from_facts(facts, dates), stacked)
    decisions, codes, reasons = out.decisions(), out.refusal_codes(), out.reasons()
    for i, (f, day) in enumerate(zip(facts, dates, strict=True)):
        ev = evaluate(plan, f, day, None if params is None else params[i])
        assert decisions[i] == ev.decision, i
        assert codes[i] == ";".join(ev.refusal_codes)
        named = [step_id(plan, r.step, r.index, r.factor) for r in ev.reasons if r.outcome == ev.decision]
        assert reasons[i] == ";".join(named)
        assert out.missing[i] == len(ev.missing)
        in_effect = {plan.criteria[c.index].id: c for c in ev.criteria}
        for cid in out.criterion_ids:
            c = in_effect.get(cid)
            if c is None:
                assert np.isnan(out.residual[cid][i]) and out.level[cid][i] == -1
            else:
                assert out.residual[cid][i] == c.residual and out.inherent[cid][i] == c.inherent, cid
                assert out.levels(cid)[i] == c.level, cid


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.integers(0, len(RULES) - 1), st.lists(st.tuples(FACTS, DATES), min_size=1, max_size=12))
def test_vector_equals_engine_on_random_facts(
    which: int, rows: list[tuple[dict[str, Fact], dt.date]]
) -> None:
    check_rows(COMPILED[which], [f for f, _ in rows], [d for _, d in rows])


@pytest.mark.parametrize("rules", RULES, ids=lambda r: Path(r.path).name)
def test_vector_equals_engine_on_every_bundled_scenario(rules: LoadedRules) -> None:
    """Every item line of every bundled scenario as a row; and the transfer's decision, the most
    severe of its rows, equals ``assess``."""
    plan = compile_plan(rules)
    scenarios = [load_scenario(p) for p in scenario_files([ROOT / "scenarios"])]
    rows, days, owner = [], [], []
    for k, s in enumerate(scenarios):
        for facts in facts_for_lines(s, s.model.date, rules):
            rows.append(facts)
            days.append(s.model.date)
            owner.append(k)
    check_rows(plan, rows, days)
    out = evaluate_arrays(plan, FactTable.from_facts(rows, days)).decision
    for k, s in enumerate(scenarios):
        worst = max(int(d) for d, o in zip(out, owner, strict=True) if o == k)
        assert DECISIONS[worst] == assess(rules, s).decision, s.path


def test_weights_and_thresholds_can_vary_per_row() -> None:
    """Params (robustness draws): per-row weights and threshold shifts give, row by row, what the
    scalar interpreter gives with the same weights and shifts."""
    rules = load_rules(ROOT / "rules" / "baseline.yaml")
    plan = compile_plan(rules)
    s = load_scenario(ROOT / "scenarios" / "valdoria-rifles-weak-stockpile.yaml")
    facts = facts_for(s, s.model.date, rules)
    rng = np.random.default_rng(5)
    rows = []
    for _ in range(40):
        p = Params()
        for ci, c in enumerate(plan.criteria):
            for fi, f in enumerate(c.factors):
                p.weights[(ci, fi)] = f.weight * float(rng.uniform(0.5, 1.5))
            p.shifts[ci] = float(rng.uniform(-0.75, 0.75))
        rows.append(p)
    check_rows(plan, [facts] * len(rows), [s.model.date] * len(rows), rows)
    # the draws really move the figures compared above, and the decision with them
    residuals = {tuple(c.residual for c in evaluate(plan, facts, s.model.date, p).criteria) for p in rows}
    assert len(residuals) == len(rows)


def test_columns_keep_true_apart_from_one() -> None:
    col = Column.from_values([True, 1, 1.0, None, False, 0])
    assert col.values == [True, 1, False, 0] and list(col.codes) == [0, 1, 1, -1, 2, 3]
    assert set(DECISIONS) >= {"approve"} and v.CHANNELS


@pytest.mark.parametrize("path", scenario_files([ROOT / "scenarios"]), ids=lambda p: p.stem)
def test_fast_robustness_equals_the_reference(path: Path) -> None:
    from riskcheck.paths import rules_file_for
    from riskcheck.robustness import robustness, robustness_reference
    from riskcheck.whatif import Context

    s = load_scenario(path)
    ctx = Context(load_rules(rules_file_for(s.model.rules, path)), s)
    assert robustness(ctx, 100, seed=3) == robustness_reference(ctx, 100, seed=3)
