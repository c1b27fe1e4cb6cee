"""Pydantic models of scenario and profile files (field validation only).

An indicator is a value *with its provenance*: source, ``as_of`` and a
confidence of ``known``, ``unknown`` or ``contested``. A known value without a
source or date is rejected: the engine must be able to show where every piece
of evidence came from.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    create_model,
    model_validator,
)

from . import vocabulary as v


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]
CountryCode = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3, or X.. for fictional states")
]
Confidence = Literal["known", "unknown", "contested"]


class DatasetRow(Strict):
    """Where an imported value came from: the data set, its edition and the row of the file."""

    name: Text
    edition: Text
    year: Annotated[StrictInt, Field(ge=1900, le=2200)]
    file: Text
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    sheet: Text | None = None
    row: Annotated[StrictInt, Field(ge=1)] | None = Field(
        None, description="The row a spreadsheet shows; none when the state is absent from the file"
    )
    cells: dict[str, StrictBool | StrictInt | StrictFloat | str | None] = Field(
        default_factory=dict, description="The cells of that row the value was read from"
    )


class OverriddenValue(Strict):
    """A data set's value that an officer's value overrides (kept so the difference stays visible)."""

    value: Any
    dataset: DatasetRow


class IndicatorBase(Strict):
    confidence: Confidence
    source: Text | None = None
    as_of: dt.date | None = None
    note: Text | None = None
    dataset: DatasetRow | None = Field(
        None, description="Set by riskcheck profile import: the data set and row the value came from"
    )
    override_of: OverriddenValue | None = Field(
        None, description="An officer's value that differs from the data set's: the data set's value"
    )

    @model_validator(mode="after")
    def _provenance(self) -> IndicatorBase:
        value = getattr(self, "value", None)
        alternatives = getattr(self, "alternatives", [])
        if self.confidence == "unknown":
            if value is not None or alternatives:
                raise ValueError("an 'unknown' indicator must not carry a value")
            return self
        if value is None:
            raise ValueError(f"a '{self.confidence}' indicator needs a value")
        if self.source is None or self.as_of is None:
            raise ValueError(f"a '{self.confidence}' indicator needs 'source' and 'as_of'")
        if self.confidence == "contested" and not alternatives:
            raise ValueError("a 'contested' indicator lists the competing readings in 'alternatives'")
        if self.confidence == "known" and alternatives:
            raise ValueError("only a 'contested' indicator may list 'alternatives'")
        return self


def _value_type(spec: v.IndicatorSpec) -> Any:
    if spec.kind == "bool":
        return StrictBool
    if spec.kind == "enum":
        return Literal[spec.values]  # type: ignore[valid-type]
    base = StrictInt if spec.kind == "int" else StrictInt | StrictFloat
    return Annotated[base, Field(ge=spec.low, le=spec.high)]  # type: ignore[valid-type]


def _indicator_group(name: str, specs: dict[str, v.IndicatorSpec]) -> type[Strict]:
    fields: dict[str, Any] = {}
    for key, spec in specs.items():
        vt = _value_type(spec)
        model = create_model(  # type: ignore[call-overload]
            f"{name}_{key}",
            __base__=IndicatorBase,
            __doc__=spec.description,
            value=(vt | None, None),
            alternatives=(list[vt], Field(default_factory=list, max_length=5)),
        )
        fields[key] = (model | None, Field(None, description=spec.description))
    return create_model(name, __base__=Strict, **fields)  # type: ignore[no-any-return, call-overload]


CountryIndicators = _indicator_group("CountryIndicators", v.COUNTRY_INDICATORS)
UnitIndicators = _indicator_group("UnitIndicators", v.UNIT_INDICATORS)
RecipientIndicators = _indicator_group("RecipientIndicators", v.RECIPIENT_INDICATORS)

MLCode = Literal[tuple(v.MILITARY_LIST)]  # type: ignore[valid-type]
ATTCategory = Literal[tuple(v.ATT_CATEGORIES)]  # type: ignore[valid-type]
SensitivityCode = Literal[tuple(v.SENSITIVITY)]  # type: ignore[valid-type]
ChannelCode = Literal[tuple(v.CHANNELS)]  # type: ignore[valid-type]
EndUserType = Literal[tuple(v.END_USER_TYPES)]  # type: ignore[valid-type]
ControlCode = Literal[tuple(v.CONTROLS)]  # type: ignore[valid-type]
ArgumentCode = Literal[tuple(v.ARGUMENTS)]  # type: ignore[valid-type]
CapabilityCode = Literal[tuple(v.CAPABILITIES)]  # type: ignore[valid-type]
RoleCode = Literal[tuple(v.CONFLICT_ROLES)]  # type: ignore[valid-type]
ControlResult = Literal[tuple(v.CONTROL_RESULTS)]  # type: ignore[valid-type]
ProfileKind = Literal[tuple(v.PROFILE_KINDS)]  # type: ignore[valid-type]
TransferKind = Literal[tuple(v.TRANSFER_KINDS)]  # type: ignore[valid-type]


ConditionStatus = Literal[tuple(v.CONDITION_STATUSES)]  # type: ignore[valid-type]
DerogationCondition = Literal[tuple(v.DEROGATION_CONDITIONS)]  # type: ignore[valid-type]
DerogationEndUser = Literal[tuple(v.DEROGATION_END_USERS)]  # type: ignore[valid-type]

# One field per derogation condition a transfer records as met / not_met / unknown (absent =
# unknown). The committee procedures are not here: they are recorded per embargo, with their
# status, in ``transfer.sanctions_procedures``.
DerogationConditions = create_model(  # type: ignore[call-overload]
    "DerogationConditions",
    __base__=Strict,
    __doc__="Whether the transfer meets each condition an embargo's derogation may require",
    **{
        key: (ConditionStatus | None, Field(None, description=text))
        for key, text in v.DEROGATION_CONDITIONS.items()
        if key not in v.PROCEDURE_CONDITIONS
    },
)


class SanctionsProcedure(Strict):
    """A notification to, or an approval by, the sanctions committee an embargo names, and where it stands."""

    embargo: Id = Field(description="The id of the embargo entry the procedure belongs to")
    kind: Literal["notification", "approval"]
    status: Literal[tuple(v.PROCEDURE_STATUSES)]  # type: ignore[valid-type]
    date: dt.date | None = None
    source: Text | None = Field(None, description="Where the procedure is recorded (reference, letter)")


class Item(Strict):
    description: Text
    ml_category: MLCode
    att_category: ATTCategory
    sensitivity: SensitivityCode
    quantity: Annotated[StrictInt, Field(ge=1, le=10**12)]
    value_eur: Annotated[StrictInt | StrictFloat, Field(ge=0, le=10**15)] | None = None
    model: Text | None = None
    capability: CapabilityCode | None = Field(
        None,
        description="What the item is for (air_delivered_strike, air_missile_defence ...); absent: not "
        "stated, which the criteria that read it treat as unknown",
    )
    derogation_conditions: DerogationConditions | None = Field(  # type: ignore[valid-type]
        None,
        description="This line's own record of an embargo derogation's conditions (e.g. that the "
        "helmets are solely for protective use); it overrides the transfer's for the conditions it sets",
    )


class Party(Strict):
    country: CountryCode
    name: Text


class EndUser(Strict):
    type: EndUserType
    name: Text
    unit: Text | None = Field(None, description="The receiving unit, named where known")


class ControlRecord(Strict):
    """A control already tried with this recipient, and what it showed."""

    control: ControlCode
    result: ControlResult
    date: dt.date
    source: Text


class Holder(Strict):
    """The state that holds the items now and asks consent to pass them on (a re-export consent),
    with its record of keeping the undertakings it gave (EU CP Criterion 7(d))."""

    country: CountryCode
    name: Text
    acquired: Text | None = Field(None, description="What the holder received, when, and under which licence")
    control_record: list[ControlRecord] | None = Field(
        None,
        description="Controls and undertakings tried with the holder and what they showed (a broken "
        "no-re-export undertaking is a breach); absent = not checked",
    )


class Transfer(Strict):
    exporter: Party
    recipient: Party
    end_user: EndUser
    items: Annotated[list[Item], Field(min_length=1, max_length=200)]
    end_use: Text
    channel: ChannelCode
    controls: Annotated[list[ControlCode], Field(max_length=50)] = Field(
        default_factory=list, description="Controls offered; an empty list means none offered"
    )
    arguments: list[ArgumentCode] = Field(
        default_factory=list, description="Arguments put forward for approval (recorded; never lower risk)"
    )
    kind: TransferKind = Field(
        "export",
        description="export, or reexport_consent: the holder asks the exporter's consent to pass items on "
        "to the recipient and end user named here (assessed against them)",
    )
    holder: Holder | None = Field(None, description="The current holder (a re-export consent only)")
    contract_date: dt.date | None = Field(
        None,
        description="When the contract was concluded; read only where an embargo's act exempts contracts "
        "concluded before a date (contracts_before)",
    )
    sanctions_procedures: Annotated[list[SanctionsProcedure], Field(max_length=50)] = Field(
        default_factory=list,
        description="Notifications to and approvals by sanctions committees, per embargo; absent = none made",
    )
    derogation_conditions: DerogationConditions = Field(  # type: ignore[valid-type]
        default_factory=DerogationConditions,
        description="Whether the transfer meets each derogation condition (met / not_met / unknown; "
        "absent = unknown); an item line may set its own",
    )

    @model_validator(mode="after")
    def _holder(self) -> Transfer:
        if self.kind == "reexport_consent" and self.holder is None:
            raise ValueError("a re-export consent names the current 'holder' of the items")
        if self.kind == "export" and self.holder is not None:
            raise ValueError("'holder' belongs to a re-export consent ('kind: reexport_consent')")
        if self.holder is not None and self.holder.country == self.recipient.country:
            raise ValueError("a re-export goes to a new destination: the holder is the recipient here")
        return self

    @model_validator(mode="after")
    def _one_procedure_each(self) -> Transfer:
        seen: set[tuple[str, str]] = set()
        for p in self.sanctions_procedures:
            if (p.embargo, p.kind) in seen:
                raise ValueError(f"two {p.kind}s recorded for embargo '{p.embargo}': keep one")
            seen.add((p.embargo, p.kind))
        return self


class ItemScope(Strict):
    """The items an embargo (or one of its derogations) covers: all arms, or any line that falls in
    one of the listed Military List or ATT categories, capabilities or named systems."""

    all: StrictBool = Field(False, description="All arms and related materiel")
    ml_categories: list[MLCode] = Field(default_factory=list)
    att_categories: list[ATTCategory] = Field(default_factory=list)
    capabilities: list[CapabilityCode] = Field(
        default_factory=list, description="riskcheck capability codes (what the items are for)"
    )
    systems: list[Text] = Field(
        default_factory=list, description="Named systems, matched against an item line's model"
    )
    note: Text | None = Field(None, description="The act's own words for the scope")

    @model_validator(mode="after")
    def _says_something(self) -> ItemScope:
        listed = self.ml_categories or self.att_categories or self.capabilities or self.systems
        if self.all and listed:
            raise ValueError("'all: true' covers every item: list no categories, capabilities or systems")
        if not self.all and not listed:
            raise ValueError(
                "an item scope says 'all: true' or lists ml_categories, att_categories, capabilities or systems"
            )
        return self


class Derogation(Strict):
    """An exception the act itself writes: the items and end users it can cover, and the conditions
    the transfer must meet (all of them) for a line to be out of the embargo."""

    id: Id
    summary: Text
    items: ItemScope | None = Field(None, description="Items it can cover; absent = any item")
    end_users: Annotated[list[DerogationEndUser], Field(min_length=1)] | None = Field(
        None, description="End users it can cover; absent = any"
    )
    named: list[Text] = Field(default_factory=list, description="Named end users (with end_users: [named])")
    requires: list[DerogationCondition] = Field(
        default_factory=list, description="Conditions the transfer must meet, all of them"
    )
    source: Text = Field(description="The act's paragraph that writes the derogation")

    @model_validator(mode="after")
    def _named(self) -> Derogation:
        says_named = self.end_users is not None and "named" in self.end_users
        if says_named != bool(self.named):
            raise ValueError("'named' lists the end users exactly when end_users includes 'named'")
        if len(set(self.requires)) != len(self.requires):
            raise ValueError("'requires' names a condition twice")
        return self


class Embargo(Strict):
    id: Id
    country: CountryCode | None = Field(None, description="The state concerned (required in reference data)")
    authority: Literal["UN", "EU", "OSCE", "national"]
    kind: Literal["embargo", "suspension"] = Field(
        "embargo",
        description="embargo: a legal prohibition; suspension: a political decision to suspend licences "
        "(not a legal prohibition; each rule set declares whether it refers or denies)",
    )
    legal_act: Text
    scope: Literal["whole_state", "non_state_actors", "named_forces"]
    targets: list[Text] = Field(
        default_factory=list, description="Named forces or groups (scope named_forces)"
    )
    government: Literal["covered", "exempt", "exempt_with_notification", "exempt_with_approval"] | None = (
        Field(
            None,
            description="How the government's own forces are treated (absent: covered under whole_state, "
            "exempt otherwise)",
        )
    )
    items: ItemScope | None = Field(None, description="Items covered; absent = all arms and related materiel")
    derogations: list[Derogation] = Field(default_factory=list)
    criterion: Literal[tuple(v.SUSPENSION_CRITERIA)] | None = Field(  # type: ignore[valid-type]
        None,
        description="A suspension: the EU Common Position criterion the act rests on, where it names one "
        "(e.g. 2a for internal repression)",
    )
    imposed_by: CountryCode | None = Field(
        None,
        description="A national measure: the state that imposed it (absent: the exporting state's own)",
    )
    contracts_before: dt.date | None = Field(
        None,
        description="Only where the act says so: contracts concluded before this date are not covered "
        "(the transfer records contract_date)",
    )
    start: dt.date
    end: dt.date | None = Field(None, description="Last day in force (lifted or expired entries are kept)")
    source: Text
    verified: Literal["V", "M"] | None = Field(
        None, description="V: checked against a stored public copy (verified_against); M: from memory"
    )
    verified_against: Text | None = None
    uncertain: Text | None = Field(None, description="What about this entry is not verified")

    @property
    def government_treatment(self) -> str:
        if self.government is not None:
            return self.government
        return "covered" if self.scope == "whole_state" else "exempt"

    @model_validator(mode="after")
    def _consistent(self) -> Embargo:
        if self.scope == "named_forces" and not self.targets:
            raise ValueError("scope 'named_forces' lists the forces or groups in 'targets'")
        if self.scope != "named_forces" and self.targets:
            raise ValueError(f"'targets' is for scope 'named_forces', not '{self.scope}'")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"'end' ({self.end}) is before 'start' ({self.start})")
        if self.criterion is not None and self.kind != "suspension":
            raise ValueError("'criterion' is for a suspension (an embargo is Criterion 1)")
        if self.imposed_by is not None and self.authority != "national":
            raise ValueError("'imposed_by' is for a national measure")
        if self.verified == "V" and self.verified_against is None:
            raise ValueError(
                "a 'V' entry says in 'verified_against' which stored copy it was checked against"
            )
        ids = [d.id for d in self.derogations]
        if len(set(ids)) != len(ids):
            raise ValueError("two derogations share an id")
        return self


class EmbargoCheck(Strict):
    """Which arms embargoes were checked, against what, and when. Absent = not checked."""

    source: Text
    as_of: dt.date
    in_force: list[Embargo] = Field(default_factory=list)


class PriorDenial(Strict):
    by: Text
    date: dt.date
    essentially_identical: StrictBool
    criteria: list[Text] = Field(default_factory=list)
    source: Text


class PriorDenials(Strict):
    source: Text
    as_of: dt.date
    denials: list[PriorDenial] = Field(default_factory=list)


class PriorTransfer(Strict):
    recipient: CountryCode
    year: Annotated[StrictInt, Field(ge=1900, le=2200)]
    description: Text
    source: Text
    exporter: CountryCode | None = Field(
        None, description="Who supplied it (default: this transfer's exporter)"
    )


class ConflictRole(Strict):
    """A party's part in a conflict, with the finding it rests on (e.g. a UN resolution)."""

    party: CountryCode
    role: RoleCode
    source: Text


class Conflict(Strict):
    name: Text
    parties: Annotated[list[CountryCode], Field(min_length=1)]
    source: Text
    as_of: dt.date
    internal: StrictBool = Field(
        False, description="An internal armed conflict (the other parties are non-state)"
    )
    roles: list[ConflictRole] = Field(
        default_factory=list, description="Each party's role, with its source; a party without one is unknown"
    )

    @model_validator(mode="after")
    def _shape(self) -> Conflict:
        if not self.internal and len(self.parties) < 2:
            raise ValueError(
                "a conflict between states lists at least two parties ('internal: true' otherwise)"
            )
        strangers = [r.party for r in self.roles if r.party not in self.parties]
        if strangers:
            raise ValueError(f"roles name states that are not parties: {', '.join(strangers)}")
        return self


class Pattern(Strict):
    """A documented pattern of violations and the kinds of items used in it (the link between the
    equipment and the violations: EU UG 2019 Criterion 2), with its source."""

    capabilities: Annotated[list[CapabilityCode], Field(min_length=1)]
    description: Text
    source: Text
    as_of: dt.date


class Patterns(Strict):
    ihl: Pattern | None = Field(None, description="Serious IHL violations by the recipient's forces")
    repression: Pattern | None = Field(None, description="Internal repression by the recipient's forces")


class EvidenceChanges(Strict):
    """Evidence as an inject changes it: indicators given here replace earlier ones."""

    country: CountryIndicators = Field(default_factory=CountryIndicators)  # type: ignore[valid-type]
    unit: UnitIndicators = Field(default_factory=UnitIndicators)  # type: ignore[valid-type]
    recipient: RecipientIndicators = Field(  # type: ignore[valid-type]
        default_factory=RecipientIndicators,
        description="A non-state or sub-state recipient's own indicators (its profile's, overridden here)",
    )
    embargoes: EmbargoCheck | None = None
    prior_denials: PriorDenials | None = None
    prior_transfers: list[PriorTransfer] | None = Field(
        None,
        description="Earlier transfers by the exporter (to anyone in the region); absent = not checked",
    )
    conflicts: list[Conflict] | None = Field(
        None, description="Armed conflicts in the region; absent = not checked"
    )
    patterns: Patterns | None = Field(
        None,
        description="Documented patterns of violations and the items used in them; absent = none recorded",
    )
    control_record: list[ControlRecord] | None = Field(
        None, description="Controls already tried with this recipient and their results; absent = not checked"
    )


class Evidence(EvidenceChanges):
    profile: Text | None = Field(None, description="Path of a shared profile file, relative to this file")


Decision = Literal["prohibited", "deny", "refer", "approve_with_conditions", "approve"]


class Expectation(Strict):
    decision: Decision
    refusal_codes: list[Text] | None = Field(None, description="Exactly these codes, in any order")
    reasons: list[Text] = Field(
        default_factory=list, description="Rule ids that must appear among the reasons"
    )
    lines: list[Decision] | None = Field(
        None,
        description="The decision of each item line, in the transfer's order (a licence is decided line by "
        "line; the transfer takes the most severe)",
    )
    why: Text = Field(description="One line of legal reasoning behind the expected outcome")


class Inject(Strict):
    at: Text = Field(description="When, in the exercise's story (e.g. '2014-06-10')")
    title: Text
    briefing: Text
    evidence: EvidenceChanges
    expected: dict[Id, Expectation] = Field(default_factory=dict)


class Pair(Strict):
    """This scenario and its partner differ in exactly one thing, the distinction the pair teaches
    (tests/test_pairs.py holds both: one difference, and the outcomes their expected blocks state)."""

    id: Id = Field(description="The pair's id; its two scenarios carry the same one")
    variable: Text = Field(
        description="The one thing that differs, as a path into the resolved scenario "
        "(e.g. transfer.items.0.capability, evidence.unit.credible_gvhr_information, evidence.conflicts)"
    )
    teaches: Text = Field(description="The distinction the law draws here, in a sentence")


class Scenario(Strict):
    id: Id
    title: Text
    date: dt.date = Field(description="The date the assessment is made as of")
    rules: Id = Field(description="Id of the rule set this scenario is assessed against by default")
    fictional: StrictBool
    briefing: Text
    teaching_notes: Text | None = None
    sources: list[Text] = Field(default_factory=list)
    transfer: Transfer
    evidence: Evidence
    expected: dict[Id, Expectation] = Field(
        default_factory=dict, description="Expected outcome per rule-set id"
    )
    injects: list[Inject] = Field(default_factory=list)
    pair: Pair | None = None


class Profile(Strict):
    """A recipient's evidence. A state's profile holds the country's record. A non-state or sub-state
    recipient's profile holds its own record (``indicators``: only the ones that describe its forces,
    conduct and stockpiles), its own indicators (``recipient``), the end-user indicators that apply to
    it as a whole (``unit``), and names the host state's profile, which gives the country facts."""

    id: Id
    kind: ProfileKind = Field("state", description="What the profile describes (default: a state)")
    country: CountryCode = Field(description="The state; for another kind, the host state it operates in")
    name: Text
    fictional: StrictBool
    description: Text | None = None
    host_profile: Text | None = Field(
        None,
        description="A non-state or sub-state recipient's host state: the path of its profile, relative to "
        "this file (the country facts); absent = the country facts are unknown",
    )
    indicators: CountryIndicators = Field(default_factory=CountryIndicators)  # type: ignore[valid-type]
    recipient: RecipientIndicators = Field(  # type: ignore[valid-type]
        default_factory=RecipientIndicators, description="A non-state or sub-state recipient's own indicators"
    )
    unit: UnitIndicators = Field(  # type: ignore[valid-type]
        default_factory=UnitIndicators,
        description="End-user indicators that hold for the whole non-state or sub-state recipient",
    )
    embargoes: EmbargoCheck | None = None
    conflicts: list[Conflict] | None = None
    patterns: Patterns | None = None


class EmbargoList(Strict):
    """Reference data: arms embargoes by state, read by the prohibitions of rule sets that name it."""

    id: Id
    title: Text
    as_of: dt.date
    source: Text
    note: Text | None = None
    entries: list[Embargo]

    @model_validator(mode="after")
    def _countries(self) -> EmbargoList:
        seen: set[str] = set()
        for i, e in enumerate(self.entries):
            if e.country is None:
                raise ValueError(f"entry {i + 1} ({e.id}) needs 'country'")
            if e.id in seen:
                raise ValueError(f"entry {i + 1}: id '{e.id}' is used by an earlier entry")
            seen.add(e.id)
        return self
