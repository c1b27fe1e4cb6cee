"""Facts of many cases as columns: the array interpreter's input (``arrays.py``).

A fact column is a list of distinct values plus an int32 code per row (-1: missing). Whatever the
engine computes per value (a condition leaf, a factor score) is computed once per *distinct value*
and gathered by code, with the same functions the scalar interpreter calls.

Contested evidence (several readings) is a value of its own, ``Contested((value, *alternatives))``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..facts import FIELDS, Fact, Facts


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
