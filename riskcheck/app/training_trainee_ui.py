"""The Training page as a trainee sees it (``?role=trainee``): join by name, read the briefing and the
evidence as received (the tool's scoring hidden), record a judgement per criterion, reassess after
each inject, and see the debrief once the trainer opens it, with their own answers only beside the
class's figures. Everything submitted is saved at once; the address carries the exercise and the
trainee's name, so a reload (or a restarted server) brings the page back with the answers filled in.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from riskcheck.app import training_role
from riskcheck.app.training_debrief_ui import show_debrief
from riskcheck.app.training_shared import (
    EXERCISE,
    LEVEL_CHOICES,
    SEEN_DEBRIEFS,
    TRAINEE,
    TRAINEE_TABS,
    debrief_for,
    flash,
    material,
    restore_from_address,
    show_briefing,
    show_flash,
    tstore,
    watch,
)
from riskcheck.app.widgets import md
from riskcheck.errors import InputError
from riskcheck.explain.words import DECISION_WORDS
from riskcheck.trace import DECISIONS
from riskcheck.training.answers import (
    REASON_MAX,
    Answer,
    CriterionAnswer,
    latest,
    name_key,
    split_conditions,
    stage_words,
)
from riskcheck.training.briefing import (
    Material,
    briefing,
)
from riskcheck.training.store import Exercise, ExerciseError, TrainingStore

# --- the judgement form -----------------------------------------------------------------------


def _prefix(ex: Exercise, trainee: str) -> str:
    return f"tr.{ex.id}.{ex.position}.{ex.stage}.{name_key(trainee)}"


def _prefill(mine: list[Answer], pos: int, stage: int) -> Answer | None:
    """The trainee's own answer at this stage, else their latest at an earlier stage (reassessment)."""
    last = latest(mine)
    for k in range(stage, -1, -1):
        for (_, p, s), a in last.items():
            if p == pos and s == k:
                return a
    return None


def _save(ex_id: int, pos: int, stage: int, trainee: str, prefix: str, criteria: list[str]) -> None:
    """Form callback: store the answer (the widgets' values are in session state)."""
    ss = st.session_state
    decision = ss.get(f"{prefix}.decision")
    if decision not in DECISIONS:
        flash("error", "Choose your decision before saving: nothing was saved yet.")
        return
    answer = Answer(
        trainee=trainee,
        scenario_index=pos,
        stage=stage,
        decision=str(decision),
        criteria=tuple(
            CriterionAnswer(
                c, ss.get(f"{prefix}.{c}.level") or None, str(ss.get(f"{prefix}.{c}.reason") or "").strip()
            )
            for c in criteria
            if ss.get(f"{prefix}.{c}.level") or str(ss.get(f"{prefix}.{c}.reason") or "").strip()
        ),
        conditions=split_conditions(ss.get(f"{prefix}.conditions")),
    )
    try:
        store = tstore()
        saved = store.submit(store.get(ex_id), answer)
    except ExerciseError as e:
        flash("error", str(e))
        return
    when = saved.submitted_at.strftime("%H:%M:%S UTC") if saved.submitted_at else ""
    n = sum(1 for c in saved.criteria if c.level)
    flash("success", f"Saved at {when}: {n} criteria rated, decision {DECISION_WORDS[saved.decision]}.")


def judgement_form(ex: Exercise, mat: Material, trainee: str, mine: list[Answer]) -> None:
    pos, stage = ex.position, ex.stage
    s = mat.scenarios[pos]
    inj = s.model.injects[stage - 1] if stage else None
    prefix = _prefix(ex, trainee)
    prefill = _prefill(mine, pos, stage)
    criteria = mat.rules.model.criteria
    st.markdown(f"#### Your judgement · {md(stage_words(stage, inj.title if inj else None))}")
    if prefill is not None and prefill.stage < stage:
        st.info(
            "The evidence has changed: reassess (ATT Art. 7(7)). Your answer from before the inject is filled "
            "in; change what the new evidence changes and save. Both answers are kept."
        )
    elif prefill is not None:
        st.caption(
            "Your saved answer is filled in. Saving again keeps the earlier one too; the last one counts."
        )
    st.caption(
        "For each criterion of the rule set, the risk level you see and one line of why; leave a criterion "
        "'not assessed' if you have no view. Then your decision and the conditions you would attach."
    )
    with st.form(f"{prefix}.form", border=True):
        head = st.columns([4, 3, 6])
        head[0].markdown("**Criterion**")
        head[1].markdown("**Risk level**")
        head[2].markdown("**Why (one line)**")
        for c in criteria:
            cols = st.columns([4, 3, 6])
            cols[0].markdown(f"**{md(c.refusal_code)}** {md(c.title)}", help=c.legal_text)
            level = prefill.level(c.id) if prefill else None
            cols[1].selectbox(
                f"Risk level: {c.refusal_code} {c.title}",
                list(LEVEL_CHOICES),
                index=list(LEVEL_CHOICES).index(level or ""),
                format_func=lambda x: LEVEL_CHOICES[x],
                key=f"{prefix}.{c.id}.level",
                label_visibility="collapsed",
            )
            cols[2].text_input(
                f"Why: {c.refusal_code} {c.title}",
                value=prefill.reason(c.id) if prefill else "",
                max_chars=REASON_MAX,
                key=f"{prefix}.{c.id}.reason",
                label_visibility="collapsed",
                placeholder="One line: why this level",
            )
        c1, c2 = st.columns([2, 3])
        c1.selectbox(
            "Your decision",
            list(DECISIONS)[::-1],
            index=list(DECISIONS)[::-1].index(prefill.decision) if prefill else None,
            format_func=lambda d: DECISION_WORDS[d],
            placeholder="Choose a decision",
            key=f"{prefix}.decision",
        )
        c2.text_area(
            "Conditions you would attach (one per line)",
            value="\n".join(prefill.conditions) if prefill else "",
            key=f"{prefix}.conditions",
            height=100,
        )
        st.form_submit_button(
            "Save my judgement",
            type="primary",
            on_click=_save,
            args=(ex.id, pos, stage, trainee, prefix, [c.id for c in criteria]),
        )


def my_answers(ex: Exercise, mat: Material, mine: list[Answer]) -> None:
    """The trainee's own saved answers, stage by stage (only theirs)."""
    last = latest(mine)
    if not last:
        st.caption("You have not saved an answer yet.")
        return
    titles = {c.id: f"{c.refusal_code} {c.title}" for c in mat.rules.model.criteria}
    for (_, pos, stage), a in sorted(last.items(), key=lambda kv: (kv[0][1], kv[0][2])):
        s = mat.scenarios[pos].model
        inj = s.injects[stage - 1].title if stage else None
        earlier = sum(1 for x in mine if x.scenario_index == pos and x.stage == stage) - 1
        when = a.submitted_at.strftime("%Y-%m-%d %H:%M:%S UTC") if a.submitted_at else ""
        st.markdown(f"**{md(s.title)} · {md(stage_words(stage, inj))}**")
        st.caption(
            f"Saved {when}"
            + (f" · {earlier} earlier version{'s' if earlier != 1 else ''} kept" if earlier > 0 else "")
            + f" · decision: {DECISION_WORDS.get(a.decision, a.decision)}"
        )
        rows = [
            {"Criterion": titles.get(c.criterion, c.criterion), "Your level": c.level or "", "Why": c.reason}
            for c in a.criteria
        ]
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        if a.conditions:
            st.markdown("Conditions: " + "; ".join(md(x) for x in a.conditions))


# --- trainee ------------------------------------------------------------------------------------


def _join(ex_name: str, who: str) -> None:
    store = tstore()
    ex = store.find(ex_name)
    if ex is None:
        flash("error", f"No exercise is named {ex_name!r}.")
        return
    try:
        ex, name = store.join(ex, who)
    except ExerciseError as e:
        flash("error", str(e))
        return
    st.session_state[EXERCISE] = ex.id
    st.session_state[TRAINEE] = name
    st.query_params.update({"role": training_role.TRAINEE, "exercise": ex.name, "trainee": name})


def _leave() -> None:
    for k in (EXERCISE, TRAINEE):
        st.session_state.pop(k, None)
    for k in ("exercise", "trainee"):
        if k in st.query_params:
            del st.query_params[k]


def join_panel(store: TrainingStore) -> None:
    running = [x for x in store.list_exercises() if not x.closed]
    if not running:
        st.info("No exercise is running yet: wait for your trainer to start one, then press Check again.")
        st.button("Check again", key="tr.join.again")
        return
    names = [x.name for x in running]
    asked = st.query_params.get("exercise")
    with st.form("tr.join"):
        st.markdown("#### Join the exercise")
        st.selectbox(
            "Exercise", names, index=names.index(asked) if asked in names else 0, key="tr.join.exercise"
        )
        st.text_input(
            "Your name",
            max_chars=60,
            key="tr.join.name",
            help="As your trainer will know you. Nobody else in the class sees your answers before the debrief.",
        )
        submitted = st.form_submit_button("Join", type="primary")
    if submitted:
        _join(str(st.session_state.get("tr.join.exercise")), str(st.session_state.get("tr.join.name") or ""))
        st.rerun()


def _pin_panel() -> None:
    if not training_role.pin_required():
        return
    with st.expander("Trainer? Unlock the trainer view"), st.form("tr.pin"):
        pin = st.text_input("Trainer PIN", type="password", key="tr.pin.value")
        if st.form_submit_button("Unlock"):
            if training_role.unlock(pin):
                _leave()
                st.rerun()
            else:
                st.error("That is not the trainer PIN.")


def trainee_page(store: TrainingStore) -> None:
    restore_from_address(store, trainee_view=True)
    show_flash()
    ex_id, me = st.session_state.get(EXERCISE), st.session_state.get(TRAINEE)
    if ex_id is None or not me:
        join_panel(store)
        _pin_panel()
        return
    try:
        ex = store.get(int(ex_id))
    except KeyError:  # not in this database (another server's address): join again
        _leave()
        st.rerun()
    try:
        mat = material(ex)
    except (InputError, OSError) as e:
        st.error(f"The exercise's files cannot be read: {e}")
        return
    pos, stage = ex.position, ex.stage
    s = mat.scenarios[pos]
    c1, c2 = st.columns([5, 1])
    c1.markdown(
        f"**{md(ex.name)}** · you are **{md(me)}** · scenario {pos + 1} of {len(mat.scenarios)} · "
        f"{md(stage_words(stage, s.model.injects[stage - 1].title if stage else None))}"
    )
    c2.button("Leave", key="tr.leave", on_click=_leave)
    mine = store.answers(ex.id, me)
    answered_now = any(a.scenario_index == pos and a.stage == stage for a in mine)
    if stage and not answered_now and not ex.debriefed(pos):
        inj = s.model.injects[stage - 1]
        st.warning(
            f"New inject ({md(inj.at)}): {md(inj.title)}. Read it in the briefing, then reassess below."
        )
    debriefed = [i for i in range(pos + 1) if ex.debriefed(i)]
    names = ["Briefing and evidence", "Your judgement", "Your answers"]
    if debriefed:
        names.append("Debrief")
    seen = st.session_state.get(SEEN_DEBRIEFS)
    if seen is not None and len(debriefed) > len(seen):
        st.session_state[TRAINEE_TABS] = "Debrief"  # the trainer just opened it: show it, wherever they were
    st.session_state[SEEN_DEBRIEFS] = tuple(debriefed)
    tabs = st.tabs(names, key=TRAINEE_TABS, on_change="rerun")  # keyed: a save keeps the tab open
    with tabs[0]:
        show_briefing(briefing(s, stage), heading=f"Scenario {pos + 1}: ")
    with tabs[1]:
        if ex.open_for_answers(pos, stage):
            judgement_form(ex, mat, me, mine)
        elif ex.closed:
            st.info("The exercise is closed: your answers are kept.")
        else:
            st.info("The trainer has opened the debrief of this scenario: answers are closed.")
    with tabs[2]:
        st.caption("Only you see these until the trainer opens the debrief.")
        my_answers(ex, mat, mine)
    if debriefed:
        with tabs[3]:
            d = debrief_for(ex, mat, debriefed).for_trainee(me)
            show_debrief(d, trainer=False, key="tr.me", exercise=ex.name, me=me, class_size=len(ex.trainees))
    if not ex.closed:
        watch(ex.id, ex.signature, trainer=False)
