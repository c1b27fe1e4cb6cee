"""`riskcheck exercise` end to end, the answers CSV, the exports and the exercise store."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from riskcheck import load_rules, load_scenario
from riskcheck.cli import main
from riskcheck.training.answers import Answer, CriterionAnswer
from riskcheck.training.debrief import debrief
from riskcheck.training.export import CSV_COLUMNS, as_csv, as_html, safe_cell
from riskcheck.training.store import ExerciseError, ScenarioRef, TrainingStore

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "iraq-2013-heavy-equipment.yaml"

# The class of tests/app/test_training.py, on paper: Ana and Ben, before and after inject 1.
ANSWERS = """trainee,stage,criterion,level,reason,decision,conditions
Ana,0,c3-internal-conflict,refer,"Violence rising, not yet a war",deny,
Ana,0,c7-stockpile,deny,Nothing known about the depots,deny,
Ana,0,c7-diversion,conditions,G2G with monitoring,deny,Serial-number lists shared before delivery
Ben,initial,c3-internal-conflict,refer,Tension,refer,
Ben,0,c7-stockpile,refer,"Unknown, so refer",,
Ben,0,c7-diversion,acceptable,Monitoring offered,,
Ana,1,c3-internal-conflict,deny,Fallujah: this is a war,deny,
Ana,1,c7-stockpile,deny,Depots under fire,,
Ana,1,c7-diversion,conditions,,,
Ben,inject 1,c3-internal-conflict,deny,War,deny,
Ben,1,c7-stockpile,deny,Depots in the line of fire,deny,
Ben,1,c7-diversion,refer,Depots at risk,deny,
"""


def cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def answers_csv(tmp_path: Path) -> Path:
    p = tmp_path / "answers.csv"
    p.write_text(ANSWERS, encoding="utf-8")
    return p


def test_exercise_prints_the_debrief_table(capsys, answers_csv):
    code, out, err = cli(capsys, "exercise", SCENARIO, "--answers", answers_csv)
    assert code == 0, err
    lines = out.splitlines()
    assert "Trainees: Ana, Ben" in lines
    # stage 0: criterion 3, tool deny; both trainees said refer (more lenient): 0 of 2 agree
    assert any(ln.split()[:1] == ["3"] and "refer -" in ln and ln.endswith("0/2 (0%)") for ln in lines)
    # the tool refuses on Criterion 3 alone (7(c), 2(a), 2(c) and ATT 7(3) wait for evidence)
    assert "Decision: tool Deny (3); class refer 1, deny 1; agreeing 1/2 (50%)" in lines
    assert "Decision: tool Deny (3); class deny 2; agreeing 2/2 (100%)" in lines
    # the factor and citation behind the tool's view where the class differs
    assert "      driving factor: Internal armed conflict or tension 4/4" in out
    assert "cites EU CP 2008/944 Criterion 3" in out
    # hand-computed in tests/app/test_training.py: -1/3 for the decision, 13/49 for the levels
    assert "  decision:         kappa = -0.33 (poor: less than chance; 2 items, 4 answers)" in lines
    assert "  criterion levels: kappa = 0.27 (fair; 6 items, 12 answers)" in lines
    # tool: c3 deny, c7 conditions, 7(c) refer at both stages. Ana: stage 0 refer (-), conditions (=),
    # deny (+); stage 1 deny (=), conditions (=), deny (+): 3 of 6, stricter 2, more lenient 1.
    assert "  Ana: criterion levels 3/6 (50%), decisions 2/2 (100%); stricter 2, more lenient 1" in lines
    # Ben: stage 0 refer (-), acceptable (-), refer (=); stage 1 deny (=), refer (+), deny (+);
    # decisions refer (-) then deny (=).
    assert "  Ben: criterion levels 2/6 (33%), decisions 1/2 (50%); stricter 2, more lenient 2" in lines


def test_exercise_csv_can_be_scored_again(capsys, answers_csv, tmp_path):
    out_csv = tmp_path / "class.csv"
    code, _, err = cli(
        capsys, "exercise", SCENARIO, "--answers", answers_csv, "--format", "csv", "-o", out_csv
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    # one row per trainee, stage and criterion of the rule set
    criteria = len(load_rules(ROOT / "rules" / "baseline.yaml").model.criteria)
    assert len(rows) == 2 * 2 * criteria
    c3 = next(
        r
        for r in rows
        if r["trainee"] == "Ben" and r["stage"] == "0" and r["criterion"] == "c3-internal-conflict"
    )
    assert (c3["level"], c3["tool_level"], c3["level_verdict"], c3["decision_verdict"]) == (
        "refer",
        "deny",
        "more lenient",
        "more lenient",
    )
    again = cli(capsys, "exercise", SCENARIO, "--answers", out_csv)
    first = cli(capsys, "exercise", SCENARIO, "--answers", answers_csv)
    assert again[0] == 0 and again[1] == first[1]  # the export holds everything the debrief needs


def test_exercise_html_is_printable_and_escaped(capsys, tmp_path):
    p = tmp_path / "answers.csv"
    p.write_text(
        "trainee,stage,criterion,level,reason,decision\n"
        '<script>alert(1)</script>,0,c3-internal-conflict,deny,"<img src=x onerror=alert(1)> & more",deny\n',
        encoding="utf-8",
    )
    code, out, _ = cli(capsys, "exercise", SCENARIO, "--answers", p, "--format", "html")
    assert code == 0
    assert out.startswith("<!DOCTYPE html>") and "@media print" in out
    assert "<script>" not in out and "<img" not in out
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;" in out
        and "&lt;img src=x onerror=alert(1)&gt; &amp; more" in out
    )
    assert "http" not in out.split("<body>")[0]  # self-contained: no external stylesheet or script


def test_bad_rows_are_reported_with_row_and_column(capsys, tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(
        "trainee,stage,criterion,level,reason,decision\n"
        "Ana,0,c3-internal-conflict,deny,,deny\n"  # row 2: fine
        "Ana,0,c3,hgh,,deny\n"  # row 3: unknown criterion (col 3), bad level (col 4)
        ",7,c7-stockpile,deny,,maybe\n"  # row 4: no trainee, no inject 7, bad decision
        "Ben,0,c7-stockpile,deny,,\n"  # row 5: Ben never gives a decision
        "Ana,0,c7-stockpile,deny,,refer\n",  # row 6: contradicts Ana's decision on row 2
        encoding="utf-8",
    )
    code, out, err = cli(capsys, "exercise", SCENARIO, "--answers", p)
    assert code == 1 and out == ""
    name = str(p)
    assert err.splitlines() == [
        f"{name}:3:3: error RC706: column 'criterion': unknown criterion 'c3' (did you mean 'c3-internal-conflict'?)",
        f"{name}:3:4: error RC703: column 'level': 'hgh' is not a level; allowed: acceptable, conditions, refer, deny",
        f"{name}:4:1: error RC702: column 'trainee': a name is needed",
        f"{name}:4:2: error RC705: column 'stage': inject 7 does not exist (the scenario has injects 1-2)",
        f"{name}:4:6: error RC703: column 'decision': 'maybe' is not a decision; allowed: approve, "
        "approve_with_conditions, refer, deny, prohibited",
        f"{name}:5:6: error RC702: column 'decision': no decision given for Ben at stage 0 (row 5)",
        f"{name}:6:6: error RC704: column 'decision': 'refer' contradicts 'deny' given for Ana at stage 0 on row 2",
    ]


def test_an_unknown_column_and_a_missing_file(capsys, tmp_path):
    p = tmp_path / "cols.csv"
    p.write_text("trainee,stage,levle,decision\nAna,0,deny,deny\n", encoding="utf-8")
    code, _, err = cli(capsys, "exercise", SCENARIO, "--answers", p)
    assert code == 1 and "1:3: error RC701: unknown column 'levle' (did you mean 'level'?)" in err
    code, _, err = cli(capsys, "exercise", SCENARIO, "--answers", tmp_path / "none.csv")
    assert code == 1 and "error RC106: file not found" in err


def test_exercise_needs_answers(capsys):
    with pytest.raises(SystemExit) as e:
        main(["exercise", str(SCENARIO)])
    assert e.value.code == 2


def test_csv_cells_that_look_like_formulas_are_neutralised():
    for text in ('=HYPERLINK("http://x")', "+1", "-1+2", "@SUM(A1)", "\tx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("Serial numbers; =1") == "Serial numbers; =1"
    rules, s = load_rules(ROOT / "rules" / "baseline.yaml"), load_scenario(SCENARIO)
    a = Answer(
        "=cmd|' /C calc'!A0",
        0,
        0,
        "deny",
        (CriterionAnswer("c3-internal-conflict", "deny", "@SUM(1+1)"),),
        ("-2+3",),
    )
    rows = list(csv.reader(io.StringIO(as_csv(debrief(rules, [s], [a]), exercise="+x"))))
    c3 = next(r for r in rows[1:] if r[CSV_COLUMNS.index("criterion")] == "c3-internal-conflict")
    assert c3[CSV_COLUMNS.index("trainee")] == "'=cmd|' /C calc'!A0"
    assert c3[CSV_COLUMNS.index("reason")] == "'@SUM(1+1)"
    assert c3[CSV_COLUMNS.index("conditions")] == "'-2+3"
    assert c3[CSV_COLUMNS.index("exercise")] == "'+x"
    assert "<script>" not in as_html(debrief(rules, [s], [a]), "<script>", "<b>x</b>")


# --- the store ----------------------------------------------------------------------------------


def _ref() -> ScenarioRef:
    return ScenarioRef(
        "iraq-2013-heavy-equipment.yaml", "iraq-2013-heavy-equipment", "Iraq 2013", "0" * 64, 2
    )


def test_an_exercise_is_rebuilt_from_its_events_after_a_restart(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    store = TrainingStore.open(url)
    ex = store.create(
        "Class A",
        rules_path="baseline.yaml",
        rule_set_id="baseline",
        rules_sha256="1" * 64,
        scenarios=[_ref()],
    )
    ex, name = store.join(ex, " ana ")
    assert name == "ana"
    ex, again = store.join(ex, "ANA")  # one trainee, whatever the case or spacing
    assert again == "ana" and ex.trainees == ("ana",)
    store.submit(ex, Answer("Ana", 0, 0, "refer"))
    ex = store.release(ex)
    with pytest.raises(ExerciseError, match="no longer open"):
        store.submit(ex, Answer("Ana", 0, 0, "deny"))  # the initial stage has closed
    store.submit(ex, Answer("Ana", 0, 1, "deny"), now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    store.engine.dispose()

    reopened = TrainingStore.open(url)  # a restarted server
    ex = reopened.find("class a")
    assert ex is not None and (ex.position, ex.stage, ex.trainees) == (0, 1, ("ana",))
    assert [(a.stage, a.decision) for a in reopened.answers(ex.id)] == [(0, "refer"), (1, "deny")]
    ex = reopened.release(ex)
    with pytest.raises(ExerciseError, match="Every inject"):
        reopened.release(ex)
    ex = reopened.close(ex)
    assert ex.closed and ex.debriefed(0)
    with pytest.raises(ExerciseError, match="closed"):
        reopened.join(ex, "Ben")
    with pytest.raises(ExerciseError, match="exists already"):
        reopened.create("CLASS A", rules_path="x", rule_set_id="x", rules_sha256="x", scenarios=[_ref()])
    assert reopened.verify() == {}


def test_a_changed_answer_breaks_the_chain(db_url):
    from sqlalchemy import update

    from riskcheck.training.store import answers

    store = TrainingStore.open(db_url)
    ex = store.create("C", rules_path="b", rule_set_id="b", rules_sha256="1" * 64, scenarios=[_ref()])
    ex, _ = store.join(ex, "Ana")
    first = store.submit(ex, Answer("Ana", 0, 0, "refer"))
    store.submit(ex, Answer("Ana", 0, 0, "deny"))
    with store.engine.begin() as conn:  # behind the app's back
        conn.execute(update(answers).where(answers.c.id == first.id).values(decision="approve"))
    assert list(store.verify()) == ["training_answers"]
    assert store.verify()["training_answers"].broken == (first.id,)
    store.engine.dispose()


def test_trainees_saving_at_once_lose_nothing_and_keep_the_chain(db_url):
    from concurrent.futures import ThreadPoolExecutor

    store = TrainingStore.open(db_url)
    ex = store.create("C", rules_path="b", rule_set_id="b", rules_sha256="1" * 64, scenarios=[_ref()])
    names = [f"Trainee {i}" for i in range(6)]
    for n in names:
        ex, _ = store.join(ex, n)

    def save(name: str) -> int:
        for k in range(8):
            store.submit(ex, Answer(name, 0, 0, "deny" if k % 2 else "refer"))
        return 8

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert sum(pool.map(save, names)) == 48
    assert len(store.answers(ex.id)) == 48
    assert store.verify() == {}
    store.engine.dispose()


def test_semicolon_csv_from_a_spreadsheet(capsys, tmp_path):
    p = tmp_path / "answers.csv"
    p.write_text(
        "\ufefftrainee;stage;criterion;level;reason;decision\nAna;0;c3-internal-conflict;deny;War, clearly;deny\n",
        encoding="utf-8",
    )
    code, out, err = cli(capsys, "exercise", SCENARIO, "--answers", p)
    assert code == 0, err
    assert "Trainees: Ana" in out


def test_removing_the_newest_answer_is_detected(db_url):
    from sqlalchemy import delete

    from riskcheck.training.store import answers

    store = TrainingStore.open(db_url)
    ex = store.create("C", rules_path="b", rule_set_id="b", rules_sha256="1" * 64, scenarios=[_ref()])
    ex, _ = store.join(ex, "Ana")
    store.submit(ex, Answer("Ana", 0, 0, "refer"))
    last = store.submit(ex, Answer("Ana", 0, 0, "deny"))
    with store.engine.begin() as conn:
        conn.execute(delete(answers).where(answers.c.id == last.id))
    assert list(store.verify()) == ["training_answers"]
    assert (
        store.verify()["training_answers"].head_problem
        == f"the newest rows were deleted (#{last.id} missing)"
    )
    store.engine.dispose()


# --- riskcheck history verify: the training chains ------------------------------------------------


@pytest.fixture
def exercise_db(tmp_path: Path) -> Path:
    """An exercise in its first stage: 1 exercise, 2 events (the joins), 3 answers (one superseded)."""
    path = tmp_path / "h.db"
    store = TrainingStore.open(f"sqlite:///{path}")
    ex = store.create("C", rules_path="b", rule_set_id="b", rules_sha256="1" * 64, scenarios=[_ref()])
    ex, _ = store.join(ex, "Ana")
    ex, _ = store.join(ex, "Ben")
    store.submit(ex, Answer("Ana", 0, 0, "refer"))
    store.submit(ex, Answer("Ben", 0, 0, "deny"))
    store.submit(ex, Answer("Ana", 0, 0, "deny"))
    store.engine.dispose()
    return path


def _sql(path: Path, statement: str) -> None:
    """Behind the app's back, as anyone who can write the file could."""
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(statement)


def _schema(path: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(path)) as conn:
        return sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))


def test_verify_names_every_training_chain_when_intact(capsys, exercise_db):
    code, out, err = cli(capsys, "history", "verify", "--db", f"sqlite:///{exercise_db}")
    assert code == 0, err
    assert "assessments: 0 rows, hash chain intact, head " in out
    assert "rule_edits: 0 rows, hash chain intact, head " in out
    assert "training_exercises: 1 rows, hash chain intact, head " in out
    assert "training_events: 2 rows, hash chain intact, head " in out
    assert "training_answers: 3 rows, hash chain intact, head " in out
    assert "BROKEN" not in out


def test_verify_fails_on_a_changed_training_row_and_names_it(capsys, exercise_db):
    _sql(exercise_db, "UPDATE training_answers SET decision = 'approve' WHERE id = 2")
    code, out, _ = cli(capsys, "history", "verify", "--db", f"sqlite:///{exercise_db}")
    assert code == 1
    lines = out.splitlines()
    broken = lines.index("training_answers: 3 rows, hash chain BROKEN")
    detail = list(itertools.takewhile(lambda ln: ln.startswith("  "), lines[broken + 1 :]))
    # row 3 still follows the hash stored in row 2, and the head still matches row 3: only row 2
    assert detail == ["  row #2: changed (its hash does not match its content and the row before)"]
    assert "training_events: 2 rows, hash chain intact" in out  # the other chains still check out


def test_verify_fails_when_the_newest_training_row_is_deleted(capsys, exercise_db):
    _sql(exercise_db, "DELETE FROM training_events WHERE id = 2")
    code, out, _ = cli(capsys, "history", "verify", "--db", f"sqlite:///{exercise_db}")
    assert code == 1
    assert "training_events: 1 rows, hash chain BROKEN\n  the newest rows were deleted (#2 missing)\n" in out
    assert "training_answers: 3 rows, hash chain intact" in out


def test_verify_creates_no_training_table_in_a_database_without_any(capsys, tmp_path):
    from riskcheck.history import History

    path = tmp_path / "h.db"
    History(f"sqlite:///{path}").dispose()  # the history tables only, as the app leaves them
    before = _schema(path)
    code, out, err = cli(capsys, "history", "verify", "--db", f"sqlite:///{path}")
    assert code == 0, err
    assert "no training records" in out
    assert "assessments: 0 rows, hash chain intact" in out
    assert _schema(path) == before
    assert not [name for name, _ in before if name.startswith("training_")]


def test_verify_refuses_a_database_without_riskcheck_tables_and_leaves_it_as_it_was(capsys, tmp_path):
    path = tmp_path / "other.db"
    _sql(path, "CREATE TABLE unrelated (x INTEGER)")
    before = _schema(path)
    code, out, err = cli(capsys, "history", "verify", "--db", f"sqlite:///{path}")
    assert code == 2 and out == ""
    assert "holds no riskcheck tables: nothing to verify" in err
    assert _schema(path) == before


def test_verify_reports_a_dropped_training_table(capsys, exercise_db):
    _sql(exercise_db, "DROP TABLE training_answers")
    code, out, _ = cli(capsys, "history", "verify", "--db", f"sqlite:///{exercise_db}")
    assert code == 1
    assert (
        "training_answers: 0 rows, hash chain BROKEN\n  the table training_answers is missing (its newest row was #3)\n"
        in out
    )
    assert "training_answers" not in dict(_schema(exercise_db))  # reported, not created again
