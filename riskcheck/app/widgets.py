"""Streamlit renderings of one Assessment. They read the trace; none computes a score.

Text from scenarios and rule files is escaped before it reaches Markdown or HTML
(``md`` / ``html.escape``): a title such as ``<script>`` or ``$5 million`` shows as typed.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd
import streamlit as st

from .. import vocabulary as v
from ..explain import value_text
from ..explain.memo import DECISION_COLOURS, cite_url
from ..explain.words import DECISION_WORDS, capability_words, line_note
from ..facts import field_label
from ..trace import Assessment

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
    "host_profile": "host state's profile",
    "scenario": "entered",
    "override": "override (replaces the profile)",
    "transfer": "transfer application",
    "derived": "derived",
    "hypothetical": "what-if",
    "inject": "inject",
}
ROW_PX = 35  # a dataframe row's height in pixels (Streamlit's default row)


def table_height(rows: int) -> int:
    """A dataframe's height that shows all ``rows`` and the header: no table hides rows behind a scroll bar."""
    return ROW_PX * (rows + 1) + 3


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
    if len(a.lines) > 1 or any(line.embargoes for line in a.lines):
        item_lines(a)


def item_lines(a: Assessment) -> None:
    """Each item line's own decision: a licence approves or refuses its lines one by one, and the
    transfer takes the most severe (the detail below is the deciding line's)."""
    st.markdown("**Item lines**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Line": line.line,
                    "Item": line.description,
                    "Quantity": line.quantity,
                    "For": capability_words(line.capability),
                    "Decision": DECISION_WORDS[line.decision],
                    "Refusal criteria": ", ".join(line.refusal_codes),
                    "Embargoes": embargo_status(line.embargoes),
                }
                for line in a.lines
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    note = line_note(a)
    if note:
        st.caption(md(note))
    with st.expander("Why each line"):
        for line in a.lines:
            st.markdown(f"**Line {line.line}** ({md(DECISION_WORDS[line.decision])}): {md(line.summary)}")
            for sentence in line.embargoes:
                st.markdown(f"- {md(sentence)}")


def embargo_status(sentences: tuple[str, ...]) -> str:
    """The table's short form of a line's embargo sentences: 'UN embargo un-x: does not apply'."""
    return "; ".join(s.split(" - ", 1)[0] for s in sentences) or "none in force"


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


def found(check: Any) -> str:
    """The values a condition was tested on, each by its field's title: "UN arms embargo = no"."""
    return "; ".join(f"{field_label(f)} = {value_text(v)}" for f, v in check.values)


def cites_md(a: Assessment, cites: tuple[str, ...]) -> str:
    out = []
    for c in cites:
        url = cite_url(a.sources, c)
        out.append(f"[{md(c)}]({url})" if url else md(c))
    return "; ".join(out)


def controls_words(codes: list[str] | tuple[str, ...]) -> str:
    return ", ".join(v.CONTROLS.get(c, c) for c in codes) or "none"
