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

    @model_validator(mode="after")
    def _holder(self) -> Transfer:
        if self.kind == "reexport_consent" and self.holder is None:
            raise ValueError("a re-export consent names the current 'holder' of the items")
        if self.kind == "export" and self.holder is not None:
            raise ValueError("'holder' belongs to a re-export consent ('kind: reexport_consent')")
        if self.holder is not None and self.holder.country == self.recipient.country:
            raise ValueError("a re-export goes to a new destination: the holder is the recipient here")
        return self


class Embargo(Strict):
    id: Id
    country: CountryCode | None = Field(None, description="The state concerned (required in reference data)")
    authority: Literal["UN", "EU", "OSCE", "national"]
    legal_act: Text
    scope: Literal["whole_state", "non_state_actors", "named_forces"]
    targets: list[Text] = Field(
        default_factory=list, description="Named forces or groups (scope named_forces)"
    )
    start: dt.date
    end: dt.date | None = None
    source: Text
    uncertain: Text | None = Field(None, description="What about this entry is not verified")


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
        for i, e in enumerate(self.entries):
            if e.country is None:
                raise ValueError(f"entry {i + 1} ({e.id}) needs 'country'")
        return self
