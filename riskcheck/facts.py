"""The input fields rules may read, and how a case turns into facts: the one place facts are built.

Every factor input and every condition field in a rule file must be one of
``FIELDS`` (checked, with "did you mean"). A fact is a value together with its
provenance; an absent or ``unknown`` fact has ``value is None`` and is never
treated as favourable by the engine.

- ``indicator_facts``: the indicators of a profile, a scenario or an inject, each with its place
  in the file (the loader calls it as it reads the files);
- ``derive``: everything else, from the transfer and the evidence records (embargoes in force,
  partners' denials, prior transfers, conflicts) on the assessment date;
- ``facts_for``: all facts of a loaded scenario on a date, under a rule set's reference data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from . import vocabulary as v
from .errors import Location

if TYPE_CHECKING:  # the loaded forms hold facts; only their types are needed here
    from .loaded import LoadedRules, LoadedScenario
    from .yamlfile import Document


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kind: str  # bool | int | number | enum | set | text
    description: str
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    title: str = ""  # a few words a person reads in place of the dotted name (field_label)


# Short titles of the indicators, from the vocabulary's descriptions: what a table row, a chart
# axis or a sentence shows instead of the dotted field name.
_INDICATOR_TITLES = {
    "country.pts": "Political Terror Scale",
    "country.cirights_physint": "CIRIGHTS physical integrity index",
    "country.hr_violations_established": "Serious human-rights violations established",
    "country.govt_one_sided_violence_5y": "Government violence against civilians (5 years)",
    "country.ihl_violations_credible": "Credible reports of IHL violations",
    "country.gbv_risk": "Risk of gender-based violence",
    "country.internal_conflict": "Internal armed conflict",
    "country.interstate_conflict": "Conflict with another state",
    "country.territorial_claim_by_force": "Territorial claim pursued by force",
    "country.terrorism_support": "Support for terrorism or organised crime",
    "country.nonproliferation_record": "Non-proliferation record",
    "country.att_state_party": "Arms Trade Treaty state party",
    "country.unroca_reporting": "Reports to the UN Register of Conventional Arms",
    "country.cpi": "Corruption Perceptions Index",
    "country.export_control_capacity": "Export-control capacity",
    "country.reexport_breaches": "Breaches of re-export assurances",
    "country.diversion_history": "Items from its stocks diverted",
    "country.conflict_near_depots": "Fighting near military depots",
    "country.stockpile_records": "Stockpile records (SC2)",
    "country.stockpile_physical_security": "Physical security of depots (SC3)",
    "country.stockpile_audit": "Stockpile audit (SC4)",
    "country.stockpile_overrun_resilience": "Resilience against depot overrun (SC10)",
    "country.hdi": "Human Development Index",
    "country.milex_pct_gdp": "Military expenditure (% of GDP)",
    "country.threat_to_eu_allies": "Risk of use against EU states or allies",
    "country.absorptive_capacity_exceeded": "Transfers beyond absorptive capacity",
    "unit.atrocity_use_known": "Known use for atrocity crimes",
    "unit.credible_gvhr_information": "Gross human-rights violations by the unit",
    "unit.remediation": "Those responsible brought to justice",
    "unit.ihl_compliance_mechanisms": "The unit's IHL accountability",
    "unit.stockpile_control_demonstrated": "The unit's stockpile control demonstrated",
    "unit.quantity_plausible": "Quantity plausible for the unit",
    "unit.implicated_in_war_crimes": "End user implicated in war crimes",
    "unit.past_conduct_with_similar_items": "The unit's past use of similar items",
}


def _from_indicator(name: str, spec: v.IndicatorSpec) -> FieldSpec:
    return FieldSpec(spec.kind, spec.description, spec.values, spec.low, spec.high, _INDICATOR_TITLES[name])


FIELDS: dict[str, FieldSpec] = {
    **{f"country.{k}": _from_indicator(f"country.{k}", s) for k, s in v.COUNTRY_INDICATORS.items()},
    **{f"unit.{k}": _from_indicator(f"unit.{k}", s) for k, s in v.UNIT_INDICATORS.items()},
    "recipient.country": FieldSpec("text", "Recipient state, ISO 3166-1 alpha-3", title="Recipient state"),
    "exporter.country": FieldSpec("text", "Exporting state, ISO 3166-1 alpha-3", title="Exporting state"),
    "end_user.type": FieldSpec("enum", "Type of end user", tuple(v.END_USER_TYPES), title="End-user type"),
    "end_user.unit_named": FieldSpec("bool", "The receiving unit is named", title="Receiving unit named"),
    "transfer.channel": FieldSpec("enum", "Transfer channel", tuple(v.CHANNELS), title="Transfer channel"),
    "transfer.controls": FieldSpec("set", "Controls offered", tuple(v.CONTROLS), title="Controls offered"),
    "items.sensitivity": FieldSpec(
        "set", "Sensitivity classes of the items", tuple(v.SENSITIVITY), title="Item sensitivity"
    ),
    "items.ml_category": FieldSpec(
        "set", "EU Military List categories", tuple(v.MILITARY_LIST), title="Military List categories"
    ),
    "items.att_category": FieldSpec("set", "ATT categories", tuple(v.ATT_CATEGORIES), title="ATT categories"),
    "items.max_service_life_years": FieldSpec(
        "int",
        "Longest typical service life among the items",
        low=0,
        title="Longest service life of the items",
    ),
    "items.portable": FieldSpec("bool", "Any item is man-portable", title="Man-portable items"),
    "items.total_quantity": FieldSpec("int", "Total number of items", low=0, title="Total quantity"),
    "items.total_value_eur": FieldSpec(
        "number", "Total value in EUR (unknown if any item lacks one)", low=0, title="Total value (EUR)"
    ),
    "embargo.un": FieldSpec(
        "bool", "A UN arms embargo in force covers this end user", title="UN arms embargo"
    ),
    "embargo.eu": FieldSpec(
        "bool", "An EU arms embargo in force covers this end user", title="EU arms embargo"
    ),
    "embargo.osce": FieldSpec(
        "bool", "An OSCE arms embargo in force covers this end user", title="OSCE arms embargo"
    ),
    "prior_denials.identical_within_3y": FieldSpec(
        "bool",
        "A partner denied an essentially identical transaction in the last three years",
        title="A partner's denial of an identical transfer (3 years)",
    ),
    "prior_transfers.count_5y": FieldSpec(
        "int",
        "Transfers by this exporter to the recipient in the last five years",
        low=0,
        title="Prior transfers to the recipient (5 years)",
    ),
    "conflicts.recipient_party": FieldSpec(
        "bool", "The recipient is a party to an armed conflict", title="Recipient party to an armed conflict"
    ),
    "conflicts.exporter_arms_other_side": FieldSpec(
        "bool",
        "The exporter has armed another party to a conflict the recipient is in",
        title="Exporter arms another party to the conflict",
    ),
}


def field_label(name: str) -> str:
    """The short title a person reads for an input field (``country.pts`` -> "Political Terror Scale").

    A name outside ``FIELDS`` comes back unchanged: rule files are checked against ``FIELDS``
    before anything is rendered, so only text that is not a field name can reach here.
    """
    spec = FIELDS.get(name)
    return spec.title if spec is not None else name


@dataclass(frozen=True, slots=True)
class Fact:
    value: Any  # None when missing or unknown
    confidence: str  # known | unknown | contested | missing
    source: str | None = None
    as_of: dt.date | None = None
    alternatives: tuple[Any, ...] = ()
    origin: str = "scenario"  # scenario | profile | override | transfer | derived
    location: Location | None = None
    note: str | None = None

    @property
    def is_missing(self) -> bool:
        return self.value is None


Facts = dict[str, Fact]


def missing(location: Location | None = None, note: str | None = None) -> Fact:
    return Fact(None, "missing", location=location, note=note)


def with_value(fact: Fact, value: Any) -> Fact:
    """A hypothetical: the same fact established with ``value`` (for what-if analysis)."""
    return replace(fact, value=value, confidence="known", alternatives=(), origin="hypothetical")


def indicator_facts(group: Any, doc: Document, prefix: tuple[Any, ...], origin: str) -> dict[str, Fact]:
    """The indicators set in ``group`` (a pydantic model of indicators), located in ``doc``."""
    out: dict[str, Fact] = {}
    for key in type(group).model_fields:
        ind = getattr(group, key)
        if ind is None:
            continue
        out[key] = Fact(
            value=ind.value,
            confidence=ind.confidence,
            source=ind.source,
            as_of=ind.as_of,
            alternatives=tuple(ind.alternatives),
            origin=origin,
            location=doc.locate((*prefix, key)),
            note=_with_override(ind.note, getattr(ind, "override_of", None)),
        )
    return out


def _with_override(note: str | None, over: Any) -> str | None:
    """The note, plus the data set's differing value where an officer's value overrides it."""
    if over is None:
        return note
    d = over.dataset
    told = (
        f"An officer's value: {d.name} {d.edition} gives {over.value!r} for {d.year} ({d.file} row {d.row})."
    )
    return f"{note} {told}" if note else told


def _covers(embargo: Any, end_user: Any) -> bool:
    if embargo.scope == "whole_state":
        return True
    if embargo.scope == "non_state_actors":
        return bool(end_user.type == "non_state_armed_group")
    names = {end_user.name.casefold(), (end_user.unit or "").casefold()}
    return any(t.casefold() in names for t in embargo.targets)


def _in_force(start: dt.date, end: dt.date | None, on: dt.date) -> bool:
    return start <= on and (end is None or on <= end)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def derive(
    scenario: Any,
    country: dict[str, Fact],
    unit: dict[str, Fact],
    where: dict[str, Location],
    as_of: dt.date,
    reference: Any = None,
    reference_at: Location | None = None,
) -> Facts:
    """All facts for one scenario. ``where`` maps evidence keys to their file positions;
    ``reference`` is the rule set's embargo list, used when the scenario records no embargo check."""
    t = scenario.transfer
    ev = scenario.evidence
    transfer_loc = where.get("transfer")
    facts: Facts = {
        f"country.{k}": country.get(k) or missing(where.get("country")) for k in v.COUNTRY_INDICATORS
    }
    facts.update({f"unit.{k}": unit.get(k) or missing(where.get("unit")) for k in v.UNIT_INDICATORS})

    def given(value: Any, origin: str = "transfer", loc: Location | None = transfer_loc) -> Fact:
        return Fact(value, "known", source="transfer application", origin=origin, location=loc)

    facts["recipient.country"] = given(t.recipient.country)
    facts["exporter.country"] = given(t.exporter.country)
    facts["end_user.type"] = given(t.end_user.type)
    facts["end_user.unit_named"] = given(bool(t.end_user.unit))
    facts["transfer.channel"] = given(t.channel)
    facts["transfer.controls"] = given(frozenset(t.controls))
    facts["items.sensitivity"] = given(frozenset(i.sensitivity for i in t.items))
    facts["items.ml_category"] = given(frozenset(i.ml_category for i in t.items))
    facts["items.att_category"] = given(frozenset(i.att_category for i in t.items))
    facts["items.max_service_life_years"] = given(
        max(v.SENSITIVITY[i.sensitivity].service_life_years for i in t.items), "derived"
    )
    facts["items.portable"] = given(any(v.SENSITIVITY[i.sensitivity].portable for i in t.items), "derived")
    facts["items.total_quantity"] = given(sum(i.quantity for i in t.items), "derived")
    values = [i.value_eur for i in t.items]
    facts["items.total_value_eur"] = (
        given(sum(values), "derived")
        if None not in values
        else missing(transfer_loc, "an item has no value_eur")
    )

    emb = ev.embargoes
    emb_at = where.get("embargoes")
    if emb is None and reference is not None:
        from .scenario_model import EmbargoCheck

        emb = EmbargoCheck(
            source=f"{reference.title} ({reference.source})",
            as_of=reference.as_of,
            in_force=[e for e in reference.entries if e.country == t.recipient.country],
        )
        emb_at = reference_at
    for authority in ("un", "eu", "osce"):
        key = f"embargo.{authority}"
        if emb is None:
            facts[key] = missing(where.get("embargoes"), "no embargo check recorded")
            continue
        hits = [
            e
            for e in emb.in_force
            if e.authority.lower() == authority
            and _in_force(e.start, e.end, as_of)
            and _covers(e, t.end_user)
        ]
        doubts = "; ".join(f"{e.id}: {e.uncertain}" for e in hits if e.uncertain) or None
        facts[key] = Fact(
            bool(hits),
            "known",
            source="; ".join(e.legal_act for e in hits) or emb.source,
            as_of=emb.as_of,
            origin="derived",
            location=emb_at,
            note=doubts,
        )

    pd = ev.prior_denials
    if pd is None:
        facts["prior_denials.identical_within_3y"] = missing(
            where.get("prior_denials"), "no check of partners' denials recorded"
        )
    else:
        cutoff = _years_before(as_of, 3)
        hits = [d for d in pd.denials if d.essentially_identical and cutoff <= d.date <= as_of]
        facts["prior_denials.identical_within_3y"] = Fact(
            bool(hits),
            "known",
            source="; ".join(f"{d.by} {d.date}" for d in hits) or pd.source,
            as_of=pd.as_of,
            origin="derived",
            location=where.get("prior_denials"),
        )

    recipient = t.recipient.country
    exporter = t.exporter.country
    if ev.prior_transfers is None:
        facts["prior_transfers.count_5y"] = missing(
            where.get("prior_transfers"), "prior transfers not recorded"
        )
    else:
        recent = [
            p
            for p in ev.prior_transfers
            if p.recipient == recipient
            and p.exporter in (None, exporter)
            and as_of.year - 5 <= p.year <= as_of.year
        ]
        facts["prior_transfers.count_5y"] = Fact(
            len(recent),
            "known",
            source="prior transfers record",
            origin="derived",
            location=where.get("prior_transfers"),
        )

    conflicts = ev.conflicts
    if conflicts is None:
        facts["conflicts.recipient_party"] = missing(where.get("conflicts"), "no conflict check recorded")
        facts["conflicts.exporter_arms_other_side"] = missing(where.get("conflicts"))
    else:
        mine = [c for c in conflicts if recipient in c.parties]
        facts["conflicts.recipient_party"] = Fact(
            bool(mine),
            "known",
            source="; ".join(c.source for c in mine) or "conflict check",
            origin="derived",
            location=where.get("conflicts"),
        )
        if ev.prior_transfers is None:
            facts["conflicts.exporter_arms_other_side"] = missing(
                where.get("conflicts"), "the exporter's prior transfers are not recorded"
            )
        else:
            others = {p for c in mine for p in c.parties if p != recipient}
            armed = sorted(
                {
                    p.recipient
                    for p in ev.prior_transfers
                    if p.recipient in others and p.exporter in (None, exporter)
                }
            )
            facts["conflicts.exporter_arms_other_side"] = Fact(
                bool(armed),
                "known",
                source=("prior transfers to " + ", ".join(armed)) if armed else "prior transfers record",
                origin="derived",
                location=where.get("prior_transfers"),
            )
    return facts


def facts_for(scenario: LoadedScenario, as_of: dt.date, rules: LoadedRules | None = None) -> Facts:
    """Every fact of a loaded scenario on ``as_of``; the rule set's embargo list is used when the
    scenario records no embargo check of its own."""
    reference = rules.embargoes if rules is not None else None
    at = Location(rules.embargoes_path) if rules is not None and rules.embargoes_path else None
    return derive(scenario.model, scenario.country, scenario.unit, scenario.where, as_of, reference, at)
