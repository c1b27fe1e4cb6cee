"""The record of assessments made in the app: an append-only table (SQLAlchemy 2 Core).

Each row holds the inputs (the scenario as YAML, and the recipient profile it used), the
result (canonical JSON), the provenance (rule-set id, version and sha256, input sha256,
engine version, as-of date), the time it was made, in UTC, and who recorded it
(``recorded_by``: the signed-in user of a shared deployment; None when nobody signs in, and in
rows written before the column existed, which opening the database adds).

Rows recorded with their loaded scenario also keep the case in short (``facts_json``, format
``riskcheck-case/2``, see ``riskcheck.kept_case``) and the outcome in short (``outcome_json``):
re-assessment replays those without reading the YAML again. Both columns are chained when set;
rows written before they existed (None) hash as they always did.

A second table, ``rule_edits``, records every rule file saved from the app: who, when, why,
the file, the content hashes before and after, and both texts (``record_rule_edit``).

Rows are never updated or deleted through this module. Both tables are chains of the ledger
(``riskcheck.ledger``: row hashes, recorded heads, anchors, serialised writers, one report shape),
written under the lock key ``LockKey.HISTORY``.

The database is an embedded SQLite file under the user's data folder by default
(``$XDG_DATA_HOME/riskcheck/history.db``, usually ``~/.local/share/riskcheck/history.db``);
``RISKCHECK_DB_URL`` (any SQLAlchemy URL, e.g. ``postgresql+psycopg://...``) points it elsewhere.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from sqlalchemy.engine import Connection, make_url

from . import kept_case, ledger
from .ledger import GENESIS as GENESIS  # re-exported: the hash before the first row
from .ledger import WRITER_OPTION, Anchor, Chain, ChainReport, Ledger, LockKey
from .loaded import LoadedScenario
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
    # The case as kept for re-assessment (riskcheck.kept_case) and the outcome in short; None in
    # rows recorded before they were kept, which re-assessment replays from the scenario text.
    Column("facts_json", Text, nullable=True),
    Column("outcome_json", Text, nullable=True),
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
# Hashed only when not None: ``recorded_by`` (and later the kept case and outcome) came after rows
# had been chained without it, and
# hashing a None there would change the hash of every older row, so that none of them would
# verify. A value that is set is covered like any other field (changing or clearing it breaks the
# chain); setting one on an older row breaks it too, since the key then enters the hash.
HASHED_WHEN_SET = ("recorded_by", "facts_json", "outcome_json")
# Columns added to a table after it was first released (nullable: older rows have no value),
# added when a database made before them is opened (``History._add_missing_columns``).
ADDED_COLUMNS: dict[str, tuple[str, ...]] = {"assessments": ("recorded_by", "facts_json", "outcome_json")}
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
chain_heads = ledger.heads  # one table of heads for every chain (see riskcheck.ledger)

CHAINS: dict[str, Chain] = {
    "assessments": Chain(assessments, HASHED, HASHED_WHEN_SET),
    "rule_edits": Chain(rule_edits, EDIT_HASHED),
}
BUSY_TIMEOUT_MS = ledger.BUSY_TIMEOUT_MS


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
    facts_json: str | None = None  # the kept case (riskcheck.kept_case); None: recorded before it was kept
    outcome_json: str | None = None

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


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL, plain (``sqlite:///path``) or URI (``sqlite:///file:path?mode=ro&uri=true``);
    None for an in-memory database or another dialect."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    name = parsed.database
    if parsed.query.get("uri") in ("true", "1") and name.startswith("file:"):
        name = name[len("file:") :].split("?", 1)[0]
        for host in ("///", "//localhost/"):  # file:///abs/path names /abs/path
            if name.startswith(host):
                name = "/" + name[len(host) :]
        if not name or name == ":memory:" or "mode=memory" in parsed.database:
            return None
    return Path(name).expanduser()


def result_json(a: Assessment) -> str:
    """The assessment as one line of JSON, ``decision`` first: what ``explain.as_json(a, indent=None)``
    writes (a test holds the two equal); built here from the trace so that the store imports no renderer."""
    data = to_plain(a)
    return json.dumps({"decision": data.pop("decision"), **data}, ensure_ascii=False) + "\n"


class History:
    """An append-only store of assessments. ``History(url)``; ``url=None`` uses ``default_url()``.

    ``create=False`` opens a database as it is, to read it (``riskcheck history verify``): no
    table is created or altered, the journal mode is left alone, and recording is refused.
    """

    def __init__(self, url: str | None = None, *, create: bool = True):
        self.url = url or default_url()
        self.writable = create
        self.engine: Engine = self._engine(self.url, create=create)
        self.ledger = Ledger(self.engine, metadata, CHAINS, LockKey.HISTORY)
        if create:
            # Tables only: a database with rows and no recorded head stays unanchored (a failed
            # check) until `riskcheck history migrate` records its heads, explicitly.
            self.ledger.create(then=self._add_missing_columns)

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
            path = sqlite_file(url)
            if create and path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
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

    def _append(self, name: str, values: dict[str, Any]) -> int:
        """Add one row at the end of a chained table; returns its id."""
        if not self.writable:
            raise RuntimeError(f"the history database {self.url} was opened to read it (create=False)")
        return self.ledger.append(name, values)

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
        scenario: LoadedScenario | None = None,
    ) -> Record:
        """Append an assessment. ``recorded_by``: the signed-in user who made it (None: nobody
        signed in, e.g. a single-user computer or the command line). ``scenario``: the loaded case
        assessed, kept in short for re-assessment (``kept_case``); without it the record is
        replayed from ``scenario_yaml``."""
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
            "result_json": result_json(a),
            "provenance_json": json.dumps(to_plain(a.provenance), sort_keys=True),
            "note": note,
            "recorded_by": recorded_by,
            "facts_json": kept_case.case_json(scenario) if scenario is not None else None,
            "outcome_json": kept_case.outcome_json(a) if scenario is not None else None,
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

    def verify(self) -> dict[str, ChainReport]:
        """The chains that fail their check, by table (empty: every chain intact)."""
        return self.ledger.verify()

    def check(self, anchor: Anchor | None = None) -> builtins.list[ChainReport]:
        """Every chained table checked: changed rows, deleted rows, removed newest rows, and with
        ``anchor``, whether the heads recorded outside the database are still there."""
        return self.ledger.check(anchor)

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
