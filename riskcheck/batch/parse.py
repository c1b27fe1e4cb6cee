"""A column's distinct values parsed at once: vectorised casts and comparisons where they can
vouch for the result, ``columns.parse_value`` for the rest.

``columns.parse_value`` is the definition of how a cell reads. The vectorised path takes only the
values whose reading is certain without it (plain ASCII text, whole numbers of at most 15 digits,
decimal numbers, ISO dates that survive a round trip, typed Parquet numbers and dates) and
gives the same state and value; any other value (``unknown``, contested readings, values out of
range, anything malformed or outside ASCII) goes to ``parse_value``, which writes the message.
tests/test_batch_parse.py checks that both paths agree on every value they are given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .columns import EMPTY, TEXT_MAX, VALUE, Spec, parse_value

SMALL = 64  # fewer distinct values than this: parse each in Python (cheaper than the casts)
_ASCII_TEXT = r"^[\x20-\x7e]*$"  # printable ASCII: stripping and NFC change nothing else
_WHOLE = r"^-?[0-9]{1,15}$"  # pyarrow reads no leading +: Python does those
_DECIMAL = r"^-?([0-9]{1,300}(\.[0-9]*)?|\.[0-9]{1,300})([eE][+-]?[0-9]{1,3})?$"
_DATE = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$"

Parsed = tuple[np.ndarray, list[Any], dict[int, str]]  # states, values, messages (by distinct value)
Fast = Callable[[Spec, pa.Array], tuple[np.ndarray, pa.Array]]  # vouched-for mask, values


def parse_distinct(spec: Spec, values: pa.Array) -> Parsed:
    """State, parsed value and message of each distinct raw value of a column."""
    n = len(values)
    states = np.full(n, EMPTY, dtype=np.int8)
    parsed: list[Any] = [None] * n
    messages: dict[int, str] = {}
    todo: list[int] = list(range(n))
    fast = _fast_path(spec, values) if n >= SMALL else None
    if fast is not None:
        ok, got = fast(spec, values)
        if ok.all():
            parsed = got.to_pylist()
        elif ok.any():
            vals = np.empty(n, dtype=object)
            vals[ok] = got.filter(pa.array(ok)).to_pylist()
            parsed = vals.tolist()
        states[ok] = VALUE
        states[ok & _mask(pc.is_null(got))] = EMPTY
        todo = np.flatnonzero(~ok).tolist()
    raw = values.to_pylist() if len(todo) > n // 2 else None
    for i in todo:
        x = raw[i] if raw is not None else values[i].as_py()
        state, val, msg = _parse_value(spec, x)
        states[i] = state
        parsed[i] = val
        if msg is not None:
            messages[i] = msg
    return states, parsed, messages


_MEMO: dict[tuple[str, type, Any], tuple[int, Any, str | None]] = {}  # the same cells recur chunk after chunk
MEMO_MAX = 200_000


def _parse_value(spec: Spec, raw: Any) -> tuple[int, Any, str | None]:
    """``parse_value``, remembered: a column of a thousand combinations of controls is read once,
    not once a chunk. Values are immutable (dates, numbers, text, frozensets, tuples)."""
    try:
        key = (spec.name, type(raw), raw)  # True, 1 and 1.0 are equal keys, but not one cell
        hit = _MEMO.get(key)
    except TypeError:  # a Parquet list (controls): not hashable
        return parse_value(spec, raw)
    if hit is None:
        if len(_MEMO) >= MEMO_MAX:
            _MEMO.clear()
        hit = _MEMO[key] = parse_value(spec, raw)
    return hit


def _fast_path(spec: Spec, values: pa.Array) -> Fast | None:
    t = values.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return _STRING.get(spec.kind)
    if spec.kind in ("int", "number") and pa.types.is_integer(t):
        return _typed_number
    if spec.kind == "number" and pa.types.is_floating(t):
        return _typed_number
    if spec.kind == "date" and pa.types.is_date(t):
        return _typed_date
    return None


def _matches(values: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(values, pattern), False)


def _in_range(spec: Spec, x: pa.Array) -> pa.Array:
    ok = pc.is_valid(x)
    if pa.types.is_floating(x.type):
        ok = pc.and_(ok, pc.is_finite(x))
    if spec.low is not None:
        ok = pc.and_(ok, pc.greater_equal(x, pa.scalar(spec.low, pa.float64())))
    if spec.high is not None:
        ok = pc.and_(ok, pc.less_equal(x, pa.scalar(spec.high, pa.float64())))
    return pc.fill_null(ok, False)


def _mask(a: pa.Array) -> np.ndarray:
    return np.asarray(a.to_numpy(zero_copy_only=False), dtype=bool)


def _text(spec: Spec, values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Plain ASCII text: stripped; empty is not recorded."""
    trimmed = pc.utf8_trim_whitespace(values)
    ok = pc.and_(_matches(values, _ASCII_TEXT), pc.less_equal(pc.utf8_length(trimmed), TEXT_MAX))
    empty = pc.equal(pc.utf8_length(trimmed), 0)
    return _mask(ok), pc.if_else(empty, pa.scalar(None, pa.string()), trimmed)


def _whole(spec: Spec, values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    trimmed = pc.utf8_trim_whitespace(values)
    shaped = _matches(trimmed, _WHOLE)
    x = pc.cast(pc.if_else(shaped, trimmed, "0"), pa.int64())
    return _mask(pc.and_(shaped, _in_range(spec, x))), x


def _decimal(spec: Spec, values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    trimmed = pc.utf8_trim_whitespace(values)
    shaped = _matches(trimmed, _DECIMAL)
    x = pc.cast(pc.if_else(shaped, trimmed, "0"), pa.float64())
    return _mask(pc.and_(shaped, _in_range(spec, x))), x


def _date(spec: Spec, values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    trimmed = pc.utf8_trim_whitespace(values)
    shaped = _matches(trimmed, _DATE)
    text = pc.if_else(shaped, trimmed, "2000-01-01")
    try:  # the cast refuses a day the month does not have, but for the whole column at once
        return _mask(shaped), pc.cast(text, pa.date32())
    except pa.ArrowInvalid:
        pass
    stamp = pc.strptime(text, "%Y-%m-%d", "s", error_is_null=True)
    # strptime rolls 2025-02-30 over to 2025-03-02: only a value that prints back as written is a date
    again = pc.strftime(stamp, "%Y-%m-%d")
    ok = pc.fill_null(pc.and_(shaped, pc.equal(again, trimmed)), False)
    return _mask(ok), pc.cast(stamp, pa.date32())


def _typed_number(spec: Spec, values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    x = pc.cast(values, pa.float64())
    ok = _in_range(spec, x)
    return _mask(ok), values if pa.types.is_integer(values.type) else x


def _typed_date(spec: Spec, values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    return _mask(pc.is_valid(values)), values


_STRING: dict[str, Fast] = {
    "id": _text,
    "text": _text,
    "int": _whole,
    "number": _decimal,
    "date": _date,
}
