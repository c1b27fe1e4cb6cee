"""Truth tables for every condition operator and for three-valued all/any/not."""

from __future__ import annotations

import pytest

from riskcheck.conditions import compile_condition
from riskcheck.explain.words import condition_text
from riskcheck.facts import Fact
from riskcheck.rules_model import AllOf, AnyOf, Compare, NotOf

T, F, U = True, False, None


def fact(value, alternatives=()):
    return Fact(value, "known" if value is not None else "missing", alternatives=tuple(alternatives))


def ev(op, value, fact_value, alternatives=(), field="country.pts"):
    cond = Compare(field=field, op=op, value=value)
    return compile_condition(cond).evaluate({field: fact(fact_value, alternatives)})


# op, rule value, fact value, expected
SCALAR_TABLE = [
    ("eq", 3, 3, T),
    ("eq", 3, 4, F),
    ("eq", 3, None, U),
    ("ne", 3, 3, F),
    ("ne", 3, 4, T),
    ("ne", 3, None, U),
    ("lt", 3, 2, T),
    ("lt", 3, 3, F),
    ("lt", 3, 4, F),
    ("lt", 3, None, U),
    ("le", 3, 2, T),
    ("le", 3, 3, T),
    ("le", 3, 4, F),
    ("le", 3, None, U),
    ("gt", 3, 2, F),
    ("gt", 3, 3, F),
    ("gt", 3, 4, T),
    ("gt", 3, None, U),
    ("ge", 3, 2, F),
    ("ge", 3, 3, T),
    ("ge", 3, 4, T),
    ("ge", 3, None, U),
    ("in", [1, 3], 3, T),
    ("in", [1, 3], 2, F),
    ("in", [1, 3], None, U),
    ("not_in", [1, 3], 3, F),
    ("not_in", [1, 3], 2, T),
    ("not_in", [1, 3], None, U),
    ("known", None, 3, T),
    ("known", None, None, F),
    ("unknown", None, 3, F),
    ("unknown", None, None, T),
]


@pytest.mark.parametrize(("op", "value", "fact_value", "expected"), SCALAR_TABLE)
def test_scalar_operators(op, value, fact_value, expected):
    assert ev(op, value, fact_value) is expected


S = frozenset({"salw", "manpads"})
SET_TABLE = [
    ("has", "salw", S, T),
    ("has", "atgm", S, F),
    ("has", "salw", None, U),
    ("has_any", ["atgm", "salw"], S, T),
    ("has_any", ["atgm"], S, F),
    ("has_any", ["atgm"], None, U),
    ("has_all", ["salw", "manpads"], S, T),
    ("has_all", ["salw", "atgm"], S, F),
    ("has_all", ["salw"], None, U),
    ("has_none", ["atgm"], S, T),
    ("has_none", ["atgm", "salw"], S, F),
    ("has_none", ["atgm"], None, U),
    ("has", "salw", frozenset(), F),
    ("has_none", ["salw"], frozenset(), T),
]


@pytest.mark.parametrize(("op", "value", "fact_value", "expected"), SET_TABLE)
def test_set_operators(op, value, fact_value, expected):
    assert ev(op, value, fact_value, field="items.sensitivity") is expected


@pytest.mark.parametrize(
    ("fact_value", "alternatives", "expected"),
    [
        (4, [5], T),  # every reading is >= 4: the contest does not matter here
        (3, [4], U),  # readings disagree: unknown, never the favourable one
        (2, [1], F),
    ],
)
def test_contested_facts_are_unknown_when_readings_disagree(fact_value, alternatives, expected):
    assert ev("ge", 4, fact_value, alternatives) is expected


# Kleene's strong three-valued logic.
KLEENE = [(a, b) for a in (T, F, U) for b in (T, F, U)]


def _leaf(v):
    # a Compare on its own field whose fact makes it evaluate to v
    return v


def _tree(kind, a, b):
    fields = {"country.cpi": a, "country.hdi": b}
    leaves = [Compare(field=f, op="eq", value=1) for f in fields]
    cond = AllOf(all=leaves) if kind == "all" else AnyOf(any=leaves)
    facts = {f: fact(None if v is None else (1 if v else 0)) for f, v in fields.items()}
    return compile_condition(cond).evaluate(facts)


@pytest.mark.parametrize(("a", "b"), KLEENE)
def test_all_is_kleene_and(a, b):
    expected = F if F in (a, b) else (U if U in (a, b) else T)
    assert _tree("all", a, b) is expected


@pytest.mark.parametrize(("a", "b"), KLEENE)
def test_any_is_kleene_or(a, b):
    expected = T if T in (a, b) else (U if U in (a, b) else F)
    assert _tree("any", a, b) is expected


@pytest.mark.parametrize(("v", "expected"), [(T, F), (F, T), (U, U)])
def test_not(v, expected):
    cond = NotOf.model_validate({"not": {"field": "country.cpi", "op": "eq", "value": 1}})
    facts = {"country.cpi": fact(None if v is None else (1 if v else 0))}
    assert compile_condition(cond).evaluate(facts) is expected


def test_condition_text_reads_as_a_sentence():
    cond = AllOf(
        all=[
            Compare(field="items.sensitivity", op="has_any", value=["salw"]),
            AnyOf(
                any=[
                    Compare(field="recipient.country", op="in", value=["IRQ"]),
                    Compare(field="country.diversion_history", op="eq", value=True),
                ]
            ),
        ]
    )
    c = compile_condition(cond)
    assert condition_text(cond) == (
        "items.sensitivity includes any of [salw] and "
        "(recipient.country is one of [IRQ] or country.diversion_history is true)"
    )
    assert c.fields == ("items.sensitivity", "recipient.country", "country.diversion_history")
