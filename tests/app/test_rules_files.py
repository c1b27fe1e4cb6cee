"""Saving rule files safely (riskcheck.rule_edits): confinement, validation, conflicts, versions, the log.

Each test works in a copy of the rules folder and two scenarios under a temporary RISKCHECK_HOME,
so the bundled files are never touched. The edit used throughout lowers the clear-risk thresholds
of the baseline; by construction valdoria-rifles-rebutted (criterion 3 at residual 1.5) goes from
approval with conditions to denial, and nordvale-g2g-approve (every residual <= 0.5) does not move.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import threading
from pathlib import Path

import pytest

from riskcheck.errors import InputError, UsageError
from riskcheck.history import History
from riskcheck.rule_edits import (
    Conflict,
    PathRefused,
    check_text,
    edits_csv,
    excerpt,
    impact,
    read_current,
    resolve_rule_file,
    rule_file_names,
    save,
    sha256_text,
    spreadsheet_safe,
)

ROOT = Path(__file__).resolve().parents[2]
OLD_LINE = "clear_risk: {conditions: 1.5, refer: 2.5, deny: 3}"
NEW_LINE = "clear_risk: {conditions: 1.4, refer: 1.45, deny: 1.5}"
CHANGES = "valdoria-rifles-rebutted"
STAYS = "nordvale-g2g-approve"


def make_home(base: Path) -> Path:
    """A writable copy of the rules and two scenarios (with the shared profiles)."""
    home = base / "home"
    shutil.copytree(ROOT / "rules", home / "rules")
    (home / "scenarios").mkdir(parents=True)
    shutil.copytree(ROOT / "scenarios" / "profiles", home / "scenarios" / "profiles")
    for name in (CHANGES, STAYS):
        shutil.copy(ROOT / "scenarios" / f"{name}.yaml", home / "scenarios" / f"{name}.yaml")
    return home


def lowered(text: str) -> str:
    assert OLD_LINE in text, "the baseline's clear-risk thresholds changed: update OLD_LINE"
    return text.replace(OLD_LINE, NEW_LINE, 1)


def broken(text: str) -> tuple[str, int]:
    """The text with an unknown key added inside the policy; returns it and the line of the key."""
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("  floor_gap:"))
    lines.insert(at + 1, "  floor_gapp: 2\n")
    return "".join(lines), at + 2


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    h = make_home(tmp_path)
    monkeypatch.setenv("RISKCHECK_HOME", str(h))
    return h


@pytest.fixture
def store(db_url):
    s = History(db_url)
    yield s
    s.dispose()


# --- confinement --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../pyproject.toml",
        "../rules/baseline.yaml",
        "../../etc/passwd",
        "/etc/passwd",
        "/tmp/x.yaml",
        "reference/embargoes.yaml",
        "..\\baseline.yaml",
        ".versions/baseline.yaml",
        ".hidden.yaml",
        "baseline.yml",
        "baseline.yaml\x00.txt",
        "",
        "a..yaml",
        "CHANGELOG.md",
    ],
)
def test_names_outside_the_rules_folder_are_refused(home, name):
    with pytest.raises(PathRefused):
        resolve_rule_file(name)
    with pytest.raises(PathRefused):
        resolve_rule_file(name, must_exist=False)


def test_a_symbolic_link_out_of_the_folder_is_refused(home, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("id: x\n")
    os.symlink(outside, home / "rules" / "linked.yaml")
    with pytest.raises(PathRefused, match="symbolic link"):
        resolve_rule_file("linked.yaml")
    assert "linked.yaml" not in rule_file_names()
    assert rule_file_names() == [
        "att-minimum.yaml",
        "baseline.yaml",
        "eu-common-position.yaml",
        "national-neutrality.yaml",
    ]


def test_a_save_cannot_write_outside_the_folder(home, store, tmp_path):
    text = lowered(read_current(home / "rules" / "baseline.yaml") or "")
    for name in ("../escaped.yaml", str(tmp_path / "abs.yaml"), "../scenarios/x.yaml"):
        with pytest.raises(PathRefused):
            save(name, text, base_sha256=None, user="u", auth="test", reason="r", history=store)
    assert not (home / "escaped.yaml").exists() and not (tmp_path / "abs.yaml").exists()
    assert not (home / "scenarios" / "x.yaml").exists()
    assert store.rule_edits() == []


# --- checking and the impact ----------------------------------------------------------------


def test_check_reports_errors_at_their_lines(home):
    path = home / "rules" / "baseline.yaml"
    text, line = broken(path.read_text())
    checked = check_text(text, path)
    assert not checked.ok
    (err,) = checked.errors
    assert err.code == "RC201" and err.location.line == line
    assert str(err).startswith(f"rules/baseline.yaml:{line}:")
    assert "error RC201: unknown key 'floor_gapp'" in str(err)
    assert "did you mean 'floor_gap'" in err.message
    shown = excerpt(text, line)
    assert f"> {line} |   floor_gapp: 2" in shown
    assert check_text(path.read_text(), path).ok


def test_impact_names_the_scenario_that_changes(home):
    path = home / "rules" / "baseline.yaml"
    old = check_text(path.read_text(), path).loaded
    new = check_text(lowered(path.read_text()), path).loaded
    report = impact(old, new)
    assert [c.scenario_id for c in report.scenario_changes] == [CHANGES]
    change = report.scenario_changes[0]
    assert (change.old_decision, change.new_decision) == ("approve_with_conditions", "deny")
    assert any("c3-internal-conflict" in line and "deny" in line for line in change.why)
    assert report.unchanged == 1
    assert {c.detail for c in report.rule_changes} >= {"thresholds.clear_risk.deny: 3 -> 1.5"}


# --- saving ------------------------------------------------------------------------------------


def test_save_replaces_atomically_keeps_the_previous_version_and_records_the_edit(home, store):
    path = home / "rules" / "baseline.yaml"
    before = read_current(path)
    assert before is not None
    after = lowered(before)
    saved = save(
        "baseline.yaml",
        after,
        base_sha256=sha256_text(before),
        user="alice@example.org",
        auth="test",
        reason="Lower the clear-risk thresholds",
        history=store,
    )
    assert read_current(path) == after
    assert saved.previous_copy is not None and saved.previous_copy.read_text() == before
    assert saved.previous_copy.parent == home / "rules" / ".versions"
    assert saved.previous_copy.name.startswith("baseline.yaml.") and saved.previous_copy.name.endswith(
        f".{sha256_text(before)[:12]}.bak"
    )
    assert not [p for p in (home / "rules").iterdir() if p.name.endswith(".tmp")]  # no temporary left
    (edit,) = store.rule_edits()
    assert edit == saved.edit
    assert (edit.user, edit.reason, edit.rule_file) == (
        "alice@example.org",
        "Lower the clear-risk thresholds",
        "baseline.yaml",
    )
    assert edit.sha256_before == sha256_text(before) and edit.sha256_after == sha256_text(after)
    assert edit.text_before == before and edit.text_after == after
    assert edit.previous_copy == f".versions/{saved.previous_copy.name}"
    assert all(r.ok for r in store.check())


def test_a_failed_save_leaves_the_original_file_intact(home, store):
    path = home / "rules" / "baseline.yaml"
    before = path.read_bytes()
    sha = sha256_text(before.decode())
    text, _ = broken(before.decode())
    with pytest.raises(InputError) as e:
        save("baseline.yaml", text, base_sha256=sha, user="u", auth="t", reason="r", history=store)
    assert e.value.diagnostics[0].code == "RC201"
    with pytest.raises(UsageError, match="say why"):
        save(
            "baseline.yaml",
            lowered(before.decode()),
            base_sha256=sha,
            user="u",
            auth="t",
            reason=" ",
            history=store,
        )
    with pytest.raises(UsageError, match="nothing to save"):
        save("baseline.yaml", before.decode(), base_sha256=sha, user="u", auth="t", reason="r", history=store)
    assert path.read_bytes() == before
    assert store.rule_edits() == []
    assert not list((home / "rules" / ".versions").glob("*.bak"))


def test_when_the_record_cannot_be_written_the_file_is_put_back(home, store, monkeypatch):
    path = home / "rules" / "baseline.yaml"
    before = path.read_bytes()

    def fail(**_kw):
        raise RuntimeError("database is gone")

    monkeypatch.setattr(store, "record_rule_edit", fail)
    with pytest.raises(RuntimeError):
        save(
            "baseline.yaml",
            lowered(before.decode()),
            base_sha256=sha256_text(before.decode()),
            user="u",
            auth="t",
            reason="r",
            history=store,
        )
    assert path.read_bytes() == before


def test_the_second_of_two_edits_from_the_same_version_is_refused(home, store):
    path = home / "rules" / "baseline.yaml"
    start = path.read_text()
    base = sha256_text(start)
    first = lowered(start)
    second = start.replace("stale_after_days: 730", "stale_after_days: 700")
    assert second != start
    save("baseline.yaml", first, base_sha256=base, user="alice", auth="t", reason="one", history=store)
    with pytest.raises(Conflict) as e:
        save("baseline.yaml", second, base_sha256=base, user="bob", auth="t", reason="two", history=store)
    assert e.value.current_sha256 == sha256_text(first) and e.value.base_sha256 == base
    assert path.read_text() == first  # the first edit stands: no lost update
    assert [x.user for x in store.rule_edits()] == ["alice"]


def test_concurrent_saves_from_the_same_version_let_exactly_one_through(home, store):
    path = home / "rules" / "baseline.yaml"
    start = path.read_text()
    base = sha256_text(start)
    texts = [start.replace("stale_after_days: 730", f"stale_after_days: {700 + i}") for i in range(8)]
    results: list[object] = [None] * len(texts)
    gate = threading.Barrier(len(texts))

    def run(i: int) -> None:
        gate.wait(timeout=10)
        try:
            results[i] = save(
                "baseline.yaml", texts[i], base_sha256=base, user=f"u{i}", auth="t", reason="r", history=store
            )
        except Conflict as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [i for i, r in enumerate(results) if not isinstance(r, Conflict)]
    assert len(winners) == 1, results
    assert path.read_text() == texts[winners[0]]
    assert [e.user for e in store.rule_edits()] == [f"u{winners[0]}"]


def test_a_new_file_is_created_once(home, store):
    text = (home / "rules" / "att-minimum.yaml").read_text().replace("id: att-minimum", "id: att-copy", 1)
    saved = save("att-copy.yaml", text, base_sha256=None, user="u", auth="t", reason="a copy", history=store)
    assert saved.previous_copy is None and saved.edit.sha256_before is None
    with pytest.raises(Conflict):
        save(
            "att-copy.yaml", text + "\n", base_sha256=None, user="v", auth="t", reason="again", history=store
        )


# --- exports -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (3, 3),
        (None, None),
    ],
)
def test_spreadsheet_formulas_are_neutralised(cell, safe):
    assert spreadsheet_safe(cell) == safe


def test_the_edit_log_export_neutralises_every_text_cell(home, store):
    path = home / "rules" / "baseline.yaml"
    start = path.read_text()
    save(
        "baseline.yaml",
        lowered(start),
        base_sha256=sha256_text(start),
        user="=cmd|'/c calc'!A1",
        auth="t",
        reason="@SUM(1+1)",
        history=store,
    )
    rows = list(csv.DictReader(io.StringIO(edits_csv(store.rule_edits()))))
    assert rows[0]["user"] == "'=cmd|'/c calc'!A1" and rows[0]["reason"] == "'@SUM(1+1)"
    assert not any(v.startswith(("=", "+", "-", "@")) for row in rows for v in row.values())


def test_the_copy_installed_with_the_package_is_never_written(tmp_path, monkeypatch, store):
    import riskcheck.rule_edits as rule_edits

    packaged = tmp_path / "site-packages" / "riskcheck"
    shutil.copytree(ROOT / "rules", packaged / "_data" / "rules")
    monkeypatch.setattr(rule_edits, "PACKAGE", packaged)
    folder = packaged / "_data" / "rules"
    assert "RISKCHECK_HOME" in (rule_edits.folder_problem(folder) or "")
    text = (folder / "baseline.yaml").read_text()
    with pytest.raises(UsageError, match="installed with riskcheck"):
        save(
            "baseline.yaml",
            lowered(text),
            base_sha256=sha256_text(text),
            user="u",
            auth="t",
            reason="r",
            history=store,
            folder=folder,
        )
    assert (folder / "baseline.yaml").read_text() == text


def save_baseline(store, before: str, after: str, reason: str = "r"):
    """Save ``after`` over rules/baseline.yaml as it was (``before``)."""
    return save(
        "baseline.yaml",
        after,
        base_sha256=sha256_text(before),
        user="u",
        auth="t",
        reason=reason,
        history=store,
    )


def test_versions_keeps_the_newest_copies_and_the_log_keeps_every_text(home, store, monkeypatch):
    """Three saves with RISKCHECK_KEEP_VERSIONS=2: the copy of the original text is pruned, the two
    newer previous texts stay, and the edit log still holds all three texts before."""
    monkeypatch.setenv("RISKCHECK_KEEP_VERSIONS", "2")
    path = home / "rules" / "baseline.yaml"
    other = home / "rules" / ".versions" / "eu-common-position.yaml.20200101T000000.000000Z.0123456789ab.bak"
    other.parent.mkdir(exist_ok=True)
    other.write_text("another file's copy\n")
    texts = [read_current(path)]
    assert texts[0] is not None
    for i in range(3):
        new = texts[-1].replace("title: ", f"title: v{i} ", 1)
        assert new != texts[-1]
        save_baseline(store, texts[-1], new, reason=f"edit {i}")
        texts.append(new)
    kept = sorted((home / "rules" / ".versions").glob("baseline.yaml.*.bak"))
    assert [k.read_text() for k in kept] == texts[1:3]  # the two newest previous texts
    assert other.read_text() == "another file's copy\n"  # other files' copies are not touched
    assert [e.text_before for e in reversed(store.rule_edits())] == texts[:3]  # the log is newest first


def test_a_bad_keep_versions_setting_is_refused_before_anything_is_written(home, store, monkeypatch):
    monkeypatch.setenv("RISKCHECK_KEEP_VERSIONS", "many")
    path = home / "rules" / "baseline.yaml"
    before = read_current(path)
    assert before is not None
    with pytest.raises(UsageError, match="RISKCHECK_KEEP_VERSIONS='many'"):
        save_baseline(store, before, lowered(before))
    assert read_current(path) == before and store.rule_edits() == []


def test_a_pruning_failure_never_turns_a_save_into_a_failure(home, store, monkeypatch):
    """The file is written and the edit recorded before old copies are pruned: if pruning fails the
    save stands, and the failure is returned as a warning."""
    from riskcheck import rule_edits

    def refuse(*_a, **_k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(rule_edits, "prune_versions", refuse)
    path = home / "rules" / "baseline.yaml"
    before = read_current(path)
    assert before is not None
    after = lowered(before)
    saved = save_baseline(store, before, after)
    assert read_current(path) == after and len(store.rule_edits()) == 1
    assert saved.warnings == ("older copies in .versions could not be pruned: Permission denied",)
