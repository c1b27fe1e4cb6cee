"""The array interpreter: the same plan as ``scalar.py``, evaluated for n cases at once.

It computes the *outcome* part of each assessment (decision, refusal codes, each criterion's
inherent and residual risk and level, the number of missing-evidence items, the steps that decide
the outcome) over fact columns (``columns.py``). What each step calls for and the arithmetic are
``steps.py``'s, run with numpy's operations (``ARRAYS``); condition leaves and factor scores are
the scalar interpreter's own functions, run once per distinct value. Three-valued conditions are
pairs of masks (true, unknown) combined in Kleene's logic as in ``conditions.py``.

Tests hold the two interpreters equal on random facts, on every bundled rule set and on a rule set
that uses every feature of the format (tests/test_batch_vector.py, tests/test_batch_equivalence.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..conditions import Node
from .columns import Column, FactTable, as_fact
from .plan import CriterionPlan, Params, Plan, RulePlan
from .steps import (
    DECISIONS,
    LEVEL_OUTCOME,
    LEVELS,
    REQUIREMENT_CREDITS,
    SEVERITY,
    TRI,
    FactorReading,
    Ops,
    choose_weights,
    criterion_level,
    criterion_risk,
    deny_awaits_evidence,
    mitigation_reduction,
    residual_risk,
    score_fact,
    step_call,
)

ARRAYS = Ops(
    maximum=np.maximum,
    minimum=np.minimum,
    where=np.where,
    land=np.logical_and,
    lor=np.logical_or,
    lnot=np.logical_not,
    any=lambda a: bool(np.any(a)),
)
_NONE = -1  # no outcome called for
_DENY = SEVERITY["deny"]
_LEVEL_SEVERITY = np.array([SEVERITY.get(LEVEL_OUTCOME[lv] or "", _NONE) for lv in LEVELS], dtype=np.int8)


@dataclass(frozen=True, slots=True)
class Tri:
    """A condition's value per row: ``t`` true, ``u`` unknown; false where neither."""

    t: np.ndarray
    u: np.ndarray

    @property
    def f(self) -> np.ndarray:
        return ~(self.t | self.u)

    def mask(self, value: bool | None) -> np.ndarray:
        return self.t if value is True else self.u if value is None else self.f


@dataclass(frozen=True, slots=True)
class Slot:
    """One step's call per row, as the scalar interpreter's reasons: the outcome's severity (-1: none)
    and where the call gives the rule's refusal code."""

    rule_id: str
    severity: np.ndarray
    code: str | None
    gives_code: np.ndarray


@dataclass
class Outcome:
    """The outcome columns of n assessments (codes; see ``decisions()`` etc. for words)."""

    n: int
    decision: np.ndarray  # int8 index into DECISIONS
    criterion_ids: list[str]
    inherent: dict[str, np.ndarray]  # NaN where the criterion is not in effect
    residual: dict[str, np.ndarray]
    level: dict[str, np.ndarray]  # int8 index into LEVELS, -1 not in effect
    missing: np.ndarray  # int32: distinct missing-evidence items (len(Assessment.missing))
    slots: list[Slot]  # in the order the scalar interpreter's reasons arise
    refusal_code_names: tuple[str, ...]

    def decisions(self) -> np.ndarray:
        return np.array(DECISIONS, dtype=object)[self.decision]

    def levels(self, cid: str) -> np.ndarray:
        lv = self.level[cid]
        words = np.array((*LEVELS, None), dtype=object)
        return words[np.where(lv < 0, len(LEVELS), lv)]

    def refusal_codes(self, sep: str = ";") -> np.ndarray:
        """Sorted refusal codes per row, joined (empty unless the decision is deny or prohibited)."""
        names = list(self.refusal_code_names)
        matrix = np.zeros((self.n, len(names)), dtype=bool)
        pos = {c: i for i, c in enumerate(names)}
        for s in self.slots:
            if s.code is not None:
                matrix[:, pos[s.code]] |= s.gives_code
        return _join_patterns(matrix, names, sep)

    def reasons(self, sep: str = ";") -> np.ndarray:
        """Ids of the rules whose outcome is the decision, in the order of the scalar reasons."""
        names = [s.rule_id for s in self.slots]
        matrix = np.zeros((self.n, len(names)), dtype=bool)
        for i, s in enumerate(self.slots):
            matrix[:, i] = s.severity == self.decision
        return _join_patterns(matrix, names, sep)


def _join_patterns(matrix: np.ndarray, names: list[str], sep: str) -> np.ndarray:
    """Per row, the names whose column is set, joined: computed once per distinct pattern."""
    n, k = matrix.shape
    if k == 0 or n == 0:
        return np.full(n, "", dtype=object)
    if k <= 62:
        keys = matrix.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))
    else:
        packed = np.ascontiguousarray(np.packbits(matrix, axis=1))
        keys = packed.view(np.dtype((np.void, packed.shape[1])))[:, 0]
    _uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    words = np.array([sep.join(names[j] for j in np.flatnonzero(matrix[i])) for i in first], dtype=object)
    return words[inverse.reshape(-1)]


def _key(v: Any) -> tuple[bool, Any]:
    """A dictionary key that keeps True apart from 1 (as the score tables do)."""
    return (type(v) is bool, v)


def _tri_code(r: bool | None) -> int:
    return -1 if r is None else int(r)


class _Run:
    def __init__(self, plan: Plan, table: FactTable, params: Params | None):
        self.plan, self.table, self.params = plan, table, params or Params()
        self.n = table.n
        self.noted: dict[str, np.ndarray] = {}
        self.slots: list[Slot] = []
        self.leaf_memo: dict[Any, dict[Any, int]] = plan.memo.setdefault("leaves", {})
        self.score_memo: dict[Any, dict[Any, tuple[float, bool]]] = plan.memo.setdefault("scores", {})
        self.tri_cache: dict[tuple[str, str, str], Tri] = {}

    # --- conditions -------------------------------------------------------------------------

    def tri(self, node: Node) -> Tri:
        if node.kind == "leaf":
            assert node.key is not None and node.test is not None and node.field is not None
            hit = self.tri_cache.get(node.key)
            if hit is not None:
                return hit
            col = self.table.columns[node.field]
            memo = self.leaf_memo.setdefault(node.key, {})
            keys = [(type(v) is bool, v) for v in col.values]  # _key, inline: many distinct values
            found = [memo.get(k) for k in keys]
            for i, r in enumerate(found):
                if r is None:
                    found[i] = memo[keys[i]] = _tri_code(node.test(as_fact(col.values[i])))
            found.append(_tri_code(node.test(as_fact(None))))  # codes of -1 index the last entry
            lut = np.array(found, dtype=np.int8)
            codes = lut[col.codes]
            hit = self.tri_cache[node.key] = Tri(codes == 1, codes == -1)
            return hit
        parts = [self.tri(p) for p in node.parts]
        if node.kind == "not":
            return Tri(parts[0].f, parts[0].u)
        if node.kind == "all":
            any_f = np.zeros(self.n, dtype=bool)
            any_u = np.zeros(self.n, dtype=bool)
            all_t = np.ones(self.n, dtype=bool)
            for p in parts:
                any_f |= p.f
                any_u |= p.u
                all_t &= p.t
            return Tri(all_t, ~any_f & any_u)
        any_t = np.zeros(self.n, dtype=bool)
        any_u = np.zeros(self.n, dtype=bool)
        for p in parts:
            any_t |= p.t
            any_u |= p.u
        return Tri(any_t, ~any_t & any_u)

    def in_effect(self, spec: Any) -> np.ndarray | None:
        """Rows on whose date the element is in effect (None: all of them)."""
        if spec.effective_from is None and spec.effective_to is None:
            return None
        ok = np.ones(self.n, dtype=bool)
        if spec.effective_from is not None:
            ok &= self.table.as_of >= np.datetime64(spec.effective_from, "D")
        if spec.effective_to is not None:
            ok &= self.table.as_of <= np.datetime64(spec.effective_to, "D")
        return ok

    def note(self, fields: Sequence[str], where: np.ndarray) -> None:
        """Missing evidence used: one mask per field (the scalar interpreter's MissingUse)."""
        for f in fields:
            hit = where & (self.table.columns[f].codes < 0)
            prev = self.noted.get(f)
            self.noted[f] = hit if prev is None else (prev | hit)

    def slot(
        self,
        rule_id: str,
        kind: str,
        tri: Tri,
        eff: np.ndarray | None,
        declared: str | None,
        code: str | None,
        rebutted: np.ndarray | None = None,
    ) -> None:
        """The step's call per row, read from the outcome table in ``steps.py``."""
        sev = np.full(self.n, _NONE, dtype=np.int8)
        gives = np.zeros(self.n, dtype=bool)
        for value in TRI:
            mask = tri.mask(value) if eff is None else tri.mask(value) & eff
            variants = ((True, rebutted), (False, ~rebutted)) if rebutted is not None else ((None, None),)
            for reb, reb_mask in variants:
                call = step_call(kind, value if reb is None else (value, reb), declared)
                if call.outcome is None:
                    continue
                m = mask if reb_mask is None else mask & reb_mask
                sev[m] = SEVERITY[call.outcome]
                if call.code:
                    gives |= m
        self.slots.append(Slot(rule_id, sev, code, gives))

    # --- the steps, in the scalar interpreter's order ---------------------------------------------

    def run(self) -> Outcome:
        plan = self.plan
        for r in plan.prohibitions:
            self._rule(r)
        credited: dict[int, np.ndarray] = {}
        for i, m in enumerate(plan.mitigations):
            ok = self.tri(_has_control_node(m.spec.control)).t.copy()  # offered
            if m.requires is not None:
                req = self.tri(m.requires.node)
                ok &= np.logical_or.reduce([req.mask(x) for x in TRI if REQUIREMENT_CREDITS[x]])
            eff = self.in_effect(m.spec)
            credited[i] = ok if eff is None else ok & eff
        out: dict[str, dict[str, np.ndarray]] = {"inherent": {}, "residual": {}, "level": {}}
        for ci, cp in enumerate(plan.criteria):
            self._criterion(ci, cp, credited, out)
        for r in plan.presumptions:
            self._presumption(r)
        for r in plan.escalations:
            self._rule(r)
        decision = np.zeros(self.n, dtype=np.int8)
        for s in self.slots:
            np.maximum(decision, s.severity, out=decision)
        missing = np.zeros(self.n, dtype=np.int32)
        for mask in self.noted.values():
            missing += mask
        return Outcome(
            self.n,
            decision,
            [c.id for c in plan.criteria],
            out["inherent"],
            out["residual"],
            out["level"],
            missing,
            self.slots,
            plan.refusal_code_names,
        )

    def _rule(self, r: RulePlan) -> None:
        """A prohibition or an escalation."""
        eff = self.in_effect(r.spec)
        chk = self.tri(r.cond.node)
        self.note(r.cond.fields, chk.u if eff is None else chk.u & eff)
        self.slot(r.id, r.kind, chk, eff, r.declared, r.code)

    def _presumption(self, r: RulePlan) -> None:
        eff = self.in_effect(r.spec)
        chk = self.tri(r.cond.node)
        applies_or_unknown = chk.t | chk.u
        if eff is not None:
            applies_or_unknown &= eff
        rebutted = np.ones(self.n, dtype=bool)
        for item in r.items:
            ichk = self.tri(item.cond.node)
            rebutted &= ichk.t
            self.note(item.cond.fields, ichk.u & applies_or_unknown)
        self.note(r.cond.fields, chk.u if eff is None else chk.u & eff)
        self.slot(r.id, "presumption", chk, eff, r.declared, r.code, rebutted)

    def _factor_luts(self, fp: Any, col: Column) -> tuple[np.ndarray, np.ndarray]:
        """Score per distinct value and whether it counts as missing; the last entry is 'missing'."""
        memo = self.score_memo.setdefault(id(fp), {})
        scores = np.empty(len(col.values) + 1, dtype=np.float64)
        miss = np.zeros(len(col.values) + 1, dtype=bool)
        for i, value in enumerate(col.values):
            k = _key(value)
            hit = memo.get(k)
            if hit is None:
                fact = as_fact(value)
                score, status = score_fact(fp, fact.value, fact.alternatives)
                hit = memo[k] = (score, status == "missing")
            scores[i], miss[i] = hit
        scores[-1], miss[-1] = score_fact(fp, None)[0], True
        return scores, miss

    def _criterion(
        self,
        ci: int,
        cp: CriterionPlan,
        credited: dict[int, np.ndarray],
        out: dict[str, dict[str, np.ndarray]],
    ) -> None:
        params = self.params
        eff = self.in_effect(cp.spec)
        on = np.ones(self.n, dtype=bool) if eff is None else eff
        scores: list[np.ndarray] = []
        missing: list[np.ndarray] = []
        readings: list[FactorReading] = []
        # Grouping rows by what the arithmetic reads pays where it tries several readings (two or
        # more open choices); elsewhere the arithmetic costs less than finding the groups.
        choices = sum(bool(fp.outranked_by) + (fp.applies is not None) for fp in cp.factors)
        key = _Combinations(self.n) if choices >= 2 else None
        for fi, fp in enumerate(cp.factors):
            col = self.table.columns[fp.input]
            lut_s, lut_m = self._factor_luts(fp, col)
            if key is not None:  # the arithmetic reads a factor's score and gap, not its value
                pairs, pair_of = np.unique(lut_s + 1j * lut_m, return_inverse=True)
                key.add(pair_of.reshape(-1)[col.codes], len(pairs))
            scores.append(lut_s[col.codes])
            miss = lut_m[col.codes]
            missing.append(miss)
            applies = None
            needed = on
            if fp.applies is not None:
                chk = self.tri(fp.applies.node)
                self.note(fp.applies.fields, chk.u & on)
                applies = (chk.t, chk.u)
                needed = on & (chk.t | chk.u)  # where it does not apply, its gap is no gap
            self.note((fp.input,), miss & needed)
            if fp.missing_policy == "refer":
                sev = np.where(miss & needed, SEVERITY["refer"], _NONE).astype(np.int8)
                self.slots.append(Slot(fp.slot, sev, None, np.zeros(self.n, dtype=bool)))
            weight = params.weights.get((ci, fi), fp.weight)
            outranked: Any = False
            ob_missing: Any = False
            for f in fp.outranked_by:
                outranked = outranked | self.table.columns[f].plain()
                ob_missing = ob_missing | (self.table.columns[f].codes < 0)
            applies_gap: Any = False
            if applies is not None:
                fields_missing: Any = False
                for f in fp.applies.fields:  # type: ignore[union-attr]
                    fields_missing = fields_missing | (self.table.columns[f].codes < 0)
                applies_gap = applies[1] & fields_missing
            ob_gap = ~outranked & ob_missing if fp.outranked_by else False
            reading = FactorReading(weight, fp.outranked_weight, outranked, applies, ob_gap, applies_gap)
            readings.append(reading)
            if key is not None:
                key.add_flags(reading.outranked, reading.outranked_gap, reading.applies_gap, *(applies or ()))
                key.add_other(weight)
        amounts = [np.where(credited[mi], amount, 0.0) for mi, amount in cp.credits] if cp.mitigable else []
        reduction = mitigation_reduction(ARRAYS, amounts, cp.cap) if amounts else np.zeros(self.n)
        shift = params.shifts.get(ci)
        groups = None
        if key is not None:
            reductions, reduction_of = np.unique(reduction, return_inverse=True)  # few amounts, many controls
            key.add(reduction_of.reshape(-1), len(reductions))
            key.add_other(shift)
            groups = key.groups()
        if groups is None:  # nearly every row its own combination (or varied parameters): row by row
            inherent, residual, level = self._arithmetic(
                cp, readings, scores, missing, reduction, shift, self.n
            )
        else:
            first, inverse = groups
            cut = _cutter(first, self.n)
            sub = self._arithmetic(
                cp,
                [_cut_reading(r, cut) for r in readings],
                [x[first] for x in scores],
                [x[first] for x in missing],
                reduction[first],
                cut(shift),
                len(first),
            )
            inherent, residual, level = (x[inverse] for x in sub)
        sev = _LEVEL_SEVERITY[level]
        gives = level == LEVELS.index("deny")
        if eff is not None:
            level[~eff] = -1
            sev = np.where(eff, sev, _NONE).astype(np.int8)
            gives &= eff
            inherent = np.where(eff, inherent, np.nan)
            residual = np.where(eff, residual, np.nan)
        self.slots.append(Slot(cp.id, sev, cp.spec.refusal_code, gives))
        out["inherent"][cp.id], out["residual"][cp.id], out["level"][cp.id] = inherent, residual, level

    def _arithmetic(
        self,
        cp: CriterionPlan,
        readings: list[FactorReading],
        scores: list[np.ndarray],
        missing: list[np.ndarray],
        reduction: np.ndarray,
        shift: Any,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A criterion's inherent risk, residual risk and level over n rows (``steps.py``'s arithmetic)."""
        low, high = self.plan.score_min, self.plan.score_max
        weights, outranked_out = choose_weights(ARRAYS, readings, scores, cp.gap)
        inherent = criterion_risk(ARRAYS, weights, scores, outranked_out, cp.gap, low, high)[0]
        residual = residual_risk(ARRAYS, inherent, reduction, low) + 0.0
        at = (lambda x: x) if shift is None else (lambda x: x + shift)
        deny_at = None if cp.deny_at is None else at(cp.deny_at)
        awaiting: Any = np.zeros(n, dtype=bool)
        if deny_at is not None:
            awaiting = self._awaiting(cp, readings, scores, missing, reduction, residual, deny_at, n)
        level = np.asarray(
            criterion_level(
                ARRAYS,
                inherent,
                residual,
                reduction,
                at(cp.conditions_at),
                at(cp.refer_at),
                deny_at,
                awaiting,
            ),
            dtype=np.int8,
        )
        level = np.broadcast_to(level, (n,)).copy()
        inherent = np.broadcast_to(np.asarray(inherent, dtype=np.float64), (n,)) + 0.0
        residual = np.broadcast_to(np.asarray(residual, dtype=np.float64), (n,)) + 0.0
        return inherent, residual, level

    def _awaiting(
        self,
        cp: CriterionPlan,
        readings: list[FactorReading],
        scores: list[np.ndarray],
        missing: list[np.ndarray],
        reduction: np.ndarray,
        residual: np.ndarray,
        deny_at: Any,
        n: int,
    ) -> np.ndarray:
        """``steps.deny_awaits_evidence`` on the rows where it can matter (reaching denial with a gap):
        the favourable reading tries every reading of the open choices, so it runs on few rows."""
        gap: Any = False
        for m in missing:
            gap = gap | m
        for r in readings:
            gap = gap | r.outranked_gap | r.applies_gap
        rows = np.flatnonzero(np.broadcast_to((residual >= deny_at) & gap, (n,)))
        out = np.zeros(n, dtype=bool)
        if not len(rows):
            return out
        cut = _cutter(rows, n)
        sub = [_cut_reading(r, cut) for r in readings]
        low, high = self.plan.score_min, self.plan.score_max
        best = [fp.best for fp in cp.factors]
        out[rows] = deny_awaits_evidence(
            ARRAYS,
            sub,
            [cut(x) for x in scores],
            [cut(x) for x in missing],
            best,
            cp.gap,
            low,
            high,
            cut(reduction),
            cut(residual),
            cut(deny_at),
        )
        return out


def _cutter(rows: np.ndarray, n: int) -> Any:
    """Take ``rows`` of a per-row array; leave scalars (and anything else) as they are."""

    def cut(x: Any) -> Any:
        return x[rows] if isinstance(x, np.ndarray) and x.shape == (n,) else x

    return cut


def _cut_reading(r: FactorReading, cut: Any) -> FactorReading:
    return FactorReading(
        cut(r.weight),
        r.reduced,
        cut(r.outranked),
        None if r.applies is None else (cut(r.applies[0]), cut(r.applies[1])),
        cut(r.outranked_gap),
        cut(r.applies_gap),
    )


class _Combinations:
    """The distinct combinations of what a criterion's arithmetic reads (factor value codes and the
    masks of outranking, applicability and credited controls), so that the arithmetic runs once per
    combination and is gathered back: a register has far fewer combinations than rows. The key is
    mixed-radix in an int64, compressed to its distinct values whenever it would overflow."""

    LIMIT = 1 << 62

    def __init__(self, n: int):
        self.n = n
        self.key = np.zeros(n, dtype=np.int64)
        self.radix = 1  # the key's values lie in [0, radix)
        self.per_row = False  # a varied parameter: no two rows share their arithmetic

    def add(self, codes: np.ndarray, radix: int) -> None:
        if self.radix * radix >= self.LIMIT:
            uniq, inverse = np.unique(self.key, return_inverse=True)
            self.key, self.radix = inverse.reshape(-1).astype(np.int64), len(uniq)
        self.key = self.key * radix + codes
        self.radix *= radix

    def add_flags(self, *masks: Any) -> None:
        for m in masks:
            if isinstance(m, np.ndarray):
                self.add(m.astype(np.int64), 2)
            # a plain bool is the same for every row

    def add_other(self, x: Any) -> None:
        if isinstance(x, np.ndarray):
            self.per_row = True

    def groups(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(first row of each combination, each row's combination), or None where grouping would
        not pay (varied parameters, or more than half the rows distinct)."""
        if self.per_row or self.n < 64:
            return None
        uniq, first, inverse = np.unique(self.key, return_index=True, return_inverse=True)
        if 2 * len(uniq) > self.n:
            return None
        return first, inverse.reshape(-1)


_CONTROL_NODES: dict[str, Node] = {}


def _has_control_node(control: str) -> Node:
    """'transfer.controls has <control>' as a condition leaf (whether the control is offered)."""
    node = _CONTROL_NODES.get(control)
    if node is None:
        node = _CONTROL_NODES[control] = Node(
            "leaf",
            "transfer.controls",
            lambda fact: None if fact.value is None else control in fact.value,
            key=("transfer.controls", "offered", control),
        )
    return node


def evaluate(plan: Plan, table: FactTable, params: Params | None = None) -> Outcome:
    """The outcome of ``scalar.evaluate`` for every row of ``table``."""
    return _Run(plan, table, params).run()
