"""Who recorded an assessment (``recorded_by``): kept, covered by the hash chain, and added to a
database made before the column existed without breaking the rows already chained there."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import select

from riskcheck import assess
from riskcheck.cli import main
from riskcheck.history import History, assessments
from riskcheck.loader import load_rules, load_scenario
from tests.test_history_chain import _sql

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "nordvale-g2g-approve.yaml"

# The fields the previous version hashed, written out here rather than imported: the point is that
# a row hashed over exactly these (as every row recorded before ``recorded_by`` was) still verifies.
OLD_HASHED = (
    "created_at",
    "origin",
    "scenario_id",
    "title",
    "recipient",
    "decision",
    "refusal_codes",
    "rule_set_id",
    "rule_set_version",
    "rules_sha256",
    "input_sha256",
    "engine_version",
    "as_of",
    "scenario_yaml",
    "profile_yaml",
    "result_json",
    "provenance_json",
    "note",
)


def old_row_hash(row: dict[str, object], prev: str) -> str:
    """The previous version's row hash: sha256 of the previous hash, a newline and the fields as
    compact, key-sorted JSON (dates and times as ``str``)."""
    content = {k: row[k] for k in OLD_HASHED}
    text = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev + "\n" + text).encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def assessment():
    return assess(load_rules(ROOT / "rules" / "baseline.yaml"), load_scenario(SCENARIO)), SCENARIO.read_text()


@pytest.fixture
def store(db_url):
    h = History(db_url)
    yield h
    h.dispose()


def _stored(store: History) -> dict[int, dict[str, object]]:
    """Each row as the database holds it (naive UTC time, refusal codes as one string): what the
    hash was computed over, unlike the ``Record`` made from it."""
    with store.engine.connect() as conn:
        return {r["id"]: dict(r) for r in conn.execute(select(assessments)).mappings()}


def _columns(path: Path, table: str) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def test_the_user_is_kept_and_none_when_nobody_signed_in(store, assessment):
    a, text = assessment
    signed = store.record(a, text, recorded_by="alice@example.org")
    anonymous = store.record(a, text)
    assert signed.recorded_by == "alice@example.org"
    assert anonymous.recorded_by is None
    assert [r.recorded_by for r in store.list()] == [None, "alice@example.org"]  # newest first
    assert store.verify() == {} and all(r.ok for r in store.check())


def test_a_row_without_a_user_hashes_as_the_previous_version_hashed_it(store, assessment):
    a, text = assessment
    first = store.record(a, text, note="one")
    second = store.record(a, text, note="two")
    rows = _stored(store)
    assert first.row_hash == old_row_hash(rows[first.id], "0" * 64)
    assert second.row_hash == old_row_hash(rows[second.id], first.row_hash)


def test_a_row_with_a_user_hashes_the_user_too(store, assessment):
    a, text = assessment
    rec = store.record(a, text, recorded_by="alice@example.org")
    assert rec.row_hash != old_row_hash(_stored(store)[rec.id], rec.prev_hash)


@pytest.mark.parametrize(
    ("given", "sql"),
    [
        ("alice@example.org", "UPDATE assessments SET recorded_by = 'mallory' WHERE id = 2"),
        ("alice@example.org", "UPDATE assessments SET recorded_by = NULL WHERE id = 2"),
        (None, "UPDATE assessments SET recorded_by = 'alice@example.org' WHERE id = 2"),
    ],
    ids=["changed", "cleared", "added to a row that had none"],
)
def test_changing_who_recorded_a_row_breaks_the_chain_at_that_row(store, assessment, given, sql):
    a, text = assessment
    store.record(a, text, recorded_by="bob")
    store.record(a, text, recorded_by=given)
    store.record(a, text, recorded_by="carol")
    _sql(store, sql)
    assert store.verify()["assessments"].broken == (2,)
    report = next(r for r in store.check() if r.table == "assessments")
    assert report.broken == (2,) and report.head_problem is None


def test_a_database_made_before_the_column_gets_it_on_open_and_its_rows_still_verify(tmp_path, assessment):
    a, text = assessment
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    store = History(url)
    old = [store.record(a, text, note=f"old {i}") for i in range(3)]
    rows = _stored(store)
    store.dispose()
    # What the previous version left: the same table without the column (SQLite rebuilds the
    # table to drop it), and rows hashed over the old fields only.
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("ALTER TABLE assessments DROP COLUMN recorded_by")
    assert "recorded_by" not in _columns(path, "assessments")
    prev = "0" * 64
    for rec in old:
        assert rec.row_hash == old_row_hash(rows[rec.id], prev)
        prev = rec.row_hash

    # `history verify` reads an old database as it is: it passes, and adds nothing
    assert main(["history", "verify", "--db", url]) == 0
    assert "recorded_by" not in _columns(path, "assessments")

    reopened = History(url)  # as the new version opens it
    try:
        assert "recorded_by" in _columns(path, "assessments")
        assert [r.recorded_by for r in reopened.list()] == [None, None, None]
        assert reopened.verify() == {} and all(r.ok for r in reopened.check())
        new = reopened.record(a, text, recorded_by="alice@example.org")
        assert new.id == 4 and new.prev_hash == old[-1].row_hash  # the chain goes on
        assert reopened.verify() == {} and all(r.ok for r in reopened.check())
        _sql(reopened, "UPDATE assessments SET note = 'edited' WHERE id = 2")
        assert reopened.verify()["assessments"].broken == (2,)  # the old rows are still checked, not skipped
    finally:
        reopened.dispose()
    again = History(url)  # opening it once more finds the column there and adds nothing
    try:
        assert _columns(path, "assessments").count("recorded_by") == 1
    finally:
        again.dispose()


def test_a_store_opened_to_read_refuses_to_record(store, assessment):
    reader = History(store.url, create=False)
    try:
        with pytest.raises(RuntimeError, match="opened to read"):
            reader.record(*assessment, recorded_by="alice@example.org")
    finally:
        reader.dispose()
    assert store.count() == 0


def test_the_session_scoped_history_passes_the_user_through(store, assessment):
    from riskcheck.app.auth_ui import SessionHistory

    other = store.record(*assessment, recorded_by="bob")
    own: list[int] = []
    session = SessionHistory(store, own)
    rec = session.record(*assessment, recorded_by="alice@example.org")
    session = SessionHistory(store, [rec.id])
    assert session.get(rec.id).recorded_by == "alice@example.org"
    assert [r.recorded_by for r in session.list()] == ["alice@example.org"]
    with pytest.raises(KeyError):
        session.get(other.id)
