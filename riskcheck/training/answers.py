"""A trainee's judgement, and reading a class's answers from CSV.

An :class:`Answer` is one trainee's judgement of one scenario at one stage (stage 0 is the
initial briefing, stage ``k`` the situation after inject ``k``): per criterion a risk level
and a one-line reason, the decision, and the conditions they would attach.

Levels are the engine's criterion levels, from least to most severe: ``acceptable``
(below every threshold), ``conditions``, ``refer``, ``deny``. Every rule set produces them,
so a trainee's level is compared with ``CriterionResult.level`` one to one.

CSV columns (``riskcheck exercise --answers``; header row required, any order, UTF-8; separated by
commas, or by semicolons or tabs as spreadsheets in many locales write them)::

    trainee     required  the trainee's name
    stage       required  0 (or 'initial') before any inject; N (or 'inject N') after inject N
    criterion   optional  a criterion id of the rule set (e.g. c7-stockpile); empty on a row
                          that only gives the decision
    level       with a criterion: acceptable | conditions | refer | deny (empty: not assessed)
    reason      optional  one line
    decision    required once per trainee and stage: approve | approve_with_conditions |
                          refer | deny | prohibited (repeat it on every row or give it once)
    conditions  optional  conditions the trainee would attach, separated by ';'

Columns that the class export adds (``exercise``, ``scenario``, ``inject``, ``tool_level`` and
the like, see ``export.CSV_COLUMNS``) are accepted and ignored, so an export can be scored
again; rows whose ``scenario`` names another scenario are skipped. Any other column is an
error. Every bad row is reported at once with its row number (the header is row 1) and
column, e.g. ``answers.csv:4:5: error RC703: column 'level': 'hgh' is not a level ...``.

Codes: RC701 unknown or missing column, RC702 missing value, RC703 value not allowed,
RC704 conflicting decision, RC705 stage out of range, RC706 unknown criterion,
RC707 duplicate row, RC708 file unreadable.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Diagnostic, InputError, Location, display_path, suggest
from ..explain.words import DECISION_WORDS
from ..safe_read import read_bytes
from ..trace import DECISIONS

LEVELS = ("acceptable", "conditions", "refer", "deny")  # least to most severe
LEVEL_RANK = {x: i for i, x in enumerate(LEVELS)}
LEVEL_WORDS = {
    "acceptable": "Acceptable",
    "conditions": "Conditions",
    "refer": "Refer",
    "deny": "Deny",
}
DECISION_RANK = {d: i for i, d in enumerate(DECISIONS)}
NAME_MAX, REASON_MAX, CONDITION_MAX = 60, 300, 300
INPUT_COLUMNS = ("trainee", "stage", "criterion", "level", "reason", "decision", "conditions")
REQUIRED_COLUMNS = ("trainee", "stage", "decision")
MAX_ROWS = 100_000
MAX_ANSWERS_BYTES = 64 * 1024 * 1024  # 100,000 rows of a few hundred characters, with room to spare
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CriterionAnswer:
    criterion: str
    level: str | None  # None: not assessed
    reason: str = ""


@dataclass(frozen=True)
class Answer:
    """One trainee's judgement of one scenario at one stage."""

    trainee: str
    scenario_index: int  # position of the scenario in the exercise (0 for the CLI's one scenario)
    stage: int  # 0 initial; k after inject k
    decision: str
    criteria: tuple[CriterionAnswer, ...] = ()
    conditions: tuple[str, ...] = ()
    submitted_at: dt.datetime | None = None  # UTC
    id: int | None = None  # the stored row, when it came from the database
    source: str = ""  # where it came from, for messages ("answers.csv:4-9", "app")

    def level(self, criterion: str) -> str | None:
        for c in self.criteria:
            if c.criterion == criterion:
                return c.level
        return None

    def reason(self, criterion: str) -> str:
        for c in self.criteria:
            if c.criterion == criterion:
                return c.reason
        return ""


def one_line(text: object, limit: int) -> str:
    """Whitespace (newlines included) collapsed to single spaces; control characters dropped; cut at limit."""
    s = "".join(ch for ch in str(text or "") if ch.isprintable() or ch.isspace())
    return _SPACE.sub(" ", s).strip()[:limit]


def clean_name(text: object) -> str:
    return one_line(text, NAME_MAX)


def name_key(name: str) -> str:
    """Two spellings of one trainee's name that differ only in case or spacing are one trainee."""
    return clean_name(name).casefold()


def split_conditions(text: object) -> tuple[str, ...]:
    """Conditions typed one per line or separated by ';' (empty pieces dropped, order kept)."""
    parts = re.split(r"[;\n]", str(text or ""))
    out = [one_line(p, CONDITION_MAX) for p in parts]
    return tuple(dict.fromkeys(p for p in out if p))


def stage_words(stage: int, inject_title: str | None = None) -> str:
    if stage == 0:
        return "initial briefing"
    return f"after inject {stage}" + (f": {inject_title}" if inject_title else "")


def latest(answers: Iterable[Answer]) -> dict[tuple[str, int, int], Answer]:
    """The last answer of each trainee at each (scenario, stage): earlier ones are kept, not counted."""
    out: dict[tuple[str, int, int], Answer] = {}
    for a in answers:
        key = (name_key(a.trainee), a.scenario_index, a.stage)
        old = out.get(key)
        if old is None or _order(a) >= _order(old):
            out[key] = a
    return out


def _order(a: Answer) -> tuple[dt.datetime, int]:
    return (a.submitted_at or dt.datetime.min, a.id or 0)


# --- CSV ----------------------------------------------------------------------------------


@dataclass
class _Group:
    trainee: str
    stage: int
    first_row: int
    last_row: int
    decision: str | None = None
    decision_row: int = 0
    criteria: dict[str, CriterionAnswer] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    conditions: list[str] = field(default_factory=list)


def _parse_stage(text: str) -> int | None:
    t = text.strip().lower()
    if t in ("0", "initial", "briefing", "initial briefing"):
        return 0
    m = re.fullmatch(r"(?:inject|after inject)?\s*(\d{1,4})", t)
    if m is None:
        return None
    return int(m.group(1))


def _suggest_criterion(given: str, criteria: Sequence[str]) -> str:
    """'c3' -> " (did you mean 'c3-internal-conflict'?)": a unique id starting with what was typed, else difflib."""
    starts = [c for c in criteria if c.startswith(given + "-")]
    if len(starts) == 1:
        return f" (did you mean {starts[0]!r}?)"
    return suggest(given, criteria)


def read_answers_csv(
    path: Path | str,
    *,
    criteria: Sequence[str],
    injects: int,
    scenario_id: str | None = None,
    ignored_columns: Sequence[str] = (),
    text: str | None = None,
) -> tuple[list[Answer], int]:
    """The answers in a CSV file, one :class:`Answer` per trainee and stage, and the number of
    rows skipped because they name another scenario. Raises :class:`InputError` listing every
    bad row (row number, column) at once."""
    shown = display_path(path)
    if text is None:
        raw = read_bytes(path, MAX_ANSWERS_BYTES, shown=shown)  # a FIFO or a device is refused unread
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(
                [Diagnostic(Location(shown), "RC708", "cannot read the file: not UTF-8 text")]
            ) from None
    problems: list[Diagnostic] = []

    def err(row: int, col: int, code: str, msg: str) -> None:
        problems.append(Diagnostic(Location(shown, row, col), code, msg))

    try:
        first = text.split("\n", 1)[0]
        delimiter = max((",", ";", "\t"), key=first.count)  # ';' from spreadsheets in many locales
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        table = list(reader)
    except csv.Error as e:
        raise InputError([Diagnostic(Location(shown), "RC708", f"not a readable CSV file: {e}")]) from None
    if not table or not any(x.strip() for x in table[0]):
        raise InputError([Diagnostic(Location(shown, 1, 1), "RC701", "no header row")])
    if len(table) > MAX_ROWS + 1:
        raise InputError([Diagnostic(Location(shown), "RC708", f"more than {MAX_ROWS:,} rows")])
    header = [h.strip().lower() for h in table[0]]
    known = set(INPUT_COLUMNS) | set(ignored_columns)
    col: dict[str, int] = {}
    for j, h in enumerate(header):
        if h in col:
            err(1, j + 1, "RC701", f"column {h!r} appears twice")
        elif h not in known:
            err(1, j + 1, "RC701", f"unknown column {h!r}{suggest(h, INPUT_COLUMNS)}")
        else:
            col[h] = j
    for h in REQUIRED_COLUMNS:
        if h not in col:
            err(1, 0, "RC701", f"missing column {h!r} (columns: {', '.join(INPUT_COLUMNS)})")
    if problems:
        raise InputError(problems)

    def cell(row: list[str], name: str) -> str:
        j = col.get(name)
        return row[j].strip() if j is not None and j < len(row) else ""

    def colno(name: str) -> int:
        return col.get(name, -1) + 1

    known_criteria = set(criteria)
    groups: dict[tuple[str, int], _Group] = {}
    skipped = 0
    for i, row in enumerate(table[1:], start=2):
        if not any(x.strip() for x in row):
            continue
        if len(row) > len(header):
            err(i, len(header) + 1, "RC701", f"{len(row)} cells but {len(header)} columns in the header")
            continue
        if scenario_id is not None and "scenario" in col and cell(row, "scenario") not in ("", scenario_id):
            skipped += 1
            continue
        bad = False
        trainee = clean_name(cell(row, "trainee"))
        if not trainee:
            err(i, colno("trainee"), "RC702", "column 'trainee': a name is needed")
            bad = True
        raw_stage = cell(row, "stage")
        stage = _parse_stage(raw_stage)
        if not raw_stage:
            err(i, colno("stage"), "RC702", "column 'stage': 0 (initial) or an inject number is needed")
            bad = True
        elif stage is None:
            err(
                i,
                colno("stage"),
                "RC703",
                f"column 'stage': {raw_stage!r} is not 0, 'initial' or an inject number",
            )
            bad = True
        elif stage > injects:
            have = f"injects 1-{injects}" if injects > 1 else ("inject 1" if injects == 1 else "no inject")
            err(
                i,
                colno("stage"),
                "RC705",
                f"column 'stage': inject {stage} does not exist (the scenario has {have})",
            )
            bad = True
        crit = cell(row, "criterion")
        if crit and crit not in known_criteria:
            err(
                i,
                colno("criterion"),
                "RC706",
                f"column 'criterion': unknown criterion {crit!r}{_suggest_criterion(crit, criteria)}",
            )
            bad = True
        raw_level = cell(row, "level").lower()
        level: str | None = None
        if raw_level:
            if raw_level not in LEVELS:
                err(
                    i,
                    colno("level"),
                    "RC703",
                    f"column 'level': {cell(row, 'level')!r} is not a level{suggest(raw_level, LEVELS)}; "
                    f"allowed: {', '.join(LEVELS)}",
                )
                bad = True
            elif not crit:
                err(i, colno("level"), "RC702", "column 'criterion': a level needs the criterion it rates")
                bad = True
            else:
                level = raw_level
        raw_decision = cell(row, "decision").lower()
        decision: str | None = None
        if raw_decision:
            if raw_decision not in DECISIONS:
                err(
                    i,
                    colno("decision"),
                    "RC703",
                    f"column 'decision': {cell(row, 'decision')!r} is not a decision"
                    f"{suggest(raw_decision, DECISIONS)}; allowed: {', '.join(DECISIONS)}",
                )
                bad = True
            else:
                decision = raw_decision
        if bad:
            continue
        assert stage is not None
        key = (name_key(trainee), stage)
        g = groups.get(key)
        if g is None:
            g = groups[key] = _Group(trainee, stage, i, i)
        g.last_row = i
        if decision is not None:
            if g.decision is not None and g.decision != decision:
                err(
                    i,
                    colno("decision"),
                    "RC704",
                    f"column 'decision': {decision!r} contradicts {g.decision!r} given for {trainee} "
                    f"at stage {stage} on row {g.decision_row}",
                )
            elif g.decision is None:
                g.decision, g.decision_row = decision, i
        if crit:
            if crit in g.criteria:
                err(
                    i,
                    colno("criterion"),
                    "RC707",
                    f"column 'criterion': {crit!r} already rated by {trainee} at stage {stage} on row {g.rows[crit]}",
                )
            else:
                g.criteria[crit] = CriterionAnswer(crit, level, one_line(cell(row, "reason"), REASON_MAX))
                g.rows[crit] = i
        g.conditions += split_conditions(cell(row, "conditions"))
    for g in groups.values():
        if g.decision is None:
            err(
                g.first_row,
                colno("decision"),
                "RC702",
                f"column 'decision': no decision given for {g.trainee} at stage {g.stage} "
                + (
                    f"(rows {g.first_row}-{g.last_row})"
                    if g.last_row != g.first_row
                    else f"(row {g.first_row})"
                ),
            )
    if problems:
        raise InputError(problems)
    order = {c: i for i, c in enumerate(criteria)}
    answers = [
        Answer(
            trainee=g.trainee,
            scenario_index=0,
            stage=g.stage,
            decision=g.decision or "",
            criteria=tuple(sorted(g.criteria.values(), key=lambda c: order[c.criterion])),
            conditions=tuple(dict.fromkeys(g.conditions)),
            source=f"{shown}:{g.first_row}" + (f"-{g.last_row}" if g.last_row != g.first_row else ""),
        )
        for g in sorted(groups.values(), key=lambda g: (g.stage, g.first_row))
    ]
    return answers, skipped


__all__ = [
    "DECISION_WORDS",
    "LEVELS",
    "Answer",
    "CriterionAnswer",
    "clean_name",
    "latest",
    "read_answers_csv",
    "split_conditions",
    "stage_words",
]
