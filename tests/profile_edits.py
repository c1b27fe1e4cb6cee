"""Random edits of recipient profiles and of the cases that name them, for tests that replay
recorded assessments after the evidence changed (tests/test_kept_cases.py).

Every edit is one an officer or an import could make: an indicator set, made unknown or contested;
the profile's embargo check, conflicts (with the recipient's role, or none recorded) and patterns
(with the kinds of items used) changed or removed. A case edit changes what the item lines are for,
adds a line, or records a pattern of its own.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from riskcheck import vocabulary as v

CAPABILITIES = list(v.CAPABILITIES)
ROLES = list(v.CONFLICT_ROLES)
SOURCE = "profile_edits (test)"
WHEN = dt.date(2025, 6, 30)


def _indicator(
    value: Any, confidence: str = "known", alternatives: list[Any] | None = None
) -> dict[str, Any]:
    if confidence == "unknown":
        return {"confidence": "unknown"}
    out: dict[str, Any] = {"value": value, "confidence": confidence, "source": SOURCE, "as_of": WHEN}
    if alternatives:
        out["alternatives"] = alternatives
    return out


def _pattern(rng: random.Random) -> dict[str, Any]:
    return {
        "capabilities": rng.sample(CAPABILITIES, rng.randint(1, 4)),
        "description": "A documented pattern (test)",
        "source": SOURCE,
        "as_of": WHEN,
    }


def edit_profile(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The profile's data with a few random changes (the data is changed in place and returned)."""
    ind = data.setdefault("indicators", {})
    country = data["country"]
    for _ in range(rng.randint(1, 4)):
        which = rng.choice(["pts", "ihl", "conflict", "patterns", "conflicts", "embargoes", "cpi"])
        if which == "pts":
            kind = rng.choice(["known", "known", "unknown", "contested"])
            ind["pts"] = _indicator(
                rng.randint(1, 5), kind, [rng.randint(1, 5)] if kind == "contested" else None
            )
        elif which == "ihl":
            kind = rng.choice(["known", "known", "unknown"])
            ind["ihl_violations_credible"] = _indicator(rng.random() < 0.5, kind)
        elif which == "conflict":
            ind["internal_conflict"] = _indicator(
                rng.choice(v.COUNTRY_INDICATORS["internal_conflict"].values)
            )
        elif which == "cpi":
            ind["cpi"] = _indicator(rng.randint(5, 90))
        elif which == "patterns":
            found = {k: _pattern(rng) for k in ("ihl", "repression") if rng.random() < 0.6}
            if found:
                data["patterns"] = found
            else:
                data.pop("patterns", None)
        elif which == "conflicts":
            choice = rng.choice(["none", "role", "no role", "not a party"])
            if choice == "none":
                data.pop("conflicts", None)
                continue
            parties = [country] if choice != "not a party" else ["XZZ"]
            internal = rng.random() < 0.5  # one state's own conflict, or one between two states
            conflict: dict[str, Any] = {
                "name": "A conflict (test)",
                "parties": parties if internal else [*parties, "XQQ"],
                "internal": internal,
                "source": SOURCE,
                "as_of": WHEN,
            }
            if choice == "role":
                conflict["roles"] = [{"party": country, "role": rng.choice(ROLES), "source": SOURCE}]
            data["conflicts"] = [conflict]
        elif which == "embargoes":
            if rng.random() < 0.5:
                data.pop("embargoes", None)  # the rule set's reference list is read instead
            else:
                data["embargoes"] = {"source": SOURCE, "as_of": WHEN, "in_force": []}
    return data


def edit_case(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A scenario's data with random item lines and, sometimes, a pattern of its own."""
    items = data["transfer"]["items"]
    for item in items:
        if rng.random() < 0.7:
            item["capability"] = rng.choice(CAPABILITIES)
        elif rng.random() < 0.3:
            item.pop("capability", None)
        item["quantity"] = rng.randint(1, 5000)
    if rng.random() < 0.5:
        extra = dict(rng.choice(items))
        extra["description"] = "A further line (test)"
        extra["capability"] = rng.choice(CAPABILITIES)
        items.insert(rng.randint(0, len(items)), extra)
    ev = data.setdefault("evidence", {})
    if rng.random() < 0.3:
        ev["patterns"] = {rng.choice(["ihl", "repression"]): _pattern(rng)}
    return data
