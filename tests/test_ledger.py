"""The ledger behind every chained table (issue 17): old databases still verify, anchors catch a
rewritten database, a row with an unreadable date is named, read-only URLs work, busy training
writes are tried again, and the store imports no renderer."""

from __future__ import annotations

import ast
import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from riskcheck import assess, ledger
from riskcheck.cli import main
from riskcheck.explain import as_json
from riskcheck.history import History, result_json
from riskcheck.loader import load_rules, load_scenario
from riskcheck.training.answers import Answer
from riskcheck.training.store import ScenarioRef, TrainingStore
from tests.test_history_chain import edit_values

ROOT = Path(__file__).resolve().parent.parent
OLD_DB = Path(__file__).parent / "fixtures" / "history" / "before-ledger.db"
SCENARIO = ROOT / "scenarios" / "nordvale-g2g-approve.yaml"


def edit(n: int) -> dict[str, object]:
    return edit_values("bob", n)


def sql(store: History, *statements: str) -> None:
    with store.engine.begin() as conn:
        for s in statements:
            conn.exec_driver_sql(s)


@pytest.fixture
def filled(db_url):
    store = History(db_url)
    for i in range(5):
        store.record_rule_edit(**edit(i))  # type: ignore[arg-type]
    yield store
    store.dispose()


def test_a_database_written_before_the_ledger_still_verifies_and_grows(tmp_path: Path, capsys):
    """tests/fixtures/history/before-ledger.db was written by the code before this ledger (training
    heads in training_chain_heads, lock keys as bare numbers): it verifies as it is, and new rows
    continue every chain."""
    path = tmp_path / "old.db"
    shutil.copy(OLD_DB, path)
    url = f"sqlite:///{path}"
    assert main(["history", "verify", "--db", url]) == 0
    out = capsys.readouterr().out
    for line in (
        "assessments: 2 rows, hash chain intact",
        "rule_edits: 1 rows, hash chain intact",
        "training_answers: 1 rows, hash chain intact",
        "training_events: 1 rows, hash chain intact",
    ):
        assert line in out
    store = History(url)
    training = TrainingStore(store.engine)
    heads = {r.table: r.head for r in [*store.check(), *training.check()]}
    added = store.record_rule_edit(**edit(9))  # type: ignore[arg-type]
    assert added.prev_hash == heads["rule_edits"]
    ex = training.list_exercises()[0]
    training.submit(ex, Answer("Ana", 0, 0, "deny"))
    assert store.verify() == {} and training.verify() == {}
    store.dispose()


def test_the_stored_result_is_what_as_json_writes():
    a = assess(load_rules(ROOT / "rules" / "baseline.yaml"), load_scenario(SCENARIO))
    assert result_json(a) == as_json(a, indent=None)


def test_the_store_imports_no_renderer():
    tree = ast.parse((ROOT / "riskcheck" / "history.py").read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.split(".")[-1] in {"explain", "report", "streamlit", "pandas"}}


def test_lock_keys_are_named_in_one_place():
    assert {k.name: int(k) for k in ledger.LockKey} == {"HISTORY": 7419027, "TRAINING": 7419028}
    holders = [p for p in (ROOT / "riskcheck").rglob("*.py") if "741902" in p.read_text()]
    assert holders == [ROOT / "riskcheck" / "ledger.py"]


# --- anchors -----------------------------------------------------------------------------------


def _rehash_from(store: History, table: str, first_id: int) -> None:
    """What someone who can rewrite the whole database does: recompute every hash from a row on,
    and the head, so that the chain verifies again."""
    chain = store.ledger.chains[table]
    with store.engine.begin() as conn:
        rows = [dict(r) for r in conn.execute(chain.table.select().order_by(chain.table.c.id)).mappings()]
        prev = ledger.GENESIS
        for row in rows:
            if row["id"] >= first_id:
                new = chain.hash(row, prev)
                conn.execute(
                    chain.table.update()
                    .where(chain.table.c.id == row["id"])
                    .values(prev_hash=prev, row_hash=new)
                )
                row["row_hash"] = new
            prev = row["row_hash"]
        ledger.set_head(conn, table, rows[-1]["id"], prev)


def test_an_anchor_catches_truncation_that_the_database_alone_cannot(filled, tmp_path: Path, capsys):
    anchor = tmp_path / "anchor.json"
    assert main(["history", "anchor", "--db", filled.url, "-o", str(anchor)]) == 0
    written = json.loads(anchor.read_text())
    assert written["chains"]["rule_edits"]["last_id"] == 5
    # delete the newest rows and move the head back: the database alone looks intact
    sql(filled, "DELETE FROM rule_edits WHERE id >= 4")
    with filled.engine.begin() as conn:
        row3 = conn.exec_driver_sql("SELECT row_hash FROM rule_edits WHERE id = 3").scalar_one()
        ledger.set_head(conn, "rule_edits", 3, row3)
    capsys.readouterr()
    assert main(["history", "verify", "--db", filled.url]) == 0
    assert main(["history", "verify", "--db", filled.url, "--anchor", str(anchor)]) == 1
    out = capsys.readouterr().out
    assert "rule_edits: 3 rows, hash chain BROKEN" in out and "row #5, the newest when the anchor" in out


def test_an_anchor_catches_a_rewritten_chain(filled, tmp_path: Path, capsys):
    anchor = tmp_path / "anchor.json"
    assert main(["history", "anchor", "--db", filled.url, "-o", str(anchor)]) == 0
    sql(filled, "UPDATE rule_edits SET reason = 'rewritten' WHERE id = 2")
    _rehash_from(filled, "rule_edits", 2)
    assert main(["history", "verify", "--db", filled.url]) == 0  # every hash recomputed
    capsys.readouterr()
    assert main(["history", "verify", "--db", filled.url, "--anchor", str(anchor)]) == 1
    assert "row #5 no longer has the hash the anchor" in capsys.readouterr().out
    # rows added after the anchor are fine: the anchored head is still in the chain
    fresh = tmp_path / "fresh.json"
    assert main(["history", "anchor", "--db", filled.url, "-o", str(fresh)]) == 0
    filled.record_rule_edit(**edit(7))  # type: ignore[arg-type]
    assert main(["history", "verify", "--db", filled.url, "--anchor", str(fresh)]) == 0


def test_anchoring_a_broken_database_is_refused_and_a_bad_anchor_file_is_a_usage_error(
    filled, tmp_path, capsys
):
    sql(filled, "UPDATE rule_edits SET reason = 'x' WHERE id = 2")
    out = tmp_path / "anchor.json"
    assert main(["history", "anchor", "--db", filled.url, "-o", str(out)]) == 1
    assert not out.exists() and "not anchored: a chain is broken" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"chains": {}}')
    assert main(["history", "verify", "--db", filled.url, "--anchor", str(bad)]) == 2
    assert "not a riskcheck anchor" in capsys.readouterr().err


# --- item 9: an unreadable date names its row; item 12: read-only URLs ---------------------------


def test_an_unparsable_created_at_names_the_row_and_the_other_chains_are_still_reported(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    store = History(url)
    a = assess(load_rules(ROOT / "rules" / "baseline.yaml"), load_scenario(SCENARIO))
    for _ in range(3):
        store.record(a, "x: 1\n")
        store.record_rule_edit(**edit(1))  # type: ignore[arg-type]
    sql(store, "UPDATE assessments SET created_at = 'yesterday-ish' WHERE id = 2")
    store.dispose()
    assert main(["history", "verify", "--db", url]) == 1
    out = capsys.readouterr().out
    assert "row #2: changed (created_at holds 'yesterday-ish', which is not a date)" in out
    assert "rule_edits: 3 rows, hash chain intact" in out


def test_a_read_only_sqlite_uri_is_accepted_and_nothing_is_written(tmp_path, capsys):
    path = tmp_path / "h.db"
    store = History(f"sqlite:///{path}")
    store.record_rule_edit(**edit(1))  # type: ignore[arg-type]
    store.dispose()
    before = path.read_bytes()
    for uri in (f"sqlite:///file:{path}?mode=ro&uri=true", f"sqlite:///file://{path}?mode=ro&uri=true"):
        assert main(["history", "verify", "--db", uri]) == 0, capsys.readouterr().err
        assert "rule_edits: 1 rows, hash chain intact" in capsys.readouterr().out
    assert path.read_bytes() == before  # (SQLite may add the -shm index WAL readers need)
    missing = f"sqlite:///file:{tmp_path / 'none.db'}?mode=ro&uri=true"
    assert main(["history", "verify", "--db", missing]) == 2
    assert "no history database at" in capsys.readouterr().err


# --- training writes go through the ledger -----------------------------------------------------


def test_a_busy_training_write_is_tried_again(db_url, monkeypatch):
    store = TrainingStore.open(db_url)
    ex = store.create(
        "C",
        rules_path="b",
        rule_set_id="b",
        rules_sha256="1" * 64,
        scenarios=[ScenarioRef("s.yaml", "s", "t", "0" * 64, 0)],
    )
    real, calls = ledger.append_row, []

    def busy_once(conn, chain, values):
        calls.append(chain.table.name)
        if len(calls) == 1:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real(conn, chain, values)

    monkeypatch.setattr(ledger, "append_row", busy_once)
    ex, name = store.join(ex, "Ana")
    assert name == "Ana" and ex.trainees == ("Ana",) and calls == ["training_events"] * 2
    assert store.verify() == {}
    store.engine.dispose()


def test_training_tables_are_created_under_the_write_lock(db_url):
    """Several sessions opening a new database at once: each creates the tables under the lock,
    none fails with 'table already exists'."""
    engine = History(db_url).engine
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def open_store() -> None:
        try:
            start.wait(timeout=30)
            TrainingStore(engine)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    engine.dispose()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_the_fixture_database_is_committed_unchanged():
    """The old-code fixture must never be rewritten by a test (they copy it first)."""
    assert OLD_DB.stat().st_size > 0 and not (OLD_DB.parent / (OLD_DB.name + "-wal")).exists()
