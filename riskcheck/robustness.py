"""Robustness: how often the decision holds when weights and thresholds vary within the ranges the
rule set declares (``policy.robustness``), and which parameter matters most.

Each draw multiplies every factor weight by a number in [1 - spread, 1 + spread] and moves every
criterion's thresholds by a number in [-spread, +spread], in one fixed order from a seeded
generator (``draw_sequence``). ``robustness`` evaluates all draws at once with the array interpreter;
``robustness_reference`` evaluates them one by one with the scalar interpreter. Both read the same
draws and the same plan, and a test holds them equal, draw for draw.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .engine import Params, evaluate
from .engine.plan import Plan
from .engine.steps import DECISIONS, SEVERITY, transfer_decision

if TYPE_CHECKING:
    from .facts import Facts


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


class Case(Protocol):
    """What a robustness run needs of a case (``whatif.Context`` is one)."""

    plan: Plan
    lines: list[Facts]  # the facts of each item line
    as_of: dt.date

    @property
    def decision(self) -> str: ...


def draw_sequence(
    plan: Plan, n: int, seed: int, ws: float, ts: float
) -> tuple[list[list[float]], list[list[float]]]:
    """``n`` draws: per draw the weight multipliers (per criterion its factors, in the plan's order)
    and one threshold shift per criterion, taken from the generator in that order."""
    rng = random.Random(seed)
    uniform = rng.uniform
    mults: list[list[float]] = []
    shifts: list[list[float]] = []
    for _ in range(n):
        m: list[float] = []
        s: list[float] = []
        for c in plan.criteria:
            m += [uniform(1 - ws, 1 + ws) for _ in c.factors]
            s.append(uniform(-ts, ts))
        mults.append(m)
        shifts.append(s)
    return mults, shifts


def _spreads(plan: Plan) -> tuple[float, float] | None:
    r = plan.rules.policy.robustness
    return None if r is None else (float(r.weight_spread), float(r.threshold_spread))


def robustness(case: Case, draws: int = 1000, seed: int = 0) -> Robustness:
    """Every draw evaluated at once by the array interpreter."""
    import numpy as np  # only when robustness is asked for

    from .engine.arrays import evaluate as evaluate_arrays
    from .engine.columns import FactTable

    plan: Plan = case.plan
    spreads = _spreads(plan)
    if spreads is None:
        return _undeclared(case.decision, seed)
    mults, shifts = draw_sequence(plan, draws, seed, *spreads)
    m, s = np.array(mults).reshape(draws, -1), np.array(shifts).reshape(draws, -1)
    params = Params()
    k = 0
    for ci, c in enumerate(plan.criteria):
        for fi, f in enumerate(c.factors):
            params.weights[(ci, fi)] = f.weight * m[:, k]
            k += 1
        params.shifts[ci] = s[:, ci]
    k = len(case.lines)  # every draw evaluates every line; the transfer takes the most severe
    table = FactTable.from_facts(case.lines, [case.as_of] * k).take(np.repeat(np.arange(k), draws))
    for key, x in list(params.weights.items()):
        params.weights[key] = np.tile(x, k)
    for ci, x in list(params.shifts.items()):
        params.shifts[ci] = np.tile(x, k)
    by_line = evaluate_arrays(plan, table, params).decision.reshape(k, draws)
    decisions = [DECISIONS[d] for d in by_line.max(axis=0)]
    return summarise(plan, case.decision, seed, spreads, mults, shifts, decisions)


def robustness_reference(case: Case, draws: int = 1000, seed: int = 0) -> Robustness:
    """The same draws, one at a time through the scalar interpreter (the definition the fast path
    must equal; slow)."""
    plan: Plan = case.plan
    spreads = _spreads(plan)
    if spreads is None:
        return _undeclared(case.decision, seed)
    mults, shifts = draw_sequence(plan, draws, seed, *spreads)
    decisions = []
    for m, s in zip(mults, shifts, strict=True):
        params = Params()
        k = 0
        for ci, c in enumerate(plan.criteria):
            for fi, f in enumerate(c.factors):
                params.weights[(ci, fi)] = f.weight * m[k]
                k += 1
            params.shifts[ci] = s[ci]
        line_decisions = [evaluate(plan, f, case.as_of, params).decision for f in case.lines]
        decisions.append(transfer_decision(line_decisions)[0])
    return summarise(plan, case.decision, seed, spreads, mults, shifts, decisions)


def _undeclared(decision: str, seed: int) -> Robustness:
    return Robustness(False, 0, seed, decision, 1.0, ((decision, 0),), (), None)


def summarise(
    plan: Plan,
    base: str,
    seed: int,
    spreads: tuple[float, float],
    mults: list[list[float]],
    shifts: list[list[float]],
    decisions: list[str],
) -> Robustness:
    """Share holding, decisions drawn, and each parameter's |correlation| with a flip of the decision."""
    counts = Counter(decisions)
    flips = [int(d != base) for d in decisions]
    columns = [list(col) for col in zip(*mults, strict=True)] + [
        list(col) for col in zip(*shifts, strict=True)
    ]
    influence = sorted(
        ((n, abs(_corr(col, flips))) for n, col in zip(plan.draw_names(), columns, strict=True)),
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
        *spreads,
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
