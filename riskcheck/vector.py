"""The engine's decision semantics over arrays: many applications evaluated at once.

``engine.evaluate`` is the reference: it assesses one transfer and builds the full trace.
This module computes the *outcome* part of the same assessment for n transfers at a time
(decision, refusal codes, each criterion's inherent and residual risk and level, the number
of missing-evidence items, the reasons that decide the outcome) with numpy, and is tested
row for row against the engine (tests/test_batch_equivalence.py).

How it stays exact:

- A fact column is a list of distinct values plus an int32 code per row (-1: missing).
  Every comparison leaf and every factor scorer is the engine's own code (``compile_condition``
  on the leaf, ``CFactor.score_of``), run once per *distinct value* and then gathered by code.
  Band edges, table lookups (``True`` is not ``1``), type quirks: whatever the engine does.
- Three-valued conditions are pairs of masks (true, unknown); ``all``/``any``/``not`` follow
  Kleene's strong logic as in ``conditions.py``.
- Arithmetic repeats the engine's operations in the engine's order (``sum()`` as the running
  interpreter does it: a left fold before Python 3.12, Neumaier-compensated from 3.12), so
  residual risks are equal to the last bit, not merely close.

Contested evidence (several readings) is a value of its own, ``Contested((value, *alternatives))``:
the engine's leaf is run on the fact with its alternatives (unknown when the readings disagree),
a factor scores the worst reading, and a contested unit record does not outrank (as in
``engine._weights``).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .conditions import compile_condition
from .engine import CompiledRules
from .facts import FIELDS, Fact, Facts
from .rules_model import AllOf, AnyOf, Compare, NotOf
from .trace import DECISIONS, SEVERITY

LEVELS = ("acceptable", "conditions", "refer", "deny")  # level codes 0..3; -1: criterion not in effect
_APPROVE, _AWC, _REFER, _DENY, _PROHIBITED = (SEVERITY[d] for d in DECISIONS)
_NONE = -1
Scalar = float | np.ndarray


# --- fact columns -----------------------------------------------------------------------


def _key(v: Any) -> tuple[bool, Any]:
    """A dictionary key that keeps True apart from 1 (as the engine's score tables do)."""
    return (type(v) is bool, v)


class Contested(tuple):  # type: ignore[type-arg]
    """A contested value: its readings, the stated value first (``Fact.value``, ``*Fact.alternatives``)."""

    __slots__ = ()

    def fact(self) -> Fact:
        return Fact(self[0], "contested", alternatives=tuple(self[1:]))


def as_fact(v: Any) -> Fact:
    """A column value as the engine's fact (values only: no provenance)."""
    if v is None:
        return Fact(None, "missing")
    return v.fact() if isinstance(v, Contested) else Fact(v, "known")


def of_fact(f: Fact) -> Any:
    """The column value of an engine fact."""
    if f.value is not None and f.alternatives:
        return Contested((f.value, *f.alternatives))
    return f.value


@dataclass
class Column:
    """One field for n applications: ``values[codes[i]]``, or missing where ``codes[i] == -1``."""

    codes: np.ndarray
    values: list[Any]

    @classmethod
    def from_values(cls, seq: Sequence[Any]) -> Column:
        index: dict[tuple[bool, Any], int] = {}
        values: list[Any] = []
        codes = np.empty(len(seq), dtype=np.int32)
        for i, v in enumerate(seq):
            if v is None:
                codes[i] = -1
                continue
            k = _key(v)
            c = index.get(k)
            if c is None:
                c = index[k] = len(values)
                values.append(v)
            codes[i] = c
        return cls(codes, values)

    @classmethod
    def constant(cls, value: Any, n: int) -> Column:
        if value is None:
            return cls(np.full(n, -1, dtype=np.int32), [])
        return cls(np.zeros(n, dtype=np.int32), [value])

    @property
    def known(self) -> np.ndarray:
        return self.codes >= 0

    def plain(self) -> np.ndarray:
        """Rows with one established reading (known and not contested)."""
        lut = np.array([not isinstance(x, Contested) for x in self.values] + [False], dtype=bool)
        return lut[self.codes]

    def map(self, fn: Callable[[Any], Any]) -> Column:
        """The same rows with each distinct value transformed (``None`` results become missing)."""
        mapped = [fn(v) for v in self.values]
        if any(m is None for m in mapped):
            remap = np.array([-1 if m is None else i for i, m in enumerate(mapped)] + [-1], dtype=np.int32)
            return Column(remap[self.codes], [m if m is not None else 0 for m in mapped])
        return Column(self.codes, mapped)

    def where(self, mask: np.ndarray, other: Column) -> Column:
        """``other`` where ``mask`` holds, this column elsewhere."""
        shifted = np.where(other.codes >= 0, other.codes + len(self.values), -1).astype(np.int32)
        return Column(np.where(mask, shifted, self.codes).astype(np.int32), self.values + other.values)

    def take(self, rows: np.ndarray) -> Column:
        return Column(self.codes[rows], self.values)

    def value_at(self, i: int) -> Any:
        c = int(self.codes[i])
        return None if c < 0 else self.values[c]


@dataclass
class FactTable:
    """Facts of n applications: one Column per field in ``facts.FIELDS`` and the assessment dates."""

    n: int
    columns: dict[str, Column]
    as_of: np.ndarray  # datetime64[D], shape (n,)

    @classmethod
    def from_facts(cls, facts: Sequence[Facts], as_of: Sequence[dt.date]) -> FactTable:
        """A table from engine facts (``facts_for``), one row per transfer."""
        columns = {name: Column.from_values([of_fact(fs[name]) for fs in facts]) for name in FIELDS}
        return cls(len(facts), columns, np.array(as_of, dtype="datetime64[D]"))

    def take(self, rows: np.ndarray) -> FactTable:
        return FactTable(len(rows), {k: c.take(rows) for k, c in self.columns.items()}, self.as_of[rows])

    def facts_at(self, i: int) -> Facts:
        """Row i as engine facts (values only: provenance is not carried in a table)."""
        return {name: as_fact(col.value_at(i)) for name, col in self.columns.items()}


# --- three-valued masks ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tri:
    """A condition's value per row: ``t`` true, ``u`` unknown; false where neither."""

    t: np.ndarray
    u: np.ndarray

    @property
    def f(self) -> np.ndarray:
        return ~(self.t | self.u)


def _all(parts: list[Tri]) -> Tri:
    any_f = np.zeros_like(parts[0].t)
    any_u = np.zeros_like(parts[0].t)
    all_t = np.ones_like(parts[0].t)
    for p in parts:
        any_f |= p.f
        any_u |= p.u
        all_t &= p.t
    return Tri(all_t, ~any_f & any_u)


def _any(parts: list[Tri]) -> Tri:
    any_t = np.zeros_like(parts[0].t)
    any_u = np.zeros_like(parts[0].t)
    for p in parts:
        any_t |= p.t
        any_u |= p.u
    return Tri(any_t, ~any_t & any_u)


# --- compiling a rule set for arrays --------------------------------------------------------


@dataclass
class _Leaf:
    name: str  # the field read
    evaluate: Callable[[Facts], bool | None]
    memo: dict[tuple[bool, Any], int] = field(default_factory=dict)  # value -> 1 true, 0 false, -1 unknown
    missing: int = 0

    def lut(self, col: Column) -> np.ndarray:
        out = np.empty(len(col.values) + 1, dtype=np.int8)
        for i, v in enumerate(col.values):
            k = _key(v)
            r = self.memo.get(k)
            if r is None:
                r = self.memo[k] = _tri(self.evaluate({self.name: as_fact(v)}))
            out[i] = r
        out[-1] = self.missing  # codes of -1 index the last entry
        return out


def _tri(r: bool | None) -> int:
    return -1 if r is None else int(r)


@dataclass
class _Node:
    kind: str  # leaf | all | any | not
    leaf: _Leaf | None = None
    parts: tuple[_Node, ...] = ()


class _Compiler:
    def __init__(self) -> None:
        self.leaves: dict[tuple[str, str, str], _Leaf] = {}

    def node(self, cond: Any) -> _Node:
        if isinstance(cond, Compare):
            key = (cond.field, cond.op, repr(cond.value))
            leaf = self.leaves.get(key)
            if leaf is None:
                ev = compile_condition(cond).evaluate
                leaf = _Leaf(cond.field, ev, missing=_tri(ev({cond.field: Fact(None, "missing")})))
                self.leaves[key] = leaf
            return _Node("leaf", leaf)
        if isinstance(cond, NotOf):
            return _Node("not", parts=(self.node(cond.not_),))
        if isinstance(cond, AllOf):
            return _Node("all", parts=tuple(self.node(p) for p in cond.all))
        if isinstance(cond, AnyOf):
            return _Node("any", parts=tuple(self.node(p) for p in cond.any))
        raise TypeError(f"not a condition: {cond!r}")  # pragma: no cover


@dataclass
class _Factor:
    input: str
    weight: float
    ob_field: str | None
    ob_weight: float
    worst: float
    missing_score: float
    refers: bool  # missing policy 'refer'
    best: float  # the factor's most favourable score
    slot_id: str
    score_of: Callable[[Any], float | None]
    memo: dict[tuple[bool, Any], float] = field(default_factory=dict)

    def luts(self, col: Column) -> tuple[np.ndarray, np.ndarray]:
        """Score per distinct value (out of every band: the worst, and counted missing), then missing."""
        scores = np.empty(len(col.values) + 1, dtype=np.float64)
        miss = np.zeros(len(col.values) + 1, dtype=bool)
        for i, v in enumerate(col.values):
            k = _key(v)
            s = self.memo.get(k)
            if s is None:
                s = self.memo[k] = self._score(v)
            if np.isnan(s):
                scores[i], miss[i] = self.worst, True
            else:
                scores[i] = s
        scores[-1], miss[-1] = self.missing_score, True
        return scores, miss

    def _score(self, v: Any) -> float:
        """engine._score_factor for an established value: the worst of its readings; NaN when a
        reading falls outside every band or table row (then scored as missing)."""
        readings = v if isinstance(v, Contested) else (v,)
        scores = [self.score_of(r) for r in readings]
        known = [x for x in scores if x is not None]
        if len(known) < len(scores):
            return np.nan
        return float(max(known))


class VectorRules:
    """A compiled rule set prepared for arrays. Build once per CompiledRules (``vector_rules``)."""

    def __init__(self, cr: CompiledRules):
        self.cr = cr
        rs = cr.loaded.model
        self.policy = rs.policy
        comp = _Compiler()
        self.prohibitions = [(r, comp.node(r.spec.when)) for r in cr.prohibitions]
        self.presumptions = [
            (r, comp.node(r.spec.applies_when), [comp.node(item.when) for item, _, _ in r.extra])
            for r in cr.presumptions
        ]
        self.escalations = [(r, comp.node(r.spec.when)) for r in cr.escalations]
        self.mitigations = [
            (m, comp.node(m.requires) if m.requires is not None else None, comp.node(_has_control(m.control)))
            for m, _, _ in cr.mitigations
        ]
        self.criteria = []
        for cc in cr.criteria:
            c = cc.spec
            factors = [
                _Factor(
                    cf.spec.input,
                    cf.weight,
                    cf.spec.outranked_by.field if cf.spec.outranked_by else None,
                    float(cf.spec.outranked_by.weight) if cf.spec.outranked_by else 0.0,
                    cf.worst,
                    float(cf.spec.missing.score) if cf.spec.missing.policy == "assume" else cf.worst,  # type: ignore[arg-type]
                    cf.spec.missing.policy == "refer",
                    min(cf.scores),
                    f"{c.id}/{cf.spec.id}",
                    cf.score_of,
                )
                for cf in cc.factors
            ]
            self.criteria.append((cc, factors))
        self.criterion_ids = [cc.spec.id for cc in cr.criteria]
        codes = {r.spec.refusal_code for r in cr.prohibitions}
        codes |= {r.spec.refusal_code for r in cr.presumptions}
        codes |= {r.spec.refusal_code for r in cr.escalations if r.spec.refusal_code}
        codes |= {cc.spec.refusal_code for cc in cr.criteria}
        self.refusal_codes = sorted(codes)


def _has_control(control: str) -> Compare:
    return Compare(field="transfer.controls", op="has", value=control)


_VCACHE: dict[int, tuple[CompiledRules, VectorRules]] = {}


def vector_rules(cr: CompiledRules) -> VectorRules:
    hit = _VCACHE.get(id(cr))
    if hit is not None and hit[0] is cr:
        return hit[1]
    vr = VectorRules(cr)
    _VCACHE[id(cr)] = (cr, vr)
    return vr


# --- evaluating ---------------------------------------------------------------------------


def _pysum(terms: Sequence[Scalar]) -> Scalar:
    """``sum(terms)`` exactly as this interpreter computes it, elementwise over arrays."""
    if not terms:
        return 0.0
    f: Any = 0 + terms[0]
    if sys.version_info < (3, 12):
        for x in terms[1:]:
            f = f + x
        return f
    c: Any = 0.0  # CPython >= 3.12: Neumaier's compensated sum over float items
    for x in terms[1:]:
        t = f + x
        c = c + np.where(np.abs(f) >= np.abs(x), (f - t) + x, (x - t) + f)
        f = t
    return np.where((c != 0) & np.isfinite(c), f + c, f)


@dataclass
class Params:
    """Per-row variations for robustness draws: factor weights and threshold shifts by criterion."""

    weights: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    shifts: dict[int, np.ndarray] = field(default_factory=dict)


@dataclass
class Outcome:
    """The outcome columns of n assessments (codes; see ``decisions()`` etc. for words)."""

    n: int
    decision: np.ndarray  # int8 index into trace.DECISIONS
    criterion_ids: list[str]
    inherent: dict[str, np.ndarray]  # NaN where the criterion is not in effect
    residual: dict[str, np.ndarray]
    level: dict[str, np.ndarray]  # int8 index into LEVELS, -1 not in effect
    missing: np.ndarray  # int32: distinct missing-evidence items (len(Assessment.missing))
    slots: list[
        tuple[str, np.ndarray, str | None]
    ]  # reasons in the engine's order: id, outcome (-1 none), code
    refusal_code_names: list[str]

    def decisions(self) -> np.ndarray:
        return np.array(DECISIONS, dtype=object)[self.decision]

    def levels(self, cid: str) -> np.ndarray:
        lv = self.level[cid]
        words = np.array((*LEVELS, None), dtype=object)
        return words[np.where(lv < 0, len(LEVELS), lv)]

    def refusal_codes(self, sep: str = ";") -> np.ndarray:
        """Sorted refusal codes per row, joined (empty unless the decision is deny or prohibited)."""
        names = self.refusal_code_names
        matrix = np.zeros((self.n, len(names)), dtype=bool)
        pos = {c: i for i, c in enumerate(names)}
        for _, sev, code in self.slots:
            if code is not None:
                matrix[:, pos[code]] |= sev >= _DENY
        return _join_patterns(matrix, names, sep)

    def reasons(self, sep: str = ";") -> np.ndarray:
        """Ids of the rules whose outcome is the decision, in the engine's order of reasons."""
        names = [rid for rid, _, _ in self.slots]
        matrix = np.zeros((self.n, len(names)), dtype=bool)
        for i, (_, sev, _) in enumerate(self.slots):
            matrix[:, i] = sev == self.decision
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
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    words = np.array([sep.join(names[j] for j in np.flatnonzero(matrix[i])) for i in first], dtype=object)
    return words[inverse.reshape(-1)]


class _Eval:
    def __init__(self, vr: VectorRules, table: FactTable, params: Params | None):
        self.vr, self.table, self.params = vr, table, params or Params()
        self.n = table.n
        self.luts: dict[int, np.ndarray] = {}
        self.noted: dict[str, np.ndarray] = {}
        self.slots: list[tuple[str, np.ndarray, str | None]] = []

    # conditions
    def tri(self, node: _Node) -> Tri:
        if node.kind == "leaf":
            leaf = node.leaf
            assert leaf is not None
            col = self.table.columns[leaf.name]
            lut = self.luts.get(id(leaf))
            if lut is None:
                lut = self.luts[id(leaf)] = leaf.lut(col)
            r = lut[col.codes]
            return Tri(r == 1, r == -1)
        parts = [self.tri(p) for p in node.parts]
        if node.kind == "not":
            return Tri(parts[0].f, parts[0].u)
        return _all(parts) if node.kind == "all" else _any(parts)

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
        """Missing evidence used: the engine's used_missing, as one mask per field."""
        for f in fields:
            hit = where & (self.table.columns[f].codes < 0)
            prev = self.noted.get(f)
            self.noted[f] = hit if prev is None else (prev | hit)

    def slot(self, rule_id: str, sev: np.ndarray, code: str | None) -> None:
        self.slots.append((rule_id, sev, code))

    def run(self) -> Outcome:
        vr, n = self.vr, self.n
        pol = vr.policy
        every = np.ones(n, dtype=bool)

        # 1. Prohibitions.
        for r, node in vr.prohibitions:
            eff = self.in_effect(r.spec)
            chk = self.tri(node)
            t, u = (chk.t, chk.u) if eff is None else (chk.t & eff, chk.u & eff)
            sev = np.full(n, _NONE, dtype=np.int8)
            sev[t] = _PROHIBITED
            sev[u] = _REFER
            self.note(r.cond.fields, u)
            self.slot(r.spec.id, sev, r.spec.refusal_code)

        # Mitigations credited, per criterion, in the order of the rule set.
        credits: dict[str, list[tuple[float, np.ndarray]]] = {}
        for m, req, offered_node in vr.mitigations:
            eff = self.in_effect(m)
            ok = self.tri(offered_node).t
            if req is not None:
                ok = ok & self.tri(req).t
            if eff is not None:
                ok = ok & eff
            for cid, amount in m.reduces.items():
                credits.setdefault(cid, []).append((float(amount), ok))

        # 2-3. Factor scores, criterion risk, mitigation, thresholds.
        inherent_out: dict[str, np.ndarray] = {}
        residual_out: dict[str, np.ndarray] = {}
        level_out: dict[str, np.ndarray] = {}
        for ci, (cc, factors) in enumerate(vr.criteria):
            c = cc.spec
            eff = self.in_effect(c)
            on = every if eff is None else eff
            gap = float(c.floor_gap if c.floor_gap is not None else pol.floor_gap)
            scores, base_w, ob_known, pending = [], [], [], []
            for fi, fa in enumerate(factors):
                col = self.table.columns[fa.input]
                lut_s, lut_m = fa.luts(col)
                scores.append(lut_s[col.codes])
                miss = lut_m[col.codes]
                self.note((fa.input,), miss & on)
                if fa.refers:
                    sev = np.where(miss & on, _REFER, _NONE).astype(np.int8)
                    self.slot(fa.slot_id, sev, None)
                pending.append(miss if fa.refers else None)
                base_w.append(self.params.weights.get((ci, fi), fa.weight))
                ob_known.append(None if fa.ob_field is None else self.table.columns[fa.ob_field].plain())
            weights, outranked = self._weights(factors, scores, base_w, ob_known, gap)
            total = _pysum(weights)
            total = np.where(total == 0, 1.0, total)
            wmean = _pysum([w * s / total for w, s in zip(weights, scores, strict=True)])
            worst = _worst(scores, outranked)
            inherent = np.minimum(
                float(pol.score_max), _pymax3(np.asarray(wmean), worst - gap, float(pol.score_min))
            )
            mits = credits.get(c.id, []) if c.mitigable else []
            cap = float(c.max_mitigation) if c.mitigable else 0.0
            if mits:
                reduction = np.minimum(_pysum([np.where(ok, x, 0.0) for x, ok in mits]), cap)
            else:
                reduction = np.zeros(n)
            residual = np.maximum(float(pol.score_min), inherent - reduction) + 0.0
            th = cc.thresholds
            shift = self.params.shifts.get(ci)
            conditions_at = th.conditions if shift is None else th.conditions + shift
            refer_at = th.refer if shift is None else th.refer + shift
            level = np.where(
                residual >= refer_at,
                2,
                np.where((residual >= conditions_at) | ((inherent >= conditions_at) & (reduction > 0)), 1, 0),
            ).astype(np.int8)
            if th.deny is not None:
                deny_at = th.deny if shift is None else th.deny + shift
                denied = residual >= deny_at
                if any(p is not None for p in pending):
                    args = (factors, scores, weights, outranked, pending, gap, reduction, deny_at)
                    awaiting = denied & self._awaits_evidence(*args)
                    level[awaiting] = 2
                    denied &= ~awaiting
                level[denied] = 3
            sev = np.array([_NONE, _AWC, _REFER, _DENY], dtype=np.int8)[level]
            if eff is not None:
                level[~eff] = -1
                sev[~eff] = _NONE
                inherent = np.where(eff, inherent, np.nan)
                residual = np.where(eff, residual, np.nan)
            self.slot(c.id, sev, c.refusal_code)
            inherent_out[c.id], residual_out[c.id], level_out[c.id] = inherent + 0.0, residual, level

        # 4. Presumptions of denial.
        for r, node, items in vr.presumptions:
            p = r.spec
            eff = self.in_effect(p)
            chk = self.tri(node)
            applies_or_unknown = chk.t | chk.u
            if eff is not None:
                applies_or_unknown &= eff
            rebutted = np.ones(n, dtype=bool)
            for (_, cond, _), item in zip(r.extra, items, strict=True):
                ichk = self.tri(item)
                rebutted &= ichk.t
                self.note(cond.fields, ichk.u & applies_or_unknown)
            self.note(r.cond.fields, chk.u if eff is None else chk.u & eff)
            sev = np.full(n, _NONE, dtype=np.int8)
            sev[applies_or_unknown & ~rebutted] = _DENY
            sev[applies_or_unknown & rebutted] = SEVERITY[p.when_rebutted.minimum_outcome]
            # A rebutted presumption gives no refusal code: only 'deny' slots count for codes.
            self.slot(p.id, sev, p.refusal_code)

        # 5. Escalations.
        for r, node in vr.escalations:
            e = r.spec
            eff = self.in_effect(e)
            chk = self.tri(node)
            t, u = (chk.t, chk.u) if eff is None else (chk.t & eff, chk.u & eff)
            sev = np.full(n, _NONE, dtype=np.int8)
            sev[t] = SEVERITY[e.outcome]
            sev[u] = min(SEVERITY[e.outcome], _REFER)
            self.note(r.cond.fields, u)
            self.slot(e.id, sev, e.refusal_code)

        # 6. Decision: the most severe outcome any step calls for.
        decision = np.zeros(n, dtype=np.int8)
        for _, sev, _ in self.slots:
            np.maximum(decision, sev, out=decision)
        missing = np.zeros(n, dtype=np.int32)
        for mask in self.noted.values():
            missing += mask
        return Outcome(
            n,
            decision,
            vr.criterion_ids,
            inherent_out,
            residual_out,
            level_out,
            missing,
            self.slots,
            vr.refusal_codes,
        )

    def _awaits_evidence(
        self,
        factors: list[_Factor],
        scores: list[np.ndarray],
        weights: list[Scalar],
        outranked: list[np.ndarray | bool],
        pending: list[np.ndarray | None],
        gap: float,
        reduction: np.ndarray,
        deny_at: Scalar,
    ) -> np.ndarray:
        """engine._deny_awaits_evidence: a denial that rests on evidence missing under a 'refer' policy
        (scored at its worst) is a referral if the criterion stayed below denial were that evidence
        at its most favourable."""
        pol = self.vr.policy
        low, high = float(pol.score_min), float(pol.score_max)
        any_pending = np.zeros(self.n, dtype=bool)
        favourable_scores = []
        for fa, s, p in zip(factors, scores, pending, strict=True):
            if p is None:
                favourable_scores.append(s)
            else:
                any_pending |= p
                favourable_scores.append(np.where(p, fa.best, s))
        total = _pysum(weights)
        total = np.where(total == 0, 1.0, total)
        mean = _pysum([w * s for w, s in zip(weights, favourable_scores, strict=True)]) / total
        worst = _worst(favourable_scores, outranked)
        favourable = np.minimum(high, _pymax3(mean, worst - gap, low))
        return any_pending & (np.maximum(low, favourable - reduction) < deny_at)

    def _weights(
        self,
        factors: list[_Factor],
        scores: list[np.ndarray],
        base_w: list[Scalar],
        ob_known: list[np.ndarray | None],
        gap: float,
    ) -> tuple[list[Scalar], list[np.ndarray | bool]]:
        """engine._weights: an outranked factor counts with its reduced weight; where the unit record
        that would outrank it is missing, both readings are tried and the riskier kept."""
        known_w: list[Scalar] = []
        known_o: list[np.ndarray | bool] = []
        open_any = np.zeros(self.n, dtype=bool)
        for fa, w, ok in zip(factors, base_w, ob_known, strict=True):
            if ok is None:
                known_w.append(w)
                known_o.append(False)
            else:
                known_w.append(np.where(ok, fa.ob_weight, w))
                known_o.append(ok)
                open_any |= ~ok
        if not open_any.any():
            return known_w, known_o
        alt_w = [
            fa.ob_weight if ok is not None else w
            for fa, w, ok in zip(factors, known_w, ob_known, strict=True)
        ]
        alt_o = [True if ok is not None else o for o, ok in zip(known_o, ob_known, strict=True)]

        def inherent(ws: list[Scalar], os: list[np.ndarray | bool]) -> np.ndarray:
            total = _pysum(ws)
            total = np.where(total == 0, 1.0, total)
            mean = _pysum([w * s for w, s in zip(ws, scores, strict=True)]) / total
            return np.maximum(mean, _worst(scores, os) - gap)

        use_alt = open_any & (inherent(alt_w, alt_o) > inherent(known_w, known_o))
        weights: list[Scalar] = [np.where(use_alt, a, k) for a, k in zip(alt_w, known_w, strict=True)]
        outranked: list[np.ndarray | bool] = [
            np.where(use_alt, a, k) for a, k in zip(alt_o, known_o, strict=True)
        ]
        return weights, outranked


def _worst(scores: list[np.ndarray], outranked: list[np.ndarray | bool]) -> np.ndarray:
    """max(score of each factor not outranked), 0.0 when every factor is outranked."""
    worst = np.full(scores[0].shape, -np.inf)
    for s, o in zip(scores, outranked, strict=True):
        worst = np.maximum(worst, np.where(o, -np.inf, s))
    return np.where(np.isneginf(worst), 0.0, worst)


def _pymax3(a: np.ndarray, b: np.ndarray, c: float) -> np.ndarray:
    """Python's max(a, b, c): the first of the largest."""
    ab = np.where(b > a, b, a)
    return np.where(c > ab, c, ab)


def evaluate(cr: CompiledRules, table: FactTable, params: Params | None = None) -> Outcome:
    """The outcome of ``engine.evaluate`` for every row of ``table``."""
    return _Eval(vector_rules(cr), table, params).run()


# --- robustness draws -----------------------------------------------------------------------------


def robustness(ctx: Any, draws: int = 1000, seed: int = 0) -> Any:
    """``whatif.robustness`` with every draw evaluated at once: the same random sequence, the same
    decisions, counts and influence figures (tested equal), in a fraction of the time."""
    import random

    from .whatif import Robustness, summarise_draws

    pol = ctx.rules.model.policy
    base = ctx.base.decision
    if pol.robustness is None:
        return Robustness(False, 0, seed, base, 1.0, ((base, 0),), (), None)
    ws, ts = float(pol.robustness.weight_spread), float(pol.robustness.threshold_spread)
    rng = random.Random(seed)
    cr = ctx.compiled
    nf = sum(len(cc.factors) for cc in cr.criteria)
    nc = len(cr.criteria)
    mult = np.empty((draws, nf))
    shift = np.empty((draws, nc))
    uniform = rng.uniform
    for d in range(draws):  # the draws in whatif's order: per criterion its factors, then its shift
        k = 0
        for ci, cc in enumerate(cr.criteria):
            for _ in cc.factors:
                mult[d, k] = uniform(1 - ws, 1 + ws)
                k += 1
            shift[d, ci] = uniform(-ts, ts)
    params = Params()
    k = 0
    for ci, cc in enumerate(cr.criteria):
        for fi, cf in enumerate(cc.factors):
            params.weights[(ci, fi)] = cf.weight * mult[:, k]
            k += 1
        params.shifts[ci] = shift[:, ci]
    table = FactTable.from_facts([ctx.facts], [ctx.as_of]).take(np.zeros(draws, dtype=np.intp))
    decisions = [str(d) for d in evaluate(cr, table, params).decisions()]
    samples = np.hstack([mult, shift])
    return summarise_draws(
        ctx, seed, ws, ts, [samples[:, i].tolist() for i in range(samples.shape[1])], decisions
    )
