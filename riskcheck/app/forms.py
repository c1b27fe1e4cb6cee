"""The transfer form as plain data (no streamlit here, so all of it is unit-testable).

The form edits a *scenario document*: the same mapping a scenario YAML file holds. It is
turned into a validated scenario by the loader (``scenario_from_document``), so the app
accepts exactly what the CLI accepts. Schema errors come back located at a path of keys;
``form_errors.field_errors`` maps them onto the form field that produced them. Evidence rows
are in ``evidence_rows``; states, profiles and bundled scenarios in ``catalog``.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..loader import LoadedScenario, scenario_from_document
from ..paths import scenarios_dir
from ..yamlfile import parse_text
from .catalog import official_name, profile_for, profiles
from .evidence_rows import blank_to_none, indicators_from_rows
from .form_errors import field_errors

FORM_PATH = "(form)"
ITEM_COLUMNS = (
    "description",
    "ml_category",
    "att_category",
    "sensitivity",
    "capability",
    "model",
    "quantity",
    "value_eur",
)


# --- items ------------------------------------------------------------------------------


def item_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    items = ((data.get("transfer") or {}).get("items")) or []
    return [{c: item.get(c) for c in ITEM_COLUMNS} for item in items]


def item_table_rows(rows: list[dict[str, Any]]) -> list[int]:
    """For each item ``items_from_rows`` keeps, its index in the table (blank rows are skipped)."""
    return [
        i for i, row in enumerate(rows) if any(blank_to_none(row.get(c)) is not None for c in ITEM_COLUMNS)
    ]


def items_from_rows(rows: list[dict[str, Any]], previous: list[Any] | None = None) -> list[dict[str, Any]]:
    """The items the table describes. A line's keys the table does not show (its own record of an
    embargo derogation's conditions) are carried over from ``previous`` while the row at that place
    still describes the same item: nothing the officer cannot see is lost."""
    out = []
    for i, row in enumerate(rows):
        item = {c: blank_to_none(row.get(c)) for c in ITEM_COLUMNS}
        if all(x is None for x in item.values()):
            continue  # an empty row added by mistake
        before = previous[i] if previous is not None and i < len(previous) else None
        if isinstance(before, dict) and before.get("description") == item.get("description"):
            item.update({k: x for k, x in before.items() if k not in ITEM_COLUMNS})
        q = item.get("quantity")
        if isinstance(q, float) and q.is_integer():
            item["quantity"] = int(q)
        val = item.get("value_eur")
        if isinstance(val, float) and val.is_integer():
            item["value_eur"] = int(val)
        for optional in ("capability", "model", "value_eur"):
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
    transfer_kind: str = "export"  # or reexport_consent: the holder below asks consent to pass items on
    holder_country: str = ""
    holder_name: str = ""
    holder_record: str = "not_checked"  # see HOLDER_RECORDS


# What the officer may say of the holder's record in the form; a file may record each control tried.
HOLDER_RECORDS = {
    "not_checked": "Not checked",
    "compliance_confirmed": "A check confirmed it kept its undertakings",
    "breaches_found": "It broke a re-export or end-use undertaking",
    "none_recorded": "Checked: no control tried with it",
}


def holder_record_of(holder: dict[str, Any] | None) -> str:
    """The form's reading of a holder's control record (as ``facts`` reads it)."""
    record = (holder or {}).get("control_record")
    if record is None:
        return "not_checked"
    results = {r.get("result") for r in record}
    if results & {"breaches_found", "undertaking_broken"}:
        return "breaches_found"
    return "compliance_confirmed" if "compliance_confirmed" in results else "none_recorded"


def _holder(f: FormInput, old: dict[str, Any] | None) -> dict[str, Any]:
    hc = f.holder_country
    holder: dict[str, Any] = {
        "country": hc,
        "name": f.holder_name.strip() or (official_name(hc) if hc else ""),
    }
    if old and old.get("acquired"):
        holder["acquired"] = old["acquired"]
    if f.holder_record == holder_record_of(old) and old and "control_record" in old:
        holder["control_record"] = old["control_record"]  # unchanged: the record as the file gives it
    elif f.holder_record != "not_checked":
        result = {"breaches_found": "undertaking_broken", "compliance_confirmed": "compliance_confirmed"}
        holder["control_record"] = (
            [
                {
                    "control": "no_reexport_clause",
                    "result": result[f.holder_record],
                    "date": f.date.isoformat(),  # a string: one date object twice would be a YAML anchor
                    "source": "entered in the riskcheck app",
                }
            ]
            if f.holder_record in result
            else []
        )
    return holder


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
    return s or "transfer"


def change_recipient(base: dict[str, Any], code: str, root: str | None = None) -> dict[str, Any]:
    """The document with another recipient state (``base`` unchanged): its country evidence now comes from
    the new recipient's profile (none if it has none), and what was recorded about the former recipient
    (its own country values, embargo check, conflicts) is dropped. The form calls this as soon as a
    recipient is chosen, so the evidence tables show the profile before anything is submitted."""
    data = copy.deepcopy(base)
    transfer = dict(data.get("transfer") or {})
    old = (transfer.get("recipient") or {}).get("country")
    transfer["recipient"] = {**(transfer.get("recipient") or {}), "country": code}
    if old != code:
        transfer["recipient"]["name"] = ""  # the former recipient's name does not name this one
    data["transfer"] = transfer
    ev = dict(data.get("evidence") or {})
    if old != code:
        for key in ("country", "embargoes", "conflicts"):
            ev.pop(key, None)
    prof = profile_for(data, root) if old == code else None
    if prof is None or prof.code != code:
        prof = profiles(root).get(code)
    if prof is not None:
        ev["profile"] = prof.rel
    else:
        ev.pop("profile", None)
    data["evidence"] = ev
    return data


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
            "items": items_from_rows(f.items, transfer.get("items")),
            "end_use": f.end_use.strip(),
            "channel": f.channel,
            "controls": list(f.controls),
        }
    )
    if f.arguments is not None:
        transfer["arguments"] = list(f.arguments)
        if not transfer["arguments"]:
            transfer.pop("arguments")
    if f.transfer_kind == "reexport_consent":
        transfer["kind"] = "reexport_consent"
        transfer["holder"] = _holder(f, transfer.get("holder"))
    else:
        transfer.pop("kind", None)
        transfer.pop("holder", None)
    data["transfer"] = transfer
    ev = dict(change_recipient(base, rc, root)["evidence"])  # the profile; reset if the recipient changed
    if old_recipient is None or old_recipient == rc:
        country = indicators_from_rows(f.country_rows, "country", profile_for({"evidence": ev}, root))
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


def build(
    data: dict[str, Any],
    root: str | None = None,
    path: str = FORM_PATH,
    item_rows: Sequence[int] | None = None,
) -> Built:
    """Validate the document with the loader; on failure, errors keyed by form field (``item_rows``:
    each item's row in the items table, see ``item_table_rows``)."""
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
        return Built(None, text, field_errors(doc, e.diagnostics, item_rows))


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
