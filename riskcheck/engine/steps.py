"""The law, written once: what each step calls for, and the arithmetic of a criterion.

Both interpreters (``scalar.py`` for one case with its trace, ``arrays.py`` for many cases at
once) read these tables and call these functions; neither has a rule of its own. The arithmetic
is written against a small set of operations (``Ops``) so that the same lines run on Python
floats (``SCALAR``, here) and on numpy arrays (``arrays.ARRAYS``: numpy is imported only there).
Additions are explicit left folds in the order of the rule set, so both interpreters compute the
same bits on every Python version.

The outcome tables (shared/product.md, "The order of an assessment"; ATT Art. 6 and 7, EU CP
2008/944 Art. 2 and 4). A condition is true, false or unknown (``None``: the evidence needed to
decide it is missing):

    step            true                      unknown                         false
    prohibition     prohibited [code]         refer                           -
    presumption     deny [code]               refer (whether it applies must  -
                                              be established)
      ... rebutted  its minimum outcome       its minimum outcome             -
    escalation      its outcome [code]        its outcome, at most refer      -
    rebuttal item   met                       not demonstrated (unmet)        unmet
    requirement of  control credited          not credited                    not credited
      a mitigation

    criterion level     deny [code]  refer  conditions -> approve_with_conditions  acceptable -> -
      a denial that rests on missing evidence alone (it would not deny were every missing piece at
      its most favourable) -> refer, no code: refusals rest on established (or contested, worst
      reading) evidence

    missing evidence    assume_worst: the factor's worst score
      (factor policy)   assume: the declared score
                        refer: the worst score, and the case is referred until it is established

``[code]``: the step's refusal code is given with the outcome; a refusal code is only ever given
with ``deny`` or ``prohibited``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

DECISIONS = ("approve", "approve_with_conditions", "refer", "deny", "prohibited")
SEVERITY = {d: i for i, d in enumerate(DECISIONS)}
LEVELS = ("acceptable", "conditions", "refer", "deny")  # criterion levels, least severe first
LEVEL_OUTCOME = {
    "deny": "deny",
    "refer": "refer",
    "conditions": "approve_with_conditions",
    "acceptable": None,
}
TRI = (True, None, False)

# What the declared outcome of a rule means in a table row.
DECLARED = "declared"  # the rule's declared outcome (an escalation's outcome, a presumption's minimum)
AT_MOST_REFER = "declared, at most refer"


@dataclass(frozen=True, slots=True)
class Call:
    """What one step calls for: an outcome (or nothing) and whether it gives the rule's refusal code."""

    outcome: str | None
    code: bool = False


STEP_TABLE: dict[str, dict[Any, Call]] = {
    # key: the condition's value
    "prohibition": {True: Call("prohibited", True), None: Call("refer"), False: Call(None)},
    "escalation": {True: Call(DECLARED, True), None: Call(AT_MOST_REFER), False: Call(None)},
    # key: (whether it applies, whether every rebuttal item is met)
    "presumption": {
        (True, False): Call("deny", True),
        (None, False): Call("refer"),
        (True, True): Call(DECLARED),
        (None, True): Call(DECLARED),
        (False, False): Call(None),
        (False, True): Call(None),
    },
}
REBUTTAL_ITEM = {True: "met", None: "unknown", False: "unmet"}  # only 'met' counts toward rebuttal
REQUIREMENT_CREDITS = {True: True, None: False, False: False}  # a mitigation's 'requires'
MISSING_POLICIES = ("assume_worst", "assume", "refer")


def transfer_decision(line_decisions: Sequence[str]) -> tuple[str, int]:
    """A licence lists goods and each line is approved or refused on its own: the transfer's
    decision is the most severe line's, and the first such line is the one that decides it."""
    decisive = max(range(len(line_decisions)), key=lambda i: (SEVERITY[line_decisions[i]], -i))
    return line_decisions[decisive], decisive


def resolve(call: Call, declared: str | None) -> Call:
    """A table row with the rule's declared outcome filled in."""
    if call.outcome == DECLARED:
        return Call(declared, call.code and declared is not None and SEVERITY[declared] >= SEVERITY["deny"])
    if call.outcome == AT_MOST_REFER:
        assert declared is not None
        return Call(declared if SEVERITY[declared] < SEVERITY["refer"] else "refer")
    return call


def step_call(kind: str, key: Any, declared: str | None = None) -> Call:
    """The outcome a step of ``kind`` calls for (see the table in the module docstring)."""
    return resolve(STEP_TABLE[kind][key], declared)


# --- the operations the arithmetic is written in ------------------------------------------------


@dataclass(frozen=True)
class Ops:
    """Elementwise operations: the same arithmetic on Python floats and on numpy arrays."""

    maximum: Callable[[Any, Any], Any]
    minimum: Callable[[Any, Any], Any]
    where: Callable[[Any, Any, Any], Any]
    land: Callable[[Any, Any], Any]
    lor: Callable[[Any, Any], Any]
    lnot: Callable[[Any], Any]
    any: Callable[[Any], bool]


def _max(a: Any, b: Any) -> Any:
    return b if b > a else a  # Python's max(a, b): the first of the largest


def _min(a: Any, b: Any) -> Any:
    return b if b < a else a


SCALAR = Ops(
    maximum=_max,
    minimum=_min,
    where=lambda c, a, b: a if c else b,
    land=lambda a, b: a and b,
    lor=lambda a, b: a or b,
    lnot=lambda a: not a,
    any=bool,
)


def fold(xs: Sequence[Any]) -> Any:
    """0 + x1 + x2 + ... from the left (never the interpreter's ``sum``, whose algorithm changed in
    Python 3.12). Nothing to add is the integer 0, which the trace shows as "no reduction"."""
    acc: Any = 0
    for x in xs:
        acc = acc + x
    return acc


def weighted_mean(ops: Ops, weights: Sequence[Any], scores: Sequence[Any]) -> tuple[Any, list[Any]]:
    """The weighted mean of the scores, and each factor's contribution to it (weight x score / total)."""
    total = fold(weights)
    total = ops.where(total == 0, 1.0, total)
    contributions = [w * s / total for w, s in zip(weights, scores, strict=True)]
    return fold(contributions), contributions


def worst_factor(ops: Ops, scores: Sequence[Any], outranked: Sequence[Any]) -> Any:
    """The highest score among factors that still count fully (an outranked country average does not
    set the floor); 0.0 when every factor is outranked."""
    acc: Any = -math.inf
    for s, o in zip(scores, outranked, strict=True):
        acc = ops.maximum(acc, ops.where(o, -math.inf, s))
    return ops.where(acc == -math.inf, 0.0, acc)


def raw_risk(ops: Ops, mean: Any, worst: Any, gap: float) -> Any:
    """Non-compensatory: the weighted mean, raised to the worst factor minus the floor gap."""
    return ops.maximum(mean, worst - gap)


def clamp(ops: Ops, x: Any, low: float, high: float) -> Any:
    return ops.minimum(high, ops.maximum(x, low))


def criterion_risk(
    ops: Ops,
    weights: Sequence[Any],
    scores: Sequence[Any],
    outranked: Sequence[Any],
    gap: float,
    low: float,
    high: float,
) -> tuple[Any, Any, Any, list[Any]]:
    """(inherent risk, weighted mean, worst factor, contributions)."""
    mean, contributions = weighted_mean(ops, weights, scores)
    worst = worst_factor(ops, scores, outranked)
    return clamp(ops, raw_risk(ops, mean, worst, gap), low, high), mean, worst, contributions


@dataclass(frozen=True)
class FactorReading:
    """What decides how much one factor counts, beside its score.

    ``reduced``: the weight it counts with when outranked (``None``: nothing outranks it);
    ``outranked``: whether the evidence that outranks it is established (False: missing or contested);
    ``outranked_gap``: not established because that evidence is *missing* (not merely contested);
    ``applies``: (true, unknown) of its ``applies_when`` condition (``None``: it always applies);
    ``applies_gap``: unknown because a fact it reads is missing (not merely contested)."""

    weight: Any
    reduced: float | None = None
    outranked: Any = False
    applies: tuple[Any, Any] | None = None
    outranked_gap: Any = False
    applies_gap: Any = False


def _reading(ops: Ops, r: FactorReading, flip_outranked: Any, flip_applies: Any) -> tuple[Any, Any]:
    """One factor's weight, and whether it stays out of the floor, for one reading of its open
    evidence: ``flip_outranked`` takes an unestablished outranking as established, ``flip_applies``
    takes an unknown ``applies_when`` as false."""
    w, out = r.weight, False
    if r.reduced is not None:
        outranked = ops.lor(r.outranked, flip_outranked)
        w, out = ops.where(outranked, r.reduced, w), outranked
    if r.applies is not None:
        t, u = r.applies
        counts = ops.lor(t, ops.land(u, ops.lnot(flip_applies)))
        w, out = ops.where(counts, w, 0.0), ops.lor(out, ops.lnot(counts))
    return w, out


def _choices(ops: Ops, readings: Sequence[FactorReading]) -> tuple[list[tuple[int, str, Any, Any]], Any]:
    """The open choices of a criterion: (factor, kind, where it is open, where it is open because
    evidence is missing), and where any is open."""
    out: list[tuple[int, str, Any, Any]] = []
    open_any: Any = False
    for i, r in enumerate(readings):
        if r.reduced is not None:
            is_open = ops.lnot(r.outranked)
            out.append((i, "outranked", is_open, ops.land(is_open, r.outranked_gap)))
            open_any = ops.lor(open_any, is_open)
        if r.applies is not None:
            out.append((i, "applies", r.applies[1], ops.land(r.applies[1], r.applies_gap)))
            open_any = ops.lor(open_any, r.applies[1])
    return out, open_any


def _trial(
    ops: Ops, readings: Sequence[FactorReading], choices: list[Any], mask: int
) -> tuple[list[Any], list[Any]]:
    flips = [[False, False] for _ in readings]
    for bit, (i, kind, _, _) in enumerate(choices):
        if mask >> bit & 1:
            flips[i][0 if kind == "outranked" else 1] = True
    trial = [_reading(ops, r, f[0], f[1]) for r, f in zip(readings, flips, strict=True)]
    return [w for w, _ in trial], [o for _, o in trial]


def _risk(ops: Ops, ws: list[Any], os: list[Any], scores: Sequence[Any], gap: float) -> Any:
    return raw_risk(ops, weighted_mean(ops, ws, scores)[0], worst_factor(ops, scores, os), gap)


def choose_weights(
    ops: Ops, readings: Sequence[FactorReading], scores: Sequence[Any], gap: float
) -> tuple[list[Any], list[Any]]:
    """Each factor's weight and whether it stays out of the floor.

    More specific evidence outranks a general record: where it is established (the unit's own
    record; whether the items are of the kind used in a documented pattern), a factor with
    ``outranked_by`` counts with its reduced weight and no longer sets the floor. A factor whose
    ``applies_when`` is false is left out (weight 0, no floor). Where either cannot be established
    (missing or contested evidence), every reading of the open choices is tried and the riskiest
    kept: a gap or a dispute must not make a record count for more *or* less than is conservative.
    Of equally risky readings the evidence as it stands is kept."""
    choices, open_any = _choices(ops, readings)
    if not choices:  # nothing outranks or conditions any factor: each counts with its weight
        return [r.weight for r in readings], [False for _ in readings]
    best_w, best_o = _trial(ops, readings, choices, 0)
    if not ops.any(open_any):
        return best_w, best_o
    # A choice open nowhere flips nothing: its readings repeat earlier ones, which a strictly
    # riskier test never prefers, so leaving it out visits the same readings in the same order.
    choices = [c for c in choices if ops.any(c[2])]
    best = _risk(ops, best_w, best_o, scores, gap)
    for mask in range(1, 2 ** len(choices)):
        ws, os = _trial(ops, readings, choices, mask)
        r_ = _risk(ops, ws, os, scores, gap)
        better = r_ > best
        best_w = [ops.where(better, a, b) for a, b in zip(ws, best_w, strict=True)]
        best_o = [ops.where(better, a, b) for a, b in zip(os, best_o, strict=True)]
        best = ops.where(better, r_, best)
    return best_w, best_o


def favourable_risk(ops: Ops, readings: Sequence[FactorReading], scores: Sequence[Any], gap: float) -> Any:
    """The criterion's raw risk were every gap filled the least risky way, while disputed evidence
    keeps its worst reading: the least, over the readings of the choices left open by missing
    evidence, of the most, over the readings of the choices left open by contested evidence."""
    choices, _ = _choices(ops, readings)
    # (over many rows a choice may be open for a gap in some and for a dispute in others: both lists)
    gap_bits = [b for b, (_, _, _, is_gap) in enumerate(choices) if ops.any(is_gap)]
    other_bits = [
        b for b, (_, _, is_open, is_gap) in enumerate(choices) if ops.any(ops.land(is_open, ops.lnot(is_gap)))
    ]
    least: Any = None
    for g in range(2 ** len(gap_bits)):
        outer = sum(1 << gap_bits[k] for k in range(len(gap_bits)) if g >> k & 1)
        most: Any = None
        for c in range(2 ** len(other_bits)):
            inner = sum(1 << other_bits[k] for k in range(len(other_bits)) if c >> k & 1)
            # a bit flips a choice only where it is open that way: a gap bit where evidence is
            # missing, any other bit where the choice is open at all (both, here, for a disputed fact)
            ws, os = _trial_where(ops, readings, choices, outer, inner)
            r_ = _risk(ops, ws, os, scores, gap)
            most = r_ if most is None else ops.maximum(most, r_)
        least = most if least is None else ops.minimum(least, most)
    return least


def _trial_where(
    ops: Ops, readings: Sequence[FactorReading], choices: list[Any], gap_mask: int, other_mask: int
) -> tuple[list[Any], list[Any]]:
    """A reading in which gap bits flip a choice only where it is open because evidence is missing,
    and the other bits only where it is open for a dispute."""
    flips: list[list[Any]] = [[False, False] for _ in readings]
    for bit, (i, kind, is_open, is_gap) in enumerate(choices):
        k = 0 if kind == "outranked" else 1
        flip: Any = False
        if gap_mask >> bit & 1:
            flip = ops.lor(flip, is_gap)
        if other_mask >> bit & 1:
            flip = ops.lor(flip, ops.land(is_open, ops.lnot(is_gap)))
        flips[i][k] = flip
    trial = [_reading(ops, r, f[0], f[1]) for r, f in zip(readings, flips, strict=True)]
    return [w for w, _ in trial], [o for _, o in trial]


def mitigation_reduction(ops: Ops, credited_amounts: Sequence[Any], cap: float) -> Any:
    """What credited controls take off a criterion: their sum, never more than the criterion's cap."""
    return ops.minimum(fold(credited_amounts), cap)


def residual_risk(ops: Ops, inherent: Any, reduction: Any, low: float) -> Any:
    return ops.maximum(low, inherent - reduction)


def deny_awaits_evidence(
    ops: Ops,
    readings: Sequence[FactorReading],
    scores: Sequence[Any],
    missing: Sequence[Any],
    best: Sequence[float],
    gap: float,
    low: float,
    high: float,
    reduction: Any,
    residual: Any,
    deny_at: Any,
) -> Any:
    """A refusal needs evidence of the risk (EU CP Art. 2: a *clear* risk; ATT Art. 7(3)). Missing
    evidence is scored on the factor's policy, never as good news; but where the criterion reaches
    denial and would stay below it were every missing piece at its most favourable (``best``) and
    every choice left open by missing evidence taken the less risky way (contested evidence keeps
    its worst reading), the denial rests on the gaps alone: the case is referred until they are
    established, and no refusal code is given."""
    reaches = residual >= deny_at
    any_gap: Any = False
    for m in missing:
        any_gap = ops.lor(any_gap, m)
    for r in readings:
        any_gap = ops.lor(any_gap, ops.lor(r.outranked_gap, r.applies_gap))
    gaps = ops.land(reaches, any_gap)
    if not ops.any(gaps):
        return gaps
    favourable = [ops.where(m, b, s) for s, m, b in zip(scores, missing, best, strict=True)]
    risk = clamp(ops, favourable_risk(ops, readings, favourable, gap), low, high)
    return ops.land(gaps, ops.maximum(low, risk - reduction) < deny_at)


def criterion_level(
    ops: Ops,
    inherent: Any,
    residual: Any,
    reduction: Any,
    conditions_at: Any,
    refer_at: Any,
    deny_at: Any | None,
    awaiting: Any,
) -> Any:
    """The level code (an index into ``LEVELS``) of the residual risk against the thresholds.
    Approval needs conditions from the conditions threshold, and also whenever a control was needed
    to bring the risk below it."""
    conditions = ops.lor(residual >= conditions_at, ops.land(inherent >= conditions_at, reduction > 0))
    level = ops.where(ops.lor(awaiting, residual >= refer_at), 2, ops.where(conditions, 1, 0))
    if deny_at is None:
        return level
    return ops.where(ops.land(residual >= deny_at, ops.lnot(awaiting)), 3, level)


def score_fact(factor: Any, value: Any, alternatives: Sequence[Any] = ()) -> tuple[float, str]:
    """A factor's score for one fact, and how it was reached (scored | contested | missing).

    Missing evidence scores what the factor's policy says (never good news); contested evidence is
    scored on its worst reading; a reading outside every band or table row counts as missing and
    scores the worst."""
    if value is None:
        return factor.missing_score, "missing"
    best = -math.inf
    for reading in (value, *alternatives):
        s = factor.score_of(reading)
        if s is None:
            return factor.worst, "missing"
        if s > best:
            best = s
    return best, ("contested" if alternatives else "scored")
