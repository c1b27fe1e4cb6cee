"""tests/fixtures/rules/every-feature.yaml uses every feature of the rule format.

The equivalence tests run both interpreters under that rule set; they only prove as much as it
exercises. This walks the validated rule set and fails when a model field is never set in it, or a
choice of a Literal field (criterion kinds, missing-evidence policies, escalation outcomes, condition
operators ...) is never taken, so that a feature added to the format is added to the fixture too.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from riskcheck.loader import load_rules

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "rules" / "every-feature.yaml"
# Literal fields that are vocabularies (tags, control and argument codes), not behaviour: every
# field must be used, but not every word of these.
VOCABULARY_FIELDS = {"verification", "control", "argument"}


def _literal_choices(annotation: Any) -> tuple[Any, ...]:
    """The choices of a Literal field, looking through Optional, unions and Annotated."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        out: tuple[Any, ...] = ()
        for arg in typing.get_args(annotation):
            out += _literal_choices(arg)
        return out
    return ()


def _walk(obj: Any, fields_set: dict[type, set[str]], values: dict[tuple[type, str], set[Any]]) -> None:
    if isinstance(obj, BaseModel):
        cls = type(obj)
        fields_set.setdefault(cls, set()).update(obj.model_fields_set)
        for name, info in cls.model_fields.items():
            value = getattr(obj, name)
            if _literal_choices(info.annotation):
                values.setdefault((cls, name), set()).add(value)
            _walk(value, fields_set, values)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _walk(value, fields_set, values)
            if isinstance(key, BaseModel):  # pragma: no cover - no model keys in the format today
                _walk(key, fields_set, values)
    elif isinstance(obj, list | tuple):
        for value in obj:
            _walk(value, fields_set, values)


def _models(cls: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    """Every model class reachable from ``cls`` by its field types."""
    if cls in seen:
        return
    seen.add(cls)
    for info in cls.model_fields.values():
        stack = [info.annotation]
        while stack:
            t = stack.pop()
            if isinstance(t, type) and issubclass(t, BaseModel):
                _models(t, seen)
            stack += list(typing.get_args(t))


def test_every_field_and_choice_of_the_format_is_used() -> None:
    rules = load_rules(FIXTURE)
    fields_set: dict[type, set[str]] = {}
    values: dict[tuple[type, str], set[Any]] = {}
    _walk(rules.model, fields_set, values)
    reachable: set[type[BaseModel]] = set()
    _models(type(rules.model), reachable)
    unused = []
    for cls in sorted(reachable, key=lambda c: c.__name__):
        for name, info in cls.model_fields.items():
            if name not in fields_set.get(cls, set()):
                unused.append(f"{cls.__name__}.{info.alias or name}")
            choices = _literal_choices(info.annotation)
            missing = [c for c in choices if c not in values.get((cls, name), set())]
            if missing and cls in fields_set and name not in VOCABULARY_FIELDS:
                unused.append(f"{cls.__name__}.{info.alias or name} = {missing}")
    assert not unused, f"{FIXTURE.name} does not use: {unused}"
