"""The memo for the file: Markdown and printable HTML downloads, the input as YAML."""

from __future__ import annotations

import streamlit as st

from riskcheck.app import forms, state
from riskcheck.explain.memo import memo

wkey = state.wkey


# --- the memo -------------------------------------------------------------------------------


def memo_panel(cur: state.Current) -> None:
    an, built = cur.analysis(), cur.built
    assert built is not None and built.scenario is not None
    scenario, text = built.scenario, built.yaml_text
    name = forms.slug(an.assessment.scenario_id)
    st.markdown("#### Memo for the file")
    st.caption(
        "The decision, the transfer, every criterion and factor with evidence and citations, missing evidence, "
        "conditions, what would change the outcome, robustness, the provenance block and the input itself."
    )
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download memo (Markdown)",
        data=lambda: memo(an, "md", scenario, text),
        file_name=f"{name}-memo.md",
        mime="text/markdown",
        on_click="ignore",
        key="memo.md",
    )
    c2.download_button(
        "Download memo (printable HTML)",
        data=lambda: memo(an, "html", scenario, text),
        file_name=f"{name}-memo.html",
        mime="text/html",
        on_click="ignore",
        key="memo.html",
    )
    if st.toggle("Show the memo here", key="memo.preview"):
        st.markdown(memo(an, "md", scenario, text))
    with st.expander("The input as a scenario file (YAML)"):
        st.code(text, language="yaml")
    rid = st.session_state.get(state.LAST_RECORD)
    if rid:
        st.caption(f"Recorded in the history as assessment #{rid}.")
