"""Exercises and trainees' answers, in the same database as the assessments (SQLAlchemy 2 Core).

Three append-only tables beside ``assessments`` (``riskcheck.history``), on the same engine and
URL (``RISKCHECK_DB_URL``, or the SQLite file under the user's data folder):

- ``training_exercises``  one row per exercise: its name, rule set (path, id, sha256) and
                          scenarios in order (file, id, sha256), as JSON.
- ``training_events``     what happened in an exercise, in order: a trainee joined, the
                          trainer released an inject (or withdrew the last one), moved to the next scenario, opened the
                          debrief, closed the exercise. The exercise's state is the fold of
                          its events (:func:`Exercise.state`), so nothing is ever updated.
- ``training_answers``    every answer a trainee submitted (scenario, stage, decision,
                          conditions, and per criterion a level and a reason, as JSON). A
                          later answer for the same stage supersedes an earlier one in the
                          debrief; both stay in the table.

Rows are never updated or deleted through this module. The three tables are chains of the ledger
(``riskcheck.ledger``), as the assessments are: row hashes, heads in ``chain_heads`` (databases
made before kept them in ``training_chain_heads``, still read), writers serialised under the lock
key ``LockKey.TRAINING`` and tried again while the database is busy; ``check()`` and ``verify()``
answer as ``History``'s do.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
)
from sqlalchemy.engine import Connection

from ..errors import ExerciseError
from ..history import History
from ..ledger import Anchor, Chain, ChainReport, Ledger, LockKey
from .answers import Answer, CriterionAnswer, clean_name, name_key

metadata = MetaData()
exercises = Table(
    "training_exercises",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime, nullable=False),  # UTC, stored naive
    Column("name", String(120), nullable=False),
    Column("name_key", String(120), nullable=False, unique=True),  # casefolded: one exercise per name
    Column("rules_path", Text, nullable=False),
    Column("rule_set_id", String(80), nullable=False),
    Column("rules_sha256", String(64), nullable=False),
    Column("scenarios_json", Text, nullable=False),
    Column("note", Text, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False, unique=True),
)
events = Table(
    "training_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exercise_id", Integer, ForeignKey("training_exercises.id"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("kind", String(20), nullable=False),  # join | release | next | debrief | close
    Column("trainee", String(120), nullable=True),
    Column("scenario_index", Integer, nullable=True),
    Column("stage", Integer, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False, unique=True),
)
answers = Table(
    "training_answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exercise_id", Integer, ForeignKey("training_exercises.id"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("trainee", String(120), nullable=False),
    Column("scenario_index", Integer, nullable=False),
    Column("scenario_id", String(80), nullable=False),
    Column("stage", Integer, nullable=False),
    Column("decision", String(32), nullable=False),
    Column("conditions_json", Text, nullable=False),
    Column("criteria_json", Text, nullable=False),
    Column("rules_sha256", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False, unique=True),
)
EVENT_KINDS = ("join", "release", "next", "debrief", "close", "withdraw")


@dataclass(frozen=True)
class ScenarioRef:
    path: str  # as given: relative to the scenarios folder when it lies inside it
    id: str
    title: str
    sha256: str
    injects: int


@dataclass(frozen=True)
class Event:
    id: int
    created_at: dt.datetime
    kind: str
    trainee: str | None
    scenario_index: int | None
    stage: int | None


@dataclass(frozen=True)
class Exercise:
    id: int
    name: str
    created_at: dt.datetime  # UTC
    rules_path: str
    rule_set_id: str
    rules_sha256: str
    scenarios: tuple[ScenarioRef, ...]
    events: tuple[Event, ...] = ()

    # --- the state, folded from the events ----------------------------------------------

    @property
    def trainees(self) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        for ev in self.events:
            if ev.kind == "join" and ev.trainee:
                seen.setdefault(name_key(ev.trainee), ev.trainee)
        return tuple(seen.values())

    def trainee_named(self, name: str) -> str | None:
        key = name_key(name)
        return next((t for t in self.trainees if name_key(t) == key), None)

    @property
    def position(self) -> int:
        """The index of the scenario in play."""
        pos = 0
        for ev in self.events:
            if ev.kind == "next" and ev.scenario_index is not None:
                pos = ev.scenario_index
        return pos

    def released(self, scenario_index: int) -> int:
        """How many of a scenario's injects have been released."""
        n = 0
        for ev in self.events:
            if ev.kind == "release" and ev.scenario_index == scenario_index and ev.stage is not None:
                n = max(n, ev.stage)
            elif ev.kind == "withdraw" and ev.scenario_index == scenario_index and ev.stage is not None:
                n = min(n, ev.stage - 1)  # the trainer took inject ``stage`` back
        return n

    @property
    def released_all(self) -> tuple[int, ...]:
        return tuple(self.released(i) for i in range(len(self.scenarios)))

    def debriefed(self, scenario_index: int) -> bool:
        return any(ev.kind == "debrief" and ev.scenario_index == scenario_index for ev in self.events)

    @property
    def closed(self) -> bool:
        return any(ev.kind == "close" for ev in self.events)

    @property
    def stage(self) -> int:
        """The stage in play for the current scenario (0: initial briefing; k: after inject k)."""
        return self.released(self.position)

    def open_for_answers(self, scenario_index: int, stage: int) -> bool:
        return (
            not self.closed
            and scenario_index == self.position
            and stage == self.stage
            and not self.debriefed(scenario_index)
        )

    @property
    def signature(self) -> tuple[object, ...]:
        """What a trainee's page depends on: changes when the trainer moves the exercise on, not when
        someone joins."""
        debriefed = tuple(self.debriefed(i) for i in range(len(self.scenarios)))
        return (self.position, self.released_all, debriefed, self.closed)


def _hashed(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns if c.name not in ("id", "prev_hash", "row_hash"))


CHAINS = {t.name: Chain(t, _hashed(t)) for t in (exercises, events, answers)}


def _now(now: dt.datetime | None = None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)


class TrainingStore:
    """Exercises, their events and the trainees' answers. ``TrainingStore(engine)`` uses the engine
    of a :class:`~riskcheck.history.History` (the same database); :meth:`open` makes one from a URL."""

    def __init__(self, engine: Engine, *, create: bool = True):
        self.engine = engine
        self.ledger = Ledger(engine, metadata, CHAINS, LockKey.TRAINING)
        if create:
            self.ledger.create()

    @classmethod
    def existing(cls, engine: Engine) -> TrainingStore | None:
        """The store on a database that has training tables, opened without creating any (to
        verify it); None when the database has none (no exercise was ever run on it)."""
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
        if not names & set(metadata.tables):
            return None
        return cls(engine, create=False)

    @classmethod
    def open(cls, url: str | None = None) -> TrainingStore:
        return cls(History(url).engine)

    # --- exercises ---------------------------------------------------------------------

    def create(
        self,
        name: str,
        *,
        rules_path: str,
        rule_set_id: str,
        rules_sha256: str,
        scenarios: list[ScenarioRef],
        note: str | None = None,
        now: dt.datetime | None = None,
    ) -> Exercise:
        shown = clean_name(name)
        if not shown:
            raise ExerciseError("Give the exercise a name.")
        if not scenarios:
            raise ExerciseError("Choose at least one scenario.")
        values = {
            "created_at": _now(now),
            "name": shown,
            "name_key": name_key(shown),
            "rules_path": rules_path,
            "rule_set_id": rule_set_id,
            "rules_sha256": rules_sha256,
            "scenarios_json": json.dumps([s.__dict__ for s in scenarios], sort_keys=True),
            "note": note,
        }

        def write(conn: Connection) -> int:
            taken = conn.execute(
                select(exercises.c.id).where(exercises.c.name_key == values["name_key"])
            ).scalar_one_or_none()
            if taken is not None:
                raise ExerciseError(
                    f"An exercise named {shown!r} exists already: reopen it or choose another name."
                )
            return self.ledger.append_in(conn, exercises.name, values)

        return self.get(self.ledger.run(write))

    def get(self, exercise_id: int) -> Exercise:
        with self.engine.connect() as conn:
            row = conn.execute(select(exercises).where(exercises.c.id == exercise_id)).mappings().first()
            if row is None:
                raise KeyError(exercise_id)
            evs = conn.execute(
                select(events).where(events.c.exercise_id == exercise_id).order_by(events.c.id)
            ).mappings()
            return _exercise(row, [_event(e) for e in evs])

    def find(self, name: str) -> Exercise | None:
        with self.engine.connect() as conn:
            eid = conn.execute(
                select(exercises.c.id).where(exercises.c.name_key == name_key(name))
            ).scalar_one_or_none()
        return None if eid is None else self.get(int(eid))

    def list_exercises(self) -> list[Exercise]:
        """Every exercise, newest first."""
        with self.engine.connect() as conn:
            ids = [
                int(i) for i in conn.execute(select(exercises.c.id).order_by(exercises.c.id.desc())).scalars()
            ]
        return [self.get(i) for i in ids]

    def version(self, exercise_id: int) -> tuple[int, int]:
        """(last event id, last answer id) of an exercise: changes whenever anything happens in it."""
        with self.engine.connect() as conn:
            ev = conn.execute(
                select(events.c.id)
                .where(events.c.exercise_id == exercise_id)
                .order_by(events.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            an = conn.execute(
                select(answers.c.id)
                .where(answers.c.exercise_id == exercise_id)
                .order_by(answers.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        return (int(ev or 0), int(an or 0))

    # --- events --------------------------------------------------------------------------

    def _event(
        self,
        ex: Exercise,
        kind: str,
        *,
        trainee: str | None = None,
        scenario_index: int | None = None,
        stage: int | None = None,
        now: dt.datetime | None = None,
    ) -> Exercise:
        assert kind in EVENT_KINDS
        self.ledger.append(
            events.name,
            {
                "exercise_id": ex.id,
                "created_at": _now(now),
                "kind": kind,
                "trainee": trainee,
                "scenario_index": scenario_index,
                "stage": stage,
            },
        )
        return self.get(ex.id)

    def join(self, ex: Exercise, trainee: str, now: dt.datetime | None = None) -> tuple[Exercise, str]:
        """Add a trainee (or find them: names differing only in case or spacing are one trainee).
        Returns the exercise and the name as first registered."""
        ex = self.get(ex.id)
        name = clean_name(trainee)
        if not name:
            raise ExerciseError("Type your name to join.")
        known = ex.trainee_named(name)
        if known is not None:
            return ex, known
        if ex.closed:
            raise ExerciseError(f"The exercise {ex.name!r} is closed: no one can join it now.")
        return self._event(ex, "join", trainee=name, now=now), name

    def release(self, ex: Exercise, now: dt.datetime | None = None) -> Exercise:
        """Release the next inject of the scenario in play."""
        ex = self.get(ex.id)
        pos, done = ex.position, ex.stage
        if ex.closed:
            raise ExerciseError("The exercise is closed.")
        if ex.debriefed(pos):
            raise ExerciseError("The debrief of this scenario is open: move to the next scenario instead.")
        if done >= ex.scenarios[pos].injects:
            raise ExerciseError("Every inject of this scenario has been released.")
        return self._event(ex, "release", scenario_index=pos, stage=done + 1, now=now)

    def withdraw(self, ex: Exercise, now: dt.datetime | None = None) -> Exercise:
        """Take back the last inject released in the scenario in play (released by mistake or too early).
        Recorded as an event like any other: nothing is deleted, and answers given after it are kept."""
        ex = self.get(ex.id)
        pos, done = ex.position, ex.stage
        if ex.closed:
            raise ExerciseError("The exercise is closed.")
        if ex.debriefed(pos):
            raise ExerciseError("The debrief of this scenario is open: its injects stay as they were.")
        if done == 0:
            raise ExerciseError("No inject of this scenario has been released.")
        return self._event(ex, "withdraw", scenario_index=pos, stage=done, now=now)

    def open_debrief(self, ex: Exercise, now: dt.datetime | None = None) -> Exercise:
        ex = self.get(ex.id)
        if ex.debriefed(ex.position):
            return ex
        return self._event(ex, "debrief", scenario_index=ex.position, now=now)

    def next_scenario(self, ex: Exercise, now: dt.datetime | None = None) -> Exercise:
        ex = self.get(ex.id)
        if ex.closed:
            raise ExerciseError("The exercise is closed.")
        if ex.position + 1 >= len(ex.scenarios):
            raise ExerciseError("This is the last scenario of the exercise.")
        return self._event(ex, "next", scenario_index=ex.position + 1, now=now)

    def close(self, ex: Exercise, now: dt.datetime | None = None) -> Exercise:
        ex = self.get(ex.id)
        if ex.closed:
            return ex
        for i in range(len(ex.scenarios)):  # closing opens every debrief
            if not ex.debriefed(i) and i <= ex.position:
                ex = self._event(ex, "debrief", scenario_index=i, now=now)
        return self._event(ex, "close", now=now)

    # --- answers -------------------------------------------------------------------------

    def submit(self, ex: Exercise, answer: Answer, now: dt.datetime | None = None) -> Answer:
        """Store a trainee's answer for the stage in play (refused once the stage has moved on)."""
        ex = self.get(ex.id)
        trainee = ex.trainee_named(answer.trainee)
        if trainee is None:
            raise ExerciseError(f"{answer.trainee!r} has not joined the exercise {ex.name!r}.")
        if not ex.open_for_answers(answer.scenario_index, answer.stage):
            raise ExerciseError(
                "This stage is no longer open for answers: the trainer has released an inject, moved on "
                "or opened the debrief. Your earlier answers are kept."
            )
        created = _now(now)
        values = {
            "exercise_id": ex.id,
            "created_at": created,
            "trainee": trainee,
            "scenario_index": answer.scenario_index,
            "scenario_id": ex.scenarios[answer.scenario_index].id,
            "stage": answer.stage,
            "decision": answer.decision,
            "conditions_json": json.dumps(list(answer.conditions), ensure_ascii=False),
            "criteria_json": json.dumps(
                [{"criterion": c.criterion, "level": c.level, "reason": c.reason} for c in answer.criteria],
                ensure_ascii=False,
            ),
            "rules_sha256": ex.rules_sha256,
        }
        new_id = self.ledger.append(answers.name, values)
        return _answer({**values, "id": new_id})

    def answers(self, exercise_id: int, trainee: str | None = None) -> list[Answer]:
        """Every answer of an exercise (or of one trainee), oldest first; superseded ones included."""
        q = select(answers).where(answers.c.exercise_id == exercise_id).order_by(answers.c.id)
        with self.engine.connect() as conn:
            rows = [_answer(r) for r in conn.execute(q).mappings()]
        if trainee is not None:
            key = name_key(trainee)
            rows = [a for a in rows if name_key(a.trainee) == key]
        return rows

    # --- integrity -----------------------------------------------------------------------

    def check(self, anchor: Anchor | None = None) -> list[ChainReport]:
        """Every training chain checked, as ``History.check`` does the assessments: changed rows,
        deleted rows, removed newest rows (reads only: a missing table is reported, not created)."""
        return self.ledger.check(anchor)

    def verify(self) -> dict[str, ChainReport]:
        """The chains that fail their check, by table (empty: every chain intact)."""
        return self.ledger.verify()


def _exercise(row: Any, evs: list[Event]) -> Exercise:
    return Exercise(
        id=int(row["id"]),
        name=row["name"],
        created_at=row["created_at"].replace(tzinfo=dt.UTC),
        rules_path=row["rules_path"],
        rule_set_id=row["rule_set_id"],
        rules_sha256=row["rules_sha256"],
        scenarios=tuple(ScenarioRef(**s) for s in json.loads(row["scenarios_json"])),
        events=tuple(evs),
    )


def _event(row: Any) -> Event:
    return Event(
        int(row["id"]),
        row["created_at"].replace(tzinfo=dt.UTC),
        row["kind"],
        row["trainee"],
        row["scenario_index"],
        row["stage"],
    )


def _answer(row: Any) -> Answer:
    created = row["created_at"]
    return Answer(
        trainee=row["trainee"],
        scenario_index=int(row["scenario_index"]),
        stage=int(row["stage"]),
        decision=row["decision"],
        criteria=tuple(
            CriterionAnswer(c["criterion"], c.get("level"), c.get("reason") or "")
            for c in json.loads(row["criteria_json"])
        ),
        conditions=tuple(json.loads(row["conditions_json"])),
        submitted_at=created.replace(tzinfo=dt.UTC) if created.tzinfo is None else created,
        id=int(row["id"]),
        source="app",
    )
