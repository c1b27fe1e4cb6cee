"""Batch results equal single assessments, row for row.

A seeded synthetic register (tests/register_gen.py) is scored by ``riskcheck batch``; every valid
row is then turned into its equivalent scenario file (``scenario_for_row``), loaded by the normal
loader and assessed by ``engine.assess`` - the reference semantics. Decision, refusal codes, the
decisive reasons, the number of missing-evidence items and every criterion's residual risk and
level must be equal (floats to the last bit). The re-assessment columns (another rule set, another
date) are checked the same way on a sample of rows.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import io
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from riskcheck import assess, loader
from riskcheck.batch import BatchOptions, run_batch
from riskcheck.batch.columns import COLUMNS, ERROR, parse_value
from riskcheck.batch.register import ProfileIndex, scenario_for_row
from riskcheck.facts import facts_for
from riskcheck.loader import load_rules, scenario_from_document
from riskcheck.trace import DECISIONS
from riskcheck.yamlfile import Document, parse_text
from tests.register_gen import write_profiles, write_register

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "rules" / "baseline.yaml"
OTHER = ROOT / "rules" / "eu-common-position.yaml"
AS_OF = dt.date(2026, 1, 1)
ROWS = 3000
AFTER_SAMPLE = 4  # every 4th row is also checked under the re-assessment


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = tmp_path_factory.mktemp("batch-eq")
    profiles = write_profiles(d / "profiles")
    register = write_register(d / "register.csv", ROWS, seed=7, chunk=1000, invalid=0.01, contested=0.03)
    out = d / "out.parquet"
    report = run_batch(
        BatchOptions(
            register, out, rules=BASELINE, compare_rules=OTHER, as_of=AS_OF, profiles=profiles, chunk_rows=700
        ),
        err=io.StringIO(),
    )
    table = pq.read_table(out).to_pylist()
    return {"dir": d, "profiles": profiles, "register": register, "report": report, "rows": table}


def _records(register: Path) -> list[tuple[dict, bool]]:
    out = []
    with register.open(newline="") as fh:
        for raw in csv.DictReader(fh):
            rec, bad = {}, False
            for name, text in raw.items():
                state, value, _ = parse_value(COLUMNS[name], text)
                bad |= state == ERROR
                if value is not None:
                    rec[name] = value
            out.append((rec, bad))
    return out


def _scenario(rec: dict, day: dt.date, rules_id: str, profiles: ProfileIndex):
    pid = rec.get("profile")
    data = scenario_for_row(
        rec,
        day,
        rules_id,
        profiles.path_of(pid) if pid else None,
        profiles.get(pid)[0] if pid else None,
    )
    # The scenario's data goes through the normal loader (pydantic, profile merge, facts); only the
    # YAML text step is skipped: JSON data is what a YAML file of it would parse to.
    text = json.dumps(data, default=str)
    doc = Document(f"row-{rec['application_id']}", json.loads(text), text)
    return scenario_from_document(doc, ROOT, profile_root=profiles.folder)


def _expected(a) -> dict:
    out = {
        "decision": a.decision,
        "refusal_codes": ";".join(a.refusal_codes),
        "reasons": ";".join(r.rule_id for r in a.reasons if r.outcome == a.decision),
        "missing_evidence": len(a.missing),
    }
    for c in a.criteria:
        out[f"residual.{c.id}"] = c.residual
        out[f"level.{c.id}"] = c.level
    return out


def _got(row: dict, prefix: str, criteria: list[str]) -> dict:
    out = {k: row[f"{prefix}{k}"] for k in ("decision", "refusal_codes", "reasons", "missing_evidence")}
    for cid in criteria:
        if row[f"{prefix}residual.{cid}"] is not None:
            out[f"residual.{cid}"] = row[f"{prefix}residual.{cid}"]
            out[f"level.{cid}"] = row[f"{prefix}level.{cid}"]
    return out


def test_the_equivalent_scenario_is_a_valid_scenario_file(run: dict) -> None:
    """The shortcut above is faithful: the same data as YAML text loads to the same scenario."""
    profiles = ProfileIndex(run["profiles"])
    for rec, bad in _records(run["register"])[:40]:
        if bad:
            continue
        pid = rec.get("profile")
        data = scenario_for_row(
            rec,
            rec["date"],
            "baseline",
            profiles.path_of(pid) if pid else None,
            profiles.get(pid)[0] if pid else None,
        )
        doc = parse_text(yaml.safe_dump(json.loads(json.dumps(data, default=str)), sort_keys=False), "x.yaml")
        a = scenario_from_document(doc, ROOT, profile_root=profiles.folder)
        b = _scenario(rec, rec["date"], "baseline", profiles)
        assert a.model == b.model
        fa, fb = facts_for(a, rec["date"]), facts_for(b, rec["date"])
        assert {k: dataclasses.replace(f, location=None) for k, f in fa.items()} == {
            k: dataclasses.replace(f, location=None) for k, f in fb.items()
        }


def test_every_row_equals_the_engine(run: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    # The profile files do not change during the test: read each once (speed only).
    monkeypatch.setattr(loader, "load_profile", functools.lru_cache(maxsize=None)(loader.load_profile))
    before, after = load_rules(BASELINE), load_rules(OTHER)
    crit_b = [c.id for c in before.model.criteria]
    crit_a = [c.id for c in after.model.criteria]
    profiles = ProfileIndex(run["profiles"])
    records = _records(run["register"])
    rows = run["rows"]
    assert len(rows) == len(records) == ROWS
    checked = checked_after = 0
    for k, ((rec, bad), row) in enumerate(zip(records, rows, strict=True)):
        assert row["row"] == k + 2
        if bad or row["errors"] is not None:
            assert row["decision"] is None and row["errors"], row
            continue
        s = _scenario(rec, rec["date"], before.model.id, profiles)
        exp = _expected(assess(before, s, rec["date"]))
        assert _got(row, "", crit_b) == exp, (row["application_id"], rec)
        assert row["as_of"] == rec["date"] and row["rules_sha256"] == before.sha256
        checked += 1
        if k % AFTER_SAMPLE == 0:
            s2 = _scenario(rec, AS_OF, after.model.id, profiles)
            exp2 = _expected(assess(after, s2, AS_OF))
            assert _got(row, "after.", crit_a) == exp2, (row["application_id"], rec)
            assert row["changed"] == (
                (exp["decision"], exp["refusal_codes"]) != (exp2["decision"], exp2["refusal_codes"])
            )
            checked_after += 1
    assert checked > 0.95 * ROWS and checked_after > ROWS // (AFTER_SAMPLE + 1)


def test_the_register_covers_what_the_rules_read(run: dict) -> None:
    rows = [r for r in run["rows"] if r["decision"] is not None]
    decisions = {r["decision"] for r in rows}
    assert decisions == set(DECISIONS)
    reasons = {x for r in rows for x in (r["reasons"] or "").split(";")} | {
        x for r in rows for x in (r["after.reasons"] or "").split(";")
    }
    for rule in (
        "un-arms-embargo",
        "eu-osce-arms-embargo",
        "atrocity-knowledge",
        "armed-groups-war-crimes",
        "presumption-looted-stocks",
        "prior-denial-consultation",
        "manpads-senior-level",
        "manpads-government-only",
        "manpads-stockpile-standard",
        "c2a-repression/unit-gvhr",
    ):
        assert rule in reasons, rule
    # Rebutted presumptions occur (approve with conditions despite a presumption destination).
    assert any(
        r["decision"] == "approve_with_conditions" and r["residual.c7-stockpile"] is not None for r in rows
    )
    report = run["report"]
    assert report.contested > 20 and report.invalid > 5 and report.changed > 100
    residuals = np.array([r["residual.att-7-overriding"] for r in rows], dtype=float)
    assert len(np.unique(residuals)) > 20  # weighted means, floors and mitigation, not a few constants
