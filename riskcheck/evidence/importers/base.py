"""What every importer returns, and the checks they share (year, edition, unmatched states)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import Diagnostic, InputError, Location
from ..tables import Table


@dataclass(frozen=True)
class Value:
    """One indicator value for one state, with the row it came from."""

    country: str  # ISO 3166-1 alpha-3
    indicator: str  # a key of vocabulary.COUNTRY_INDICATORS
    value: Any
    year: int  # the data year the value describes
    row: int  # the row number a spreadsheet shows
    cells: dict[str, Any]  # the cells of that row the value was read from
    note: str | None = None
    sheet: str | None = None
    date: dt.date | None = None  # the date the value holds on, when it is not a whole year

    @property
    def as_of(self) -> dt.date:
        return self.date or dt.date(self.year, 12, 31)  # yearly data describe the whole year


@dataclass
class Extract:
    """What one file holds for one year: values by state, and what was left out and why."""

    dataset: str  # the data set's name, as cited
    edition: str
    file: str
    sha256: str
    year: int
    values: list[Value] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # rows that are not states (named, with the reason)
    no_value: list[str] = field(default_factory=list)  # states in the file without a value for the year
    mapping: str = ""  # how the data set's scale becomes the indicator's, with its source
    # Values for states the file does not list (UCDP: no conflict), given only to states that have a
    # profile or are named with --countries.
    absent: dict[str, Any] = field(default_factory=dict)
    absent_note: str = ""

    def source_text(self, v: Value) -> str:
        where = f"{self.file}" + (f" sheet {v.sheet!r}" if v.sheet else "") + f" row {v.row}"
        return f"{self.dataset}, {self.edition} edition, {v.year} ({where})"


Options = dict[str, Any]


def edition_from(path: Path, pattern: str, given: str | None, example: str) -> str:
    """The edition: given with --edition, else read from the publisher's file name."""
    if given:
        return given
    m = re.search(pattern, path.name, flags=re.IGNORECASE)
    if m:
        return m.group(1)
    raise InputError(
        [
            Diagnostic(
                Location(str(path)),
                "RC608",
                f"cannot tell the edition from the file name {path.name!r} (the publisher names it like "
                f"{example!r}): give --edition",
            )
        ]
    )


def choose_year(table: Table, column: str, years: Iterable[int], requested: int | None) -> int:
    present = sorted(set(years))
    if not present:
        raise table.error("RC606", "the file holds no data rows", table.header_row + 1)
    if requested is None:
        return present[-1]
    if requested not in present:
        raise table.error(
            "RC607",
            f"no data for {requested} in column {column!r} (the file covers {present[0]}-{present[-1]})",
            table.header_row,
            column,
        )
    return requested


class Unmatched:
    """Rows whose state cannot be matched: reported all at once (RC605), or skipped when asked."""

    def __init__(self, table: Table, column: str, not_states: dict[str, str], skip: bool):
        self.table, self.column, self.not_states, self.skip = table, column, not_states, skip
        self.problems: list[Diagnostic] = []
        self.skipped: list[str] = []

    def note(self, row: int, name: str) -> None:
        reason = self.not_states.get(name)
        if reason is not None:
            self.skipped.append(f"row {row}: {name}: {reason}")
        elif self.skip:
            self.skipped.append(f"row {row}: {name}: matches no state (skipped with --skip-unmatched)")
        else:
            self.problems.append(
                Diagnostic(
                    self.table.where(row, self.column),
                    "RC605",
                    f"{name!r} matches no state in ISO 3166-1; nothing was imported "
                    "(--skip-unmatched imports the other rows and lists this one)",
                )
            )

    def check(self) -> None:
        if self.problems:
            raise InputError(self.problems)


Reader = Callable[[Path, Options], Extract]
