"""One ledger for every hash-chained table: assessments, rule edits and training records.

Each chained table is append-only. A row carries ``prev_hash`` and ``row_hash`` (the sha256 of
the previous row's hash and of the row's content), so that a changed or deleted row breaks the
chain. ``chain_heads`` keeps the id and hash of each chain's newest row, written in the same
transaction as that row, so that deleting the newest rows shows too. What the database cannot
show on its own (someone who rewrites the whole file, heads included) an **anchor** shows: the
heads written outside the database (:func:`anchor_document`, ``riskcheck history anchor``) and
compared with it later (:func:`compare_anchor`, ``riskcheck history verify --anchor FILE``).

Writers are serialised per family of chains (:class:`LockKey`): ``BEGIN IMMEDIATE`` on SQLite (in
WAL mode with a busy timeout), a transaction-scoped advisory lock on PostgreSQL, and a lock per
database in this process, so that a chain cannot fork. A write that finds the database busy past
the timeout is tried again, a bounded number of times (:func:`retrying`).

A chain with rows and no recorded head is broken: its newest rows may have been deleted with the
head. A database made before heads were kept is brought in once, by an explicit and recorded
``riskcheck history migrate`` (:meth:`Ledger.migrate`); opening a database never writes a head
over a missing one.

Checks read the rows and the heads in one snapshot (REPEATABLE READ on PostgreSQL, one read
transaction in SQLite's WAL), so that a row committed between the two cannot look like tampering.
Every check answers with one shape, a :class:`ChainReport` per chain.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
    select,
    text,
    type_coerce,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from .errors import AnchorError, WriteBusy

GENESIS = "0" * 64
BUSY_TIMEOUT_MS = 15_000
WRITE_ATTEMPTS = 4
WRITER_OPTION = "riskcheck_writer"  # read by the SQLite engine's "begin" hook: BEGIN IMMEDIATE
ANCHOR_FORMAT = "riskcheck-anchor/1"
T = TypeVar("T")


class LockKey(enum.IntEnum):
    """PostgreSQL advisory lock keys, one per family of chains written together. The numbers are
    those earlier versions used, so that an old and a new process still exclude each other."""

    HISTORY = 7419027  # assessments, rule_edits
    TRAINING = 7419028  # training_exercises, training_events, training_answers


ledger_metadata = MetaData()
heads = Table(
    "chain_heads",
    ledger_metadata,
    Column("name", String(40), primary_key=True),  # the chained table
    Column("last_id", Integer, nullable=False),
    Column("row_hash", String(64), nullable=False),
)
migrations = (
    Table(  # what `riskcheck history migrate` recorded: a head taken from the rows, not written with them
        "chain_migrations",
        ledger_metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime, nullable=False),  # UTC, stored naive
        Column("name", String(40), nullable=False),
        Column("last_id", Integer, nullable=False),
        Column("row_hash", String(64), nullable=False),
    )
)
# Training heads were kept in a table of their own before the ledger; still read, never written.
LEGACY_HEADS = ("training_chain_heads",)


class Chain(NamedTuple):
    """One hash-chained table and the fields its row hash covers."""

    table: Table
    hashed: tuple[str, ...]
    hashed_when_set: tuple[str, ...] = ()  # covered only when not None (a column added later)

    def hash(self, values: Mapping[str, Any], prev: str) -> str:
        return row_hash(values, prev, self.hashed, self.hashed_when_set)


def row_hash(
    values: Mapping[str, Any], prev: str, fields: Sequence[str], when_set: Sequence[str] = ()
) -> str:
    content = {k: values.get(k) for k in fields}
    content.update({k: values[k] for k in when_set if values.get(k) is not None})
    text_ = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev + "\n" + text_).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """What a check found in one chained table."""

    table: str
    rows: int
    head: str  # the last row's hash (GENESIS when empty)
    head_id: int  # the last row's id (0 when empty)
    broken: tuple[int, ...]  # rows whose hash does not follow from their content and the previous row
    missing: tuple[tuple[int, int], ...]  # id ranges absent before a broken row (deleted rows)
    head_problem: str | None  # the newest rows were removed, the head record is gone or was changed
    unreadable: tuple[tuple[int, str], ...] = ()  # rows holding a value of the wrong kind, and which
    anchor_problem: str | None = None  # the database no longer holds what an anchor recorded
    note: str | None = None  # said, not a failure (e.g. since when the head has been kept)

    @property
    def ok(self) -> bool:
        return not self.broken and self.head_problem is None and self.anchor_problem is None

    def lines(self) -> list[str]:
        notes = [f"  {self.note}"] if self.note else []
        if self.ok:
            return [f"{self.table}: {self.rows} rows, hash chain intact, head {self.head}", *notes]
        out = [f"{self.table}: {self.rows} rows, hash chain BROKEN"]
        why = dict(self.unreadable)
        for i in self.broken:
            gap = next((g for g in self.missing if g[1] == i - 1), None)
            if i in why:
                out.append(f"  row #{i}: changed ({why[i]})")
            elif gap:
                ids = f"#{gap[0]}" if gap[0] == gap[1] else f"#{gap[0]}-#{gap[1]}"
                out.append(f"  row #{i}: the row(s) before it were deleted ({ids} missing)")
            else:
                out.append(f"  row #{i}: changed (its hash does not match its content and the row before)")
        out += [f"  {p}" for p in (self.head_problem, self.anchor_problem) if p]
        return out + notes


# --- writing ----------------------------------------------------------------------------------

# Writers in one process (the app's sessions are threads) queue on a lock per database and chain
# family instead of on SQLite's busy handler, which polls with sleeps of up to 100 ms: ten sessions
# recording at the same moment took up to 3 s that way. Other processes still meet the database's
# own lock (BEGIN IMMEDIATE, busy_timeout) or PostgreSQL's advisory lock.
_WRITE_LOCKS: dict[tuple[str, int], threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(engine: Engine, key: int) -> threading.Lock:
    name = (engine.url.render_as_string(hide_password=True), int(key))
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(name, threading.Lock())


@contextmanager
def write_transaction(engine: Engine, key: LockKey) -> Iterator[Connection]:
    """A write transaction that holds the write lock from its first statement, so that a hash chain
    cannot fork: BEGIN IMMEDIATE on SQLite (the engine's writer option), a transaction-scoped
    advisory lock on PostgreSQL (waiting at most as long as SQLite would)."""
    lock = _write_lock(engine, key)
    if not lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
        raise WriteBusy(f"the history database is busy (another write took over {BUSY_TIMEOUT_MS // 1000} s)")
    try:
        with engine.connect() as conn:
            conn.execution_options(**{WRITER_OPTION: True})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text(f"SET LOCAL lock_timeout = {int(BUSY_TIMEOUT_MS)}"))
                    conn.execute(text(f"SELECT pg_advisory_xact_lock({int(key)})"))
                yield conn
    finally:
        lock.release()


def _busy(e: Exception) -> bool:
    if isinstance(e, WriteBusy):
        return True
    message = str(getattr(e, "orig", e)).lower()
    return "locked" in message or "lock timeout" in message or "could not serialize" in message


def retrying(write: Callable[[], T]) -> T:
    """Run a write; when the database stays locked past the busy timeout, wait and try again (bounded)."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return write()
        except (OperationalError, WriteBusy) as e:
            if not _busy(e) or attempt == WRITE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * 2**attempt + random.random() * 0.05)
    raise AssertionError("unreachable")  # pragma: no cover


def set_head(conn: Connection, name: str, last_id: int, hash_: str) -> None:
    done = conn.execute(heads.update().where(heads.c.name == name).values(last_id=last_id, row_hash=hash_))
    if done.rowcount == 0:
        conn.execute(heads.insert().values(name=name, last_id=last_id, row_hash=hash_))


def append_row(conn: Connection, chain: Chain, values: Mapping[str, Any]) -> int:
    """Add one row at the end of ``chain`` inside an open write transaction; returns its id."""
    table = chain.table
    row = dict(values)
    prev = conn.execute(select(table.c.row_hash).order_by(table.c.id.desc()).limit(1)).scalar_one_or_none()
    row["prev_hash"] = prev or GENESIS
    row["row_hash"] = chain.hash(row, row["prev_hash"])
    key = conn.execute(table.insert().values(**row)).inserted_primary_key
    assert key is not None
    new_id = int(key[0])
    set_head(conn, table.name, new_id, row["row_hash"])
    return new_id


# --- checking ---------------------------------------------------------------------------------


def _read_heads(conn: Connection, tables: set[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for name in (heads.name, *LEGACY_HEADS):  # the ledger's own table wins over a legacy one
        if name in tables:
            for r in conn.execute(text(f"SELECT name, last_id, row_hash FROM {name}")):
                found.setdefault(str(r[0]), (int(r[1]), str(r[2])))
    return found


def _migrated(conn: Connection, tables: set[str]) -> dict[str, dt.datetime]:
    if migrations.name not in tables:
        return {}
    rows = conn.execute(select(migrations.c.name, migrations.c.created_at).order_by(migrations.c.id))
    return {str(n): at for n, at in rows}


def _dated(column: Column[Any], conn: Connection) -> Callable[[Any], Any] | None:
    """How the dialect turns a stored date or time back into a value, applied by hand so that a
    value that cannot be read is reported on its row instead of stopping the whole check."""
    if not isinstance(column.type, DateTime | Date):
        return None
    convert = column.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None)
    return (lambda v: convert(v) if isinstance(v, str) else v) if convert else None


class _Walk(NamedTuple):
    """What walking one chain's rows found (an absent table: no rows)."""

    rows: int = 0
    head: str = GENESIS
    last_id: int = 0
    broken: tuple[int, ...] = ()
    missing: tuple[tuple[int, int], ...] = ()
    unreadable: tuple[tuple[int, str], ...] = ()


def _check_one(conn: Connection, chain: Chain, present: set[str]) -> _Walk:
    table = chain.table
    columns = [c for c in table.c if c.name in present]
    converters = {c.name: f for c in columns if (f := _dated(c, conn))}
    # read as text under another label (the column's own name would bring its type back)
    q = select(
        *[type_coerce(c, String).label(f"raw__{c.name}") if c.name in converters else c for c in columns]
    )
    broken: list[int] = []
    missing: list[tuple[int, int]] = []
    unreadable: list[tuple[int, str]] = []
    prev, last_id, count = GENESIS, 0, 0
    for raw in conn.execute(q.order_by(table.c.id)).mappings():
        row, rid = dict(raw), int(raw["id"])
        bad = None
        for name, convert in converters.items():
            value = row.pop(f"raw__{name}")
            try:
                row[name] = convert(value)
            except (ValueError, TypeError):
                bad = f"{name} holds {str(value)[:40]!r}, which is not a date"
        if bad or row["prev_hash"] != prev or chain.hash(row, prev) != row["row_hash"]:
            broken.append(rid)
            if bad:
                unreadable.append((rid, bad))
            if rid > last_id + 1:
                missing.append((last_id + 1, rid - 1))
        prev, last_id, count = str(row["row_hash"]), rid, count + 1
    return _Walk(count, prev, last_id, tuple(broken), tuple(missing), tuple(unreadable))


def check_chains(conn: Connection, chains: Mapping[str, Chain]) -> list[ChainReport]:
    """Every chain checked against its rows and its recorded head. Only reads: a table the
    database lacks is read as one without rows and a column it lacks as None, so that a database
    made before a table or column was added can be checked without changing it."""
    insp = inspect(conn)
    tables = set(insp.get_table_names())
    recorded = _read_heads(conn, tables)
    migrated = _migrated(conn, tables)
    out: list[ChainReport] = []
    for name, chain in chains.items():
        walk = _Walk()
        if chain.table.name in tables:
            walk = _check_one(conn, chain, {c["name"] for c in insp.get_columns(chain.table.name)})
        count, prev, last_id = walk.rows, walk.head, walk.last_id
        head = recorded.get(name)
        problem = None
        if head is None and count:
            problem = (
                f"no head is recorded for this chain ({heads.name}): its newest rows may have been deleted "
                "with it. A database made before riskcheck kept heads needs `riskcheck history migrate` once"
            )
        elif head is not None and chain.table.name not in tables:
            problem = f"the table {chain.table.name} is missing (its newest row was #{head[0]})"
        elif head is not None and head[0] > last_id:
            gone = f"#{head[0]}" if head[0] == last_id + 1 else f"#{last_id + 1}-#{head[0]}"
            problem = f"the newest rows were deleted ({gone} missing)"
        elif head is not None and (head[0] != last_id or head[1] != prev):
            problem = (
                "the newest row does not match the recorded head (rows changed or added outside the app)"
            )
        note = None
        if name in migrated:
            note = (
                f"head recorded by `riskcheck history migrate` on {migrated[name]:%Y-%m-%d %H:%M} UTC: "
                "a deletion of the newest rows before then cannot be told"
            )
        out.append(
            ChainReport(
                name,
                count,
                prev,
                last_id,
                walk.broken,
                walk.missing,
                problem,
                walk.unreadable,
                note=note,
            )
        )
    return out


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read transaction that sees one state of the database from its first read to its end."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


# --- anchors ----------------------------------------------------------------------------------


def anchor_document(
    reports: Sequence[ChainReport], database: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The heads to keep outside the database (a ticket, a signed log): JSON-ready."""
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return {
        "format": ANCHOR_FORMAT,
        "database": database,
        "written_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "chains": {r.table: {"rows": r.rows, "last_id": r.head_id, "row_hash": r.head} for r in reports},
    }


class Anchor(NamedTuple):
    """Heads recorded outside the database: ``{chain: (last_id, row_hash)}`` and when."""

    written_at: str
    heads: Mapping[str, tuple[int, str]]


def parse_anchor(data: Any) -> Anchor:
    """The heads of an anchor document (:func:`anchor_document`), or :class:`AnchorError`."""
    if not isinstance(data, dict) or data.get("format") != ANCHOR_FORMAT:
        raise AnchorError(f'not a riskcheck anchor (expected "format": "{ANCHOR_FORMAT}")')
    chains = data.get("chains")
    if not isinstance(chains, dict):
        raise AnchorError("the anchor has no 'chains' mapping")
    out: dict[str, tuple[int, str]] = {}
    for name, entry in chains.items():
        last_id = entry.get("last_id") if isinstance(entry, dict) else None
        hash_ = entry.get("row_hash") if isinstance(entry, dict) else None
        if (
            not isinstance(last_id, int)
            or isinstance(last_id, bool)
            or last_id < 0
            or not isinstance(hash_, str)
        ):
            raise AnchorError(f"chain {name!r}: expected last_id (a whole number) and row_hash")
        out[str(name)] = (last_id, hash_)
    return Anchor(str(data.get("written_at", "?")), out)


def compare_anchor(
    conn: Connection, chains: Mapping[str, Chain], reports: Sequence[ChainReport], anchor: Anchor
) -> list[ChainReport]:
    """``reports`` with the anchor's verdict added: each anchored head must still be in its chain
    with the same hash. With the chain itself intact, that holds only if no row up to the anchored
    one was changed, deleted or re-hashed, whoever rewrote the database."""
    tables = set(inspect(conn).get_table_names())
    out = []
    for r in reports:
        if r.table not in anchor.heads:
            out.append(r)
            continue
        last_id, hash_ = anchor.heads[r.table]
        table = chains[r.table].table
        found = None
        if last_id and table.name in tables:
            found = conn.execute(select(table.c.row_hash).where(table.c.id == last_id)).scalar_one_or_none()
        problem = None
        if last_id and found is None:
            problem = (
                f"row #{last_id}, the newest when the anchor of {anchor.written_at} was written, is gone "
                "(the table was truncated or rewritten)"
            )
        elif last_id and found != hash_:
            problem = (
                f"row #{last_id} no longer has the hash the anchor of {anchor.written_at} recorded "
                "(the chain was rewritten up to it)"
            )
        out.append(replace(r, anchor_problem=problem))
    return out


# --- the ledger of one family of chains -------------------------------------------------------


class Ledger:
    """The chained tables of one store (``metadata``), written under one lock (``lock``)."""

    def __init__(self, engine: Engine, metadata: MetaData, chains: Mapping[str, Chain], lock: LockKey):
        self.engine, self.metadata, self.chains, self.lock = engine, metadata, dict(chains), lock

    @contextmanager
    def writer(self) -> Iterator[Connection]:
        with write_transaction(self.engine, self.lock) as conn:
            yield conn

    def run(self, write: Callable[[Connection], T]) -> T:
        """``write(conn)`` in a write transaction, tried again while the database is busy."""

        def attempt() -> T:
            with self.writer() as conn:
                return write(conn)

        return retrying(attempt)

    def create(self, then: Callable[[Connection], None] | None = None) -> None:
        """Create the tables that are missing, under the write lock (several processes may open a
        new database at once). Never records a head for rows already there: see :meth:`migrate`."""

        def write(conn: Connection) -> None:
            ledger_metadata.create_all(conn)
            self.metadata.create_all(conn)
            if then is not None:
                then(conn)

        self.run(write)

    def append(self, name: str, values: Mapping[str, Any]) -> int:
        return self.run(lambda conn: append_row(conn, self.chains[name], values))

    def append_in(self, conn: Connection, name: str, values: Mapping[str, Any]) -> int:
        """Append inside a write transaction the caller holds (to check something first)."""
        return append_row(conn, self.chains[name], values)

    def check(self, anchor: Anchor | None = None) -> list[ChainReport]:
        """Every chain checked, and compared with ``anchor`` when one is given (one snapshot)."""
        with snapshot(self.engine) as conn:
            reports = check_chains(conn, self.chains)
            return compare_anchor(conn, self.chains, reports, anchor) if anchor else reports

    def verify(self) -> dict[str, ChainReport]:
        """The chains that fail their check, by table (empty: every chain intact)."""
        return {r.table: r for r in self.check() if not r.ok}

    def migrate(self, now: dt.datetime | None = None) -> list[ChainReport]:
        """Record the head of each chain that has rows and no head, when every row of it verifies
        (a broken chain is not blessed), and record that it was done. Returns what was migrated."""
        when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)

        def write(conn: Connection) -> list[ChainReport]:
            ledger_metadata.create_all(conn)
            done = []
            recorded = _read_heads(conn, set(inspect(conn).get_table_names()))
            for r in check_chains(conn, self.chains):
                if r.rows and r.table not in recorded and not r.broken:
                    set_head(conn, r.table, r.head_id, r.head)
                    conn.execute(
                        migrations.insert().values(
                            created_at=when, name=r.table, last_id=r.head_id, row_hash=r.head
                        )
                    )
                    done.append(r)
            return done

        return self.run(write)
