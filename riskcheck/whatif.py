"""What would change the outcome: counterfactuals, the value of missing evidence, and the analysis
the memo and the app show beside an assessment (with ``robustness.py``).

Both searches re-run the scalar interpreter (``engine.evaluate``, outcome and values only) on
modified facts; neither has scoring logic of its own. Everything is deterministic.

- ``counterfactuals``: the smallest sets of changes (offer a control, establish a piece
  of evidence, use another channel) that move the decision, as plain sentences.
- ``rank_missing``: each missing item, and whether establishing it could change the decision.
- ``analyse``: the assessment with its counterfactuals, ranked missing evidence and robustness.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from . import vocabulary as v
from .conditions import walk_compares
from .engine import Plan, compile_plan, evaluate
from .engine.steps import SEVERITY, transfer_decision
from .engine.values import Evaluation
from .explain.assessment import explain_lines
from .explain.words import change_sentence, counterfactual_sentence, remove_line_clause
from .facts import FIELDS, Fact, Facts, facts_for_lines, with_value
from .loaded import LoadedRules, LoadedScenario
from .pipeline import meta_for
from .robustness import Robustness, robustness
from .trace import Assessment

# Evidence the assessor can establish; derived facts (embargoes in force, denials, conflicts) are not
# levers: they are looked up, not argued.
ESTABLISHABLE = ("country.", "unit.")
PAIR_SEEDS = 12  # pairs are searched from the dozen single changes that help most


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # control | evidence | channel | remove_line
    field: str
    value: Any
    sentence: str


@dataclass(frozen=True, slots=True)
class Counterfactual:
    changes: tuple[Change, ...]
    decision: str
    sentence: str


@dataclass(frozen=True, slots=True)
class MissingImpact:
    field: str
    used_by: tuple[str, ...]
    treatment: str
    could_change: bool
    decisions_if_known: tuple[str, ...]


class Context:
    """A case prepared for many re-evaluations: its plan, the facts of each item line, their
    evaluations and the assessment. ``facts`` and ``evaluation`` are the line that decides; a change
    tried by the searches applies to every line, and the transfer takes the most severe line."""

    def __init__(self, rules: LoadedRules, scenario: LoadedScenario, as_of: dt.date | None = None):
        self.rules, self.scenario = rules, scenario
        self.as_of = as_of or scenario.model.date
        self.plan = compile_plan(rules)
        self.lines = facts_for_lines(scenario, self.as_of, rules)
        self.meta = meta_for(rules, scenario, self.as_of)
        memo: dict = {}  # criteria reading only what the lines share are evaluated once
        self.evaluations = [evaluate(self.plan, f, self.as_of, memo=memo) for f in self.lines]
        _, self.decisive = transfer_decision([ev.decision for ev in self.evaluations])
        self.facts = self.lines[self.decisive]
        self.evaluation = self.evaluations[self.decisive]
        self.base = explain_lines(self.plan, self.lines, self.meta, self.evaluations, self.items)

    @property
    def items(self) -> list[Any]:
        return list(self.scenario.model.transfer.items)

    @property
    def decision(self) -> str:
        return self.base.decision

    def run(self, changes: tuple[Change, ...]) -> Evaluation:
        """The transfer with ``changes`` on every line: outcome and values only (no wording), of the
        line that then decides, with the transfer's decision."""
        memo: dict = {}
        evs = [evaluate(self.plan, apply(f, changes), self.as_of, memo=memo) for f in self.lines]
        return evs[transfer_decision([ev.decision for ev in evs])[1]]


# --- candidate changes ----------------------------------------------------------------


def _representatives(field: str, plan: Plan) -> list[Any]:
    """Values worth trying for a field: every enum/bool value, and one value inside each band."""
    spec = FIELDS[field]
    if spec.kind == "bool":
        return [False, True]
    if spec.kind == "enum":
        return list(spec.values)
    values: set[Any] = set()
    for c in plan.criteria:
        for f in c.factors:
            if f.input != field:
                continue
            if f.spec.table:
                values |= {row.value for row in f.spec.table}
            for b in f.spec.bands or ():
                lo = b.min if b.min is not None else (spec.low if spec.low is not None else (b.max or 0) - 1)
                values.add(int(lo) if spec.kind == "int" else lo)
    return sorted(values)


def _condition_fields(plan: Plan) -> dict[str, set[Any]]:
    """Fields read by conditions, with the literal values the conditions compare them to."""
    out: dict[str, set[Any]] = {}
    rs = plan.rules
    conds = [p.applies_when for p in rs.presumptions] + [r.when for p in rs.presumptions for r in p.rebuttal]
    conds += [e.when for e in rs.escalations] + [p.when for p in rs.prohibitions]
    for cond in conds:
        for cmp, _ in walk_compares(cond, ()):
            vals = cmp.value if isinstance(cmp.value, list) else [cmp.value]
            out.setdefault(cmp.field, set()).update(x for x in vals if x is not None)
    return out


def candidate_changes(ctx: Context) -> list[Change]:
    plan, facts = ctx.plan, ctx.facts
    out: list[Change] = []
    offered = facts["transfer.controls"].value or frozenset()
    wanted_controls = {m.spec.control for m in plan.mitigations}
    for field, vals in _condition_fields(plan).items():
        if field == "transfer.controls":
            wanted_controls |= {x for x in vals if x in v.CONTROLS}
    for control in sorted(wanted_controls - offered):
        out.append(
            Change(
                "control",
                "transfer.controls",
                control,
                change_sentence("control", "transfer.controls", control),
            )
        )
    channel = facts["transfer.channel"].value
    for alt in ("g2g_with_eum",):
        if channel != alt:
            out.append(
                Change(
                    "channel", "transfer.channel", alt, change_sentence("channel", "transfer.channel", alt)
                )
            )
    read = {f.input for c in plan.criteria for f in c.factors} | set(_condition_fields(plan))
    for field in sorted(read):
        if not field.startswith(ESTABLISHABLE):
            continue
        current = facts[field]
        for value in _representatives(field, plan):
            if current.value == value and not current.alternatives:
                continue
            established = current.value is not None and not current.alternatives
            out.append(
                Change("evidence", field, value, change_sentence("evidence", field, value, established))
            )
    return out


def apply(facts: Facts, changes: tuple[Change, ...]) -> Facts:
    new = dict(facts)
    for ch in changes:
        if ch.kind == "control":
            cur = new["transfer.controls"]
            new["transfer.controls"] = dataclasses.replace(cur, value=(cur.value or frozenset()) | {ch.value})
        else:
            new[ch.field] = with_value(new[ch.field], ch.value)
    return new


def actionable(change: Change) -> bool:
    """What the applicant or the end-user unit can offer or demonstrate (not facts about the country)."""
    return change.kind in ("control", "channel") or change.field.startswith("unit.")


def counterfactuals(ctx: Context, max_size: int = 2, limit: int = 12) -> list[Counterfactual]:
    """Smallest sets of changes that make the decision less severe, least severe outcome first.

    Exhaustive up to ``max_size`` changes; if no set that small is within the applicant's reach
    (controls, channel, the unit's own record), a greedy search adds the package of such changes
    that would move the decision, pruned to what is needed.
    """
    base = ctx.decision
    if base == "approve" or any(p.result is True for p in ctx.evaluation.prohibitions):
        return []  # nothing to improve, or a prohibition that no control or evidence about risk can lift
    singles = candidate_changes(ctx)
    found: list[Counterfactual] = _without_lines(ctx)
    base_progress = _progress(ctx.evaluation)
    helpful: list[tuple[tuple[int, int, float], Change]] = []
    for ch in singles:
        a = ctx.run((ch,))
        if SEVERITY[a.decision] < SEVERITY[base]:
            found.append(
                Counterfactual(
                    (ch,), a.decision, counterfactual_sentence(_sentences((ch,)), base, a.decision)
                )
            )
        elif _progress(a) < base_progress:
            helpful.append((_progress(a), ch))
    # Pairs start from the changes that help most on their own (a bounded search, so it stays fast).
    best_first = [ch for _, ch in sorted(helpful, key=lambda t: (t[0], t[1].sentence))][:PAIR_SEEDS]
    if not found and max_size >= 2:
        # Pairs: a change that helps on its own, with another helpful one or a control (a control may
        # only count together with another, e.g. on-site checks that require a government EUC).
        partners = best_first + [c for c in singles if c.kind == "control" and c not in best_first]
        seen: set[frozenset[Change]] = set()
        for first in best_first:
            for second in partners:
                pair = frozenset((first, second))
                if (
                    first == second
                    or pair in seen
                    or (first.field == second.field and first.kind != "control")
                ):
                    continue
                seen.add(pair)
                combo = tuple(sorted(pair, key=lambda c: c.sentence))
                decision = ctx.run(combo).decision
                if SEVERITY[decision] < SEVERITY[base]:
                    found.append(
                        Counterfactual(
                            combo, decision, counterfactual_sentence(_sentences(combo), base, decision)
                        )
                    )
    found.sort(key=lambda c: (SEVERITY[c.decision], c.sentence))
    found = found[:limit]
    if not any(all(actionable(c) for c in cf.changes) for cf in found):
        package = _greedy_package(ctx, [c for c in singles if actionable(c)])
        if package is not None:
            found.append(package)
    return found


def _without_lines(ctx: Context) -> list[Counterfactual]:
    """Each line is approved or refused on its own: leaving out the lines that decide may leave a
    licence for the rest ("remove line 2 and the rest can be approved with conditions")."""
    lines = ctx.base.lines
    if len(lines) < 2:
        return []
    worst = SEVERITY[ctx.decision]
    out = [ln for ln in lines if SEVERITY[ln.decision] == worst]
    rest = [ln for ln in lines if SEVERITY[ln.decision] < worst]
    if not rest:
        return []
    after = max((ln.decision for ln in rest), key=lambda d: SEVERITY[d])
    changes = tuple(Change("remove_line", "items", ln.line, remove_line_clause(ln)) for ln in out)
    return [Counterfactual(changes, after, counterfactual_sentence(_sentences(changes), ctx.decision, after))]


def _progress(ev: Evaluation) -> tuple[int, int, float]:
    """How far a case is from a better outcome: its decision, the rebuttal items still open, and the
    residual risk left (a search heuristic, not a legal figure)."""
    unmet = sum(1 for p in ev.presumptions if p.result is not False for i in p.items if i is not True)
    return (SEVERITY[ev.decision], unmet, round(sum(c.residual for c in ev.criteria), 6))


def _greedy_package(
    ctx: Context, options: list[Change], max_steps: int = 15, budget: int = 300
) -> Counterfactual | None:
    """Add the change that helps most until the decision moves; ``budget`` bounds the evaluations."""
    base = ctx.decision
    chosen: list[Change] = []
    current = _progress(ctx.evaluation)
    decision = base
    while len(chosen) < max_steps and SEVERITY[decision] >= SEVERITY[base]:
        taken = {c.field for c in chosen if c.kind != "control"}
        best: tuple[tuple[int, int, float], Change, str] | None = None
        for ch in options:
            if ch in chosen or (ch.kind != "control" and ch.field in taken):
                continue
            budget -= 1
            if budget < 0:
                return None  # no package found within the bound; say nothing rather than guess
            a = ctx.run((*chosen, ch))
            key = _progress(a)
            if best is None or key < best[0]:
                best = (key, ch, a.decision)
        if best is None or best[0] >= current:
            return None  # nothing within reach moves the case any further
        current, decision = best[0], best[2]
        chosen.append(best[1])
    if SEVERITY[decision] >= SEVERITY[base]:
        return None
    for ch in list(chosen):  # prune what the outcome does not need
        rest = tuple(c for c in chosen if c != ch)
        if SEVERITY[ctx.run(rest).decision] <= SEVERITY[decision]:
            chosen = list(rest)
    final = ctx.run(tuple(chosen)).decision
    return Counterfactual(
        tuple(chosen), final, counterfactual_sentence(_sentences(tuple(chosen)), base, final)
    )


def _sentences(changes: tuple[Change, ...]) -> list[str]:
    return [c.sentence for c in changes]


def rank_missing(ctx: Context) -> list[MissingImpact]:
    """Missing evidence, those whose establishment could change the decision first."""
    out = []
    for m in ctx.base.missing:
        decisions: set[str] = set()
        if m.field in FIELDS and FIELDS[m.field].kind != "set":
            for value in _representatives(m.field, ctx.plan):
                decisions.add(ctx.run((Change("evidence", m.field, value, ""),)).decision)
        ordered = tuple(sorted(decisions, key=lambda d: SEVERITY[d]))
        out.append(
            MissingImpact(m.field, m.used_by, m.treatment, any(d != ctx.decision for d in decisions), ordered)
        )
    out.sort(key=lambda x: (not x.could_change, x.field))
    return out


# --- convenience for front ends -----------------------------------------------------------


def override(ctx: Context, values: dict[str, Any], controls: frozenset[str] | None = None) -> Assessment:
    """Re-assess with some facts established by hand (marked as overrides) and/or other controls."""
    lines = []
    for line in ctx.lines:
        facts = dict(line)
        for field, value in values.items():
            facts[field] = dataclasses.replace(with_value(facts[field], value), origin="override")
        if controls is not None:
            facts["transfer.controls"] = Fact(
                frozenset(controls), "known", source="what-if", origin="override"
            )
        lines.append(facts)
    memo: dict = {}
    evaluations = [evaluate(ctx.plan, f, ctx.as_of, memo=memo) for f in lines]
    return explain_lines(ctx.plan, lines, ctx.meta, evaluations, ctx.items)  # the full trace, for display


@dataclass(frozen=True)
class Analysis:
    """An assessment with everything the memo and the app show beside it."""

    assessment: Assessment
    counterfactuals: tuple[Counterfactual, ...]
    missing: tuple[MissingImpact, ...]
    robustness: Robustness


DRAWS = 1000


def analyse(
    rules: LoadedRules,
    scenario: LoadedScenario,
    as_of: dt.date | None = None,
    draws: int = DRAWS,
    ctx: Context | None = None,
) -> Analysis:
    ctx = ctx or Context(rules, scenario, as_of)
    return Analysis(
        ctx.base,
        tuple(counterfactuals(ctx)),
        tuple(rank_missing(ctx)),
        robustness(ctx, draws, seed=0),
    )
