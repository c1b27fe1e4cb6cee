"""``riskcheck profile import | set | log``: the command-line side of the evidence layer.

Each returns the text to print and an exit code; the CLI module only parses arguments.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from typing import Any

import yaml

from .. import profile_versions as versions
from ..errors import Diagnostic, InputError, Location, UsageError, display_path
from ..loader import load_profile, load_rules
from ..paths import rules_dir, scenarios_dir
from . import apply, countries
from .importers import SOURCES
from .reassess import Report, reassess_history
from .reassess_register import reassess_register


def default_profiles() -> Path:
    return scenarios_dir() / "profiles"


def who(given: str | None) -> str:
    if given:
        return given
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a container: say so rather than invent one
        return "unknown (give --by)"


def _countries(codes: list[str] | None) -> set[str] | None:
    if not codes:
        return None
    out = set()
    for c in codes:
        code = countries.by_alpha3(c) or countries.by_name(c)
        if code is None:
            raise UsageError(f"--countries: {c!r} is not an ISO 3166-1 alpha-3 code or a country name")
        out.add(code)
    return out


def run_import(
    source: str,
    file: Path,
    *,
    folder: Path | None = None,
    year: int | None = None,
    edition: str | None = None,
    only: list[str] | None = None,
    replace_overrides: bool = False,
    skip_unmatched: bool = False,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    by: str | None = None,
    why: str | None = None,
    rules: Path | None = None,
    today: dt.date | None = None,
) -> str:
    src = SOURCES[source]
    folder = folder or default_profiles()
    ex = src.read(file, {"year": year, "edition": edition, "skip_unmatched": skip_unmatched, "as_of": as_of})
    p = apply.plan(ex, folder, only=_countries(only), replace_overrides=replace_overrides)
    lines = [
        f"riskcheck profile import {source} {display_path(file)}: {ex.dataset}, {ex.edition} edition, "
        f"year {ex.year} (sha256 {ex.sha256[:12]})",
        f"  mapping: {ex.mapping}",
        f"  {len({v.country for v in ex.values})} states with a value; {len(p.writes)} profiles "
        f"{'would be ' if dry_run else ''}written ({sum(1 for w in p.writes if w.created)} new)"
        + (f"; {len(p.untouched)} states left alone (not in --countries)" if p.untouched else ""),
    ]
    for pc in p.profiles:
        if pc.lines:
            tag = " (new)" if pc.created else ""
            lines.append(f"  {display_path(pc.path)}{tag}:")
            lines += [f"    {x}" for x in pc.lines]
    lines += [f"  skipped {s}" for s in ex.skipped]
    lines += [f"  no value: {s}" for s in ex.no_value]
    if not dry_run:
        written = apply.write(
            p, by=who(by), why=why or f"import of {ex.dataset} {ex.edition} ({ex.file}), year {ex.year}"
        )
        for v in written:
            lines.append(f"  version {v.n} of {v.sha256[:12]} recorded")
    else:
        lines.append("  dry run: nothing written")
    rs = load_rules(rules or rules_dir() / "baseline.yaml")
    days = rs.model.policy.stale_after_days
    fresh = {pc.country: pc.fresh for pc in p.profiles}
    codes = sorted({pc.country for pc in p.profiles})
    lines += apply.stale_lines(folder, codes, fresh, today or dt.date.today(), days)
    return "\n".join(lines) + "\n"


def _parse_value(indicator: str, text: str) -> Any:
    from ..vocabulary import COUNTRY_INDICATORS

    spec = COUNTRY_INDICATORS.get(indicator)
    if spec is None:
        from ..errors import suggest

        raise UsageError(f"unknown indicator {indicator!r}{suggest(indicator, COUNTRY_INDICATORS)}")
    if spec.kind == "bool":
        if text.lower() not in ("true", "false"):
            raise UsageError(f"{indicator} takes true or false, not {text!r}")
        return text.lower() == "true"
    if spec.kind == "enum":
        if text not in spec.values:
            raise UsageError(f"{indicator} takes one of {', '.join(spec.values)}, not {text!r}")
        return text
    try:
        return int(text) if spec.kind == "int" else float(text)
    except ValueError:
        raise UsageError(f"{indicator} takes a number, not {text!r}") from None


def run_set(
    profile: Path,
    indicator: str,
    value: str,
    *,
    source: str | None,
    as_of: dt.date | None,
    why: str,
    by: str | None = None,
    note: str | None = None,
    confidence: str = "known",
) -> str:
    """An officer's value: written with its source, as a new version; the data set's row is dropped
    (the value is the officer's now, and later imports keep it)."""
    _, doc = load_profile(profile)  # the file must be a valid profile before it is changed
    data = yaml.safe_load(doc.text)
    before = (data.get("indicators") or {}).get(indicator)
    if confidence == "unknown":
        ind: dict[str, Any] = {"confidence": "unknown"}
    else:
        if source is None or as_of is None:
            raise UsageError("a known value needs --source and --as-of")
        ind = {
            "value": _parse_value(indicator, value),
            "confidence": confidence,
            "source": source,
            "as_of": as_of,
        }
    if note:
        ind["note"] = note
    data.setdefault("indicators", {})
    if data["indicators"] is None:
        data["indicators"] = {}
    data["indicators"][indicator] = ind
    text = apply.dump(data, apply._header(doc.text))
    from ..scenario_model import Profile
    from ..yamlfile import parse_text

    try:
        Profile.model_validate(parse_text(text, doc.path).data)
    except Exception as e:
        raise InputError(
            [Diagnostic(Location(doc.path), "RC203", f"{indicator}: {e}".splitlines()[0])]
        ) from None
    v = versions.commit(
        profile,
        text,
        by=who(by),
        why=why,
        kind="edit",
        changes=[{"indicator": indicator, "before": before, "after": ind}],
        expected_sha256=versions.sha256_text(doc.text),
    )
    return f"{display_path(profile)}: {indicator} {json.dumps(before, default=str)} -> {json.dumps(ind, default=str)}; version {v.n} recorded\n"


def run_log(profile: Path) -> str:
    log = versions.read_log(profile)
    if not log:
        return f"{display_path(profile)}: no versions recorded (riskcheck has not written it)\n"
    current = versions.sha256_text(profile.read_text(encoding="utf-8"))
    out = [f"{display_path(profile)}: {len(log)} versions, hash chain intact"]
    for v in log:
        out.append(f"  v{v.n} {v.at} {v.kind:<8} by {v.by}: {v.why} (sha256 {v.sha256[:12]})")
        for c in v.changes:
            b = c["before"].get("value") if isinstance(c.get("before"), dict) else None
            a = c["after"].get("value") if isinstance(c.get("after"), dict) else None
            out.append(f"      {c['indicator']}: {b!r} -> {a!r}")
    if log[-1].sha256 != current:
        out.append(
            "  the file has changed since the last version (edited outside riskcheck): it is recorded at the next write"
        )
    return "\n".join(out) + "\n"


# --- the command ------------------------------------------------------------------------------


def run_reassess(args: Any) -> tuple[str, int]:
    """``riskcheck reassess``: the history database and, given one, a register; text or JSON."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from ..history import History, default_url

    url = args.db or default_url()
    try:
        make_url(url)
    except ArgumentError:
        raise UsageError(f"not a database URL: {url!r}") from None
    if url.startswith("sqlite") and "///" in url and not Path(url.split("///", 1)[1]).expanduser().is_file():
        if args.register is None:
            raise UsageError(f"no history database at {url.split('///', 1)[1]}")
        store = None
    else:
        store = History(url, create=False)
    report = Report()
    try:
        if store is not None:
            if not store.has_tables():
                raise UsageError(f"{url} holds no riskcheck tables")
            report = reassess_history(store, since=args.since, profiles_dir=args.profiles)
    except SQLAlchemyError as e:
        raise UsageError(f"cannot read the history database: {e.__class__.__name__}") from None
    finally:
        if store is not None:
            store.dispose()
    if args.register is not None:
        reg = reassess_register(args.register, rules=args.rules, profiles_dir=args.profiles, since=args.since)
        report.checked += reg.checked
        report.evidence_changed += reg.evidence_changed
        report.changes += reg.changes
        report.problems += reg.problems
    text = report.as_json() if args.format == "json" else report.text()
    return text, len(report.changes)
