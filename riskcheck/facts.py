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
        "bool", "A UN arms embargo in force covers this end user and item line", title="UN arms embargo"
    ),
    "embargo.eu": FieldSpec(
        "bool", "An EU arms embargo in force covers this end user and item line", title="EU arms embargo"
    ),
    "embargo.osce": FieldSpec(
        "bool", "An OSCE arms embargo in force covers this end user and item line", title="OSCE arms embargo"
    ),
    "embargo.national": FieldSpec(
        "bool",
        "A national arms embargo of the exporting state in force covers this end user and item line",
        title="National arms embargo",
    ),
    "suspension.in_force": FieldSpec(
        "bool",
        "A decision to suspend licences (not a legal embargo) in force covers this end user and item line",
        title="Suspension of licences",
    ),
    "suspension.criterion": FieldSpec(
        "enum",
        "The EU Common Position criterion the suspension covering this line rests on ('none': the act "
        "names none)",
        ("none", *v.SUSPENSION_CRITERIA),
        title="Criterion the suspension rests on",
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


def indicator_facts(
    group: Any, doc: Document | None, prefix: tuple[Any, ...], origin: str
) -> dict[str, Fact]:
    """The indicators set in ``group`` (a pydantic model of indicators), located in ``doc`` (None: a
    kept case, whose indicators have no place in a file)."""
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
            location=doc.locate((*prefix, key)) if doc is not None else None,
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
    recipient_facts: dict[str, Fact] | None = None,
    kind: str = "state",
) -> Facts:
    """All facts for one scenario that every item line shares (the embargo facts are each line's
    own: ``embargo_facts``). ``where`` maps evidence keys to their file positions; ``recipient_facts``
    and ``kind``: a non-state or sub-state recipient's own indicators and its profile's kind (a state
    has none of these indicators: they stay missing, and rules read them only where the recipient is
    not a state)."""
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
    return item_facts(
        transfer_facts,
        scenario.transfer.items[index],
        scenario.evidence.patterns,
        where.get("transfer"),
        where.get("patterns"),
    )


AMOUNTS = ("quantity", "value_eur")  # the line's fields that only ``amount_facts`` reads


def item_facts(
    transfer_facts: Facts, item: Any, patterns: Any, at: Location | None, p_at: Location | None
) -> Facts:
    """The facts of one item line (anything with the fields of ``scenario_model.Item`` the facts
    read): what ``line_facts`` builds for a scenario's line, and the re-assessment of kept cases
    (``evidence.cases``) for a line kept as a token row. It is the transfer's facts with the line's
    own: what it is (``kind_facts``) and how much (``amount_facts``)."""
    facts = dict(transfer_facts)
    facts.update(kind_facts(transfer_facts, item, patterns, at, p_at))
    facts.update(amount_facts(item, at))
    return facts


def _given(value: Any, at: Location | None, origin: str = "transfer") -> Fact:
    return Fact(value, "known", source="transfer application", origin=origin, location=at)


def kind_facts(
    transfer_facts: Facts, item: Any, patterns: Any, at: Location | None, p_at: Location | None
) -> Facts:
    """The facts of an item line that read what the items are, not how many (no field of ``AMOUNTS``):
    lines that differ in amounts alone share them."""
    sens = v.SENSITIVITY[item.sensitivity]
    facts: Facts = {
        "items.sensitivity": _given(frozenset([item.sensitivity]), at),
        "items.ml_category": _given(frozenset([item.ml_category]), at),
        "items.att_category": _given(frozenset([item.att_category]), at),
        "items.max_service_life_years": _given(sens.service_life_years, at, "derived"),
        "items.portable": _given(sens.portable, at, "derived"),
    }
    cap = item.capability
    facts["item.capability"] = _given(cap, at) if cap is not None else missing(at, "capability not stated")
    ihl = transfer_facts["country.ihl_violations_credible"]
    ihl_clean = ihl.value is False and not ihl.alternatives
    pts = transfer_facts["country.pts"].value
    repression_clean = pts is not None and not transfer_facts["country.pts"].alternatives and pts <= CLEAN_PTS
    facts["item.ihl_pattern_link"] = _link(
        patterns.ihl if patterns else None, cap, ihl_clean, p_at, "serious IHL violations"
    )
    facts["item.repression_link"] = _link(
        patterns.repression if patterns else None, cap, repression_clean, p_at, "internal repression"
    )
    return facts


def amount_facts(item: Any, at: Location | None) -> Facts:
    """The facts of an item line that read how many items and what value (the fields of ``AMOUNTS``)."""
    return {
        "items.total_quantity": _given(item.quantity, at, "derived"),
        "items.total_value_eur": (
            _given(item.value_eur, at, "derived")
            if item.value_eur is not None
            else missing(at, "the line has no value_eur")
        ),
    }


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
    model = scenario.model
    base = derive(
        model, scenario.country, scenario.unit, scenario.where, as_of, scenario.recipient, scenario.kind
    )
    check = embargo_check(model, reference, scenario.where.get("embargoes"), at)
    lines = []
    for i, item in enumerate(model.transfer.items):
        facts = line_facts(base, model, i, scenario.where)  # the line's own copy, completed in place
        facts.update(embargo_facts(check, model.transfer, item, as_of))
        lines.append(facts)
    return lines


# --- embargoes, line by line ----------------------------------------------------------------------
#
# An embargo covers an item line when its end-user scope covers the end user (the government's own
# forces as the act treats them) and its item scope covers the line; a derogation written in the act
# whose items and end users match and whose conditions are all met takes the line out (the criteria
# still apply: UN Charter Art. 25 and 41, ATT Art. 6(1), EU CP Art. 1 and Criterion 1). Anything the
# answer turns on that is not recorded makes the line's reading unknown, never "not covered".

AUTHORITIES = ("un", "eu", "osce", "national")
NON_STATE = ("non_state_armed_group", "private", "humanitarian_or_media")


@dataclass(frozen=True, slots=True)
class EmbargoCheck:
    """The embargo entries an assessment reads: the scenario's own check, else the rule set's
    reference data for the recipient; ``at`` is where they were read."""

    entries: tuple[Any, ...]
    source: str
    as_of: dt.date
    at: Location | None


@dataclass(frozen=True, slots=True)
class EmbargoReading:
    """One embargo (or suspension) read against one item line: covered (True), not (False) or
    unknown (None), with the reason in a sentence; ``derogation`` names the exception read, and
    ``conditions`` each of its conditions with its status (met / not_met / unknown)."""

    entry: Any
    covered: bool | None
    reason: str
    derogation: str | None = None
    conditions: tuple[tuple[str, str], ...] = ()


def embargo_check(
    scenario: Any, reference: Any, own_at: Location | None, reference_at: Location | None
) -> EmbargoCheck | None:
    """The scenario's own embargo check, else the reference list's entries for the recipient;
    None when neither exists (not checked)."""
    own = scenario.evidence.embargoes
    if own is not None:
        return EmbargoCheck(tuple(own.in_force), own.source, own.as_of, own_at)
    if reference is None:
        return None
    recipient = scenario.transfer.recipient.country
    return EmbargoCheck(
        tuple(e for e in reference.entries if e.country == recipient),
        f"{reference.title} ({reference.source})",
        reference.as_of,
        reference_at,
    )


def _procedure(transfer: Any, embargo_id: str, kind: str) -> str | None:
    """given / pending / refused, or None when the transfer records no such procedure."""
    for p in transfer.sanctions_procedures:
        if p.embargo == embargo_id and p.kind == kind:
            return str(p.status)
    return None


PROCEDURE_MEETS = {"given": "met", "refused": "not_met", "pending": "unknown", None: "unknown"}


def condition_status(condition: str, entry: Any, transfer: Any, item: Any) -> str:
    """met / not_met / unknown: a committee procedure from the transfer's record for this embargo,
    any other condition from the line's own record, else the transfer's (absent = unknown)."""
    kind = v.PROCEDURE_CONDITIONS.get(condition)
    if kind is not None:
        return PROCEDURE_MEETS[_procedure(transfer, entry.id, kind)]
    own = item.derogation_conditions
    status = getattr(own, condition) if own is not None else None
    if status is None:
        status = getattr(transfer.derogation_conditions, condition)
    return str(status) if status is not None else "unknown"


def items_cover(scope: Any, item: Any) -> tuple[bool | None, str]:
    """Whether an item scope (absent: all arms) covers the line: True, False or None when it turns on
    what the line does not say (its capability or model)."""
    if scope is None or scope.all:
        return True, "all arms and related materiel"
    if item.ml_category in scope.ml_categories:
        return True, f"{item.ml_category} is listed"
    if item.att_category in scope.att_categories:
        return True, f"ATT category {item.att_category} is listed"
    if item.capability is not None and item.capability in scope.capabilities:
        return True, f"{item.capability} is listed"
    model = (item.model or "").casefold()
    hit = next((s for s in scope.systems if model and s.casefold() in model), None)
    if hit is not None:
        return True, f"the system {hit} is listed"
    if scope.capabilities and item.capability is None:
        return None, "the line does not say what the items are for (capability), which the scope lists"
    if scope.systems and item.model is None:
        return None, "the line names no model, and the scope lists named systems"
    return False, "the line is outside the item scope"


def _end_user_covered(entry: Any, transfer: Any) -> tuple[bool | None, str]:
    eu = transfer.end_user
    if entry.scope == "named_forces":  # a named force is covered whoever it belongs to
        names = {eu.name.casefold(), (eu.unit or "").casefold()}
        hit = next((t for t in entry.targets if t.casefold() in names), None)
        if hit is not None:
            return True, f"the end user is the named force {hit}"
        return False, "the end user is not a named force"
    if eu.type in v.GOVERNMENT_END_USERS:
        treatment = entry.government_treatment
        if treatment == "covered":
            return True, "the government's own forces are covered"
        if treatment == "exempt":
            return False, "the government's own forces are exempt"
        kind = "notification" if treatment == "exempt_with_notification" else "approval"
        status = _procedure(transfer, entry.id, kind)
        if status == "given":
            return False, f"the government is exempt with the committee's {kind}, which was given"
        if status == "refused":
            return True, f"the government is exempt only with the committee's {kind}, which was refused"
        said = "is pending" if status == "pending" else "is not recorded"
        return None, f"the government is exempt only with the committee's {kind}, which {said}"
    if entry.scope == "whole_state":
        return True, "the embargo covers every end user in the state"
    if entry.scope == "non_state_actors":
        if eu.type in NON_STATE:
            return True, "the end user is a non-state actor"
        if eu.type == "sub_state_authority":
            return (
                None,
                "whether a sub-state authority counts as a non-state actor under the act is not established",
            )
    return False, "the embargo covers non-state actors only"


def _derogation_end_users(d: Any, end_user: Any) -> bool:
    if d.end_users is None:
        return True
    if any(end_user.type in v.DEROGATION_END_USERS[u] for u in d.end_users):
        return True
    names = {end_user.name.casefold(), (end_user.unit or "").casefold()}
    return any(n.casefold() in names for n in d.named)


def _derogation(entry: Any, d: Any, transfer: Any, item: Any) -> EmbargoReading | None:
    """The reading a derogation gives the line: out (False) when it applies and every condition is
    met, unknown (None) when it may apply and nothing it requires is refused; None when it cannot
    take the line out."""
    if not _derogation_end_users(d, transfer.end_user):
        return None
    fits, why_items = items_cover(d.items, item)
    if fits is False:
        return None
    conditions = tuple((c, condition_status(c, entry, transfer, item)) for c in d.requires)
    if any(status == "not_met" for _, status in conditions):
        return None
    listed = ", ".join(f"{c}: {s}" for c, s in conditions) or "none"
    if fits is None:
        return EmbargoReading(entry, None, f"derogation {d.id} may apply, but {why_items}", d.id, conditions)
    unknown = [c for c, s in conditions if s == "unknown"]
    if unknown:
        reason = (
            f"within derogation {d.id} only if {', '.join(unknown)} is established (conditions: {listed})"
        )
        return EmbargoReading(entry, None, reason, d.id, conditions)
    return EmbargoReading(
        entry, False, f"within derogation {d.id}: conditions met ({listed})", d.id, conditions
    )


def _refused_derogations(entry: Any, transfer: Any, item: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The first derogation that fits the line but has a condition not met (said in the reason)."""
    for d in entry.derogations:
        if not _derogation_end_users(d, transfer.end_user) or items_cover(d.items, item)[0] is False:
            continue
        conditions = tuple((c, condition_status(c, entry, transfer, item)) for c in d.requires)
        missed = [c for c, s in conditions if s == "not_met"]
        if missed:
            return f"; derogation {d.id} does not apply: {', '.join(missed)} not met", conditions
    return "", ()


def read_embargo(entry: Any, transfer: Any, item: Any) -> EmbargoReading:
    """One embargo (or suspension) read against one item line, on a day it is in force."""
    users, why_users = _end_user_covered(entry, transfer)
    if users is False:
        return EmbargoReading(entry, False, why_users)
    goods, why_goods = items_cover(entry.items, item)
    if goods is False:
        return EmbargoReading(entry, False, why_goods)
    before = entry.contracts_before
    if before is not None and transfer.contract_date is not None and transfer.contract_date < before:
        return EmbargoReading(
            entry, False, f"the contract ({transfer.contract_date}) predates {before}, which the act exempts"
        )
    out = [r for d in entry.derogations if (r := _derogation(entry, d, transfer, item)) is not None]
    met = next((r for r in out if r.covered is False), None)
    if met is not None:
        return met
    if out:
        return out[0]
    reason = f"{why_users}; {why_goods}"
    refused, conditions = _refused_derogations(entry, transfer, item)
    return EmbargoReading(
        entry, None if users is None or goods is None else True, reason + refused, None, conditions
    )


def embargo_readings(
    check: EmbargoCheck | None, transfer: Any, item: Any, as_of: dt.date
) -> list[EmbargoReading]:
    """Every embargo and suspension of the check in force on ``as_of`` read against one item line
    (a national measure only when it is the exporting state's own)."""
    if check is None:
        return []
    exporter = transfer.exporter.country
    return [
        read_embargo(e, transfer, item)
        for e in check.entries
        if _in_force(e.start, e.end, as_of)
        and (e.authority != "national" or e.imposed_by in (None, exporter))
    ]


def _any_of(readings: list[EmbargoReading]) -> bool | None:
    """Three-valued 'any': covered by one → True; else unknown on one → None; else False."""
    if any(r.covered is True for r in readings):
        return True
    if any(r.covered is None for r in readings):
        return None
    return False


STATUS_WORDS = {True: "applies", False: "does not apply", None: "unknown"}
EMBARGO_FACTS = (*(f"embargo.{a}" for a in AUTHORITIES), "suspension.in_force")


def reading_sentence(r: EmbargoReading) -> str:
    """'UN embargo un-x: does not apply - within derogation d: conditions met (...) [act]': what the
    answer shows for one embargo on one line (the part before ' - ' is its status in a table)."""
    e = r.entry
    kind = "suspension" if e.kind == "suspension" else "embargo"
    authority = "national" if e.authority == "national" else e.authority
    doubt = f" Not verified: {e.uncertain}" if e.uncertain and r.covered is not False else ""
    return f"{authority} {kind} {e.id}: {STATUS_WORDS[r.covered]} - {r.reason} [{e.legal_act}].{doubt}"


def _said(readings: list[EmbargoReading]) -> str | None:
    """One sentence per embargo read, a line each (``embargo_lines`` reads them back)."""
    return "\n".join(reading_sentence(r) for r in readings) or None


def embargo_lines(facts: Facts) -> tuple[str, ...]:
    """The sentences saying how each embargo and suspension in force reads on this item line."""
    out: list[str] = []
    for key in EMBARGO_FACTS:
        note = facts[key].note if key in facts else None
        out += [s for s in (note or "").split("\n") if " - " in s]
    return tuple(out)


def embargo_facts(check: EmbargoCheck | None, transfer: Any, item: Any, as_of: dt.date) -> Facts:
    """The embargo facts of one item line (``embargo.*``, ``suspension.*``): the one definition both
    the scenario path and the register's array path read."""
    if check is None:
        out = {f"embargo.{a}": missing(None, "no embargo check recorded") for a in AUTHORITIES}
        out["suspension.in_force"] = missing(None, "no embargo check recorded")
        out["suspension.criterion"] = missing(None, "no embargo check recorded")
        return out
    readings = embargo_readings(check, transfer, item, as_of)
    out = {}
    groups = {
        a: [r for r in readings if r.entry.kind == "embargo" and r.entry.authority.lower() == a]
        for a in AUTHORITIES
    }
    groups_s = [r for r in readings if r.entry.kind == "suspension"]
    for key, group in [*((f"embargo.{a}", g) for a, g in groups.items()), ("suspension.in_force", groups_s)]:
        value = _any_of(group)
        hits = [r for r in group if r.covered is True]
        note = _said(group)
        out[key] = (
            Fact(
                value,
                "known",
                source="; ".join(r.entry.legal_act for r in hits) or check.source,
                as_of=check.as_of,
                origin="derived",
                location=check.at,
                note=note,
            )
            if value is not None
            else missing(check.at, note)
        )
    suspended = next((r for r in groups_s if r.covered is True), None)
    if suspended is not None:
        out["suspension.criterion"] = Fact(
            suspended.entry.criterion or "none",
            "known",
            source=suspended.entry.legal_act,
            as_of=check.as_of,
            origin="derived",
            location=check.at,
        )
    elif out["suspension.in_force"].value is False:
        out["suspension.criterion"] = Fact(
            "none", "known", source=check.source, origin="derived", location=check.at
        )
    else:
        out["suspension.criterion"] = missing(check.at, "whether a suspension covers the line is unknown")
    return out
