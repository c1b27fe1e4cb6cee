"""The case an assessment was made on, kept with it in the history database (``facts_json``), and
its outcome (``outcome_json``): what re-assessment reads instead of re-loading each record's YAML.

A kept case is everything the facts are derived from except the indicator values of the shared
recipient profile, which are what changes (a new import, an officer's edit) and are read as
they are now when the case is replayed. Format ``riskcheck-case/2``, one canonical line of JSON
(sorted keys, no spaces)::

    {"head":{"evidence":{...},"format":"riskcheck-case/2","profile":{"id":..,"sha256":..},
             "transfer":{"channel":..,"controls":[..],"end_user":{..},"exporter":{..},"recipient":{..}}},
     "lines":[["small_arms","ML1","small_arms_light_weapons","salw",500,125000.0,"infantry_weapons"], ...]}

- ``head.profile``: the profile's id and the sha256 of its text as read (None: no shared profile);
- ``head.transfer``: the transfer-level inputs (exporter, recipient, end user, channel, controls);
- ``head.evidence``: the scenario's *own* evidence, as ``scenario_model.EvidenceChanges`` (its own
  country and unit indicators, embargo check, partners' denials, prior transfers, conflicts,
  patterns, control record); what it leaves to the profile (embargoes, conflicts, a pattern) is
  absent, so that a replay reads the profile's as it is now, as loading the scenario would;
- ``lines``: one token row per item line, the fields of ``LINE_FIELDS`` in that order.

The head comes first and never holds a key named ``lines``, so records that share a head are
recognised by its text (``split``) without parsing every record. A change to the format is a new
``FORMAT`` (a golden file holds the current one); a record of another format is replayed the slow
way, from its scenario text.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, NamedTuple

from .loader import SHARED
from .scenario_model import EvidenceChanges

if TYPE_CHECKING:
    from .loaded import LoadedScenario
    from .trace import Assessment

FORMAT = "riskcheck-case/2"
LINE_FIELDS = (
    "sensitivity",
    "ml_category",
    "att_category",
    "quantity",
    "value_eur",
    "capability",
    "model",
    "derogation_conditions",
)
_LINES = ',"lines":'


class Line(NamedTuple):
    """One item line as the facts read it (the fields of ``scenario_model.Item`` that matter)."""

    sensitivity: str
    ml_category: str
    att_category: str
    quantity: int
    value_eur: int | float | None
    capability: str | None
    model: str | None = None  # what an embargo naming systems reads
    conditions: str | None = None  # the line's own record of derogation conditions, canonical JSON

    @property
    def derogation_conditions(self) -> Any:
        """The line's own record as ``scenario_model.Item`` holds it (what the embargo reading reads)."""
        if self.conditions is None:
            return None
        from .scenario_model import DerogationConditions

        return DerogationConditions.model_validate_json(self.conditions)


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def own_evidence(scenario: LoadedScenario) -> dict[str, Any]:
    """The scenario's own evidence (what its file records), without what its profile provides."""
    given = scenario.doc.data.get("evidence") or {}
    ev = scenario.model.evidence.model_dump(mode="json", exclude={"profile"}, exclude_none=True)
    for key in SHARED:
        if key not in given or given[key] is None:
            ev.pop(key, None)
    if "patterns" in ev:  # a finding the scenario leaves open is the profile's
        own = given["patterns"] or {}
        ev["patterns"] = {k: x for k, x in ev["patterns"].items() if own.get(k) is not None}
        if not ev["patterns"]:
            del ev["patterns"]
    return ev


def case_of(scenario: LoadedScenario) -> dict[str, Any]:
    t = scenario.model.transfer
    profile = None
    if scenario.profile is not None and scenario.profile_doc is not None:
        from .profile_versions import sha256_text

        profile = {"id": scenario.profile.id, "sha256": sha256_text(scenario.profile_doc.text)}
    head = {
        "format": FORMAT,
        "profile": profile,
        "transfer": t.model_dump(
            mode="json",
            include={
                "exporter",
                "recipient",
                "end_user",
                "channel",
                "controls",
                "contract_date",
                "sanctions_procedures",
                "derogation_conditions",
            },
            exclude_none=True,
        ),
        "evidence": own_evidence(scenario),
    }
    lines = [[_token(i, f) for f in LINE_FIELDS] for i in t.items]
    return {"head": head, "lines": lines}


def _token(item: Any, name: str) -> Any:
    value = getattr(item, name)
    if name == "derogation_conditions" and value is not None:
        return canonical(value.model_dump(mode="json", exclude_none=True))
    return value


def case_json(scenario: LoadedScenario) -> str | None:
    """The kept case, or None where the format cannot hold the case: a non-state or sub-state
    recipient (its facts come from its own profile and its host state's) or a consent to re-export
    (the holder's record). Such records are replayed from their scenario text, exactly, as older ones."""
    if getattr(scenario, "kind", "state") != "state" or scenario.model.transfer.kind != "export":
        return None
    return canonical(case_of(scenario))


def outcome_json(a: Assessment) -> str:
    """The outcome in short: the decision, each line's decision and each line's criterion levels."""
    return canonical(
        {
            "decision": a.decision,
            "lines": [line.decision for line in a.lines],
            "levels": [{cid: level for cid, level, _ in line.criteria} for line in a.lines],
        }
    )


def split(text: str) -> tuple[str, str]:
    """A kept case's head and lines, as text (the head first, see the module's docstring)."""
    at = text.rfind(_LINES)
    if not text.startswith('{"head":') or at < 0:
        data = json.loads(text)
        return canonical(data["head"]), canonical(data["lines"])
    return text[len('{"head":') : at], text[at + len(_LINES) : -1]


def lines_of(lines_text: str) -> tuple[Line, ...]:
    return tuple(Line(*row) for row in json.loads(lines_text))


class Head:
    """A kept case's head, parsed: the transfer and the scenario's own evidence as models."""

    def __init__(self, text: str):
        from .scenario_model import DerogationConditions, EndUser, Party, SanctionsProcedure

        data = json.loads(text)
        self.format: str = data.get("format", "")
        p = data.get("profile")
        self.profile_id: str | None = p["id"] if p else None
        self.profile_sha256: str | None = p["sha256"] if p else None
        t = data["transfer"]
        self.exporter = Party.model_validate(t["exporter"])
        self.recipient = Party.model_validate(t["recipient"])
        self.end_user = EndUser.model_validate(t["end_user"])
        self.channel: str = t["channel"]
        self.controls: tuple[str, ...] = tuple(t["controls"])
        # what the embargo reading reads of the transfer (absent in a case kept before they existed)
        self.contract_date = dt.date.fromisoformat(t["contract_date"]) if t.get("contract_date") else None
        self.sanctions_procedures = tuple(
            SanctionsProcedure.model_validate(x) for x in t.get("sanctions_procedures", ())
        )
        self.derogation_conditions = DerogationConditions.model_validate(t.get("derogation_conditions", {}))
        self.evidence = EvidenceChanges.model_validate_json(canonical(data["evidence"]))
