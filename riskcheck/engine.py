"""assess(rules, scenario) -> Assessment: pure and deterministic.

The order follows the law (shared/product.md, "The order of an assessment"):

  prohibitions (ATT Art. 6, embargoes)   -> 'prohibited'; nothing offsets them
  factor scores                          -> missing evidence scored by the factor's policy
  criterion risk                         -> non-compensatory: max(weighted mean, worst - floor_gap)
  mitigations (ATT Art. 7(2), 11(2))     -> bounded per criterion; never on a non-mitigable one
  clear / overriding-risk tests          -> residual risk against the declared thresholds
  presumption of denial and rebuttal     -> 'deny' unless every rebuttal condition is demonstrated
  escalations                            -> e.g. prior denial by a partner (EU CP Art. 4) -> 'refer'
  decision                               -> the most severe outcome any step calls for

There is no averaging across criteria or steps: one step calling for refusal
refuses. Unknown is never read as favourable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import vocabulary as v
from .conditions import Compiled, compile_condition
from .errors import Location
from .facts import Fact, Facts, derive
from .loader import LoadedRules, LoadedScenario
from .rules_model import Criterion, Factor
from .trace import (
    DECISION_WORDS,
    SEVERITY,
    ArgumentResult,
    Assessment,
    AttachCondition,
    ConditionCheck,
    CriterionResult,
    EscalationResult,
    EvidenceUsed,
    FactorResult,
    MissingEvidence,
    MitigationResult,
    PresumptionResult,
    ProhibitionResult,
    Provenance,
    Reason,
    RebuttalResult,
    SourceRef,
)

try:
    ENGINE_VERSION = version("riskcheck")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    ENGINE_VERSION = "0+unknown"

STATUS = {True: "applies", False: "does_not_apply", None: "cannot_be_excluded"}


# --- compiling a rule set once ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CFactor:
    spec: Factor
    score_of: Callable[[Any], float | None]
    scores: tuple[float, ...]
    at: str
    weight: float  # held here (not read from spec) so robustness draws can vary it cheaply

    @property
    def worst(self) -> float:
        return max(self.scores)


@dataclass(frozen=True, slots=True)
class CCriterion:
    spec: Criterion
    factors: tuple[CFactor, ...]
    thresholds: Any
    at: str


@dataclass(frozen=True, slots=True)
class CRule:
    spec: Any
    cond: Compiled
    at: str
    extra: tuple[tuple[Any, Compiled, str], ...] = ()  # rebuttal items


@dataclass(frozen=True)
class CompiledRules:
    loaded: LoadedRules
    prohibitions: tuple[CRule, ...]
    presumptions: tuple[CRule, ...]
    escalations: tuple[CRule, ...]
    criteria: tuple[CCriterion, ...]
    mitigations: tuple[tuple[Any, Compiled | None, str], ...]
    label_steps: tuple[tuple[float, str], ...]
    sources: tuple[SourceRef, ...]
    cite_map: dict[str, str]

    def cites(self, raw: list[str]) -> tuple[str, ...]:
        """'att Art. 6(1)' -> 'ATT Art. 6(1)' (the source's short name)."""
        return tuple(self.cite_map.get(c, c) for c in raw)


def _scorer(f: Factor) -> Callable[[Any], float | None]:
    if f.bands is not None:
        bands = tuple((b.min, b.max, float(b.score)) for b in f.bands)

        def by_band(x: Any) -> float | None:
            for lo, hi, s in bands:
                if (lo is None or x >= lo) and (hi is None or x < hi):
                    return s
            return None

        return by_band
    table = {(type(r.value) is bool, r.value): float(r.score) for r in f.table or ()}
    return lambda x: table.get((type(x) is bool, x))


_CACHE: dict[tuple[str, str], CompiledRules] = {}


def _cite_map(lr: LoadedRules) -> dict[str, str]:
    rs = lr.model
    raw: list[str] = []
    for group in (rs.prohibitions, rs.presumptions, rs.escalations, rs.criteria, rs.mitigations):
        for el in group:
            raw += el.cite
    raw += [c for cr in rs.criteria for f in cr.factors for c in f.cite]
    raw += [c for p in rs.presumptions for r in p.rebuttal for c in r.cite]
    raw += [c for ra in rs.rejected_arguments for c in ra.cite]
    out = {}
    for c in raw:
        src, _, rest = c.partition(" ")
        out[c] = f"{rs.sources[src].short} {rest}" if src in rs.sources else c
    return out


def compile_rules(lr: LoadedRules) -> CompiledRules:
    key = (lr.path, lr.sha256)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    rs = lr.model
    at = lambda *loc: str(lr.line_of(*loc))  # noqa: E731

    criteria = []
    for ci, c in enumerate(rs.criteria):
        cfs = tuple(
            CFactor(
                f,
                _scorer(f),
                tuple(float(b.score) for b in (f.bands or f.table or ())),
                at("criteria", ci, "factors", fi),
                float(f.weight),
            )
            for fi, f in enumerate(c.factors)
        )
        criteria.append(CCriterion(c, cfs, c.thresholds or rs.policy.thresholds[c.kind], at("criteria", ci)))
    compiled = CompiledRules(
        loaded=lr,
        prohibitions=tuple(
            CRule(p, compile_condition(p.when), at("prohibitions", i)) for i, p in enumerate(rs.prohibitions)
        ),
        presumptions=tuple(
            CRule(
                p,
                compile_condition(p.applies_when),
                at("presumptions", i),
                tuple(
                    (r, compile_condition(r.when), at("presumptions", i, "rebuttal", ri))
                    for ri, r in enumerate(p.rebuttal)
                ),
            )
            for i, p in enumerate(rs.presumptions)
        ),
        escalations=tuple(
            CRule(e, compile_condition(e.when), at("escalations", i)) for i, e in enumerate(rs.escalations)
        ),
        criteria=tuple(criteria),
        mitigations=tuple(
            (m, compile_condition(m.requires) if m.requires else None, at("mitigations", i))
            for i, m in enumerate(rs.mitigations)
        ),
        label_steps=tuple((float(lab.from_), lab.label) for lab in rs.policy.labels),
        sources=tuple(
            SourceRef(k, s.short, s.title, s.version, s.url, s.verification, s.note)
            for k, s in rs.sources.items()
        ),
        cite_map=_cite_map(lr),
    )
    _CACHE[key] = compiled
    return compiled


# --- evaluating -------------------------------------------------------------------------


def _check(c: Compiled, facts: Facts) -> ConditionCheck:
    return ConditionCheck(c.text, c.evaluate(facts), tuple((f, _shown_value(facts[f])) for f in c.fields))


def _shown_value(fact: Fact) -> Any:
    if fact.value is None:
        return None
    if isinstance(fact.value, frozenset):
        return tuple(sorted(fact.value))
    return fact.value


def _evidence(field: str, fact: Fact, as_of: dt.date, stale_days: int) -> EvidenceUsed:
    stale = after = False
    if fact.as_of is not None and fact.origin != "derived":
        stale = (as_of - fact.as_of).days > stale_days
        after = fact.as_of > as_of
    return EvidenceUsed(
        field=field,
        value=_shown_value(fact),
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


def _label(steps: tuple[tuple[float, str], ...], x: float) -> str:
    label = steps[0][1]
    for lo, name in steps:
        if x >= lo:
            label = name
    return label


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def _score_factor(cf: CFactor, fact: Fact, ev: EvidenceUsed | None) -> tuple[float, str]:
    f = cf.spec
    if fact.value is None:
        if f.missing.policy == "assume":
            return float(f.missing.score), "missing"  # type: ignore[arg-type]
        return cf.worst, "missing"
    readings = (fact.value, *fact.alternatives)
    scores = [cf.score_of(r) for r in readings]
    if any(s is None for s in scores):  # outside every band: treat as missing, conservatively
        return cf.worst, "missing"
    return max(scores), ("contested" if fact.alternatives else "scored")  # type: ignore[type-var,return-value]


def evaluate(cr: CompiledRules, facts: Facts, meta: dict[str, Any], *, detail: bool = True) -> Assessment:
    """The whole assessment for already-derived facts (what-if analysis calls this directly).

    ``detail=False`` leaves out the explanation texts and citations (decisions, levels, scores and
    reasons' rule ids are identical): for searches and robustness draws that only compare outcomes."""
    rs = cr.loaded.model
    cites = cr.cites if detail else _no_cites
    pol = rs.policy
    as_of: dt.date = meta["as_of"]
    reasons: list[tuple[int, int, Reason]] = []
    order = 0

    def reason(outcome: str, source: str, rule_id: str, code: str | None, text: str, cite: Any) -> None:
        nonlocal order
        order += 1
        reasons.append((SEVERITY[outcome], -order, Reason(outcome, source, rule_id, code, text, tuple(cite))))

    used_missing: dict[str, list[str]] = {}
    treatment: dict[str, str] = {}

    def note_unknowns(check: ConditionCheck, rule_id: str, how: str) -> None:
        for field, value in check.values:
            if value is None:
                used_missing.setdefault(field, []).append(rule_id)
                treatment.setdefault(field, how)

    # 1. Prohibitions.
    prohibitions = []
    skipped: list[str] = []

    def in_effect(spec: Any, cond: Compiled | None = None) -> bool:
        """Skip an element outside its dates; name it only where it would otherwise have mattered."""
        if spec.in_effect(as_of):
            return True
        if cond is None or cond.evaluate(facts) is not False:
            span = f"{spec.effective_from or '...'} to {spec.effective_to or '...'}"
            skipped.append(f"{spec.id} is not in effect on {as_of} (effective {span})")
        return False

    for r in cr.prohibitions:
        if not in_effect(r.spec, r.cond):
            continue
        p = r.spec
        chk = _check(r.cond, facts)
        status = STATUS[chk.result]
        prohibitions.append(
            ProhibitionResult(p.id, p.title, status, chk, p.refusal_code, p.explain, cites(p.cite), r.at)
        )
        if chk.result is True:
            reason(
                "prohibited",
                "prohibition",
                p.id,
                p.refusal_code,
                f"{p.title}: {p.explain}",
                cites(p.cite),
            )
        elif chk.result is None:
            note_unknowns(chk, p.id, "prohibition cannot be excluded: refer")
            reason(
                "refer",
                "prohibition",
                p.id,
                None,
                f"{p.title} cannot be excluded: the evidence to rule it out is missing ({chk.text})",
                cites(p.cite),
            )

    # 2-3. Factor scores and criterion risk.
    controls: frozenset[str] = facts["transfer.controls"].value or frozenset()
    mitigations = []
    credited: dict[str, list[tuple[str, float, str]]] = {}
    for m, requires, m_at in cr.mitigations:
        if not in_effect(m):
            continue
        offered = m.control in controls
        req = requires.evaluate(facts) if requires is not None else True
        if not offered:
            why, ok = "not offered", False
        elif req is True:
            why, ok = "offered and credited", True
        elif req is None:
            why, ok = f"offered but not credited: cannot establish that {requires.text}", False  # type: ignore[union-attr]
        else:
            why, ok = f"offered but not credited: requires {requires.text}", False  # type: ignore[union-attr]
        if ok:
            for cid, amount in m.reduces.items():
                credited.setdefault(cid, []).append((m.id, float(amount), m.condition_text))
        mitigations.append(
            MitigationResult(
                m.id,
                m.title,
                m.control,
                offered,
                ok,
                why,
                tuple((k, float(x)) for k, x in m.reduces.items()),
                m.condition_text,
                cites(m.cite),
                m_at,
            )
        )

    criteria: list[CriterionResult] = []
    conditions: list[AttachCondition] = []
    for cc in cr.criteria:
        c = cc.spec
        if not in_effect(c):
            continue
        results = []
        # Unit evidence outranks country averages: an outranked factor counts with its reduced weight.
        gap = float(c.floor_gap if c.floor_gap is not None else pol.floor_gap)
        weights, undetermined = _weights(cc, facts, gap)
        total_w = sum(w for w, _ in weights) or 1.0
        for cf, (weight, outranked) in zip(cc.factors, weights, strict=True):
            f = cf.spec
            fact = facts[f.input]
            ev = _evidence(f.input, fact, as_of, pol.stale_after_days)
            score, status = _score_factor(cf, fact, ev)
            if status == "missing":
                used_missing.setdefault(f.input, []).append(f"{c.id}/{f.id}")
                treatment.setdefault(
                    f.input,
                    {
                        "assume_worst": "scored as the worst case",
                        "assume": f"scored as {_fmt(float(f.missing.score or 0))} (declared assumption)",
                        "refer": "scored as the worst case, and the case is referred until it is established",
                    }[f.missing.policy],
                )
                if f.missing.policy == "refer":
                    reason(
                        "refer",
                        "missing_evidence",
                        f"{c.id}/{f.id}",
                        None,
                        f"Evidence for '{f.title}' ({f.input}) must be established before a decision",
                        cites(f.cite),
                    )
            if not detail:
                text = ""
            else:
                text = _factor_text(
                    f,
                    ev,
                    score,
                    weight,
                    status,
                    outranked,
                    f.outranked_by is not None and f.outranked_by.field in undetermined,
                )
            results.append(
                FactorResult(
                    f.id,
                    f.title,
                    ev,
                    score,
                    cf.worst,
                    weight,
                    weight * score / total_w,
                    status,
                    f.missing.policy,
                    text,
                    cites(f.cite),
                    cf.at,
                    f.past_conduct,
                    outranked,
                )
            )
        wmean = sum(r.contribution for r in results)
        # The floor is set by factors that still count fully: an outranked country average does not set it.
        worst = max((r.score for r in results if not r.outranked), default=0.0)
        inherent = min(float(pol.score_max), max(wmean, worst - gap, float(pol.score_min)))
        mits = credited.get(c.id, []) if c.mitigable else []
        cap = float(c.max_mitigation) if c.mitigable else 0.0
        reduction = min(sum(x for _, x, _ in mits), cap)
        residual = max(float(pol.score_min), inherent - reduction)
        th = cc.thresholds
        awaiting = (
            th.deny is not None
            and residual >= th.deny
            and _deny_awaits_evidence(
                cc, results, gap, float(pol.score_min), float(pol.score_max), reduction, th.deny
            )
        )
        if th.deny is not None and residual >= th.deny and not awaiting:
            level = "deny"
        elif awaiting or residual >= th.refer:
            level = "refer"
        elif residual >= th.conditions or (inherent >= th.conditions and reduction > 0):
            level = "conditions"
        else:
            level = "acceptable"
        label = _label(cr.label_steps, residual)
        if awaiting:
            label += ", pending evidence"
        why = (
            _criterion_line(c, inherent, residual, reduction, wmean, worst, gap, label, level)
            if detail
            else ""
        )
        past = [r.explanation for r in results if r.past_conduct]
        past_line = ("Past conduct: " + "; ".join(past)) if past else ""
        thresholds = tuple(
            (k, float(v))
            for k, v in (("conditions", th.conditions), ("refer", th.refer), ("deny", th.deny))
            if v is not None
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
                wmean,
                worst,
                inherent,
                c.mitigable,
                reduction,
                cap,
                residual,
                thresholds,
                level,
                label,
                why,
                cc.at,
                past_line,
            )
        )
        if level == "deny":
            reason("deny", "criterion", c.id, c.refusal_code, f"{c.title}: {why}", cites(c.cite))
        elif level == "refer":
            reason("refer", "criterion", c.id, c.refusal_code, f"{c.title}: {why}", cites(c.cite))
        elif level == "conditions":
            reason(
                "approve_with_conditions",
                "criterion",
                c.id,
                c.refusal_code,
                f"{c.title}: {why}",
                cites(c.cite),
            )
            if mits:
                for mid, _, ctext in mits:
                    conditions.append(AttachCondition(ctext, mid, cites(c.cite)))
            else:
                options = [m.title for m, _, _ in cr.mitigations if c.id in m.reduces]
                if options:
                    text = f"Residual risk under '{c.title}' needs controls before approval: one of: {'; '.join(options)}"
                else:  # nothing lowers this criterion: the condition is to watch it
                    text = (
                        f"'{c.title}' stays at {label} risk and no control lowers it: reassess the licence "
                        "if the situation changes (ATT Art. 7(7); EU CP Art. 1(1a))"
                    )
                conditions.append(AttachCondition(text, c.id, cites(c.cite)))

    # 4. Presumptions of denial.
    presumptions = []
    for r in cr.presumptions:
        if not in_effect(r.spec, r.cond):
            continue
        p = r.spec
        chk = _check(r.cond, facts)
        items = []
        for item, cond, item_at in r.extra:
            ichk = _check(cond, facts)
            status = {True: "met", False: "unmet", None: "unknown"}[ichk.result]
            items.append(RebuttalResult(item.id, item.text, status, ichk, cites(item.cite), item_at))
            if ichk.result is None and chk.result is not False:
                note_unknowns(ichk, f"{p.id}/{item.id}", "not demonstrated (counts as unmet)")
        rebutted = all(i.status == "met" for i in items)
        presumptions.append(
            PresumptionResult(
                p.id,
                p.title,
                STATUS[chk.result],
                chk,
                tuple(items),
                rebutted,
                p.refusal_code,
                p.explain,
                p.when_rebutted.minimum_outcome,
                cites(p.cite),
                r.at,
            )
        )
        if chk.result is False:
            continue
        if chk.result is None:
            note_unknowns(chk, p.id, "presumption treated as applying")
        if not rebutted:
            open_items = [i.id for i in items if i.status != "met"]
            reason(
                "deny",
                "presumption",
                p.id,
                p.refusal_code,
                f"{p.title}: {p.explain} Not demonstrated: {', '.join(open_items)}.",
                cites(p.cite),
            )
        else:
            reason(
                p.when_rebutted.minimum_outcome,
                "presumption",
                p.id,
                None,
                f"{p.title}: rebutted (every condition demonstrated); the outcome is at most "
                f"'{p.when_rebutted.minimum_outcome}'",
                cites(p.cite),
            )
            conditions.extend(AttachCondition(t, p.id, cites(p.cite)) for t in p.when_rebutted.conditions)

    # 5. Escalations.
    escalations = []
    for r in cr.escalations:
        if not in_effect(r.spec, r.cond):
            continue
        e = r.spec
        chk = _check(r.cond, facts)
        escalations.append(
            EscalationResult(
                e.id, e.title, STATUS[chk.result], chk, e.outcome, e.explain, cites(e.cite), r.at
            )
        )
        if chk.result is True:
            reason(
                e.outcome,
                "escalation",
                e.id,
                e.refusal_code,
                f"{e.title}: {e.explain}",
                cites(e.cite),
            )
            conditions.extend(AttachCondition(t, e.id, cites(e.cite)) for t in e.conditions)
        elif chk.result is None:
            outcome = e.outcome if SEVERITY[e.outcome] < SEVERITY["refer"] else "refer"
            note_unknowns(chk, e.id, f"cannot be excluded: at least '{outcome}'")
            reason(
                outcome,
                "escalation",
                e.id,
                None,
                f"{e.title} cannot be excluded: the evidence is missing ({chk.text})",
                cites(e.cite),
            )

    # Arguments put forward for approval are recorded and answered; none changes a score.
    rejected = {ra.argument: ra for ra in rs.rejected_arguments}
    arguments = []
    for arg in meta.get("arguments", ()):
        ra = rejected.get(arg)
        if ra is not None:
            arguments.append(ArgumentResult(arg, v.ARGUMENTS[arg], True, ra.reason, cites(ra.cite)))
        else:
            arguments.append(
                ArgumentResult(
                    arg,
                    v.ARGUMENTS[arg],
                    False,
                    "Not addressed by this rule set; it has no effect on any score.",
                    (),
                )
            )

    # 6. Decision: the most severe outcome any step calls for.
    reasons.sort(key=lambda t: (-t[0], -t[1]))
    ordered = tuple(rr for _, _, rr in reasons)
    decision = ordered[0].outcome if ordered else "approve"
    if decision == "approve_with_conditions" and not conditions:  # pragma: no cover - defensive
        conditions.append(AttachCondition("Standard end-use assurances", "engine", ()))
    refusal_codes = tuple(
        sorted({r.code for r in ordered if r.code and SEVERITY[r.outcome] >= SEVERITY["deny"]})
    )
    if decision in ("approve", "approve_with_conditions", "refer"):
        refusal_codes = ()
    top = [r.text for r in ordered if r.outcome == decision][:2]
    summary = f"{DECISION_WORDS[decision]}: " + (
        " | ".join(top)
        if top
        else "no prohibition applies and every criterion's residual risk is below its thresholds"
    )
    if decision != "approve_with_conditions":
        conditions = [] if decision in ("prohibited", "deny") else conditions
    dedup = tuple(dict.fromkeys(conditions))

    all_evidence = {fr.evidence.field: fr.evidence for c in criteria for fr in c.factors}
    missing = tuple(
        MissingEvidence(
            f,
            tuple(dict.fromkeys(users)),
            treatment[f],
            facts[f].note,
            str(facts[f].location) if facts[f].location else None,
        )
        for f, users in sorted(used_missing.items())
    )
    contested = tuple(e for _, e in sorted(all_evidence.items()) if e.confidence == "contested")
    stale = tuple(e for _, e in sorted(all_evidence.items()) if e.stale or e.after_assessment_date)
    return Assessment(
        scenario_id=meta["scenario_id"],
        scenario_title=meta["scenario_title"],
        decision=decision,
        refusal_codes=refusal_codes,
        summary=summary,
        reasons=ordered,
        prohibitions=tuple(prohibitions),
        presumptions=tuple(presumptions),
        escalations=tuple(escalations),
        criteria=tuple(criteria),
        mitigations=tuple(mitigations),
        conditions=dedup if decision in ("approve_with_conditions", "refer") else (),
        missing=missing,
        contested=contested,
        stale=stale,
        overrides=meta["overrides"],
        arguments=tuple(arguments),
        notes=tuple(_rule_set_notes(rs, as_of) + skipped),
        not_formalised=tuple(rs.not_formalised),
        disclaimer=rs.disclaimer,
        sources=cr.sources,
        provenance=meta["provenance"],
    )


def _rule_set_notes(rs: Any, as_of: dt.date) -> list[str]:
    if as_of < rs.effective_from or (rs.effective_to is not None and as_of > rs.effective_to):
        span = f"{rs.effective_from} to {rs.effective_to or 'now'}"
        return [
            f"Rule set '{rs.id}' is in effect {span}; applied here to a case dated {as_of} "
            "(a retrospective reading: what this policy would say, not what applied then)"
        ]
    return []


def _weights(cc: CCriterion, facts: Facts, gap: float) -> tuple[list[tuple[float, bool]], set[str]]:
    """Each factor's weight and whether it is outranked. Where the unit evidence that would outrank a
    country factor is missing, both readings are tried and the riskier one is kept: a gap in the unit's
    record must not make the country average count for more *or* less than is conservative."""
    known = [_effective_weight(cf, facts) for cf in cc.factors]
    open_fields = {
        cf.spec.outranked_by.field
        for cf in cc.factors
        if cf.spec.outranked_by is not None
        and (
            facts[cf.spec.outranked_by.field].value is None or facts[cf.spec.outranked_by.field].alternatives
        )
    }
    if not open_fields:
        return known, open_fields
    alt = [
        (float(cf.spec.outranked_by.weight), True)
        if cf.spec.outranked_by is not None and cf.spec.outranked_by.field in open_fields
        else wo
        for cf, wo in zip(cc.factors, known, strict=True)
    ]
    scores = [_score_factor(cf, facts[cf.spec.input], None)[0] for cf in cc.factors]

    def inherent(ws: list[tuple[float, bool]]) -> float:
        total = sum(w for w, _ in ws) or 1.0
        mean = sum(w * sc for (w, _), sc in zip(ws, scores, strict=True)) / total
        worst = max((sc for (_, o), sc in zip(ws, scores, strict=True) if not o), default=0.0)
        return max(mean, worst - gap)

    return (alt if inherent(alt) > inherent(known) else known), open_fields


def _deny_awaits_evidence(
    cc: CCriterion,
    results: list[FactorResult],
    gap: float,
    low: float,
    high: float,
    reduction: float,
    deny: float,
) -> bool:
    """A factor whose missing-evidence policy is 'refer' is scored at its worst, but a refusal for a clear
    risk needs evidence of the risk: if the criterion would stay below denial were that evidence
    favourable, the case is referred until it is established instead of denied on a gap."""
    pending = {fr.id for fr in results if fr.status == "missing" and fr.missing_policy == "refer"}
    if not pending:
        return False
    best = {cf.spec.id: min(cf.scores) for cf in cc.factors if cf.spec.id in pending}
    scores = [best.get(fr.id, fr.score) for fr in results]
    total = sum(fr.weight for fr in results) or 1.0
    mean = sum(fr.weight * sc for fr, sc in zip(results, scores, strict=True)) / total
    worst = max((sc for fr, sc in zip(results, scores, strict=True) if not fr.outranked), default=0.0)
    favourable = min(high, max(mean, worst - gap, low))
    return max(low, favourable - reduction) < deny


def _no_cites(raw: list[str]) -> tuple[str, ...]:
    return ()


def _factor_text(
    f: Factor, ev: EvidenceUsed, score: float, weight: float, status: str, outranked: bool, undetermined: bool
) -> str:
    try:
        text = f.explain.format(
            value=_fmt_value(ev.value),
            score=_fmt(score),
            source=ev.source or "no source",
            as_of=ev.as_of or "undated",
            confidence=ev.confidence,
            weight=_fmt(weight),
        )
    except (KeyError, IndexError, ValueError):  # checks refuse bad templates; never crash on one
        text = f.explain
    if status == "missing":
        text = f"No evidence: {text}" if ev.confidence != "unknown" else f"Evidence unknown: {text}"
    elif status == "contested":
        text = f"Contested, scored on the worst reading: {text}"
    if f.outranked_by is not None and undetermined:
        text += f" (the unit's record, {f.outranked_by.field}, is missing: counted whichever way is worse)"
    elif f.outranked_by is not None and outranked:
        text += f" (outranked by the unit's own record, {f.outranked_by.field}: weight {_fmt(weight)})"
    return text


def _effective_weight(cf: CFactor, facts: Facts) -> tuple[float, bool]:
    ob = cf.spec.outranked_by
    if ob is not None:
        unit_fact = facts[ob.field]
        if unit_fact.value is not None and not unit_fact.alternatives:
            return float(ob.weight), True
    return cf.weight, False


def _fmt_value(v: Any) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, tuple):
        return ", ".join(str(x) for x in v)
    return str(v)


def _criterion_line(
    c: Criterion,
    inherent: float,
    residual: float,
    reduction: float,
    wmean: float,
    worst: float,
    gap: float,
    label: str,
    level: str,
) -> str:
    floor = (
        " (raised to the worst factor's floor: one severe factor is not averaged away)"
        if inherent > wmean + 1e-9 and worst - gap >= inherent - 1e-9
        else ""
    )
    mit = f", lowered by {_fmt(reduction)} through mitigation" if reduction > 0 else ""
    if not c.mitigable:
        mit = " (not mitigable)"
    words = {
        "deny": "reaches the denial threshold",
        "refer": "reaches the referral threshold",
        "conditions": "approval needs conditions",
        "acceptable": "below every threshold",
    }[level]
    if label.endswith("pending evidence"):
        words = (
            "would reach the denial threshold only if the missing evidence were unfavourable: referred "
            "until it is established"
        )
    return f"inherent risk {_fmt(inherent)}{floor}{mit}; residual {_fmt(residual)} ({label}): {words}"


def facts_for(scenario: LoadedScenario, as_of: dt.date, rules: LoadedRules | None = None) -> Facts:
    reference = rules.embargoes if rules is not None else None
    at = Location(rules.embargoes_path) if rules is not None and rules.embargoes_path else None
    return derive(scenario.model, scenario.country, scenario.unit, scenario.where, as_of, reference, at)


def meta_for(lr: LoadedRules, scenario: LoadedScenario, as_of: dt.date) -> dict[str, Any]:
    rs = lr.model
    return {
        "as_of": as_of,
        "scenario_id": scenario.model.id,
        "scenario_title": scenario.model.title,
        "overrides": scenario.overrides,
        "arguments": tuple(scenario.model.transfer.arguments),
        "provenance": Provenance(
            rs.id,
            rs.version,
            rs.title,
            lr.path,
            lr.sha256,
            scenario.path,
            scenario.sha256,
            ENGINE_VERSION,
            as_of,
            lr.reference_sha256,
            hashlib.sha256(scenario.profile_doc.text.encode("utf-8")).hexdigest()
            if scenario.profile_doc
            else None,
        ),
    }


def assess(rules: LoadedRules, scenario: LoadedScenario, as_of: dt.date | None = None) -> Assessment:
    """Assess one transfer. Same rules, scenario and date -> an equal Assessment, every time."""
    day = as_of or scenario.model.date
    return evaluate(compile_rules(rules), facts_for(scenario, day, rules), meta_for(rules, scenario, day))
