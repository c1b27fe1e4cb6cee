"""Benchmark of re-assessment on new information (make bench): ``reassess_s``.

A history database of 100,000 recorded assessments (300 with ``--benchmark-disable``) of the
bundled scenarios that use a shared profile and keep their case (a state recipient's export), each case distinct (its quantity and title vary), as
the app records them: scenario text, the profile's text, provenance with the profile's sha256, the
kept case (``riskcheck-case/2``) and outcome, and a result. The result stored is the criteria and
factors part of the assessment's JSON (what re-assessment reads), not the full trace, which would
make the database some 2.5 GB. Then every profile is changed (an officer's edit that turns several
decisions) and ``reassess_history`` replays every record, end to end: reading the database, the
facts of every line from the kept cases and the profiles now, scoring all of them at once with the
array interpreter under the rules then and now, and the factor lines of each changed one.
Building the database is not timed.

``test_reassess_records_without_kept_cases`` times the slow path (rows recorded before the case
was kept: each scenario read again from its text) on 1,000 records (``reassess_old_s``).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from pathlib import Path

import pytest
from sqlalchemy import insert

from riskcheck import assess, kept_case
from riskcheck.evidence.commands import run_set
from riskcheck.evidence.reassess import reassess_history
from riskcheck.history import CHAINS, GENESIS, History, assessments, chain_heads
from riskcheck.loader import load_profile, load_rules, load_scenario
from riskcheck.trace import to_plain

ROOT = Path(__file__).resolve().parents[2]


def _disabled(config: pytest.Config) -> bool:
    return bool(config.getoption("benchmark_disable") and not config.getoption("benchmark_enable"))


def _compact(a) -> str:
    data = to_plain(a)
    keep = {"decision": data["decision"], "summary": data["summary"], "refusal_codes": data["refusal_codes"]}
    keep["criteria"] = [
        {k: c[k] for k in ("id", "title", "refusal_code", "level", "residual")}
        | {
            "factors": [
                {"id": f["id"], "score": f["score"], "evidence": {"value": f["evidence"]["value"]}}
                for f in c["factors"]
            ]
        }
        for c in data["criteria"]
    ]
    return json.dumps(keep)


def tmp_scenario(home: Path, path: Path, text: str):
    probe = path.with_name(".bench-probe.yaml")
    probe.write_text(text)
    try:
        return load_scenario(probe)
    finally:
        probe.unlink()


def build(home: Path, n: int, keep: bool = True) -> History:
    """``keep``: record the kept case as the app does; False: rows as recorded before it was kept."""
    store = History(f"sqlite:///{home / 'history.db'}")
    rng = random.Random(7)
    bases = []
    for path in sorted((home / "scenarios").glob("*.yaml")):
        s = load_scenario(path)
        if s.profile_doc is None or kept_case.case_json(s) is None:
            continue  # no shared profile, or a case the app keeps no case of (a non-state recipient's)
        rules = load_rules(home / "rules" / f"{s.model.rules}.yaml")
        text = path.read_text()
        a = assess(rules, s)
        # The first line's quantity is rewritten below ("quantity: 57" -> "quantity: <r>057"); its
        # kept case changes the same way (checked here once per scenario, by loading the result).
        case = kept_case.case_of(s)
        probe = tmp_scenario(home, path, text.replace("quantity: ", "quantity: 10", 1))
        assert probe.model.transfer.items[0].quantity == int(f"10{case['lines'][0][3]}"), path
        bases.append((text, s, a, case, kept_case.outcome_json(a), _compact(a)))  # rendered once each
    chain = CHAINS["assessments"]
    prev = GENESIS
    rows = []
    made = dt.datetime(2025, 3, 1)
    for i in range(n):
        text, s, a, kept, outcome, result = bases[i % len(bases)]
        r = rng.randint(1, 900)
        case = text.replace(f"title: {s.model.title}", f"title: {s.model.title} no. {i}", 1)
        case = case.replace("quantity: ", f"quantity: {r}0", 1)
        lines = [list(x) for x in kept["lines"]]
        lines[0][3] = int(f"{r}0{lines[0][3]}")
        p = a.provenance
        row = {
            "created_at": made + dt.timedelta(minutes=i),
            "origin": "bench",
            "scenario_id": a.scenario_id,
            "title": f"{a.scenario_title} no. {i}",
            "recipient": s.model.transfer.recipient.country,
            "decision": a.decision,
            "refusal_codes": ",".join(a.refusal_codes),
            "rule_set_id": p.rule_set_id,
            "rule_set_version": p.rule_set_version,
            "rules_sha256": p.rules_sha256,
            "input_sha256": p.input_sha256,
            "engine_version": p.engine_version,
            "as_of": p.as_of,
            "scenario_yaml": case,
            "profile_yaml": s.profile_doc.text,
            "result_json": result,
            "provenance_json": json.dumps(to_plain(p), sort_keys=True),
            "note": None,
            "recorded_by": None,
            "facts_json": kept_case.canonical({"head": kept["head"], "lines": lines}) if keep else None,
            "outcome_json": outcome if keep else None,
        }
        row["prev_hash"] = prev
        row["row_hash"] = prev = chain.hash(row, prev)
        rows.append(row)
    with store.engine.begin() as conn:
        conn.execute(insert(assessments), rows)
        conn.execute(insert(chain_heads).values(name="assessments", last_id=n, row_hash=prev))
    return store


def updated(home: Path, n: int, keep: bool) -> History:
    """The database of n records, and every profile changed since they were made."""
    shutil.copytree(ROOT / "rules", home / "rules")
    shutil.copytree(ROOT / "scenarios", home / "scenarios")
    store = build(home, n, keep)
    for profile in sorted((home / "scenarios" / "profiles").glob("*.yaml")):
        if load_profile(profile)[0].kind != "state":
            continue  # a non-state recipient's profile holds no country indicator (none of them is recorded)
        run_set(
            profile,
            "internal_conflict",
            "war",
            source="bench: new UCDP year",
            as_of=dt.date(2025, 12, 31),
            why="bench",
        )
    return store


def test_reassess_after_a_profile_update(benchmark, request, tmp_path, monkeypatch):
    n = 300 if _disabled(request.config) else 100_000
    monkeypatch.setenv("RISKCHECK_HOME", str(tmp_path))
    store = updated(tmp_path, n, keep=True)
    report = benchmark.pedantic(lambda: reassess_history(store), rounds=1, iterations=1)
    benchmark.extra_info["records"] = n
    benchmark.extra_info["changed"] = len(report.changes)
    assert report.checked == n and report.evidence_changed == n
    assert report.changes and all(c.direction == "stricter" for c in report.changes)
    store.dispose()


def test_reassess_records_without_kept_cases(benchmark, request, tmp_path, monkeypatch):
    n = 100 if _disabled(request.config) else 1_000
    monkeypatch.setenv("RISKCHECK_HOME", str(tmp_path))
    store = updated(tmp_path, n, keep=False)
    report = benchmark.pedantic(lambda: reassess_history(store), rounds=1, iterations=1)
    benchmark.extra_info["records"] = n
    assert report.checked == n and report.evidence_changed == n and report.changes
    store.dispose()
