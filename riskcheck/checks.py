"""Semantic checks on a schema-valid rule set: all problems at once, sorted.

RC301 duplicate id                      RC310 mitigation of a non-mitigable criterion
RC302 unresolved reference              RC311 missing evidence treated as good news
RC303 thresholds missing or unordered   RC312 unknown placeholder in an explanation
RC304 threshold unreachable             RC313 effective dates out of order
RC305 unknown input field               RC314 operator or value does not fit the field
RC306 unknown citation source           RC315 risk labels out of order
RC307 score bands gapped/overlapping    RC316 score range empty
RC308 score table incomplete/invalid    RC317 'deny' escalation without a refusal code
RC309 scoring does not fit the field   RC318 reference data file missing
RC319 a factor outranked by its own input or by a field that is not the unit's or the item line's
RC322 more open choices (outranked_by, applies_when) in one criterion than every reading can be tried for

Warnings (lint; `riskcheck check --strict` fails on them):
RC320 a score band no value of its field can fall in
RC321 a criterion whose factors can never reach one of its thresholds
RC323 a rule set with embargo reference data that does not read national embargoes or suspensions
RC330 embargo reference data: entries for one state and authority overlapping in time (contradictory
      scopes, or a duplicate)
RC331 embargo reference data: a derogation for items the embargo does not cover
RC332 embargo reference data: an entry marked M (not verified) that says nothing in 'uncertain'
RC501 a criterion that no scenario brings to its conditions threshold (with --scenarios)
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from typing import Any

from .conditions import LIST_OPS, OPS_FOR_KIND, walk_compares
from .errors import Diagnostic, suggest
from .facts import FIELDS
from .loaded import LoadedRules
from .rules_model import MAX_OPEN_CHOICES

# More specific evidence that may outrank a general record: the unit's own, the item line's.
OUTRANKING = ("unit.", "item.")
PLACEHOLDERS = {"value", "score", "source", "as_of", "confidence", "weight"}
KINDS = ("clear_risk", "overriding_risk", "consider")


def _suggest(word: str, choices: Iterable[str]) -> str:
    return suggest(word, list(choices))


def check_rules(lr: LoadedRules) -> list[Diagnostic]:
    rs = lr.model
    out: list[Diagnostic] = []

    def err(loc: tuple[Any, ...], code: str, msg: str, severity: str = "error") -> None:
        out.append(Diagnostic(lr.line_of(*loc), code, msg, severity))

    def warn(loc: tuple[Any, ...], code: str, msg: str) -> None:
        err(loc, code, msg, "warning")

    pol = rs.policy
    if pol.score_min >= pol.score_max:
        err(("policy", "score_max"), "RC316", "score_max must be greater than score_min")
    if rs.effective_to is not None and rs.effective_to < rs.effective_from:
        err(
            ("effective_to",),
            "RC313",
            f"effective_to {rs.effective_to} is before effective_from {rs.effective_from}",
        )
    labels = [lab.from_ for lab in pol.labels]
    if labels != sorted(labels) or len(set(labels)) != len(labels) or labels[0] != pol.score_min:
        err(("policy", "labels"), "RC315", "risk labels must start at score_min and ascend strictly")

    # Ids: unique across the rule set's elements, because reasons refer to them by id.
    seen: dict[str, tuple[Any, ...]] = {}
    elements: list[tuple[str, Sequence[Any]]] = [
        ("prohibitions", rs.prohibitions),
        ("presumptions", rs.presumptions),
        ("escalations", rs.escalations),
        ("criteria", rs.criteria),
        ("mitigations", rs.mitigations),
    ]
    for section, items in elements:
        for i, item in enumerate(items):
            if item.id in seen:
                first = lr.line_of(*seen[item.id])
                err(
                    (section, i, "id"),
                    "RC301",
                    f"duplicate id {item.id!r} (first used at line {first.line})",
                )
            else:
                seen[item.id] = (section, i, "id")
    for ci, c in enumerate(rs.criteria):
        fids: set[str] = set()
        for fi, f in enumerate(c.factors):
            if f.id in fids:
                err(
                    ("criteria", ci, "factors", fi, "id"),
                    "RC301",
                    f"duplicate factor id {f.id!r} in {c.id!r}",
                )
            fids.add(f.id)
    for pi, p in enumerate(rs.presumptions):
        rids: set[str] = set()
        for ri, r in enumerate(p.rebuttal):
            if r.id in rids:
                err(
                    ("presumptions", pi, "rebuttal", ri, "id"),
                    "RC301",
                    f"duplicate rebuttal id {r.id!r}",
                )
            rids.add(r.id)

    for section, items in elements:
        for i, item in enumerate(items):
            if item.effective_from and item.effective_to and item.effective_to < item.effective_from:
                err(
                    (section, i, "effective_to"),
                    "RC313",
                    f"{item.id}: effective_to {item.effective_to} is before effective_from {item.effective_from}",
                )

    # Thresholds.
    for kind in KINDS:
        if kind not in pol.thresholds:
            err(("policy", "thresholds"), "RC303", f"no thresholds declared for kind {kind!r}")
    for kind, th in pol.thresholds.items():
        _check_thresholds(th, kind, ("policy", "thresholds", kind), pol, err)
    for ci, c in enumerate(rs.criteria):
        if c.thresholds is not None:
            _check_thresholds(c.thresholds, c.kind, ("criteria", ci, "thresholds"), pol, err)

    # Citations.
    def cites(items: list[str], loc: tuple[Any, ...]) -> None:
        for k, cite in enumerate(items):
            src = cite.split(" ", 1)[0]
            if src not in rs.sources:
                err(
                    (*loc, k),
                    "RC306",
                    f"citation source {src!r} is not declared under 'sources'{_suggest(src, rs.sources)}",
                )

    for section, items in elements:
        for i, item in enumerate(items):
            cites(item.cite, (section, i, "cite"))
    for ci, c in enumerate(rs.criteria):
        for fi, f in enumerate(c.factors):
            cites(f.cite, ("criteria", ci, "factors", fi, "cite"))
    for pi, p in enumerate(rs.presumptions):
        for ri, r in enumerate(p.rebuttal):
            cites(r.cite, ("presumptions", pi, "rebuttal", ri, "cite"))
    answered: set[str] = set()
    for ai, ra in enumerate(rs.rejected_arguments):
        cites(ra.cite, ("rejected_arguments", ai, "cite"))
        if ra.argument in answered:
            err(
                ("rejected_arguments", ai, "argument"), "RC301", f"argument {ra.argument!r} is answered twice"
            )
        answered.add(ra.argument)

    # Conditions.
    conds: list[tuple[Any, tuple[Any, ...]]] = []
    for i, pr in enumerate(rs.prohibitions):
        conds.append((pr.when, ("prohibitions", i, "when")))
    for i, p in enumerate(rs.presumptions):
        conds.append((p.applies_when, ("presumptions", i, "applies_when")))
        for ri, r in enumerate(p.rebuttal):
            conds.append((r.when, ("presumptions", i, "rebuttal", ri, "when")))
    for i, e in enumerate(rs.escalations):
        conds.append((e.when, ("escalations", i, "when")))
        if e.outcome == "deny" and e.refusal_code is None:
            err(
                ("escalations", i, "outcome"),
                "RC317",
                "an escalation to 'deny' needs a refusal_code",
            )
    for i, m in enumerate(rs.mitigations):
        if m.requires is not None:
            conds.append((m.requires, ("mitigations", i, "requires")))
    for ci, c in enumerate(rs.criteria):
        for fi, f in enumerate(c.factors):
            if f.applies_when is not None:
                conds.append((f.applies_when, ("criteria", ci, "factors", fi, "applies_when")))
    read: set[str] = set()
    for cond, loc in conds:
        for cmp, sub in walk_compares(cond, loc):
            _check_compare(cmp, sub, err)
            read.add(cmp.field)
    read |= {f.input for c in rs.criteria for f in c.factors}
    if "embargoes" in rs.reference_data:
        _check_embargo_reading(read, warn)

    # Criteria and factors.
    crit_by_id = {c.id: c for c in rs.criteria}
    for ci, c in enumerate(rs.criteria):
        if not c.mitigable and c.max_mitigation > 0:
            err(
                ("criteria", ci, "max_mitigation"),
                "RC310",
                f"criterion {c.id!r} is not mitigable but allows mitigation of {c.max_mitigation}",
            )
        for fi, f in enumerate(c.factors):
            _check_factor(f, ("criteria", ci, "factors", fi), pol, err)
        choices = sum((f.outranked_by is not None) + (f.applies_when is not None) for f in c.factors)
        if choices > MAX_OPEN_CHOICES:
            err(
                ("criteria", ci, "factors"),
                "RC322",
                f"criterion {c.id!r} has {choices} outranked_by/applies_when choices; at most "
                f"{MAX_OPEN_CHOICES} (every reading of missing evidence is tried: 2**n readings)",
            )

    for ci, c in enumerate(rs.criteria):
        _check_reachable(c, ("criteria", ci), pol, warn)

    for mi, m in enumerate(rs.mitigations):
        for target in m.reduces:
            loc = ("mitigations", mi, "reduces", target)
            if target not in crit_by_id:
                err(
                    loc,
                    "RC302",
                    f"mitigation {m.id!r} reduces unknown criterion {target!r}{_suggest(target, crit_by_id)}",
                )
            elif not crit_by_id[target].mitigable:
                err(
                    loc,
                    "RC310",
                    f"mitigation {m.id!r} reduces criterion {target!r}, which is not mitigable",
                )
    return sorted(out)


def _check_thresholds(th: Any, kind: str, loc: tuple[Any, ...], pol: Any, err: Any) -> None:
    if kind == "consider" and th.deny is not None:
        err((*loc, "deny"), "RC303", "a 'consider' criterion never denies on its own: remove 'deny'")
    if kind != "consider" and th.deny is None:
        err(loc, "RC303", f"kind {kind!r} needs a 'deny' threshold")
    ladder = [("conditions", th.conditions), ("refer", th.refer)] + (
        [("deny", th.deny)] if th.deny is not None else []
    )
    for (a, va), (b, vb) in zip(ladder, ladder[1:], strict=False):
        if va > vb:
            err((*loc, b), "RC303", f"threshold {b!r} ({vb}) is below {a!r} ({va})")
    for name, value in ladder:
        if value > pol.score_max:
            err(
                (*loc, name),
                "RC304",
                f"threshold {name!r} ({value}) can never be reached: scores top out at {pol.score_max}",
            )
        elif value <= pol.score_min:
            err(
                (*loc, name),
                "RC304",
                f"threshold {name!r} ({value}) is met by every score (score_min is {pol.score_min})",
            )


def _check_compare(cmp: Any, loc: tuple[Any, ...], err: Any) -> None:
    spec = FIELDS.get(cmp.field)
    if spec is None:
        err(
            (*loc, "field"),
            "RC305",
            f"unknown input field {cmp.field!r}{_suggest(cmp.field, FIELDS)}",
        )
        return
    if cmp.op not in OPS_FOR_KIND[spec.kind]:
        err(
            (*loc, "op"),
            "RC314",
            f"operator {cmp.op!r} does not apply to {cmp.field} ({spec.kind}); use one of "
            f"{', '.join(sorted(OPS_FOR_KIND[spec.kind]))}",
        )
        return
    if cmp.op in ("known", "unknown"):
        if cmp.value is not None:
            err((*loc, "value"), "RC314", f"operator {cmp.op!r} takes no value")
        return
    values = cmp.value if isinstance(cmp.value, list) else [cmp.value]
    if cmp.op in LIST_OPS and not isinstance(cmp.value, list):
        err((*loc, "value"), "RC314", f"operator {cmp.op!r} needs a list value")
        return
    if cmp.op not in LIST_OPS and isinstance(cmp.value, list):
        err((*loc, "value"), "RC314", f"operator {cmp.op!r} needs a single value, not a list")
        return
    for x in values:
        problem = _value_problem(spec, x)
        if problem:
            err((*loc, "value"), "RC314", f"{cmp.field}: {problem}")


def _value_problem(spec: Any, x: Any) -> str | None:
    if x is None:
        return "a value is required"
    if spec.kind == "bool":
        return None if isinstance(x, bool) else f"{x!r} is not true/false"
    if spec.kind in ("enum", "set"):
        if x not in spec.values:
            return f"{x!r} is not a known value{_suggest(str(x), spec.values)}"
        return None
    if spec.kind in ("int", "number"):
        if isinstance(x, bool) or not isinstance(x, int | float):
            return f"{x!r} is not a number"
        return None
    return None if isinstance(x, str) else f"{x!r} is not text"


def _check_factor(f: Any, loc: tuple[Any, ...], pol: Any, err: Any) -> None:
    spec = FIELDS.get(f.input)
    scores = [b.score for b in f.bands] if f.bands is not None else [r.score for r in f.table]
    for k, s in enumerate(scores):
        if not pol.score_min <= s <= pol.score_max:
            key = "bands" if f.bands is not None else "table"
            err(
                (*loc, key, k, "score"),
                "RC307" if key == "bands" else "RC308",
                f"score {s} is outside the policy's range {pol.score_min}..{pol.score_max}",
            )
    if spec is None:
        err((*loc, "input"), "RC305", f"unknown input field {f.input!r}{_suggest(f.input, FIELDS)}")
    elif f.bands is not None:
        if spec.kind not in ("int", "number"):
            err(
                (*loc, "bands"),
                "RC309",
                f"bands score numbers, but {f.input} is {spec.kind}; use 'table'",
            )
        else:
            _check_bands(f.bands, spec, (*loc, "bands"), err)
    elif spec.kind not in ("bool", "enum", "int"):
        err(
            (*loc, "table"),
            "RC309",
            f"a table scores listed values, but {f.input} is {spec.kind}; use 'bands'",
        )
    else:
        _check_table(f.table, spec, f.input, (*loc, "table"), err)
    if f.missing.policy == "assume" and f.missing.score is not None and scores:
        low, high = min(scores), max(scores)
        if f.missing.score < (low + high) / 2:
            err(
                (*loc, "missing", "score"),
                "RC311",
                f"missing evidence would score {f.missing.score}, in the favourable half of {low}..{high}: "
                "missing evidence must never count as good news",
            )
    if f.outranked_by is not None:
        many = not isinstance(f.outranked_by.field, str)
        for k, ob in enumerate(f.outranked_by.fields):
            where = (*loc, "outranked_by", "field", k) if many else (*loc, "outranked_by", "field")
            if ob not in FIELDS:
                err(where, "RC305", f"unknown input field {ob!r}{_suggest(ob, FIELDS)}")
            elif ob == f.input or not ob.startswith(OUTRANKING):
                err(
                    where,
                    "RC319",
                    "a factor is outranked by more specific evidence - the end-user unit's own record "
                    f"(unit.*) or the item line's (item.*) - not by {ob!r}",
                )
        if f.outranked_by.weight >= f.weight:
            err(
                (*loc, "outranked_by", "weight"),
                "RC319",
                f"outranked weight {f.outranked_by.weight} must be below the factor's weight {f.weight}",
            )
    for _, name, _, _ in string.Formatter().parse(f.explain):
        if name is not None and name not in PLACEHOLDERS:
            err(
                (*loc, "explain"),
                "RC312",
                f"unknown placeholder {{{name}}} in explain; use "
                f"{', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))}",
            )


def _check_reachable(c: Any, loc: tuple[Any, ...], pol: Any, warn: Any) -> None:
    """The most a criterion can reach is its factors' highest scores (the mean and the floor both stay
    at or below the worst score); a threshold above that can never be met."""
    top = max(max(b.score for b in (f.bands or f.table or [])) for f in c.factors)
    th = c.thresholds or pol.thresholds.get(c.kind)
    if th is None:
        return
    for name in ("conditions", "refer", "deny"):
        value = getattr(th, name)
        if value is not None and value > top:
            warn(
                (*loc, "factors"),
                "RC321",
                f"criterion {c.id!r} can never reach its {name!r} threshold "
                f"({value}): its factors score at most {top}",
            )


def _check_bands(bands: list[Any], spec: Any, loc: tuple[Any, ...], err: Any) -> None:
    for k, b in enumerate(bands):
        if b.min is not None and b.max is not None and b.min >= b.max:
            err((*loc, k), "RC307", f"band {k + 1}: min {b.min} is not below max {b.max}")
        elif (spec.high is not None and b.min is not None and b.min > spec.high) or (
            spec.low is not None and b.max is not None and b.max <= spec.low
        ):
            err(
                (*loc, k),
                "RC320",
                f"band {k + 1} can never apply: {spec.kind} values lie in {spec.low}..{spec.high}",
                "warning",
            )
    for k in range(1, len(bands)):
        prev, cur = bands[k - 1], bands[k]
        if prev.max is None or cur.min is None:
            err(
                (*loc, k),
                "RC307",
                f"band {k + 1}: only the first band may omit min and only the last may omit max",
            )
        elif cur.min > prev.max:
            err(
                (*loc, k, "min"),
                "RC307",
                f"gap between bands: no score for values in [{prev.max}, {cur.min})",
            )
        elif cur.min < prev.max:
            err(
                (*loc, k, "min"),
                "RC307",
                f"bands overlap: values in [{cur.min}, {prev.max}) fall in two bands",
            )
    first, last = bands[0], bands[-1]
    if first.min is not None and (spec.low is None or first.min > spec.low):
        err((*loc, 0, "min"), "RC307", f"values below {first.min} are possible but have no band")
    if last.max is not None and (spec.high is None or last.max <= spec.high):
        err(
            (*loc, len(bands) - 1, "max"),
            "RC307",
            f"values from {last.max} up are possible but have no band",
        )


def _check_table(rows: list[Any], spec: Any, field: str, loc: tuple[Any, ...], err: Any) -> None:
    seen: set[Any] = set()
    for k, row in enumerate(rows):
        problem = _value_problem(spec, row.value)
        if problem:
            err((*loc, k, "value"), "RC308", f"{field}: {problem}")
        if row.value in seen:
            err((*loc, k, "value"), "RC308", f"value {row.value!r} is listed twice")
        seen.add(row.value)
    if spec.kind == "bool":
        wanted: set[Any] = {True, False}
    elif spec.kind == "enum":
        wanted = set(spec.values)
    else:
        wanted = set(range(int(spec.low), int(spec.high) + 1))
    left = wanted - seen
    if left:
        shown = ", ".join(sorted(str(x).lower() if isinstance(x, bool) else str(x) for x in left))
        err(loc, "RC308", f"no score for {field} = {shown}")


def _check_embargo_reading(read: set[str], warn: Any) -> None:
    """A rule set that reads embargo reference data must say what it does with national measures
    and with suspensions: an entry the data records but no step reads would otherwise be ignored
    without a word."""
    if "embargo.national" not in read:
        warn(
            ("prohibitions",),
            "RC323",
            "no step reads embargo.national: national arms embargoes in the data are not applied by this rule set",
        )
    if not read & {"suspension.in_force", "suspension.criterion"}:
        warn(
            ("escalations",),
            "RC323",
            "no step reads suspension.in_force: suspensions of licences in the data are not applied by this rule set",
        )


# --- embargo reference data ------------------------------------------------------------------------


def check_embargo_list(elist: Any, doc: Any) -> list[Diagnostic]:
    """Lint of an embargo list: overlapping entries, derogations outside the scope, unverified entries
    that do not say what is uncertain. All warnings: each is a question for whoever keeps the data."""
    out: list[Diagnostic] = []

    def warn(loc: tuple[Any, ...], code: str, msg: str) -> None:
        out.append(Diagnostic(doc.locate(("entries", *loc)), code, msg, "warning"))

    entries = elist.entries
    for i, e in enumerate(entries):
        if e.verified == "M" and not e.uncertain:
            warn((i, "verified"), "RC332", f"{e.id} is marked M: say in 'uncertain' what is not verified")
        for di, d in enumerate(e.derogations):
            outside = _outside(d.items, e.items)
            if outside:
                warn(
                    (i, "derogations", di, "items"),
                    "RC331",
                    f"derogation {d.id} of {e.id} lists {', '.join(outside)}, which the embargo does not cover",
                )
        for j in range(i):
            o = entries[j]
            if (o.country, o.authority, o.kind) != (e.country, e.authority, e.kind) or not _overlap(o, e):
                continue
            clash = _clash(o, e)
            if clash is not None:
                warn((i, "start"), "RC330", f"{e.id} overlaps {o.id} ({e.country}, {e.authority}): {clash}")
    return sorted(out)


def _overlap(a: Any, b: Any) -> bool:
    return (a.end is None or b.start <= a.end) and (b.end is None or a.start <= b.end)


def _scope(e: Any) -> tuple[Any, ...]:
    return (e.scope, tuple(sorted(t.casefold() for t in e.targets)), e.government_treatment, e.items)


def _clash(a: Any, b: Any) -> str | None:
    """Why two overlapping entries of one state and authority conflict, or None when they are
    separate measures (e.g. one on non-state actors, one on named forces)."""
    if _scope(a) == _scope(b):
        return "the same scope in force twice (a duplicate, or an amended act not ended)"
    if "whole_state" in (a.scope, b.scope):
        return "different scopes for the whole state in force at once (end the earlier entry)"
    if a.scope == b.scope == "non_state_actors":
        return "two scopes for non-state actors in force at once"
    shared = {t.casefold() for t in a.targets} & {t.casefold() for t in b.targets}
    if a.scope == b.scope == "named_forces" and shared:
        return f"different scopes for {', '.join(sorted(shared))} in force at once"
    return None


def _outside(derogation: Any, embargo: Any) -> list[str]:
    """What a derogation's item scope lists that the embargo's does not cover (by the same kind of
    entry: a category, a capability, a system). An embargo on all arms covers everything."""
    if derogation is None or embargo is None or embargo.all:
        return []
    if derogation.all:
        return ["all arms"]
    out = [c for c in derogation.ml_categories if c not in embargo.ml_categories]
    out += [c for c in derogation.att_categories if c not in embargo.att_categories]
    out += [c for c in derogation.capabilities if c not in embargo.capabilities]
    systems = [s.casefold() for s in embargo.systems]
    out += [s for s in derogation.systems if s.casefold() not in systems]
    return out
