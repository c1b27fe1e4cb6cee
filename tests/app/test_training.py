"""Training mode, headless (AppTest): a trainer and two trainees, one inject, the debrief.

Each AppTest is one browser session; all of them share the test's database (``db_url``), as a
class shares one app. The agreement figures asserted here are worked out by hand below.
"""

from __future__ import annotations

import pytest
import streamlit as st
import yaml
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from riskcheck import assess, load_rules, load_scenario
from riskcheck.scenarios import with_inject
from riskcheck.training.store import TrainingStore

from .conftest import MAIN, ROOT, SCENARIOS, texts

SCENARIO = str(SCENARIOS / "iraq-2013-heavy-equipment.yaml")
C3, C7S, C7D = "c3-internal-conflict", "c7-stockpile", "c7-diversion"

# What each trainee saves (criteria not listed are left "not assessed").
ANA_0 = {C3: ("refer", "Violence rising, not yet a war"), C7S: ("deny", "Nothing known about the depots")}
ANA_0 |= {C7D: ("conditions", "G2G with monitoring: conditions will do")}
BEN_0 = {
    C3: ("refer", "Tension"),
    C7S: ("refer", "Unknown, so refer"),
    C7D: ("acceptable", "Monitoring offered"),
}
ANA_1 = {C3: ("deny", "Fallujah: this is a war"), C7S: ("deny", "Depots under fire"), C7D: ("conditions", "")}
BEN_1 = {C3: ("deny", "War"), C7S: ("deny", "Depots in the line of fire"), C7D: ("refer", "Depots at risk")}


def session(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.query_params.update(query or {})
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    ok(at)
    return at


def trainer_session() -> AppTest:
    at = session()
    at.switch_page("views/training.py").run()
    ok(at)
    return at


def start(trainer: AppTest, name: str) -> None:
    trainer.text_input(key="tr.new.name").input(name)
    trainer.multiselect(key="tr.new.scenarios").set_value([SCENARIO])
    click(trainer, "Start the exercise")


def join(name: str) -> AppTest:
    at = session({"role": "trainee"})
    at.selectbox(key="tr.join.exercise").set_value("Class A")
    at.text_input(key="tr.join.name").input(name)
    return click(at, "Join")


def prefix(at: AppTest, stage: int) -> str:
    ex_id = at.session_state["rc.training.exercise"]
    name = at.session_state["rc.training.trainee"].casefold()
    return f"tr.{ex_id}.0.{stage}.{name}"


def answer(
    at: AppTest, stage: int, levels: dict[str, tuple[str, str]], decision: str, conditions: str = ""
) -> None:
    p = prefix(at, stage)
    for crit, (level, reason) in levels.items():
        at.selectbox(key=f"{p}.{crit}.level").set_value(level)
        at.text_input(key=f"{p}.{crit}.reason").input(reason)
    at.selectbox(key=f"{p}.decision").set_value(decision)
    at.text_area(key=f"{p}.conditions").input(conditions)
    click(at, "Save my judgement")
    assert any("Saved at" in s.value for s in at.success), texts(at)


def plain(at: AppTest) -> str:
    """The page's text without Markdown escapes."""
    return texts(at).replace("\\", "")


def table(at: AppTest, column: str):
    return next(df.value for df in at.dataframe if column in df.value.columns)


def row(df, criterion_id_prefix: str):
    return df[df["Criterion"].str.startswith(criterion_id_prefix)].iloc[0]


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test is a fresh server: no store or material cached from another test's database."""
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_the_tool_sees_the_scenario_as_this_test_assumes():
    """The hand-computed shares below rest on these tool levels (baseline, iraq-2013, stages 0 and 1)."""
    rules, s = load_rules(ROOT / "rules" / "baseline.yaml"), load_scenario(SCENARIO)
    for stage in (0, 1):
        a = assess(rules, with_inject(s, stage))
        # 7(c) is referred, not refused: whether the division's own depots are in reach of the
        # fighting is not established (a refusal rests on evidence; CHANGELOG, baseline 1.3).
        assert (a.decision, a.criterion(C3).level, a.criterion(C7S).level, a.criterion(C7D).level) == (
            "deny",
            "deny",
            "refer",
            "conditions",
        ), f"stage {stage}"


def test_trainer_and_two_trainees_with_one_inject_and_the_debrief(db_url):
    # --- the trainer starts an exercise -------------------------------------------------------
    trainer = trainer_session()
    start(trainer, "Class A")
    assert "Exercise 'Class A' started" in texts(trainer)
    assert [c.value for c in trainer.code] == ["/?role=trainee&exercise=Class+A"]  # the join link

    # --- two trainees join; each sees the briefing and evidence, not the tool's answer ---------
    ana, ben = join("Ana"), join("Ben")
    for at in (ana, ben):
        page = texts(at)
        assert "Iraq's defence ministry asks to buy" in page  # the briefing, as Markdown
        assert "data-decision" not in page  # no decision banner: the tool's scoring stays hidden
        assert "What this case teaches" not in page  # teaching notes are the trainer's
        evidence = table(at, "Confidence")
        assert {"Source", "As of"} <= set(evidence.columns)
        assert "UCDP" in " ".join(evidence["Source"])
    assert ana.query_params["trainee"] == "Ana" and ana.query_params["exercise"] == "Class A"

    answer(ana, 0, ANA_0, "deny", 'Serial-number lists shared before delivery\n=HYPERLINK("x")')
    answer(ben, 0, BEN_0, "refer")
    assert "Tension" not in texts(ana) and "Violence rising" not in texts(ben)  # own answers only

    # The trainer sees who has answered, not yet the class in the trainees' pages.
    trainer.run()
    ok(trainer)
    assert "**2 of 2** trainees" in texts(trainer)
    roster = table(trainer, "Trainee")
    assert list(roster["Trainee"]) == ["Ana", "Ben"]

    # --- the trainer releases inject 1: evidence changes, trainees reassess -------------------------
    click(trainer, "Release inject 1: IS takes Fallujah; fighting reaches depots in Anbar")
    for at in (ana, ben):
        at.run()
        ok(at)
        warning = " ".join(w.value for w in at.warning)
        assert "New inject (2014\\-01\\-04): IS takes Fallujah" in warning
        evidence = table(at, "Confidence")
        new = evidence[evidence["New"] == "new"]
        assert set(new["Indicator"]) == {
            "Active fighting near military depots",
            "Internal armed conflict (UCDP: minor >= 25, war >= 1000 deaths/yr)",
        }
        # the reassessment starts from the trainee's answer before the inject
        assert "reassess (ATT Art. 7(7))" in texts(at)
    assert ana.selectbox(key=f"{prefix(ana, 1)}.{C3}.level").value == "refer"
    answer(ana, 1, ANA_1, "deny")
    answer(ben, 1, BEN_1, "deny")

    # --- reload safety: a new session for Ana (the page reloaded) finds her answers --------------
    st.cache_resource.clear()  # and even a restarted server
    again = session({"role": "trainee", "exercise": "Class A", "trainee": "Ana"})
    assert again.session_state["rc.training.trainee"] == "Ana"
    p = prefix(again, 1)
    assert again.selectbox(key=f"{p}.{C3}.level").value == "deny"
    assert again.text_input(key=f"{p}.{C7S}.reason").value == "Depots under fire"
    assert again.selectbox(key=f"{p}.decision").value == "deny"
    shown = " ".join(" ".join(df.value.astype(str).values.ravel()) for df in again.dataframe)
    assert "Violence rising, not yet a war" in shown  # her first answer, under "Your answers"
    # both answers (before and after the inject) are stored; nothing was overwritten
    store = TrainingStore.open(db_url)
    ex = store.find("Class A")
    assert ex is not None
    assert [(a.trainee, a.stage) for a in store.answers(ex.id)] == [
        ("Ana", 0),
        ("Ben", 0),
        ("Ana", 1),
        ("Ben", 1),
    ]
    assert store.verify() == {}

    # --- the trainer reopens the exercise after the restart and opens the debrief ------------------
    trainer = trainer_session()
    trainer.selectbox(key="tr.reopen").set_value(ex.id)
    click(trainer, "Reopen")
    assert "### Class A" in texts(trainer)
    click(trainer, "Open the debrief")

    # Fleiss' kappa for the decision, by hand. Subjects: the 2 stages; raters: Ana and Ben (n = 2).
    #   stage 0: deny 1, refer 1  ->  P_0 = (1^2 + 1^2 - 2) / (2 * 1) = 0
    #   stage 1: deny 2           ->  P_1 = (2^2 - 2) / (2 * 1)       = 1
    #   P_bar = (0 + 1) / 2 = 1/2
    #   p_deny = 3/4, p_refer = 1/4  ->  P_e = 9/16 + 1/16 = 5/8
    #   kappa = (1/2 - 5/8) / (1 - 5/8) = (-1/8) / (3/8) = -1/3  ->  shown as -0.33
    # Fleiss' kappa for the criterion levels: subjects are the 3 criteria x 2 stages = 6:
    #   s0 c3 refer,refer P=1 · s0 c7s deny,refer P=0 · s0 c7d conditions,acceptable P=0
    #   s1 c3 deny,deny P=1   · s1 c7s deny,deny P=1  · s1 c7d conditions,refer P=0
    #   P_bar = 3/6 = 1/2; of the 12 answers deny 5, refer 4, conditions 2, acceptable 1
    #   P_e = (25 + 16 + 4 + 1) / 144 = 46/144 = 23/72
    #   kappa = (1/2 - 23/72) / (1 - 23/72) = (13/72) / (49/72) = 13/49 = 0.265...  ->  0.27
    metrics = {m.label: m.value for m in trainer.metric}
    assert metrics["Decision: Fleiss' kappa"] == "-0.33"
    assert metrics["Criterion levels: Fleiss' kappa"] == "0.27"
    assert "kappa = -0.33 (poor: less than chance; 2 items, 4 answers)" in plain(trainer)
    # two trainees and two stages: the number is shown with its reading, not alone
    assert "With 2 trainees and 2 items answered, the class is too small for kappa to mean much" in plain(
        trainer
    )

    # Share agreeing with the tool (c3 deny, c7s refer, c7d conditions; decision deny at both stages):
    #   stage 1: c3 deny,deny vs deny -> 2/2; c7s deny,deny vs refer -> 0/2 (both stricter);
    #            c7d conditions,refer vs conditions -> 1/2; decision deny,deny vs deny -> 2/2
    deb = table(trainer, "Agreeing")
    assert row(deb, "3 ")["Agreeing"] == "2/2 (100%)"
    assert row(deb, "7 Criterion 7(c)")["Agreeing"] == "0/2 (0%)"
    assert row(deb, "7 Criterion 7(c)")["Ana"] == "deny + stricter"
    assert row(deb, "7 Criterion 7:")["Agreeing"] == "1/2 (50%)"
    assert row(deb, "DECISION")["Agreeing"] == "2/2 (100%)"
    assert row(deb, "7 Criterion 7:")["Ben"] == "refer + stricter"
    #   stage 0: c3 refer,refer vs deny -> 0/2; c7s deny,refer vs refer -> 1/2 (Ben agrees);
    #            c7d conditions,acceptable -> 1/2; decision deny,refer vs deny -> 1/2
    trainer.selectbox(key="tr.class.stage.2").set_value(0).run()
    ok(trainer)
    deb = table(trainer, "Agreeing")
    assert row(deb, "3 ")["Agreeing"] == "0/2 (0%)"
    assert row(deb, "3 ")["Ana"] == "refer - more lenient"
    assert row(deb, "7 Criterion 7(c)")["Agreeing"] == "1/2 (50%)"
    assert row(deb, "7 Criterion 7(c)")["Ben"] == "refer = agrees"
    assert row(deb, "7 Criterion 7:")["Agreeing"] == "1/2 (50%)"
    assert row(deb, "DECISION")["Agreeing"] == "1/2 (50%)"
    assert "Internal armed conflict or tension" in row(deb, "3 ")["What explains the tool's view"]
    assert "Criterion 3" in row(deb, "3 ")["Citation"]
    # the long texts are listed in full under the table, not cut off at its right edge
    assert row(deb, "3 ")["What explains the tool's view"] in plain(trainer)
    # the chart of the class's spread: two trainees said 'refer' on criterion 3, the tool 'deny'
    chart = trainer.get("vega_lite_chart")[0].proto
    points = [
        p for ds in chart.datasets for p in convert_arrow_bytes_to_pandas_df(ds.data.data).to_dict("records")
    ]
    assert {"criterion": "3 internal situation", "level": "refer", "trainees": 2} in points
    assert {"criterion": "3 internal situation", "level": "deny", "tool": "the tool: deny (high)"} in points

    # --- a trainee's debrief: the tool and the class figures, their own answers only ---------------
    ben.session_state["tr.trainee.tabs"] = "Briefing and evidence"  # where Ben was reading
    ben.run()
    ok(ben)
    assert "Debrief" in [t.label for t in ben.tabs]
    assert ben.session_state["tr.trainee.tabs"] == "Debrief"  # brought to the debrief when it opened
    mine = table(ben, "Agreeing")
    assert "Ben" in mine.columns and "Ana" not in mine.columns
    assert row(mine, "DECISION")["Agreeing"] == "2/2 (100%)"  # class figures are kept
    assert "Fallujah: this is a war" not in texts(ben)
    # answers are closed once the debrief is open
    assert "answers are closed" in texts(ben)


def test_a_trainee_sees_only_the_training_page(db_url):
    at = session({"role": "trainee"})
    assert "No exercise is running yet" in texts(at)
    # Training is the only page registered for the session: Rule sets, Assess and History cannot be opened.
    for page in ("views/rules.py", "views/assess.py", "views/history.py"):
        with pytest.raises(ValueError, match=r"Known pages: \['[^']*views/training\.py'\]"):
            at.switch_page(page)
    assert at.session_state["rc.role"] == "trainee"
    at.query_params.pop("role")  # the role stays with the session when the address no longer names it
    at.run()
    assert at.session_state["rc.role"] == "trainee"
    assert [t.value for t in at.title] == ["Training"]


def test_a_trainer_pin_keeps_a_session_a_trainees(db_url, monkeypatch):
    monkeypatch.setenv("RISKCHECK_TRAINER_PIN", "4711")
    at = session({"role": "trainer"})  # the address alone does not make a trainer
    assert at.session_state["rc.role"] == "trainee"
    at.text_input(key="tr.pin.value").input("0000")
    click(at, "Unlock")
    assert "That is not the trainer PIN." in texts(at)
    at.text_input(key="tr.pin.value").input("4711")
    click(at, "Unlock")
    assert at.session_state["rc.role"] == "trainer"
    assert "Start an exercise" in texts(at)


def test_saving_needs_a_decision_and_keeps_nothing_half_done(db_url):
    trainer = trainer_session()
    start(trainer, "Class A")
    ana = join("Ana")
    p = prefix(ana, 0)
    ana.selectbox(key=f"{p}.{C3}.level").set_value("deny")
    click(ana, "Save my judgement")
    assert "Choose your decision before saving" in texts(ana)
    store = TrainingStore.open(db_url)
    assert store.answers(store.find("Class A").id) == []


def test_an_exercise_name_is_taken_once_and_the_taken_one_can_be_reopened(db_url):
    trainer = trainer_session()
    start(trainer, "Class A")
    click(trainer, "Another exercise")
    start(trainer, " class  A ")  # the same name in another case and spacing
    (error,) = [e.value for e in trainer.error if "is taken" in e.value]
    assert "class  A" in error.replace("\\", "")
    click(trainer, "Reopen Class A")
    assert trainer.session_state["rc.training.exercise"] == TrainingStore.open(db_url).find("Class A").id
    assert "Trainees join at this address" in plain(trainer)
    assert not [e for e in trainer.error if "is taken" in e.value]


def test_a_released_inject_can_be_withdrawn(db_url):
    trainer = trainer_session()
    start(trainer, "Class A")
    ana = join("Ana")
    click(trainer, "Release inject 1: IS takes Fallujah; fighting reaches depots in Anbar")
    store = TrainingStore.open(db_url)
    assert store.find("Class A").stage == 1
    click(trainer, "Withdraw inject 1 (undo its release)")
    assert "Inject 1 withdrawn" in plain(trainer)
    ex = store.find("Class A")
    assert ex.stage == 0 and [e.kind for e in ex.events][-2:] == [
        "release",
        "withdraw",
    ]  # recorded, not erased
    ana.run()
    ok(ana)
    assert "initial briefing" in plain(ana) and "New inject" not in plain(ana)
    assert store.verify() == {}
    # released again, it is the same inject 1
    click(trainer, "Release inject 1: IS takes Fallujah; fighting reaches depots in Anbar")
    assert store.find("Class A").stage == 1


def test_the_exercise_picker_counts_injects_and_lists_those_with_injects_first(db_url):
    counts = {}
    for path in sorted(SCENARIOS.glob("*.yaml")):
        counts[str(path)] = len(yaml.safe_load(path.read_text()).get("injects") or [])
    trainer = trainer_session()
    picker = trainer.multiselect(key="tr.new.scenarios")
    labels = picker.options
    assert len(labels) == len(counts)
    with_injects = sum(1 for n in counts.values() if n)
    assert 0 < with_injects < len(counts)
    assert all("(0 injects)" not in x for x in labels[:with_injects])
    assert all("(0 injects)" in x for x in labels[with_injects:])
    (iraq,) = [x for x in labels if x.startswith("Iraq 2013: tanks")]
    assert iraq.endswith(f"({counts[SCENARIO]} injects)") and counts[SCENARIO] == 2


def test_two_scenarios_in_order_debrief_and_close(db_url):
    second = str(SCENARIOS / "cassaria-prior-denial.yaml")
    trainer = trainer_session()
    trainer.text_input(key="tr.new.name").input("Class B")
    trainer.multiselect(key="tr.new.scenarios").set_value([SCENARIO, second])
    click(trainer, "Start the exercise")
    assert "What this case teaches" in plain(trainer)  # the teaching notes, for the trainer only
    ana = session({"role": "trainee"})
    ana.selectbox(key="tr.join.exercise").set_value("Class B")
    ana.text_input(key="tr.join.name").input("Ana")
    click(ana, "Join")
    answer(ana, 0, {C3: ("deny", "War")}, "deny")

    click(trainer, "Open the debrief")
    click(trainer, "Next scenario: Pistols for a police unit that a partner refused to licence last year")
    ana.run()
    ok(ana)
    assert "Scenario 2: Pistols for a police unit" in plain(ana)
    assert "Debrief" in [t.label for t in ana.tabs]  # the first scenario's, now open
    p = f"tr.{ana.session_state['rc.training.exercise']}.1.0.ana"
    ana.selectbox(key=f"{p}.decision").set_value("refer")
    click(ana, "Save my judgement")
    assert any("Saved at" in s.value for s in ana.success)

    trainer.run()
    ok(trainer)
    stages = trainer.selectbox(key="tr.class.stage.2").options
    assert stages == [
        "Iraq 2013: tanks and armoured personnel carriers for the Iraqi army - initial briefing",
        "Pistols for a police unit that a partner refused to licence last year - initial briefing",
    ]
    click(trainer, "Close the exercise")
    ana.run()
    ok(ana)
    assert "The exercise is closed: your answers are kept." in plain(ana)
    store = TrainingStore.open(db_url)
    ex = store.find("Class B")
    assert ex is not None and ex.closed and ex.debriefed(0) and ex.debriefed(1)
    assert [(a.scenario_index, a.stage, a.decision) for a in store.answers(ex.id)] == [
        (0, 0, "deny"),
        (1, 0, "refer"),
    ]
