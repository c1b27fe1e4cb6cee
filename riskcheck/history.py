"""The record of assessments made in the app: an append-only table (SQLAlchemy 2 Core).

Each row holds the inputs (the scenario as YAML, and the recipient profile it used), the
result (canonical JSON), the provenance (rule-set id, version and sha256, input sha256,
engine version, as-of date) and the time it was made, in UTC.

Rows are never updated or deleted through this module. Each row carries ``row_hash``, the
sha256 of its content and of the previous row's hash, so that a removed or edited row
breaks the chain (``verify()``). Writers are serialised for that: ``BEGIN IMMEDIATE`` on
SQLite, a transaction-scoped advisory lock on PostgreSQL.

The database is an embedded SQLite file under the user's data folder by default
(``$XDG_DATA_HOME/riskcheck/history.db``, usually ``~/.local/share/riskcheck/history.db``);
``RISKCHECK_DB_URL`` (any SQLAlchemy URL, e.g. ``postgresql+psycopg://...``) points it elsewhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection

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
GENESIS = "0" * 64


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
    prev_hash: str
    row_hash: str

    @property
    def result(self) -> dict[str, Any]:
        return json.loads(self.result_json)  # type: ignore[no-any-return]

    @property
    def label(self) -> str:
        when = self.created_at.strftime("%Y-%m-%d %H:%M UTC")
        return f"#{self.id} {when} - {self.title} - {self.decision}"


def row_hash(values: dict[str, Any], prev: str) -> str:
    content = {k: values.get(k) for k in HASHED}
    text_ = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev + "\n" + text_).encode("utf-8")).hexdigest()


class History:
    """An append-only store of assessments. ``History(url)``; ``url=None`` uses ``default_url()``."""

    def __init__(self, url: str | None = None):
        self.url = url or default_url()
        self.engine: Engine = self._engine(self.url)
        metadata.create_all(self.engine)

    @staticmethod
    def _engine(url: str) -> Engine:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False})

            @event.listens_for(engine, "connect")
            def _connect(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" below open transactions
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA busy_timeout=5000")
                cur.close()

            @event.listens_for(engine, "begin")
            def _begin(conn: Connection) -> None:
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # serialise writers: the hash chain must not fork

            return engine
        return create_engine(url, pool_pre_ping=True)

    @contextmanager
    def _writer(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(7419027)"))
            yield conn

    def record(
        self,
        a: Assessment,
        scenario_yaml: str,
        *,
        recipient: str = "",
        profile_yaml: str | None = None,
        origin: str = "app",
        note: str | None = None,
        now: dt.datetime | None = None,
    ) -> Record:
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
            "result_json": as_json(a),
            "provenance_json": json.dumps(to_plain(a.provenance), sort_keys=True),
            "note": note,
        }
        with self._writer() as conn:
            prev = conn.execute(
                select(assessments.c.row_hash).order_by(assessments.c.id.desc()).limit(1)
            ).scalar_one_or_none()
            values["prev_hash"] = prev or GENESIS
            values["row_hash"] = row_hash(values, values["prev_hash"])
            new_id = conn.execute(assessments.insert().values(**values)).inserted_primary_key[0]
        return self.get(int(new_id))

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

    def verify(self) -> list[int]:
        """Ids of rows whose hash does not follow from their content and the previous row (empty: intact)."""
        bad: list[int] = []
        prev = GENESIS
        with self.engine.connect() as conn:
            for row in conn.execute(select(assessments).order_by(assessments.c.id)).mappings():
                values = dict(row)
                if row["prev_hash"] != prev or row_hash(values, prev) != row["row_hash"]:
                    bad.append(int(row["id"]))
                prev = row["row_hash"]
        return bad

    def dispose(self) -> None:
        self.engine.dispose()


def _record(row: Any) -> Record:
    data = dict(row)
    data["created_at"] = data["created_at"].replace(tzinfo=dt.UTC)
    data["refusal_codes"] = tuple(c for c in data["refusal_codes"].split(",") if c)
    return Record(**data)
