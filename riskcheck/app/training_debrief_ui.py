"""The debrief on the Training page: the tool beside the class, criterion by criterion.

Reads a :class:`riskcheck.training.debrief.Debrief`; computes nothing. The trainer's view
shows every trainee; a trainee's shows their own answers beside the class's figures.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from riskcheck.app import forms, widgets
from riskcheck.app.widgets import md, table_height
from riskcheck.explain.words import DECISION_WORDS
from riskcheck.training.agreement import Kappa
from riskcheck.training.answers import LEVEL_WORDS, LEVELS
from riskcheck.training.debrief import Debrief, StageDebrief
from riskcheck.training.export import LEVEL_COLOURS, as_csv, as_html

MARKS = {"agrees": "= agrees", "stricter": "+ stricter", "more lenient": "- more lenient", "not answered": ""}


def _kappa_metric(k: Kappa) -> str:
    return "n/a" if k.value is None else f"{float(k.value):.2f}"


def _cell(level: str | None, verdict: str) -> str:
    return f"{level} {MARKS[verdict]}".strip() if level else ""


def criteria_frame(s: StageDebrief, trainees: list[str]) -> pd.DataFrame:
    rows = []
    for r in s.criteria:
        row: dict[str, Any] = {
            "Criterion": f"{r.code} {r.title}",
            "Tool": f"{LEVEL_WORDS[r.tool_level]} ({r.tool_label}, {r.residual:.2f})",
        }
        row |= {t: _cell(r.trainees[t].level, r.trainees[t].verdict) for t in trainees}
        row["Class spread"] = ", ".join(f"{k} {n}" for k, n in r.counts.items() if n)
        row["Agreeing"] = r.share.text()
        row["What explains the tool's view"] = r.why.text()
        row["Citation"] = "; ".join(r.why.cite)
        rows.append(row)
    dr = s.decision
    drow: dict[str, Any] = {"Criterion": "DECISION", "Tool": DECISION_WORDS[dr.tool]}
    drow |= {t: _cell(dr.trainees[t].level, dr.trainees[t].verdict) for t in trainees}
    drow["Class spread"] = ", ".join(f"{k} {n}" for k, n in dr.counts.items() if n)
    drow["Agreeing"] = dr.share.text()
    drow["What explains the tool's view"] = dr.summary
    drow["Citation"] = ", ".join(dr.refusal_codes)
    rows.append(drow)
    return pd.DataFrame(rows)


WHY = "What explains the tool's view"
TABLE_COLUMNS = {
    "Criterion": st.column_config.TextColumn(width=240, pinned=True),
    "Tool": st.column_config.TextColumn(width=170),
    "Class spread": st.column_config.TextColumn(width=150),
    "Agreeing": st.column_config.TextColumn(width=90),
    "Why": st.column_config.TextColumn(width="medium"),
}
SMALL_CLASS = 3  # Fleiss' kappa compares each pair of trainees: with two, one disagreement swings it far


def small_class_note(trainees: int, d: Debrief) -> str | None:
    """Why kappa says little here, when it does: too few trainees or too few items answered."""
    items = min(d.decision_kappa.subjects, d.level_kappa.subjects or d.decision_kappa.subjects)
    if trainees >= SMALL_CLASS and items >= SMALL_CLASS:
        return None
    who = f"{trainees} trainee{'s' if trainees != 1 else ''}"
    return (
        f"With {who} and {items} item{'s' if items != 1 else ''} answered, the class is too small for kappa to "
        "mean much: a single disagreement can push it far below 0. Read the shares agreeing with the tool "
        "instead, and kappa once at least three trainees have answered several stages."
    )


def spread_chart(s: StageDebrief, class_size: int) -> dict[str, Any]:
    """The class's levels per criterion (circles sized by the number of trainees) and the tool's (a diamond)."""
    order = [f"{r.code} {r.title.split(':', 1)[-1].strip()}" for r in s.criteria]
    class_rows = [
        {"criterion": label, "level": lv, "trainees": n}
        for label, r in zip(order, s.criteria, strict=True)
        for lv, n in r.counts.items()
        if n
    ]
    tool_rows = [
        {"criterion": label, "level": r.tool_level, "tool": f"the tool: {r.tool_level} ({r.tool_label})"}
        for label, r in zip(order, s.criteria, strict=True)
    ]
    top = max(1, class_size)
    x = alt.X(
        "level:N",
        sort=list(LEVELS),
        scale=alt.Scale(domain=list(LEVELS)),
        title="risk level",
        axis=alt.Axis(labelAngle=0, orient="top"),
    )
    y = alt.Y("criterion:N", sort=order, title=None, axis=alt.Axis(labelLimit=300))
    dots = (
        alt.Chart(pd.DataFrame(class_rows, columns=["criterion", "level", "trainees"]))
        .mark_circle(opacity=0.8)
        .encode(
            x=x,
            y=y,
            size=alt.Size(
                "trainees:Q",
                scale=alt.Scale(domain=[0, top], range=[0, 900]),
                legend=alt.Legend(title="trainees", values=sorted({1, (top + 1) // 2, top}), format="d"),
            ),
            color=alt.Color(
                "level:N",
                scale=alt.Scale(domain=list(LEVEL_COLOURS), range=list(LEVEL_COLOURS.values())),
                legend=None,
            ),
            tooltip=["criterion:N", "level:N", "trainees:Q"],
        )
    )
    tool = (
        alt.Chart(pd.DataFrame(tool_rows))
        .mark_point(shape="diamond", filled=False, size=500, color="#111", strokeWidth=2)
        .encode(x=x, y=y, tooltip=["criterion:N", "tool:N"])
    )
    return (dots + tool).properties(height=alt.Step(26)).to_dict()  # type: ignore[no-any-return]


def stage_view(s: StageDebrief, trainees: list[str], class_size: int, key: str) -> None:
    dr = s.decision
    st.markdown(widgets.banner_html(s.assessment, prefix="The tool: "), unsafe_allow_html=True)
    spread = ", ".join(f"{DECISION_WORDS[k]} {n}" for k, n in dr.counts.items() if n) or "no answer yet"
    st.markdown(
        f"**The class's decisions:** {md(spread)} · agreeing with the tool: **{md(dr.share.text())}**"
    )
    st.caption(md(dr.summary))
    frame = criteria_frame(s, trainees)
    # The long texts (the factor behind the tool's view, the citation) are listed under the table in
    # full: in a grid cell they would be cut off at its right edge.
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height=table_height(len(frame)),
        column_config=TABLE_COLUMNS,
        column_order=["Criterion", "Tool", *trainees, "Class spread", "Agreeing"],
        key=f"{key}.table",
    )
    st.caption("= agrees with the tool · + stricter than the tool · - more lenient.")
    st.markdown("##### What the tool's view rests on")
    st.caption(
        "For each criterion, the factor that sets its level (its highest score), its evidence and citation."
    )
    st.markdown(
        "\n".join(
            f"- **{md(r['Criterion'])}** ({md(r['Tool'])}): {md(r[WHY])}"
            + (f" · *{md(r['Citation'])}*" if r["Citation"] else "")
            for r in frame.to_dict("records")
        )
    )
    st.markdown("##### The class's spread")
    st.caption("Circles: how many trainees chose each level · diamond: the tool's level")
    st.vega_lite_chart(spread_chart(s, class_size), width="stretch", key=f"{key}.chart")
    st.caption(
        f"The class's agreement on the levels at this stage (Fleiss' kappa): {md(s.level_kappa.text())}"
    )
    if dr.tool_conditions:
        with st.expander("Conditions the tool attaches"):
            for c in dr.tool_conditions:
                st.markdown(f"- {md(c)}")


def trainee_detail(s: StageDebrief, who: str, key: str) -> None:
    rows = []
    for r in s.criteria:
        cell = r.trainees.get(who)
        if cell is None:
            continue
        rows.append(
            {
                "Criterion": f"{r.code} {r.title}",
                "Level": cell.level or "not assessed",
                "Why": cell.reason,
                "Tool": r.tool_level,
                "Compared": MARKS[cell.verdict] or "not assessed",
                "What explains the tool's view": r.why.text(),
                "Citation": "; ".join(r.why.cite),
            }
        )
    dcell = s.decision.trainees.get(who)
    if dcell is not None:
        st.markdown(
            f"Decision: **{md(DECISION_WORDS.get(dcell.level or '', 'none'))}** · the tool: "
            f"**{md(DECISION_WORDS[s.decision.tool])}** ({md(dcell.verdict)})"
        )
        conds = s.decision.trainee_conditions.get(who)
        if conds:
            st.markdown("Conditions: " + "; ".join(md(c) for c in conds))
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        height=table_height(len(rows)),
        column_config=TABLE_COLUMNS,
        key=f"{key}.detail",
    )


def show_debrief(
    d: Debrief, *, trainer: bool, key: str, exercise: str, me: str = "", class_size: int = 0
) -> None:
    if not d.stages:
        st.info("No stage to debrief yet.")
        return
    trainees = list(d.trainees)
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "Decision: Fleiss' kappa",
        _kappa_metric(d.decision_kappa),
        help="How far the trainees agree with each other on the decision beyond chance, over the stages: "
        + d.decision_kappa.text(),
    )
    c2.metric(
        "Criterion levels: Fleiss' kappa",
        _kappa_metric(d.level_kappa),
        help="The same for the criterion levels, over every criterion and stage: " + d.level_kappa.text(),
    )
    if trainer:
        c3.metric("Trainees", len(trainees))
    elif d.summaries:
        c3.metric("Your levels agreeing with the tool", d.summaries[0].levels.text())
    note = small_class_note(len(trainees), d)
    if note:
        st.info(note, icon=":material/groups:")
    st.caption(
        f"Decision: {md(d.decision_kappa.text())}. Criterion levels: {md(d.level_kappa.text())}. Kappa is 1 when "
        "everybody agrees, 0 when they agree as often as chance would have them, below 0 when less often; it "
        "measures the class's agreement with itself, the shares below its agreement with the tool."
    )
    labels = [f"{s.stage.scenario_title} - {s.stage.words}" for s in d.stages]
    idx = st.selectbox(
        "Stage",
        list(range(len(d.stages))),
        index=len(d.stages) - 1,  # the latest stage; a new key when a stage is added, so it shows
        format_func=lambda i: labels[i],
        key=f"{key}.stage.{len(d.stages)}",
    )
    s = d.stages[idx]
    stage_view(s, trainees, class_size or len(trainees), f"{key}.{idx}")
    if trainer:
        st.markdown("##### Per trainee")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Trainee": x.trainee,
                        "Levels agreeing": x.levels.text(),
                        "Decisions agreeing": x.decisions.text(),
                        "Stricter": x.stricter,
                        "More lenient": x.more_lenient,
                    }
                    for x in d.summaries
                ]
            ),
            hide_index=True,
            width="stretch",
            key=f"{key}.summaries",
        )
        if trainees:
            who = st.selectbox("Trainee", trainees, key=f"{key}.who")
            trainee_detail(s, str(who), f"{key}.{idx}")
    elif me:
        st.markdown("##### Your answers beside the tool")
        trainee_detail(s, me, f"{key}.{idx}")
    name = forms.slug(exercise) or "exercise"
    title = " · ".join(dict.fromkeys(x.stage.scenario_title for x in d.stages))
    c1, c2 = st.columns(2)
    if trainer:
        c1.download_button(
            "Class results (CSV)",
            data=lambda: as_csv(d, exercise),
            file_name=f"{name}-results.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"{key}.csv",
        )
    c2.download_button(
        "Printable debrief (HTML)" if trainer else "My debrief (printable HTML)",
        data=lambda: as_html(d, title, exercise),
        file_name=f"{name}-debrief.html",
        mime="text/html",
        on_click="ignore",
        key=f"{key}.html",
    )
