"""A register scored under the every-feature rule set equals single assessments, row for row.

The same check as tests/test_batch_equivalence.py (a seeded synthetic register through
``riskcheck batch``, each valid row assessed again from its equivalent scenario file), under
tests/fixtures/rules/every-feature.yaml: effective dates on every kind of element, a weakest-link
criterion with its own thresholds, the 'refer' missing-evidence policy, outranking, mitigation
requirements and every condition operator, so that the array interpreter is compared with the
scalar one on what the bundled rule sets do not use.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from riskcheck import assess, loader
from riskcheck.batch import BatchOptions, run_batch
from riskcheck.batch.register import ProfileIndex
from riskcheck.loader import load_rules
from tests.register_gen import write_profiles, write_register
from tests.test_batch_equivalence import _expected, _got, _records, _scenario

EVERY = Path(__file__).resolve().parent / "fixtures" / "rules" / "every-feature.yaml"
ROWS = 1500


def test_every_row_equals_the_engine_under_every_feature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profiles = write_profiles(tmp_path / "profiles")
    register = write_register(
        tmp_path / "register.csv", ROWS, seed=11, chunk=500, invalid=0.01, contested=0.05
    )
    out = tmp_path / "out.parquet"
    run_batch(BatchOptions(register, out, rules=EVERY, profiles=profiles, chunk_rows=400), err=io.StringIO())
    rows = pq.read_table(out).to_pylist()
    monkeypatch.setattr(loader, "load_profile", functools.lru_cache(maxsize=None)(loader.load_profile))
    rules = load_rules(EVERY)
    criteria = [c.id for c in rules.model.criteria]
    index = ProfileIndex(profiles)
    checked = 0
    decisions = set()
    for (rec, bad), row in zip(_records(register), rows, strict=True):
        if bad or row["errors"] is not None:
            continue
        s = _scenario(rec, rec["date"], rules.model.id, index)
        assert _got(row, "", criteria) == _expected(assess(rules, s, rec["date"])), (
            row["application_id"],
            rec,
        )
        decisions.add(row["decision"])
        checked += 1
    assert checked > 0.95 * ROWS
    assert len(decisions) >= 4  # the register reaches most outcomes under this rule set too
