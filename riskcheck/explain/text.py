"""Plain-text rendering of an Assessment (what ``riskcheck assess`` prints)."""

from __future__ import annotations

from collections.abc import Callable

from ..text_safety import visible
from ..trace import Assessment, CriterionResult
from .words import (
    DECISION_WORDS,
    KIND_WORDS,
    LEVEL_WORDS,
    check_values,
    evidence_line,
    line_heading,
    line_note,
    num,
    provenance_items,
    value_text,
)


def as_text(a: Assessment) -> str:
    out: list[str] = []
    w = out.append
    w(f"riskcheck assessment: {a.scenario_title} [{a.scenario_id}]")
    w(f"Rule set: {a.provenance.rule_set_title} ({a.provenance.rule_set_id} {a.provenance.rule_set_version})")
    if a.request:
        w(f"Request: {a.request}")
    w("")
    w(f"DECISION: {DECISION_WORDS[a.decision].upper()}")
    if a.refusal_codes:
        w(f"Refusal criteria: {', '.join(a.refusal_codes)}")
    w(f"Why: {a.summary}")
    w(f"Note: {a.disclaimer.strip()}")
    for note in a.notes:
        w(f"Note: {note}")
    if a.lines:
        w("")
        w("Item lines (each approved or refused on its own):")
        for line in a.lines:
            w(f"  - {line_heading(line)}")
            if len(a.lines) > 1:
                w(f"      {line.summary}")
            for sentence in line.embargoes:
                w(f"      {sentence}")
        which = line_note(a)
        if which:
            w(which)
    w("")
    w("Reasons, most severe first:")
    if not a.reasons:
        w("  (none: nothing calls for more than approval)")
    for r in a.reasons:
        code = f" [{r.code}]" if r.code else ""
        w(f"  - {DECISION_WORDS[r.outcome]}{code} ({r.source} {r.rule_id}): {r.text}")
        w(f"      cites: {'; '.join(r.cite)}")
    w("")
    w("Prohibitions (ATT Art. 6; embargoes) - never offset by anything:")
    for p in a.prohibitions:
        w(
            f"  - {p.id}: {p.status.replace('_', ' ')} (tested: {p.check.text}; found: {check_values(p.check)})"
        )
        w(f"      cites: {'; '.join(p.cite)}; rule at {p.rule_at}")
    for pr in a.presumptions:
        w("")
        state = "rebutted" if pr.rebutted else "not rebutted"
        w(f"Presumption of denial: {pr.title}")
        w(f"  {pr.applies.replace('_', ' ')} ({pr.check.text}); {state}; rule at {pr.rule_at}")
        if pr.applies != "does_not_apply":
            w("  Rebuttal checklist (every item must be demonstrated):")
            for item in pr.rebuttal:
                w(f"    [{item.status:^7}] {item.text} ({check_values(item.check)})")
    if a.escalations:
        w("")
        w("Escalations:")
        for e in a.escalations:
            w(f"  - {e.id}: {e.status.replace('_', ' ')} -> at least {e.outcome} ({check_values(e.check)})")
    w("")
    w("Criteria (inherent risk before mitigation -> residual risk after):")
    for c in a.criteria:
        _criterion_text(c, w)
    w("")
    w("Mitigations:")
    for m in a.mitigations:
        if m.offered:
            red = ", ".join(f"{k} -{num(x)}" for k, x in m.reduces)
            w(f"  - {m.title} ({m.control}): {m.why} [{red}]")
    if not any(m.offered for m in a.mitigations):
        w("  (no control offered)")
    _arguments_text(a, w)
    if a.conditions:
        w("")
        w("Conditions to attach to any licence:")
        for cond in a.conditions:
            w(f"  - {cond.text} ({cond.from_rule})")
    _missing_text(a, w)
    if a.not_formalised:
        w("")
        w("Left to human judgement (not formalised in this rule set):")
        for t in a.not_formalised:
            w(f"  - {t}")
    w("")
    w("Provenance:")
    for k, x in provenance_items(a.provenance):
        w(f"  {k}: {x}")
    return visible("\n".join(out) + "\n")


def _criterion_text(c: CriterionResult, w: Callable[[str], None]) -> None:
    th = ", ".join(f"{k} {num(v)}" for k, v in c.thresholds)
    w(f"  {c.refusal_code:>7}  {c.title}")
    w(
        f"           {KIND_WORDS[c.kind]}; inherent {num(c.inherent)} -> residual {num(c.residual)} "
        f"({c.label}): {LEVEL_WORDS[c.level]} [{th}]"
    )
    w(f"           {c.explanation}")
    if c.past_conduct:
        w(f"           {c.past_conduct}")
    for f in c.factors:
        w(
            f"           - {f.title}: score {num(f.score)}/{num(f.max_score)} x weight {num(f.weight)} "
            f"-> {num(f.contribution)}"
        )
        w(f"             {f.explanation}")
        w(f"             evidence: {evidence_line(f)}" + (f" at {f.evidence.at}" if f.evidence.at else ""))
        w(f"             cites: {'; '.join(f.cite)}; rule at {f.rule_at}")


def _arguments_text(a: Assessment, w: Callable[[str], None]) -> None:
    if not a.arguments:
        return
    w("")
    w("Arguments put forward for approval (none lowers any risk):")
    for arg in a.arguments:
        verdict = "rejected" if arg.rejected else "not addressed"
        cites = f" ({'; '.join(arg.cite)})" if arg.cite else ""
        w(f"  - {arg.title}: {verdict} - {arg.reason}{cites}")


def _missing_text(a: Assessment, w: Callable[[str], None]) -> None:
    w("")
    if not a.missing:
        w("Missing evidence: none.")
    else:
        w("Missing evidence (never treated as good news):")
        for m in a.missing:
            note = f"; {m.note}" if m.note else ""
            w(f"  - {m.field}: {m.treatment} (used by {', '.join(m.used_by)}{note})")
    if a.contested:
        w("Contested evidence (scored on the worst reading):")
        for e in a.contested:
            w(f"  - {e.field}: {value_text(e.value)} vs {', '.join(value_text(x) for x in e.alternatives)}")
    if a.stale:
        w("Evidence to refresh:")
        for e in a.stale:
            why = (
                "dated after the assessment date"
                if e.after_assessment_date
                else "older than the policy allows"
            )
            w(f"  - {e.field}: as of {e.as_of}, {why}")
    if a.overrides:
        w(f"Profile values overridden in this scenario: {', '.join(a.overrides)}")
