"""Compare rule sets: the transfer on the Assess form under every rule set, side by side.

The assessments are made with the cached contexts the Assess page uses (``state.context``) and are
not recorded in the history: comparing is not assessing. The comparison itself is
``riskcheck.compare``; this module only draws it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from riskcheck.app import state, widgets
from riskcheck.app.widgets import md, table_height
from riskcheck.compare import OUTCOME_WORDS, Comparison, compare, deciding_steps
from riskcheck.errors import InputError
from riskcheck.trace import Assessment

CHOICE = "compare.rules"


def _assessments(paths: list[str]) -> tuple[list[Assessment], list[str]]:
    built = state.built_case()
    assert built.scenario is not None
    out, problems = [], []
    for path in paths:
        try:
            rules = state.load_rules_cached(path)
        except (InputError, OSError):
            problems.append(f"{state.rules_title(path)}: cannot be used (run riskcheck check)")
            continue
        out.append(state.context(rules, built.scenario).base)
    return out, problems


def decisions_table(c: Comparison) -> None:
    cols = st.columns(len(c.assessments))
    for col, a in zip(cols, c.assessments, strict=True):
        with col:
            p = a.provenance
            st.markdown(f"**{md(p.rule_set_title)}**")
            st.caption(f"{md(p.rule_set_id)} {md(p.rule_set_version)} · as of {p.as_of}")
            st.markdown(widgets.banner_html(a), unsafe_allow_html=True)
            st.markdown(md(a.summary.split(" | ")[0]))
            steps = deciding_steps(a)
            if steps:
                st.caption(
                    "Deciding steps: "
                    + "; ".join(
                        md(f"{r.source} {r.rule_id}" + (f" [{r.code}]" if r.code else "")) for r in steps
                    )
                )


MAIN_PX, WHAT_PX, CODE_PX = 790, 260, 60


def disagreements(c: Comparison) -> None:
    rows = c.disagreements
    st.markdown("#### Where the rule sets disagree")
    if not rows:
        st.success("Every element calls for the same outcome under every rule set.")
        return
    ids = [a.provenance.rule_set_id for a in c.assessments]
    table = pd.DataFrame(
        [
            {
                "What": f"{r.kind}: {r.title}",
                "Code": r.code,
                **{
                    rid: OUTCOME_WORDS[x.outcome] if x else "not in this rule set"
                    for rid, x in zip(ids, r.cells, strict=True)
                },
            }
            for r in rows
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=table_height(len(rows)),
        # pixels: the table fits the main area beside the sidebar at 1280 px (about 818 px), however
        # many rule sets are compared (four bundled since the national layer)
        column_config={
            "What": st.column_config.TextColumn(width=WHAT_PX),
            "Code": st.column_config.TextColumn(width=CODE_PX),
            **{
                rid: st.column_config.TextColumn(width=max(90, (MAIN_PX - WHAT_PX - CODE_PX) // len(ids)))
                for rid in ids
            },
        },
    )
    st.markdown("Why, element by element:")
    for r in rows:
        with st.expander(f"{r.kind.capitalize()}: {r.title}"):
            for rid, x in zip(ids, r.cells, strict=True):
                if x is None:
                    st.markdown(f"- **{md(rid)}**: not in this rule set.")
                else:
                    st.markdown(
                        f"- **{md(rid)}** ({md(OUTCOME_WORDS[x.outcome])}; {md(x.detail)}): {md(x.why)}"
                    )


def page() -> None:
    st.title("Compare rule sets")
    st.caption(
        "The transfer on the Assess page under every rule set: each one's decision and refusal codes, and "
        "the elements (prohibitions, presumptions, criteria, escalations) where they call for different "
        "outcomes, with why. Nothing here is recorded in the history."
    )
    files = state.rule_files()
    if CHOICE not in st.session_state:
        st.session_state[CHOICE] = files
    chosen = st.multiselect("Rule sets", files, format_func=state.rules_title, key=CHOICE)
    built = state.built_case()
    case = state.case()
    st.markdown(f"**Transfer:** {md(case.get('title', ''))} ({md(st.session_state.get(state.ORIGIN, ''))})")
    st.caption(
        "riskcheck shows where the rule sets disagree and why; which reading governs is for the officials."
    )
    if not built.ok:
        st.warning("This transfer cannot be assessed yet: correct the form on the Assess page first.")
        return
    if len(chosen) < 2:
        st.info("Choose at least two rule sets.")
        return
    assessments, problems = _assessments(list(chosen))
    for p in problems:
        st.error(md(p))
    if len(assessments) < 2:
        return
    c = compare(assessments)
    decisions_table(c)
    if c.same_decision:
        st.caption("The decision is the same under every rule set chosen.")
    disagreements(c)
