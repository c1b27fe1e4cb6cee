"""A chunk of the register validated, and its facts derived as ``facts.derive`` derives a scenario's.

One row per application and one item per row (an application with several items is a
scenario file). Values are parsed once per *distinct* value in a chunk and gathered back by
code, so a million rows cost a few thousand parses. A bad value makes its row invalid (reported
as ``register.csv:row 17: column country.pts: 7 is above the maximum 5``); the other rows are
scored. Row numbers are those a spreadsheet shows: the header is row 1, the first
application row 2 (Parquet files are numbered the same way, so a CSV and a Parquet copy of a
register report the same rows).

How a row becomes facts mirrors ``facts.derive`` on the equivalent scenario
(``scenario_for_row``), which the tests assess with the engine, row for row:

- ``country.*`` from the row, else from the row's ``profile`` (scenarios/profiles), else missing;
  ``unknown`` in the row overrides the profile with "not established".
- ``embargo.*`` and ``suspension.*``, per row (one item line), by ``facts.embargo_facts`` itself on
  each distinct combination of what the entries in play read (the date only by which entries are
  in force on it): the row's own check (UN, EU and OSCE all three or
  none, and ``embargo.national``), else the profile's embargo check, else the rule set's embargo
  reference data for the recipient, in force on the assessment date (dated: a re-assessment with
  ``--as-of`` sees an embargo that started since), with the row's item, end user, sanctions
  procedures and derogation conditions; else missing.
- ``conflicts.exporter_arms_other_side`` needs the conflict check and the prior-transfer
  record, as ``derive`` does: where the recipient is a party, it must be stated.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa

from .. import vocabulary as v
from ..engine.columns import Column, Contested, FactTable
from ..errors import InputError, display_path
from ..facts import CLEAN_PTS, FIELDS, LINKS, EmbargoCheck, embargo_facts, recipient_role
from ..loader import LoadedRules, load_profile
from ..scenario_model import DerogationConditions, Embargo, Profile, SanctionsProcedure
from .columns import (
    COLUMNS,
    CONTESTED,
    EMBARGO,
    EMPTY,
    ERROR,
    REQUIRED,
    UNKNOWN,
    UNKNOWN_VALUE,
    VALUE,
    RegisterProblem,
    Spec,
    _suggest,
    _Unknown,
    parse_conditions,
    parse_procedures,
    parse_value,
)
from .parse import parse_distinct
from .problems import Problems
from .read import (
    BEYOND_EXPORTS,
    RawChunk,
    count_rows,
    header_problems,
    iter_chunks,
    read_header,
    register_kind,
)

__all__ = [
    "COLUMNS",
    "REQUIRED",
    "ParsedChunk",
    "ProfileIndex",
    "RawChunk",
    "RegisterProblem",
    "SeenIds",
    "count_rows",
    "header_problems",
    "iter_chunks",
    "parse_chunk",
    "parse_value",
    "read_header",
    "register_kind",
    "scenario_for_row",
]

# --- one chunk, parsed and validated --------------------------------------------------------------


@dataclass
class ParsedColumn:
    state: np.ndarray  # int8 per row (EMPTY, VALUE, UNKNOWN, CONTESTED, ERROR)
    ucodes: np.ndarray  # int32 per row into the distinct values (-1 for null)
    uvalues: list[Any]  # parsed value per distinct raw value (tuple of readings if contested)
    ustates: np.ndarray | None = None  # state per distinct raw value, where known

    def column(self) -> Column:
        """The established values (one reading or contested) as a fact column, missing elsewhere.
        Only parsed values are kept, so scorers and conditions never see a placeholder."""
        if self.ustates is not None:
            keep = np.flatnonzero((self.ustates == VALUE) | (self.ustates == CONTESTED)).tolist()
        else:
            keep = [i for i, x in enumerate(self.uvalues) if x is not None and not isinstance(x, _Unknown)]
        established = (self.state == VALUE) | (self.state == CONTESTED)
        if len(keep) == len(self.uvalues):
            return Column(np.where(established, self.ucodes, -1).astype(np.int32), self.uvalues)
        remap = np.full(len(self.uvalues) + 1, -1, dtype=np.int32)
        remap[keep] = np.arange(len(keep), dtype=np.int32)
        codes = np.where(established, remap[self.ucodes], -1).astype(np.int32)
        return Column(codes, [self.uvalues[i] for i in keep])

    def value_at(self, i: int) -> Any:
        s = int(self.state[i])
        if s in (VALUE, CONTESTED):
            return self.uvalues[int(self.ucodes[i])]
        return UNKNOWN_VALUE if s == UNKNOWN else None


def _distinct(arr: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Codes (-1 for null) and the distinct raw values of one column."""
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):  # Parquet controls: no kernel
        index: dict[tuple[Any, ...], int] = {}
        codes = np.full(len(arr), -1, dtype=np.int32)
        for i, x in enumerate(arr.to_pylist()):
            if x is not None:
                codes[i] = index.setdefault(tuple(x), len(index))
        return codes, pa.array([list(k) for k in index], arr.type)
    enc = arr.dictionary_encode() if not pa.types.is_dictionary(arr.type) else arr
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, enc.dictionary


def read_cells(raw: RawChunk) -> RawChunk:
    """The chunk with every register column read (``parse_column``). The reading thread does this
    (see ``ahead``): most of it is Arrow work that runs beside the scoring of the chunk before."""
    for name, arr in raw.columns.items():
        if name in COLUMNS and name not in raw.cells:
            raw.cells[name] = parse_column(COLUMNS[name], _distinct(arr))
    return raw


def parse_column(spec: Spec, distinct: tuple[np.ndarray, pa.Array]) -> tuple[ParsedColumn, dict[int, str]]:
    """A column parsed once per distinct value; the messages of the distinct values that are errors."""
    codes, raw = distinct
    states, values, messages = parse_distinct(spec, raw)
    lut = np.append(states, np.int8(EMPTY))  # code -1 (a null cell) reads as empty
    return ParsedColumn(lut[codes], codes, values, states), messages


@dataclass
class ProfileIndex:
    """Recipient profiles by id, loaded on first use from one folder."""

    folder: Path
    _by_id: dict[str, tuple[Profile | None, str | None]] = field(default_factory=dict)
    _files: dict[str, Path] | None = None

    def get(self, pid: str) -> tuple[Profile | None, str | None]:
        hit = self._by_id.get(pid)
        if hit is not None:
            return hit
        path = self.folder / f"{pid}.yaml"
        if not path.is_file():
            path = self._scan().get(pid, path)
        if not path.is_file():
            known = sorted(self._scan())
            result: tuple[Profile | None, str | None] = (
                None,
                f"no profile {pid!r} in {display_path(self.folder)}{_suggest(pid, known)}",
            )
        else:
            try:
                profile, _ = load_profile(path)
                result = (
                    (profile, None)
                    if profile.id == pid
                    else (None, f"{display_path(path)} has id {profile.id!r}")
                )
            except InputError as e:
                result = (None, f"profile {pid!r} is invalid: {e.diagnostics[0]}")
        self._by_id[pid] = result
        return result

    def path_of(self, pid: str) -> Path:
        path = self.folder / f"{pid}.yaml"
        return path if path.is_file() else self._scan().get(pid, path)

    def _scan(self) -> dict[str, Path]:
        if self._files is None:
            self._files = {}
            for p in sorted(self.folder.glob("*.yaml")) if self.folder.is_dir() else []:
                try:
                    profile, _ = load_profile(p)
                except InputError:
                    continue
                self._files.setdefault(profile.id, p)
        return self._files


@dataclass
class ParsedChunk:
    """A chunk of the register, validated, with the facts that do not depend on the rule set."""

    n: int
    rows: np.ndarray
    cols: dict[str, ParsedColumn]
    invalid: np.ndarray  # rows not scored
    contested: np.ndarray  # rows with contested evidence (scored on the worst reading)
    problems: Problems
    dates: np.ndarray  # datetime64[D]: each row's own date
    base: dict[str, Column]  # every fact except embargo.* (which depend on rules and date)
    profiles: list[Profile | None]  # per distinct profile id of the chunk
    profile_codes: np.ndarray  # int32 per row into ``profiles`` (-1: none)
    emb_given: np.ndarray  # rows with an embargo check of their own
    blank: int = 0  # blank rows passed over (not applications)

    def ids(self) -> np.ndarray:
        col = self.cols["application_id"]
        return np.array(col.uvalues + [None], dtype=object)[col.ucodes]

    def record(self, i: int) -> dict[str, Any]:
        """Row i's parsed values by column (UNKNOWN_VALUE for 'unknown', tuples for contested)."""
        out = {}
        for name, col in self.cols.items():
            val = col.value_at(i)
            if val is not None:
                out[name] = val
        return out

    def facts(self, rules: LoadedRules, as_of: np.ndarray) -> FactTable:
        cols = dict(self.base)
        cols.update(self._embargoes(rules, as_of))
        return FactTable(self.n, cols, as_of)

    def _embargoes(self, rules: LoadedRules, as_of: np.ndarray) -> dict[str, Column]:
        """embargo.* and suspension.* as ``facts.embargo_facts`` finds them for the equivalent scenario,
        computed once per distinct combination of what the entries in play can turn on: rows are
        grouped by where their entries come from (the row's own check, a profile's, the reference
        data for the recipient); within a group only the inputs those entries read are compared, and
        the date only by which entries are in force on it."""
        n = self.n
        source = np.full(n, -1, dtype=np.int64)  # -1: the rule set's reference data
        source[self.emb_given] = -2  # the row's own check
        for pi, profile in enumerate(self.profiles):
            if profile is not None and profile.embargoes is not None:
                source[~self.emb_given & (self.profile_codes == pi)] = pi
        own = [self._codes(c) for c in (*EMBARGO, "embargo.national")]
        group_cols = [source, self.base["recipient.country"].codes, *own]
        groups, g_inv = np.unique(np.stack(group_cols, axis=1), axis=0, return_inverse=True)
        g_inv = g_inv.ravel()
        days = as_of.astype("datetime64[D]").astype(np.int64)
        inputs = {c: self._codes(c) for c in _EMBARGO_INPUTS if c not in own_names()}
        inputs["exporter.country"] = self.base["exporter.country"].codes
        inputs["end_user.type"] = self.base["end_user.type"].codes
        key = np.full((n, 2 + len(inputs)), -1, dtype=np.int64)
        key[:, 0] = g_inv
        first = _first_rows(g_inv, len(groups))
        for g in range(len(groups)):
            rows = g_inv == g
            entries = self._entries(rules, int(groups[g][0]), int(first[g]))
            if not entries:
                continue  # nothing in play: every row of the group reads the same
            bounds = np.array(
                sorted({_day(e.start) for e in entries} | {_day(e.end) + 1 for e in entries if e.end})
            )
            key[rows, 1] = np.searchsorted(bounds, days[rows], side="right")
            read = _inputs_read(entries)
            for j, (name, codes) in enumerate(inputs.items()):
                if name in read:
                    key[rows, 2 + j] = codes[rows]
        keys, inverse = np.unique(key, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        reps = _first_rows(inverse, len(keys))
        results = [self._embargo_facts(rules, int(source[i]), days[i], int(i)) for i in reps]
        out: dict[str, Column] = {}
        for name in _EMBARGO_FIELDS:
            values: list[Any] = [False, True] if FIELDS[name].kind == "bool" else list(FIELDS[name].values)
            lut = np.array([values.index(r[name]) if r.get(name) is not None else -1 for r in results] + [-1])
            out[name] = Column(lut[inverse].astype(np.int32), values)
        return out

    def _entries(self, rules: LoadedRules, source: int, row: int) -> list[Any]:
        """The embargo entries a row reads, by where they come from."""
        r = self.record(row)
        if source == -2:
            return _own_check(r)
        if source >= 0:
            profile = self.profiles[source]
            assert profile is not None and profile.embargoes is not None  # chosen so in _embargoes
            return list(profile.embargoes.in_force)
        if rules.embargoes is None:
            return []
        return [e for e in rules.embargoes.entries if e.country == r.get("recipient_country")]

    def _codes(self, name: str) -> np.ndarray:
        col = self.cols.get(name)
        if col is None:
            return np.full(self.n, -1, dtype=np.int32)
        return np.where(col.state == VALUE, col.ucodes, -1).astype(np.int32)

    def _embargo_facts(self, rules: LoadedRules, source: int, day_number: int, row: int) -> dict[str, Any]:
        """The embargo facts' values for the inputs ``row`` has (None: missing)."""
        r = self.record(row)
        if not all(c in r for c in ("recipient_country", "exporter_country", "end_user_type", "ml_category")):
            return {}  # the row is invalid and not scored
        day = np.datetime64(int(day_number), "D").astype(dt.date)
        if source == -2:
            check: EmbargoCheck | None = EmbargoCheck(tuple(_own_check(r)), "register", day, None)
        elif source >= 0:
            profile = self.profiles[source]
            assert profile is not None and profile.embargoes is not None  # chosen so in _embargoes
            own = profile.embargoes
            check = EmbargoCheck(tuple(own.in_force), own.source, own.as_of, None)
        elif rules.embargoes is not None:
            ref = rules.embargoes
            entries = tuple(e for e in ref.entries if e.country == r["recipient_country"])
            check = EmbargoCheck(entries, ref.title, ref.as_of, None)
        else:
            check = None
        try:
            transfer, item = _line_inputs(r)
        except ValueError:  # a faulty cell: the row is reported invalid and not scored
            return {}
        facts = embargo_facts(check, transfer, item, day)
        return {name: facts[name].value for name in _EMBARGO_FIELDS}


_EMBARGO_FIELDS = (
    "embargo.un",
    "embargo.eu",
    "embargo.osce",
    "embargo.national",
    "suspension.in_force",
    "suspension.criterion",
)
# The register's columns the embargo facts read (besides recipient, exporter and end-user type).
_EMBARGO_INPUTS = (
    *EMBARGO,
    "embargo.national",
    "end_user_name",
    "end_user_unit",
    "ml_category",
    "att_category",
    "capability",
    "item_model",
    "contract_date",
    "sanctions_procedures",
    "derogation_conditions",
)


def own_names() -> tuple[str, ...]:
    """The columns of a row's own embargo check (they choose the entries, not how they read)."""
    return (*EMBARGO, "embargo.national")


def _day(d: dt.date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def _inputs_read(entries: list[Any]) -> set[str]:
    """The register columns the reading of these entries can turn on (facts.read_embargo): the
    others are left out of the comparison, so rows differing only there are read once."""
    read = {"end_user.type"}
    derogations = [d for e in entries for d in e.derogations]
    if any(e.authority == "national" and e.imposed_by for e in entries):
        read.add("exporter.country")
    if any(e.scope == "named_forces" for e in entries) or any(d.named for d in derogations):
        read |= {"end_user_name", "end_user_unit"}
    scopes = [e.items for e in entries] + [d.items for d in derogations]
    if any(sc is not None and not sc.all for sc in scopes):
        read |= {"ml_category", "att_category", "capability", "item_model"}
    committee = set(v.PROCEDURE_CONDITIONS)
    if any(e.government_treatment.startswith("exempt_with") for e in entries) or any(
        set(d.requires) & committee for d in derogations
    ):
        read.add("sanctions_procedures")
    if any(set(d.requires) - committee for d in derogations):
        read.add("derogation_conditions")
    if any(e.contracts_before for e in entries):
        read.add("contract_date")
    return read


def _first_rows(inverse: np.ndarray, k: int) -> np.ndarray:
    """For each of k distinct keys, the first row that has it."""
    first = np.full(k, len(inverse), dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(len(inverse)))
    return first


def _own_check(r: dict[str, Any]) -> list[Embargo]:
    """A row's own embargo check as entries, as ``scenario_for_row`` writes them."""
    return [Embargo.model_validate(e) for e in _own_entries(r, "register")]


def _own_entries(r: dict[str, Any], source: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"register-{a.split('.')[1]}",
            "authority": "national" if a == "embargo.national" else a.split(".")[1].upper(),
            "legal_act": f"recorded in the {source}",
            "scope": "whole_state",
            "start": "1900-01-01",
            "source": source,
        }
        for a in (*EMBARGO, "embargo.national")
        if r.get(a)
    ]


def _line_inputs(r: dict[str, Any]) -> tuple[Any, Any]:
    """The transfer and item line of a row, as far as the embargo facts read them."""
    procedures = [
        SanctionsProcedure.model_validate({"embargo": e, "kind": k, "status": st})
        for e, k, st in parse_procedures(r.get("sanctions_procedures", ""))
    ]
    conditions = DerogationConditions(**parse_conditions(r.get("derogation_conditions", "")))
    transfer = SimpleNamespace(
        exporter=SimpleNamespace(country=r["exporter_country"]),
        end_user=SimpleNamespace(
            type=r["end_user_type"], name=r.get("end_user_name", ""), unit=r.get("end_user_unit")
        ),
        sanctions_procedures=procedures,
        derogation_conditions=conditions,
        contract_date=r.get("contract_date"),
    )
    item = SimpleNamespace(
        ml_category=r["ml_category"],
        att_category=r.get("att_category"),
        capability=r.get("capability"),
        model=r.get("item_model"),
        derogation_conditions=None,
    )
    return transfer, item


def _lut(col: Column, fn: Any) -> np.ndarray:
    """fn over each distinct value of a column, False for missing (index -1)."""
    return np.array([bool(fn(x)) for x in col.values] + [False], dtype=bool)


class SeenIds:
    """The application ids seen so far and the row of each, kept compactly (a 64-bit hash, the row
    and the id's text in an Arrow array: ~40 bytes an application) so that a register of millions
    stays small. A hash match is confirmed on the text, so two ids never pass for one."""

    def __init__(self) -> None:
        self.blocks: list[tuple[np.ndarray, np.ndarray, pa.Array]] = []  # sorted hashes, rows, ids

    @staticmethod
    def _hash(ids: list[str]) -> np.ndarray:
        return np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids))

    def lookup(self, ids: list[str], hashes: np.ndarray | None = None) -> np.ndarray:
        """The row where each id was first seen, -1 for new ones."""
        out = np.full(len(ids), -1, dtype=np.int64)
        if not ids or not self.blocks:
            return out
        h = self._hash(ids) if hashes is None else hashes
        for hashes, rows, stored in self.blocks:
            pos = np.searchsorted(hashes, h)
            cand = np.flatnonzero((pos < len(hashes)) & (hashes[np.minimum(pos, len(hashes) - 1)] == h))
            for k in cand:
                j = pos[k]
                while j < len(hashes) and hashes[j] == h[k]:
                    if stored[int(j)].as_py() == ids[k]:
                        out[k] = rows[j]
                        break
                    j += 1
        return out

    def first_rows(self, ids: list[str], rows: np.ndarray) -> np.ndarray:
        """The row where each (distinct) id was first seen: an earlier one, else ``rows``; the new
        ones are remembered."""
        h = self._hash(ids)
        earlier = self.lookup(ids, h)
        new = earlier < 0
        self.add([i for i, n in zip(ids, new, strict=True) if n] if not new.all() else ids, rows[new], h[new])
        return np.where(new, rows, earlier)

    def add(self, ids: list[str], rows: np.ndarray, hashes: np.ndarray | None = None) -> None:
        if not ids:
            return
        h = self._hash(ids) if hashes is None else hashes
        order = np.argsort(h, kind="stable")
        text = pa.array(ids, pa.large_string()).take(pa.array(order))
        self.blocks.append((h[order], np.asarray(rows, dtype=np.int64)[order], text))
        # Merge the newest blocks while the last is not much smaller than the one before: a lookup
        # searches few blocks (about log2 of the chunks), and each id is merged a few times in all,
        # not once per chunk (which made millions of rows quadratic).
        while len(self.blocks) > 1 and 2 * len(self.blocks[-1][0]) >= len(self.blocks[-2][0]):
            (h1, r1, t1), (h2, r2, t2) = self.blocks[-2], self.blocks[-1]
            hashes, rows_all = np.concatenate([h1, h2]), np.concatenate([r1, r2])
            order = np.argsort(hashes, kind="stable")
            merged = pa.concat_arrays([t1, t2]).take(pa.array(order))
            self.blocks[-2:] = [(hashes[order], rows_all[order], merged)]


def _drop_blank(
    raw: RawChunk, parsed: dict[str, tuple[ParsedColumn, dict[int, str]]]
) -> tuple[np.ndarray, np.ndarray | None]:
    """The rows that hold anything, and which those are (None: all). A row whose every register
    cell is empty (a spreadsheet's empty row saved as ``,,,,``) is not an application."""
    blank = np.ones(len(raw.rows), dtype=bool)
    for pc, _ in parsed.values():
        blank &= pc.state == EMPTY
    if raw.cell_problems:
        blank &= ~np.isin(raw.rows, [p.row for p in raw.cell_problems])
    if not blank.any():
        return raw.rows, None
    keep = ~blank
    return raw.rows[keep], keep


def _reported(problems: list[RegisterProblem], rows: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The reader's problems on cells of these rows, by column: which rows, and the message of
    each (rows are in ascending order, so each problem is found by bisection)."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    by_column: dict[str, list[RegisterProblem]] = {}
    for p in problems:
        by_column.setdefault(p.column, []).append(p)
    for column, found in by_column.items():
        at = np.searchsorted(rows, [p.row for p in found])
        hit = (at < len(rows)) & (rows[np.minimum(at, len(rows) - 1)] == [p.row for p in found])
        mask = np.zeros(len(rows), dtype=bool)
        mask[at[hit]] = True
        messages = np.empty(len(rows), dtype=object)
        messages[at[hit]] = [p.message for p, h in zip(found, hit, strict=True) if h]
        out[column] = (mask, messages)
    return out


def _duplicates(ids: ParsedColumn, rows: np.ndarray, seen_ids: SeenIds, flag: Any) -> None:
    """Flag an application id seen before (in this chunk or an earlier one). Ids are compared
    as read (stripped, Unicode NFC), so spellings of one reference are one application."""
    ok = np.flatnonzero(ids.state == VALUE)
    if not len(ok):
        return
    names: list[Any] = ids.uvalues
    codes = ids.ucodes[ok].astype(np.int64)
    distinct = set(names)
    distinct.discard(None)
    if len(distinct) < len(names) - names.count(None):  # two raw spellings read as one id
        canon = pa.array(names, pa.string()).dictionary_encode()
        names = canon.dictionary.to_pylist()
        codes = canon.indices.to_numpy(zero_copy_only=False).astype(np.int64)[codes]
    uniq, first = np.unique(codes, return_index=True)
    first_row = np.full(len(names), -1, dtype=np.int64)
    first_row[uniq] = seen_ids.first_rows(
        names if len(uniq) == len(names) else [names[u] for u in uniq], rows[ok[first]]
    )
    again = first_row[codes] != rows[ok]
    if again.any():
        msgs = np.empty(len(rows), dtype=object)
        for i, c in zip(ok[again], codes[again], strict=True):
            msgs[i] = f"application {names[c]!r} appears again (first at row {first_row[c]})"
        mask = np.zeros(len(rows), dtype=bool)
        mask[ok[again]] = True
        flag(mask, "application_id", msgs)


def parse_chunk(
    raw: RawChunk,
    path: str,
    profiles: ProfileIndex,
    seen_ids: SeenIds,
) -> ParsedChunk:
    """Validate a chunk and derive the facts every rule set shares. ``seen_ids`` carries the
    application ids of earlier chunks (duplicates are errors). Blank rows are left out."""
    parsed = read_cells(raw).cells
    rows, keep = _drop_blank(raw, parsed)
    n = len(rows)
    problems = Problems(rows, path, raw.skipped)
    invalid = np.zeros(n, dtype=bool)
    cols: dict[str, ParsedColumn] = {}

    def flag(mask: np.ndarray, column: str, message: str | np.ndarray) -> None:
        """``message``: one for all, or one per row of the chunk."""
        idx = np.flatnonzero(mask)
        if len(idx):
            invalid[idx] = True
            problems.add(idx, column, message if isinstance(message, str) else message[idx])

    reported = _reported(raw.cell_problems, rows)  # cells the reader found a problem in
    for column, (at, messages) in reported.items():  # an Excel formula with no saved value, ...
        flag(at, column, messages)
    for name, (pc, messages) in parsed.items():
        if keep is not None:
            pc = ParsedColumn(pc.state[keep], pc.ucodes[keep], pc.uvalues, pc.ustates)
        cols[name] = pc
        if messages:
            msg_lut = np.array([messages.get(i, "") for i in range(len(pc.uvalues))] + [""], dtype=object)
            flag(pc.state == ERROR, name, msg_lut[pc.ucodes])
        if COLUMNS[name].required:
            missing = pc.state == EMPTY
            if name in reported:  # no second message for a cell already reported
                missing &= ~reported[name][0]
            flag(missing, name, "a value is required")

    def col(name: str) -> ParsedColumn:
        hit = cols.get(name)
        if hit is None:  # an optional column the register does not have
            hit = cols[name] = ParsedColumn(np.zeros(n, np.int8), np.full(n, -1, np.int32), [])
        return hit

    _duplicates(col("application_id"), rows, seen_ids, flag)

    # Embargo checks: all three authorities or none.
    given = {a: col(a).state == VALUE for a in EMBARGO}
    some = given["embargo.un"] | given["embargo.eu"] | given["embargo.osce"]
    every = given["embargo.un"] & given["embargo.eu"] & given["embargo.osce"]
    for a in EMBARGO:
        others = " or ".join(x for x in EMBARGO if x != a)
        flag(
            some & ~given[a], a, f"required when {others} is given (an embargo check covers UN, EU and OSCE)"
        )

    # Sanctions procedures and derogation conditions: each distinct cell parsed once.
    for name, parse in (
        ("sanctions_procedures", parse_procedures),
        ("derogation_conditions", parse_conditions),
    ):
        pc = col(name)
        faults = {}
        for u, text in enumerate(pc.uvalues):
            if text is None:
                continue
            try:
                parse(text)
            except ValueError as e:
                faults[u] = str(e)
        if faults:
            lut = np.array([faults.get(u, "") for u in range(len(pc.uvalues))] + [""], dtype=object)
            flag((pc.state == VALUE) & (lut[pc.ucodes] != ""), name, lut[pc.ucodes])
    flag(
        (col("embargo.national").state == VALUE) & ~every,
        "embargo.national",
        "given only with embargo.un, embargo.eu and embargo.osce (the row's own check)",
    )

    # Profiles.
    pcol = col("profile")
    prof_list: list[Profile | None] = []
    prof_lut = np.full(len(pcol.uvalues) + 1, -1, dtype=np.int32)
    prof_err: dict[int, str] = {}
    recipient = col("recipient_country")
    for u, pid in enumerate(pcol.uvalues):
        if pid is None:
            continue
        profile, err = profiles.get(pid)
        if err is None and profile is not None and profile.kind != "state":
            err = f"profile {profile.id!r} is a {profile.kind} profile: {BEYOND_EXPORTS}"
        if err is not None:
            prof_err[u] = err
            continue
        prof_lut[u] = len(prof_list)
        prof_list.append(profile)
    prof_codes = np.where(pcol.state == VALUE, prof_lut[pcol.ucodes], -1).astype(np.int32)
    if prof_err:
        msgs = np.array([prof_err.get(u, "") for u in range(len(pcol.uvalues))] + [""], dtype=object)
        flag((pcol.state == VALUE) & (prof_codes < 0), "profile", msgs[pcol.ucodes])
    if prof_list:
        pcountry = np.array([p.country for p in prof_list if p is not None] + [""], dtype=object)
        rvals = np.array(recipient.uvalues + [None], dtype=object)[recipient.ucodes]
        wrong = (prof_codes >= 0) & (recipient.state == VALUE) & (pcountry[prof_codes] != rvals)
        if wrong.any():
            msgs = np.empty(n, dtype=object)
            for i in np.flatnonzero(wrong):
                p = prof_list[prof_codes[i]]
                msgs[i] = f"profile {p.id!r} describes {p.country}, but recipient_country is {rvals[i]}"  # type: ignore[union-attr]
            flag(wrong, "profile", msgs)

    # Facts shared by every rule set.
    contested = np.zeros(n, dtype=bool)
    base: dict[str, Column] = {}
    for key in v.COUNTRY_INDICATORS:
        name = f"country.{key}"
        pc = col(name)
        fact = pc.column()
        stated = (pc.state == VALUE) | (pc.state == UNKNOWN) | (pc.state == CONTESTED)
        contested |= pc.state == CONTESTED
        if prof_list:
            vals: list[Any] = []
            alts: list[bool] = []
            for p in prof_list:
                ind = getattr(p.indicators, key) if p is not None else None
                if ind is None or ind.value is None:
                    vals.append(None)
                elif ind.alternatives:
                    vals.append(Contested((ind.value, *ind.alternatives)))
                else:
                    vals.append(ind.value)
                alts.append(bool(ind is not None and ind.alternatives))
            pcol_f = Column.from_values(vals)
            uc = np.append(pcol_f.codes, -1)[prof_codes]
            fact = fact.where(~stated & (prof_codes >= 0), Column(uc.astype(np.int32), pcol_f.values))
            alt_lut = np.array(alts + [False], dtype=bool)
            contested |= ~stated & alt_lut[prof_codes]
        base[name] = fact
    for key in v.UNIT_INDICATORS:
        pc = col(f"unit.{key}")
        contested |= pc.state == CONTESTED
        base[f"unit.{key}"] = pc.column()

    base["recipient.country"] = recipient.column()
    base["exporter.country"] = col("exporter_country").column()
    base["end_user.type"] = col("end_user_type").column()
    base["end_user.unit_named"] = Column(
        (col("end_user_unit").state == VALUE).astype(np.int32), [False, True]
    )
    base["transfer.channel"] = col("channel").column()
    controls = col("controls")
    ctl = controls.column()
    base["transfer.controls"] = Column(
        np.where(controls.state == VALUE, ctl.codes, len(ctl.values)).astype(np.int32),
        [*ctl.values, frozenset()],
    )
    sens = col("sensitivity").column()
    base["items.sensitivity"] = sens.map(lambda s: frozenset([s]))
    base["items.ml_category"] = col("ml_category").column().map(lambda s: frozenset([s]))
    base["items.att_category"] = col("att_category").column().map(lambda s: frozenset([s]))
    base["items.max_service_life_years"] = sens.map(lambda s: v.SENSITIVITY[s].service_life_years)
    base["items.portable"] = sens.map(lambda s: v.SENSITIVITY[s].portable)
    base["items.total_quantity"] = col("quantity").column()
    base["items.total_value_eur"] = col("value_eur").column()
    base["prior_denials.identical_within_3y"] = col("prior_denials.identical_within_3y").column()
    count = col("prior_transfers.count_5y")
    base["prior_transfers.count_5y"] = count.column()

    # Conflicts: the row's check, else the profile's.
    rp_col = col("conflicts.recipient_party").column()
    if prof_list:
        party = []
        for p in prof_list:
            party.append(
                None if p is None or p.conflicts is None else any(p.country in c.parties for c in p.conflicts)
            )
        pparty = Column.from_values(party)
        uc = np.append(pparty.codes, -1)[prof_codes].astype(np.int32)
        rp_col = rp_col.where(~rp_col.known & (prof_codes >= 0), Column(uc, pparty.values))
    base["conflicts.recipient_party"] = rp_col
    rp = np.array([int(bool(x)) for x in rp_col.values] + [-1], dtype=np.int8)[rp_col.codes]
    aos = col("conflicts.exporter_arms_other_side")
    aos_given = aos.state == VALUE
    aos_val = np.array([bool(x) for x in aos.uvalues] + [False], dtype=bool)[aos.ucodes] & aos_given
    counted = count.state == VALUE
    name = "conflicts.exporter_arms_other_side"
    flag(aos_given & (rp < 0), name, "needs conflicts.recipient_party (or a profile with conflicts)")
    flag(
        aos_given & (rp >= 0) & ~counted,
        name,
        "needs prior_transfers.count_5y: whom the exporter armed is read from its prior transfers",
    )
    flag(aos_val & (rp == 0) & counted, name, "is true, but the recipient is not a party to any conflict")
    flag(
        ~aos_given & (rp == 1) & counted,
        name,
        "required when the recipient is a party to a conflict and prior_transfers.count_5y is given",
    )
    aos_codes = np.full(n, -1, dtype=np.int32)
    aos_codes[(rp == 0) & counted] = 0
    aos_codes[(rp == 1) & counted & aos_given] = aos_val[(rp == 1) & counted & aos_given].astype(np.int32)
    base[name] = Column(aos_codes, [False, True])

    _international(base, col, rp_col, aos_val, prof_list, prof_codes, flag)
    # A register lists exports to states: no recipient of another kind, no holder (see BEYOND_EXPORTS).
    base["recipient.kind"] = Column.constant("state", n)
    base["transfer.kind"] = Column.constant("export", n)
    for key in v.RECIPIENT_INDICATORS:
        base[f"recipient.{key}"] = Column(np.full(n, -1, np.int32), [])
    base["holder.record"] = Column(np.full(n, -1, np.int32), [])
    _roles(base, col, rp_col, prof_list, prof_codes, flag)
    _links(base, col, prof_list, prof_codes)
    _control_record(base, col, flag)

    missing_fields = set(FIELDS) - set(base) - set(_EMBARGO_FIELDS)
    assert not missing_fields, missing_fields  # every field the rules may read has a column

    date_col = col("date")
    dvals = np.array([*date_col.uvalues, None], dtype="datetime64[D]")
    dates = np.where(date_col.state == VALUE, dvals[date_col.ucodes], np.datetime64("1970-01-01"))
    return ParsedChunk(
        n=n,
        rows=rows,
        cols=cols,
        invalid=invalid,
        contested=contested & ~invalid,
        problems=problems,
        dates=dates.astype("datetime64[D]"),
        base=base,
        profiles=prof_list,
        profile_codes=prof_codes,
        emb_given=every,
        blank=raw.blank + len(raw.rows) - n,
    )


def _international(
    base: dict[str, Column],
    col: Any,
    party: Column,
    aos_val: np.ndarray,
    prof_list: list[Profile | None],
    prof_codes: np.ndarray,
    flag: Any,
) -> None:
    """conflicts.recipient_international as ``facts.derive`` reads it from the conflicts the row or
    the profile records: false where the recipient is in no conflict; where the row records it a
    party, the row's column, else true (a conflict a register records is one between states, as in
    the scenario the row stands for); else the profile's conflicts; missing with no conflict check."""
    name = "conflicts.recipient_international"
    given = col(name)
    row_party = col("conflicts.recipient_party")
    by_row = row_party.state == VALUE
    party_true = np.array([x is True for x in row_party.uvalues] + [False], dtype=bool)[row_party.ucodes]
    says = np.array([x is True for x in given.uvalues] + [False], dtype=bool)[given.ucodes]
    stated = given.state == VALUE
    flag(stated & ~by_row, name, "needs conflicts.recipient_party: it is read with the conflict check")
    flag(stated & by_row & ~party_true & says, name, "is true, but conflicts.recipient_party is false")
    flag(
        stated & party_true & ~says & aos_val,
        "conflicts.exporter_arms_other_side",
        "is true, but the conflict is internal (conflicts.recipient_international false): the other side is "
        "not a state",
    )
    codes = np.full(len(by_row), -1, dtype=np.int32)
    codes[by_row & ~party_true] = 0
    codes[party_true] = np.where(stated[party_true] & ~says[party_true], 0, 1)
    out = Column(codes, [False, True])
    if prof_list:
        intl = [
            None
            if p is None or p.conflicts is None
            else any(not c.internal and p.country in c.parties for c in p.conflicts)
            for p in prof_list
        ]
        pint = Column.from_values(intl)
        uc = np.append(pint.codes, -1)[prof_codes].astype(np.int32)
        out = out.where(~by_row & (prof_codes >= 0), Column(uc, pint.values))
    base[name] = out


def _roles(
    base: dict[str, Column],
    col: Any,
    party: Column,
    prof_list: list[Profile | None],
    prof_codes: np.ndarray,
    flag: Any,
) -> None:
    """conflicts.recipient_role as ``facts.recipient_role`` reads it: 'none' where the recipient is in no
    conflict; the row's role where the row records the conflict check, else the profile's; missing
    where the recipient is a party and no role is recorded."""
    name = "conflicts.recipient_role"
    role = col(name)
    row_party = col("conflicts.recipient_party")
    given = role.state == VALUE
    says_none = np.array([x == "none" for x in role.uvalues] + [False], dtype=bool)[role.ucodes]
    by_row = row_party.state == VALUE
    party_true = np.array([x is True for x in row_party.uvalues] + [False], dtype=bool)[row_party.ucodes]
    flag(given & ~by_row, name, "needs conflicts.recipient_party: a role is read with the conflict check")
    flag(given & by_row & ~party_true & ~says_none, name, "is given, but conflicts.recipient_party is false")
    flag(given & party_true & says_none, name, "is none, but conflicts.recipient_party is true")
    out = role.column()
    if prof_list:
        roles = [
            None if p is None or p.conflicts is None else recipient_role(p.conflicts, p.country, None).value
            for p in prof_list
        ]
        prole = Column.from_values(roles)
        uc = np.append(prole.codes, -1)[prof_codes].astype(np.int32)
        out = out.where(~by_row & (prof_codes >= 0), Column(uc, prole.values))
    not_party = np.array([x is False for x in party.values] + [False], dtype=bool)[party.codes]
    base[name] = out.where(not_party, Column.constant("none", len(not_party)))


def _links(
    base: dict[str, Column], col: Any, prof_list: list[Profile | None], prof_codes: np.ndarray
) -> None:
    """item.capability, and the links of the line to the documented patterns as ``facts._link``
    reads them: the row's pattern (else the profile's) names the kinds of items used; with none
    recorded, a country with no record to link to reads 'no_pattern', any other is unknown."""
    cap = col("capability").column()
    base["item.capability"] = cap
    ihl = base["country.ihl_violations_credible"]
    pts = base["country.pts"]
    clean = {
        "ihl": _lut(ihl, lambda x: x is False)[ihl.codes],
        "repression": _lut(pts, lambda x: not isinstance(x, Contested) and x <= CLEAN_PTS)[pts.codes],
    }
    for which, field_name in (("ihl", "item.ihl_pattern_link"), ("repression", "item.repression_link")):
        pattern = col(f"patterns.{which}").column().map(lambda kinds: kinds or None)  # ';' names none
        if prof_list:
            caps = []
            for p in prof_list:
                found = getattr(p.patterns, which) if p is not None and p.patterns is not None else None
                caps.append(None if found is None else frozenset(found.capabilities))
            pp = Column.from_values(caps)
            uc = np.append(pp.codes, -1)[prof_codes].astype(np.int32)
            pattern = pattern.where(~pattern.known & (prof_codes >= 0), Column(uc, pp.values))
        member = np.zeros((len(pattern.values) + 1, len(cap.values) + 1), dtype=bool)
        for i, kinds in enumerate(pattern.values):
            for j, c in enumerate(cap.values):
                member[i, j] = isinstance(kinds, frozenset) and c in kinds  # map leaves 0 where none
        has_cap, has_pattern = cap.codes >= 0, pattern.codes >= 0
        codes = np.full(len(cap.codes), -1, dtype=np.int32)
        codes[has_cap & has_pattern] = np.where(member[pattern.codes, cap.codes], 0, 1)[has_cap & has_pattern]
        codes[has_cap & ~has_pattern & clean[which]] = 2
        base[field_name] = Column(codes, list(LINKS))


def _control_record(base: dict[str, Column], col: Any, flag: Any) -> None:
    """controls.record and controls.breached as ``facts._control_record`` reads them: both missing
    without a record; the controls breached are named exactly when the record found breaches."""
    record, breached = col("controls.record"), col("controls.breached")
    rvals = np.array([*record.uvalues, None], dtype=object)[record.ucodes]
    named = np.array([bool(x) for x in breached.uvalues] + [False], dtype=bool)[breached.ucodes]
    found = (record.state == VALUE) & (rvals == "breaches_found")
    flag(
        found & ~named, "controls.breached", "name the controls breached (controls.record is breaches_found)"
    )
    flag(named & ~found, "controls.breached", "needs controls.record breaches_found")
    has = record.state == VALUE
    base["controls.record"] = record.column()
    b = breached.column()
    none_codes = np.full(len(has), len(b.values), dtype=np.int32)
    codes = np.where(named, b.codes, none_codes)
    base["controls.breached"] = Column(np.where(has, codes, -1).astype(np.int32), [*b.values, frozenset()])


# --- one row as a scenario (the reference the batch path is tested against) ---------------------


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-.") or "application"
    return (s if re.match(r"[a-z0-9]", s) else f"a{s}")[:80]


def scenario_for_row(
    record: dict[str, Any],
    as_of: dt.date,
    rules_id: str,
    profile_path: Path | None = None,
    profile: Profile | None = None,
    source: str = "register",
) -> dict[str, Any]:
    """The scenario file (as data) equivalent to one register row assessed as of ``as_of``:
    ``riskcheck assess`` on it gives the row's batch result, with the full explanation."""
    r = record
    date: dt.date = r["date"]
    recipient = r["recipient_country"]

    def indicator(value: Any) -> dict[str, Any]:
        if value is UNKNOWN_VALUE:
            return {"confidence": "unknown"}
        base = {"source": source, "as_of": date.isoformat()}
        if isinstance(value, tuple):
            return {"value": value[0], "alternatives": list(value[1:]), "confidence": "contested", **base}
        return {"value": value, "confidence": "known", **base}

    end_user: dict[str, Any] = {"type": r["end_user_type"], "name": r["end_user_name"]}
    if "end_user_unit" in r:
        end_user["unit"] = r["end_user_unit"]
    item: dict[str, Any] = {
        "description": r.get("item_description", r["ml_category"] + " item"),
        "ml_category": r["ml_category"],
        "att_category": r["att_category"],
        "sensitivity": r["sensitivity"],
        "quantity": r["quantity"],
    }
    if "value_eur" in r:
        item["value_eur"] = r["value_eur"]
    if "capability" in r:
        item["capability"] = r["capability"]
    evidence: dict[str, Any] = {
        "country": {k: indicator(r[f"country.{k}"]) for k in v.COUNTRY_INDICATORS if f"country.{k}" in r},
        "unit": {k: indicator(r[f"unit.{k}"]) for k in v.UNIT_INDICATORS if f"unit.{k}" in r},
    }
    if profile_path is not None:
        evidence["profile"] = str(profile_path.resolve())
    if "item_model" in r:
        item["model"] = r["item_model"]
    if all(a in r for a in EMBARGO):
        evidence["embargoes"] = {
            "source": source,
            "as_of": date.isoformat(),
            "in_force": _own_entries(r, source),
        }
    if "prior_denials.identical_within_3y" in r:
        denial = {
            "by": "a partner",
            "date": as_of.isoformat(),
            "essentially_identical": True,
            "source": source,
        }
        evidence["prior_denials"] = {
            "source": source,
            "as_of": date.isoformat(),
            "denials": [denial] if r["prior_denials.identical_within_3y"] else [],
        }
    other = "XZZ" if recipient != "XZZ" else "XZY"
    if "conflicts.recipient_party" in r:
        internal = r.get("conflicts.recipient_international") is False
        evidence["conflicts"] = (
            [
                {
                    "name": f"recorded in the {source}",
                    "parties": [recipient] if internal else [recipient, other],
                    "internal": internal,
                    "source": source,
                    "as_of": date.isoformat(),
                }
            ]
            if r["conflicts.recipient_party"]
            else []
        )
        if r["conflicts.recipient_party"] and "conflicts.recipient_role" in r:
            evidence["conflicts"][0]["roles"] = [
                {"party": recipient, "role": r["conflicts.recipient_role"], "source": source}
            ]
    elif profile is not None and profile.conflicts:
        mine = [c for c in profile.conflicts if recipient in c.parties]
        if mine:
            other = next(p for p in mine[0].parties if p != recipient)
    patterns = {
        which: {
            "capabilities": sorted(r[f"patterns.{which}"]),
            "description": f"recorded in the {source}",
            "source": source,
            "as_of": date.isoformat(),
        }
        for which in ("ihl", "repression")
        if r.get(f"patterns.{which}")  # ';' names no kind of item: not recorded
    }
    if patterns:  # the profile's other pattern still applies (the loader keeps it)
        evidence["patterns"] = patterns
    if "controls.record" in r:
        found = r["controls.record"]
        if found == "breaches_found":
            tried = [(c, "breaches_found") for c in sorted(r.get("controls.breached", ()))]
        elif found == "compliance_confirmed":  # the register does not name the control that showed it
            tried = [("psv_consent", "compliance_confirmed")]
        else:
            tried = []
        evidence["control_record"] = [
            {"control": c, "result": res, "date": date.isoformat(), "source": f"recorded in the {source}"}
            for c, res in tried
        ]
    if "prior_transfers.count_5y" in r:
        transfers = [
            {"recipient": recipient, "year": as_of.year, "description": "recorded", "source": source}
        ] * int(r["prior_transfers.count_5y"])
        if r.get("conflicts.exporter_arms_other_side"):
            transfers.append(
                {"recipient": other, "year": as_of.year, "description": "recorded", "source": source}
            )
        evidence["prior_transfers"] = transfers
    return {
        "id": _slug(str(r["application_id"])),
        "title": f"Application {r['application_id']}",
        "date": date.isoformat(),
        "rules": rules_id,
        "fictional": False,
        "briefing": f"Application {r['application_id']} from the {source}.",
        "transfer": {
            "exporter": {
                "country": r["exporter_country"],
                "name": r.get("exporter_name", r["exporter_country"]),
            },
            "recipient": {"country": recipient, "name": r.get("recipient_name", recipient)},
            "end_user": end_user,
            "items": [item],
            "end_use": r.get("end_use", "Not stated in the register"),
            "channel": r["channel"],
            "controls": sorted(r.get("controls", frozenset())),
            **_embargo_inputs(r),
        },
        "evidence": evidence,
    }


def _embargo_inputs(r: dict[str, Any]) -> dict[str, Any]:
    """The transfer's contract date, sanctions procedures and derogation conditions, where given."""
    out: dict[str, Any] = {}
    if "contract_date" in r:
        out["contract_date"] = r["contract_date"].isoformat()
    if r.get("sanctions_procedures"):
        out["sanctions_procedures"] = [
            {"embargo": e, "kind": k, "status": st}
            for e, k, st in parse_procedures(r["sanctions_procedures"])
        ]
    if r.get("derogation_conditions"):
        out["derogation_conditions"] = parse_conditions(r["derogation_conditions"])
    return out
