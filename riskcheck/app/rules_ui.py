"""Rule sets: what each bundled rule set says, with its sources, thresholds and what it leaves to judgement."""

from __future__ import annotations

import streamlit as st

from riskcheck.app import state
from riskcheck.app.widgets import md
from riskcheck.errors import InputError
from riskcheck.explain import KIND_WORDS, num


def page() -> None:
    st.title("Rule sets")
    st.caption(
        "The rules the app applies, as written in rules/*.yaml. Edit them in a text editor (the JSON Schema "
        "gives completion) and check them with `riskcheck check rules/`."
    )
    files = state.rule_files()
    if not files:
        st.warning("No rule file found.")
        return
    path = st.selectbox("Rule set", files, format_func=state.rules_title, key="rules.view")
    try:
        lr = state.load_rules_cached(path)
    except InputError as e:
        st.error("This rule file has errors:")
        st.code("\n".join(str(d) for d in e.diagnostics))
        return
    rs = lr.model
    st.markdown(f"### {md(rs.title)}")
    st.markdown(
        f"`{rs.id}` version {md(rs.version)} · effective from {rs.effective_from} · sha256 `{lr.sha256[:16]}…`"
    )
    st.markdown(md(rs.description))
    st.info(md(rs.disclaimer))
    st.markdown("#### Sources")
    for sid, s in rs.sources.items():
        link = f" · [{md(s.url)}]({s.url})" if s.url else ""
        note = f" - {md(s.note)}" if s.note else ""
        st.markdown(
            f"- **{md(s.short)}** (`{sid}`): {md(s.title)}, {md(s.version)} [verification {s.verification}]{link}{note}"
        )
    pol = rs.policy
    st.markdown("#### Thresholds by legal kind")
    for kind, th in pol.thresholds.items():
        parts = ", ".join(f"{k} {num(x)}" for k, x in th.model_dump().items() if x is not None)
        if parts:
            st.markdown(f"- **{md(KIND_WORDS.get(kind, kind))}**: {parts}")
    st.markdown(
        f"Scores run from {num(pol.score_min)} to {num(pol.score_max)}; a criterion's risk is at least its worst "
        f"factor minus {num(pol.floor_gap)} (one severe factor is not averaged away)."
    )
    st.markdown("#### Criteria")
    for c in rs.criteria:
        st.markdown(
            f"- **{md(c.refusal_code)}** {md(c.title)} · {md(KIND_WORDS[c.kind])} · {len(c.factors)} factors"
        )
    if rs.not_formalised:
        st.markdown("#### Left to human judgement")
        for t in rs.not_formalised:
            st.markdown(f"- {md(t)}")
