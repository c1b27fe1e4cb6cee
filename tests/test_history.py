"""The append-only history store (SQLite here; the same Core statements run on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from riskcheck import assess
from riskcheck.history import ENV_URL, History, default_url
from riskcheck.loader import load_rules, load_scenario

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def results():
    rules = load_rules(ROOT / "rules" / "baseline.yaml")
    out = {}
    for name in ("valdoria-rifles-weak-stockpile", "nordvale-g2g-approve"):
        path = ROOT / "scenarios" / f"{name}.yaml"
        out[name] = (assess(rules, load_scenario(path)), path.read_text())
    return out


@pytest.fixture
def store(db_url):
    h = History(db_url)
    yield h
    h.dispose()


def test_record_and_read_back(store, results):
    a, text = results["valdoria-rifles-weak-stockpile"]
    when = dt.datetime(2025, 9, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    rec = store.record(a, text, recipient="XVL", profile_yaml="id: p", note="test", now=when)
    assert rec.id == 1
    assert rec.created_at == dt.datetime(2025, 9, 1, 10, 30, tzinfo=dt.UTC)  # stored as UTC
    assert rec.decision == "deny" and rec.refusal_codes == ("7",)
    assert rec.scenario_yaml == text and rec.profile_yaml == "id: p"
    assert rec.result["decision"] == "deny"
    assert rec.rules_sha256 == a.provenance.rules_sha256
    assert rec.input_sha256 == a.provenance.input_sha256
    assert rec.as_of == a.provenance.as_of
    assert store.get(1) == rec


def test_list_filters_newest_first(store, results):
    for name in ("valdoria-rifles-weak-stockpile", "nordvale-g2g-approve"):
        a, text = results[name]
        store.record(a, text, recipient=a.scenario_id[:3].upper())
    assert [r.decision for r in store.list()] == ["approve", "deny"]
    assert [r.decision for r in store.list(decisions=["deny"])] == ["deny"]
    assert [r.scenario_id for r in store.list(text_="ARMOURED")] == ["nordvale-g2g-approve"]
    assert store.list(rule_set="other") == []
    assert len(store.list(since=dt.date.today())) == 2
    assert store.count() == 2


def test_hash_chain_detects_an_edited_or_removed_row(store, results):
    a, text = results["valdoria-rifles-weak-stockpile"]
    first = store.record(a, text)
    second = store.record(a, text)
    third = store.record(a, text)
    assert second.prev_hash == first.row_hash and third.prev_hash == second.row_hash
    assert store.verify() == {}
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE assessments SET decision = 'approve' WHERE id = 2")
    assert store.verify()["assessments"].broken == (2,)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE assessments SET decision = 'deny' WHERE id = 2")
        conn.exec_driver_sql("DELETE FROM assessments WHERE id = 2")
    assert store.verify()["assessments"].broken == (3,)


def test_no_update_or_delete_in_the_api():
    assert not [m for m in dir(History) if m.startswith(("update", "delete", "remove"))]


def test_default_url_is_a_file_in_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_URL, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_url() == f"sqlite:///{tmp_path / 'riskcheck' / 'history.db'}"
    monkeypatch.setenv(ENV_URL, "postgresql+psycopg://u@localhost/riskcheck")
    assert default_url() == "postgresql+psycopg://u@localhost/riskcheck"
