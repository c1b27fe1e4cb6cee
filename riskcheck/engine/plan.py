"""A rule set compiled once into a plan that both interpreters evaluate.

The plan holds each step of the rule set in the order of the file, with what evaluating it needs:
compiled conditions (three-valued, ``conditions.py``), factor scorers, weights, thresholds, the
mitigations that may lower each criterion, and where in the rule file each element was written
(for the trace). It has no wording: sentences are the explain layer's. One cache, keyed by the
rule file and its sha256, serves the one-case path and the array path alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..conditions import Compiled, compile_condition
from ..loaded import LoadedRules
from ..rules_model import Criterion, Factor, Mitigation, RebuttalItem


@dataclass(frozen=True, slots=True)
class FactorPlan:
    spec: Factor
    slot: str  # "criterion/factor": how the trace names it
    input: str
    weight: float
    scores: tuple[float, ...]  # every score its table or bands can give
    worst: float
    best: float
    missing_policy: str
    missing_score: float  # what missing evidence scores (the declared score under 'assume', else the worst)
    outranked_by: tuple[str, ...]  # the fields whose established evidence outranks this factor
    outranked_weight: float | None
    applies: Compiled | None  # the factor counts only where this holds
    score_of: Callable[[Any], float | None]  # one established reading -> its score (None: out of every band)
    at: str


@dataclass(frozen=True, slots=True)
class CriterionPlan:
    spec: Criterion
    factors: tuple[FactorPlan, ...]
    gap: float
    mitigable: bool
    cap: float
    conditions_at: float
    refer_at: float
    deny_at: float | None
    credits: tuple[tuple[int, float], ...]  # (mitigation index, amount) for each control that lowers it
    at: str
    reads: tuple[str, ...] = ()  # every field its factors read: the same facts, the same values

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True, slots=True)
class ItemPlan:
    spec: RebuttalItem
    cond: Compiled
    at: str


@dataclass(frozen=True, slots=True)
class RulePlan:
    """A prohibition, presumption or escalation: a condition and the outcome it calls for."""

    kind: str  # prohibition | presumption | escalation
    spec: Any  # Prohibition | Presumption | Escalation
    cond: Compiled
    declared: str | None  # the escalation's outcome or the presumption's minimum when rebutted
    code: str | None
    items: tuple[ItemPlan, ...]  # a presumption's rebuttal checklist
    at: str

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True, slots=True)
class MitigationPlan:
    spec: Mitigation
    requires: Compiled | None
    at: str


@dataclass(frozen=True)
class Plan:
    loaded: LoadedRules
    prohibitions: tuple[RulePlan, ...]
    mitigations: tuple[MitigationPlan, ...]
    criteria: tuple[CriterionPlan, ...]
    presumptions: tuple[RulePlan, ...]
    escalations: tuple[RulePlan, ...]
    score_min: float
    score_max: float
    stale_after_days: int
    refusal_code_names: tuple[str, ...]
    # Results of condition leaves and factor scorers per distinct value, kept for the array
    # interpreter across calls (a plan is compiled once and evaluated many times).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def rules(self) -> Any:
        return self.loaded.model

    def draw_names(self) -> list[str]:
        """The parameters a robustness run varies, in the order it draws them: per criterion its
        factor weights; then one threshold shift per criterion."""
        names = [f"weight {c.id}/{f.spec.id}" for c in self.criteria for f in c.factors]
        return names + [f"threshold {c.id}" for c in self.criteria]


def _scorer(f: Factor) -> Callable[[Any], float | None]:
    if f.bands is not None:
        bands = tuple((b.min, b.max, float(b.score)) for b in f.bands)

        def by_band(x: Any) -> float | None:
            for lo, hi, s in bands:
                if (lo is None or x >= lo) and (hi is None or x < hi):
                    return s
            return None

        return by_band
    # True is not 1 in a score table: the key carries whether the value is a bool.
    table = {(type(r.value) is bool, r.value): float(r.score) for r in f.table or ()}
    return lambda x: table.get((type(x) is bool, x))


_CACHE: dict[tuple[str, str], Plan] = {}


def compile_plan(lr: LoadedRules) -> Plan:
    """The plan of a loaded rule set (compiled once per file version)."""
    key = (lr.path, lr.sha256)
    hit = _CACHE.get(key)
    if hit is None:
        hit = _CACHE[key] = _compile(lr)
    return hit


def _compile(lr: LoadedRules) -> Plan:
    rs = lr.model
    pol = rs.policy

    def at(*loc: Any) -> str:
        return str(lr.line_of(*loc))

    mitigations = tuple(
        MitigationPlan(
            m, compile_condition(m.requires) if m.requires is not None else None, at("mitigations", i)
        )
        for i, m in enumerate(rs.mitigations)
    )
    criteria = []
    for ci, c in enumerate(rs.criteria):
        factors = []
        for fi, f in enumerate(c.factors):
            scores = tuple(float(b.score) for b in (f.bands or f.table or ()))
            worst = max(scores)
            factors.append(
                FactorPlan(
                    spec=f,
                    slot=f"{c.id}/{f.id}",
                    input=f.input,
                    weight=float(f.weight),
                    scores=scores,
                    worst=worst,
                    best=min(scores),
                    missing_policy=f.missing.policy,
                    missing_score=float(f.missing.score) if f.missing.policy == "assume" else worst,  # type: ignore[arg-type]
                    outranked_by=f.outranked_by.fields if f.outranked_by else (),
                    outranked_weight=float(f.outranked_by.weight) if f.outranked_by else None,
                    applies=compile_condition(f.applies_when) if f.applies_when is not None else None,
                    score_of=_scorer(f),
                    at=at("criteria", ci, "factors", fi),
                )
            )
        th = c.thresholds or pol.thresholds[c.kind]
        criteria.append(
            CriterionPlan(
                spec=c,
                factors=tuple(factors),
                gap=float(c.floor_gap if c.floor_gap is not None else pol.floor_gap),
                mitigable=c.mitigable,
                cap=float(c.max_mitigation) if c.mitigable else 0.0,
                conditions_at=float(th.conditions),
                refer_at=float(th.refer),
                deny_at=None if th.deny is None else float(th.deny),
                credits=tuple(
                    (mi, float(m.reduces[c.id])) for mi, m in enumerate(rs.mitigations) if c.id in m.reduces
                ),
                at=at("criteria", ci),
                reads=tuple(
                    dict.fromkeys(
                        f
                        for fp in factors
                        for f in (fp.input, *fp.outranked_by, *(fp.applies.fields if fp.applies else ()))
                    )
                ),
            )
        )
    prohibitions = tuple(
        RulePlan(
            "prohibition",
            p,
            compile_condition(p.when),
            "prohibited",
            p.refusal_code,
            (),
            at("prohibitions", i),
        )
        for i, p in enumerate(rs.prohibitions)
    )
    presumptions = tuple(
        RulePlan(
            "presumption",
            p,
            compile_condition(p.applies_when),
            p.when_rebutted.minimum_outcome,
            p.refusal_code,
            tuple(
                ItemPlan(r, compile_condition(r.when), at("presumptions", i, "rebuttal", ri))
                for ri, r in enumerate(p.rebuttal)
            ),
            at("presumptions", i),
        )
        for i, p in enumerate(rs.presumptions)
    )
    escalations = tuple(
        RulePlan(
            "escalation", e, compile_condition(e.when), e.outcome, e.refusal_code, (), at("escalations", i)
        )
        for i, e in enumerate(rs.escalations)
    )
    codes = {r.code for r in (*prohibitions, *presumptions, *escalations) if r.code}
    codes |= {c.spec.refusal_code for c in criteria}
    return Plan(
        loaded=lr,
        prohibitions=prohibitions,
        mitigations=mitigations,
        criteria=tuple(criteria),
        presumptions=presumptions,
        escalations=escalations,
        score_min=float(pol.score_min),
        score_max=float(pol.score_max),
        stale_after_days=pol.stale_after_days,
        refusal_code_names=tuple(sorted(codes)),
    )


@dataclass
class Params:
    """What a robustness run varies: factor weights by (criterion, factor) index and a threshold
    shift by criterion index. Python floats for the scalar interpreter, arrays (one value per row)
    for the array interpreter; absent entries keep the plan's own values."""

    weights: dict[tuple[int, int], Any] = field(default_factory=dict)
    shifts: dict[int, Any] = field(default_factory=dict)


def step_id(plan: Plan, step: str, index: int, factor: int | None = None) -> str:
    """How the trace names a step: the rule's or criterion's id; "criterion/factor" for a factor."""
    if step == "missing_evidence":
        assert factor is not None
        return plan.criteria[index].factors[factor].slot
    group: dict[str, tuple[Any, ...]] = {
        "prohibition": plan.prohibitions,
        "presumption": plan.presumptions,
        "escalation": plan.escalations,
        "criterion": plan.criteria,
    }
    return str(group[step][index].id)
