"""Markdown rendering of an Assessment; every piece of user and rule text is escaped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..text_safety import visible
from ..trace import Assessment
from .words import (
    DECISION_WORDS,
    LEVEL_WORDS,
    check_values,
    evidence_line,
    line_heading,
    line_note,
    num,
    provenance_items,
    value_text,
)

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
    return visible(str(text).translate(_MD_ESCAPES))


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
    if a.request:
        w(f"*{md_escape(a.request)}*")
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
    if a.lines:
        w("## Item lines")
        w("")
        for line in a.lines:
            w(
                f"- **{md_escape(line_heading(line))}**"
                + (f" - {md_escape(line.summary)}" if len(a.lines) > 1 else "")
            )
            for sentence in line.embargoes:
                w(f"  - {md_escape(sentence)}")
        which = line_note(a)
        if which:
            w("")
            w(f"*{which}*")
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
    for k, x in provenance_items(a.provenance):
        w(f"- {k}: {x}")
    return visible("\n".join(out) + "\n")
