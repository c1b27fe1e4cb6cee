"""The history database under concurrent writers and tampering: WAL, no lost row, a chain that tells.

Several processes open the same new SQLite file at the same moment and append assessments and
rule edits as fast as they can; every row must arrive exactly once and the chains must verify.
Then rows are changed and deleted behind the store's back, and ``check()`` (what
``riskcheck history verify`` prints) must name them.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import pytest

from riskcheck import assess
from riskcheck.history import GENESIS, History
from riskcheck.loader import load_rules, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "nordvale-g2g-approve.yaml"
PROCESSES = 6
ASSESSMENTS_EACH = 30
EDITS_EACH = 10


def edit_values(who: str, n: int) -> dict[str, object]:
    return {
        "user": who,
        "auth": "test",
        "reason": f"edit {n}",
        "rule_file": "baseline.yaml",
        "rule_set_id": "baseline",
        "version_before": "1.1",
        "version_after": "1.1",
        "sha256_before": "a" * 64,
        "sha256_after": "b" * 64,
        "text_before": "x",
        "text_after": "y",
        "origin": "test",
    }


def _writer(url: str, who: str, start_at: float) -> None:
    rules = load_rules(ROOT / "rules" / "baseline.yaml")
    text = SCENARIO.read_text()
    a = assess(rules, load_scenario(SCENARIO))
    while time.time() < start_at:  # everyone opens the new file at the same moment
        time.sleep(0.005)
    store = History(url)
    for i in range(ASSESSMENTS_EACH):
        store.record(a, text, recipient="XNV", origin="test", note=f"{who}:{i}")
        if i % 3 == 0:
            store.record_rule_edit(**edit_values(who, i))  # type: ignore[arg-type]
    store.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crowded(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('crowd') / 'history.db'}"
    else:
        url = request.getfixturevalue("pg_server").new_database()
    ctx = mp.get_context("spawn")
    start_at = time.time() + 4.0  # after every child has imported and loaded the rules
    procs = [ctx.Process(target=_writer, args=(url, f"p{n}", start_at)) for n in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    alive = [p for p in procs if p.is_alive()]
    for p in alive:  # bounded: a hung writer fails the test instead of hanging it
        p.kill()
        p.join(5)
    assert not alive, "a writer did not finish within 120 s"
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    return url


def test_concurrent_writers_from_several_processes_lose_no_row(crowded):
    store = History(crowded)
    try:
        assert store.journal_mode() == ("wal" if crowded.startswith("sqlite") else "postgresql")
        notes = [r.note for r in store.list(limit=10_000)]
        expected = {f"p{n}:{i}" for n in range(PROCESSES) for i in range(ASSESSMENTS_EACH)}
        assert len(notes) == len(expected) == PROCESSES * ASSESSMENTS_EACH
        assert set(notes) == expected  # every row arrived, none twice
        edits = store.rule_edits(limit=10_000)
        assert len(edits) == PROCESSES * EDITS_EACH
        reports = store.check()
        assert all(r.ok for r in reports), [r.lines() for r in reports]
        lost = len(expected) - len(set(notes))
        print(
            f"\nconcurrent writers: {PROCESSES} processes, {len(notes)} assessments and {len(edits)} "
            f"rule edits written, {lost} rows lost"
        )
    finally:
        store.dispose()


def test_concurrent_writers_in_one_process_lose_no_row(db_url):
    """The app's sessions are threads of one process: ten of them recording at once (each with its
    own History on one file, as sessions share one) queue on the in-process write lock; every row
    arrives once and the chains stay intact, training writes included."""
    import threading

    from riskcheck.training.store import ScenarioRef, TrainingStore

    url = db_url
    rules = load_rules(ROOT / "rules" / "baseline.yaml")
    text = SCENARIO.read_text()
    a = assess(rules, load_scenario(SCENARIO))
    shared = History(url)
    training = TrainingStore(shared.engine)
    ref = ScenarioRef(SCENARIO.name, SCENARIO.stem, "t", "0" * 64, 0)
    exercise = training.create(
        "Class", rules_path="b", rule_set_id="baseline", rules_sha256="1" * 64, scenarios=[ref]
    )
    start = threading.Barrier(10)
    errors: list[BaseException] = []

    def session(n: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(12):
                shared.record(a, text, recipient="XNV", origin="test", note=f"t{n}:{i}")
                if i % 4 == 0:
                    shared.record_rule_edit(**edit_values(f"t{n}", i))  # type: ignore[arg-type]
            training.join(exercise, f"trainee {n}")
        except BaseException as e:  # reported below: a thread's failure must fail the test
            errors.append(e)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not [t for t in threads if t.is_alive()], "a writer did not finish within 120 s"
    assert not errors, errors
    notes = [r.note for r in shared.list(limit=10_000)]
    assert sorted(notes) == sorted(f"t{n}:{i}" for n in range(10) for i in range(12))
    assert len(shared.rule_edits(limit=10_000)) == 10 * 3
    assert all(r.ok for r in shared.check()), [r.lines() for r in shared.check()]
    assert len(training.get(exercise.id).trainees) == 10
    assert training.verify() == {}  # no training chain has a bad row
    shared.dispose()


@pytest.fixture
def filled(db_url) -> History:
    store = History(db_url)
    rules = load_rules(ROOT / "rules" / "baseline.yaml")
    a = assess(rules, load_scenario(SCENARIO))
    for i in range(5):
        store.record(a, SCENARIO.read_text(), note=str(i))
        store.record_rule_edit(**edit_values("alice", i))  # type: ignore[arg-type]
    yield store
    store.dispose()


def _sql(store: History, *statements: str) -> None:
    with store.engine.begin() as conn:
        for s in statements:
            conn.exec_driver_sql(s)


def _report(store: History, table: str):
    return next(r for r in store.check() if r.table == table)


def test_an_intact_store_verifies_and_names_its_head(filled):
    reports = filled.check()
    assert [r.table for r in reports] == ["assessments", "rule_edits"]
    assert all(r.ok and r.rows == 5 and r.head != GENESIS for r in reports)
    assert "hash chain intact" in reports[0].lines()[0]


def test_a_changed_row_is_named(filled):
    _sql(filled, "UPDATE rule_edits SET reason = 'nothing to see' WHERE id = 3")
    r = _report(filled, "rule_edits")
    assert not r.ok and r.broken == (3,)
    assert any("row #3: changed" in line for line in r.lines())
    assert _report(filled, "assessments").ok


def test_a_deleted_row_is_named(filled):
    _sql(filled, "DELETE FROM assessments WHERE id IN (2, 3)")
    r = _report(filled, "assessments")
    assert r.broken == (4,) and r.missing == ((2, 3),)
    assert any("#2-#3 missing" in line for line in r.lines())
    assert filled.verify()["assessments"].broken == (4,)  # the older API still answers the same


def test_deleting_the_newest_rows_is_detected(filled):
    _sql(filled, "DELETE FROM assessments WHERE id >= 4")
    r = _report(filled, "assessments")
    assert r.broken == () and not r.ok
    assert r.head_problem == "the newest rows were deleted (#4-#5 missing)"


def test_removing_the_head_record_is_detected(filled):
    _sql(filled, "DELETE FROM rule_edits WHERE id = 5", "DELETE FROM chain_heads WHERE name = 'rule_edits'")
    assert "chain_heads" in (_report(filled, "rule_edits").head_problem or "")


def test_deleting_the_newest_rows_and_the_heads_table_fails_verify_and_opening_does_not_hide_it(
    filled, capsys
):
    """Issue 17, item 2: this passed `history verify` ("not anchored") and opening the database in
    the app re-created the heads over the missing ones, so that the deletion vanished."""
    from riskcheck.cli import main

    _sql(filled, "DELETE FROM assessments WHERE id IN (4, 5)", "DROP TABLE chain_heads")
    assert main(["history", "verify", "--db", filled.url]) == 1
    out = capsys.readouterr().out
    assert "assessments: 3 rows, hash chain BROKEN" in out and "riskcheck history migrate" in out
    History(filled.url).dispose()  # as the app opens it
    assert main(["history", "verify", "--db", filled.url]) == 1
    assert "no head is recorded" in capsys.readouterr().out


def test_a_database_from_before_heads_needs_an_explicit_recorded_migration(tmp_path, capsys):
    """An older database whose rows all verify is brought in by `history migrate`, once; verify
    then passes and says since when the head is kept. Verifying alone writes nothing."""
    import sqlite3

    from riskcheck.cli import main

    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = History(url)
    store.record_rule_edit(**edit_values("bob", 1))  # type: ignore[arg-type]
    _sql(store, "DROP TABLE chain_heads")
    store.dispose()
    assert main(["history", "verify", "--db", url]) == 1
    assert "rule_edits: 1 rows, hash chain BROKEN" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "old.db") as db:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "chain_heads" not in names  # verifying wrote nothing

    assert main(["history", "migrate", "--db", url]) == 0
    assert "rule_edits: head recorded at row #1 (1 rows)" in capsys.readouterr().out
    assert main(["history", "verify", "--db", url]) == 0
    out = capsys.readouterr().out
    assert (
        "rule_edits: 1 rows, hash chain intact" in out and "recorded by `riskcheck history migrate` on" in out
    )
    assert main(["history", "migrate", "--db", url]) == 0
    assert "nothing to migrate" in capsys.readouterr().out


def test_migrate_does_not_bless_a_broken_chain(tmp_path, capsys):
    from riskcheck.cli import main

    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = History(url)
    for i in range(3):
        store.record_rule_edit(**edit_values("bob", i))  # type: ignore[arg-type]
    _sql(store, "UPDATE rule_edits SET reason = 'x' WHERE id = 2", "DROP TABLE chain_heads")
    store.dispose()
    assert main(["history", "migrate", "--db", url]) == 1
    err = capsys.readouterr().err
    assert "row #2: changed" in err and "no head is recorded" in err


# --- riskcheck history verify ------------------------------------------------------------------


def test_cli_verify_passes_on_an_intact_database(filled, capsys):
    from riskcheck.cli import main

    assert main(["history", "verify", "--db", filled.url]) == 0
    out = capsys.readouterr().out
    assert "assessments: 5 rows, hash chain intact, head " in out
    assert "rule_edits: 5 rows, hash chain intact" in out


def test_cli_verify_fails_on_a_tampered_database_and_names_the_rows(filled, capsys):
    from riskcheck.cli import main

    _sql(
        filled,
        "UPDATE assessments SET decision = 'deny' WHERE id = 2",
        "DELETE FROM rule_edits WHERE id = 4",
    )
    assert main(["history", "verify", "--db", filled.url]) == 1
    out = capsys.readouterr().out
    assert "assessments: 5 rows, hash chain BROKEN" in out
    assert "row #2: changed" in out
    assert "rule_edits: 4 rows, hash chain BROKEN" in out
    assert "row #5: the row(s) before it were deleted (#4 missing)" in out


def test_cli_verify_reads_the_environment_and_never_creates_a_database(tmp_path, monkeypatch, capsys):
    from riskcheck.cli import main

    missing = tmp_path / "none.db"
    monkeypatch.setenv("RISKCHECK_DB_URL", f"sqlite:///{missing}")
    assert main(["history", "verify"]) == 2
    assert "no history database" in capsys.readouterr().err
    assert not missing.exists()
