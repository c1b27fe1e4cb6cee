"""The Training page as a trainer sees it: start (or reopen) a named exercise with scenarios in order and
a rule set; see who has answered; release the scenario's injects one by one (or withdraw the last);
open the debrief; export the class's results.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import pandas as pd
import streamlit as st

from riskcheck.app import catalog, state
from riskcheck.app.training_debrief_ui import show_debrief
from riskcheck.app.training_shared import (
    EXERCISE,
    TAKEN,
    debrief_for,
    flash,
    material,
    md_text,
    restore_from_address,
    show_briefing,
    show_flash,
    tstore,
    watch,
)
from riskcheck.app.widgets import md
from riskcheck.errors import InputError
from riskcheck.paths import rules_dir
from riskcheck.training.answers import (
    Answer,
    latest,
    name_key,
    stage_words,
)
from riskcheck.training.briefing import (
    Material,
    briefing,
    resolve,
    rules_ref,
    scenario_ref,
)
from riskcheck.training.store import Exercise, ExerciseError, TrainingStore

# --- trainer ------------------------------------------------------------------------------------


def _create() -> None:
    ss = st.session_state
    paths = list(ss.get("tr.new.scenarios") or [])
    rules_path = ss.get("tr.new.rules")
    try:
        if not rules_path:
            raise ExerciseError("Choose a rule set.")
        rpath, rules = rules_ref(rules_path)
        refs = [scenario_ref(p) for p in paths]
        ex = tstore().create(
            str(ss.get("tr.new.name") or ""),
            rules_path=rpath,
            rule_set_id=rules.model.id,
            rules_sha256=rules.sha256,
            scenarios=refs,
        )
    except ExerciseError as e:
        if tstore().find(str(ss.get("tr.new.name") or "")) is not None:
            ss[TAKEN] = str(ss.get("tr.new.name") or "").strip()  # shown at the form, with a way in
        else:
            flash("error", str(e))
        return
    except InputError as e:
        flash("error", "A file has errors: " + "; ".join(str(d) for d in e.diagnostics[:3]))
        return
    ss[EXERCISE] = ex.id
    ss.pop(TAKEN, None)
    st.query_params["exercise"] = ex.name
    flash("success", f"Exercise {ex.name!r} started. Give the trainees the join link below.")


def _open_exercise(ex_id: int) -> None:
    ex = tstore().get(int(ex_id))
    st.session_state[EXERCISE] = ex.id
    st.session_state.pop(TAKEN, None)
    st.query_params["exercise"] = ex.name


def _reopen() -> None:
    chosen = st.session_state.get("tr.reopen")
    if chosen is not None:
        _open_exercise(int(chosen))


def _close_view() -> None:
    st.session_state.pop(EXERCISE, None)
    if "exercise" in st.query_params:
        del st.query_params["exercise"]


def _act(action: str) -> None:
    store = tstore()
    ex = store.get(int(st.session_state[EXERCISE]))
    try:
        if action == "release":
            ex = store.release(ex)
            flash("success", f"Inject {ex.stage} released: the trainees now see it and reassess.")
        elif action == "withdraw":
            stage = ex.stage
            ex = store.withdraw(ex)
            flash(
                "success",
                f"Inject {stage} withdrawn: the trainees are back at "
                f"{stage_words(ex.stage, None)}; answers given after it are kept.",
            )
        elif action == "debrief":
            store.open_debrief(ex)
            flash("success", "The debrief is open: trainees now see the tool's answer beside their own.")
        elif action == "next":
            ex = store.next_scenario(ex)
            flash("success", f"Scenario {ex.position + 1} is in play.")
        elif action == "close":
            store.close(ex)
            flash("success", "The exercise is closed; every answer is kept.")
    except ExerciseError as e:
        flash("error", str(e))


def scenario_choices() -> tuple[list[str], dict[str, str]]:
    """The bundled scenarios for an exercise: those with injects first (most first), then by title."""
    index = catalog.scenario_index()
    order = sorted(index, key=lambda p: (-index[p].injects, index[p].title))
    labels = {
        p: f"{s.title} · {s.recipient} ({s.injects} inject{'s' if s.injects != 1 else ''})"
        for p, s in index.items()
    }
    return order, labels


def _name_taken(store: TrainingStore) -> None:
    """A refused start: say so at the form, and offer the exercise of that name."""
    taken = st.session_state.get(TAKEN)
    if not taken:
        return
    ex = store.find(taken)
    st.error(f"The name {md(taken)} is taken: an exercise of that name exists already. Choose another name.")
    if ex is not None:
        st.button(
            f"Reopen {ex.name}" + (" (closed)" if ex.closed else ""),
            key="tr.taken.reopen",
            on_click=_open_exercise,
            args=(ex.id,),
        )


def setup_panel(store: TrainingStore) -> None:
    order, labels = scenario_choices()
    files = state.rule_files()
    default_rules = str(rules_dir() / "baseline.yaml")
    st.markdown("#### Start an exercise")
    with st.form("tr.new"):
        st.text_input(
            "Exercise name", key="tr.new.name", max_chars=120, placeholder="e.g. Licensing course, group B"
        )
        st.multiselect(
            "Scenarios, in the order the class takes them (those with injects first)",
            order,
            format_func=labels.__getitem__,
            key="tr.new.scenarios",
        )
        st.selectbox(
            "Rule set the trainees judge against",
            files,
            index=files.index(default_rules) if default_rules in files else 0,
            format_func=state.rules_title,
            key="tr.new.rules",
        )
        st.form_submit_button("Start the exercise", type="primary", on_click=_create)
    _name_taken(store)
    exs = store.list_exercises()
    if exs:
        st.markdown("#### Reopen an exercise")
        opened = {
            x.id: f"{x.name} · started {x.created_at:%Y-%m-%d %H:%M} UTC · {len(x.trainees)} trainees"
            + (" · closed" if x.closed else "")
            for x in exs
        }
        c1, c2 = st.columns([4, 1])
        c1.selectbox(
            "Exercise",
            list(opened),
            format_func=opened.__getitem__,
            key="tr.reopen",
            label_visibility="collapsed",
        )
        c2.button("Reopen", key="tr.reopen.go", on_click=_reopen)


def join_link(ex: Exercise) -> str:
    query = urllib.parse.urlencode({"role": "trainee", "exercise": ex.name})
    base = ""
    try:
        url = st.context.url
        if url:
            parts = urllib.parse.urlsplit(url)
            base = f"{parts.scheme}://{parts.netloc}"
    except Exception:  # no browser context (e.g. a headless test)
        base = ""
    return f"{base}/?{query}"  # in trainee mode Training is the only page, served at the root


def roster(ex: Exercise, mat: Material, answers: list[Answer]) -> pd.DataFrame:
    pos = ex.position
    last = latest(answers)
    s = mat.scenarios[pos].model
    cols = [(k, stage_words(k, s.injects[k - 1].title if k else None)) for k in range(ex.stage + 1)]
    rows = []
    for t in ex.trainees:
        row: dict[str, Any] = {"Trainee": t}
        for k, label in cols:
            a = last.get((name_key(t), pos, k))
            row[label.capitalize()] = f"saved {a.submitted_at:%H:%M:%S}" if a and a.submitted_at else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=["Trainee", *(label.capitalize() for _, label in cols)])


def run_panel(store: TrainingStore, ex: Exercise) -> None:
    try:
        mat = material(ex)
    except (InputError, OSError) as e:
        st.error(f"The exercise's files cannot be read: {e}")
        st.button("Choose another exercise", on_click=_close_view, key="tr.other")
        return
    for msg in mat.changed:
        st.warning(msg)
    pos, stage = ex.position, ex.stage
    s = mat.scenarios[pos]
    answers = store.answers(ex.id)
    c1, c2 = st.columns([5, 1])
    c1.markdown(
        f"### {md(ex.name)}\nRule set {md(state.rules_title(str(resolve(ex.rules_path, rules_dir()))))} · started "
        f"{ex.created_at:%Y-%m-%d %H:%M} UTC" + (" · **closed**" if ex.closed else "")
    )
    c2.button("Another exercise", on_click=_close_view, key="tr.other")
    st.markdown(
        "Trainees join at this address (the same app in trainee mode; no account, they type their name):"
    )
    st.code(join_link(ex), language=None)
    run, brief, deb = st.tabs(
        ["Run the exercise", "What trainees see", "Debrief"], key="tr.trainer.tabs", on_change="rerun"
    )
    with run:
        inj_title = s.model.injects[stage - 1].title if stage else None
        st.markdown(
            f"**Scenario {pos + 1} of {len(mat.scenarios)}:** {md(s.model.title)} · **in play:** "
            f"{md(stage_words(stage, inj_title))}" + (" · debrief open" if ex.debriefed(pos) else "")
        )
        table = roster(ex, mat, answers)
        done = sum(
            1
            for t in ex.trainees
            if any(
                a.stage == stage and a.scenario_index == pos and name_key(a.trainee) == name_key(t)
                for a in answers
            )
        )
        st.markdown(f"**{done} of {len(ex.trainees)}** trainees have saved an answer for the stage in play.")
        if len(table):
            st.dataframe(table, hide_index=True, width="stretch")  # unkeyed: redrawn whole on every poll
        else:
            st.caption("No trainee has joined yet.")
        pending = s.model.injects[stage:]
        closed = ex.closed or ex.debriefed(pos)
        if pending:
            nxt = pending[0]
            st.button(
                f"Release inject {stage + 1}: {nxt.title}",
                key="tr.release",
                on_click=_act,
                args=("release",),
                disabled=closed,
                type="primary",
                help=f"{nxt.at}. Release when the class has saved: a trainee's unsaved draft for this stage is "
                "replaced by the reassessment form.",
            )
        else:
            st.caption("Every inject of this scenario has been released.")
        if stage and not closed:
            st.button(
                f"Withdraw inject {stage} (undo its release)",
                key="tr.withdraw",
                on_click=_act,
                args=("withdraw",),
                help="Released by mistake or too early: the trainees go back to the stage before it. "
                "Nothing is deleted: the withdrawal is recorded, and any answer given after the inject is kept.",
            )
        c2, c3, c4 = st.columns([1, 2, 1])
        c2.button(
            "Open the debrief",
            key="tr.debrief",
            on_click=_act,
            args=("debrief",),
            disabled=ex.debriefed(pos),
            help="Trainees then see the tool's answer beside their own; answers to this scenario close.",
        )
        if pos + 1 < len(mat.scenarios):
            c3.button(
                f"Next scenario: {mat.scenarios[pos + 1].model.title}",
                key="tr.next",
                on_click=_act,
                args=("next",),
                disabled=ex.closed,
            )
        c4.button("Close the exercise", key="tr.close", on_click=_act, args=("close",), disabled=ex.closed)
        if pending:
            with st.expander(f"Injects still to come ({len(pending)})"):
                for i, inj in enumerate(pending, start=stage + 1):
                    st.markdown(f"**{i}. {md(inj.at)} · {md(inj.title)}**")
                    st.markdown(md_text(inj.briefing))
        if s.model.teaching_notes:
            with st.expander("Teaching notes (trainer only)"):
                st.markdown(md_text(s.model.teaching_notes))
    with brief:
        show_briefing(briefing(s, stage), heading=f"Scenario {pos + 1}: ")
    with deb:
        if not ex.debriefed(pos):
            st.info("Preview: the trainees do not see this until you open the debrief.")
        d = debrief_for(ex, mat, list(range(pos + 1)))
        show_debrief(d, trainer=True, key="tr.class", exercise=ex.name)
    if not ex.closed:
        watch(ex.id, store.version(ex.id), trainer=True)


def trainer_page(store: TrainingStore) -> None:
    restore_from_address(store, trainee_view=False)
    show_flash()
    ex_id = st.session_state.get(EXERCISE)
    if ex_id is None:
        st.caption(
            "Run a scenario with a class: trainees judge each criterion first, the tool's answer is revealed "
            "in the debrief. Trainees open the join link (the app in trainee mode: this page only)."
        )
        setup_panel(store)
        return
    try:
        ex = store.get(int(ex_id))
    except KeyError:
        _close_view()
        st.rerun()
    run_panel(store, ex)
