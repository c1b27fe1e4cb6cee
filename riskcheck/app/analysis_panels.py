"""The analysis tabs: missing evidence ranked, what would change the outcome, robustness."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ..explain import value_text
from ..explain.words import DECISION_WORDS, robustness_sentence
from ..facts import field_label
from ..trace import Assessment
from ..whatif import Analysis
from .widgets import md, table_height


def parameter_words(name: str, a: Assessment) -> str:
    """A robustness parameter ("weight c7-diversion/depots-overrun", "threshold c2a-repression") in words."""
    kind, _, ref = name.partition(" ")
    criterion_id, _, factor_id = ref.partition("/")
    c = next((x for x in a.criteria if x.id == criterion_id), None)
    if c is None:
        return name
    if factor_id:
        f = next((x for x in c.factors if x.id == factor_id), None)
        return f"weight of {f.title} ({c.refusal_code})" if f else name
    return f"{kind} of {c.refusal_code} {c.title}"


# --- missing evidence, counterfactuals, robustness -------------------------------------------


def missing_rows(an: Analysis) -> list[dict[str, Any]]:
    """Every missing item, those that could change the decision first (the analysis ranks them)."""
    return [
        {
            "Rank": i,
            "Evidence": field_label(m.field),
            "Could change the decision": "yes" if m.could_change else "no",
            "If established, the decision would be": ", ".join(
                DECISION_WORDS[d] for d in m.decisions_if_known
            ),
            "Counted meanwhile as": m.treatment,
            "Used by": ", ".join(m.used_by),
            "Field": m.field,
        }
        for i, m in enumerate(an.missing, start=1)
    ]


MISSING_COLUMNS = {
    "Rank": st.column_config.NumberColumn(width="small"),
    "Evidence": st.column_config.TextColumn(width="medium"),
    "Could change the decision": st.column_config.TextColumn(width="small"),
    "If established, the decision would be": st.column_config.TextColumn(width="medium"),
    "Counted meanwhile as": st.column_config.TextColumn(width="large"),
    "Used by": st.column_config.TextColumn(width="medium"),
    "Field": st.column_config.TextColumn(width="medium", help="The name rule files use"),
}


def missing(an: Analysis) -> None:
    a = an.assessment
    st.markdown("#### Missing evidence, ranked by whether establishing it could change the decision")
    if not an.missing:
        st.success("No evidence the rule set reads is missing.")
    else:
        could = [m for m in an.missing if m.could_change]
        n = len(an.missing)
        st.markdown(
            f"**{n} item{'s' if n != 1 else ''} of evidence missing; {len(could)} could change the decision.** "
            "Missing evidence is never read as good news: each is counted as its rule says until it is "
            "established."
        )
        if could:
            st.warning(
                "Establish first: "
                + "; ".join(
                    f"{md(field_label(m.field))} (could make it "
                    + " or ".join(md(DECISION_WORDS[d]) for d in m.decisions_if_known)
                    + ")"
                    for m in could
                ),
                icon=":material/priority_high:",
            )
        rows = missing_rows(an)
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            width="stretch",
            column_config=MISSING_COLUMNS,
            height=table_height(len(rows)),  # every item shown, none behind a scroll bar
        )
    st.markdown("#### Contested evidence (scored on its worst reading)")
    if not a.contested:
        st.markdown("No evidence is contested.")
    for ev in a.contested:
        st.markdown(
            f"- **{md(field_label(ev.field))}**: {md(value_text(ev.value))} vs "
            f"{md(', '.join(value_text(x) for x in ev.alternatives))}"
            + (f" ({md(ev.source)})" if ev.source else "")
        )
    if a.stale:
        st.markdown("#### Evidence to refresh")
        for ev in a.stale:
            why = (
                "dated after the assessment date"
                if ev.after_assessment_date
                else "older than the policy allows"
            )
            st.markdown(f"- **{md(field_label(ev.field))}**: as of {ev.as_of}, {why}")
    if a.overrides:
        st.info(
            "Profile values overridden for this transfer: "
            + ", ".join(md(field_label(x if "." in x else f"country.{x}")) for x in a.overrides)
        )


def counterfactual_list(an: Analysis) -> None:
    st.markdown("#### What would change the outcome")
    if an.assessment.decision == "approve":
        st.markdown("Nothing to change: the transfer is approved as it stands.")
        return
    if not an.counterfactuals:
        if any(p.status == "applies" for p in an.assessment.prohibitions):
            st.markdown("A prohibition applies: no control or evidence about risk can lift it.")
        else:
            st.markdown("No change within the engine's reach makes the decision less severe.")
        return
    for cf in an.counterfactuals:
        st.markdown(f"- {md(cf.sentence)}")


def robustness(an: Analysis) -> None:
    r = an.robustness
    st.markdown("#### Robustness to the rule set's declared uncertainty")
    if not r.declared:
        st.info(robustness_sentence(r))
        return
    c1, c2 = st.columns(2)
    c1.metric("The decision holds in", f"{r.holds:.0%}", help=f"of {r.draws:,} draws")
    a = an.assessment
    c2.metric(
        "Matters most",
        parameter_words(r.most_influential, a) if r.most_influential else "nothing: no draw changed it",
    )
    st.markdown(md(robustness_sentence(r)))
    st.caption(
        "Outcomes over the draws: "
        + ", ".join(f"{DECISION_WORDS[d]} {n:,}" for d, n in r.decisions)
        + ". Each draw multiplies every factor weight by a random factor and shifts every threshold "
        "within the ranges the rule set declares."
    )
    if r.most_influential:
        infl = pd.DataFrame(
            [
                {"Parameter": parameter_words(n, a), "|correlation with a flip|": round(x, 3)}
                for n, x in r.influence
            ]
        )
        st.dataframe(infl, hide_index=True, width="stretch")
