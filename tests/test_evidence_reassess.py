"""Versioned profiles read as of a date, the profile's sha256 in provenance, and re-assessment of
recorded assessments (history database) and licences (register) when a profile changes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from riskcheck import assess
from riskcheck import profile_versions as versions
from riskcheck.cli import main
from riskcheck.errors import InputError
from riskcheck.evidence.commands import run_set
from riskcheck.evidence.reassess import reassess_history
from riskcheck.history import History
from riskcheck.loader import load_rules, load_scenario

SCENARIO = "nordvale-g2g-approve.yaml"  # approve; its profile is nordvale


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    shutil.copytree("rules", tmp_path / "rules")
    shutil.copytree("scenarios", tmp_path / "scenarios")
    monkeypatch.setenv("RISKCHECK_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture(params=["kept", "text"])
def keep(request) -> bool:
    """Each re-assessment test runs on records that keep their case (as the app records now) and on
    records that keep only their text (recorded before the case was kept: the slow path)."""
    return request.param == "kept"


def record(store: History, home: Path, name: str, now: dt.datetime, keep: bool = True):
    path = home / "scenarios" / name
    s = load_scenario(path)
    a = assess(load_rules(home / "rules" / f"{s.model.rules}.yaml"), s)
    # as the app records it: the scenario's text, whose profile path is relative to the scenarios
    # folder, and the case kept in short (not in a database recorded before it was kept)
    return store.record(
        a,
        path.read_text(),
        recipient=s.model.transfer.recipient.country,
        profile_yaml=s.profile_doc.text,
        now=now,
        scenario=s if keep else None,
    )


def test_provenance_names_the_profile_version(home):
    s = load_scenario(home / "scenarios" / SCENARIO)
    a = assess(load_rules(home / "rules" / "baseline.yaml"), s)
    text = (home / "scenarios" / "profiles" / "nordvale.yaml").read_bytes()
    assert a.provenance.profile_sha256 == hashlib.sha256(text).hexdigest()


def test_as_of_reads_the_version_in_force(home, capsys):
    profile = home / "scenarios" / "profiles" / "nordvale.yaml"
    first = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
    text = profile.read_text()
    versions.commit(
        profile,
        text.replace("pts: {value: 1,", "pts: {value: 4,"),
        by="t",
        why="w",
        kind="edit",
        changes=[],
        expected_sha256=versions.sha256_text(text),
        now=first,
    )
    scenario = home / "scenarios" / SCENARIO
    assert main(["assess", str(scenario), "--format", "json", "--as-of", "2025-06-30"]) == 0
    then = json.loads(capsys.readouterr().out)
    assert main(["assess", str(scenario), "--format", "json", "--as-of", "2025-07-02"]) == 0
    now = json.loads(capsys.readouterr().out)
    pts = lambda a: next(
        f["evidence"]["value"]
        for c in a["criteria"]
        for f in c["factors"]
        if f["evidence"]["field"] == "country.pts"
    )  # noqa: E731
    assert pts(then) == 1 and pts(now) == 4  # the baseline is in force before the edit
    assert then["provenance"]["profile_sha256"] == versions.sha256_text(text)
    assert now["provenance"]["profile_sha256"] == versions.sha256_text(profile.read_text())


def test_as_of_before_a_new_profile_existed_is_an_error(tmp_path):
    profile = tmp_path / "irq.yaml"
    text = "id: irq\ncountry: IRQ\nname: Iraq\nfictional: false\nindicators: {}\n"
    versions.commit(
        profile,
        text,
        by="t",
        why="w",
        kind="import",
        changes=[],
        expected_sha256=None,
        now=dt.datetime(2026, 1, 10, tzinfo=dt.UTC),
    )
    with pytest.raises(InputError) as e:
        versions.text_as_of(profile, dt.date(2025, 12, 31))
    assert e.value.diagnostics[0].code == "RC403" and "2026-01-10" in e.value.diagnostics[0].message
    assert versions.text_as_of(profile, dt.date(2026, 1, 10))[0] == text


def test_reassess_lists_assessments_the_new_evidence_changes(keep, home, capsys):
    db = f"sqlite:///{home / 'h.db'}"
    store = History(db)
    made = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC)
    rec = record(store, home, SCENARIO, made, keep)
    other = record(store, home, "valdoria-rifles-weak-stockpile.yaml", made, keep)
    assert rec.decision == "approve"
    assert reassess_history(store).evidence_changed == 0  # nothing changed yet
    profile = home / "scenarios" / "profiles" / "nordvale.yaml"
    run_set(
        profile,
        "internal_conflict",
        "war",
        source="UCDP/PRIO ACD 25.1: war",
        as_of=dt.date(2025, 12, 31),
        why="new year's data",
        by="analyst",
    )
    report = reassess_history(store)
    assert report.checked == 2 and report.evidence_changed == 1
    [change] = report.changes
    assert change.record_id == rec.id and change.recorded == "approve"
    assert change.now == "deny" and change.then_rules == "deny" and change.direction == "stricter"
    assert any("country.internal_conflict" in line and "'none' -> 'war'" in line for line in change.lines)
    assert change.sources == ["country.internal_conflict: UCDP/PRIO ACD 25.1: war (as of 2025-12-31)"]
    assert other.id not in {c.record_id for c in report.changes}
    assert main(["reassess", "--db", db]) == 1  # assessments now warrant review
    out = capsys.readouterr().out
    assert f"#{rec.id} " in out and "STRICTER" in out and "recorded approve -> now deny" in out
    assert main(["reassess", "--db", db, "--since", "2025-07-02"]) == 0
    assert "0 assessments checked" in capsys.readouterr().out
    store.dispose()


def test_reassess_decides_every_item_line(keep, home):
    """Body armour (approved with conditions) and rifles (refused) on one licence, recorded as
    refused. New evidence that touches neither line's decision (Corvania's HDI) must leave the
    record alone: a re-assessment that read the first line only would report it as 'more
    permissive' (approve with conditions)."""
    store = History(f"sqlite:///{home / 'h.db'}")
    rec = record(store, home, "corvania-mixed-licence.yaml", dt.datetime(2025, 10, 2, tzinfo=dt.UTC), keep)
    assert rec.decision == "deny"
    profile = home / "scenarios" / "profiles" / "corvania.yaml"
    run_set(
        profile, "hdi", 0.61, source="UNDP HDR 2025", as_of=dt.date(2025, 9, 1), why="new data", by="analyst"
    )
    report = reassess_history(store)
    assert report.evidence_changed == 1 and report.changes == []
    store.dispose()


def test_reassess_replays_under_the_rules_it_was_made_with(keep, home):
    db = f"sqlite:///{home / 'h.db'}"
    store = History(db)
    rec = record(store, home, SCENARIO, dt.datetime(2025, 7, 1, tzinfo=dt.UTC), keep)
    rules = home / "rules" / "baseline.yaml"
    old_text = rules.read_text()
    new_text = old_text.replace("version:", "# edited\nversion:", 1)
    rules.write_text(new_text)
    store.record_rule_edit(
        user="r",
        auth="local",
        reason="test",
        rule_file="baseline.yaml",
        rule_set_id="baseline",
        version_before="x",
        version_after="x",
        sha256_before=versions.sha256_text(old_text),
        sha256_after=versions.sha256_text(new_text),
        text_before=old_text,
        text_after=new_text,
    )
    run_set(
        home / "scenarios" / "profiles" / "nordvale.yaml",
        "internal_conflict",
        "war",
        source="s",
        as_of=dt.date(2025, 12, 31),
        why="w",
    )
    [change] = reassess_history(store).changes
    assert change.record_id == rec.id and change.then_rules == "deny"
    assert any("the rule set changed since" in n for n in change.notes)
    nordvale = home / "scenarios" / "profiles" / "nordvale.yaml"
    run_set(nordvale, "internal_conflict", "none", source="s", as_of=dt.date(2025, 12, 31), why="w")
    rules.write_text(old_text.replace("version:", "# again\nversion:", 1))  # a text nobody kept
    store2 = History(f"sqlite:///{home / 'h2.db'}")
    rec2 = record(store2, home, SCENARIO, dt.datetime(2025, 7, 1, tzinfo=dt.UTC), keep)
    rules.write_text(old_text)
    run_set(nordvale, "internal_conflict", "war", source="s", as_of=dt.date(2025, 12, 31), why="w")
    [c2] = reassess_history(store2).changes
    assert c2.record_id == rec2.id and c2.then_rules is None and "not kept" in c2.notes[0]
    store.dispose()
    store2.dispose()


def test_reassess_a_register(home, capsys):
    profile = home / "scenarios" / "profiles" / "nordvale.yaml"
    text = profile.read_text()
    versions.commit(
        profile,
        text,
        by="t",
        why="start",
        kind="edit",
        changes=[],
        expected_sha256=versions.sha256_text(text),
        now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    run_set(profile, "internal_conflict", "war", source="UCDP", as_of=dt.date(2025, 12, 31), why="new data")
    register = home / "register.csv"
    register.write_text(
        "application_id,date,exporter_country,recipient_country,end_user_type,end_user_name,ml_category,"
        "att_category,sensitivity,capability,quantity,channel,profile\n"
        "A-1,2025-03-01,XOS,XNV,armed_forces,Army,ML6,armoured_combat_vehicles,major_platform,armoured_vehicles,10,"
        "g2g_with_eum,nordvale\n"
        "A-2,2025-03-01,XOS,XNV,armed_forces,Army,ML6,armoured_combat_vehicles,major_platform,armoured_vehicles,10,"
        "g2g_with_eum,\n",
        encoding="utf-8",
    )
    db = home / "none.db"
    assert main(["reassess", "--db", f"sqlite:///{db}", "--register", str(register)]) == 1
    captured = capsys.readouterr()
    out = captured.out
    assert "A-1 (row 2)" in out and "A-2" not in out, captured.err
    assert "the evidence of 1 changed" in out
    assert "Internal armed conflict" in out


def test_kept_cases_replay_as_the_scenario_texts_do(tmp_path, monkeypatch):
    """The same records, once with their kept cases and once without (the slow path, which loads
    each scenario's text and assesses it in full): the same records change, to the same decisions,
    with the same factor lines and sources. The profiles' edit (internal conflict 'war' in every
    profile) turns some of them, not all."""
    from tests.bench.test_bench_reassess import updated

    monkeypatch.setenv("RISKCHECK_HOME", str(tmp_path / "kept"))
    fast = updated(tmp_path / "kept", 120, keep=True)
    kept = reassess_history(fast)
    monkeypatch.setenv("RISKCHECK_HOME", str(tmp_path / "text"))
    slow = updated(tmp_path / "text", 120, keep=False)
    text = reassess_history(slow)
    assert kept.checked == text.checked == 120 and kept.evidence_changed == text.evidence_changed == 120
    assert 0 < len(text.changes) < 120 and kept.problems == text.problems == []

    def shown(c):
        return (c.record_id, c.recorded, c.now, c.then_rules, c.direction, c.lines, c.sources, c.notes)

    assert [shown(c) for c in kept.changes] == [shown(c) for c in text.changes]
    fast.dispose()
    slow.dispose()
