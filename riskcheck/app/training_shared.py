"""What the trainer's and the trainees' views of the Training page share: the store, the exercise's
material, one-run messages, the briefing as a trainee receives it, the debrief of chosen scenarios,
and the poll that keeps a page up to date.

Session keys (our own, never widget keys): ``rc.training.exercise`` (the exercise id),
``rc.training.trainee`` (the trainee's name as registered), ``rc.training.flash`` (a message for
the next run), ``rc.training.taken`` (an exercise name refused as taken),
``rc.training.seen_debriefs`` (the debriefs open when a trainee's page last ran).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from riskcheck.app import state
from riskcheck.app.widgets import md, table_height
from riskcheck.history import default_url
from riskcheck.paths import rules_dir, scenarios_dir
from riskcheck.training.briefing import (
    Briefing,
    Material,
    load_material,
    resolve,
)
from riskcheck.training.debrief import Debrief, debrief, stages_of
from riskcheck.training.store import Exercise, TrainingStore

EXERCISE, TRAINEE, FLASH = "rc.training.exercise", "rc.training.trainee", "rc.training.flash"
TAKEN = "rc.training.taken"  # an exercise name that was refused as taken
SEEN_DEBRIEFS = "rc.training.seen_debriefs"  # the debriefs open when this trainee's page last ran
TRAINEE_TABS = "tr.trainee.tabs"
POLL_SECONDS = 4
LEVEL_CHOICES = {
    "": "- not assessed -",
    "acceptable": "Acceptable: below every threshold",
    "conditions": "Conditions: approve only with conditions",
    "refer": "Refer: for a decision at a higher level",
    "deny": "Deny: the risk requires refusal",
}


# --- store and material -----------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _tstore(url: str) -> TrainingStore:
    return TrainingStore(state.store().engine)  # the assessments' database and engine


def tstore() -> TrainingStore:
    return _tstore(default_url())


@st.cache_resource(max_entries=16, show_spinner=False)
def _material(key: tuple[Any, ...], _ex: Exercise) -> Material:
    return load_material(_ex)


def material(ex: Exercise) -> Material:
    """The exercise's rule set and scenarios, re-read when a file changes (key: id, paths, mtimes, sizes)."""
    files = [resolve(ex.rules_path, rules_dir()), *(resolve(s.path, scenarios_dir()) for s in ex.scenarios)]
    stats = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    return _material((ex.id, ex.rules_sha256, stats), ex)


def flash(kind: str, text: str) -> None:
    st.session_state[FLASH] = (kind, text)


def show_flash() -> None:
    got = st.session_state.pop(FLASH, None)
    if got:
        kind, text = got  # may quote what someone typed (a name): shown as text, not Markdown
        {"success": st.success, "error": st.error, "info": st.info, "warning": st.warning}[kind](md(text))


def md_text(text: str) -> str:
    """Markdown written in a scenario file, shown as Markdown; ``$`` kept literal (no maths)."""
    return text.replace("$", "\\$")


# --- what a trainee receives --------------------------------------------------------------------


def show_briefing(b: Briefing, *, heading: str = "") -> None:
    st.markdown(f"### {md(heading + b.title)}")
    st.caption(
        f"The assessment is made as of {b.date}"
        + (" · the states in this scenario are fictional" if b.fictional else "")
    )
    st.markdown(md_text(b.text))
    if b.injects:
        st.markdown("#### Injects released so far")
        for inj in b.injects:
            with st.container(border=True):
                st.markdown(f"**Inject {inj.number} · {md(inj.at)} · {md(inj.title)}**")
                st.markdown(md_text(inj.briefing))
    st.markdown("#### The application")
    st.markdown("\n".join(f"- **{md(label)}:** {md(value)}" for label, value in b.transfer))
    st.markdown("#### The evidence")
    st.caption(
        "As recorded, with its source and date. 'unknown' means nobody has established it. "
        + ("'new' marks evidence an inject has changed." if b.injects else "")
    )
    rows = [
        {
            "New": "new" if r.new else "",
            "About": r.group,
            "Indicator": r.what,
            "Value": r.value,
            "Confidence": r.confidence,
            "Source": r.source,
            "As of": r.as_of,
            "Note": r.note,
        }
        for r in b.evidence
    ]
    rows.sort(key=lambda r: r["New"] != "new")  # what an inject changed first
    if rows:
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            width="stretch",
            height=table_height(len(rows)),
            column_config={
                "Indicator": st.column_config.TextColumn(width="medium"),
                "Source": st.column_config.TextColumn(width="medium"),
                "Note": st.column_config.TextColumn(width="medium"),
            },
        )
    st.markdown("\n".join(f"- **{md(label)}:** {md(value)}" for label, value in b.other_evidence))


def debrief_for(ex: Exercise, mat: Material, scenarios: list[int]) -> Debrief:
    stages = [s for s in stages_of(mat.scenarios, ex.released_all) if s.scenario_index in scenarios]
    return debrief(mat.rules, mat.scenarios, tstore().answers(ex.id), stages, ex.trainees)


# --- keeping pages up to date ------------------------------------------------------------------


def watch(ex_id: int, seen: Any, trainer: bool) -> None:
    """Rerun the page when something it shows has changed elsewhere. A trainee's page reruns only when
    the trainer moves the exercise on (an inject, the debrief, the next scenario, the end), never when
    someone joins or saves, so a judgement being typed is not disturbed; the trainer's also when a
    trainee joins or saves."""

    @st.fragment(run_every=POLL_SECONDS)
    def poll() -> None:
        store = tstore()
        now = store.version(ex_id) if trainer else store.get(ex_id).signature
        if now != seen:
            st.rerun(scope="app")

    poll()


def restore_from_address(store: TrainingStore, trainee_view: bool) -> None:
    """After a reload the address still names the exercise (and the trainee): pick them up again."""
    ss = st.session_state
    name = st.query_params.get("exercise")
    if ss.get(EXERCISE) is None and name:
        ex = store.find(name)
        if ex is not None:
            ss[EXERCISE] = ex.id
    if trainee_view and ss.get(EXERCISE) is not None and not ss.get(TRAINEE):
        who = st.query_params.get("trainee")
        if who:
            known = store.get(int(ss[EXERCISE])).trainee_named(who)
            if known:
                ss[TRAINEE] = known
