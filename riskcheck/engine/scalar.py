"""The scalar interpreter: one case through the plan, its outcome and a trace of values.

The order follows the law (shared/product.md, "The order of an assessment"):

  prohibitions (ATT Art. 6, embargoes)   -> 'prohibited'; nothing offsets them
  mitigations (ATT Art. 7(2), 11(2))     -> which controls are credited
  factor scores                          -> missing evidence scored by the factor's policy
  criterion risk                         -> non-compensatory: max(weighted mean, worst - floor_gap)
  clear / overriding-risk tests          -> residual risk against the declared thresholds
  presumption of denial and rebuttal     -> 'deny' unless every rebuttal condition is demonstrated
  escalations                            -> e.g. prior denial by a partner (EU CP Art. 4) -> 'refer'
  decision                               -> the most severe outcome any step calls for

What each step calls for, and the arithmetic, are ``steps.py``'s; this module only walks the plan.
There is no averaging across criteria or steps: one step calling for refusal refuses. Unknown is
never read as favourable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from ..facts import Facts
from .plan import CriterionPlan, FactorPlan, Params, Plan
from .steps import (
    LEVEL_OUTCOME,
    LEVELS,
    REQUIREMENT_CREDITS,
    SCALAR,
    SEVERITY,
    FactorReading,
    choose_weights,
    criterion_level,
    criterion_risk,
    deny_awaits_evidence,
    mitigation_reduction,
    residual_risk,
    score_fact,
    step_call,
)
from .values import (
    CriterionValues,
    Evaluation,
    FactorValues,
    MissingUse,
    MitigationValues,
    Reason,
    RuleValues,
    Skipped,
)


class _Run:
    """The bookkeeping of one evaluation: reasons in the order they arise, missing evidence used."""

    def __init__(self) -> None:
        self.reasons: list[tuple[int, int, Reason]] = []
        self.used: dict[str, list[str]] = {}
        self.treatment: dict[str, tuple[str, Any]] = {}
        self.skipped: list[Skipped] = []
        self.log: list[tuple[Any, ...]] | None = None  # what a criterion noted, while it is recorded

    def call(self, reason: Reason) -> None:
        if self.log is not None:
            self.log.append((reason,))
        self.reasons.append((SEVERITY[reason.outcome], len(self.reasons), reason))

    def note(self, field: str, user: str, treatment: str, detail: Any = None) -> None:
        if self.log is not None:
            self.log.append((field, user, treatment, detail))
        self.used.setdefault(field, []).append(user)
        self.treatment.setdefault(field, (treatment, detail))

    def replay(self, log: list[tuple[Any, ...]]) -> None:
        for entry in log:
            if len(entry) == 1:
                self.call(entry[0])
            else:
                self.note(*entry)

    def note_unknown(
        self, facts: Facts, fields: tuple[str, ...], user: str, treatment: str, detail: Any = None
    ) -> None:
        for f in fields:
            if facts[f].value is None:
                self.note(f, user, treatment, detail)


Memo = dict[tuple[Any, ...], tuple[CriterionValues, list[tuple[Any, ...]]]]


def evaluate(
    plan: Plan, facts: Facts, as_of: dt.date, params: Params | None = None, memo: Memo | None = None
) -> Evaluation:
    """The outcome of one case and the values that led to it (deterministic, no wording).

    ``memo``: shared by the item lines of one case, whose facts are the same objects but for each
    line's own: a criterion whose facts read the same on both (a criterion reads a fact's value and
    alternatives only), with the same controls credited, is evaluated once: its values, and what it
    noted, are the same."""
    run = _Run()

    def in_effect(kind: str, index: int, spec: Any, cond: Any = None) -> bool:
        if spec.in_effect(as_of):
            return True
        if cond is None or cond.evaluate(facts) is not False:  # name it only where it would matter
            run.skipped.append(Skipped(kind, index))
        return False

    # 1. Prohibitions.
    prohibitions = []
    for i, r in enumerate(plan.prohibitions):
        if not in_effect("prohibition", i, r.spec, r.cond):
            continue
        result = r.cond.evaluate(facts)
        prohibitions.append(RuleValues(i, result))
        if result is None:
            run.note_unknown(facts, r.cond.fields, r.id, "prohibition")
        call = step_call("prohibition", result)
        if call.outcome is not None:
            basis = "applies" if result else "unknown"
            run.call(Reason(call.outcome, "prohibition", i, basis, r.code if call.code else None))

    # 2. Which controls are credited.
    controls = facts["transfer.controls"].value or frozenset()
    mitigations = []
    credited_ok: dict[int, bool] = {}
    for i, m in enumerate(plan.mitigations):
        if not in_effect("mitigation", i, m.spec):
            continue
        offered = m.spec.control in controls
        requirement = m.requires.evaluate(facts) if m.requires is not None else True
        ok = offered and REQUIREMENT_CREDITS[requirement]
        credited_ok[i] = ok
        mitigations.append(MitigationValues(i, offered, requirement, ok))

    # 3-5. Factor scores, criterion risk, mitigation, thresholds.
    criteria = []
    for ci, cp in enumerate(plan.criteria):
        if not in_effect("criterion", ci, cp.spec):
            continue
        if memo is None or params is not None:
            criteria.append(_criterion(plan, cp, ci, facts, credited_ok, params, run))
            continue
        key = (ci, *(_read(facts[f]) for f in cp.reads), *(credited_ok.get(mi) for mi, _ in cp.credits))
        try:
            hit = memo.get(key)
        except TypeError:  # a value that cannot be a key: evaluated on its own
            criteria.append(_criterion(plan, cp, ci, facts, credited_ok, params, run))
            continue
        if hit is None:
            run.log = []
            hit = memo[key] = (_criterion(plan, cp, ci, facts, credited_ok, params, run), run.log)
            run.log = None
        else:
            run.replay(hit[1])
        criteria.append(hit[0])

    # 6. Presumptions of denial.
    presumptions = []
    for i, r in enumerate(plan.presumptions):
        if not in_effect("presumption", i, r.spec, r.cond):
            continue
        applies = r.cond.evaluate(facts)
        items = tuple(item.cond.evaluate(facts) for item in r.items)
        rebutted = all(x is True for x in items)
        presumptions.append(RuleValues(i, applies, items, rebutted))
        if applies is not False:
            for item, result in zip(r.items, items, strict=True):
                if result is None:
                    run.note_unknown(facts, item.cond.fields, f"{r.id}/{item.spec.id}", "rebuttal")
        if applies is None:
            run.note_unknown(facts, r.cond.fields, r.id, "presumption")
        call = step_call("presumption", (applies, rebutted), r.declared)
        if call.outcome is not None:
            basis = "rebutted" if rebutted else "applies" if applies else "unknown"
            run.call(Reason(call.outcome, "presumption", i, basis, r.code if call.code else None))

    # 7. Escalations.
    escalations = []
    for i, r in enumerate(plan.escalations):
        if not in_effect("escalation", i, r.spec, r.cond):
            continue
        result = r.cond.evaluate(facts)
        escalations.append(RuleValues(i, result))
        call = step_call("escalation", result, r.declared)
        if result is None:
            run.note_unknown(facts, r.cond.fields, r.id, "escalation", call.outcome)
        if call.outcome is not None:
            basis = "applies" if result else "unknown"
            run.call(Reason(call.outcome, "escalation", i, basis, r.code if call.code else None))

    # 8. Decision: the most severe outcome any step calls for.
    run.reasons.sort(key=lambda t: (-t[0], t[1]))
    reasons = tuple(r for _, _, r in run.reasons)
    decision = reasons[0].outcome if reasons else "approve"
    codes = tuple(sorted({r.code for r in reasons if r.code}))
    missing = tuple(
        MissingUse(f, tuple(dict.fromkeys(users)), *run.treatment[f]) for f, users in sorted(run.used.items())
    )
    return Evaluation(
        decision,
        codes,
        reasons,
        tuple(prohibitions),
        tuple(mitigations),
        tuple(criteria),
        tuple(presumptions),
        tuple(escalations),
        missing,
        tuple(run.skipped),
    )


_PLAIN: dict[int, tuple[FactorPlan, FactorReading]] = {}


def _plain(fp: FactorPlan) -> FactorReading:
    """The reading of a factor nothing outranks and that always applies (one per factor: immutable)."""
    hit = _PLAIN.get(id(fp))
    if hit is None or hit[0] is not fp:
        hit = _PLAIN[id(fp)] = (fp, FactorReading(fp.weight, fp.outranked_weight))
    return hit[1]


def _read(fact: Any) -> tuple[Any, ...]:
    """What a criterion reads of a fact, typed (True == 1, but they score differently)."""
    v, alts = fact.value, fact.alternatives
    return (v.__class__, v, alts, tuple(a.__class__ for a in alts)) if alts else (v.__class__, v)


def _criterion(
    plan: Plan,
    cp: CriterionPlan,
    ci: int,
    facts: Facts,
    credited_ok: dict[int, bool],
    params: Params | None,
    run: _Run,
) -> CriterionValues:
    scores: list[float] = []
    statuses: list[str] = []
    readings: list[FactorReading] = []
    for fi, fp in enumerate(cp.factors):
        fact = facts[fp.input]
        score, status = score_fact(fp, fact.value, fact.alternatives)
        scores.append(score)
        statuses.append(status)
        applies = None
        if fp.applies is not None:
            result = fp.applies.evaluate(facts)
            if result is None:
                run.note_unknown(facts, fp.applies.fields, fp.slot, "applies")
            applies = (result is True, result is None)
        # The evidence of a factor that does not apply here is not needed: its gap is no gap.
        if status == "missing" and (applies is None or applies != (False, False)):
            detail = fp.missing_score if fp.missing_policy == "assume" else None
            run.note(fp.input, fp.slot, fp.missing_policy, detail)
            if fp.missing_policy == "refer":
                run.call(Reason("refer", "missing_evidence", ci, "missing", None, fi))
        weight = fp.weight if params is None else params.weights.get((ci, fi), fp.weight)
        if not fp.outranked_by and applies is None:  # a plain factor: counts with its weight
            readings.append(_plain(fp) if params is None else FactorReading(weight, fp.outranked_weight))
            continue
        established = any(_established(facts[f]) for f in fp.outranked_by)
        ob_gap = not established and any(facts[f].value is None for f in fp.outranked_by)
        applies_gap = (
            fp.applies is not None
            and applies is not None
            and applies[1]
            and any(facts[f].value is None for f in fp.applies.fields)
        )
        readings.append(FactorReading(weight, fp.outranked_weight, established, applies, ob_gap, applies_gap))
    weights, outranked = choose_weights(SCALAR, readings, scores, cp.gap)
    low, high = plan.score_min, plan.score_max
    inherent, mean, worst, contributions = criterion_risk(
        SCALAR, weights, scores, outranked, cp.gap, low, high
    )
    credited = tuple(mi for mi, _ in cp.credits if credited_ok.get(mi)) if cp.mitigable else ()
    amounts = [amount for mi, amount in cp.credits if mi in credited]
    reduction = mitigation_reduction(SCALAR, amounts, cp.cap)
    residual = residual_risk(SCALAR, inherent, reduction, low)
    shift = 0.0 if params is None else params.shifts.get(ci, 0.0)
    deny_at = None if cp.deny_at is None else cp.deny_at + shift
    awaiting = False
    establish: tuple[str, ...] = ()
    if deny_at is not None:
        missing = [st == "missing" for st in statuses]
        best = [fp.best for fp in cp.factors]
        awaiting = deny_awaits_evidence(
            SCALAR, readings, scores, missing, best, cp.gap, low, high, reduction, residual, deny_at
        )
        if awaiting:
            establish = _establish(plan, cp, facts, readings, scores, missing, reduction, deny_at)
    level = LEVELS[
        criterion_level(
            SCALAR,
            inherent,
            residual,
            reduction,
            cp.conditions_at + shift,
            cp.refer_at + shift,
            deny_at,
            awaiting,
        )
    ]
    outcome = LEVEL_OUTCOME[level]
    if outcome is not None:
        run.call(Reason(outcome, "criterion", ci, "level", cp.spec.refusal_code if level == "deny" else None))
    factors = tuple(
        FactorValues(s, w, c, st, bool(o), r.reduced is not None and not r.outranked, r.applies)
        for s, w, c, st, o, r in zip(
            scores, weights, contributions, statuses, outranked, readings, strict=True
        )
    )
    return CriterionValues(
        ci, factors, mean, worst, inherent, credited, reduction, residual, level, bool(awaiting), establish
    )


def _establish(
    plan: Plan,
    cp: CriterionPlan,
    facts: Facts,
    readings: list[FactorReading],
    scores: list[float],
    missing: list[bool],
    reduction: float,
    deny_at: float,
) -> tuple[str, ...]:
    """The missing facts a referred denial waits for, ranked: first those that, established at their
    most favourable on their own, would bring the criterion below denial; then by how much they
    weigh (weight x the distance between their worst and best scores)."""
    low, high = plan.score_min, plan.score_max
    ranked = []
    for i, fp in enumerate(cp.factors):
        # A factor that does not apply here (its applies_when established false) waits for nothing.
        if not missing[i] or readings[i].applies == (False, False):
            continue
        trial = list(scores)
        trial[i] = fp.best
        trial_readings = [
            replace(r, outranked=True, outranked_gap=False) if fp.input in f.outranked_by else r
            for r, f in zip(readings, cp.factors, strict=True)
        ]
        weights, outranked = choose_weights(SCALAR, trial_readings, trial, cp.gap)
        risk = criterion_risk(SCALAR, weights, trial, outranked, cp.gap, low, high)[0]
        alone = residual_risk(SCALAR, risk, reduction, low) < deny_at
        ranked.append((not alone, -fp.weight * (fp.worst - fp.best), fp.input))
    fields = [f for *_, f in sorted(ranked)]
    for r, fp in zip(readings, cp.factors, strict=True):
        if r.applies is not None and r.applies[1] and fp.applies is not None:
            fields += [f for f in fp.applies.fields if facts[f].value is None]
        if r.reduced is not None and not r.outranked:
            fields += [f for f in fp.outranked_by if facts[f].value is None]
    return tuple(dict.fromkeys(fields))


def _established(fact: Any) -> bool:
    """Evidence that outranks a general record: there, and not contested."""
    return fact.value is not None and not fact.alternatives
