"""Renderings of one Assessment: plain text, Markdown and JSON.

All three read the same trace; none recomputes anything. JSON is canonical
(stable key order, no timestamps), so the same input gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .trace import DECISION_WORDS, Assessment, ConditionCheck, CriterionResult, FactorResult, to_plain

FORMATS = ("text", "markdown", "json")
LEVEL_WORDS = {
    "deny": "reaches the denial threshold",
    "refer": "reaches the referral threshold",
    "conditions": "needs conditions",
    "acceptable": "below the thresholds",
}
KIND_WORDS = {
    "clear_risk": "clear risk (deny at threshold)",
    "overriding_risk": "overriding risk (after mitigation)",
    "consider": "to be considered (may refer)",
}


def num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def value_text(v: Any) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, tuple | list):
        return ", ".join(value_text(x) for x in v) or "none"
    return str(v)


def check_values(check: ConditionCheck) -> str:
    return "; ".join(f"{f} = {value_text(v)}" for f, v in check.values)


def evidence_line(fr: FactorResult) -> str:
    e = fr.evidence
    parts = [f"{value_text(e.value)}", e.confidence]
    if e.alternatives:
        parts.append("other readings: " + ", ".join(value_text(a) for a in e.alternatives))
    if e.source:
        parts.append(e.source)
    if e.as_of:
        parts.append(f"as of {e.as_of}")
    if e.origin == "override":
        parts.append("overrides the profile")
    if e.stale:
        parts.append("STALE")
    if e.after_assessment_date:
        parts.append("DATED AFTER THE ASSESSMENT DATE")
    return "; ".join(parts)


def as_json(a: Assessment, indent: int | None = 2) -> str:
    """The whole trace as JSON, ``decision`` first. ``indent=None`` gives one line (the history
    stores that: json's C encoder only runs without indentation, about 7 times faster)."""
    data = to_plain(a)
    data = {"decision": data.pop("decision"), **data}
    return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"


# --- text ---------------------------------------------------------------------------


def as_text(a: Assessment) -> str:
    out: list[str] = []
    w = out.append
    w(f"riskcheck assessment: {a.scenario_title} [{a.scenario_id}]")
    w(f"Rule set: {a.provenance.rule_set_title} ({a.provenance.rule_set_id} {a.provenance.rule_set_version})")
    w("")
    w(f"DECISION: {DECISION_WORDS[a.decision].upper()}")
    if a.refusal_codes:
        w(f"Refusal criteria: {', '.join(a.refusal_codes)}")
    w(f"Why: {a.summary}")
    w(f"Note: {a.disclaimer.strip()}")
    for note in a.notes:
        w(f"Note: {note}")
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
    _provenance(a, w, "")
    return "\n".join(out) + "\n"


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


def _provenance(a: Assessment, w: Callable[[str], None], bullet: str) -> None:
    p = a.provenance
    if not bullet:
        w("Provenance:")
    for k, v in (
        ("rule set", f"{p.rule_set_id} {p.rule_set_version} ({p.rules_path})"),
        ("rules sha256", p.rules_sha256),
        ("input", p.input_path),
        ("input sha256", p.input_sha256),
        ("engine", f"riskcheck {p.engine_version}"),
        ("as of", p.as_of.isoformat()),
        *((("profile sha256", p.profile_sha256),) if getattr(p, "profile_sha256", None) else ()),
    ):
        w(f"{bullet or '  '}{k}: {v}")


# --- markdown -----------------------------------------------------------------------


_MD_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "[": "\\[",
        "]": "\\]",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "<": "&lt;",
        ">": "&gt;",
        "\n": " ",
        "\r": " ",
    }
)


def md_escape(text: Any) -> str:
    """User and rule text made inert in Markdown: no raw HTML, no links or emphasis it did not ask for,
    nothing that breaks a table cell. (A memo may be rendered to HTML by whoever opens it.)"""
    return str(text).translate(_MD_ESCAPES)


def _table(w: Callable[[str], None], header: list[str], rows: list[list[Any]]) -> None:
    """A Markdown table; every cell is escaped."""
    w("| " + " | ".join(header) + " |")
    w("|" + "---|" * len(header))
    for row in rows:
        w("| " + " | ".join(md_escape(cell) for cell in row) + " |")


def as_markdown(a: Assessment) -> str:
    out: list[str] = []
    w = out.append
    w(f"# Assessment: {md_escape(a.scenario_title)}")
    w("")
    w(
        f"**Decision: {DECISION_WORDS[a.decision]}**"
        + (f" - refusal criteria {', '.join(a.refusal_codes)}" if a.refusal_codes else "")
    )
    w("")
    w(f"{md_escape(a.summary)}")
    w("")
    w(f"> {md_escape(a.disclaimer.strip())}")
    for note in a.notes:
        w("")
        w(f"> {md_escape(note)}")
    w("")
    w("## Reasons")
    w("")
    if not a.reasons:
        w("Nothing calls for more than approval.")
    for r in a.reasons:
        code = f" [{r.code}]" if r.code else ""
        w(f"- **{DECISION_WORDS[r.outcome]}**{code} - {md_escape(r.text)} ({'; '.join(r.cite)})")
    w("")
    w("## Prohibitions")
    w("")
    _table(
        w,
        ["Prohibition", "Status", "Test", "Evidence", "Cites"],
        [
            [p.title, p.status.replace("_", " "), p.check.text, check_values(p.check), "; ".join(p.cite)]
            for p in a.prohibitions
        ],
    )
    for pr in a.presumptions:
        w("")
        w(f"## Presumption of denial: {md_escape(pr.title)}")
        w("")
        w(
            f"{pr.applies.replace('_', ' ').capitalize()}; {'rebutted' if pr.rebutted else 'not rebutted'}. "
            f"Cites {'; '.join(pr.cite)}."
        )
        if pr.applies != "does_not_apply":
            w("")
            _table(
                w,
                ["Rebuttal condition", "Status", "Evidence"],
                [[item.text, item.status, check_values(item.check)] for item in pr.rebuttal],
            )
    w("")
    w("## Criteria")
    w("")
    _table(
        w,
        ["Code", "Criterion", "Kind", "Inherent", "Residual", "Level"],
        [
            [
                c.refusal_code,
                c.title,
                c.kind,
                num(c.inherent),
                f"{num(c.residual)} ({c.label})",
                LEVEL_WORDS[c.level],
            ]
            for c in a.criteria
        ],
    )
    for c in a.criteria:
        w("")
        w(f"### {c.refusal_code} - {md_escape(c.title)}")
        w("")
        w(f"*{md_escape(c.legal_text)}* ({'; '.join(c.cite)})")
        w("")
        w(md_escape(c.explanation))
        if c.past_conduct:
            w("")
            w(f"**{md_escape(c.past_conduct)}**")
        w("")
        _table(
            w,
            ["Factor", "Evidence", "Score", "Weight", "Contribution", "Cites"],
            [
                [
                    f.title,
                    evidence_line(f),
                    f"{num(f.score)}/{num(f.max_score)}",
                    num(f.weight),
                    num(f.contribution),
                    "; ".join(f.cite),
                ]
                for f in c.factors
            ],
        )
    offered = [m for m in a.mitigations if m.offered]
    w("")
    w("## Mitigations")
    w("")
    if not offered:
        w("No control offered.")
    for m in offered:
        w(f"- {md_escape(m.title)}: {m.why}")
    if a.arguments:
        w("")
        w("## Arguments put forward for approval")
        w("")
        for arg in a.arguments:
            verdict = "Rejected" if arg.rejected else "Not addressed"
            w(
                f"- **{md_escape(arg.title)}**: {verdict}. {md_escape(arg.reason)}"
                + (f" ({'; '.join(arg.cite)})" if arg.cite else "")
            )
    if a.conditions:
        w("")
        w("## Conditions to attach")
        w("")
        for cond in a.conditions:
            w(f"- {md_escape(cond.text)}")
    w("")
    w("## Missing and contested evidence")
    w("")
    if not (a.missing or a.contested or a.stale):
        w("None.")
    for gap in a.missing:
        w(f"- `{gap.field}` missing: {gap.treatment} (used by {', '.join(gap.used_by)})")
    for e in a.contested:
        w(
            f"- `{e.field}` contested: {value_text(e.value)} vs "
            f"{', '.join(value_text(x) for x in e.alternatives)} (scored on the worst reading)"
        )
    for e in a.stale:
        w(f"- `{e.field}` dated {e.as_of}: refresh before relying on it")
    if a.not_formalised:
        w("")
        w("## Left to human judgement")
        w("")
        for t in a.not_formalised:
            w(f"- {md_escape(t)}")
    w("")
    w("## Sources")
    w("")
    for s in a.sources:
        link = f" <{s.url}>" if s.url else ""
        w(
            f"- **{md_escape(s.short)}**: {md_escape(s.title)}, {md_escape(s.version)} [verification {s.verification}]{link}"
        )
    w("")
    w("## Provenance")
    w("")
    _provenance(a, w, "- ")
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[Assessment], str]] = {
    "text": as_text,
    "markdown": as_markdown,
    "json": as_json,
}


def render(a: Assessment, fmt: str) -> str:
    return RENDERERS[fmt](a)
