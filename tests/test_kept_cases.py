"""The case kept with a recorded assessment (``riskcheck.kept_case``) replayed from its kept form
(``evidence.cases``) decides every item line as loading the scenario again and assessing it does,
whatever the profile became since; and the kept format is pinned by a golden file."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from riskcheck import assess
from riskcheck.evidence.cases import Kept, Prepared, Replay
from riskcheck.facts import indicator_facts
from riskcheck.kept_case import FORMAT, Head, case_json, lines_of, split
from riskcheck.loader import load_profile, load_rules, load_scenario
from tests.profile_edits import edit_case, edit_profile

ROOT = Path(__file__).resolve().parent.parent


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):  # riskcheck files refuse anchors
        return True


def _dump(data) -> str:
    return yaml.dump(data, Dumper=_NoAliases, sort_keys=False)


GOLDEN = Path(__file__).resolve().parent / "golden" / "kept-case"


@pytest.mark.parametrize("name", ["corvania-mixed-licence", "nordvale-g2g-approve"])
def test_kept_case_format_golden(name: str, update_golden: bool, monkeypatch: pytest.MonkeyPatch):
    """A change to the kept format is deliberate: bump ``kept_case.FORMAT`` (older records are then
    replayed from their text) and regenerate with `make golden`."""
    monkeypatch.chdir(ROOT)
    out = case_json(load_scenario(ROOT / "scenarios" / f"{name}.yaml")) + "\n"
    golden = GOLDEN / f"{name}.json"
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(out)
        pytest.skip("golden file updated")
    assert FORMAT == "riskcheck-case/2" and f'"format":"{FORMAT}"' in out
    assert out == golden.read_text(), (
        f"{golden.name} differs: bump kept_case.FORMAT if meant, then `make golden`"
    )


def test_the_kept_case_leaves_the_profiles_evidence_to_the_profile():
    """Corvania's scenario records no conflicts or patterns of its own: its kept case holds none
    (the profile's, as they are at replay, are read); it holds its own unit record and both lines."""
    s = load_scenario(ROOT / "scenarios" / "corvania-mixed-licence.yaml")
    head_text, lines_text = split(case_json(s))
    head = Head(head_text)
    assert head.profile_id == "corvania" and len(head.profile_sha256 or "") == 64
    assert (
        head.evidence.conflicts is None and head.evidence.patterns is None and head.evidence.embargoes is None
    )
    assert head.evidence.unit.quantity_plausible.value is True
    assert [(x.sensitivity, x.capability, x.quantity) for x in lines_of(lines_text)] == [
        ("protective_non_lethal", "protective_non_lethal", 3000),
        ("salw", "small_arms_light_weapons", 3000),
    ]


def _keeps_case(s) -> bool:
    return s.profile is not None and case_json(s) is not None


def _cases(home: Path, n: int, seed: int) -> list[tuple[Path, Path, str]]:
    """n random cases, each with a profile of its own: (scenario file, profile file, kept case)."""
    rng = random.Random(seed)
    # the cases a kept case can hold: a state recipient's export (``case_json`` keeps no other)
    bases = [p for p in sorted((home / "scenarios").glob("*.yaml")) if _keeps_case(load_scenario(p))]
    out = []
    while len(out) < n:
        base = rng.choice(bases)
        data = yaml.safe_load(base.read_text())
        i = len(out)
        ppath = home / "scenarios" / "profiles" / f"t{i}.yaml"
        pdata = yaml.safe_load((base.parent / data["evidence"]["profile"]).read_text())
        pdata["id"] = f"t{i}"
        ppath.write_text(_dump(pdata))
        data["evidence"]["profile"] = f"profiles/t{i}.yaml"
        spath = home / "scenarios" / f"t{i}.yaml"
        spath.write_text(_dump(edit_case(data, rng)))
        out.append((spath, ppath, case_json(load_scenario(spath))))
    for _, ppath, _ in out:  # the evidence changes after the cases were recorded
        ppath.write_text(_dump(edit_profile(yaml.safe_load(ppath.read_text()), rng)))
    return out


def _replay(cases: list[tuple[Path, Path, str]], rules, first_line_only: bool = False) -> Replay:
    members, prepared = [], {}
    for i, (spath, ppath, kept) in enumerate(cases):
        head_text, lines_text = split(kept)
        head = Head(head_text)
        model, doc = load_profile(ppath)
        prepared[head] = Prepared(
            head, model, indicator_facts(model.indicators, doc, ("indicators",), "profile")
        )
        lines = lines_of(lines_text)
        row = SimpleNamespace(id=i, as_of=load_scenario(spath).model.date)
        members.append(Kept(row, head, lines[:1] if first_line_only else lines))
    return Replay(rules, members, prepared)


def test_kept_cases_decide_every_line_as_the_scenario_does(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    monkeypatch.setenv("RISKCHECK_HOME", str(tmp_path))
    rules = load_rules(tmp_path / "rules" / "baseline.yaml")
    cases = _cases(tmp_path, 80, seed=15)
    truth = [[line.decision for line in assess(rules, load_scenario(s)).lines] for s, _, _ in cases]
    assert any(len(t) > 1 for t in truth) and len({x for t in truth for x in t}) >= 3  # the draw has variety
    replay = _replay(cases, rules)
    assert replay.line_decisions == truth
    # the check has teeth: a replay that read only each case's first line is caught
    lazy = _replay(cases, rules, first_line_only=True)
    assert lazy.decisions != [assess(rules, load_scenario(s)).decision for s, _, _ in cases]


def test_an_older_database_gets_the_columns_its_rows_verify_and_both_kinds_replay(tmp_path, monkeypatch):
    """A database made before the kept case: the columns are added on open, its rows (hashed
    without them) still verify, a new row's kept case is chained (changing it breaks the chain at
    that row), and re-assessment replays the old row from its text and the new one from its kept
    case to the same answer."""
    import datetime as dt
    import sqlite3
    from contextlib import closing

    from riskcheck.evidence.commands import run_set
    from riskcheck.evidence.reassess import reassess_history
    from riskcheck.history import History
    from tests.test_history_chain import _sql

    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    monkeypatch.setenv("RISKCHECK_HOME", str(tmp_path))
    path = tmp_path / "scenarios" / "nordvale-g2g-approve.yaml"
    s = load_scenario(path)
    a = assess(load_rules(tmp_path / "rules" / "baseline.yaml"), s)
    db = tmp_path / "old.db"
    store = History(f"sqlite:///{db}")
    made = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
    old = store.record(a, path.read_text(), recipient="XNV", profile_yaml=s.profile_doc.text, now=made)
    store.dispose()
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("ALTER TABLE assessments DROP COLUMN facts_json")
        conn.execute("ALTER TABLE assessments DROP COLUMN outcome_json")
    store = History(f"sqlite:///{db}")  # as this version opens it
    try:
        assert store.get(old.id).facts_json is None and store.verify() == {}
        new = store.record(
            a, path.read_text(), recipient="XNV", profile_yaml=s.profile_doc.text, now=made, scenario=s
        )
        assert new.facts_json and new.outcome_json and store.verify() == {}
        assert new.outcome_json == '{"decision":"approve","levels":[' + new.outcome_json.split("[", 1)[1]
        run_set(
            tmp_path / "scenarios" / "profiles" / "nordvale.yaml",
            "internal_conflict",
            "war",
            source="UCDP/PRIO ACD 25.1",
            as_of=dt.date(2025, 12, 31),
            why="new data",
        )
        report = reassess_history(store)
        assert report.checked == 2 and report.evidence_changed == 2
        by_id = {c.record_id: c for c in report.changes}
        assert set(by_id) == {old.id, new.id}
        assert by_id[old.id].now == by_id[new.id].now == "deny"
        assert by_id[old.id].lines == by_id[new.id].lines and by_id[new.id].lines
        _sql(
            store,
            f"UPDATE assessments SET facts_json = replace(facts_json, 'XNV', 'XZZ') WHERE id = {new.id}",
        )
        assert store.verify()["assessments"].broken == (new.id,)
    finally:
        store.dispose()


def test_no_kept_case_for_a_non_state_recipient_or_a_reexport_consent():
    """Their facts come from two profiles (the group's and its host state's) or the holder's record,
    which the kept format does not hold: such records are replayed from their scenario text."""
    root = Path(__file__).resolve().parents[1] / "scenarios"
    kinds = {}
    for path in sorted(root.glob("*.yaml")):
        s = load_scenario(path)
        kinds[path.stem] = (s.kind, s.model.transfer.kind, case_json(s) is None)
    assert kinds["lirenza-front-own-record"][2] and kinds["lirenza-front-own-record"][0] != "state"
    assert kinds["tervia-reexport-consent-apcs"][1] == "reexport_consent"
    assert kinds["tervia-reexport-consent-apcs"][2]
    assert not kinds["nordvale-g2g-approve"][2]
