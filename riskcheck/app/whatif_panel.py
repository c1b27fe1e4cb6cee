"""What would change it: tick controls on or off and see the answer for them at once."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from riskcheck import vocabulary as v
from riskcheck.app import state, widgets
from riskcheck.app.widgets import md
from riskcheck.explain.words import DECISION_WORDS
from riskcheck.whatif import Analysis, Context, override

wkey = state.wkey


# --- what if --------------------------------------------------------------------------------


@st.fragment
def whatif(ctx: Context, an: Analysis) -> None:
    """Tick controls on or off: the answer for that set of controls is shown at once."""
    base = an.assessment
    offered = set(((state.case().get("transfer") or {}).get("controls")) or [])
    credit: dict[str, str] = {}
    for m in base.mitigations:
        red = ", ".join(f"{k} -{x:g}" for k, x in m.reduces)
        credit[m.control] = f"{m.title}: lowers {red}" + (f" ({m.why})" if m.offered else "")
    st.markdown("#### Try controls")
    st.caption(
        "Tick or untick a control: the decision below is recomputed at once. Nothing is saved until you apply it "
        "(leaving this tab puts the ticks back to the controls of the transfer)."
    )
    cols = st.columns(2)
    chosen: list[str] = []
    for i, (code, words) in enumerate(v.CONTROLS.items()):
        tag = " (offered)" if code in offered else ""
        if cols[i % 2].checkbox(
            f"{words}{tag}",
            value=code in offered,
            key=wkey(f"whatif.{code}"),
            help=credit.get(
                code,
                "Not credited as a mitigation by this rule set; it may still satisfy a rebuttal condition.",
            ),
        ):
            chosen.append(code)
    a = base if set(chosen) == offered else override(ctx, {}, controls=frozenset(chosen))
    st.markdown(widgets.banner_html(a, prefix="With these controls: "), unsafe_allow_html=True)
    if a is base:
        st.caption("These are the controls offered in the transfer.")
        return
    moved = "unchanged" if a.decision == base.decision else f"was {DECISION_WORDS[base.decision]}"
    st.markdown(f"**Decision {md(moved)}.** " + md(a.summary.split(" | ")[0]))
    rows = []
    for c0, c1 in zip(base.criteria, a.criteria, strict=True):
        if abs(c0.residual - c1.residual) > 1e-9 or c0.level != c1.level:
            rows.append(
                {
                    "Criterion": f"{c1.refusal_code} {c1.title}",
                    "Residual before": c0.residual,
                    "Residual now": c1.residual,
                    "Level now": c1.level,
                }
            )
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    for p0, p1 in zip(base.presumptions, a.presumptions, strict=True):
        if p1.applies == "does_not_apply":
            continue
        changed = [
            (i0, i1) for i0, i1 in zip(p0.rebuttal, p1.rebuttal, strict=True) if i0.status != i1.status
        ]
        for i0, i1 in changed:
            st.markdown(
                f"- Rebuttal: {md(i1.text)}: {widgets.STATUS_ICONS[i0.status]} → {widgets.STATUS_ICONS[i1.status]}"
            )
        st.markdown(f"Presumption {'rebutted' if p1.rebutted else 'not rebutted'} with these controls.")
    if st.button(
        "Use these controls in the transfer",
        key=wkey("whatif.apply"),
        on_click=_apply_controls,
        args=(chosen,),
    ):
        st.rerun()  # the whole page: the transfer changed


def _apply_controls(chosen: list[str]) -> None:
    data = state.case()
    new = {**data, "transfer": {**data["transfer"], "controls": list(chosen)}}
    origin = str(st.session_state.get(state.ORIGIN, ""))
    state.set_case(
        new, st.session_state[state.RULES], origin if origin.endswith("(edited)") else f"{origin} (edited)"
    )
