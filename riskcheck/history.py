"""The record of assessments made in the app: an append-only table (SQLAlchemy 2 Core).

Each row holds the inputs (the scenario as YAML, and the recipient profile it used), the
result (canonical JSON), the provenance (rule-set id, version and sha256, input sha256,
engine version, as-of date), the time it was made, in UTC, and who recorded it
(``recorded_by``: the signed-in user of a shared deployment; None when nobody signs in, and in
rows written before the column existed, which opening the database adds).

A second table, ``rule_edits``, records every rule file saved from the app: who, when, why,
the file, the content hashes before and after, and both texts (``record_rule_edit``).

Rows are never updated or deleted through this module. Each row carries ``row_hash``, the
sha256 of its content and of the previous row's hash (one chain per table), so that a removed
or edited row breaks the chain (``verify()``, ``check()``). ``chain_heads`` keeps the id and
hash of each table's last row, written in the same transaction, so that removing the newest
rows is detected too. Writers are serialised for that: ``BEGIN IMMEDIATE`` on SQLite (in WAL
mode, with a busy timeout and a bounded retry, so concurrent writers from several processes
wait rather than fail), a transaction-scoped advisory lock on PostgreSQL.

The chain makes changes made behind the app's back visible; it does not stop someone with
write access to the file from recomputing every hash. Keep the head hash that
``riskcheck history verify`` prints somewhere else (a ticket, a signed note) to anchor it.

The database is an embedded SQLite file under the user's data folder by default
(``$XDG_DATA_HOME/riskcheck/history.db``, usually ``~/.local/share/riskcheck/history.db``);
``RISKCHECK_DB_URL`` (any SQLAlchemy URL, e.g. ``postgresql+psycopg://...``) points it elsewhere.
"""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
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
    Text,
    create_engine,
    event,
    func,
    inspect,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from .errors import WriteBusy
from .explain import as_json
from .trace import Assessment, to_plain

ENV_URL = "RISKCHECK_DB_URL"

metadata = MetaData()
assessments = Table(
    "assessments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime, nullable=False),  # UTC, stored naive
    Column("origin", String(40), nullable=False),  # app | cli | test ...
    Column("scenario_id", String(80), nullable=False),
    Column("title", Text, nullable=False),
    Column("recipient", String(3), nullable=False),
    Column("decision", String(32), nullable=False, index=True),
    Column("refusal_codes", String(200), nullable=False),
    Column("rule_set_id", String(80), nullable=False, index=True),
    Column("rule_set_version", String(40), nullable=False),
    Column("rules_sha256", String(64), nullable=False),
    Column("input_sha256", String(64), nullable=False),
    Column("engine_version", String(40), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("scenario_yaml", Text, nullable=False),
    Column("profile_yaml", Text, nullable=True),
    Column("result_json", Text, nullable=False),
    Column("provenance_json", Text, nullable=False),
    Column("note", Text, nullable=True),
    Column("recorded_by", String(200), nullable=True),  # the signed-in user; None: nobody signed in
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False, unique=True),
)
HASHED = (
    "created_at",
    "origin",
    "scenario_id",
    "title",
    "recipient",
    "decision",
    "refusal_codes",
    "rule_set_id",
    "rule_set_version",
    "rules_sha256",
    "input_sha256",
    "engine_version",
    "as_of",
    "scenario_yaml",
    "profile_yaml",
    "result_json",
    "provenance_json",
    "note",
)
# Hashed only when not None: ``recorded_by`` came after rows had been chained without it, and
# hashing a None there would change the hash of every older row, so that none of them would
# verify. A value that is set is covered like any other field (changing or clearing it breaks the
# chain); setting one on an older row breaks it too, since the key then enters the hash.
HASHED_WHEN_SET = ("recorded_by",)
# Columns added to a table after it was first released (nullable: older rows have no value),
# added when a database made before them is opened (``History._add_missing_columns``).
ADDED_COLUMNS: dict[str, tuple[str, ...]] = {"assessments": ("recorded_by",)}
GENESIS = "0" * 64

rule_edits = Table(
    "rule_edits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime, nullable=False),  # UTC, stored naive
    Column("origin", String(40), nullable=False),  # app | cli | test ...
    Column("user", String(200), nullable=False),  # who saved, as the deployment identified them
    Column("auth", String(80), nullable=False),  # how they were identified: oidc | proxy header | local
    Column("reason", Text, nullable=False),  # why, in the reviewer's words
    Column("rule_file", String(200), nullable=False),  # the file name inside the rules folder
    Column("rule_set_id", String(80), nullable=False, index=True),
    Column("version_before", String(40), nullable=True),
    Column("version_after", String(40), nullable=False),
    Column("sha256_before", String(64), nullable=True),  # None: a new file
    Column("sha256_after", String(64), nullable=False),
    Column("previous_copy", String(300), nullable=True),  # where the previous text was kept
    Column("text_before", Text, nullable=True),
    Column("text_after", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False, unique=True),
)
EDIT_HASHED = (
    "created_at",
    "origin",
    "user",
    "auth",
    "reason",
    "rule_file",
    "rule_set_id",
    "version_before",
    "version_after",
    "sha256_before",
    "sha256_after",
    "previous_copy",
    "text_before",
    "text_after",
)
chain_heads = Table(
    "chain_heads",
    metadata,
    Column("name", String(40), primary_key=True),  # the chained table
    Column("last_id", Integer, nullable=False),
    Column("row_hash", String(64), nullable=False),
)


class Chain(NamedTuple):
    """One hash-chained table and the fields its row hash covers."""

    table: Table
    hashed: tuple[str, ...]
    hashed_when_set: tuple[str, ...] = ()  # covered only when not None (see HASHED_WHEN_SET)

    def hash(self, values: Mapping[str, Any], prev: str) -> str:
        return row_hash(values, prev, self.hashed, self.hashed_when_set)


CHAINS: dict[str, Chain] = {
    "assessments": Chain(assessments, HASHED, HASHED_WHEN_SET),
    "rule_edits": Chain(rule_edits, EDIT_HASHED),
}
WRITER_OPTION = "riskcheck_writer"
T = TypeVar("T")
BUSY_TIMEOUT_MS = 15_000
WRITE_ATTEMPTS = 4


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "riskcheck"


def default_url() -> str:
    url = os.environ.get(ENV_URL)
    if url:
        return url
    return f"sqlite:///{data_dir() / 'history.db'}"


@dataclass(frozen=True)
class Record:
    id: int
    created_at: dt.datetime  # UTC, timezone-aware
    origin: str
    scenario_id: str
    title: str
    recipient: str
    decision: str
    refusal_codes: tuple[str, ...]
    rule_set_id: str
    rule_set_version: str
    rules_sha256: str
    input_sha256: str
    engine_version: str
    as_of: dt.date
    scenario_yaml: str
    profile_yaml: str | None
    result_json: str
    provenance_json: str
    note: str | None
    recorded_by: str | None  # the signed-in user; None: nobody signed in, or recorded before it was kept
    prev_hash: str
    row_hash: str

    @property
    def result(self) -> dict[str, Any]:
        return json.loads(self.result_json)  # type: ignore[no-any-return]

    @property
    def label(self) -> str:
        when = self.created_at.strftime("%Y-%m-%d %H:%M UTC")
        return f"#{self.id} {when} - {self.title} - {self.decision}"


@dataclass(frozen=True)
class RuleEdit:
    id: int
    created_at: dt.datetime  # UTC, timezone-aware
    origin: str
    user: str
    auth: str
    reason: str
    rule_file: str
    rule_set_id: str
    version_before: str | None
    version_after: str
    sha256_before: str | None
    sha256_after: str
    previous_copy: str | None
    text_before: str | None
    text_after: str
    prev_hash: str
    row_hash: str

    @property
    def label(self) -> str:
        when = self.created_at.strftime("%Y-%m-%d %H:%M UTC")
        return f"#{self.id} {when} - {self.rule_file} - {self.user}"


@dataclass(frozen=True)
class ChainReport:
    """What ``check()`` found in one chained table."""

    table: str
    rows: int
    head: str  # the last row's hash (GENESIS when empty): note it elsewhere to anchor the chain
    broken: tuple[int, ...]  # rows whose hash does not follow from their content and the previous row
    missing: tuple[tuple[int, int], ...]  # id ranges absent before a broken row (deleted rows)
    head_problem: str | None  # the newest rows were removed, or the head record was changed
    # a database from before heads were kept: the rows verify, but a deletion of the newest rows
    # could not be told (opening it with riskcheck records its head); said, not a failure
    unanchored: str | None = None

    @property
    def ok(self) -> bool:
        return not self.broken and self.head_problem is None

    def lines(self) -> list[str]:
        if self.ok:
            line = f"{self.table}: {self.rows} rows, hash chain intact, head {self.head}"
            return [line, f"  {self.unanchored}"] if self.unanchored else [line]
        out = [f"{self.table}: {self.rows} rows, hash chain BROKEN"]
        for i in self.broken:
            gap = next((g for g in self.missing if g[1] == i - 1), None)
            if gap:
                ids = f"#{gap[0]}" if gap[0] == gap[1] else f"#{gap[0]}-#{gap[1]}"
                out.append(f"  row #{i}: the row(s) before it were deleted ({ids} missing)")
            else:
                out.append(f"  row #{i}: changed (its hash does not match its content and the row before)")
        if self.head_problem:
            out.append(f"  {self.head_problem}")
        return out


def row_hash(
    values: Mapping[str, Any], prev: str, fields: Sequence[str], when_set: Sequence[str] = ()
) -> str:
    content = {k: values.get(k) for k in fields}
    content.update({k: values[k] for k in when_set if values.get(k) is not None})
    text_ = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev + "\n" + text_).encode("utf-8")).hexdigest()


def check_chains(
    conn: Connection, chains: Mapping[str, Chain], heads_table: Table
) -> builtins.list[ChainReport]:
    """Every chain of a store checked against its rows and its recorded head (``heads_table``).

    Only reads. A table the database lacks is read as one without rows and a column it lacks as
    None, instead of being created: ``riskcheck history verify`` must be able to check a database
    without changing it, including one made before a table or column was added.
    """
    insp = inspect(conn)
    tables = set(insp.get_table_names())
    heads = {r.name: r for r in conn.execute(select(heads_table))} if heads_table.name in tables else None
    out: list[ChainReport] = []
    for name, chain in chains.items():
        table = chain.table
        broken: list[int] = []
        missing: list[tuple[int, int]] = []
        prev, last_id, count = GENESIS, 0, 0
        if table.name in tables:
            present = {c["name"] for c in insp.get_columns(table.name)}
            q = select(*[c for c in table.c if c.name in present]).order_by(table.c.id)
            for row in conn.execute(q).mappings():
                rid = int(row["id"])
                if row["prev_hash"] != prev or chain.hash(dict(row), prev) != row["row_hash"]:
                    broken.append(rid)
                    if rid > last_id + 1:
                        missing.append((last_id + 1, rid - 1))
                prev, last_id, count = row["row_hash"], rid, count + 1
        head = heads.get(name) if heads is not None else None
        problem = unanchored = None
        if heads is None and count:
            unanchored = (
                f"not anchored: this database predates the table of chain heads ({heads_table.name}), "
                "so whether its newest rows were deleted cannot be told; opening it with riskcheck records its head"
            )
        elif head is None and count:
            problem = f"the record of the newest row ({heads_table.name}) was removed"
        elif head is not None and table.name not in tables:
            problem = f"the table {table.name} is missing (its newest row was #{head.last_id})"
        elif head is not None and head.last_id > last_id:
            gone = f"#{head.last_id}" if head.last_id == last_id + 1 else f"#{last_id + 1}-#{head.last_id}"
            problem = f"the newest rows were deleted ({gone} missing)"
        elif head is not None and (head.last_id != last_id or head.row_hash != prev):
            problem = (
                "the newest row does not match the recorded head (rows changed or added outside the app)"
            )
        out.append(ChainReport(name, count, prev, tuple(broken), tuple(missing), problem, unanchored))
    return out


# Writers in one process (the app's sessions are threads) queue on a lock per database and chain
# family instead of on SQLite's busy handler, which polls with sleeps of up to 100 ms: ten sessions
# recording at the same moment took up to 3 s that way, about 50 ms in turn. Other processes still
# meet the database's own lock (BEGIN IMMEDIATE, busy_timeout) or PostgreSQL's advisory lock. The
# wait is bounded like SQLite's, and a writer that runs out of it is told the database is busy.
_WRITE_LOCKS: dict[tuple[str, int], threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(engine: Engine, advisory_key: int) -> threading.Lock:
    key = (engine.url.render_as_string(hide_password=True), advisory_key)
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.Lock())


@contextmanager
def write_transaction(engine: Engine, advisory_key: int) -> Iterator[Connection]:
    """A write transaction that holds the write lock from its first statement, so that a hash chain
    cannot fork: BEGIN IMMEDIATE on SQLite (the engine's writer option), a transaction-scoped
    advisory lock on PostgreSQL (waiting at most as long as SQLite would)."""
    lock = _write_lock(engine, advisory_key)
    if not lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
        raise WriteBusy(f"the history database is busy (another write took over {BUSY_TIMEOUT_MS // 1000} s)")
    try:
        with engine.connect() as conn:
            conn.execution_options(**{WRITER_OPTION: True})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text(f"SET LOCAL lock_timeout = {int(BUSY_TIMEOUT_MS)}"))
                    conn.execute(text(f"SELECT pg_advisory_xact_lock({int(advisory_key)})"))
                yield conn
    finally:
        lock.release()


class History:
    """An append-only store of assessments. ``History(url)``; ``url=None`` uses ``default_url()``.

    ``create=False`` opens a database as it is, to read it (``riskcheck history verify``): no
    table is created or altered, the journal mode is left alone, and recording is refused.
    """

    def __init__(self, url: str | None = None, *, create: bool = True):
        self.url = url or default_url()
        self.writable = create
        self.engine: Engine = self._engine(self.url, create=create)
        if create:
            self._retrying(self._create)

    def _create(self) -> None:
        with self._writer() as conn:  # serialised: several processes may open a new file at once
            new_heads = not inspect(conn).has_table(chain_heads.name)
            metadata.create_all(conn)
            self._add_missing_columns(conn)
            if new_heads:  # a database from before heads were kept: anchor what is there now
                for name, chain in CHAINS.items():
                    table = chain.table
                    last = conn.execute(
                        select(table.c.id, table.c.row_hash).order_by(table.c.id.desc()).limit(1)
                    ).first()
                    if last is not None:
                        self._set_head(conn, name, int(last[0]), str(last[1]))

    @staticmethod
    def _add_missing_columns(conn: Connection) -> None:
        """Bring a table made by an older version up to date (``create_all`` leaves existing tables
        as they are). Runs in the writer transaction, so two processes opening the same old
        database add a column once."""
        insp = inspect(conn)
        quote = conn.dialect.identifier_preparer
        for table_name, names in ADDED_COLUMNS.items():
            table = metadata.tables[table_name]
            have = {c["name"] for c in insp.get_columns(table_name)}
            for name in names:
                if name in have:
                    continue
                column = table.c[name]
                assert column.nullable, (
                    f"{table_name}.{name}: an added column must be nullable (older rows have none)"
                )
                conn.execute(
                    text(
                        f"ALTER TABLE {quote.format_table(table)} ADD COLUMN "
                        f"{quote.format_column(column)} {column.type.compile(conn.dialect)}"
                    )
                )

    def has_tables(self) -> bool:
        """Whether the database holds any of this store's tables (a database opened with
        ``create=False`` may hold none)."""
        with self.engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
        return bool(names & {chain_heads.name, *(c.table.name for c in CHAINS.values())})

    @staticmethod
    def _engine(url: str, *, create: bool = True) -> Engine:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if create and path and path != ":memory:":
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False})

            @event.listens_for(engine, "connect")
            def _connect(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" below open transactions
                cur = dbapi_conn.cursor()
                # the timeout first: switching a new file to WAL takes a lock other processes may hold
                cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                if create:  # switching to WAL writes to the file: not for a database opened to read it
                    cur.execute("PRAGMA journal_mode=WAL")
                cur.close()

            @event.listens_for(engine, "begin")
            def _begin(conn: Connection) -> None:
                # Writers take the write lock at once (the hash chain must not fork); readers
                # take none, which WAL allows while a writer works.
                writer = conn.get_execution_options().get(WRITER_OPTION)
                conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

            return engine
        return create_engine(url, pool_pre_ping=True)

    def _writer(self) -> AbstractContextManager[Connection]:
        return write_transaction(self.engine, 7419027)

    @staticmethod
    def _retrying(write: Callable[[], T]) -> T:
        """Run a write; when SQLite stays locked past the busy timeout, wait and try again (bounded)."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                return write()
            except (OperationalError, WriteBusy) as e:
                locked = isinstance(e, WriteBusy) or "locked" in str(e.orig).lower()
                if not locked or attempt == WRITE_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt + random.random() * 0.05)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _set_head(conn: Connection, name: str, last_id: int, hash_: str) -> None:
        done = conn.execute(
            chain_heads.update().where(chain_heads.c.name == name).values(last_id=last_id, row_hash=hash_)
        )
        if done.rowcount == 0:
            conn.execute(chain_heads.insert().values(name=name, last_id=last_id, row_hash=hash_))

    def _append(self, name: str, values: dict[str, Any]) -> int:
        """Add one row at the end of a chained table; returns its id."""
        if not self.writable:
            raise RuntimeError(f"the history database {self.url} was opened to read it (create=False)")
        chain = CHAINS[name]
        table = chain.table

        def write() -> int:
            row = dict(values)
            with self._writer() as conn:
                prev = conn.execute(
                    select(table.c.row_hash).order_by(table.c.id.desc()).limit(1)
                ).scalar_one_or_none()
                row["prev_hash"] = prev or GENESIS
                row["row_hash"] = chain.hash(row, row["prev_hash"])
                key = conn.execute(table.insert().values(**row)).inserted_primary_key
                assert key is not None
                new_id = int(key[0])
                self._set_head(conn, name, new_id, row["row_hash"])
            return new_id

        return self._retrying(write)

    def record(
        self,
        a: Assessment,
        scenario_yaml: str,
        *,
        recipient: str = "",
        profile_yaml: str | None = None,
        origin: str = "app",
        note: str | None = None,
        recorded_by: str | None = None,
        now: dt.datetime | None = None,
    ) -> Record:
        """Append an assessment. ``recorded_by``: the signed-in user who made it (None: nobody
        signed in, e.g. a single-user computer or the command line)."""
        created = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
        values: dict[str, Any] = {
            "created_at": created,
            "origin": origin,
            "scenario_id": a.scenario_id,
            "title": a.scenario_title,
            "recipient": recipient[:3],
            "decision": a.decision,
            "refusal_codes": ",".join(a.refusal_codes),
            "rule_set_id": a.provenance.rule_set_id,
            "rule_set_version": a.provenance.rule_set_version,
            "rules_sha256": a.provenance.rules_sha256,
            "input_sha256": a.provenance.input_sha256,
            "engine_version": a.provenance.engine_version,
            "as_of": a.provenance.as_of,
            "scenario_yaml": scenario_yaml,
            "profile_yaml": profile_yaml,
            "result_json": as_json(a, indent=None),
            "provenance_json": json.dumps(to_plain(a.provenance), sort_keys=True),
            "note": note,
            "recorded_by": recorded_by,
        }
        return self.get(self._append("assessments", values))

    def get(self, record_id: int) -> Record:
        with self.engine.connect() as conn:
            row = conn.execute(select(assessments).where(assessments.c.id == record_id)).mappings().first()
        if row is None:
            raise KeyError(record_id)
        return _record(row)

    def list(
        self,
        *,
        decisions: Sequence[str] = (),
        rule_set: str | None = None,
        text_: str | None = None,
        since: dt.date | None = None,
        limit: int = 500,
    ) -> list[Record]:
        """Newest first, filtered by decision, rule set, words in the title/id/recipient, and date."""
        q = select(assessments).order_by(assessments.c.id.desc()).limit(limit)
        if decisions:
            q = q.where(assessments.c.decision.in_(list(decisions)))
        if rule_set:
            q = q.where(assessments.c.rule_set_id == rule_set)
        if text_:
            like = f"%{text_.lower()}%"
            q = q.where(
                or_(
                    func.lower(assessments.c.title).like(like),
                    func.lower(assessments.c.scenario_id).like(like),
                    func.lower(assessments.c.recipient).like(like),
                )
            )
        if since:
            q = q.where(assessments.c.created_at >= dt.datetime.combine(since, dt.time()))
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(q).mappings()]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(assessments)).scalar_one())

    def verify(self) -> builtins.list[int]:
        """Ids of rows whose hash does not follow from their content and the previous row (empty: intact)."""
        bad: list[int] = []
        prev = GENESIS
        chain = CHAINS["assessments"]
        with self.engine.connect() as conn:
            for row in conn.execute(select(assessments).order_by(assessments.c.id)).mappings():
                if row["prev_hash"] != prev or chain.hash(dict(row), prev) != row["row_hash"]:
                    bad.append(int(row["id"]))
                prev = row["row_hash"]
        return bad

    def check(self) -> builtins.list[ChainReport]:
        """Every chained table checked: changed rows, deleted rows, and removed newest rows."""
        with self.engine.connect() as conn:
            return check_chains(conn, CHAINS, chain_heads)

    # --- rule edits -------------------------------------------------------------------------

    def record_rule_edit(
        self,
        *,
        user: str,
        auth: str,
        reason: str,
        rule_file: str,
        rule_set_id: str,
        version_before: str | None,
        version_after: str,
        sha256_before: str | None,
        sha256_after: str,
        text_before: str | None,
        text_after: str,
        previous_copy: str | None = None,
        origin: str = "app",
        now: dt.datetime | None = None,
    ) -> RuleEdit:
        created = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
        values: dict[str, Any] = {
            "created_at": created,
            "origin": origin,
            "user": user,
            "auth": auth,
            "reason": reason,
            "rule_file": rule_file,
            "rule_set_id": rule_set_id,
            "version_before": version_before,
            "version_after": version_after,
            "sha256_before": sha256_before,
            "sha256_after": sha256_after,
            "previous_copy": previous_copy,
            "text_before": text_before,
            "text_after": text_after,
        }
        return self.get_rule_edit(self._append("rule_edits", values))

    def get_rule_edit(self, edit_id: int) -> RuleEdit:
        with self.engine.connect() as conn:
            row = conn.execute(select(rule_edits).where(rule_edits.c.id == edit_id)).mappings().first()
        if row is None:
            raise KeyError(edit_id)
        return _rule_edit(row)

    def rule_edits(self, rule_file: str | None = None, limit: int = 200) -> builtins.list[RuleEdit]:
        """Newest first; only those of one file when named."""
        q = select(rule_edits).order_by(rule_edits.c.id.desc()).limit(limit)
        if rule_file:
            q = q.where(rule_edits.c.rule_file == rule_file)
        with self.engine.connect() as conn:
            return [_rule_edit(r) for r in conn.execute(q).mappings()]

    def journal_mode(self) -> str:
        """'wal' for the SQLite store (what concurrent writers rely on); the dialect name elsewhere."""
        with self.engine.connect() as conn:
            if conn.dialect.name != "sqlite":
                return conn.dialect.name
            return str(conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()).lower()

    def dispose(self) -> None:
        self.engine.dispose()


def _rule_edit(row: Any) -> RuleEdit:
    data = dict(row)
    data["created_at"] = data["created_at"].replace(tzinfo=dt.UTC)
    return RuleEdit(**data)


def _record(row: Any) -> Record:
    data = dict(row)
    data["created_at"] = data["created_at"].replace(tzinfo=dt.UTC)
    data["refusal_codes"] = tuple(c for c in data["refusal_codes"].split(",") if c)
    return Record(**data)
