"""Streamlit renderings of one Assessment. They read the trace; none computes a score.

Text from scenarios and rule files is escaped before it reaches Markdown or HTML
(``md`` / ``html.escape``): a title such as ``<script>`` or ``$5 million`` shows as typed.
"""

from __future__ import annotations

import html
import re
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from .. import vocabulary as v
from ..explain import KIND_WORDS, LEVEL_WORDS, num, value_text
from ..facts import field_label
from ..report import DECISION_COLOURS, Analysis, cite_url, credited, robustness_sentence
from ..trace import DECISION_WORDS, Assessment, CriterionResult

# Material icons ship with Streamlit's own font: they render without an emoji font on the machine.
LEVEL_ICONS = {
    "deny": ":red[:material/block:]",
    "refer": ":orange[:material/report:]",
    "conditions": ":blue[:material/rule:]",
    "acceptable": ":green[:material/check_circle:]",
}
LEVEL_COLOURS = {"deny": "#b3261e", "refer": "#b26a00", "conditions": "#1f5fa8", "acceptable": "#1e7a34"}
# A residual at or above the deny threshold whose level is only "refer": it gets there through evidence
# that is missing or unknown (scored on its worst reading), so the case waits for that evidence.
PENDING = "refer: pending evidence"
CHART_COLOURS = {
    "deny": "#b3261e",
    PENDING: "#e8a33d",
    "refer": "#b26a00",
    "conditions": "#1f5fa8",
    "acceptable": "#1e7a34",
}
STATUS_ICONS = {
    "met": ":green[:material/check_circle: **met**]",
    "unmet": ":red[:material/cancel: **unmet**]",
    "unknown": ":orange[:material/help: **unknown**]",
}
PROHIBITION_ICONS = {
    "applies": ":red[:material/block: **applies**]",
    "does_not_apply": ":green[:material/check_circle: does not apply]",
    "cannot_be_excluded": ":orange[:material/help: **cannot be excluded**]",
}
ORIGIN_WORDS = {
    "profile": "profile",
    "scenario": "entered",
    "override": "override (replaces the profile)",
    "transfer": "transfer application",
    "derived": "derived",
    "hypothetical": "what-if",
    "inject": "inject",
}
ROW_PX = 35  # a dataframe row's height in pixels (Streamlit's default row)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~])")


def md(text: Any) -> str:
    """Escape text for st.markdown (including ``$``, which Streamlit would typeset as maths)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def e(text: Any) -> str:
    return html.escape(str(text), quote=True)


# --- the answer -------------------------------------------------------------------------


def banner_html(a: Assessment, prefix: str = "") -> str:
    codes = (
        f'<span style="font-weight:normal"> &middot; refusal criteria {e(", ".join(a.refusal_codes))}</span>'
        if a.refusal_codes
        else ""
    )
    return (
        f'<div data-testid="rc-decision" data-decision="{e(a.decision)}" '
        f'style="background:{DECISION_COLOURS[a.decision]};color:#fff;padding:0.7rem 1rem;'
        f'border-radius:0.5rem;font-size:1.5rem;font-weight:700;margin:0.2rem 0 0.6rem 0">'
        f"{e(prefix)}{e(DECISION_WORDS[a.decision])}{codes}</div>"
    )


def answer(a: Assessment) -> None:
    """Decision in words and colour, refusal codes, one line of why, the disclaimer."""
    st.markdown(banner_html(a), unsafe_allow_html=True)
    parts = [p.strip() for p in a.summary.split(" | ") if p.strip()]
    if parts:
        st.markdown("**Why:** " + md(parts[0]))
        for p in parts[1:]:
            st.markdown("**Also:** " + md(p))
    st.caption(":material/balance: " + md(a.disclaimer.strip()))


# Streamlit scrolls its main block, not the window. The script runs in a component's iframe, which
# shares the page's origin, and scrolls the page's first decision banner to the top of the view.
_SCROLL_TO_ANSWER = """<script>
const doc = window.parent.document;
const banner = doc.querySelector('div[data-decision]');
if (banner) banner.scrollIntoView({block: "start"});
</script>"""


def bring_answer_into_view() -> None:
    import streamlit.components.v1 as components

    components.html(_SCROLL_TO_ANSWER, height=0)


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


def risk_chart(a: Assessment) -> alt.LayerChart:
    """Inherent and residual risk per criterion, with its deny (or refer) threshold."""
    rows = []
    for c in a.criteria:
        th = dict(c.thresholds)
        pending = c.level == "refer" and "deny" in th and c.residual >= th["deny"]
        rows.append(
            {
                "criterion": f"{c.refusal_code} {c.title.split(':', 1)[-1].strip()}",
                "residual": c.residual,
                "inherent": c.inherent,
                "threshold": th.get("deny", th.get("refer")),
                "threshold_kind": "deny" if "deny" in th else "refer",
                "level": PENDING if pending else c.level,
            }
        )
    data = pd.DataFrame(rows)
    order = list(data["criterion"])
    y = alt.Y("criterion:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("residual:Q", title="risk (0 = none, 4 = worst)", scale=alt.Scale(domain=[0, 4])),
            color=alt.Color(
                "level:N",
                scale=alt.Scale(domain=list(CHART_COLOURS), range=list(CHART_COLOURS.values())),
                legend=alt.Legend(title="residual level", orient="bottom"),
            ),
            tooltip=["criterion", "inherent", "residual", "threshold", "threshold_kind", "level"],
        )
    )
    inherent = alt.Chart(data).mark_tick(color="#222", thickness=2, size=14).encode(y=y, x="inherent:Q")
    threshold = (
        alt.Chart(data)
        .mark_tick(color="#b3261e", thickness=2, size=18, opacity=0.6)
        .encode(y=y, x="threshold:Q", tooltip=["threshold_kind", "threshold"])
    )
    return (bars + inherent + threshold).properties(height=alt.Step(22))


def contribution_chart(a: Assessment) -> alt.Chart:
    """Where each criterion's weighted mean comes from, factor by factor."""
    rows = [
        {
            "criterion": f"{c.refusal_code} {c.title.split(':', 1)[-1].strip()}",
            "factor": f.title,
            "contribution": round(f.contribution, 4),
            "score": f"{num(f.score)}/{num(f.max_score)}",
            "weight": f.weight,
            "evidence": value_text(f.evidence.value),
        }
        for c in a.criteria
        for f in c.factors
        if f.contribution > 0
    ]
    data = pd.DataFrame(rows or [{"criterion": "", "factor": "", "contribution": 0.0}])
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("criterion:N", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("sum(contribution):Q", title="contribution to the weighted mean"),
            color=alt.Color("factor:N", legend=None),
            tooltip=["criterion", "factor", "contribution", "score", "weight", "evidence"],
        )
        .properties(height=alt.Step(22))
    )


def found(check: Any) -> str:
    """The values a condition was tested on, each by its field's title: "UN arms embargo = no"."""
    return "; ".join(f"{field_label(f)} = {value_text(v)}" for f, v in check.values)


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


def cites_md(a: Assessment, cites: tuple[str, ...]) -> str:
    out = []
    for c in cites:
        url = cite_url(a.sources, c)
        out.append(f"[{md(c)}]({url})" if url else md(c))
    return "; ".join(out)


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
                credited(c),
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
            height=ROW_PX * (len(rows) + 1) + 3,  # every item shown, none behind a scroll bar
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


def controls_words(codes: list[str] | tuple[str, ...]) -> str:
    return ", ".join(v.CONTROLS.get(c, c) for c in codes) or "none"
