"""The Assess page's two charts of one assessment (Altair): risk per criterion and where it comes from."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..explain import num, value_text
from ..trace import Assessment
from .widgets import CHART_COLOURS, PENDING


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
