"""A licensing register replayed on new information: each licence under its recipient profile as it
stood on the licence's date (the profile's version log) and as it is now, under one rule set.

The register is read and scored as ``riskcheck batch`` reads it (riskcheck.batch.register); only the
profile a row names changes between the two replays. Licences whose profile has no versions, or
has not changed since their date, are not replayed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .. import profile_versions as versions
from ..batch.register import (
    ProfileIndex,
    SeenIds,
    header_problems,
    iter_chunks,
    parse_chunk,
    read_header,
    register_kind,
    scenario_for_row,
)
from ..engine import compile_plan
from ..engine.arrays import evaluate as evaluate_arrays
from ..errors import InputError, display_path
from ..loader import load_rules, scenario_from_document
from ..paths import rules_dir, scenarios_dir
from ..pipeline import assess
from ..scenario_model import Profile
from ..yamlfile import parse_text
from .reassess import Change, Report, direction

KEY = ".riskcheck-version."


class _AsOfIndex(ProfileIndex):
    """Profiles as they stood: ``<id>.riskcheck-version.<n>`` is version n of profile ``<id>``."""

    def get(self, pid: str) -> tuple[Profile | None, str | None]:
        if KEY not in pid:
            return super().get(pid)
        base, n = pid.split(KEY)
        log = versions.read_log(self.path_of(base))
        text = log[int(n) - 1].text
        doc = parse_text(text, f"{base}@v{n}")
        return Profile.model_validate(doc.data), None


def _version_at(
    logs: dict[str, list[versions.Version]], index: ProfileIndex, pid: str, day: str
) -> int | None:
    if pid not in logs:
        path = index.path_of(pid)
        logs[pid] = versions.read_log(path) if path.is_file() else []
    log = logs[pid]
    if not log:
        return None
    try:
        end = dt.datetime.combine(dt.date.fromisoformat(day), dt.time.max, tzinfo=dt.UTC)
    except ValueError:
        return None
    found = None
    for v in log:
        if v.kind == "baseline" or v.when <= end:
            found = v.n
    return found


def reassess_register(
    path: Path, *, rules: Path | None = None, profiles_dir: Path | None = None, since: dt.date | None = None
) -> Report:
    report = Report()
    register_kind(path)
    bad = header_problems(path, read_header(path))
    if bad:
        raise InputError(bad)
    lr = load_rules(rules or rules_dir() / "baseline.yaml")
    cr = compile_plan(lr)
    folder = profiles_dir or scenarios_dir() / "profiles"
    now_index, then_index = ProfileIndex(folder), _AsOfIndex(folder)
    logs: dict[str, list[versions.Version]] = {}
    shown = display_path(path)
    seen_now, seen_then = SeenIds(), SeenIds()
    for raw in iter_chunks(path, 50_000):
        if "profile" not in raw.columns:
            break
        pids = raw.columns["profile"].to_pylist()
        days = [str(d) if d is not None else "" for d in raw.columns["date"].to_pylist()]
        latest = {}
        keyed = []
        for pid, day in zip(pids, days, strict=True):
            n = _version_at(logs, now_index, pid, day) if pid else None
            if pid and pid not in latest:
                latest[pid] = len(logs.get(pid) or [])
            keyed.append(f"{pid}{KEY}{n}" if n is not None and n != latest.get(pid) else pid)
        old_raw = dataclasses.replace(
            raw, columns={**raw.columns, "profile": pa.array(keyed, type=pa.string())}, cells={}
        )
        pc_now = parse_chunk(raw, shown, now_index, seen_now)
        pc_then = parse_chunk(old_raw, shown, then_index, seen_then)
        differs = (
            np.array([k != p for k, p in zip(keyed, pids, strict=True)], dtype=bool)
            & ~pc_now.invalid
            & ~pc_then.invalid
        )
        if since is not None:
            differs &= pc_now.dates >= np.datetime64(since, "D")
        report.checked += int((~pc_now.invalid).sum())
        report.evidence_changed += int(differs.sum())
        if not differs.any():
            continue
        d_now = evaluate_arrays(cr, pc_now.facts(lr, pc_now.dates)).decisions()
        d_then = evaluate_arrays(cr, pc_then.facts(lr, pc_then.dates)).decisions()
        ids = pc_now.ids()
        for i in np.flatnonzero(differs & (d_now != d_then)):
            way = direction(str(d_then[i]), str(d_now[i]))
            if way is None:
                continue
            rec = pc_now.record(int(i))
            ch = Change(
                f"{ids[i]} (row {int(pc_now.rows[i])})",
                f"Application {ids[i]}",
                rec.get("recipient_country", ""),
                str(rec.get("date")),
                rec["date"],
                str(d_then[i]),
                None,
                str(d_now[i]),
                way,
            )
            ch.notes.append(
                f"register: decision under the profile as it stood on the licence's date, and as it is now ({lr.model.id} {lr.model.version})"
            )
            ch.lines, ch.sources = _explain(rec, keyed[i], pids[i], lr, then_index, now_index)
            report.changes.append(ch)
    return report


def _explain(
    rec: dict[str, Any], then_key: str, pid: str, lr: Any, then_index: _AsOfIndex, now_index: ProfileIndex
) -> tuple[list[str], list[str]]:
    """The two full assessments of one licence, and the factor lines that differ."""
    from ..trace import to_plain
    from .reassess import factor_lines

    results = []
    for index, key in ((then_index, then_key), (now_index, pid)):
        profile, problem = index.get(key)
        assert profile is not None, problem  # parse_chunk loaded the same profile without error
        with tempfile.TemporaryDirectory() as tmp:
            ppath = Path(tmp) / "profile.yaml"
            import yaml

            ppath.write_text(
                yaml.safe_dump(profile.model_dump(mode="json", exclude_none=True), sort_keys=False),
                encoding="utf-8",
            )
            data = scenario_for_row(rec, rec["date"], lr.model.id, ppath, profile)
            doc = parse_text(yaml.safe_dump(data, sort_keys=False), f"register row ({key})")
            s = scenario_from_document(doc, Path(tmp), profile_root=Path(tmp))
            results.append(assess(lr, s, rec["date"]))
    old = to_plain(results[0])
    return factor_lines(old, results[1])
