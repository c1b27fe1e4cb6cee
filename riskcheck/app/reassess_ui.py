"""Re-assessment: recorded assessments that the evidence as it is now would decide differently
(EU CP 2008/944 Art. 1(1a), 2019; ATT Art. 7(7)). Each opens side by side with the original."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import streamlit as st

from riskcheck.app import state
from riskcheck.app.widgets import md
from riskcheck.evidence.reassess import Change, assessment_now, reassess_history
from riskcheck.explain.memo import DECISION_COLOURS
from riskcheck.explain.words import DECISION_WORDS
from riskcheck.history import Record


def _banner(decision: str | None, label: str) -> str:
    colour = DECISION_COLOURS.get(decision or "", "#555")
    words = html.escape(DECISION_WORDS.get(decision or "", decision or "not replayed"))
    return (
        f'<div style="background:{colour};color:#fff;padding:0.5rem 0.8rem;border-radius:0.4rem;'
        f'font-weight:700;font-size:1.1rem">{html.escape(label)}: {words}</div>'
    )


def side_by_side(rec: Record, ch: Change) -> None:
    if ch.assessment is None:  # replayed from its kept case: assessed in full now it is opened
        ch.assessment = assessment_now(rec)
    left, right = st.columns(2)
    with left:
        st.markdown(_banner(rec.decision, f"#{rec.id} as recorded"), unsafe_allow_html=True)
        st.caption(
            f"{rec.created_at:%Y-%m-%d %H:%M} UTC · rule set {md(rec.rule_set_id)} {md(rec.rule_set_version)} · as of {rec.as_of}"
        )
        st.markdown(md(rec.result.get("summary", "")))
    with right:
        st.markdown(_banner(ch.now, "with the evidence now"), unsafe_allow_html=True)
        then = f"under the rules it was made with: {DECISION_WORDS.get(ch.then_rules or '', 'not replayed')}"
        st.caption(f"today's rule set {md(rec.rule_set_id)} · as of {ch.as_of} · {then}")
        if ch.assessment is not None:
            st.markdown(md(ch.assessment.summary))
    old = {c["id"]: c for c in rec.result.get("criteria", [])}
    rows: list[dict[str, Any]] = []
    for c in ch.assessment.criteria if ch.assessment is not None else ():
        o = old.get(c.id, {})
        rows.append(
            {
                "Criterion": f"{c.refusal_code} {c.title}",
                "Recorded residual": o.get("residual"),
                "Now residual": round(c.residual, 4),
                "Recorded level": o.get("level"),
                "Now level": c.level,
                "Changed": "yes"
                if (o.get("level"), o.get("residual")) != (c.level, round(c.residual, 4))
                else "",
            }
        )
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.markdown("**What changed**")
    st.code("\n".join(ch.lines) or "(no factor line differs: the rules changed)", language=None)
    if ch.sources:
        st.markdown("**The new evidence**")
        for s in ch.sources:
            st.markdown(f"- {md(s)}")
    for n in ch.notes:
        st.caption(md(n))


def page() -> None:
    st.title("Re-assessment")
    st.caption(
        "New information — these assessments would now be decided differently and warrant review "
        "(EU Common Position 2008/944 Art. 1(1a), 2019: reassess licences when new information becomes "
        "available; ATT Art. 7(7)). Each recorded assessment whose recipient profile changed since is "
        "replayed with the profile as it is now, under the rule set it was made with and under today's."
    )
    try:
        store = state.store()
        report = reassess_history(store)
    except Exception as exc:  # a database that cannot be opened is a message, not a traceback
        st.error(f"The history database cannot be read: {exc}")
        return
    visible: list[tuple[Record, Change]] = []
    for ch in report.changes:
        try:
            visible.append((store.get(int(ch.record_id or 0)), ch))
        except KeyError:
            continue  # a read-only deployment shows a session its own assessments only
    approved = [(r, c) for r, c in visible if r.decision in ("approve", "approve_with_conditions")]
    st.metric("Approved assessments that now warrant review", len(approved))
    st.caption(
        f"{report.checked:,} recorded assessments checked; the evidence of {report.evidence_changed:,} changed "
        f"since they were made; {len(visible):,} would now be decided differently."
    )
    for p in report.problems:
        st.warning(p)
    if not visible:
        st.info("No recorded assessment would be decided differently on the evidence as it is now.")
        return
    table = pd.DataFrame(
        [
            {
                "#": r.id,
                "Made (UTC)": r.created_at.strftime("%Y-%m-%d %H:%M"),
                "Title": r.title,
                "Recipient": r.recipient,
                "Recorded": DECISION_WORDS.get(r.decision, r.decision),
                "Now": DECISION_WORDS.get(c.now, c.now),
                "Under the rules then": DECISION_WORDS.get(c.then_rules or "", "not kept"),
                "Change": c.direction,
            }
            for r, c in visible
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    labels: dict[int, str] = {r.id: f"#{r.id} {r.title} — {c.direction}" for r, c in visible}
    chosen = st.selectbox("Open", list(labels), format_func=lambda i: labels[i], key="reassess.open")
    rec, ch = next((r, c) for r, c in visible if r.id == chosen)
    side_by_side(rec, ch)
    if st.button("Reopen on the Assess page (with the evidence as it is now)", key="reassess.reopen"):
        state.open_record(rec)
        st.switch_page("views/assess.py")
