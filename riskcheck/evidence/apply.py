"""Data-set values merged into country profiles, and the import's report.

The import keeps one live profile per state, ``<folder>/<iso3>.yaml`` (id = the code in lower
case), creating it when the state has none; other profiles of the state (historical ones such as
``iraq-2014``, scenario-specific ones) and fictional states are never touched.

Per indicator:

- no value yet, or ``unknown``: the data set's value is written (``new``, ``filled``);
- a value an earlier import wrote (it has ``dataset``): replaced by this file's, unless that one is
  for a later year (``kept: newer``) or the same (``unchanged``);
- a value an officer entered (no ``dataset``): kept. If the data set says otherwise, the officer's
  value is marked ``override_of`` with the data set's value and row, and the report shows both;
  ``--replace-overrides`` writes the data set's value instead.

Nothing is written unless the whole file was read without error; each profile written is a new
version (``versions.commit``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import profile_versions as versions
from ..errors import display_path
from ..loader import load_profile
from ..scenario_model import Profile
from ..yamlfile import parse_text
from . import countries
from .importers import Extract, Value

HEADER = (
    "# Country profile kept by `riskcheck profile import` and `riskcheck profile set`: each imported\n"
    "# value names its data set, edition and row; officers' values are kept. Versions: .versions/\n"
)


@dataclass
class ProfileChange:
    path: Path
    profile_id: str
    country: str
    created: bool
    old_text: str | None
    new_text: str
    lines: list[str] = field(default_factory=list)  # what changed, in words
    changes: list[dict[str, Any]] = field(default_factory=list)  # for the version log
    fresh: list[str] = field(default_factory=list)  # indicators this import made current


@dataclass
class Plan:
    extract: Extract
    folder: Path
    profiles: list[ProfileChange]
    untouched: list[str]  # states in the file left alone (not in --countries)
    notes: list[str] = field(default_factory=list)  # officers' values kept, values kept as newer

    @property
    def writes(self) -> list[ProfileChange]:
        return [p for p in self.profiles if p.new_text != p.old_text]


def live_profiles(folder: Path) -> dict[str, tuple[Path, Profile, str]]:
    """The profiles the import keeps, by state: ``<iso3>.yaml`` with that id, not fictional."""
    out: dict[str, tuple[Path, Profile, str]] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        code = path.stem.upper()
        if len(code) != 3 or countries.by_alpha3(code) != code:
            continue
        profile, doc = load_profile(path)
        if profile.id == code.lower() and profile.country == code and not profile.fictional:
            out[code] = (path, profile, doc.text)
    return out


def _dataset(ex: Extract, v: Value | None, year: int) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": ex.dataset,
        "edition": ex.edition,
        "year": year,
        "file": ex.file,
        "sha256": ex.sha256,
    }
    if v is not None:
        if v.sheet:
            d["sheet"] = v.sheet
        d["row"] = v.row
        d["cells"] = {
            str(k): (c if isinstance(c, bool | int | float) or c is None else str(c))
            for k, c in v.cells.items()
        }
    return d


def _indicator(ex: Extract, v: Value) -> dict[str, Any]:
    ind: dict[str, Any] = {
        "value": v.value,
        "confidence": "known",
        "source": ex.source_text(v),
        "as_of": v.as_of,
    }
    if v.note:
        ind["note"] = v.note
    ind["dataset"] = _dataset(ex, v, v.year)
    return ind


def _absent(ex: Extract, code: str, indicator: str, value: Any) -> dict[str, Any]:
    day = dt.date(ex.year, 12, 31) if indicator != "att_state_party" else dt.date.fromisoformat(ex.edition)
    return {
        "value": value,
        "confidence": "known",
        "source": f"{ex.dataset}, {ex.edition} edition, {ex.year} ({ex.file}: {code} not listed)",
        "as_of": day,
        "note": ex.absent_note,
        "dataset": _dataset(ex, None, ex.year),
    }


def _shown(ind: dict[str, Any] | None) -> str:
    if ind is None:
        return "none"
    if ind.get("value") is None:
        return "unknown"
    return repr(ind["value"])


def merge(
    data: dict[str, Any], key: str, new: dict[str, Any], replace_overrides: bool
) -> tuple[str, dict[str, Any] | None]:
    """What the import does to one indicator: (status, the indicator to write or None to keep)."""
    indicators = data.setdefault("indicators", {}) or {}
    data["indicators"] = indicators
    old = indicators.get(key)
    if old is None:
        return "new", new
    if old.get("dataset") is not None:
        if (
            old["dataset"].get("year", 0) > new["dataset"]["year"]
            and old["dataset"].get("name") == new["dataset"]["name"]
        ):
            return "kept: newer", None
        same = {k: v for k, v in old.items()} == new
        return ("unchanged", None) if same else ("updated", new)
    if old.get("confidence") == "unknown" or old.get("value") is None:
        return "filled", new
    if old.get("value") == new["value"] and not old.get("alternatives"):
        if old.get("override_of") is not None:
            kept = {k: v for k, v in old.items() if k != "override_of"}
            return "agrees", kept
        return "agrees", None
    if replace_overrides:
        return "replaced the officer's value", new
    marked = dict(old)
    marked["override_of"] = {"value": new["value"], "dataset": new["dataset"]}
    if old.get("override_of") == marked["override_of"]:
        return "officer's value kept", None
    return "officer's value kept", marked


def dump(data: dict[str, Any], header: str) -> str:
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return header + body


def _header(old_text: str | None) -> str:
    if old_text is None:
        return HEADER
    lines = []
    for line in old_text.splitlines(keepends=True):
        if line.startswith("#"):
            lines.append(line)
        else:
            break
    return "".join(lines)


def plan(
    ex: Extract,
    folder: Path,
    *,
    only: set[str] | None = None,
    replace_overrides: bool = False,
) -> Plan:
    """Every profile change the import would make (nothing is written here)."""
    live = live_profiles(folder)
    by_state: dict[str, list[Value]] = {}
    for v in ex.values:
        by_state.setdefault(v.country, []).append(v)
    targets = set(by_state) if only is None else set(by_state) & only
    if ex.absent:
        targets |= (set(live) if only is None else set(live) & only) | (only or set())
    untouched = sorted(set(by_state) - targets)
    out = Plan(ex, folder, [], untouched)
    for code in sorted(targets):
        if code in live:
            path, _, old_text = live[code]
            data = yaml.safe_load(old_text)
            created = False
        elif code in by_state:
            path, old_text, created = folder / f"{code.lower()}.yaml", None, True
            data = {
                "id": code.lower(),
                "country": code,
                "name": countries.display_name(code),
                "fictional": False,
                "description": "Built from published data sets with riskcheck profile import.",
                "indicators": {},
            }
        else:
            continue  # named with --countries, absent from the file and without a profile: nothing to keep
        pc = ProfileChange(path, data["id"], code, created, old_text, old_text or "")
        values = {v.indicator: v for v in by_state.get(code, [])}
        for key in (*values, *(k for k in ex.absent if k not in values)):
            new = _indicator(ex, values[key]) if key in values else _absent(ex, code, key, ex.absent[key])
            before = (data.get("indicators") or {}).get(key)
            status, write = merge(data, key, new, replace_overrides)
            where = f"row {new['dataset']['row']}" if new["dataset"].get("row") else "not listed"
            if write is not None:
                data["indicators"][key] = write
                pc.changes.append({"indicator": key, "before": before, "after": write})
            if status in ("new", "filled", "updated", "replaced the officer's value"):
                pc.lines.append(f"{key}: {_shown(before)} -> {new['value']!r} ({status}; {where})")
                pc.fresh.append(key)
            elif status == "officer's value kept":
                pc.lines.append(
                    f"{key}: officer's value {_shown(before)} kept; {ex.dataset} gives {new['value']!r} ({where}): "
                    "marked as an override (--replace-overrides writes the data set's value)"
                )
            elif status == "kept: newer":
                year = (before or {}).get("dataset", {}).get("year")
                pc.lines.append(f"{key}: kept {_shown(before)} from {year} (newer than {ex.year})")
            elif status == "agrees" and write is not None:
                pc.lines.append(
                    f"{key}: officer's value {_shown(before)} now agrees with {ex.dataset}: override mark removed"
                )
        if pc.changes:
            pc.new_text = dump(data, _header(old_text))
            _validate(pc)
        out.profiles.append(pc)
    return out


def _validate(pc: ProfileChange) -> None:
    """The text about to be written must load as a profile (a failure here is a bug: say where)."""
    Profile.model_validate(parse_text(pc.new_text, display_path(pc.path)).data)


def write(p: Plan, *, by: str, why: str, now: dt.datetime | None = None) -> list[versions.Version]:
    done = []
    for pc in p.writes:
        done.append(
            versions.commit(
                pc.path,
                pc.new_text,
                by=by,
                why=why,
                kind="import",
                changes=pc.changes,
                expected_sha256=versions.sha256_text(pc.old_text) if pc.old_text is not None else None,
                now=now,
                meta={
                    "dataset": p.extract.dataset,
                    "edition": p.extract.edition,
                    "file": p.extract.file,
                    "file_sha256": p.extract.sha256,
                    "year": p.extract.year,
                },
            )
        )
    return done


def stale_lines(
    folder: Path, codes: list[str], fresh: dict[str, list[str]], today: dt.date, days: int
) -> list[str]:
    """Which profiles this import made current and which values stay older than ``days``."""
    live = live_profiles(folder)
    made, still = [], []
    for code in codes:
        if code not in live:
            continue
        path, profile, _ = live[code]
        if fresh.get(code):
            made.append(f"{path.stem} ({', '.join(sorted(fresh[code]))})")
        old = []
        for key in type(profile.indicators).model_fields:  # type: ignore[attr-defined]
            ind = getattr(profile.indicators, key)
            if ind is not None and ind.as_of is not None and (today - ind.as_of).days > days:
                old.append(f"{key} ({ind.as_of})")
        if old:
            still.append(f"{path.stem}: {', '.join(old)}")
    out = [f"staleness (values older than {days} days on {today} are flagged in assessments):"]
    out.append("  made fresh: " + ("; ".join(made) if made else "none"))
    out += ["  still stale: " + s for s in still] or ["  still stale: none"]
    return out
