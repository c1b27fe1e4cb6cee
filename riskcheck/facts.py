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
    "unit.type_plausible": "Type and calibre plausible for the unit",
    "unit.accountability": "How the unit's abuses are answered",
    "unit.depots_near_fighting": "The unit's depots within reach of fighting",
    "unit.implicated_in_war_crimes": "End user implicated in war crimes",
    "unit.past_conduct_with_similar_items": "The unit's past use of similar items",
    "recipient.command_and_control": "The recipient's command and control",
    "recipient.territory_held": "Territory the recipient holds",
    "recipient.supply_routes_hostile": "Supply routes held by hostile groups",
    "recipient.host_state_consents": "The host state consents",
}


def _from_indicator(name: str, spec: v.IndicatorSpec) -> FieldSpec:
    return FieldSpec(spec.kind, spec.description, spec.values, spec.low, spec.high, _INDICATOR_TITLES[name])


LINKS = ("linked", "not_linked", "no_pattern")
# Roles, gravest first: a party to several conflicts is read by its gravest role.
ROLE_ORDER = (
    "aggressor",
    "occupying_power",
    "intervening_without_consent",
    "intervening_with_consent",
    "internal_party",
    "self_defence",
)
CONTROL_RECORD = ("breaches_found", "compliance_confirmed", "none_recorded")
BREACHES = ("breaches_found", "undertaking_broken")
# A country whose record shows no pattern to link items to: no credible reports of serious IHL
# violations; a Political Terror Scale of at most 2 (limited political imprisonment at most; PTS
# codebook levels 1-2). Elsewhere, with no pattern recorded, whether the items are linked is unknown.
CLEAN_PTS = 2

FIELDS: dict[str, FieldSpec] = {
    **{f"country.{k}": _from_indicator(f"country.{k}", s) for k, s in v.COUNTRY_INDICATORS.items()},
    **{f"unit.{k}": _from_indicator(f"unit.{k}", s) for k, s in v.UNIT_INDICATORS.items()},
    **{f"recipient.{k}": _from_indicator(f"recipient.{k}", s) for k, s in v.RECIPIENT_INDICATORS.items()},
    "recipient.kind": FieldSpec(
        "enum",
        "What the recipient is: a state, a non-state armed group, a sub-state authority or another non-state "
        "end user (its profile's kind)",
        tuple(v.PROFILE_KINDS),
        title="Kind of recipient",
    ),
    "transfer.kind": FieldSpec(
        "enum", "An export, or consent to a re-export", tuple(v.TRANSFER_KINDS), title="Kind of request"
    ),
    "holder.record": FieldSpec(
        "enum",
        "What controls and undertakings tried with the current holder showed (a re-export consent)",
        tuple(CONTROL_RECORD),
        title="The holder's record of keeping re-export undertakings",
    ),
    "conflicts.recipient_international": FieldSpec(
        "bool",
        "The recipient is a party to an international armed conflict (between states)",
        title="Recipient party to an international armed conflict",
    ),
    "recipient.country": FieldSpec("text", "Recipient state, ISO 3166-1 alpha-3", title="Recipient state"),
    "exporter.country": FieldSpec("text", "Exporting state, ISO 3166-1 alpha-3", title="Exporting state"),
    "end_user.type": FieldSpec("enum", "Type of end user", tuple(v.END_USER_TYPES), title="End-user type"),
    "end_user.unit_named": FieldSpec("bool", "The receiving unit is named", title="Receiving unit named"),
    "transfer.channel": FieldSpec("enum", "Transfer channel", tuple(v.CHANNELS), title="Transfer channel"),
    "transfer.controls": FieldSpec("set", "Controls offered", tuple(v.CONTROLS), title="Controls offered"),
    # items.*: the item line being assessed (every line of a licence is assessed on its own)
    "items.sensitivity": FieldSpec(
        "set", "Sensitivity class of the item line", tuple(v.SENSITIVITY), title="Item sensitivity"
    ),
    "items.ml_category": FieldSpec(
        "set",
        "EU Military List category of the item line",
        tuple(v.MILITARY_LIST),
        title="Military List category",
    ),
    "items.att_category": FieldSpec(
        "set", "ATT category of the item line", tuple(v.ATT_CATEGORIES), title="ATT category"
    ),
    "items.max_service_life_years": FieldSpec(
        "int",
        "Typical service life of the items",
        low=0,
        title="Service life of the items",
    ),
    "items.portable": FieldSpec("bool", "The items are man-portable", title="Man-portable items"),
    "items.total_quantity": FieldSpec(
        "int", "Number of items on the line", low=0, title="Quantity on the line"
    ),
    "items.total_value_eur": FieldSpec(
        "number", "Value of the line in EUR", low=0, title="Value of the line (EUR)"
    ),
    "item.capability": FieldSpec(
        "enum", "What the items are for", tuple(v.CAPABILITIES), title="What the items are for"
    ),
    "item.ihl_pattern_link": FieldSpec(
        "enum",
        "Whether the items are of a kind used in the documented pattern of IHL violations",
        LINKS,
        title="Items of a kind used in the pattern of IHL violations",
    ),
    "item.repression_link": FieldSpec(
        "enum",
        "Whether the items are of a kind used in the documented pattern of repression",
        LINKS,
        title="Items of a kind used in the pattern of repression",
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
    "conflicts.recipient_role": FieldSpec(
        "enum",
        "The recipient's part in the conflicts it is a party to (the gravest)",
        ("none", *ROLE_ORDER),
        title="The recipient's part in the conflict",
    ),
    "controls.record": FieldSpec(
        "enum",
        "What controls already tried with this recipient showed",
        tuple(CONTROL_RECORD),
        title="Record of controls tried with the recipient",
    ),
    "controls.breached": FieldSpec(
        "set",
        "Controls or undertakings this recipient has breached before",
        tuple(v.CONTROLS),
        title="Controls the recipient breached before",
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
    recipient_facts: dict[str, Fact] | None = None,
    kind: str = "state",
) -> Facts:
    """All facts for one scenario. ``where`` maps evidence keys to their file positions;
    ``reference`` is the rule set's embargo list, used when the scenario records no embargo check;
    ``recipient_facts`` and ``kind``: a non-state or sub-state recipient's own indicators and its profile's
    kind (a state has none of these indicators: they stay missing, and rules read them only where the
    recipient is not a state)."""
    t = scenario.transfer
    ev = scenario.evidence
    transfer_loc = where.get("transfer")
    facts: Facts = {
        f"country.{k}": country.get(k) or missing(where.get("country")) for k in v.COUNTRY_INDICATORS
    }
    facts.update({f"unit.{k}": unit.get(k) or missing(where.get("unit")) for k in v.UNIT_INDICATORS})

    def given(value: Any, origin: str = "transfer", loc: Location | None = transfer_loc) -> Fact:
        return Fact(value, "known", source="transfer application", origin=origin, location=loc)

    own = recipient_facts or {}
    not_state = None if kind != "state" else "the recipient is a state: its own record is the country's"
    for k in v.RECIPIENT_INDICATORS:
        facts[f"recipient.{k}"] = own.get(k) or missing(
            None if not_state else where.get("recipient"), not_state
        )
    facts["recipient.kind"] = Fact(
        kind, "known", source="recipient profile", origin="profile", location=where.get("profile")
    )
    facts["transfer.kind"] = given(t.kind)
    if t.holder is None:
        facts["holder.record"] = missing(transfer_loc, "not a re-export consent: there is no holder")
    else:
        facts["holder.record"] = _control_record(t.holder.control_record, where.get("holder"), "the holder")[
            0
        ]
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

    facts["controls.record"], facts["controls.breached"] = _control_record(
        ev.control_record, where.get("control_record"), "this recipient"
    )
    conflicts = ev.conflicts
    if conflicts is None:
        facts["conflicts.recipient_party"] = missing(where.get("conflicts"), "no conflict check recorded")
        facts["conflicts.exporter_arms_other_side"] = missing(where.get("conflicts"))
        facts["conflicts.recipient_role"] = missing(where.get("conflicts"), "no conflict check recorded")
        facts["conflicts.recipient_international"] = missing(
            where.get("conflicts"), "no conflict check recorded"
        )
    else:
        facts["conflicts.recipient_role"] = recipient_role(conflicts, recipient, where.get("conflicts"))
        mine = [c for c in conflicts if recipient in c.parties]
        facts["conflicts.recipient_party"] = Fact(
            bool(mine),
            "known",
            source="; ".join(c.source for c in mine) or "conflict check",
            origin="derived",
            location=where.get("conflicts"),
        )
        between_states = [c for c in mine if not c.internal]
        facts["conflicts.recipient_international"] = Fact(
            bool(between_states),
            "known",
            source="; ".join(c.source for c in between_states) or "conflict check",
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


def recipient_role(conflicts: Any, recipient: str, at: Location | None) -> Fact:
    """The recipient's gravest role in the conflicts it is a party to; 'none' when it is in none;
    unknown when a conflict it is in records no role for it."""
    mine = [c for c in conflicts if recipient in c.parties]
    if not mine:
        return Fact("none", "known", source="conflict check", origin="derived", location=at)
    roles = []
    for c in mine:
        found = [r for r in c.roles if r.party == recipient]
        if not found:
            return missing(at, f"no role recorded for the recipient in '{c.name}'")
        roles += found
    gravest = min(roles, key=lambda r: ROLE_ORDER.index(r.role))
    return Fact(gravest.role, "known", source=gravest.source, origin="derived", location=at)


def _control_record(record: Any, at: Location | None, whom: str) -> tuple[Fact, Fact]:
    """What controls already tried with ``whom`` showed, and the controls it breached: both missing
    when no record was checked (never read as a clean record)."""
    if record is None:
        gap = missing(at, f"no record of controls tried with {whom}")
        return gap, gap
    breached = frozenset(r.control for r in record if r.result in BREACHES)
    if breached:
        value = "breaches_found"
    elif any(r.result == "compliance_confirmed" for r in record):
        value = "compliance_confirmed"
    else:
        value = "none_recorded"
    source = "; ".join(f"{r.control} {r.result} {r.date} ({r.source})" for r in record) or "control record"
    return (
        Fact(value, "known", source=source, origin="derived", location=at),
        Fact(breached, "known", source=source, origin="derived", location=at),
    )


def _link(pattern: Any, capability: str | None, clean: bool, at: Location | None, what: str) -> Fact:
    """Whether an item line is of a kind used in a documented pattern of violations. The pattern and
    its capabilities are evidence with a source; an item whose capability is not stated, or a
    country with a record but no pattern recorded, leaves the link unknown."""
    if capability is None:
        return missing(at, "the item line does not say what the items are for (capability)")
    if pattern is not None:
        linked = capability in pattern.capabilities
        return Fact(
            "linked" if linked else "not_linked",
            "known",
            source=pattern.source,
            as_of=pattern.as_of,
            origin="derived",
            location=at,
            note=pattern.description,
        )
    if clean:
        return Fact("no_pattern", "known", source=f"no {what} recorded", origin="derived", location=at)
    return missing(at, f"no documented pattern of {what} recorded for the recipient")


def line_facts(transfer_facts: Facts, scenario: Any, index: int, where: dict[str, Location]) -> Facts:
    """The facts of item line ``index``: the transfer's facts, with ``items.*`` and ``item.*`` read
    from that line alone (each line of a licence is approved or refused on its own)."""
    item = scenario.transfer.items[index]
    at = where.get("transfer")
    facts = dict(transfer_facts)

    def given(value: Any, origin: str = "transfer") -> Fact:
        return Fact(value, "known", source="transfer application", origin=origin, location=at)

    sens = v.SENSITIVITY[item.sensitivity]
    facts["items.sensitivity"] = given(frozenset([item.sensitivity]))
    facts["items.ml_category"] = given(frozenset([item.ml_category]))
    facts["items.att_category"] = given(frozenset([item.att_category]))
    facts["items.max_service_life_years"] = given(sens.service_life_years, "derived")
    facts["items.portable"] = given(sens.portable, "derived")
    facts["items.total_quantity"] = given(item.quantity, "derived")
    facts["items.total_value_eur"] = (
        given(item.value_eur, "derived")
        if item.value_eur is not None
        else missing(at, "the line has no value_eur")
    )
    cap = item.capability
    facts["item.capability"] = given(cap) if cap is not None else missing(at, "capability not stated")
    patterns = scenario.evidence.patterns
    p_at = where.get("patterns")
    ihl = facts["country.ihl_violations_credible"]
    ihl_clean = ihl.value is False and not ihl.alternatives
    pts = facts["country.pts"].value
    repression_clean = pts is not None and not facts["country.pts"].alternatives and pts <= CLEAN_PTS
    facts["item.ihl_pattern_link"] = _link(
        patterns.ihl if patterns else None, cap, ihl_clean, p_at, "serious IHL violations"
    )
    facts["item.repression_link"] = _link(
        patterns.repression if patterns else None, cap, repression_clean, p_at, "internal repression"
    )
    return facts


def facts_for(scenario: LoadedScenario, as_of: dt.date, rules: LoadedRules | None = None) -> Facts:
    """Every fact of a loaded scenario on ``as_of``, for its first item line (a scenario with one
    line, or a search that changes facts the lines share); the rule set's embargo list is used when
    the scenario records no embargo check of its own."""
    return facts_for_lines(scenario, as_of, rules)[0]


def facts_for_lines(
    scenario: LoadedScenario, as_of: dt.date, rules: LoadedRules | None = None
) -> list[Facts]:
    """The facts of each item line of a loaded scenario on ``as_of``."""
    reference = rules.embargoes if rules is not None else None
    at = Location(rules.embargoes_path) if rules is not None and rules.embargoes_path else None
    base = derive(
        scenario.model,
        scenario.country,
        scenario.unit,
        scenario.where,
        as_of,
        reference,
        at,
        scenario.recipient,
        scenario.kind,
    )
    return [
        line_facts(base, scenario.model, i, scenario.where) for i in range(len(scenario.model.transfer.items))
    ]
