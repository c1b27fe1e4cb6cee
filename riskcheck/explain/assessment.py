"""The engine's values put into words: an ``Evaluation`` with its facts becomes an ``Assessment``.

Every sentence comes from ``words.py``; the evidence records come from the facts; citations are
rendered with the rule set's source names; each element keeps the rule-file line it came from.
Nothing here decides anything: the decision, codes, levels and scores are the evaluation's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from ..engine.plan import Plan
from ..engine.steps import SEVERITY, transfer_decision
from ..engine.values import Evaluation
from ..facts import Fact, Facts, embargo_lines
from ..trace import (
    ArgumentResult,
    Assessment,
    AttachCondition,
    ConditionCheck,
    CriterionResult,
    EscalationResult,
    EvidenceUsed,
    FactorResult,
    LineResult,
    MissingEvidence,
    MitigationResult,
    PresumptionResult,
    ProhibitionResult,
    Reason,
    RebuttalResult,
    SourceRef,
)
from . import words as w


class Citations:
    """'att Art. 6(1)' -> 'ATT Art. 6(1)': a rule set's citations with its sources' short names."""

    def __init__(self, rs: Any):
        self.sources = rs.sources
        self.cache: dict[str, str] = {}
        self.lists: dict[int, tuple[list[str], tuple[str, ...]]] = {}  # per rule element's list

    def __call__(self, raw: list[str]) -> tuple[str, ...]:
        hit = self.lists.get(id(raw))
        if hit is not None and hit[0] is raw and len(raw) == len(hit[1]):
            return hit[1]
        shown = self._render(raw)
        self.lists[id(raw)] = (raw, shown)
        return shown

    def _render(self, raw: list[str]) -> tuple[str, ...]:
        out = []
        for c in raw:
            hit = self.cache.get(c)
            if hit is None:
                src, _, rest = c.partition(" ")
                hit = self.cache[c] = f"{self.sources[src].short} {rest}" if src in self.sources else c
            out.append(hit)
        return tuple(out)


_EXTRAS: dict[int, tuple[Plan, Any]] = {}


def _extras(plan: Plan) -> Any:
    """What wording needs of a plan beyond the engine's own: its citations and sources (once per plan)."""
    hit = _EXTRAS.get(id(plan))
    if hit is not None and hit[0] is plan:
        return hit[1]
    rs = plan.rules
    extras = (
        Citations(rs),
        tuple(
            SourceRef(k, s.short, s.title, s.version, s.url, s.verification, s.note)
            for k, s in rs.sources.items()
        ),
        tuple((float(lab.from_), lab.label) for lab in rs.policy.labels),
        {ra.argument: ra for ra in rs.rejected_arguments},
    )
    _EXTRAS[id(plan)] = (plan, extras)
    return extras


def shown_value(fact: Fact) -> Any:
    if fact.value is None:
        return None
    if isinstance(fact.value, frozenset):
        return tuple(sorted(fact.value))
    return fact.value


def _check(cond: Any, spec: Any, facts: Facts, result: bool | None) -> ConditionCheck:
    return ConditionCheck(
        w.condition_text(spec), result, tuple((f, shown_value(facts[f])) for f in cond.fields)
    )


def evidence(field: str, fact: Fact, as_of: dt.date, stale_days: int) -> EvidenceUsed:
    stale = after = False
    if fact.as_of is not None and fact.origin != "derived":
        stale = (as_of - fact.as_of).days > stale_days
        after = fact.as_of > as_of
    return EvidenceUsed(
        field=field,
        value=shown_value(fact),
        confidence=fact.confidence,
        source=fact.source,
        as_of=fact.as_of,
        origin=fact.origin,
        at=str(fact.location) if fact.location else None,
        alternatives=fact.alternatives,
        note=fact.note,
        stale=stale,
        after_assessment_date=after,
    )


def explain(
    plan: Plan, facts: Facts, meta: dict[str, Any], ev: Evaluation, factors: bool = True
) -> Assessment:
    """The assessment a reader sees: the evaluation ``ev`` of ``facts`` under ``plan``, in words.
    ``factors=False``: without the factors' results (a line that does not decide shows only its
    outcome, reasons and conditions: its factors are never rendered, so they are not put into words)."""
    rs = plan.rules
    cites, sources, label_steps, rejected = _extras(plan)
    as_of: dt.date = meta["as_of"]
    conditions: list[AttachCondition] = []

    prohibitions = []
    for pv in ev.prohibitions:
        r = plan.prohibitions[pv.index]
        p = r.spec
        chk = _check(r.cond, p.when, facts, pv.result)
        prohibitions.append(
            ProhibitionResult(
                p.id, p.title, w.STATUS_WORDS[pv.result], chk, p.refusal_code, p.explain, cites(p.cite), r.at
            )
        )

    mitigations = []
    for mv in ev.mitigations:
        mp = plan.mitigations[mv.index]
        m = mp.spec
        requires = w.condition_text(m.requires) if m.requires is not None else None
        mitigations.append(
            MitigationResult(
                m.id,
                m.title,
                m.control,
                mv.offered,
                mv.credited,
                w.mitigation_why(mv.offered, mv.requirement, requires),
                tuple((k, float(x)) for k, x in m.reduces.items()),
                m.condition_text,
                cites(m.cite),
                mp.at,
            )
        )

    criteria = []
    criterion_texts: dict[int, str] = {}
    for cv in ev.criteria:
        cp = plan.criteria[cv.index]
        c = cp.spec
        results = []
        for fp, fv in zip(cp.factors, cv.factors, strict=True) if factors else ():
            f = fp.spec
            evid = evidence(f.input, facts[f.input], as_of, plan.stale_after_days)
            results.append(
                FactorResult(
                    f.id,
                    f.title,
                    evid,
                    fv.score,
                    fp.worst,
                    fv.weight,
                    fv.contribution,
                    fv.status,
                    fp.missing_policy,
                    w.factor_text(
                        f, evid, fv.score, fv.weight, fv.status, fv.outranked, fv.undetermined, fv.applies
                    ),
                    cites(f.cite),
                    fp.at,
                    f.past_conduct,
                    fv.outranked,
                )
            )
        label = w.risk_label(label_steps, cv.residual) + (", pending evidence" if cv.awaiting else "")
        why = w.criterion_line(
            c,
            cv.inherent,
            cv.residual,
            cv.reduction,
            cv.weighted_mean,
            cv.worst,
            cp.gap,
            label,
            cv.level,
            cv.awaiting,
            cv.establish,
        )
        criterion_texts[cv.index] = why
        # Past conduct that does not apply to this recipient (e.g. a holder's record, where nothing is
        # re-exported) is no part of its record.
        past = [
            r.explanation
            for r, fv in zip(results, cv.factors, strict=factors)
            if r.past_conduct and fv.applies != (False, False)
        ]
        thresholds = tuple(
            (k, float(x))
            for k, x in (("conditions", cp.conditions_at), ("refer", cp.refer_at), ("deny", cp.deny_at))
            if x is not None
        )
        criteria.append(
            CriterionResult(
                c.id,
                c.title,
                c.kind,
                c.refusal_code,
                c.legal_text,
                cites(c.cite),
                tuple(results),
                cv.weighted_mean,
                cv.worst,
                cv.inherent,
                c.mitigable,
                cv.reduction,
                cp.cap,
                cv.residual,
                thresholds,
                cv.level,
                label,
                why,
                cp.at,
                ("Past conduct: " + "; ".join(past)) if past else "",
            )
        )
        if cv.level == "conditions":
            if cv.credited:
                for mi in cv.credited:
                    m = plan.mitigations[mi].spec
                    conditions.append(AttachCondition(m.condition_text, m.id, cites(c.cite)))
            else:
                options = [mp.spec.title for mp in plan.mitigations if c.id in mp.spec.reduces]
                conditions.append(
                    AttachCondition(w.criterion_conditions_needed(c, options, label), c.id, cites(c.cite))
                )

    presumptions = []
    for pv in ev.presumptions:
        r = plan.presumptions[pv.index]
        p = r.spec
        items = tuple(
            RebuttalResult(
                item.spec.id,
                item.spec.text,
                w.ITEM_STATUS[res],
                _check(item.cond, item.spec.when, facts, res),
                cites(item.spec.cite),
                item.at,
            )
            for item, res in zip(r.items, pv.items, strict=True)
        )
        presumptions.append(
            PresumptionResult(
                p.id,
                p.title,
                w.STATUS_WORDS[pv.result],
                _check(r.cond, p.applies_when, facts, pv.result),
                items,
                pv.rebutted,
                p.refusal_code,
                p.explain,
                p.when_rebutted.minimum_outcome,
                cites(p.cite),
                r.at,
            )
        )
        if pv.result is not False and pv.rebutted:
            conditions.extend(AttachCondition(t, p.id, cites(p.cite)) for t in p.when_rebutted.conditions)

    escalations = []
    for xv in ev.escalations:
        r = plan.escalations[xv.index]
        e = r.spec
        escalations.append(
            EscalationResult(
                e.id,
                e.title,
                w.STATUS_WORDS[xv.result],
                _check(r.cond, e.when, facts, xv.result),
                e.outcome,
                e.explain,
                cites(e.cite),
                r.at,
            )
        )
        if xv.result is True:
            conditions.extend(AttachCondition(t, e.id, cites(e.cite)) for t in e.conditions)

    reasons = tuple(_reason(plan, facts, ev, r, cites, criterion_texts) for r in ev.reasons)

    # Arguments put forward for approval are recorded and answered; none changes a score.
    arguments = []
    for arg in meta.get("arguments", ()):
        ra = rejected.get(arg)
        if ra is not None:
            arguments.append(ArgumentResult(arg, w.argument_title(arg), True, ra.reason, cites(ra.cite)))
        else:
            arguments.append(ArgumentResult(arg, w.argument_title(arg), False, w.ARGUMENT_NOT_ADDRESSED, ()))

    decision = ev.decision
    if decision == "approve_with_conditions" and not conditions:  # pragma: no cover - defensive
        conditions.append(AttachCondition("Standard end-use assurances", "engine", ()))
    top = [r.text for r in reasons if r.outcome == decision][:2]
    attached = tuple(dict.fromkeys(conditions)) if decision in ("approve_with_conditions", "refer") else ()

    all_evidence = {fr.evidence.field: fr.evidence for c in criteria for fr in c.factors}
    missing = tuple(
        MissingEvidence(
            m.field,
            m.users,
            w.missing_treatment(m.treatment, m.detail),
            facts[m.field].note,
            str(facts[m.field].location) if facts[m.field].location else None,
        )
        for m in ev.missing
    )
    notes = [n for n in (w.retrospective(rs, as_of),) if n]
    kinds: dict[str, tuple[Any, ...]] = {
        "prohibition": plan.prohibitions,
        "presumption": plan.presumptions,
        "escalation": plan.escalations,
        "criterion": plan.criteria,
        "mitigation": plan.mitigations,
    }
    notes += [w.not_in_effect(kinds[s.kind][s.index].spec, as_of) for s in ev.skipped]
    return Assessment(
        scenario_id=meta["scenario_id"],
        scenario_title=meta["scenario_title"],
        decision=decision,
        refusal_codes=ev.refusal_codes,
        summary=w.summary(decision, top),
        reasons=reasons,
        prohibitions=tuple(prohibitions),
        presumptions=tuple(presumptions),
        escalations=tuple(escalations),
        criteria=tuple(criteria),
        mitigations=tuple(mitigations),
        conditions=attached,
        missing=missing,
        contested=tuple(e for _, e in sorted(all_evidence.items()) if e.confidence == "contested"),
        stale=tuple(e for _, e in sorted(all_evidence.items()) if e.stale or e.after_assessment_date),
        overrides=meta["overrides"],
        arguments=tuple(arguments),
        notes=tuple(notes),
        not_formalised=tuple(rs.not_formalised),
        disclaimer=rs.disclaimer,
        sources=sources,
        provenance=meta["provenance"],
        request=meta.get("request", ""),
    )


def _reason(
    plan: Plan, facts: Facts, ev: Evaluation, r: Any, cites: Citations, criterion_texts: dict[int, str]
) -> Reason:
    """A reason in words. The code shown beside it names the rule (a criterion's code at any level);
    only the evaluation's codes count as refusal codes."""
    if r.step == "prohibition":
        rp = plan.prohibitions[r.index]
        text = w.prohibition_reason(rp.spec, r.basis == "applies", w.condition_text(rp.spec.when))
        return Reason(r.outcome, "prohibition", rp.id, r.code, text, cites(rp.spec.cite))
    if r.step == "escalation":
        rp = plan.escalations[r.index]
        applies = r.basis == "applies"
        text = w.escalation_reason(rp.spec, applies, w.condition_text(rp.spec.when))
        return Reason(r.outcome, "escalation", rp.id, rp.code if applies else None, text, cites(rp.spec.cite))
    if r.step == "presumption":
        rp = plan.presumptions[r.index]
        pv = next(p for p in ev.presumptions if p.index == r.index)
        open_items = [i.spec.id for i, res in zip(rp.items, pv.items, strict=True) if res is not True]
        text = w.presumption_reason(rp.spec, pv.rebutted, open_items, pv.result)
        return Reason(r.outcome, "presumption", rp.id, r.code, text, cites(rp.spec.cite))
    cp = plan.criteria[r.index]
    if r.step == "missing_evidence":
        fp = cp.factors[r.factor]
        return Reason(
            "refer",
            "missing_evidence",
            fp.slot,
            None,
            w.missing_evidence_reason(fp.spec),
            cites(fp.spec.cite),
        )
    c = cp.spec
    return Reason(
        r.outcome, "criterion", c.id, c.refusal_code, f"{c.title}: {criterion_texts[r.index]}", cites(c.cite)
    )


def explain_lines(
    plan: Plan, lines: list[Facts], meta: dict[str, Any], evaluations: list[Evaluation], items: list[Any]
) -> Assessment:
    """The assessment of a licence with one or more item lines, each evaluated on its own: the trace
    of the line that decides (the first of the most severe), the transfer's decision and refusal
    codes, and every line's own result."""
    decision, d = transfer_decision([ev.decision for ev in evaluations])
    explained = [
        explain(plan, f, meta, ev, factors=i == d)
        for i, (f, ev) in enumerate(zip(lines, evaluations, strict=True))
    ]
    results = tuple(_line(i, items[i], a, lines[i]) for i, a in enumerate(explained))
    main = explained[d]
    if len(results) == 1:
        return dataclasses.replace(main, lines=results, decisive_line=1)
    codes = sorted({c for r in results if SEVERITY[r.decision] >= SEVERITY["deny"] for c in r.refusal_codes})
    return dataclasses.replace(
        main,
        decision=decision,
        refusal_codes=tuple(codes),
        summary=w.transfer_summary(decision, results, d),
        lines=results,
        decisive_line=d + 1,
    )


def _line(i: int, item: Any, a: Assessment, facts: Facts) -> LineResult:
    return LineResult(
        i + 1,
        item.description,
        item.quantity,
        item.capability,
        a.decision,
        a.refusal_codes,
        a.summary,
        a.reasons,
        a.conditions,
        tuple((c.id, c.level, c.residual) for c in a.criteria),
        tuple(m.field for m in a.missing),
        embargo_lines(facts),
    )
