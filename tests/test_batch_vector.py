"""The vectorised evaluator against the engine, on random facts and varied rule sets (hypothesis).

Each example is a small table of random facts (missing, contested, multi-item sets, any date)
evaluated at once by ``vector.evaluate`` and row by row by ``engine.evaluate``; the outcomes must
be equal. The rule sets are the bundled ones, the test fixtures, and variants of the baseline with
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

from riskcheck import vocabulary as v
from riskcheck.engine import assess, compile_rules, evaluate, facts_for, meta_for
from riskcheck.facts import FIELDS, Fact
from riskcheck.loader import LoadedRules, load_rules, load_scenario
from riskcheck.paths import scenario_files
from riskcheck.trace import DECISIONS
from riskcheck.vector import Column, FactTable, Params
from riskcheck.vector import evaluate as vevaluate
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
COMPILED = [compile_rules(r) for r in RULES]


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


def _check_rows(
    cr: Any, facts: list[dict[str, Fact]], dates: list[dt.date], params: Params | None = None
) -> None:
    out = vevaluate(cr, FactTable.from_facts(facts, dates), params)
    decisions, codes, reasons = out.decisions(), out.refusal_codes(), out.reasons()
    for i, (f, day) in enumerate(zip(facts, dates, strict=True)):
        a = evaluate(cr, f, meta_for(cr.loaded, SCENARIO, day))
        assert decisions[i] == a.decision, i
        assert codes[i] == ";".join(a.refusal_codes)
        assert reasons[i] == ";".join(r.rule_id for r in a.reasons if r.outcome == a.decision)
        assert out.missing[i] == len(a.missing)
        in_effect = {c.id: c for c in a.criteria}
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
    _check_rows(COMPILED[which], [f for f, _ in rows], [d for _, d in rows])


@pytest.mark.parametrize("rules", RULES, ids=lambda r: Path(r.path).name)
def test_vector_equals_engine_on_every_bundled_scenario(rules: LoadedRules) -> None:
    files = scenario_files([ROOT / "scenarios"])
    scenarios = [load_scenario(p) for p in files]
    facts = [facts_for(s, s.model.date, rules) for s in scenarios]
    out = vevaluate(compile_rules(rules), FactTable.from_facts(facts, [s.model.date for s in scenarios]))
    for i, s in enumerate(scenarios):
        a = assess(rules, s)
        assert (out.decisions()[i], out.refusal_codes()[i]) == (a.decision, ";".join(a.refusal_codes)), s.path
        assert all(out.residual[c.id][i] == c.residual for c in a.criteria), s.path


def test_weights_and_thresholds_can_vary_per_row() -> None:
    """Params (robustness draws): per-row weights and threshold shifts equal re-compiled rule sets."""
    import dataclasses

    from riskcheck.rules_model import Thresholds

    rules = load_rules(ROOT / "rules" / "baseline.yaml")
    cr = compile_rules(rules)
    s = load_scenario(ROOT / "scenarios" / "valdoria-rifles-weak-stockpile.yaml")
    facts = facts_for(s, s.model.date, rules)
    rng = np.random.default_rng(5)
    n = 40
    params = Params()
    for ci, cc in enumerate(cr.criteria):
        for fi, _ in enumerate(cc.factors):
            params.weights[(ci, fi)] = np.array([cc.factors[fi].weight * m for m in rng.uniform(0.5, 1.5, n)])
        params.shifts[ci] = rng.uniform(-0.75, 0.75, n)
    table = FactTable.from_facts([facts], [s.model.date])
    table = table.take(np.zeros(n, dtype=np.intp))
    out = vevaluate(cr, table, params)
    for k in range(n):
        criteria = []
        for ci, cc in enumerate(cr.criteria):
            factors = tuple(
                dataclasses.replace(cf, weight=float(params.weights[(ci, fi)][k]))
                for fi, cf in enumerate(cc.factors)
            )
            th, sh = cc.thresholds, float(params.shifts[ci][k])
            moved = Thresholds.model_construct(
                conditions=th.conditions + sh,
                refer=th.refer + sh,
                deny=None if th.deny is None else th.deny + sh,
            )
            criteria.append(dataclasses.replace(cc, factors=factors, thresholds=moved))
        a = evaluate(
            dataclasses.replace(cr, criteria=tuple(criteria)), facts, meta_for(rules, s, s.model.date)
        )
        assert out.decisions()[k] == a.decision
        assert [out.residual[c.id][k] for c in a.criteria] == [c.residual for c in a.criteria]


def test_columns_keep_true_apart_from_one() -> None:
    col = Column.from_values([True, 1, 1.0, None, False, 0])
    assert col.values == [True, 1, False, 0] and list(col.codes) == [0, 1, 1, -1, 2, 3]
    assert set(DECISIONS) >= {"approve"} and v.CHANNELS


@pytest.mark.parametrize("path", scenario_files([ROOT / "scenarios"]), ids=lambda p: p.stem)
def test_fast_robustness_equals_whatif(path: Path) -> None:
    from riskcheck.paths import rules_file_for
    from riskcheck.vector import robustness as fast
    from riskcheck.whatif import Context, robustness, robustness_reference

    s = load_scenario(path)
    ctx = Context(load_rules(rules_file_for(s.model.rules, path)), s)
    assert fast(ctx, 100, seed=3) == robustness_reference(ctx, 100, seed=3)
    assert robustness(ctx, 100, seed=3) == robustness_reference(
        ctx, 100, seed=3
    )  # the API uses the fast path
