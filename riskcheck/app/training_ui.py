"""Training: a trainer runs scenarios with a class; trainees judge first and see the tool after.

Trainer view: start (or reopen) a named exercise with scenarios in order and a rule set; see
who has answered; release the scenario's injects one by one; open the debrief; export the
class's results. Trainee view (``?role=trainee``, see ``training_role``): join by name, read
the briefing and the evidence as received (the tool's scoring hidden), record a judgement per
criterion, reassess after each inject, and see the debrief once the trainer opens it, with
their own answers only beside the class's figures.

Everything a trainee submits is saved at once in the database (``riskcheck.training.store``);
the address carries the exercise and the trainee's name, so a reload (or a restarted server)
brings the page back with the answers filled in.

Session keys (our own, never widget keys): ``rc.training.exercise`` (the exercise id),
``rc.training.trainee`` (the trainee's name as registered), ``rc.training.flash`` (a message
for the next run).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import pandas as pd
import streamlit as st

from riskcheck.app import catalog, state, training_role
from riskcheck.app.training_debrief_ui import ROW_PX, show_debrief
from riskcheck.app.widgets import md
from riskcheck.errors import InputError
from riskcheck.history import default_url
from riskcheck.paths import rules_dir, scenarios_dir
from riskcheck.trace import DECISION_WORDS, DECISIONS
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
    Briefing,
    Material,
    briefing,
    load_material,
    resolve,
    rules_ref,
    scenario_ref,
)
from riskcheck.training.debrief import Debrief, debrief, stages_of
from riskcheck.training.store import Exercise, ExerciseError, TrainingStore

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


def _flash(kind: str, text: str) -> None:
    st.session_state[FLASH] = (kind, text)


def _show_flash() -> None:
    got = st.session_state.pop(FLASH, None)
    if got:
        kind, text = got  # may quote what someone typed (a name): shown as text, not Markdown
        {"success": st.success, "error": st.error, "info": st.info, "warning": st.warning}[kind](md(text))


def _md_text(text: str) -> str:
    """Markdown written in a scenario file, shown as Markdown; ``$`` kept literal (no maths)."""
    return text.replace("$", "\\$")


# --- what a trainee receives --------------------------------------------------------------------


def show_briefing(b: Briefing, *, heading: str = "") -> None:
    st.markdown(f"### {md(heading + b.title)}")
    st.caption(
        f"The assessment is made as of {b.date}"
        + (" · the states in this scenario are fictional" if b.fictional else "")
    )
    st.markdown(_md_text(b.text))
    if b.injects:
        st.markdown("#### Injects released so far")
        for inj in b.injects:
            with st.container(border=True):
                st.markdown(f"**Inject {inj.number} · {md(inj.at)} · {md(inj.title)}**")
                st.markdown(_md_text(inj.briefing))
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
            height=ROW_PX * (len(rows) + 1) + 3,
            column_config={
                "Indicator": st.column_config.TextColumn(width="medium"),
                "Source": st.column_config.TextColumn(width="medium"),
                "Note": st.column_config.TextColumn(width="medium"),
            },
        )
    st.markdown("\n".join(f"- **{md(label)}:** {md(value)}" for label, value in b.other_evidence))


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
        _flash("error", "Choose your decision before saving: nothing was saved yet.")
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
        _flash("error", str(e))
        return
    when = saved.submitted_at.strftime("%H:%M:%S UTC") if saved.submitted_at else ""
    n = sum(1 for c in saved.criteria if c.level)
    _flash("success", f"Saved at {when}: {n} criteria rated, decision {DECISION_WORDS[saved.decision]}.")


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


def _debrief_for(ex: Exercise, mat: Material, scenarios: list[int]) -> Debrief:
    stages = [s for s in stages_of(mat.scenarios, ex.released_all) if s.scenario_index in scenarios]
    return debrief(mat.rules, mat.scenarios, tstore().answers(ex.id), stages, ex.trainees)


# --- keeping pages up to date ------------------------------------------------------------------


def _watch(ex_id: int, seen: Any, trainer: bool) -> None:
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


# --- trainee ------------------------------------------------------------------------------------


def _join(ex_name: str, who: str) -> None:
    store = tstore()
    ex = store.find(ex_name)
    if ex is None:
        _flash("error", f"No exercise is named {ex_name!r}.")
        return
    try:
        ex, name = store.join(ex, who)
    except ExerciseError as e:
        _flash("error", str(e))
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


def _restore(store: TrainingStore, trainee_view: bool) -> None:
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


def trainee_page(store: TrainingStore) -> None:
    _restore(store, trainee_view=True)
    _show_flash()
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
            d = _debrief_for(ex, mat, debriefed).for_trainee(me)
            show_debrief(d, trainer=False, key="tr.me", exercise=ex.name, me=me, class_size=len(ex.trainees))
    if not ex.closed:
        _watch(ex.id, ex.signature, trainer=False)


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
            _flash("error", str(e))
        return
    except InputError as e:
        _flash("error", "A file has errors: " + "; ".join(str(d) for d in e.diagnostics[:3]))
        return
    ss[EXERCISE] = ex.id
    ss.pop(TAKEN, None)
    st.query_params["exercise"] = ex.name
    _flash("success", f"Exercise {ex.name!r} started. Give the trainees the join link below.")


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
            _flash("success", f"Inject {ex.stage} released: the trainees now see it and reassess.")
        elif action == "withdraw":
            stage = ex.stage
            ex = store.withdraw(ex)
            _flash(
                "success",
                f"Inject {stage} withdrawn: the trainees are back at "
                f"{stage_words(ex.stage, None)}; answers given after it are kept.",
            )
        elif action == "debrief":
            store.open_debrief(ex)
            _flash("success", "The debrief is open: trainees now see the tool's answer beside their own.")
        elif action == "next":
            ex = store.next_scenario(ex)
            _flash("success", f"Scenario {ex.position + 1} is in play.")
        elif action == "close":
            store.close(ex)
            _flash("success", "The exercise is closed; every answer is kept.")
    except ExerciseError as e:
        _flash("error", str(e))


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
        labels = {
            x.id: f"{x.name} · started {x.created_at:%Y-%m-%d %H:%M} UTC · {len(x.trainees)} trainees"
            + (" · closed" if x.closed else "")
            for x in exs
        }
        c1, c2 = st.columns([4, 1])
        c1.selectbox(
            "Exercise",
            list(labels),
            format_func=lambda i: labels[i],
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
                    st.markdown(_md_text(inj.briefing))
        if s.model.teaching_notes:
            with st.expander("Teaching notes (trainer only)"):
                st.markdown(_md_text(s.model.teaching_notes))
    with brief:
        show_briefing(briefing(s, stage), heading=f"Scenario {pos + 1}: ")
    with deb:
        if not ex.debriefed(pos):
            st.info("Preview: the trainees do not see this until you open the debrief.")
        d = _debrief_for(ex, mat, list(range(pos + 1)))
        show_debrief(d, trainer=True, key="tr.class", exercise=ex.name)
    if not ex.closed:
        _watch(ex.id, store.version(ex.id), trainer=True)


def trainer_page(store: TrainingStore) -> None:
    _restore(store, trainee_view=False)
    _show_flash()
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


def page() -> None:
    st.title("Training")
    try:
        store = tstore()
    except Exception as exc:  # a database that cannot be opened is a message, not a traceback
        st.error(f"The training database cannot be opened: {exc}")
        return
    if training_role.is_trainee():
        trainee_page(store)
    else:
        trainer_page(store)
