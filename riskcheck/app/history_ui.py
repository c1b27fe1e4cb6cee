"""History: every assessment made in the app; filter, reopen, and compare two side by side."""

from __future__ import annotations

import difflib
import json
from typing import Any

import pandas as pd
import streamlit as st

from riskcheck.app import state
from riskcheck.app.widgets import md
from riskcheck.explain.memo import DECISION_COLOURS
from riskcheck.explain.words import DECISION_WORDS
from riskcheck.history import Record
from riskcheck.trace import DECISIONS


def _banner(rec: Record) -> str:
    import html

    codes = f" · {html.escape(', '.join(rec.refusal_codes))}" if rec.refusal_codes else ""
    return (
        f'<div style="background:{DECISION_COLOURS.get(rec.decision, "#555")};color:#fff;padding:0.5rem 0.8rem;'
        f'border-radius:0.4rem;font-weight:700;font-size:1.2rem">#{rec.id} '
        f"{html.escape(DECISION_WORDS.get(rec.decision, rec.decision))}{codes}</div>"
    )


def _recorder(rec: Record) -> str:
    # None is not "nobody": rows recorded before the user was kept have none either
    return rec.recorded_by or "not known"


def _criteria(rec: Record) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in rec.result.get("criteria", [])}


def compare(a: Record, b: Record) -> None:
    st.markdown("#### Side by side")
    c1, c2 = st.columns(2)
    for col, rec in ((c1, a), (c2, b)):
        with col:
            st.markdown(_banner(rec), unsafe_allow_html=True)
            st.markdown(f"**{md(rec.title)}**")
            st.caption(
                f"{rec.created_at:%Y-%m-%d %H:%M} UTC · recorded by {md(_recorder(rec))} · "
                f"rule set {md(rec.rule_set_id)} {md(rec.rule_set_version)} · "
                f"as of {rec.as_of} · input sha256 `{rec.input_sha256[:12]}` · rules sha256 `{rec.rules_sha256[:12]}`"
            )
            st.markdown(md(rec.result.get("summary", "")))
    ca, cb = _criteria(a), _criteria(b)
    rows = []
    for cid in list(dict.fromkeys([*ca, *cb])):
        x, y = ca.get(cid, {}), cb.get(cid, {})
        rows.append(
            {
                "Criterion": f"{(x or y).get('refusal_code', '')} {(x or y).get('title', cid)}",
                f"#{a.id} residual": x.get("residual"),
                f"#{b.id} residual": y.get("residual"),
                f"#{a.id} level": x.get("level"),
                f"#{b.id} level": y.get("level"),
                "Changed": "yes"
                if (x.get("residual"), x.get("level")) != (y.get("residual"), y.get("level"))
                else "",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    diff = list(
        difflib.unified_diff(
            a.scenario_yaml.splitlines(),
            b.scenario_yaml.splitlines(),
            fromfile=f"#{a.id} input",
            tofile=f"#{b.id} input",
            lineterm="",
        )
    )
    st.markdown("#### What differs in the inputs")
    if diff:
        st.code("\n".join(diff), language="diff")
    else:
        st.markdown(
            "The inputs are identical"
            + (" (the rule sets differ)." if a.rules_sha256 != b.rules_sha256 else ".")
        )


def page() -> None:
    st.title("History")
    st.caption(
        "Every assessment made in the app is recorded here with its inputs, result, provenance and time (UTC). "
        "The record is append-only."
    )
    try:
        store = state.store()
    except Exception as exc:  # a database that cannot be opened is a message, not a traceback
        st.error(f"The history database cannot be opened: {exc}")
        return
    c1, c2, c3 = st.columns([2, 1, 2])
    decisions = c1.multiselect(
        "Decision", list(reversed(DECISIONS)), format_func=DECISION_WORDS.get, key="hist.decisions"
    )
    rule_sets = sorted({r.rule_set_id for r in store.list(limit=1000)})
    rule_set = c2.selectbox("Rule set", ["(any)", *rule_sets], key="hist.rules")
    words = c3.text_input("Title, scenario id or recipient contains", key="hist.text")
    records = store.list(
        decisions=decisions, rule_set=None if rule_set == "(any)" else rule_set, text_=words.strip() or None
    )
    if not records:
        st.info(
            "No recorded assessment matches."
            if store.count()
            else "Nothing recorded yet: assess a transfer first."
        )
        return
    table = pd.DataFrame(
        [
            {
                "#": r.id,
                "When (UTC)": r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                "Title": r.title,
                "Recipient": r.recipient,
                "Decision": DECISION_WORDS.get(r.decision, r.decision),
                "Refusal codes": ", ".join(r.refusal_codes),
                "Rule set": f"{r.rule_set_id} {r.rule_set_version}",
                "As of": r.as_of.isoformat(),
                "Made from": r.note or r.origin,
                "Recorded by": r.recorded_by or "",  # empty: not known (see _recorder)
            }
            for r in records
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    labels = {r.id: r.label for r in records}
    ids = list(labels)

    st.markdown("#### Reopen")
    c1, c2 = st.columns([4, 1])
    chosen = c1.selectbox(
        "Assessment", ids, format_func=labels.get, key="hist.reopen", label_visibility="collapsed"
    )
    if c2.button("Reopen on the Assess page", key="hist.reopen.go", type="primary"):
        state.open_record(store.get(int(chosen)))
        st.switch_page("views/assess.py")
    with st.expander("The recorded result (JSON) and provenance"):
        rec = store.get(int(chosen))
        if rec.recorded_by:
            st.caption(f"#{rec.id} was recorded by {md(rec.recorded_by)}.")
        else:
            st.caption(
                f"Who recorded #{rec.id} is not known: nobody was signed in, or it was recorded "
                "before riskcheck kept the user."
            )
        st.code(json.dumps(json.loads(rec.provenance_json), indent=2), language="json")
        st.code(json.dumps(rec.result, indent=2, ensure_ascii=False), language="json")

    st.markdown("#### Compare two assessments")
    if len(ids) < 2:
        st.caption("Two recorded assessments are needed.")
    else:
        c1, c2 = st.columns(2)
        left = c1.selectbox("First", ids, index=1, format_func=labels.get, key="hist.a")
        right = c2.selectbox("Second", ids, index=0, format_func=labels.get, key="hist.b")
        compare(store.get(int(left)), store.get(int(right)))
    report = next(r for r in store.check() if r.table == "assessments")
    if not report.ok:  # changed, deleted or unanchored rows: the same words as `riskcheck history verify`
        st.error(
            "The record's hash chain is broken: " + " ".join(line.strip() for line in report.lines()[1:])
        )
    else:
        st.caption(f"{store.count()} assessments recorded; hash chain intact.")
