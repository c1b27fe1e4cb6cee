"""Benchmark of re-assessment on new information (make bench): ``reassess_s``.

A history database of 100,000 recorded assessments (300 with ``--benchmark-disable``) of the
bundled scenarios that use a shared profile, each case distinct (its quantity and title vary), as
the app records them: scenario text, the profile's text, provenance with the profile's sha256, and
a result. The result stored is the criteria and factors part of the assessment's JSON (what
re-assessment reads), not the full trace, which would make the database some 2.5 GB. Then every
profile is changed (an officer's edit that turns several decisions) and ``reassess_history``
replays every record, end to end: reading the database, loading each scenario with the profile
now, scoring all of them with ``vector.evaluate`` under the rules then and now, and the full
assessment of each changed one. Building the database is not timed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from pathlib import Path

import pytest
from sqlalchemy import insert

from riskcheck import assess
from riskcheck.evidence.commands import run_set
from riskcheck.evidence.reassess import reassess_history
from riskcheck.history import CHAINS, GENESIS, History, assessments, chain_heads
from riskcheck.loader import load_rules, load_scenario
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


def build(home: Path, n: int) -> History:
    store = History(f"sqlite:///{home / 'history.db'}")
    rng = random.Random(7)
    bases = []
    for path in sorted((home / "scenarios").glob("*.yaml")):
        s = load_scenario(path)
        if s.profile_doc is None:
            continue
        rules = load_rules(home / "rules" / f"{s.model.rules}.yaml")
        bases.append((path.read_text(), s, assess(rules, s)))
    chain = CHAINS["assessments"]
    prev = GENESIS
    rows = []
    made = dt.datetime(2025, 3, 1)
    for i in range(n):
        text, s, a = bases[i % len(bases)]
        case = text.replace(f"title: {s.model.title}", f"title: {s.model.title} no. {i}", 1)
        case = case.replace("quantity: ", f"quantity: {rng.randint(1, 900)}0", 1)
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
            "result_json": _compact(a),
            "provenance_json": json.dumps(to_plain(p), sort_keys=True),
            "note": None,
            "recorded_by": None,
        }
        row["prev_hash"] = prev
        row["row_hash"] = prev = chain.hash(row, prev)
        rows.append(row)
    with store.engine.begin() as conn:
        conn.execute(insert(assessments), rows)
        conn.execute(insert(chain_heads).values(name="assessments", last_id=n, row_hash=prev))
    return store


def test_reassess_after_a_profile_update(benchmark, request, tmp_path, monkeypatch):
    n = 300 if _disabled(request.config) else 100_000
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    monkeypatch.setenv("RISKCHECK_HOME", str(tmp_path))
    store = build(tmp_path, n)
    for profile in sorted((tmp_path / "scenarios" / "profiles").glob("*.yaml")):
        run_set(
            profile,
            "internal_conflict",
            "war",
            source="bench: new UCDP year",
            as_of=dt.date(2025, 12, 31),
            why="bench",
        )
    report = benchmark.pedantic(lambda: reassess_history(store), rounds=1, iterations=1)
    benchmark.extra_info["records"] = n
    benchmark.extra_info["changed"] = len(report.changes)
    assert report.checked == n and report.evidence_changed == n
    assert report.changes and all(c.direction == "stricter" for c in report.changes)
    store.dispose()
