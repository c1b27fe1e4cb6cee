"""The Why tab: presumptions and their rebuttal checklists, the charts, each criterion's factors with
their evidence, the prohibitions, escalations, mitigations, conditions and what is left to judgement."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from ..explain import KIND_WORDS, LEVEL_WORDS, num, value_text
from ..explain.memo import cite_url
from ..explain.words import DECISION_WORDS, credited_reduction
from ..trace import Assessment, CriterionResult
from .charts import contribution_chart, risk_chart
from .widgets import LEVEL_ICONS, ORIGIN_WORDS, PROHIBITION_ICONS, STATUS_ICONS, cites_md, found, md

# --- drill-down -------------------------------------------------------------------------


def factor_frame(a: Assessment, c: CriterionResult) -> pd.DataFrame:
    rows = []
    for f in c.factors:
        ev = f.evidence
        links = [u for u in (cite_url(a.sources, x) for x in f.cite) if u]
        rows.append(
            {
                "Factor": f.title,
                "Evidence": value_text(ev.value)
                + (f" (or {', '.join(value_text(x) for x in ev.alternatives)})" if ev.alternatives else ""),
                "Confidence": ev.confidence,
                "Source": ev.source or "",
                "As of": ev.as_of.isoformat() if ev.as_of else "",
                "From": ORIGIN_WORDS.get(ev.origin, ev.origin)
                + (" · STALE" if ev.stale else "")
                + (" · dated after the assessment" if ev.after_assessment_date else ""),
                "Score": f"{num(f.score)}/{num(f.max_score)}",
                "Weight": f.weight,
                "Contribution": round(f.contribution, 3),
                "Status": f.status,
                "Cites": "; ".join(f.cite),
                "Link": links[0] if links else None,
                "Rule line": f.rule_at,
                "Evidence at": ev.at or "",
            }
        )
    return pd.DataFrame(rows)


FACTOR_COLUMNS = {
    "Weight": st.column_config.NumberColumn(format="%.2g"),
    "Contribution": st.column_config.NumberColumn(
        format="%.2f", help="This factor's share of the weighted mean"
    ),
    "Link": st.column_config.LinkColumn(
        display_text="open source", help="The cited instrument, where its URL is known"
    ),
    "From": st.column_config.TextColumn(
        help="Where the value comes from; 'override' replaces the recipient profile"
    ),
}


def prohibitions(a: Assessment) -> None:
    st.markdown("#### Prohibitions (ATT Art. 6, embargoes): never offset by anything")
    for p in a.prohibitions:
        status = PROHIBITION_ICONS.get(p.status, md(p.status.replace("_", " ")))
        st.markdown(
            f"- **{md(p.title)}**: {status} "
            f"(tested: {md(p.check.text)}; found: {md(found(p.check))}) · {cites_md(a, p.cite)} "
            f"· rule `{p.rule_at}`"
        )


def presumption_heading(title: str) -> str:
    """ "Presumption of denial: <what>", without repeating the words when the title starts with them."""
    rest = re.sub(r"^presumption of denial\s*[-:–]?\s*", "", title, flags=re.I)
    return f"Presumption of denial: {rest or title}"


def presumptions(a: Assessment) -> None:
    if not a.presumptions:
        return
    for pr in a.presumptions:
        st.markdown(f"#### {md(presumption_heading(pr.title))}")
        state = "rebutted" if pr.rebutted else "not rebutted"
        applies = pr.applies.replace("_", " ")
        st.markdown(
            f"**{md(applies.capitalize())}**"
            + (f"; **{state}**" if pr.applies != "does_not_apply" else "")
            + f" (tested: {md(pr.check.text)}) · {cites_md(a, pr.cite)} · rule `{pr.rule_at}`"
        )
        if pr.applies == "does_not_apply":
            continue
        st.markdown("Rebuttal checklist: every item must be demonstrated.")
        for item in pr.rebuttal:
            st.markdown(
                f"- {STATUS_ICONS.get(item.status, item.status)} - {md(item.text)} "
                f"({md(found(item.check))}) · {cites_md(a, item.cite)}"
            )


def criteria(a: Assessment) -> None:
    st.markdown("#### Criteria: inherent risk (before mitigation) and residual risk (after)")
    order = sorted(a.criteria, key=lambda c: (-c.residual, c.refusal_code))
    for c in order:
        th = ", ".join(f"{k} {num(x)}" for k, x in c.thresholds)
        label = (
            f"{LEVEL_ICONS[c.level]} **{md(c.refusal_code)}** · {md(c.title)} - residual {num(c.residual)} "
            f"({md(c.label)}): {md(LEVEL_WORDS[c.level])}"
        )
        with st.expander(label, expanded=c.level in ("deny", "refer")):
            st.markdown(f"*{md(c.legal_text)}* ({cites_md(a, c.cite)})")
            cols = st.columns(4)
            cols[0].metric("Inherent risk", num(c.inherent), help="Before mitigation")
            cols[1].metric(
                "Mitigation credited",
                credited_reduction(c),
                help=f"Cap {num(c.mitigation_cap)}" if c.mitigable else "Not mitigable",
            )
            cols[2].metric("Residual risk", num(c.residual), help="After mitigation")
            cols[3].metric("Legal kind", c.kind.replace("_", " "), help=KIND_WORDS[c.kind])
            st.caption(f"Thresholds: {md(th)} · rule `{c.rule_at}`")
            st.markdown(md(c.explanation))
            past = getattr(c, "past_conduct", "")
            if past:
                st.markdown(f"**{md(past)}**")
            st.dataframe(factor_frame(a, c), hide_index=True, column_config=FACTOR_COLUMNS, width="stretch")


def explanation(a: Assessment, specs: tuple[dict[str, Any], dict[str, Any]] | None = None) -> None:
    """The drill-down. ``specs``: the charts' Vega-Lite specs, when the caller has them cached."""
    risk, contrib = specs or (risk_chart(a).to_dict(), contribution_chart(a).to_dict())
    presumptions(a)
    st.markdown("#### Risk per criterion")
    st.caption(
        "Bar: residual risk after mitigation · black tick: inherent risk · "
        "red tick: the threshold that denies (or refers)"
    )
    st.vega_lite_chart(risk, width="stretch")
    st.markdown("#### Where the risk comes from")
    st.vega_lite_chart(contrib, width="stretch")
    criteria(a)
    prohibitions(a)
    escalating = [x for x in a.escalations if x.status != "does_not_apply"]
    if escalating:
        st.markdown("#### Escalations")
        for x in escalating:
            st.markdown(
                f"- **{md(x.title)}**: {md(x.status.replace('_', ' '))} → at least "
                f"{md(DECISION_WORDS[x.outcome])}. {md(x.explain)}"
            )
    offered = [m for m in a.mitigations if m.offered]
    st.markdown("#### Mitigations offered")
    if not offered:
        st.markdown("No control offered.")
    for m in offered:
        st.markdown(f"- **{md(m.title)}** (`{m.control}`): {md(m.why)}")
    args = getattr(a, "arguments", ())
    if args:
        st.markdown("#### Arguments put forward for approval (none lowers any risk)")
        for arg in args:
            st.markdown(
                f"- **{md(arg.title)}**: {'rejected' if arg.rejected else 'not addressed'} - {md(arg.reason)}"
            )
    if a.conditions:
        st.markdown("#### Conditions to attach to any licence")
        for cond in a.conditions:
            st.markdown(f"- {md(cond.text)}")
    if a.not_formalised:
        with st.expander("Left to human judgement (not formalised in this rule set)"):
            for t in a.not_formalised:
                st.markdown(f"- {md(t)}")
