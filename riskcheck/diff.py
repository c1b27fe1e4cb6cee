"""Compare two rule sets: what changed in them, and which scenarios change outcome and why.

The semantic diff walks elements by id (criteria, factors inside them, prohibitions,
presumptions, escalations, mitigations) and the policy, so a moved block is not a change
and a changed weight is one line. The replay assesses every scenario under both rule
sets and, where the decision or refusal codes differ, shows the trace lines that differ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .explain import num
from .explain.words import DECISION_WORDS
from .loader import LoadedRules, load_scenario
from .pipeline import assess
from .text_safety import visible
from .trace import Assessment, to_plain

SECTIONS = ("prohibitions", "presumptions", "escalations", "criteria", "mitigations", "rejected_arguments")


@dataclass(frozen=True)
class RuleChange:
    change: str  # added | removed | changed
    where: str  # e.g. "criteria/c7-diversion/factors/channel"
    detail: str


@dataclass(frozen=True)
class ScenarioChange:
    path: str
    scenario_id: str
    old_decision: str
    new_decision: str
    old_codes: tuple[str, ...]
    new_codes: tuple[str, ...]
    why: tuple[str, ...]


@dataclass
class DiffReport:
    old: str
    new: str
    rule_changes: list[RuleChange]
    scenario_changes: list[ScenarioChange]
    unchanged: int
    errors: list[str] = field(default_factory=list)


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to leaves: ``table[2].score``. Lists of scalars (citations) stay whole."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        for i, v in enumerate(value):
            out.update(_flat(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def _keyed(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {str(item[key]): item for item in items}


def _compare(where: str, old: dict[str, Any], new: dict[str, Any], out: list[RuleChange]) -> None:
    fo, fn = _flat(old), _flat(new)
    for path in sorted(set(fo) | set(fn)):
        a, b = fo.get(path), fn.get(path)
        if a == b:
            continue
        if isinstance(a, list) and isinstance(b, list) and all(isinstance(x, str) for x in a + b):
            what = "citation" if path.endswith("cite") else path
            for c in [x for x in b if x not in a]:
                out.append(RuleChange("changed", where, f"{what} added: {c}"))
            for c in [x for x in a if x not in b]:
                out.append(RuleChange("changed", where, f"{what} removed: {c}"))
            continue
        out.append(RuleChange("changed", where, f"{path}: {_show(a)} -> {_show(b)}"))


def _show(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return str(v).strip()


def semantic_diff(old: LoadedRules, new: LoadedRules) -> list[RuleChange]:
    a = old.model.model_dump(mode="json", by_alias=True, exclude_none=True)
    b = new.model.model_dump(mode="json", by_alias=True, exclude_none=True)
    out: list[RuleChange] = []
    meta = {k: v for k, v in a.items() if k not in (*SECTIONS, "sources", "policy")}
    meta_new = {k: v for k, v in b.items() if k not in (*SECTIONS, "sources", "policy")}
    _compare("rule set", meta, meta_new, out)
    _compare("policy", a["policy"], b["policy"], out)
    for sid in sorted(set(a["sources"]) | set(b["sources"])):
        where = f"sources/{sid}"
        if sid not in b["sources"]:
            out.append(RuleChange("removed", where, a["sources"][sid]["title"]))
        elif sid not in a["sources"]:
            out.append(RuleChange("added", where, b["sources"][sid]["title"]))
        else:
            _compare(where, a["sources"][sid], b["sources"][sid], out)
    for section in SECTIONS:
        key = "argument" if section == "rejected_arguments" else "id"
        old_items, new_items = _keyed(a.get(section, []), key), _keyed(b.get(section, []), key)
        for ident in sorted(set(old_items) | set(new_items)):
            where = f"{section}/{ident}"
            if ident not in new_items:
                out.append(RuleChange("removed", where, old_items[ident].get("title", ident)))
            elif ident not in old_items:
                out.append(RuleChange("added", where, new_items[ident].get("title", ident)))
            elif section == "criteria":
                _criterion(where, old_items[ident], new_items[ident], out)
            else:
                _compare(where, old_items[ident], new_items[ident], out)
    return out


def _criterion(where: str, old: dict[str, Any], new: dict[str, Any], out: list[RuleChange]) -> None:
    _compare(
        where,
        {k: v for k, v in old.items() if k != "factors"},
        {k: v for k, v in new.items() if k != "factors"},
        out,
    )
    fo, fn = _keyed(old["factors"], "id"), _keyed(new["factors"], "id")
    for fid in sorted(set(fo) | set(fn)):
        fwhere = f"{where}/factors/{fid}"
        if fid not in fn:
            out.append(RuleChange("removed", fwhere, fo[fid]["title"]))
        elif fid not in fo:
            out.append(RuleChange("added", fwhere, fn[fid]["title"]))
        else:
            _compare(fwhere, fo[fid], fn[fid], out)


def trace_lines(a: Assessment) -> list[str]:
    """The lines of a trace that decide the outcome, comparable across rule sets."""
    lines = [f"decision: {a.decision}"]
    lines += [f"reason [{r.outcome}] {r.rule_id}: {r.text}" for r in a.reasons]
    lines += [f"criterion {c.id}: residual {num(c.residual)} ({c.level})" for c in a.criteria]
    for p in a.presumptions:
        state = "" if p.applies == "does_not_apply" else (", rebutted" if p.rebutted else ", not rebutted")
        lines.append(f"presumption {p.id}: {p.applies.replace('_', ' ')}{state}")
    return lines


def replay(
    old: LoadedRules, new: LoadedRules, scenarios: list[Path]
) -> tuple[list[ScenarioChange], int, list[str]]:
    changes: list[ScenarioChange] = []
    unchanged = 0
    errors: list[str] = []
    for path in scenarios:
        try:
            s = load_scenario(path)
        except InputError as e:
            errors += [str(d) for d in e.diagnostics]
            continue
        a, b = assess(old, s), assess(new, s)
        if a.decision == b.decision and a.refusal_codes == b.refusal_codes:
            unchanged += 1
            continue
        la, lb = trace_lines(a), trace_lines(b)
        why = tuple([f"- {x}" for x in la if x not in lb] + [f"+ {x}" for x in lb if x not in la])
        changes.append(
            ScenarioChange(s.path, s.model.id, a.decision, b.decision, a.refusal_codes, b.refusal_codes, why)
        )
    return changes, unchanged, errors


def diff(old: LoadedRules, new: LoadedRules, scenarios: list[Path]) -> DiffReport:
    changes, unchanged, errors = replay(old, new, scenarios)
    return DiffReport(
        f"{old.model.id} {old.model.version} ({old.path})",
        f"{new.model.id} {new.model.version} ({new.path})",
        semantic_diff(old, new),
        changes,
        unchanged,
        errors,
    )


def as_markdown(r: DiffReport) -> str:
    out = [f"# Rule-set diff: {r.old} -> {r.new}", ""]
    out += ["## What changed in the rules", ""]
    if not r.rule_changes:
        out.append("No semantic change.")
    for c in r.rule_changes:
        out.append(f"- **{c.change}** `{c.where}`: {c.detail}")
    out += [
        "",
        f"## Scenarios whose outcome changes ({len(r.scenario_changes)} changed, {r.unchanged} unchanged)",
        "",
    ]
    if not r.scenario_changes:
        out.append("None.")
    for s in r.scenario_changes:
        codes = ""
        if s.old_codes != s.new_codes:
            codes = (
                f"; refusal codes {', '.join(s.old_codes) or 'none'} -> {', '.join(s.new_codes) or 'none'}"
            )
        out.append(
            f"### `{s.path}` ({s.scenario_id}): {DECISION_WORDS[s.old_decision]} -> "
            f"{DECISION_WORDS[s.new_decision]}{codes}"
        )
        out += ["", "```diff", *s.why, "```", ""]
    if r.errors:
        out += ["## Scenarios that could not be read", ""] + [f"- {e}" for e in r.errors]
    return visible("\n".join(out).rstrip("\n") + "\n")


def as_json(r: DiffReport) -> str:
    return json.dumps(to_plain(r), indent=2, ensure_ascii=False) + "\n"
