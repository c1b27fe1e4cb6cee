"""The register's columns and how one cell is read: kinds, ranges, "did you mean", messages.

A cell is empty (not recorded), a value, ``unknown`` (for indicators: stated as not established,
which overrides a profile), several readings ``a|b`` (indicators only: contested evidence, scored
on the worst reading), or an error with a one-line message naming the problem, e.g.
``7 is above the maximum 5``. CSV cells are text; Parquet and Excel cells may be typed values.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .. import vocabulary as v
from ..engine.columns import Contested
from ..facts import CONTROL_RECORD, ROLE_ORDER

# Parse states of a cell.
EMPTY, VALUE, UNKNOWN, CONTESTED, ERROR = 0, 1, 2, 3, 4
MAX_READINGS = 6  # a value and at most five alternatives, as in scenario files
TEXT_MAX = 20_000


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN_VALUE = _Unknown()  # an indicator stated as 'unknown' (overrides a profile)


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str  # id | date | country | text | enum | bool | int | number | set | profile
    required: bool = False
    help: str = ""
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    indicator: bool = False  # country./unit.: 'unknown' overrides a profile; 'a|b' are contested readings
    noun: str = ""  # a set's member, as its error names it ("'psv' is not a control")


def _indicators() -> list[Spec]:
    out = []
    for group, specs in (("country", v.COUNTRY_INDICATORS), ("unit", v.UNIT_INDICATORS)):
        for key, s in specs.items():
            out.append(
                Spec(f"{group}.{key}", s.kind, False, s.description, s.values, s.low, s.high, indicator=True)
            )
    return out


COLUMNS: dict[str, Spec] = {
    s.name: s
    for s in [
        Spec("application_id", "id", True, "The application's reference, unique in the register"),
        Spec("date", "date", True, "Date of the application (YYYY-MM-DD): the assessment is as of this date"),
        Spec(
            "exporter_country",
            "country",
            True,
            "Exporting state, ISO 3166-1 alpha-3 (X.. for fictional states)",
        ),
        Spec("exporter_name", "text", False, "Exporting state's name (default: the code)"),
        Spec("recipient_country", "country", True, "Recipient state, ISO 3166-1 alpha-3"),
        Spec("recipient_name", "text", False, "Recipient state's name (default: the code)"),
        Spec("end_user_type", "enum", True, "Type of end user", tuple(v.END_USER_TYPES)),
        Spec("end_user_name", "text", True, "The end user (matched against named-force embargoes)"),
        Spec("end_user_unit", "text", False, "The receiving unit, where named (empty: not named)"),
        Spec("item_description", "text", False, "The item (default: its Military List category)"),
        Spec(
            "ml_category", "enum", True, "EU Common Military List category, e.g. ML1", tuple(v.MILITARY_LIST)
        ),
        Spec("att_category", "enum", True, "ATT category", tuple(v.ATT_CATEGORIES)),
        Spec("sensitivity", "enum", True, "Sensitivity class of the item", tuple(v.SENSITIVITY)),
        Spec(
            "capability",
            "enum",
            False,
            "What the items are for (empty: not stated, and the criteria that read it refer the case)",
            tuple(v.CAPABILITIES),
        ),
        Spec("quantity", "int", True, "Number of items", low=1, high=10**12),
        Spec("value_eur", "number", False, "Value in EUR (empty: unknown)", low=0, high=10**15),
        Spec("end_use", "text", False, "Stated end use"),
        Spec("channel", "enum", True, "Transfer channel", tuple(v.CHANNELS)),
        Spec(
            "controls",
            "set",
            False,
            "Controls offered, separated by ';' (empty: none)",
            tuple(v.CONTROLS),
            noun="control",
        ),
        Spec("profile", "profile", False, "Id of a recipient profile that pre-fills country evidence"),
        Spec("embargo.un", "bool", False, "A UN arms embargo covers this end user (checked)"),
        Spec("embargo.eu", "bool", False, "An EU arms embargo covers this end user (checked)"),
        Spec("embargo.osce", "bool", False, "An OSCE arms embargo covers this end user (checked)"),
        Spec(
            "embargo.national",
            "bool",
            False,
            "The exporting state's own arms embargo covers this end user (with the three above; empty: none)",
        ),
        Spec(
            "item_model", "text", False, "The item's model or system (matched against named-system embargoes)"
        ),
        Spec(
            "contract_date",
            "date",
            False,
            "When the contract was concluded (read only where an embargo's act exempts earlier contracts)",
        ),
        Spec(
            "sanctions_procedures",
            "text",
            False,
            "Sanctions-committee procedures, 'embargo-id:notification|approval:given|pending|refused', "
            "separated by ';' (empty: none made)",
        ),
        Spec(
            "derogation_conditions",
            "text",
            False,
            "Embargo derogation conditions, 'condition=met|not_met|unknown', separated by ';' "
            "(empty: none recorded, so unknown)",
        ),
        Spec(
            "prior_denials.identical_within_3y",
            "bool",
            False,
            "A partner denied an essentially identical transaction in the last three years (checked)",
        ),
        Spec(
            "prior_transfers.count_5y",
            "int",
            False,
            "Transfers by this exporter to the recipient in the last five years (recorded)",
            low=0,
            high=10**6,
        ),
        Spec(
            "conflicts.recipient_party",
            "bool",
            False,
            "The recipient is a party to an armed conflict (checked)",
        ),
        Spec(
            "conflicts.recipient_international",
            "bool",
            False,
            "The recipient is a party to an international armed conflict, between states (with "
            "conflicts.recipient_party true; absent: a conflict the row records is taken as one between "
            "states, and the profile's conflicts say so themselves)",
        ),
        Spec(
            "conflicts.exporter_arms_other_side",
            "bool",
            False,
            "The exporter has armed another party to a conflict the recipient is in",
        ),
        Spec(
            "conflicts.recipient_role",
            "enum",
            False,
            "The recipient's part in the conflicts it is a party to, the gravest (with conflicts.recipient_party)",
            ("none", *ROLE_ORDER),
        ),
        Spec(
            "patterns.ihl",
            "set",
            False,
            "Kinds of items (capabilities) used in the recipient's documented pattern of serious IHL "
            "violations, separated by ';' (empty: the profile's, else none recorded)",
            tuple(v.CAPABILITIES),
            noun="capability",
        ),
        Spec(
            "patterns.repression",
            "set",
            False,
            "Kinds of items (capabilities) used in the recipient's documented pattern of internal "
            "repression, separated by ';' (empty: the profile's, else none recorded)",
            tuple(v.CAPABILITIES),
            noun="capability",
        ),
        Spec(
            "controls.record",
            "enum",
            False,
            "What controls already tried with this recipient showed (empty: no record)",
            CONTROL_RECORD,
        ),
        Spec(
            "controls.breached",
            "set",
            False,
            "The controls it breached, separated by ';' (with controls.record breaches_found)",
            tuple(v.CONTROLS),
            noun="control",
        ),
        *_indicators(),
    ]
}
REQUIRED = tuple(name for name, s in COLUMNS.items() if s.required)
EMBARGO = ("embargo.un", "embargo.eu", "embargo.osce")  # a row's own check: all three or none
_PROC_KINDS = tuple(v.PROCEDURE_CONDITIONS.values())
_CONDITIONS = tuple(c for c in v.DEROGATION_CONDITIONS if c not in v.PROCEDURE_CONDITIONS)


def parse_procedures(text: str) -> tuple[tuple[str, str, str], ...]:
    """'un-x:notification:given; ...' as (embargo, kind, status) triples; ValueError names the fault."""
    out: list[tuple[str, str, str]] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        bits = [b.strip() for b in part.split(":")]
        if len(bits) != 3:
            raise ValueError(
                f"{_shown(part)} is not 'embargo-id:notification|approval:given|pending|refused'"
            )
        emb, kind, status = bits
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", emb):
            raise ValueError(f"{_shown(emb)} is not an embargo id")
        if kind not in _PROC_KINDS:
            raise ValueError(f"{_shown(kind)} is not a procedure{_suggest(kind, _PROC_KINDS)}")
        if status not in v.PROCEDURE_STATUSES:
            raise ValueError(f"{_shown(status)} is not a status{_suggest(status, v.PROCEDURE_STATUSES)}")
        if any(o[:2] == (emb, kind) for o in out):
            raise ValueError(f"two {kind}s for embargo {emb}")
        out.append((emb, kind, status))
    return tuple(out)


def parse_conditions(text: str) -> dict[str, str]:
    """'humanitarian_or_protective_use=met; ...' as a mapping; ValueError names the fault."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, eq, status = (b.strip() for b in part.partition("="))
        if not eq:
            raise ValueError(f"{_shown(part)} is not 'condition=met|not_met|unknown'")
        if name in v.PROCEDURE_CONDITIONS:
            raise ValueError(f"{name} is a committee procedure: record it in sanctions_procedures")
        if name not in _CONDITIONS:
            raise ValueError(f"{_shown(name)} is not a derogation condition{_suggest(name, _CONDITIONS)}")
        if status not in v.CONDITION_STATUSES:
            raise ValueError(f"{_shown(status)} is not a status{_suggest(status, v.CONDITION_STATUSES)}")
        if name in out:
            raise ValueError(f"{name} is given twice")
        out[name] = status
    return out


IGNORED_PREFIX = "x_"  # columns of the register's own (officer, notes, ...) are allowed and ignored

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COUNTRY = re.compile(r"^[A-Z]{3}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


@dataclass(frozen=True, order=True)
class RegisterProblem:
    """A bad value in one row: that row is not scored; the others are."""

    row: int
    column: str
    message: str
    path: str = field(default="", compare=False)

    def __str__(self) -> str:
        col = f"column {self.column}: " if self.column else ""
        return f"{self.path}:row {self.row}: {col}{self.message}"


# --- parsing one value ----------------------------------------------------------------------


def _suggest(word: str, choices: Any) -> str:
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _shown(raw: Any) -> str:
    text = str(raw)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _number(raw: Any, whole: bool) -> tuple[Any, str | None]:
    if isinstance(raw, bool):
        return None, f"{_shown(raw)} is not a number"
    if isinstance(raw, int):
        return raw, None
    if isinstance(raw, float):
        x = raw
    else:
        s = str(raw).strip()
        if whole and re.fullmatch(r"[+-]?\d+", s):
            return int(s), None
        try:
            x = float(s.replace("_", "x"))
        except ValueError:
            return None, f"{_shown(raw)} is not a {'whole number' if whole else 'number'}"
    if not math.isfinite(x):
        return None, f"{_shown(raw)} is not a finite number"
    if whole:
        if x != int(x):
            return None, f"{_shown(raw)} is not a whole number"
        return int(x), None
    return x, None


def parse_value(spec: Spec, raw: Any) -> tuple[int, Any, str | None]:
    """(state, value, message) for one cell. ``raw`` is a CSV string or a typed Parquet value."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return EMPTY, None, None
    text = raw.strip() if isinstance(raw, str) else None
    if text == "":
        return EMPTY, None, None
    if text is not None and text.lower() == "unknown" and spec.kind not in ("id", "text"):
        if spec.indicator:
            return UNKNOWN, UNKNOWN_VALUE, None
        if not spec.required:
            return EMPTY, None, None
    if spec.indicator and text is not None and "|" in text:
        readings = []
        for part in text.split("|"):
            state, val, msg = _parse_one(spec, part.strip())
            if state == ERROR:
                return ERROR, None, msg
            if state != VALUE:
                return ERROR, None, f"{_shown(raw)}: every reading of a contested value needs a value"
            if val not in readings:
                readings.append(val)
        if len(readings) > MAX_READINGS:
            return ERROR, None, f"{_shown(raw)}: at most {MAX_READINGS} readings"
        if len(readings) == 1:
            return VALUE, readings[0], None
        return CONTESTED, Contested(readings), None
    return _parse_one(spec, text if text is not None else raw)


def _parse_one(spec: Spec, raw: Any) -> tuple[int, Any, str | None]:
    k = spec.kind
    if k in ("id", "text", "profile"):
        if isinstance(raw, float) and raw == int(raw):
            raw = int(raw)
        s = str(raw).strip()
        if len(s) > TEXT_MAX:
            return ERROR, None, f"longer than {TEXT_MAX} characters"
        if k == "id":
            # One application, one id: ' A-1' and 'A-1' (or a composed and a decomposed 'é') are
            # the same reference, and an id carrying terminal control codes is refused.
            s = unicodedata.normalize("NFC", s)
            bad = _CONTROL.search(s)
            if bad:
                return ERROR, None, f"{_shown(s)} holds the control character U+{ord(bad[0]):04X}"
        if k == "profile" and not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", s):
            return ERROR, None, f"{_shown(raw)} is not a profile id (lower-case letters, digits, '_.-')"
        return VALUE, s, None
    if k == "date":
        if isinstance(raw, dt.datetime):
            if raw.time() != dt.time(0):
                return ERROR, None, f"{_shown(raw)} is not a date (YYYY-MM-DD)"
            return VALUE, raw.date(), None
        if isinstance(raw, dt.date):
            return VALUE, raw, None
        s = str(raw).strip()
        if _DATE.match(s):
            try:
                return VALUE, dt.date.fromisoformat(s), None
            except ValueError:
                pass
        return ERROR, None, f"{_shown(raw)} is not a date (YYYY-MM-DD)"
    if k == "country":
        s = str(raw).strip()
        if _COUNTRY.match(s):
            return VALUE, s, None
        return (
            ERROR,
            None,
            f"{_shown(raw)} is not an ISO 3166-1 alpha-3 code (three capital letters, e.g. IRQ)",
        )
    if k == "enum":
        s = str(raw).strip()
        if s in spec.values:
            return VALUE, s, None
        allowed = f"; allowed: {', '.join(spec.values)}" if len(spec.values) <= 8 else ""
        return (
            ERROR,
            None,
            f"{_shown(raw)} is not one of the allowed values{_suggest(s, spec.values)}{allowed}",
        )
    if k == "bool":
        if isinstance(raw, bool):
            return VALUE, raw, None
        if isinstance(raw, int | float) and raw in (0, 1):
            return VALUE, bool(raw), None
        s = str(raw).strip().lower()
        if s in _TRUE:
            return VALUE, True, None
        if s in _FALSE:
            return VALUE, False, None
        return ERROR, None, f"{_shown(raw)} is not true or false"
    if k in ("int", "number"):
        x, msg = _number(raw, k == "int")
        if msg is not None:
            return ERROR, None, msg
        if spec.low is not None and x < spec.low:
            return ERROR, None, f"{x} is below the minimum {_num(spec.low)}"
        if spec.high is not None and x > spec.high:
            return ERROR, None, f"{x} is above the maximum {_num(spec.high)}"
        return VALUE, x, None
    if k == "set":
        items = list(raw) if isinstance(raw, list | tuple) else re.split(r"[;,]", str(raw))
        out = []
        for item in items:
            s = str(item).strip()
            if not s:
                continue
            if s not in spec.values:
                return ERROR, None, f"{_shown(s)} is not a {spec.noun}{_suggest(s, spec.values)}"
            out.append(s)
        return VALUE, frozenset(out), None
    raise AssertionError(k)  # pragma: no cover


def _num(x: float) -> str:
    return str(int(x)) if x == int(x) else str(x)
