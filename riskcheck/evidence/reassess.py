"""Re-assessment on new information (EU CP 2008/944 Art. 1(1a), 2019; ATT Art. 7(7)).

Every assessment recorded in the history database keeps the scenario it assessed and the text of
the recipient profile it used. When the profile has changed since (a new import, an officer's
edit), the assessment is replayed with the profile as it is now:

- under the rule set it was made with (found by its sha256: the rule file as it is, the texts kept
  in the history database's rule edits, or ``rules/.versions``): what the new information alone
  changes;
- under the rule set of that id as it is today: what the decision would be now.

Both replays are made as of the assessment's own date, so that only the evidence (and the rules)
differ. The replay scores all records at once with the array interpreter (``engine.arrays.evaluate`` over a
``FactTable``); the assessments whose decision changes are then assessed in full to show the factor
lines that changed and the new evidence's sources.

A licensing register (``--register``, the batch format) is replayed the same way: each licence
under the profile as it stood on its date (the profile's version log) and as it is now, under one
rule set (a register does not record the rules a licence was assessed with).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

from .. import kept_case
from ..engine import Plan, compile_plan
from ..engine.arrays import evaluate as evaluate_arrays
from ..engine.columns import FactTable
from ..engine.steps import transfer_decision
from ..errors import InputError, display_path
from ..explain.words import DECISION_WORDS
from ..facts import Facts, facts_for_lines, indicator_facts
from ..kept_case import Head
from ..loader import (
    LoadedRules,
    LoadedScenario,
    load_profile,
    load_rules,
    scenario_from_document,
    validate_rules_document,
)
from ..paths import rules_dir, rules_file_for, scenarios_dir
from ..pipeline import assess
from ..scenario_model import Profile
from ..trace import SEVERITY, Assessment, to_plain
from ..yamlfile import parse_text
from .cases import Kept, Prepared, Replay


@dataclass
class Change:
    """One recorded assessment (or licence) whose decision the new evidence changes."""

    ref: str  # "#12" for a history record, "APP-7 (row 9)" for a register row
    title: str
    recipient: str
    made: str  # when it was made (history) or the licence date (register)
    as_of: dt.date
    recorded: str  # the decision recorded (or, for a register, under the evidence then)
    then_rules: str | None  # with the new evidence, under the rules it was made with (None: not found)
    now: str  # with the new evidence, under today's rules
    direction: str  # stricter | more permissive
    lines: list[str] = field(default_factory=list)  # the factor lines that changed
    sources: list[str] = field(default_factory=list)  # the new evidence's sources
    notes: list[str] = field(default_factory=list)
    record_id: int | None = None
    assessment: Assessment | None = None  # the new full assessment (history records)


@dataclass
class Report:
    checked: int = 0  # assessments looked at
    evidence_changed: int = 0  # of which the profile changed since
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def text(self) -> str:
        out = [
            f"riskcheck reassess: {self.checked:,} assessments checked; the evidence of {self.evidence_changed:,} "
            f"changed since they were made; {len(self.changes):,} would now be decided differently"
        ]
        for c in self.changes:
            then = f"; under the rules it was made with: {c.then_rules}" if c.then_rules else ""
            out.append("")
            out.append(
                f"{c.ref} {c.title} ({c.recipient}, made {c.made}, as of {c.as_of}): {c.direction.upper()}"
            )
            out.append(f"  recorded {c.recorded} -> now {c.now}{then}")
            out += [f"  {x}" for x in c.lines]
            out += [f"  new evidence: {s}" for s in c.sources]
            out += [f"  note: {n}" for n in c.notes]
        for p in self.problems:
            out.append(f"problem: {p}")
        return "\n".join(out) + "\n"

    def as_json(self) -> str:
        data = {
            "checked": self.checked,
            "evidence_changed": self.evidence_changed,
            "changes": [
                to_plain({k: v for k, v in c.__dict__.items() if k != "assessment"}) for c in self.changes
            ],
            "problems": self.problems,
        }
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def direction(before: str, after: str) -> str | None:
    if SEVERITY[after] > SEVERITY[before]:
        return "stricter"
    if SEVERITY[after] < SEVERITY[before]:
        return "more permissive"
    return None


# --- profiles and rules as they are now, and as they were -------------------------------------


class Profiles:
    """The profiles of a folder by id, as they are now (text sha256 and path)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.by_id: dict[str, tuple[Path, str]] = {}
        for p in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            try:
                model, doc = load_profile(p)
            except InputError:
                continue
            self.by_id.setdefault(model.id, (p, hashlib.sha256(doc.text.encode("utf-8")).hexdigest()))


class RuleTexts:
    """Rule sets by sha256: the file today, the texts kept in the history's rule edits, .versions."""

    def __init__(self, store: Any | None):
        self.store = store
        self.cache: dict[str, LoadedRules | None] = {}

    def current(self, rule_set_id: str) -> LoadedRules | None:
        key = f"id:{rule_set_id}"
        if key not in self.cache:
            path = rules_file_for(rule_set_id)
            self.cache[key] = load_rules(path) if path.is_file() else None
        return self.cache[key]

    def by_sha(self, rule_set_id: str, sha: str) -> LoadedRules | None:
        if sha in self.cache:
            return self.cache[sha]
        found = None
        cur = self.current(rule_set_id)
        if cur is not None and cur.sha256 == sha:
            found = cur
        else:
            for text in self._texts(rule_set_id):
                if hashlib.sha256(text.encode("utf-8")).hexdigest() == sha:
                    doc = parse_text(text, f"{rule_set_id}@{sha[:12]}")
                    found = validate_rules_document(doc, rules_dir())
                    break
        self.cache[sha] = found
        return found

    def _texts(self, rule_set_id: str) -> list[str]:
        out: list[str] = []
        if self.store is not None and self.store.has_tables():
            for e in self.store.rule_edits(limit=100_000):
                if e.rule_set_id == rule_set_id:
                    out += [t for t in (e.text_before, e.text_after) if t]
        folder = rules_dir() / ".versions"
        for bak in sorted(folder.glob(f"{rule_set_id}.yaml.*.bak")) if folder.is_dir() else []:
            out.append(bak.read_text(encoding="utf-8"))
        return out


# --- history ---------------------------------------------------------------------------------


def _profile_id(profile_yaml: str) -> str | None:
    import yaml

    try:
        data = yaml.safe_load(profile_yaml)
    except yaml.YAMLError:
        return None
    return data.get("id") if isinstance(data, dict) else None


def _scenario_now(scenario_yaml: str, ref: str, profile_path: Path) -> LoadedScenario:
    """The recorded scenario with its profile as it is now (found by id in the profiles folder)."""
    doc = parse_text(scenario_yaml, ref)
    doc.data.setdefault("evidence", {})["profile"] = str(profile_path.resolve())
    return scenario_from_document(doc, scenarios_dir(), profile_root=profile_path.resolve().parent)


def factor_lines(
    old: dict[str, Any], new: Any, memo: dict[Any, Any] | None = None
) -> tuple[list[str], list[str]]:
    """Per criterion that changed, its level and the factor lines whose evidence or score changed;
    and the new evidence's sources (each once). ``new``: an assessment, or what has its criteria.
    ``memo``: criteria already compared (the same recorded criterion against the same one now)."""
    old_c = {c["id"]: c for c in old.get("criteria", [])}
    lines: list[str] = []
    sources: list[str] = []
    for c in new.criteria:
        oc = old_c.get(c.id, {})
        found: Any
        if memo is None:
            found = _criterion_lines(oc, c)
        else:
            key = (id(oc), id(c))
            found = memo.get(key)
            if found is None:
                found = memo[key] = (*_criterion_lines(oc, c), oc, c)  # keeps both alive: ids stay theirs
        lines += found[0]
        sources += [s for s in found[1] if s not in sources]
    return lines, sources


def _criterion_lines(oc: dict[str, Any], c: Any) -> tuple[list[str], list[str]]:
    old_f = {f["id"]: f for f in oc.get("factors", [])}
    changed = []
    sources: list[str] = []
    for f in c.factors:
        of = old_f.get(f.id)
        ov = of["evidence"]["value"] if of else None
        nv = to_plain(f.evidence.value)
        if of is not None and ov == nv and round(of["score"], 4) == round(f.score, 4):
            continue
        before = f"{of['score']}" if of else "n/a"
        changed.append(
            f"  {f.title} [{f.evidence.field}]: {ov!r} -> {nv!r} (score {before} -> {round(f.score, 4)})"
        )
        if f.evidence.source:
            src = f"{f.evidence.field}: {f.evidence.source}" + (
                f" (as of {f.evidence.as_of})" if f.evidence.as_of else ""
            )
            if src not in sources:
                sources.append(src)
    if changed or oc.get("level") != c.level:
        head = (
            f"{c.refusal_code} {c.title}: {oc.get('level')} -> {c.level} "
            f"(residual {oc.get('residual')} -> {round(c.residual, 4)})"
        )
        return [head, *changed], sources
    return [], sources


def reassess_history(
    store: Any,
    *,
    since: dt.date | None = None,
    profiles_dir: Path | None = None,
    full_detail: bool = True,
) -> Report:
    """Replay every recorded assessment whose profile changed since it was made: those that keep
    their case (``kept_case``) from it, at once (``evidence.cases``); older ones from their
    scenario text."""
    with _no_cycle_collection():
        return _reassess_history(store, since, profiles_dir, full_detail)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The replay makes millions of small objects that hold no cycles (rows, tuples, facts), which
    the cyclic collector would scan again and again: a third of the time, measured on 100,000
    records. Reference counting frees them; the collector runs again afterwards as before."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _reassess_history(
    store: Any, since: dt.date | None, profiles_dir: Path | None, full_detail: bool
) -> Report:
    import time

    from sqlalchemy import String, or_, select, type_coerce

    from ..history import assessments as table

    started = time.perf_counter()
    report = Report()
    profiles = Profiles(profiles_dir or scenarios_dir() / "profiles")
    rules = RuleTexts(store)
    # Only what deciding reads, per row: the date as its text (parsed once per distinct date), the
    # kept case; the rest is read for the records that change (``_replay_kept``) or keep no case.
    q = (
        select(
            table.c.id,
            type_coerce(table.c.as_of, String).label("as_of"),
            table.c.decision,
            table.c.rule_set_id,
            table.c.rules_sha256,
            table.c.facts_json,
            table.c.profile_yaml.is_not(None).label("has_profile"),
        )
        .where(or_(table.c.profile_yaml.is_not(None), table.c.facts_json.is_not(None)))
        .order_by(table.c.id)
    )
    if since is not None:
        q = q.where(table.c.created_at >= dt.datetime.combine(since, dt.time()))
    heads: dict[str, Head] = {}  # one per distinct text
    lines: dict[str, tuple[kept_case.Line, ...]] = {}
    days: dict[Any, dt.date] = {}
    kept: list[Kept] = []
    old_ids: list[int] = []
    with store.engine.connect() as conn:
        for r in conn.execute(q):
            day = days.get(r.as_of)
            if day is None:
                day = days[r.as_of] = dt.date.fromisoformat(r.as_of) if isinstance(r.as_of, str) else r.as_of
            k = _kept(Brief(r.id, day, r.decision, r.rule_set_id, r.rules_sha256), r.facts_json, heads, lines)
            if k is None:
                if r.has_profile:
                    old_ids.append(r.id)
            elif k.head.profile_id is not None:  # without a shared profile nothing changes
                kept.append(k)
        old = _rows(conn, old_ids, _COLUMNS(table))
    report.checked = len(kept) + len(old)
    changes = _replay_kept(store, kept, profiles, rules, report, full_detail)
    changes += _replay_texts(store, old, profiles, rules, report, full_detail)
    report.changes = sorted(changes, key=lambda c: (c.direction != "stricter", c.record_id or 0))
    report.seconds = time.perf_counter() - started
    return report


def _COLUMNS(table: Any) -> list[Any]:  # noqa: N802 - the columns both replays read
    return [
        table.c.id,
        table.c.created_at,
        table.c.title,
        table.c.recipient,
        table.c.decision,
        table.c.rule_set_id,
        table.c.rules_sha256,
        table.c.as_of,
        table.c.provenance_json,
    ]


class Brief(NamedTuple):
    """What deciding a kept case reads of its record."""

    id: int
    as_of: dt.date
    decision: str
    rule_set_id: str
    rules_sha256: str


def _rows(conn: Any, ids: Sequence[int], columns: Sequence[Any]) -> list[Any]:
    """Some columns of some records, in id order, read 500 at a time."""
    from sqlalchemy import select

    from ..history import assessments as table

    out: list[Any] = []
    for chunk in range(0, len(ids), 500):
        part = list(ids[chunk : chunk + 500])
        out += conn.execute(select(*columns).where(table.c.id.in_(part)).order_by(table.c.id)).all()
    return out


def _kept(
    r: Brief, facts_json: str | None, heads: dict[str, Head], lines: dict[str, tuple[kept_case.Line, ...]]
) -> Kept | None:
    """The record's kept case, or None: none kept, or one of another format (replayed from its text)."""
    if facts_json is None:
        return None
    head_text, lines_text = kept_case.split(facts_json)
    head = heads.get(head_text)
    if head is None:
        head = heads[head_text] = Head(head_text)
    if head.format != kept_case.FORMAT:
        return None
    found = lines.get(lines_text)
    if found is None:
        found = lines[lines_text] = kept_case.lines_of(lines_text)
    return Kept(r, head, found)


def _change(
    r: Any, now: str, then: str | None, then_rules: LoadedRules | None, today_rules: LoadedRules
) -> Change | None:
    way = direction(r.decision, now) or (direction(r.decision, then) if then else None)
    if way is None:
        return None
    ch = Change(
        f"#{r.id}",
        r.title,
        r.recipient,
        f"{r.created_at:%Y-%m-%d %H:%M} UTC",
        r.as_of,
        r.decision,
        then,
        now,
        way,
        record_id=r.id,
    )
    if then_rules is None:
        ch.notes.append(
            f"the rule set it was made with (sha256 {r.rules_sha256[:12]}) is not kept: replayed under today's only"
        )
    elif then_rules is not today_rules:
        ch.notes.append(
            f"the rule set changed since (sha256 {r.rules_sha256[:12]} -> {today_rules.sha256[:12]})"
        )
    return ch


def _details(store: Any, ids: Sequence[int]) -> dict[int, Any]:
    """What a change shows of some records (``_COLUMNS``) and their recorded results, by id."""
    from ..history import assessments as table

    with store.engine.connect() as conn:
        return {r.id: r for r in _rows(conn, ids, [*_COLUMNS(table), table.c.result_json])}


def _replay_kept(
    store: Any,
    kept: list[Kept],
    profiles: Profiles,
    rules: RuleTexts,
    report: Report,
    full_detail: bool,
) -> list[Change]:
    """The records that keep their case: one evaluation of every line per rule set."""
    now_profiles: dict[str, tuple[Profile, Facts]] = {}
    prepared: dict[Head, Prepared | None] = {}
    groups: dict[tuple[str, str], list[Kept]] = {}
    for k in kept:
        head = k.head
        pid = head.profile_id or ""
        current = profiles.by_id.get(pid)
        if current is None:
            report.problems.append(
                f"#{k.row.id}: its profile {pid!r} is no longer in {display_path(profiles.folder)}"
            )
            continue
        if current[1] == head.profile_sha256:
            continue
        report.evidence_changed += 1
        if k.head not in prepared:
            if pid not in now_profiles:
                model, doc = load_profile(current[0])
                now_profiles[pid] = (
                    model,
                    indicator_facts(model.indicators, doc, ("indicators",), "profile"),
                )
            model, facts = now_profiles[pid]
            ok = model.country == head.recipient.country
            prepared[k.head] = Prepared(head, model, facts) if ok else None
        if prepared[k.head] is None:
            report.problems.append(
                f"#{k.row.id}: cannot be replayed: profile {pid!r} describes {now_profiles[pid][0].country}, "
                f"but the recipient is {head.recipient.country}"
            )
            continue
        groups.setdefault((k.row.rule_set_id, k.row.rules_sha256), []).append(k)
    ready = {key: p for key, p in prepared.items() if p is not None}
    decided: list[tuple[Kept, str, str | None, LoadedRules | None, LoadedRules, Replay, int]] = []
    for (rule_set_id, sha), members in groups.items():
        found = _rules_then_and_now(rules, report, rule_set_id, sha, len(members))
        if found is None:
            continue
        today_rules, then_rules = found
        today = Replay(today_rules, members, ready)
        then = (
            today if then_rules is today_rules else Replay(then_rules, members, ready) if then_rules else None
        )
        for i, m in enumerate(members):
            now, was = today.decisions[i], then.decisions[i] if then else None
            if now != m.row.decision or (was is not None and was != m.row.decision):
                decided.append((m, now, was, then_rules, today_rules, today, i))
    details = _details(store, [m.row.id for m, *_ in decided])
    changes: list[tuple[Change, Replay, int]] = []
    for m, now, was, then_rules, today_rules, replay, i in decided:
        ch = _change(details[m.row.id], now, was, then_rules, today_rules)
        if ch is not None:
            changes.append((ch, replay, i))
    if full_detail:
        recorded = {rid: r.result_json for rid, r in details.items()}
        # equal recorded results are read once, and a recorded criterion is compared once with
        # each criterion now (lines that differ in quantity alone share most of them)
        results: dict[str, dict[str, Any]] = {}
        memo: dict[Any, Any] = {}
        for ch, replay, i in changes:
            text = recorded[ch.record_id or 0]
            old = results.get(text)
            if old is None:
                old = results[text] = json.loads(text)
            ch.lines, ch.sources = factor_lines(old, SimpleNamespace(criteria=replay.criteria(i)), memo)
    return [ch for ch, _, _ in changes]


def _replay_texts(
    store: Any, rows: list[Any], profiles: Profiles, rules: RuleTexts, report: Report, full_detail: bool
) -> list[Change]:
    """The records that keep no case (recorded before it was kept): each scenario read again from
    its text with the profile as it is now."""
    from sqlalchemy import select

    from ..history import assessments as table

    with store.engine.connect() as conn:
        # The profile each record used: its id and sha256 (the provenance has the sha256 since the
        # profile version was recorded; older rows are hashed here). One text per distinct version.
        ids: dict[str, str | None] = {}
        record_sha: dict[int, str] = {}
        need_text: list[int] = []
        for r in rows:
            sha = json.loads(r.provenance_json).get("profile_sha256")
            if sha:
                record_sha[r.id] = sha
            else:
                need_text.append(r.id)
        for chunk in range(0, len(need_text), 500):
            part = need_text[chunk : chunk + 500]
            for rid, text in conn.execute(
                select(table.c.id, table.c.profile_yaml).where(table.c.id.in_(part))
            ):
                sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
                record_sha[rid] = sha
                if sha not in ids:
                    ids[sha] = _profile_id(text)
        for sha in set(record_sha.values()) - set(ids):
            rid = next(k for k, v in record_sha.items() if v == sha)
            text = conn.execute(select(table.c.profile_yaml).where(table.c.id == rid)).scalar_one()
            ids[sha] = _profile_id(text)
        changed = []
        for r in rows:
            pid = ids.get(record_sha[r.id])
            now = profiles.by_id.get(pid) if pid else None
            if now is None:
                report.problems.append(
                    f"#{r.id}: its profile {pid!r} is no longer in {display_path(profiles.folder)}"
                )
                continue
            if now[1] != record_sha[r.id]:
                changed.append((r, now[0]))
        report.evidence_changed += len(changed)
        texts = {}
        for chunk in range(0, len(changed), 500):
            part = [r.id for r, _ in changed[chunk : chunk + 500]]
            for rid, stext, rjson in conn.execute(
                select(table.c.id, table.c.scenario_yaml, table.c.result_json).where(table.c.id.in_(part))
            ):
                texts[rid] = (stext, rjson)
    # Group by rule set (then and now), score every group at once.
    groups: dict[tuple[str, str], list[tuple[Any, LoadedScenario]]] = {}
    parsed: dict[tuple[str, Path], LoadedScenario] = {}  # the same case recorded again is read once
    for r, ppath in changed:
        key = (texts[r.id][0], ppath)
        try:
            s = parsed.get(key) or parsed.setdefault(key, _scenario_now(key[0], f"history#{r.id}", ppath))
        except InputError as e:
            report.problems.append(f"#{r.id}: cannot be replayed: {e.diagnostics[0]}")
            continue
        groups.setdefault((r.rule_set_id, r.rules_sha256), []).append((r, s))
    changes: list[Change] = []
    for (rule_set_id, sha), members in groups.items():
        found = _rules_then_and_now(rules, report, rule_set_id, sha, len(members))
        if found is None:
            continue
        today_rules, then_rules = found
        now_dec = _decisions(
            compile_plan(today_rules), today_rules, [m[1] for m in members], [m[0].as_of for m in members]
        )
        then_dec = (
            now_dec
            if then_rules is today_rules
            else _decisions(
                compile_plan(then_rules), then_rules, [m[1] for m in members], [m[0].as_of for m in members]
            )
            if then_rules is not None
            else [None] * len(members)
        )
        for (r, s), dn, dt_ in zip(members, now_dec, then_dec, strict=True):
            ch = _change(r, dn, dt_, then_rules, today_rules)
            if ch is None:
                continue
            if full_detail:
                a = assess(today_rules, s, r.as_of)
                ch.assessment = a
                ch.lines, ch.sources = factor_lines(json.loads(texts[r.id][1]), a)
            changes.append(ch)
    return changes


def assessment_now(record: Any, profiles_dir: Path | None = None) -> Assessment | None:
    """A recorded assessment made again in full with its profile as it is now and today's rules
    (what the Re-assessment page shows beside the original); None when it cannot be."""
    profiles = Profiles(profiles_dir or scenarios_dir() / "profiles")
    pid = _profile_id(record.profile_yaml) if record.profile_yaml else None
    now = profiles.by_id.get(pid) if pid else None
    today_rules = RuleTexts(None).current(record.rule_set_id)
    if now is None or today_rules is None:
        return None
    try:
        s = _scenario_now(record.scenario_yaml, f"history#{record.id}", now[0])
    except InputError:
        return None
    return assess(today_rules, s, record.as_of)


def _decisions(
    cr: Plan, rules: LoadedRules, scenarios: Sequence[LoadedScenario], days: Sequence[dt.date]
) -> list[str]:
    # Every item line is scored (a licence is decided line by line); each case takes its most
    # severe line's decision, as assess() does.
    lines = [facts_for_lines(s, d, rules) for s, d in zip(scenarios, days, strict=True)]
    table = FactTable.from_facts(
        [f for case in lines for f in case], [d for case, d in zip(lines, days, strict=True) for _ in case]
    )
    decided = [str(x) for x in evaluate_arrays(cr, table).decisions()]
    out, at = [], 0
    for case in lines:
        out.append(transfer_decision(decided[at : at + len(case)])[0])
        at += len(case)
    return out


def words(decision: str | None) -> str:
    return DECISION_WORDS.get(decision or "", decision or "not replayed")


def _rules_then_and_now(
    rules: Any, report: Any, rule_set_id: str, sha: str, n: int
) -> tuple[Any, Any] | None:
    """The rule set of that id as it is today and as it was (by sha256; None when not found); None,
    with a problem reported, when the rule set no longer exists."""
    today_rules = rules.current(rule_set_id)
    if today_rules is None:
        report.problems.append(f"rule set {rule_set_id!r} no longer exists: {n} assessments not replayed")
        return None
    return today_rules, rules.by_sha(rule_set_id, sha)
