"""The transfer form as plain data (no streamlit here, so all of it is unit-testable).

The form edits a *scenario document*: the same mapping a scenario YAML file holds. It is
turned into a validated scenario by the loader (``scenario_from_document``), so the app
accepts exactly what the CLI accepts. Schema errors come back located at a path of keys;
``field_errors`` maps them onto the form field that produced them.

Evidence is edited as rows (one per indicator). A country row whose content differs from
the recipient's profile becomes a scenario-level value, which the loader marks as an
override of the profile.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import vocabulary as v
from ..errors import Diagnostic, InputError
from ..loader import LoadedScenario, load_profile, scenario_from_document
from ..paths import scenarios_dir
from ..yamlfile import Document, parse_text

FORM_PATH = "(form)"
CONFIDENCES = ("known", "unknown", "contested")
GROUPS = {"country": v.COUNTRY_INDICATORS, "unit": v.UNIT_INDICATORS}
ITEM_COLUMNS = ("description", "ml_category", "att_category", "sensitivity", "model", "quantity", "value_eur")
EVIDENCE_COLUMNS = (
    "indicator",
    "value",
    "confidence",
    "source",
    "as_of",
    "alternatives",
    "origin",
    "problem",
)
# Parts of a scenario the form does not edit but carries over from where it started.
CARRIED = ("embargoes", "prior_denials", "prior_transfers", "conflicts")


# --- countries and profiles -------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    fictional: bool = False
    profile: str | None = None  # path of the profile, relative to the scenarios folder

    @property
    def label(self) -> str:
        tag = "fictional training state, profile" if self.fictional else "profile"
        extra = f" - {tag}" if self.profile else (" - fictional" if self.fictional else "")
        return f"{self.name} ({self.code}){extra}"


@dataclass(frozen=True)
class ProfileInfo:
    code: str
    name: str
    rel: str  # relative to scenarios_dir()
    indicators: dict[str, dict[str, Any]]  # raw indicator mappings, as written in the file


def _clean_name(name: str) -> str:
    return re.sub(r"\s*\(fictional\)\s*$", "", name)


@functools.lru_cache(maxsize=4)
def profiles(root: str | None = None) -> dict[str, ProfileInfo]:
    """Recipient profiles by country code (scenarios/profiles/*.yaml)."""
    base = Path(root) if root else scenarios_dir()
    out: dict[str, ProfileInfo] = {}
    for path in sorted((base / "profiles").glob("*.yaml")):
        try:
            model, doc = load_profile(path)
        except InputError:
            continue  # `riskcheck check` reports broken profiles; the form just does not offer them
        if model.country in out:
            continue  # several profiles of one state: a new recipient starts from the first
        out[model.country] = ProfileInfo(
            model.country,
            _clean_name(model.name),
            path.relative_to(base).as_posix(),
            dict(doc.data.get("indicators") or {}),
        )
    return out


@functools.lru_cache(maxsize=4)
def countries(root: str | None = None) -> tuple[Country, ...]:
    """Every ISO 3166-1 state (names from pycountry), plus the fictional training states.

    Fictional states come from the profiles and from the parties named in bundled scenarios
    (an exporter such as Ostria has no profile). Fictional states are listed first.
    """
    import pycountry

    base = Path(root) if root else scenarios_dir()
    profs = profiles(root)
    fictional: dict[str, Country] = {
        code: Country(code, p.name, True, p.rel) for code, p in profs.items() if code.startswith("X")
    }
    for path in sorted(base.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            parties = [data["transfer"]["exporter"], data["transfer"]["recipient"]]
        except (OSError, yaml.YAMLError, KeyError, TypeError):
            continue
        for p in parties:
            code = str(p.get("country", ""))
            if re.fullmatch(r"X[A-Z]{2}", code) and code not in fictional:
                fictional[code] = Country(code, _clean_name(str(p.get("name", code))), True, None)
    real = [
        Country(c.alpha_3, getattr(c, "common_name", None) or c.name, False, None)
        for c in pycountry.countries
    ]
    real = [Country(c.code, c.name, False, profs[c.code].rel) if c.code in profs else c for c in real]
    return (
        *sorted(fictional.values(), key=lambda c: c.name),
        *sorted(real, key=lambda c: c.name),
    )


def country_name(code: str, root: str | None = None) -> str:
    for c in countries(root):
        if c.code == code:
            return c.name
    return code


def official_name(code: str) -> str:
    """The name to put on the form when the officer does not type one."""
    import pycountry

    c = pycountry.countries.get(alpha_3=code)
    if c is not None:
        return str(getattr(c, "official_name", None) or c.name)
    return country_name(code)


# --- starting points --------------------------------------------------------------------


def bundled_scenarios(root: str | None = None) -> dict[str, str]:
    """Bundled scenario files (path -> title), in file-name order (re-read when a file changes)."""
    base = Path(root) if root else scenarios_dir()
    signature = tuple((str(p), p.stat().st_mtime_ns) for p in sorted(base.glob("*.yaml")))
    return _bundled(signature)


@functools.lru_cache(maxsize=8)
def _bundled(signature: tuple[tuple[str, int], ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, _ in signature:
        path = Path(name)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and "transfer" in data:
            out[str(path)] = str(data.get("title") or path.stem)
    return out


def scenario_data(path: Path | str) -> dict[str, Any]:
    """A scenario file as a form document."""
    return form_document(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def form_document(data: dict[str, Any]) -> dict[str, Any]:
    """A scenario file's data as a form document (bundled or uploaded, the same way).
    Expectations and injects belong to tests and exercises, not to the case being assessed."""
    for key in ("expected", "injects"):
        data.pop(key, None)
    return data


def blank_scenario(today: dt.date | None = None) -> dict[str, Any]:
    return {
        "id": "new-transfer",
        "title": "New transfer",
        "date": today or dt.date.today(),
        "rules": "baseline",
        "fictional": False,
        "briefing": "Entered in the riskcheck app.",
        "transfer": {
            "exporter": {"country": "", "name": ""},
            "recipient": {"country": "", "name": ""},
            "end_user": {"type": "armed_forces", "name": ""},
            "items": [],
            "end_use": "",
            "channel": "commercial_licensed",
            "controls": [],
        },
        "evidence": {},
    }


# --- values as text in the evidence table -------------------------------------------------


def value_to_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def text_to_value(text: Any, spec: v.IndicatorSpec) -> Any:
    """Parse what the officer typed. Anything unparseable is passed on as text, so that the
    schema rejects it with a located message (instead of the form guessing)."""
    t = _blank_to_none(text)
    if t is None:
        return None
    if isinstance(t, bool | int | float) and not isinstance(t, str):
        if spec.kind == "int" and isinstance(t, float) and t.is_integer():
            return int(t)
        return t
    s = str(t).strip()
    if spec.kind == "bool":
        low = s.lower()
        if low in ("yes", "true", "y", "1"):
            return True
        if low in ("no", "false", "n", "0"):
            return False
        return s
    if spec.kind == "int":
        try:
            return int(s)
        except ValueError:
            try:
                f = float(s)
            except ValueError:
                return s
            return int(f) if f.is_integer() else f
    if spec.kind == "number":
        try:
            f = float(s)
        except ValueError:
            return s
        return int(f) if f.is_integer() else f
    return s


def _blank_to_none(x: Any) -> Any:
    if x is None:
        return None
    if hasattr(x, "item") and not isinstance(x, str | bytes):
        with contextlib.suppress(ValueError, AttributeError):
            x = x.item()  # numpy / pandas scalars
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, str) and not x.strip():
        return None
    if type(x).__name__ in ("NaTType", "NAType"):
        return None
    return x


def _date(x: Any) -> Any:
    x = _blank_to_none(x)
    if x is None:
        return None
    if isinstance(x, dt.datetime):
        return x.date()
    if isinstance(x, dt.date):
        return x
    if hasattr(x, "to_pydatetime"):
        return x.to_pydatetime().date()
    try:
        return dt.date.fromisoformat(str(x).strip())
    except ValueError:
        return str(x)  # rejected by the schema, next to the row


# --- evidence rows ----------------------------------------------------------------------


def indicator_to_row(key: str, ind: dict[str, Any] | None) -> dict[str, Any]:
    ind = ind or {}
    alts = ind.get("alternatives") or []
    return {
        "indicator": key,
        "value": value_to_text(ind.get("value")),
        "confidence": ind.get("confidence"),
        "source": ind.get("source"),
        "as_of": _date(ind.get("as_of")),
        "alternatives": ", ".join(value_to_text(a) or "" for a in alts) or None,
    }


def row_to_indicator(row: dict[str, Any], spec: v.IndicatorSpec) -> dict[str, Any] | None:
    """One table row as an indicator mapping; None when the row says nothing (missing)."""
    value = text_to_value(row.get("value"), spec)
    conf = _blank_to_none(row.get("confidence"))
    source = _blank_to_none(row.get("source"))
    as_of = _date(row.get("as_of"))
    alts_text = _blank_to_none(row.get("alternatives"))
    if value is None and conf is None:
        return None
    if conf is None:
        conf = "known"
    out: dict[str, Any] = {}
    if conf != "unknown" and value is not None:
        out["value"] = value
    out["confidence"] = conf
    if source is not None:
        out["source"] = str(source)
    if as_of is not None:
        out["as_of"] = as_of
    if conf == "contested" and alts_text is not None:
        out["alternatives"] = [text_to_value(a, spec) for a in str(alts_text).split(",") if a.strip()]
    note = _blank_to_none(row.get("note"))
    if note is not None:
        out["note"] = str(note)
    return out


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None, spec: v.IndicatorSpec) -> bool:
    """Equal as the form would write them (so that re-submitting an unchanged row is not an override)."""
    if a is None or b is None:
        return a is b
    na = row_to_indicator(indicator_to_row("", a), spec)
    nb = row_to_indicator(indicator_to_row("", b), spec)
    return na == nb


def evidence_rows(data: dict[str, Any], group: str, root: str | None = None) -> list[dict[str, Any]]:
    """Rows for the evidence table: the profile's values, with the scenario's own on top.

    ``origin`` says where each value comes from: ``profile``, ``override`` (the scenario
    replaces the profile's value), ``entered`` (no profile value) or ``missing``.
    """
    specs = GROUPS[group]
    ev = data.get("evidence") or {}
    own = ev.get(group) or {}
    prof: dict[str, Any] = {}
    if group == "country":
        info = profile_for(data, root)
        prof = info.indicators if info else {}
    rows = []
    for key in specs:
        if key in own:
            row = indicator_to_row(key, own[key])
            row["origin"] = "override" if key in prof else "entered"
        elif key in prof:
            row = indicator_to_row(key, prof[key])
            row["origin"] = "profile"
        else:
            row = indicator_to_row(key, None)
            row["origin"] = "missing"
        row["problem"] = None
        rows.append(row)
    return rows


def profile_for(data: dict[str, Any], root: str | None = None) -> ProfileInfo | None:
    """The profile a scenario document names (any profile file, not only the first of its state)."""
    rel = (data.get("evidence") or {}).get("profile")
    if not rel:
        return None
    return _profile_file(str(Path(root) if root else scenarios_dir()), str(rel))


@functools.lru_cache(maxsize=32)
def _profile_file(base: str, rel: str) -> ProfileInfo | None:
    try:
        model, doc = load_profile(Path(base) / rel)
    except InputError:
        return None
    return ProfileInfo(model.country, _clean_name(model.name), rel, dict(doc.data.get("indicators") or {}))


def indicators_from_rows(
    rows: list[dict[str, Any]], group: str, profile: ProfileInfo | None
) -> dict[str, dict[str, Any]]:
    """The scenario's own indicators: every row that is not just the profile's value."""
    specs = GROUPS[group]
    prof = profile.indicators if (profile and group == "country") else {}
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = str(row.get("indicator"))
        if key not in specs:
            continue
        ind = row_to_indicator(row, specs[key])
        if key in prof:
            if _same(ind, prof[key], specs[key]):
                continue
            if ind is None:
                ind = {"confidence": "unknown"}  # blanked out: the officer does not accept the profile value
        if ind is not None:
            out[key] = ind
    return out


# --- items ------------------------------------------------------------------------------


def item_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    items = ((data.get("transfer") or {}).get("items")) or []
    return [{c: item.get(c) for c in ITEM_COLUMNS} for item in items]


def items_from_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        item = {c: _blank_to_none(row.get(c)) for c in ITEM_COLUMNS}
        if all(x is None for x in item.values()):
            continue  # an empty row added by mistake
        q = item.get("quantity")
        if isinstance(q, float) and q.is_integer():
            item["quantity"] = int(q)
        val = item.get("value_eur")
        if isinstance(val, float) and val.is_integer():
            item["value_eur"] = int(val)
        for optional in ("model", "value_eur"):
            if item.get(optional) is None:
                item.pop(optional)
        for required in ("description", "ml_category", "att_category", "sensitivity", "quantity"):
            if item.get(required) is None:
                item.pop(required)  # reported by the schema as a missing key, next to the items table
        out.append(item)
    return out


# --- the whole form ---------------------------------------------------------------------


@dataclass
class FormInput:
    """What the officer entered, widget by widget."""

    title: str
    date: dt.date
    exporter_country: str
    exporter_name: str
    recipient_country: str
    recipient_name: str
    end_user_type: str
    end_user_name: str
    unit: str
    end_use: str
    channel: str
    controls: list[str]
    items: list[dict[str, Any]]
    country_rows: list[dict[str, Any]]
    unit_rows: list[dict[str, Any]]
    briefing: str = ""
    arguments: list[str] | None = None  # arguments put forward for approval (recorded, never lower risk)


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
    return s or "transfer"


def apply_form(base: dict[str, Any], f: FormInput, rules_id: str, root: str | None = None) -> dict[str, Any]:
    """The scenario document the form describes, starting from ``base`` (which it does not change).

    When the recipient changes, the country evidence is reset to the new recipient's profile:
    values entered for the former recipient do not describe the new one.
    """
    data = copy.deepcopy(base)
    old_recipient = ((data.get("transfer") or {}).get("recipient") or {}).get("country")
    title = f.title.strip()
    data["title"] = title
    if data.get("id") in (None, "new-transfer") and title:
        data["id"] = slug(title)
    data["date"] = f.date
    data["rules"] = rules_id
    if f.briefing.strip():
        data["briefing"] = f.briefing.strip()
    data.setdefault("briefing", "Entered in the riskcheck app.")
    rc = f.recipient_country
    ec = f.exporter_country
    data["fictional"] = bool(data.get("fictional")) or rc.startswith("X") or ec.startswith("X")
    end_user: dict[str, Any] = {"type": f.end_user_type, "name": f.end_user_name.strip()}
    if f.unit.strip():
        end_user["unit"] = f.unit.strip()
    transfer = dict(data.get("transfer") or {})  # keys the form does not show are carried over
    transfer.update(
        {
            "exporter": {"country": ec, "name": f.exporter_name.strip() or (official_name(ec) if ec else "")},
            "recipient": {
                "country": rc,
                "name": f.recipient_name.strip() or (official_name(rc) if rc else ""),
            },
            "end_user": end_user,
            "items": items_from_rows(f.items),
            "end_use": f.end_use.strip(),
            "channel": f.channel,
            "controls": list(f.controls),
        }
    )
    if f.arguments is not None:
        transfer["arguments"] = list(f.arguments)
        if not transfer["arguments"]:
            transfer.pop("arguments")
    data["transfer"] = transfer
    ev = dict(data.get("evidence") or {})
    recipient_changed = old_recipient is not None and old_recipient != rc
    # Keep the profile the case already uses (a state may have several, e.g. one per period).
    prof = None if recipient_changed else profile_for(data, root)
    if prof is None or prof.code != rc:
        prof = profiles(root).get(rc)
    if prof is not None:
        ev["profile"] = prof.rel
    else:
        ev.pop("profile", None)
    if recipient_changed:
        ev.pop("country", None)
        for key in ("embargoes", "conflicts"):  # they were about the former recipient
            ev.pop(key, None)
    else:
        country = indicators_from_rows(f.country_rows, "country", prof)
        if country:
            ev["country"] = country
        else:
            ev.pop("country", None)
    unit = indicators_from_rows(f.unit_rows, "unit", None)
    if unit:
        ev["unit"] = unit
    else:
        ev.pop("unit", None)
    data["evidence"] = ev
    return data


# libyaml's emitter where PyYAML was built with it (about 8 times faster; the same data, long
# strings wrapped at other places)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def to_yaml(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=100)


@dataclass
class Built:
    """The outcome of turning a form document into a scenario."""

    scenario: LoadedScenario | None
    yaml_text: str
    errors: dict[str, list[str]]

    @property
    def ok(self) -> bool:
        return self.scenario is not None


def build(data: dict[str, Any], root: str | None = None, path: str = FORM_PATH) -> Built:
    """Validate the document with the loader; on failure, errors keyed by form field."""
    text = to_yaml(data)
    base = Path(root) if root else scenarios_dir()
    try:
        doc = parse_text(text, path)
        return Built(scenario_from_document(doc, base), text, {})
    except InputError as e:
        try:
            doc = parse_text(text, path)
        except InputError:
            return Built(None, text, {"": [d.message for d in e.diagnostics]})
        return Built(None, text, field_errors(doc, e.diagnostics))


def _path_at(doc: Document, line: int, col: int) -> tuple[Any, ...] | None:
    hits = [p for p, pos in doc.positions.items() if pos == (line, col)]
    return max(hits, key=len) if hits else None


FIELD_LABELS = {
    "title": "Title",
    "date": "Assessment date",
    "transfer.exporter.country": "Exporter",
    "transfer.exporter.name": "Exporter name",
    "transfer.recipient.country": "Recipient",
    "transfer.recipient.name": "Recipient name",
    "transfer.end_user.type": "End-user type",
    "transfer.end_user.name": "End user",
    "transfer.end_user.unit": "Unit",
    "transfer.end_use": "Stated end use",
    "transfer.channel": "Channel",
    "transfer.controls": "Controls offered",
    "transfer.items": "Items",
}


def field_of(path: tuple[Any, ...]) -> str:
    """The form field a document path belongs to."""
    if not path:
        return ""
    if path[:2] == ("transfer", "items"):
        return "transfer.items"
    if path[:1] == ("evidence",) and len(path) >= 3 and path[1] in GROUPS:
        return f"evidence.{path[1]}.{path[2]}"
    if path[:2] == ("evidence", "profile"):
        return "transfer.recipient.country"
    if path[0] == "transfer" and len(path) >= 3:
        return ".".join(str(p) for p in path[:3])
    return ".".join(str(p) for p in path[:2])


FRIENDLY = {
    "String should have at least 1 character": "required: please fill this in",
    "String should match pattern '^[A-Z]{3}$'": "choose a country from the list",
}


def _message(path: tuple[Any, ...], d: Diagnostic) -> str:
    msg = re.sub(r"^[\w.]+: ", "", d.message)  # the loader prefixes the dotted path
    msg = FRIENDLY.get(msg, msg)
    if path[:2] == ("transfer", "items") and len(path) >= 3:
        col = f" ({path[3]})" if len(path) >= 4 else ""
        return f"item {int(path[2]) + 1}{col}: {msg}"
    if path[:1] == ("evidence",) and len(path) >= 4:
        return f"{path[3]}: {msg}"
    return msg


def field_errors(doc: Document, diagnostics: list[Diagnostic]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in diagnostics:
        path = _path_at(doc, d.location.line, d.location.col) if d.location.line else None
        if path is None:
            out.setdefault("", []).append(d.message)
            continue
        # a missing key is reported at its parent mapping: say which key
        out.setdefault(field_of(path), []).append(_message(path, d))
    return out


def apply_editor_state(rows: list[dict[str, Any]], edits: Any) -> list[dict[str, Any]]:
    """The rows a ``st.data_editor`` shows after its edit state (edited, added, deleted rows)."""
    out = [dict(r) for r in rows]
    if not isinstance(edits, dict):
        return out
    for idx, change in (edits.get("edited_rows") or {}).items():
        i = int(idx)
        if 0 <= i < len(out) and isinstance(change, dict):
            out[i].update(change)
    deleted = {int(i) for i in (edits.get("deleted_rows") or [])}
    out = [r for i, r in enumerate(out) if i not in deleted]
    for added in edits.get("added_rows") or []:
        if isinstance(added, dict):
            out.append(dict(added))
    return out
