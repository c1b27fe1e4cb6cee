"""What would change the outcome: counterfactuals, the value of missing evidence, robustness.

All three re-run the engine's own ``evaluate`` on modified facts or parameters; none
has scoring logic of its own. Everything is deterministic (robustness takes a seed).

- ``counterfactuals``: the smallest sets of changes (offer a control, establish a piece
  of evidence, use another channel) that move the decision, as plain sentences.
- ``rank_missing``: each missing item, and whether establishing it could change the decision.
- ``robustness``: how often the decision holds when weights and thresholds vary within the
  ranges the rule set declares, and which parameter matters most.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from . import vocabulary as v
from .conditions import walk_compares
from .engine import CompiledRules, compile_rules, evaluate, facts_for, meta_for
from .explain import value_text
from .facts import FIELDS, Fact, Facts, with_value
from .loader import LoadedRules, LoadedScenario
from .rules_model import Thresholds
from .trace import DECISION_WORDS, SEVERITY, Assessment

# Evidence the assessor can establish; derived facts (embargoes in force, denials, conflicts) are not
# levers: they are looked up, not argued.
ESTABLISHABLE = ("country.", "unit.")
PAIR_SEEDS = 12  # pairs are searched from the dozen single changes that help most


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # control | evidence | channel
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


@dataclass(frozen=True, slots=True)
class Robustness:
    declared: bool
    draws: int
    seed: int
    decision: str
    holds: float  # share of draws with the same decision
    decisions: tuple[tuple[str, int], ...]
    influence: tuple[tuple[str, float], ...]  # parameter -> |correlation| with a flip, largest first
    most_influential: str | None
    weight_spread: float = 0.0
    threshold_spread: float = 0.0


class Context:
    """A scenario prepared for many re-evaluations."""

    def __init__(self, rules: LoadedRules, scenario: LoadedScenario, as_of: dt.date | None = None):
        self.rules, self.scenario = rules, scenario
        self.as_of = as_of or scenario.model.date
        self.compiled = compile_rules(rules)
        self.facts = facts_for(scenario, self.as_of, rules)
        self.meta = meta_for(rules, scenario, self.as_of)
        self.base = evaluate(self.compiled, self.facts, self.meta)

    def run(self, facts: Facts, compiled: CompiledRules | None = None) -> Assessment:
        """Outcome only (no explanation texts): what the searches and draws compare."""
        return evaluate(compiled or self.compiled, facts, self.meta, detail=False)


# --- candidate changes ----------------------------------------------------------------


def _representatives(field: str, cr: CompiledRules) -> list[Any]:
    """Values worth trying for a field: every enum/bool value, and one value inside each band."""
    spec = FIELDS[field]
    if spec.kind == "bool":
        return [False, True]
    if spec.kind == "enum":
        return list(spec.values)
    values: set[Any] = set()
    for cc in cr.criteria:
        for cf in cc.factors:
            if cf.spec.input != field:
                continue
            if cf.spec.table:
                values |= {row.value for row in cf.spec.table}
            for b in cf.spec.bands or ():
                lo = b.min if b.min is not None else (spec.low if spec.low is not None else (b.max or 0) - 1)
                values.add(int(lo) if spec.kind == "int" else lo)
    return sorted(values)


def _condition_fields(cr: CompiledRules) -> dict[str, set[Any]]:
    """Fields read by conditions, with the literal values the conditions compare them to."""
    out: dict[str, set[Any]] = {}
    rs = cr.loaded.model
    conds = [p.applies_when for p in rs.presumptions] + [r.when for p in rs.presumptions for r in p.rebuttal]
    conds += [e.when for e in rs.escalations] + [p.when for p in rs.prohibitions]
    for cond in conds:
        for cmp, _ in walk_compares(cond, ()):
            vals = cmp.value if isinstance(cmp.value, list) else [cmp.value]
            out.setdefault(cmp.field, set()).update(x for x in vals if x is not None)
    return out


def candidate_changes(ctx: Context) -> list[Change]:
    cr, facts = ctx.compiled, ctx.facts
    out: list[Change] = []
    offered = facts["transfer.controls"].value or frozenset()
    wanted_controls = {m.control for m, _, _ in cr.mitigations}
    for field, vals in _condition_fields(cr).items():
        if field == "transfer.controls":
            wanted_controls |= {x for x in vals if x in v.CONTROLS}
    for control in sorted(wanted_controls - offered):
        out.append(
            Change(
                "control", "transfer.controls", control, f"offer {v.CONTROLS[control].lower()} ({control})"
            )
        )
    channel = facts["transfer.channel"].value
    for alt in ("g2g_with_eum",):
        if channel != alt:
            out.append(
                Change("channel", "transfer.channel", alt, f"make it a {v.CHANNELS[alt].lower()} transfer")
            )
    read = {cf.spec.input for cc in cr.criteria for cf in cc.factors} | set(_condition_fields(cr))
    for field in sorted(read):
        if not field.startswith(ESTABLISHABLE):
            continue
        current = facts[field]
        for value in _representatives(field, cr):
            if current.value == value and not current.alternatives:
                continue
            verb = "establish" if current.value is None or current.alternatives else "show instead"
            out.append(Change("evidence", field, value, f"{verb} that {field} is {value_text(value)}"))
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
    base = ctx.base.decision
    if base == "approve" or any(p.status == "applies" for p in ctx.base.prohibitions):
        return []  # nothing to improve, or a prohibition that no control or evidence about risk can lift
    singles = candidate_changes(ctx)
    found: list[Counterfactual] = []
    base_progress = _progress(ctx.base)
    helpful: list[tuple[tuple[int, int, float], Change]] = []
    for ch in singles:
        a = ctx.run(apply(ctx.facts, (ch,)))
        if SEVERITY[a.decision] < SEVERITY[base]:
            found.append(Counterfactual((ch,), a.decision, _sentence((ch,), base, a.decision)))
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
                decision = ctx.run(apply(ctx.facts, combo)).decision
                if SEVERITY[decision] < SEVERITY[base]:
                    found.append(Counterfactual(combo, decision, _sentence(combo, base, decision)))
    found.sort(key=lambda c: (SEVERITY[c.decision], c.sentence))
    found = found[:limit]
    if not any(all(actionable(c) for c in cf.changes) for cf in found):
        package = _greedy_package(ctx, [c for c in singles if actionable(c)])
        if package is not None:
            found.append(package)
    return found


def _progress(a: Assessment) -> tuple[int, int, float]:
    unmet = sum(
        1 for p in a.presumptions if p.applies != "does_not_apply" for i in p.rebuttal if i.status != "met"
    )
    return (SEVERITY[a.decision], unmet, round(sum(c.residual for c in a.criteria), 6))


def _greedy_package(
    ctx: Context, options: list[Change], max_steps: int = 15, budget: int = 300
) -> Counterfactual | None:
    """Add the change that helps most until the decision moves; ``budget`` bounds the evaluations."""
    base = ctx.base.decision
    chosen: list[Change] = []
    current = _progress(ctx.base)
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
            a = ctx.run(apply(ctx.facts, (*chosen, ch)))
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
        if SEVERITY[ctx.run(apply(ctx.facts, rest)).decision] <= SEVERITY[decision]:
            chosen = list(rest)
    final = ctx.run(apply(ctx.facts, tuple(chosen))).decision
    return Counterfactual(tuple(chosen), final, _sentence(tuple(chosen), base, final))


def _sentence(changes: tuple[Change, ...], before: str, after: str) -> str:
    what = " and ".join(c.sentence for c in changes)
    return (
        f"If you {what}, the decision would be '{DECISION_WORDS[after]}' "
        f"instead of '{DECISION_WORDS[before]}'."
    )


def rank_missing(ctx: Context) -> list[MissingImpact]:
    """Missing evidence, those whose establishment could change the decision first."""
    out = []
    for m in ctx.base.missing:
        decisions: set[str] = set()
        if m.field in FIELDS and FIELDS[m.field].kind != "set":
            for value in _representatives(m.field, ctx.compiled):
                decisions.add(ctx.run(apply(ctx.facts, (Change("evidence", m.field, value, ""),))).decision)
        ordered = tuple(sorted(decisions, key=lambda d: SEVERITY[d]))
        out.append(
            MissingImpact(
                m.field, m.used_by, m.treatment, any(d != ctx.base.decision for d in decisions), ordered
            )
        )
    out.sort(key=lambda x: (not x.could_change, x.field))
    return out


# --- robustness -----------------------------------------------------------------------


def robustness(ctx: Context, draws: int = 1000, seed: int = 0) -> Robustness:
    """How often the decision holds over ``draws`` draws of weights and thresholds within the rule set's
    declared ranges. Evaluated all at once by the vectorised evaluator (riskcheck/vector.py), which a
    test holds equal, draw for draw, to the one-draw-at-a-time reference below."""
    from .vector import robustness as all_at_once  # numpy: imported only when robustness is asked for

    return all_at_once(ctx, draws, seed)  # type: ignore[no-any-return]


def robustness_reference(ctx: Context, draws: int = 1000, seed: int = 0) -> Robustness:
    """The reference: each draw through engine.evaluate (slow; kept as the definition the fast path must equal)."""
    pol = ctx.rules.model.policy
    base = ctx.base.decision
    if pol.robustness is None:
        return Robustness(False, 0, seed, base, 1.0, ((base, 0),), (), None)
    ws, ts = float(pol.robustness.weight_spread), float(pol.robustness.threshold_spread)
    rng = random.Random(seed)
    cr = ctx.compiled
    samples: list[list[float]] = []
    decisions: list[str] = []
    for _ in range(draws):
        params: list[float] = []
        shifts: list[float] = []
        criteria = []
        for cc in cr.criteria:
            factors = []
            for cf in cc.factors:
                m = rng.uniform(1 - ws, 1 + ws)
                params.append(m)
                factors.append(dataclasses.replace(cf, weight=cf.weight * m))
            shift = rng.uniform(-ts, ts)
            shifts.append(shift)
            th = cc.thresholds
            moved = Thresholds.model_construct(
                conditions=th.conditions + shift,
                refer=th.refer + shift,
                deny=None if th.deny is None else th.deny + shift,
            )
            criteria.append(dataclasses.replace(cc, factors=tuple(factors), thresholds=moved))
        params += shifts  # names list weights first, then one threshold shift per criterion
        decisions.append(ctx.run(ctx.facts, dataclasses.replace(cr, criteria=tuple(criteria))).decision)
        samples.append(params)
    columns = [[row[i] for row in samples] for i in range(len(samples[0]))] if samples else []
    return summarise_draws(ctx, seed, ws, ts, columns, decisions)


def draw_names(cr: CompiledRules) -> list[str]:
    """The varied parameters, in the order every robustness run draws them: per criterion its factor
    weights; then one threshold shift per criterion."""
    names: list[str] = []
    for cc in cr.criteria:
        names += [f"weight {cc.spec.id}/{cf.spec.id}" for cf in cc.factors]
    return names + [f"threshold {cc.spec.id}" for cc in cr.criteria]


def summarise_draws(
    ctx: Context, seed: int, ws: float, ts: float, columns: list[list[float]], decisions: list[str]
) -> Robustness:
    """Share holding, decisions drawn, and each parameter's |correlation| with a flip of the decision."""
    base = ctx.base.decision
    counts = Counter(decisions)
    flips = [int(d != base) for d in decisions]
    influence = sorted(
        ((n, abs(_corr(col, flips))) for n, col in zip(draw_names(ctx.compiled), columns, strict=True)),
        key=lambda t: (-t[1], t[0]),
    )
    top = influence[0][0] if influence and influence[0][1] > 0 else None
    return Robustness(
        True,
        len(decisions),
        seed,
        base,
        counts[base] / len(decisions),
        tuple(sorted(counts.items(), key=lambda kv: -SEVERITY[kv[0]])),
        tuple(influence[:10]),
        top,
        ws,
        ts,
    )


def _corr(xs: list[float], ys: list[int]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return 0.0
    return sxy / math.sqrt(sxx * syy)


# --- convenience for front ends -----------------------------------------------------------


def override(ctx: Context, values: dict[str, Any], controls: frozenset[str] | None = None) -> Assessment:
    """Re-assess with some facts established by hand (marked as overrides) and/or other controls."""
    facts = dict(ctx.facts)
    for field, value in values.items():
        facts[field] = dataclasses.replace(with_value(facts[field], value), origin="override")
    if controls is not None:
        facts["transfer.controls"] = Fact(frozenset(controls), "known", source="what-if", origin="override")
    return evaluate(ctx.compiled, facts, ctx.meta)  # the full trace, for display
