"""Assess: describe a transfer, see the answer at once, drill down, try controls, download the memo.

The page puts together its panels: the sidebar (``start_panel``), the form (``transfer_form``), the
answer and drill-down (``widgets``), the what-if panel (``whatif_panel``) and the memo (``memo_panel``).
"""

from __future__ import annotations

import streamlit as st

from riskcheck.app import analysis_panels, drilldown, state, widgets
from riskcheck.app.memo_panel import memo_panel
from riskcheck.app.start_panel import start_panel
from riskcheck.app.transfer_form import errors, transfer_form
from riskcheck.app.whatif_panel import whatif
from riskcheck.app.widgets import md

# --- the page -------------------------------------------------------------------------------


TABS = ("Transfer", "Why", "What would change it", "Missing evidence", "Robustness", "Memo")
TAB_KEY = "assess.tab"


def _why(cur: state.Current) -> None:
    a = cur.assessment
    assert a is not None
    p = a.provenance
    drilldown.explanation(a, state.chart_specs(f"{p.rules_sha256}:{p.input_sha256}:{p.as_of}", a))


def _changes(cur: state.Current) -> None:
    assert cur.ctx is not None
    an = cur.analysis()
    analysis_panels.counterfactual_list(an)
    whatif(cur.ctx, an)


# Every tab but the form runs only while it is open (st.tabs with on_change="rerun"): the answer
# and the form come back at once, and the analysis (0.1-0.3 s of CPU per new case) is computed
# when a tab that shows it is opened. Ten sessions assessing at once then share one interpreter
# for the answers only. The form always runs, so that text typed but not yet submitted survives
# a look at another tab.
LAZY_TABS = {
    "Why": _why,
    "What would change it": _changes,
    "Missing evidence": lambda cur: analysis_panels.missing(cur.analysis()),
    "Robustness": lambda cur: analysis_panels.robustness(cur.analysis()),
    "Memo": memo_panel,
}


def page() -> None:
    start_panel()
    st.title("Assess a transfer")
    notice = st.session_state.pop(state.NOTICE, None)
    if notice:
        st.info(notice)
    cur = state.current()
    a = cur.assessment
    if cur.rules is None:
        st.error("The rule set cannot be used:\n\n" + "\n\n".join(f"`{md(x)}`" for x in cur.rules_errors))
    elif a is None:
        if state.case().get("id") == "new-transfer" and not errors():
            st.info("Describe the transfer in the form below and press **Assess**.")
        else:
            st.warning("This transfer cannot be assessed yet: see the fields marked in the form.")
            if not errors() and cur.built is not None:
                st.session_state[state.ERRORS] = cur.built.errors
    else:
        st.caption(
            f"{md(a.scenario_title)} · rule set {md(a.provenance.rule_set_title)} · as of {a.provenance.as_of}"
        )
        if a.request:  # a consent to re-export, a recipient that is not a state: say what is assessed
            st.info(md(a.request), icon=":material/swap_horiz:")
        widgets.answer(a)
        if st.session_state.pop(state.SHOW_ANSWER, False):
            widgets.bring_answer_into_view()
        try:
            state.record_once(cur)
        except Exception as exc:  # the answer still stands; say why it was not recorded
            st.warning(f"This assessment could not be recorded in the history: {exc}")
        if not st.session_state.get(state.RECORD):
            st.caption(
                "Not recorded: this is the scenario the app opens on. Press **Assess** or load a case to "
                "record an assessment in the history."
            )
    if a is None:
        with st.tabs(TABS[:1])[0]:
            transfer_form()
        return
    tabs = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
    with tabs[0]:
        transfer_form()
    for name, tab in zip(TABS[1:], tabs[1:], strict=True):
        if tab.open:
            with tab:
                LAZY_TABS[name](cur)
