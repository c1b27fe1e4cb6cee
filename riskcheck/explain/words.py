"""Every sentence riskcheck writes about an assessment, in one place.

The engine computes values; the text, Markdown, JSON and HTML renderings, the app, the memo and the
training exports all word them with these functions, so that a reader meets one phrasing of each
thing wherever it appears.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import vocabulary as v
from ..facts import field_label
from ..rules_model import AllOf, AnyOf, Compare, NotOf

DECISION_WORDS = {
    "prohibited": "Prohibited",
    "deny": "Deny",
    "refer": "Refer for review",
    "approve_with_conditions": "Approve with conditions",
    "approve": "Approve",
}
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
STATUS_WORDS = {True: "applies", False: "does_not_apply", None: "cannot_be_excluded"}
ITEM_STATUS = {True: "met", False: "unmet", None: "unknown"}
OP_WORDS = {
    "eq": "is",
    "ne": "is not",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "in": "is one of",
    "not_in": "is none of",
    "has": "includes",
    "has_any": "includes any of",
    "has_all": "includes all of",
    "has_none": "includes none of",
    "known": "is established",
    "unknown": "is not established",
}
MISSING_TREATMENT = {
    "prohibition": "prohibition cannot be excluded: refer",
    "assume_worst": "scored as the worst case",
    "refer": "scored as the worst case, and the case is referred until it is established",
    "rebuttal": "not demonstrated (counts as unmet)",
    "presumption": "presumption treated as applying",
    "applies": "whether a factor applies cannot be established: counted whichever way is worse",
}
CRITERION_LEVEL_WORDS = {
    "deny": "reaches the denial threshold",
    "refer": "reaches the referral threshold",
    "conditions": "approval needs conditions",
    "acceptable": "below every threshold",
}


# --- numbers and values -----------------------------------------------------------------------


def num(x: float) -> str:
    """A score or weight for reading: at most two decimals, no trailing zeros."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def fmt(x: float) -> str:
    """As ``num``, and whole numbers without a decimal point (the engine's trace sentences)."""
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def value_text(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return ", ".join(value_text(x) for x in value) or "none"
    return str(value)


def template_value(value: Any) -> str:
    """A value as a rule's explanation template shows it (``{value}``)."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(str(x) for x in value)
    return str(value)


# --- conditions ----------------------------------------------------------------------------------


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(x) for x in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_CONDITION_TEXT: dict[int, tuple[Any, str]] = {}


def condition_text(cond: Any) -> str:
    """A condition tree as one line ("country.pts >= 4 and (a or b)"); kept per rule element."""
    hit = _CONDITION_TEXT.get(id(cond))
    if hit is not None and hit[0] is cond:
        return hit[1]
    text = _condition_text(cond)
    _CONDITION_TEXT[id(cond)] = (cond, text)
    return text


def _condition_text(cond: Any) -> str:
    if isinstance(cond, Compare):
        words = f"{cond.field} {OP_WORDS[cond.op]}"
        return words if cond.op in ("known", "unknown") else f"{words} {_show(cond.value)}"
    if isinstance(cond, NotOf):
        return f"not ({_condition_text(cond.not_)})"
    if isinstance(cond, AllOf):
        parts = [_condition_text(p) for p in cond.all]
        return " and ".join(f"({p})" if " or " in p else p for p in parts)
    if isinstance(cond, AnyOf):
        parts = [_condition_text(p) for p in cond.any]
        return " or ".join(f"({p})" if " and " in p else p for p in parts)
    raise TypeError(f"not a condition: {cond!r}")  # pragma: no cover


# --- the steps ----------------------------------------------------------------------------------


def prohibition_reason(spec: Any, applies: bool, cond_text: str) -> str:
    if applies:
        return f"{spec.title}: {spec.explain}"
    return f"{spec.title} cannot be excluded: the evidence to rule it out is missing ({cond_text})"


def escalation_reason(spec: Any, applies: bool, cond_text: str) -> str:
    if applies:
        return f"{spec.title}: {spec.explain}"
    return f"{spec.title} cannot be excluded: the evidence is missing ({cond_text})"


def presumption_reason(spec: Any, rebutted: bool, open_items: list[str], applies: bool | None = True) -> str:
    if applies is None and not rebutted:
        return (
            f"{spec.title}: whether it applies cannot be established ({condition_text(spec.applies_when)}); "
            f"referred until it is, as it would not be rebutted (not demonstrated: {', '.join(open_items)})"
        )
    if rebutted:
        return (
            f"{spec.title}: rebutted (every condition demonstrated); the outcome is at most "
            f"'{spec.when_rebutted.minimum_outcome}'"
        )
    return f"{spec.title}: {spec.explain} Not demonstrated: {', '.join(open_items)}."


def missing_evidence_reason(factor: Any) -> str:
    return f"Evidence for '{factor.title}' ({factor.input}) must be established before a decision"


def missing_treatment(treatment: str, detail: Any) -> str:
    if treatment == "assume":
        return f"scored as {fmt(float(detail or 0))} (declared assumption)"
    if treatment == "escalation":
        return f"cannot be excluded: at least '{detail}'"
    return MISSING_TREATMENT[treatment]


def mitigation_why(offered: bool, requirement: bool | None, requires_text: str | None) -> str:
    if not offered:
        return "not offered"
    if requirement is True:
        return "offered and credited"
    if requirement is None:
        return f"offered but not credited: cannot establish that {requires_text}"
    return f"offered but not credited: requires {requires_text}"


def factor_text(
    spec: Any,
    evidence: Any,
    score: float,
    weight: float,
    status: str,
    outranked: bool,
    undetermined: bool,
    applies: tuple[bool, bool] | None = None,
) -> str:
    """The factor's own explanation template filled in, with what its status adds."""
    try:
        text = spec.explain.format(
            value=template_value(evidence.value),
            score=fmt(score),
            source=evidence.source or "no source",
            as_of=evidence.as_of or "undated",
            confidence=evidence.confidence,
            weight=fmt(weight),
        )
    except (KeyError, IndexError, ValueError):  # checks refuse bad templates; never crash on one
        text = spec.explain
    if status == "missing":
        text = f"No evidence: {text}" if evidence.confidence != "unknown" else f"Evidence unknown: {text}"
    elif status == "contested":
        text = f"Contested, scored on the worst reading: {text}"
    if applies is not None and not applies[0]:
        if applies[1]:
            return text + (
                f" (whether it applies - {condition_text(spec.applies_when)} - cannot be established: "
                "counted whichever way is worse)"
            )
        if weight == 0:
            return text + f" (does not apply here: it counts only where {condition_text(spec.applies_when)})"
    ob = spec.outranked_by
    if ob is not None:
        fields = ", ".join(ob.fields)
        unit = all(f.startswith("unit.") for f in ob.fields)
        if undetermined:
            what = "the unit's record" if unit else "the more specific evidence"
            text += f" ({what}, {fields}, is missing: counted whichever way is worse)"
        elif outranked:
            what = "the unit's own record" if unit else "more specific evidence"
            text += f" (outranked by {what}, {fields}: weight {fmt(weight)})"
    return text


def risk_label(steps: tuple[tuple[float, str], ...], x: float) -> str:
    """The rule set's word for a risk level ("moderate", "high" ...)."""
    label = steps[0][1]
    for lo, name in steps:
        if x >= lo:
            label = name
    return label


def criterion_line(
    spec: Any,
    inherent: float,
    residual: float,
    reduction: float,
    wmean: float,
    worst: float,
    gap: float,
    label: str,
    level: str,
    awaiting: bool,
    establish: tuple[str, ...] = (),
) -> str:
    floor = (
        " (raised to the worst factor's floor: one severe factor is not averaged away)"
        if inherent > wmean + 1e-9 and worst - gap >= inherent - 1e-9
        else ""
    )
    mit = f", lowered by {fmt(reduction)} through mitigation" if reduction > 0 else ""
    if not spec.mitigable:
        mit = " (not mitigable)"
    words = CRITERION_LEVEL_WORDS[level]
    if awaiting:
        words = (
            "would reach the denial threshold only if the missing evidence were unfavourable: referred "
            "until it is established"
        )
        if establish:
            words += f" (establish: {'; '.join(field_label(f) for f in establish)})"
    return f"inherent risk {fmt(inherent)}{floor}{mit}; residual {fmt(residual)} ({label}): {words}"


def criterion_conditions_needed(spec: Any, options: list[str], label: str) -> str:
    """The condition a criterion at the 'conditions' level asks for when no credited control meets it."""
    if options:
        return (
            f"Residual risk under '{spec.title}' needs controls before approval: one of: {'; '.join(options)}"
        )
    # nothing lowers this criterion: the condition is to watch it
    return (
        f"'{spec.title}' stays at {label} risk and no control lowers it: reassess the licence "
        "if the situation changes (ATT Art. 7(7); EU CP Art. 1(1a))"
    )


def summary(decision: str, top: list[str]) -> str:
    return f"{DECISION_WORDS[decision]}: " + (
        " | ".join(top)
        if top
        else "no prohibition applies and every criterion's residual risk is below its thresholds"
    )


def line_name(line: Any) -> str:
    return f"line {line.line} ({line.quantity:,} x {line.description})"


def transfer_summary(decision: str, lines: Any, decisive: int) -> str:
    """The summary of a licence with several item lines: the line that decides, with its reasons,
    and the lines that could be approved on their own."""
    main = lines[decisive]
    why = main.summary.split(": ", 1)[1] if ": " in main.summary else main.summary
    out = f"{DECISION_WORDS[decision]}: {line_name(main)}: {why}"
    better = [ln for ln in lines if ln.decision in ("approve", "approve_with_conditions")]
    if better:
        out += " | could be approved on their own: " + "; ".join(
            f"{line_name(ln)}: {DECISION_WORDS[ln.decision].lower()}" for ln in better
        )
    return out


def not_in_effect(spec: Any, as_of: dt.date) -> str:
    span = f"{spec.effective_from or '...'} to {spec.effective_to or '...'}"
    return f"{spec.id} is not in effect on {as_of} (effective {span})"


def retrospective(rs: Any, as_of: dt.date) -> str | None:
    """The note that a rule set is read for a case dated outside its own effective dates."""
    if as_of < rs.effective_from or (rs.effective_to is not None and as_of > rs.effective_to):
        span = f"{rs.effective_from} to {rs.effective_to or 'now'}"
        return (
            f"Rule set '{rs.id}' is in effect {span}; applied here to a case dated {as_of} "
            "(a retrospective reading: what this policy would say, not what applied then)"
        )
    return None


ARGUMENT_NOT_ADDRESSED = "Not addressed by this rule set; it has no effect on any score."


def argument_title(argument: str) -> str:
    return v.ARGUMENTS[argument]


# --- evidence lines for reading ------------------------------------------------------------------


def check_values(check: Any) -> str:
    return "; ".join(f"{f} = {value_text(val)}" for f, val in check.values)


def evidence_line(fr: Any) -> str:
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


def provenance_items(p: Any) -> list[tuple[str, str]]:
    """The provenance block: what reproduces the assessment."""
    return [
        ("rule set", f"{p.rule_set_id} {p.rule_set_version} ({p.rules_path})"),
        ("rules sha256", p.rules_sha256),
        ("input", p.input_path),
        ("input sha256", p.input_sha256),
        ("engine", f"riskcheck {p.engine_version}"),
        ("as of", p.as_of.isoformat()),
        *((("profile sha256", p.profile_sha256),) if p.profile_sha256 else ()),
    ]


# --- what would change the outcome ---------------------------------------------------------------


def change_sentence(kind: str, field: str, value: Any, established: bool = False) -> str:
    """One change a counterfactual proposes, as the clause after "If you ..."."""
    if kind == "control":
        return f"offer {v.CONTROLS[value].lower()} ({value})"
    if kind == "channel":
        return f"make it a {v.CHANNELS[value].lower()} transfer"
    verb = "show instead" if established else "establish"
    return f"{verb} that '{field_label(field)}' is {value_text(value)}"


def remove_line_clause(line: Any) -> str:
    return f"leave out {line_name(line)}"


def counterfactual_sentence(changes: list[str], before: str, after: str) -> str:
    what = " and ".join(changes)
    return f"If you {what}, the decision would be '{DECISION_WORDS[after]}' instead of '{DECISION_WORDS[before]}'."


def credited_reduction(c: Any) -> str:
    """The mitigation credited to a criterion, as a reduction ("-0.5"; "0" when none)."""
    return num(-c.mitigation_credited) if c.mitigation_credited else "0"


def robustness_sentence(r: Any) -> str:
    if not r.declared:
        return "The rule set declares no ranges for its weights and thresholds; robustness was not tested."
    share = f"{r.holds:.0%}"
    spread = f"weights within +/-{r.weight_spread:.0%}, thresholds within +/-{num(r.threshold_spread)}"
    top = (
        f" The parameter that matters most: {r.most_influential}."
        if r.most_influential
        else " No draw changed the decision."
    )
    return (
        f"The decision '{DECISION_WORDS[r.decision]}' holds in {share} of {r.draws:,} draws "
        f"({spread}, seed {r.seed}).{top}"
    )


def missing_sentence(m: Any) -> str:
    could = (
        "could change the decision (to " + " or ".join(DECISION_WORDS[d] for d in m.decisions_if_known) + ")"
        if m.could_change
        else "would not change the decision"
    )
    return f"{field_label(m.field)} - {m.treatment}; establishing it {could}; used by {', '.join(m.used_by)}"


def capability_words(code: str | None) -> str:
    """What an item line is for, in words ('Protective and non-lethal equipment')."""
    if code is None:
        return "what the items are for is not stated"
    return v.CAPABILITIES[code].title if code in v.CAPABILITIES else code


def line_heading(line: Any) -> str:
    """One item line's result in a line: 'Line 2: 500 x Helmets [protective_non_lethal]: Approve'."""
    cap = f" [{capability_words(line.capability)}]"
    codes = f" (refusal criteria {', '.join(line.refusal_codes)})" if line.refusal_codes else ""
    return f"Line {line.line}: {line.quantity:,} x {line.description}{cap}: {DECISION_WORDS[line.decision]}{codes}"


def line_note(a: Any) -> str | None:
    """Which line the detailed trace shows, when there are several."""
    if len(a.lines) < 2:
        return None
    return (
        f"The trace below is line {a.decisive_line}, the line that decides; every line is assessed on its "
        "own and the transfer takes the most severe decision."
    )


def request(transfer: Any, kind: str, recipient_name: str | None, host_name: str | None) -> str:
    """What is assessed, where it is not a state's export to a state: a consent to re-export (the
    holder, the new end user and destination) and a recipient that is not a state (whose record is
    read from its own profile). Empty for an export to a state."""
    parts = []
    eu = transfer.end_user
    who = eu.name + (f", {eu.unit}" if eu.unit else "")
    where = f"{transfer.recipient.name} ({transfer.recipient.country})"
    if transfer.kind == "reexport_consent" and transfer.holder is not None:
        h = transfer.holder
        parts.append(
            f"Consent to re-export: holder {h.name} ({h.country}) asks to pass on items first supplied by "
            f"{transfer.exporter.name}; new end user {who} in {where}. Assessed against the new end user "
            "and destination; the holder's record of keeping its undertakings is diversion evidence."
        )
    if kind != "state":
        what = v.PROFILE_KINDS[kind][0].lower() + v.PROFILE_KINDS[kind][1:]
        host = (
            f"the country facts from the host state's profile ({host_name})"
            if host_name
            else "no host state's profile: the country facts are unknown"
        )
        parts.append(
            f"Recipient: {recipient_name or who}, {what.split(',')[0]}, in {transfer.recipient.country}; its "
            f"record is read from its own profile, {host}."
        )
    return " ".join(parts)
