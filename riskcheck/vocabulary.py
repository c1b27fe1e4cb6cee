"""The controlled vocabulary shared by rule files and scenario files.

Rule files may only refer to inputs named here, and scenario files may only
supply them, so that a typo is an error with a suggestion rather than a factor
that silently never fires. Sources for the categories: EU Common Military List
(adopted 19 Feb 2024, C/2024/1945), ATT Art. 2(1), 3 and 4, the International
Tracing Instrument (2005) para 4 for SALW; indicator scales as described in
shared/domain.md §4.3 and §7. Typical service lives are rough planning figures
(domain.md §9.4, marked [M] there), used to weigh long-lived, portable items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MILITARY_LIST: dict[str, str] = {
    "ML1": "Smooth-bore weapons < 20 mm, other arms and automatic weapons <= 12.7 mm",
    "ML2": "Smooth-bore weapons >= 20 mm, other weapons > 12.7 mm, projectors",
    "ML3": "Ammunition and fuze-setting devices",
    "ML4": "Bombs, torpedoes, rockets, missiles, other explosive devices and charges",
    "ML5": "Fire-control and related alerting and warning equipment",
    "ML6": "Ground vehicles and components",
    "ML7": "Chemical or biological toxic agents, riot-control agents, related equipment",
    "ML8": "Energetic materials (explosives, propellants, pyrotechnics)",
    "ML9": "Vessels of war, special naval equipment",
    "ML10": "Aircraft, lighter-than-air vehicles, UAVs, aero-engines",
    "ML11": "Electronic equipment and spacecraft not specified elsewhere",
    "ML12": "High-velocity kinetic-energy weapon systems",
    "ML13": "Armoured or protective equipment, constructions and components",
    "ML14": "Specialised military training equipment and simulators",
    "ML15": "Imaging or countermeasure equipment",
    "ML16": "Forgings, castings and other unfinished products",
    "ML17": "Miscellaneous equipment, materials and libraries",
    "ML18": "Production equipment and components",
    "ML19": "Directed-energy weapon systems",
    "ML20": "Cryogenic and superconductive equipment",
    "ML21": "Software",
    "ML22": "Technology",
}

ATT_CATEGORIES: dict[str, str] = {
    "battle_tanks": "ATT Art. 2(1)(a)",
    "armoured_combat_vehicles": "ATT Art. 2(1)(b)",
    "large_calibre_artillery": "ATT Art. 2(1)(c)",
    "combat_aircraft": "ATT Art. 2(1)(d)",
    "attack_helicopters": "ATT Art. 2(1)(e)",
    "warships": "ATT Art. 2(1)(f)",
    "missiles_and_launchers": "ATT Art. 2(1)(g)",
    "small_arms_light_weapons": "ATT Art. 2(1)(h)",
    "ammunition": "ATT Art. 3",
    "parts_components": "ATT Art. 4",
    "not_covered": "outside ATT Art. 2(1), 3 and 4",
}


@dataclass(frozen=True)
class Sensitivity:
    title: str
    service_life_years: int  # a typical figure, the horizon over which risk is weighed
    portable: bool


SENSITIVITY: dict[str, Sensitivity] = {
    "salw": Sensitivity("Small arms and light weapons", 40, True),
    "salw_ammunition": Sensitivity("SALW ammunition", 20, True),
    "manpads": Sensitivity("Man-portable air-defence systems", 15, True),
    "atgm": Sensitivity("Anti-tank guided missiles and portable anti-tank weapons", 15, True),
    "major_platform": Sensitivity("Major conventional platforms (ATT Art. 2(1)(a)-(g))", 35, False),
    "parts_components": Sensitivity("Parts and components", 20, False),
    "protective_non_lethal": Sensitivity("Protective and non-lethal equipment", 15, False),
    "internal_security": Sensitivity("Internal-security equipment (riot control, surveillance)", 15, False),
}


@dataclass(frozen=True)
class Capability:
    title: str
    examples: str


# What an item line is for: the nature of the equipment, which the criteria read (EU CP Criterion
# 2: "the nature of the equipment"; EU UG 2019 Criterion 2 on the link between the equipment and the
# violations; Criterion 4(c): use other than for legitimate national security and defence). Grouped
# by what the equipment can do rather than by Military List heading: one ML heading (ML10, ML4)
# holds both defensive and offensive equipment. Whether items of a kind are linked to a documented
# pattern of violations is evidence (the profile's patterns), never this vocabulary.
CAPABILITIES: dict[str, Capability] = {
    "air_delivered_strike": Capability(
        "Air-delivered strike munitions", "bombs, guided bombs, air-to-surface missiles and their kits (ML4)"
    ),
    "artillery_rockets": Capability(
        "Artillery, rockets and large-calibre ammunition",
        "guns and howitzers, multiple rocket launchers, mortars of 100 mm and more, their ammunition (ML2-ML4)",
    ),
    "combat_aircraft": Capability(
        "Combat aircraft, attack helicopters and armed drones",
        "the platforms and their parts and engines (ML10)",
    ),
    "air_missile_defence": Capability(
        "Air and missile defence",
        "surface-to-air systems, interceptors, air-surveillance and fire-control radar (ML4, ML5, ML11)",
    ),
    "armoured_vehicles": Capability("Armoured combat vehicles and tanks", "and their parts (ML6)"),
    "small_arms_light_weapons": Capability(
        "Small arms and light weapons",
        "rifles, machine guns, grenade launchers, light mortars and their ammunition (ML1-ML3)",
    ),
    "riot_control_internal_security": Capability(
        "Riot-control and internal-security equipment",
        "riot-control agents and launchers, water cannon, armoured police vehicles (ML7, ML6, EU repression annexes)",
    ),
    "surveillance_communications": Capability(
        "Surveillance and communications", "interception, tactical radios, sensors, imaging (ML11, ML15)"
    ),
    "naval": Capability(
        "Naval vessels and equipment", "warships, patrol boats, naval guns and sensors (ML9)"
    ),
    "protective_non_lethal": Capability(
        "Protective and non-lethal equipment",
        "body armour, helmets, demining and CBRN protection (ML13, ML7)",
    ),
    "sporting_hunting": Capability(
        "Sporting and hunting arms", "sporting rifles and shotguns and their ammunition"
    ),
    "components_for_integration": Capability(
        "Components for a platform built elsewhere",
        "parts incorporated into a system assembled in another state",
    ),
    "transport_logistics_rescue": Capability(
        "Transport, logistics and search and rescue",
        "unarmed transport aircraft and vehicles, search-and-rescue helicopters and their spare parts",
    ),
    "non_listed_support": Capability(
        "Goods not on the Military List",
        "uniforms, field hospitals, fuel: licensed or part of a package, no combat capability",
    ),
}

# The recipient's part in an armed conflict, as recorded with its source (UN Charter Art. 51;
# UN General Assembly and Security Council resolutions; the findings of courts and commissions).
CONFLICT_ROLES: dict[str, str] = {
    "self_defence": "Victim of an armed attack exercising self-defence (UN Charter Art. 51)",
    "internal_party": "Government party to an internal armed conflict",
    "intervening_with_consent": "Intervening in another state's conflict with that state's consent",
    "intervening_without_consent": "Intervening in another state's conflict without its consent",
    "aggressor": "Aggressor (e.g. as found by a UN General Assembly or Security Council resolution)",
    "occupying_power": "Occupying power",
}

# What a control already tried with this recipient showed (the record of the controls).
CONTROL_RESULTS: dict[str, str] = {
    "compliance_confirmed": "A post-shipment check or end-use monitoring confirmed compliance",
    "breaches_found": "A check found the items diverted, missing or used in breach of the undertakings",
    "undertaking_broken": "The recipient broke an undertaking it had given (e.g. no re-export without consent)",
}

CHANNELS: dict[str, str] = {
    "g2g_with_eum": "Government-to-government with end-use monitoring",
    "g2g": "Government-to-government without a monitoring programme",
    "commercial_licensed": "Commercial sale under an individual licence",
    "ad_hoc_programme": "Ad hoc train-and-equip programme outside normal accountability",
    "donation": "Donation or gift outside normal security-assistance accountability",
    "brokered": "Brokered transfer through third parties",
}

END_USER_TYPES: dict[str, str] = {
    "armed_forces": "State armed forces",
    "police_security": "State police or internal-security forces",
    "other_government": "Other state body",
    "private": "Private company or person",
    "non_state_armed_group": "Non-state armed group",
    "sub_state_authority": "Sub-state authority and its forces (e.g. a regional government)",
    "un_peace_operation": "UN or UN-authorised peace operation",
    "humanitarian_or_media": "Humanitarian or development workers, or media",
}

# Conditions an embargo's derogation may require of a transfer (the agreed entry format,
# embargo-schema.md). The two committee procedures are recorded per embargo in the transfer's
# ``sanctions_procedures`` (given / pending / refused); the others in ``derogation_conditions``
# (met / not_met / unknown). A derogation takes a line out of its embargo only when every one is met.
DEROGATION_CONDITIONS: dict[str, str] = {
    "committee_notification": "The sanctions committee (or the authority the act names) was notified in advance",
    "committee_approval": "The sanctions committee approved the transfer in advance",
    "un_or_authorised_mission": "For the use of a UN mission or a force the Security Council (or EU / AU) authorised",
    "government_security_forces": "The end user is the government's own security forces",
    "humanitarian_or_protective_use": "Non-lethal equipment intended solely for humanitarian or protective use",
    "personal_protective_use": "Protective clothing and helmets temporarily exported for the personal use of UN "
    "personnel, media, humanitarian or development workers",
    "security_sector_reform": "For security-sector reform, training or institution-building programmes",
    "demining": "For demining or the destruction of stockpiles",
}
# The two conditions that are committee procedures, recorded in ``transfer.sanctions_procedures``.
PROCEDURE_CONDITIONS: dict[str, str] = {
    "committee_notification": "notification",
    "committee_approval": "approval",
}
CONDITION_STATUSES = ("met", "not_met", "unknown")
PROCEDURE_STATUSES = ("given", "pending", "refused")

# The EU Common Position criteria a suspension of licences may rest on (its refusal codes).
SUSPENSION_CRITERIA = ("2a", "2b", "2c", "3", "4", "5", "6", "7", "8")

# Who a derogation may name as end users, and the end-user types each one covers.
DEROGATION_END_USERS: dict[str, tuple[str, ...]] = {
    "government": ("armed_forces", "police_security", "other_government"),
    "un_mission": ("un_peace_operation",),
    "international_force": ("un_peace_operation",),
    "humanitarian": ("humanitarian_or_media",),
    "media": ("humanitarian_or_media",),
    "named": (),  # matched by name against the derogation's ``named`` list
}
GOVERNMENT_END_USERS = DEROGATION_END_USERS["government"]

CONTROLS: dict[str, str] = {
    "euc_commercial": "Commercial end-user declaration",
    "euc_government": "Government-certified end-user certificate (authenticated signatory)",
    "no_reexport_clause": "No re-export without the exporter's prior written consent",
    "delivery_verification": "Delivery verification certificate",
    "serial_number_lists": "Serial-number lists shared before delivery",
    "psv_consent": "Consent to post-shipment on-site verification, with an inspection plan",
    "new_for_old": "New for old: replaced weapons destroyed",
    "enhanced_eum": "Enhanced end-use monitoring (serial inventories, security inspections)",
    "pssm_assistance": "Joint stockpile-management (PSSM) programme",
    "unit_vetting": "Vetting of the receiving unit (Leahy-style)",
    "ihl_training": "IHL/IHRL training and accountability programme for the unit",
    "restriction_named_unit_only": "Use restricted to the named unit: no transfer to other units in the state",
    "restriction_no_police": "Not to be passed to police or internal-security units",
}

# Arguments sometimes put forward for approval that must never lower risk (each rule set says why).
ARGUMENTS: dict[str, str] = {
    "others_would_supply": "If we do not supply, others will",
    "economic_interest": "Economic, commercial or employment interests",
    "contract_predates_embargo": "The contract was signed before the embargo",
    "assurances_only": "The recipient's assurances alone",
    "strategic_partner": "The recipient is a strategic partner",
}

ValueKind = Literal["bool", "int", "number", "enum"]


@dataclass(frozen=True)
class IndicatorSpec:
    kind: ValueKind
    description: str
    low: float | None = None
    high: float | None = None
    values: tuple[str, ...] = ()


def _scale(description: str, low: int = 0, high: int = 3) -> IndicatorSpec:
    return IndicatorSpec("int", description, low, high)


# Country-level indicators, usually from a shared recipient profile.
COUNTRY_INDICATORS: dict[str, IndicatorSpec] = {
    "pts": _scale("Political Terror Scale, worst of the A/H/S codings (1 best - 5 worst)", 1, 5),
    "cirights_physint": _scale("CIRIGHTS physical integrity index (0 worst - 8 best)", 0, 8),
    "hr_violations_established": IndicatorSpec(
        "bool", "Serious HR violations established by UN, EU or Council of Europe bodies"
    ),
    "govt_one_sided_violence_5y": IndicatorSpec(
        "bool", "UCDP one-sided violence by the government in the last five years"
    ),
    "ihl_violations_credible": IndicatorSpec(
        "bool", "Credible reports of serious IHL violations by the recipient's forces"
    ),
    "gbv_risk": IndicatorSpec(
        "enum",
        "Risk of serious gender-based violence by armed actors",
        values=("low", "moderate", "high"),
    ),
    "internal_conflict": IndicatorSpec(
        "enum",
        "Internal armed conflict (UCDP: minor >= 25, war >= 1000 deaths/yr)",
        values=("none", "tension", "minor", "war"),
    ),
    "interstate_conflict": IndicatorSpec(
        "enum",
        "Armed conflict or threat with another state",
        values=("none", "dispute", "threat", "active"),
    ),
    "territorial_claim_by_force": IndicatorSpec(
        "bool", "A territorial claim the recipient has pursued or threatened by force"
    ),
    "terrorism_support": IndicatorSpec("bool", "Record of supporting terrorism or organised crime"),
    "nonproliferation_record": IndicatorSpec(
        "enum",
        "Record on non-proliferation and arms-control commitments",
        values=("good", "mixed", "poor"),
    ),
    "att_state_party": IndicatorSpec("bool", "State party to the Arms Trade Treaty"),
    "unroca_reporting": IndicatorSpec("bool", "Reports to the UN Register of Conventional Arms"),
    "cpi": _scale("Corruption Perceptions Index (0 highly corrupt - 100 very clean)", 0, 100),
    "export_control_capacity": _scale("Capacity to enforce export controls (0 none - 3 advanced)"),
    "reexport_breaches": IndicatorSpec("bool", "Record of breaching re-export or end-use assurances"),
    "diversion_history": IndicatorSpec(
        "bool", "Items from its stocks found with unauthorised users (loss, theft, capture)"
    ),
    "conflict_near_depots": IndicatorSpec("bool", "Active fighting near military depots"),
    "stockpile_records": _scale("SC2 accounting and records (0 absent - 3 advanced)"),
    "stockpile_physical_security": _scale("SC3 physical security (0 absent - 3 advanced)"),
    "stockpile_audit": _scale("SC4 inventory verification and audit (0 absent - 3 advanced)"),
    "stockpile_overrun_resilience": _scale("SC10 resilience against depot overrun (0 - 3)"),
    "hdi": IndicatorSpec("number", "UNDP Human Development Index (0 - 1)", 0, 1),
    "milex_pct_gdp": IndicatorSpec("number", "Military expenditure, % of GDP", 0, 100),
    "threat_to_eu_allies": IndicatorSpec(
        "bool", "Risk the items are used against EU member states or allies"
    ),
    "absorptive_capacity_exceeded": IndicatorSpec(
        "bool", "Recent and proposed transfers exceed what the forces can absorb (destabilising accumulation)"
    ),
}

# The named end-user unit's own record: it outranks country averages.
UNIT_INDICATORS: dict[str, IndicatorSpec] = {
    "atrocity_use_known": IndicatorSpec(
        "bool", "Knowledge at authorisation that the items would be used for atrocity crimes"
    ),
    "credible_gvhr_information": IndicatorSpec(
        "bool", "Credible information that the unit committed a gross violation of human rights"
    ),
    "remediation": IndicatorSpec(
        "enum",
        "Steps to bring the responsible members to justice",
        values=("none", "partial", "complete"),
    ),
    "ihl_compliance_mechanisms": IndicatorSpec(
        "bool", "Demonstrated IHL/IHRL training, investigations and accountability in the unit"
    ),
    "stockpile_control_demonstrated": IndicatorSpec(
        "bool", "The unit demonstrated effective stockpile control (records, security, audits)"
    ),
    "quantity_plausible": IndicatorSpec(
        "bool", "Quantity plausible against the unit's size and stated end use (not more than it can use)"
    ),
    "type_plausible": IndicatorSpec(
        "bool", "Type and calibre plausible for the unit (in its inventory, fit for the stated end use)"
    ),
    "accountability": IndicatorSpec(
        "enum",
        "How abuses by the unit are answered: judicial (prosecutions, courts-martial under independent "
        "oversight), administrative only (dismissal, transfer, internal discipline), or none",
        values=("judicial", "administrative_only", "none"),
    ),
    "depots_near_fighting": IndicatorSpec(
        "bool", "The unit's own depots lie where fighting could overrun them"
    ),
    "implicated_in_war_crimes": IndicatorSpec(
        "bool", "Credible findings (e.g. a UN commission of inquiry) that the end user committed war crimes"
    ),
    "past_conduct_with_similar_items": IndicatorSpec(
        "enum",
        "Past use of this or similar equipment by the unit",
        values=("lawful", "some_concerns", "misuse_documented"),
    ),
}

# --- recipients beyond states, and re-export consents (issue 14) ---------------------------------

# What a recipient profile describes. A state's profile holds the country's record; the others hold
# the recipient's own record (its forces, its stockpiles, its conduct) and name the host state, whose
# profile still gives the country facts (development, governance, conflicts).
PROFILE_KINDS: dict[str, str] = {
    "state": "A state (its government's forces and bodies)",
    "non_state_armed_group": "A non-state armed group, with its own record",
    "sub_state_authority": "A sub-state authority and its forces (e.g. a regional government)",
    "other_non_state": "Another non-state end user (a company, an organisation)",
}

# The end-user types a profile of each kind may receive for (a profile of an armed group is not
# the evidence for a state's armed forces, nor the other way round).
PROFILE_KIND_END_USERS: dict[str, tuple[str, ...]] = {
    "state": tuple(END_USER_TYPES),
    "non_state_armed_group": ("non_state_armed_group",),
    "sub_state_authority": ("sub_state_authority",),
    "other_non_state": ("private", "humanitarian_or_media"),
}

TRANSFER_KINDS: dict[str, str] = {
    "export": "An export by the exporting state",
    "reexport_consent": "Consent to a re-export: a state holding items first supplied by the exporter asks to "
    "pass them on to a new end user",
}

# Country indicators that describe the recipient's own forces, conduct and stockpiles. For a
# non-state or sub-state recipient they are read from its own profile and never from the host
# state's: the central government's depots or conduct say nothing about a regional force's.
RECORD_INDICATORS: tuple[str, ...] = (
    "hr_violations_established",
    "govt_one_sided_violence_5y",
    "ihl_violations_credible",
    "gbv_risk",
    "terrorism_support",
    "reexport_breaches",
    "diversion_history",
    "conflict_near_depots",
    "stockpile_records",
    "stockpile_physical_security",
    "stockpile_audit",
    "stockpile_overrun_resilience",
)

# A non-state or sub-state recipient's own indicators (ICRC commentary on common Article 3 for
# command and control; EU User's Guide 2019, Criterion 7, on routing and the end user's control).
RECIPIENT_INDICATORS: dict[str, IndicatorSpec] = {
    "command_and_control": IndicatorSpec(
        "enum",
        "A responsible command able to enforce IHL and keep track of weapons: effective, partial or none",
        values=("effective", "partial", "none"),
    ),
    "territory_held": IndicatorSpec(
        "enum",
        "Territory the recipient holds: stable (secure rear areas and depots), contested, or none",
        values=("stable", "contested", "none"),
    ),
    "supply_routes_hostile": IndicatorSpec(
        "bool", "Hostile groups control the routes the items would travel to reach the recipient"
    ),
    "host_state_consents": IndicatorSpec(
        "bool", "The host state consents to the supply of arms to this recipient"
    ),
}
