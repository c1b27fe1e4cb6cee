"""Evidence as table rows: one row per indicator, the profile's values with the scenario's own on top.

A country row whose content differs from the recipient's profile becomes a scenario-level value,
which the loader marks as an override of the profile. No streamlit here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from typing import Any

from .. import vocabulary as v
from .catalog import ProfileInfo, profile_for

CONFIDENCES = ("known", "unknown", "contested")
GROUPS = {"country": v.COUNTRY_INDICATORS, "unit": v.UNIT_INDICATORS}


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
    t = blank_to_none(text)
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


def blank_to_none(x: Any) -> Any:
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
    x = blank_to_none(x)
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
    conf = blank_to_none(row.get("confidence"))
    source = blank_to_none(row.get("source"))
    as_of = _date(row.get("as_of"))
    alts_text = blank_to_none(row.get("alternatives"))
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
    note = blank_to_none(row.get("note"))
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
