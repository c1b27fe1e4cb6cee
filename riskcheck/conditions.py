"""Condition trees compiled once into closures, evaluated in three-valued logic.

A comparison on missing evidence is *unknown* (None), not false: the engine
decides what unknown means at each step (a prohibition that cannot be excluded
refers the case; a rebuttal condition that is unknown is not demonstrated).
``all``/``any``/``not`` follow Kleene's strong logic:

    all: False if any False, else None if any None, else True
    any: True if any True, else None if any None, else False
    not: None stays None

A contested fact is evaluated on every competing reading; if the readings
disagree, the comparison is unknown.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .facts import Fact, Facts
from .rules_model import AllOf, AnyOf, Compare, NotOf

Tri = bool | None
Evaluator = Callable[[Facts], Tri]

_SCALAR: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "in": lambda x, vs: x in vs,
    "not_in": lambda x, vs: x not in vs,
    "has": lambda s, x: x in s,
    "has_any": lambda s, vs: any(x in s for x in vs),
    "has_all": lambda s, vs: all(x in s for x in vs),
    "has_none": lambda s, vs: not any(x in s for x in vs),
}

# Which operators make sense on which field kinds (checked in checks.py).
OPS_FOR_KIND = {
    "bool": {"eq", "ne", "known", "unknown"},
    "enum": {"eq", "ne", "in", "not_in", "known", "unknown"},
    "text": {"eq", "ne", "in", "not_in", "known", "unknown"},
    "int": {"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "known", "unknown"},
    "number": {"eq", "ne", "lt", "le", "gt", "ge", "known", "unknown"},
    "set": {"has", "has_any", "has_all", "has_none", "known", "unknown"},
}
LIST_OPS = {"in", "not_in", "has_any", "has_all", "has_none"}


@dataclass(frozen=True, slots=True)
class Node:
    """A compiled condition as a tree, for the array interpreter: ``leaf`` nodes test one fact
    (``test``), the others combine their ``parts`` in Kleene's logic. ``key`` identifies a leaf's
    comparison so that its result per distinct value is computed once."""

    kind: str  # leaf | all | any | not
    field: str | None = None
    test: Callable[[Fact], Tri] | None = None
    parts: tuple[Node, ...] = ()
    key: tuple[str, str, str] | None = None


@dataclass(frozen=True, slots=True)
class Compiled:
    evaluate: Evaluator
    fields: tuple[str, ...]
    node: Node


def _compare(c: Compare) -> Compiled:
    field, op = c.field, c.op
    expected: Any = c.value
    test: Callable[[Fact], Tri]
    if op == "known":
        test = lambda fact: fact.value is not None  # noqa: E731
    elif op == "unknown":
        test = lambda fact: fact.value is None  # noqa: E731
    else:
        scalar = _SCALAR[op]
        if op in LIST_OPS:
            expected = frozenset(expected) if isinstance(expected, list) else frozenset([expected])

        def test(fact: Fact) -> Tri:
            if fact.value is None:
                return None
            first = _safe(scalar, fact.value, expected)
            for alt in fact.alternatives:
                if _safe(scalar, alt, expected) != first:
                    return None
            return first

    node = Node("leaf", field, test, key=(field, op, repr(c.value)))
    return Compiled(lambda facts: test(facts[field]), (field,), node)


def _safe(test: Callable[[Any, Any], bool], value: Any, expected: Any) -> Tri:
    try:
        return bool(test(value, expected))
    except TypeError:  # a comparison the checks should have refused; never a crash
        return None


def compile_condition(cond: Any) -> Compiled:
    if isinstance(cond, Compare):
        return _compare(cond)
    if isinstance(cond, NotOf):
        inner = compile_condition(cond.not_)
        inner_eval = inner.evaluate

        def negate(facts: Facts) -> Tri:
            r = inner_eval(facts)
            return None if r is None else not r

        return Compiled(negate, inner.fields, Node("not", parts=(inner.node,)))
    if isinstance(cond, AllOf | AnyOf):
        parts = [compile_condition(p) for p in (cond.all if isinstance(cond, AllOf) else cond.any)]
        evals = [p.evaluate for p in parts]
        fields = tuple(dict.fromkeys(f for p in parts for f in p.fields))
        nodes = tuple(p.node for p in parts)
        if isinstance(cond, AllOf):
            return Compiled(lambda facts: _all(evals, facts), fields, Node("all", parts=nodes))
        return Compiled(lambda facts: _any(evals, facts), fields, Node("any", parts=nodes))
    raise TypeError(f"not a condition: {cond!r}")  # pragma: no cover


def _all(evals: list[Evaluator], facts: Facts) -> Tri:
    unknown = False
    for e in evals:
        r = e(facts)
        if r is False:
            return False
        if r is None:
            unknown = True
    return None if unknown else True


def _any(evals: list[Evaluator], facts: Facts) -> Tri:
    unknown = False
    for e in evals:
        r = e(facts)
        if r is True:
            return True
        if r is None:
            unknown = True
    return None if unknown else False


def walk_compares(cond: Any, path: tuple[str | int, ...]) -> list[tuple[Compare, tuple[str | int, ...]]]:
    """Every comparison in a condition tree with its path inside the file (for checks)."""
    if isinstance(cond, Compare):
        return [(cond, path)]
    if isinstance(cond, NotOf):
        return walk_compares(cond.not_, (*path, "not"))
    key = "all" if isinstance(cond, AllOf) else "any"
    parts = cond.all if isinstance(cond, AllOf) else cond.any
    out: list[tuple[Compare, tuple[str | int, ...]]] = []
    for i, p in enumerate(parts):
        out += walk_compares(p, (*path, key, i))
    return out
