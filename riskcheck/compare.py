"""One transfer under several rule sets: each one's decision and refusal codes, and where they disagree.

Rule sets name their elements by id; two rule sets that encode the same provision (baseline and the
EU Common Position share criterion ids) meet in one row, and an element only one rule set has is a row
of its own. Each cell says what that element calls for under that rule set (the outcome it drives
the decision towards, ``none`` when it calls for nothing) and why, from the assessment's own trace:
nothing is scored here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from .explain.markdown import md_escape
from .explain.words import DECISION_WORDS
from .trace import SEVERITY, Assessment, CriterionResult, Reason, to_plain

# A criterion's level as the outcome it calls for (a level 'acceptable' calls for nothing).
LEVEL_OUTCOME = {
    "deny": "deny",
    "refer": "refer",
    "conditions": "approve_with_conditions",
    "acceptable": "none",
}
OUTCOME_WORDS = {**DECISION_WORDS, "none": "calls for nothing"}


@dataclass(frozen=True, slots=True)
class Cell:
    """One element of one rule set, for this transfer."""

    outcome: str  # a decision, or "none"
    detail: str  # one line: the level and residual, or the status
    why: str  # the trace's explanation


@dataclass(frozen=True, slots=True)
class Row:
    key: str  # "criterion c7-diversion", "presumption presumption-looted-stocks", ...
    kind: str  # criterion | prohibition | presumption | escalation
    title: str
    code: str  # the refusal code the element carries ("" for none)
    cells: tuple[Cell | None, ...]  # one per rule set, None where the rule set has no such element

    @property
    def disagree(self) -> bool:
        """Rule sets call for different outcomes here (an element a rule set lacks calls for nothing)."""
        return len({c.outcome if c is not None else "none" for c in self.cells}) > 1


@dataclass(frozen=True, slots=True)
class Comparison:
    assessments: tuple[Assessment, ...]
    rows: tuple[Row, ...]

    @property
    def disagreements(self) -> tuple[Row, ...]:
        """Rows where the rule sets call for different outcomes, the most severe call first."""
        rows = [r for r in self.rows if r.disagree]
        return tuple(sorted(rows, key=lambda r: -max(SEVERITY.get(c.outcome, -1) for c in r.cells if c)))

    @property
    def same_decision(self) -> bool:
        return len({a.decision for a in self.assessments}) == 1


def _criterion(c: CriterionResult) -> Cell:
    th = ", ".join(f"{k} {x:g}" for k, x in c.thresholds)
    return Cell(
        LEVEL_OUTCOME[c.level],
        f"{c.level}: residual {c.residual:.2f} ({c.label}; thresholds {th})",
        c.explanation,
    )


def _elements(a: Assessment) -> dict[str, tuple[str, str, str, Cell]]:
    """Every element of the assessment: key -> (kind, title, refusal code, cell)."""
    out: dict[str, tuple[str, str, str, Cell]] = {}
    for p in a.prohibitions:
        outcome = {"applies": "prohibited", "cannot_be_excluded": "refer"}.get(p.status, "none")
        cell = Cell(outcome, p.status.replace("_", " "), f"{p.explain} (tested: {p.check.text})")
        out[f"prohibition {p.id}"] = ("prohibition", p.title, p.refusal_code, cell)
    for pr in a.presumptions:
        if pr.applies == "does_not_apply":
            cell = Cell("none", "does not apply", f"Tested: {pr.check.text}")
        elif pr.rebutted:
            cell = Cell(pr.minimum_outcome_if_rebutted, "applies; rebutted", pr.explain)
        else:
            unmet = [r.text for r in pr.rebuttal if r.status != "met"]
            cell = Cell("deny", "applies; not rebutted", f"{pr.explain} Not demonstrated: {'; '.join(unmet)}")
        out[f"presumption {pr.id}"] = ("presumption", pr.title, pr.refusal_code, cell)
    for x in a.escalations:
        outcome = x.outcome if x.status == "applies" else "none"
        out[f"escalation {x.id}"] = (
            "escalation",
            x.title,
            "",
            Cell(outcome, x.status.replace("_", " "), x.explain),
        )
    for c in a.criteria:
        out[f"criterion {c.id}"] = ("criterion", c.title, c.refusal_code, _criterion(c))
    return out


def compare(assessments: Sequence[Assessment]) -> Comparison:
    """The same transfer assessed under each rule set (in the order given), side by side."""
    elements = [_elements(a) for a in assessments]
    keys = list(dict.fromkeys(k for e in elements for k in e))
    rows = []
    for key in keys:
        kind, title, code, _ = next(e[key] for e in elements if key in e)
        cells = tuple(e[key][3] if key in e else None for e in elements)
        rows.append(Row(key, kind, title, code, cells))
    return Comparison(tuple(assessments), tuple(rows))


def deciding_steps(a: Assessment) -> tuple[Reason, ...]:
    """The steps that decide an assessment: its reasons that call for its decision, most severe first
    (for an approval, none: nothing calls for more)."""
    return tuple(r for r in a.reasons if r.outcome == a.decision)


def as_markdown(c: Comparison) -> str:
    """The comparison in Markdown: each rule set's decision and deciding steps, then every element
    where they call for different outcomes, with each side's reason. It shows the disagreement; it
    does not choose a side."""
    out: list[str] = []
    w = out.append
    first = c.assessments[0]
    w(f"# Compare rule sets: {md_escape(first.scenario_title)}")
    w("")
    if first.request:
        w(f"*{md_escape(first.request)}*")
        w("")
    w("## Decisions")
    w("")
    for a in c.assessments:
        p = a.provenance
        codes = f" - refusal criteria {', '.join(a.refusal_codes)}" if a.refusal_codes else ""
        w(
            f"- **{md_escape(p.rule_set_id)} {md_escape(p.rule_set_version)}**: {DECISION_WORDS[a.decision]}{codes}"
        )
        steps = deciding_steps(a)
        for r in steps:
            code = f" [{r.code}]" if r.code else ""
            w(f"  - deciding step: {r.source} `{md_escape(r.rule_id)}`{code}: {md_escape(r.text)}")
        if not steps:
            w("  - deciding step: none calls for more than approval")
    w("")
    w("The decision is the same under every rule set." if c.same_decision else "The rule sets disagree.")
    w("")
    w("## Where the rule sets call for different outcomes")
    w("")
    rows = c.disagreements
    if not rows:
        w("Every element calls for the same outcome under every rule set.")
    ids = [a.provenance.rule_set_id for a in c.assessments]
    for r in rows:
        code = f" [{r.code}]" if r.code else ""
        w(f"### {r.kind.capitalize()}: {md_escape(r.title)}{code}")
        w("")
        for rid, x in zip(ids, r.cells, strict=True):
            if x is None:
                w(f"- **{md_escape(rid)}**: not in this rule set (calls for nothing)")
            else:
                w(
                    f"- **{md_escape(rid)}**: {OUTCOME_WORDS[x.outcome]} ({md_escape(x.detail)}): {md_escape(x.why)}"
                )
        w("")
    w("riskcheck shows where the rule sets disagree and why; which reading governs is for the officials.")
    return "\n".join(out) + "\n"


def as_json(c: Comparison) -> str:
    """The comparison as JSON: decisions, deciding steps and the rows where the rule sets disagree."""
    data = {
        "scenario_id": c.assessments[0].scenario_id,
        "request": c.assessments[0].request,
        "same_decision": c.same_decision,
        "decisions": [
            {
                "rule_set": a.provenance.rule_set_id,
                "version": a.provenance.rule_set_version,
                "decision": a.decision,
                "refusal_codes": list(a.refusal_codes),
                "deciding_steps": [to_plain(r) for r in deciding_steps(a)],
            }
            for a in c.assessments
        ],
        "disagreements": [
            {
                "key": r.key,
                "kind": r.kind,
                "title": r.title,
                "code": r.code,
                "cells": [to_plain(x) if x is not None else None for x in r.cells],
            }
            for r in c.disagreements
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
