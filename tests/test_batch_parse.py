"""The vectorised reading of a column equals ``columns.parse_value`` cell by cell.

``parse.parse_distinct`` vouches for the values a cast can read without doubt and hands the rest
to ``parse_value``; here both are given the same cells (text as in a CSV file, typed values as in
Parquet) and must give the same state, the same value (of the same type) and the same message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from riskcheck.batch.columns import COLUMNS, parse_value
from riskcheck.batch.parse import SMALL, parse_distinct

SPECS = [
    "application_id",
    "end_use",
    "date",
    "quantity",
    "value_eur",
    "country.pts",
    "country.hdi",
    "country.cpi",
    "prior_transfers.count_5y",
]

_digits = st.text("0123456789", min_size=1, max_size=18)
_number = st.builds(
    lambda sign, a, dot, b, exp: f"{sign}{a}{dot}{b}{exp}",
    st.sampled_from(["", "-", "+"]),
    _digits,
    st.sampled_from(["", "."]),
    st.text("0123456789", max_size=4),
    st.sampled_from(["", "e5", "E-3", "e400", "e+2"]),
)
_date = st.builds(
    lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
)
_cell = st.one_of(
    _number,
    _date,
    st.sampled_from(["", " ", "unknown", "UNKNOWN", "3|5", "2|x", "nan", "inf", "1_000", " 7 ", "0x10", "٣"]),
    st.text(max_size=12),
    st.builds(lambda pad, x: f"{pad}{x}{pad}", st.sampled_from([" ", "\t", "\u00a0", "\x1f"]), _number),
)


def _same(spec_name: str, cells: list[Any], typ: pa.DataType | None = None) -> None:
    spec = COLUMNS[spec_name]
    cells = (cells * (SMALL // max(len(cells), 1) + 1))[: max(SMALL, len(cells))]  # the vectorised path
    states, values, messages = parse_distinct(spec, pa.array(cells, typ))
    for i, cell in enumerate(cells):
        state, value, message = parse_value(spec, cell)
        got = (int(states[i]), values[i], messages.get(i))
        assert got == (state, value, message), (spec_name, cell)
        assert type(values[i]) is type(value), (spec_name, cell)


@settings(max_examples=150, deadline=None)
@given(st.lists(_cell, min_size=1, max_size=80))
def test_text_cells_read_the_same(cells: list[str]) -> None:
    for name in SPECS:
        _same(name, cells)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(10**13), 10**13), min_size=1, max_size=80))
def test_typed_whole_numbers_read_the_same(cells: list[int]) -> None:
    for name in ("quantity", "value_eur", "country.pts", "country.hdi"):
        _same(name, cells, pa.int64())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=80))
def test_typed_decimals_read_the_same(cells: list[float]) -> None:
    for name in ("value_eur", "country.hdi", "country.cpi"):
        _same(name, cells, pa.float64())


@settings(max_examples=30, deadline=None)
@given(st.lists(st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)), min_size=1, max_size=80))
def test_typed_dates_read_the_same(cells: list[dt.date]) -> None:
    _same("date", cells, pa.date32())


def test_cells_equal_in_python_are_read_apart() -> None:
    """A typed Parquet 1, 1.0 and True are equal to Python (and as dictionary keys): each keeps its
    own reading, whichever was read first."""
    for name in ("quantity", "country.pts", "prior_denials.identical_within_3y"):
        spec = COLUMNS[name]
        for x in (1, True, 1.0, True, 1):
            _, values, messages = parse_distinct(spec, pa.array([x]))
            assert (values[0], messages.get(0)) == parse_value(spec, x)[1:], (name, x)
            assert type(values[0]) is type(parse_value(spec, x)[1])
