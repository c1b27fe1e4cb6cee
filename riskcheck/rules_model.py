"""Pydantic models of rule-set files (field validation only; cross-references
and lint live in ``checks.py``).

A rule set is policy as data: prohibitions, presumptions of denial,
escalations, criteria made of scored factors, mitigations, and the decision
policy with its thresholds. Conditions are structured trees, never code.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    model_validator,
)

from .scenario_model import ArgumentCode, ControlCode, Id, Text


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=False)


# Open choices (outranked_by, applies_when) one criterion may have: where their evidence is missing,
# every reading is tried (2**n), so the number is bounded (checked: RC322).
MAX_OPEN_CHOICES = 8

Number = Annotated[StrictInt | StrictFloat, Field(ge=-1e6, le=1e6)]
FieldPath = Annotated[
    str, Field(pattern=r"^[a-z_]+(\.[a-z0-9_]+)+$", description="An input field, e.g. country.pts")
]
Citation = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9_-]+ \S.*$",
        max_length=300,
        description="'<source id> <provision>', e.g. 'att Art. 7(1)(b)(i)'",
    ),
]
Citations = Annotated[list[Citation], Field(min_length=1, max_length=20)]
Scalar = StrictBool | StrictInt | StrictFloat | StrictStr
Verification = Literal["V", "M", "M?", "D"]

# --- conditions ---------------------------------------------------------------

Operator = Literal[
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",  # scalar comparisons
    "in",
    "not_in",  # scalar field, list value
    "has",
    "has_any",
    "has_all",
    "has_none",  # set-valued field (items.sensitivity, transfer.controls)
    "known",
    "unknown",  # is the evidence there at all (never itself unknown)
]


class Dated(Strict):
    """Elements may carry their own effective dates; outside them they are skipped (and say so)."""

    effective_from: dt.date | None = None
    effective_to: dt.date | None = None

    def in_effect(self, day: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )


class Compare(Strict):
    field: FieldPath
    op: Operator
    value: Scalar | list[Scalar] | None = None


class AllOf(Strict):
    all: Annotated[list[Condition], Field(min_length=1)]


class AnyOf(Strict):
    any: Annotated[list[Condition], Field(min_length=1)]


class NotOf(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    not_: Condition = Field(alias="not")


def _condition_tag(data: Any) -> str:
    if isinstance(data, BaseModel):  # already-built conditions (Python callers, tests)
        return {"AllOf": "all", "AnyOf": "any", "NotOf": "not"}.get(type(data).__name__, "compare")
    if isinstance(data, dict):
        for key in ("all", "any", "not"):
            if key in data:
                return key
    return "compare"


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[Compare, Tag("compare")],
    Discriminator(_condition_tag),
]

# --- scoring ------------------------------------------------------------------


class Band(Strict):
    """Scores values with ``min <= value < max``; an absent bound is open."""

    min: Number | None = None
    max: Number | None = None
    score: Number


class TableRow(Strict):
    value: Scalar
    score: Number


class MissingPolicy(Strict):
    """What a factor scores when its evidence is missing. Never good news:
    ``assume_worst`` scores the factor's highest score, ``assume`` a declared
    score (checked to be in the upper half of the factor's range), ``refer``
    scores the highest and refers the decision for the evidence to be found."""

    policy: Literal["assume_worst", "assume", "refer"]
    score: Number | None = None

    @model_validator(mode="after")
    def _score_only_with_assume(self) -> MissingPolicy:
        if (self.policy == "assume") != (self.score is not None):
            raise ValueError("'score' is required with policy 'assume' and not allowed otherwise")
        return self


class OutrankedBy(Strict):
    """More specific evidence outranks a general record: when ``field`` (or any of several fields)
    is established - the unit's own record, whether the items are of the kind used in a documented
    pattern - this factor counts with ``weight`` instead and no longer sets the criterion's floor.
    Where that evidence is missing, both readings are tried and the riskier kept."""

    field: FieldPath | Annotated[list[FieldPath], Field(min_length=1, max_length=8)]
    weight: Annotated[Number, Field(ge=0)]

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.field,) if isinstance(self.field, str) else tuple(self.field)


class Factor(Strict):
    id: Id
    title: Text
    input: FieldPath
    weight: Annotated[Number, Field(gt=0)]
    past_conduct: StrictBool = Field(
        False, description="Evidence of past conduct (shown as such in explanations)"
    )
    outranked_by: OutrankedBy | None = None
    applies_when: Condition | None = Field(
        None,
        description="The factor counts only where this holds (e.g. item capability only in a conflict); "
        "where it cannot be established, both readings are tried and the riskier kept",
    )
    bands: list[Band] | None = None
    table: list[TableRow] | None = None
    missing: MissingPolicy
    explain: Text = Field(description="Template; placeholders {value} {score} {source} {as_of} {confidence}")
    cite: Citations
    verification: Verification | None = None

    @model_validator(mode="after")
    def _one_scoring(self) -> Factor:
        if (self.bands is None) == (self.table is None):
            raise ValueError("a factor scores with exactly one of 'bands' or 'table'")
        if self.bands is not None and not self.bands:
            raise ValueError("'bands' must list at least one band")
        if self.table is not None and not self.table:
            raise ValueError("'table' must list at least one row")
        return self


class Thresholds(Strict):
    conditions: Number = Field(description="From this residual risk, approval needs conditions")
    refer: Number = Field(description="From this residual risk, refer for senior/inter-agency review")
    deny: Number | None = Field(None, description="From this residual risk, deny (not for 'consider')")


class Criterion(Dated):
    id: Id
    title: Text
    kind: Literal["clear_risk", "overriding_risk", "consider"]
    refusal_code: Annotated[str, Field(pattern=r"^[0-9A-Za-z().-]{1,12}$")]
    legal_text: Text = Field(description="The provision in our own words, shown beside the rule")
    cite: Citations
    mitigable: StrictBool
    max_mitigation: Annotated[Number, Field(ge=0)] = Field(
        description="Most that all mitigations together may lower this criterion (0 if not mitigable)"
    )
    thresholds: Thresholds | None = Field(None, description="Overrides the policy's thresholds for this kind")
    floor_gap: Annotated[Number, Field(ge=0)] | None = Field(
        None,
        description="Overrides the policy's floor_gap (0: the worst factor sets the risk - weakest link)",
    )
    factors: Annotated[list[Factor], Field(min_length=1)]
    verification: Verification | None = None


class Prohibition(Dated):
    id: Id
    title: Text
    when: Condition
    refusal_code: Annotated[str, Field(pattern=r"^[0-9A-Za-z().-]{1,12}$")]
    explain: Text
    cite: Citations
    verification: Verification | None = None


class RebuttalItem(Strict):
    id: Id
    text: Text
    when: Condition
    cite: Citations


class WhenRebutted(Strict):
    minimum_outcome: Literal["refer", "approve_with_conditions"] = Field(
        description="Even when rebutted, the outcome is never more favourable than this"
    )
    conditions: list[Text] = Field(default_factory=list, description="Conditions any approval must carry")


class Presumption(Dated):
    id: Id
    title: Text
    applies_when: Condition
    refusal_code: Annotated[str, Field(pattern=r"^[0-9A-Za-z().-]{1,12}$")]
    explain: Text
    rebuttal: Annotated[list[RebuttalItem], Field(min_length=1)]
    when_rebutted: WhenRebutted
    cite: Citations
    verification: Verification | None = None


class Escalation(Dated):
    id: Id
    title: Text
    when: Condition
    outcome: Literal["deny", "refer", "approve_with_conditions"]
    refusal_code: Annotated[str, Field(pattern=r"^[0-9A-Za-z().-]{1,12}$")] | None = None
    explain: Text
    conditions: list[Text] = Field(default_factory=list)
    cite: Citations
    verification: Verification | None = None


class Mitigation(Dated):
    id: Id
    title: Text
    control: ControlCode
    reduces: Annotated[dict[Id, Annotated[Number, Field(gt=0)]], Field(min_length=1)]
    requires: Condition | None = Field(None, description="Credited only when this also holds")
    condition_text: Text = Field(description="The licence condition this control becomes")
    cite: Citations


class RejectedArgument(Strict):
    argument: ArgumentCode
    reason: Text
    cite: Citations


class RiskLabel(Strict):
    from_: Number = Field(alias="from")
    label: Annotated[str, Field(min_length=1, max_length=40)]
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Robustness(Strict):
    """How far weights and thresholds may plausibly vary: a robustness run draws within these ranges."""

    weight_spread: Annotated[Number, Field(ge=0, le=0.9)] = Field(
        description="Each factor weight is multiplied by a draw from [1 - spread, 1 + spread]"
    )
    threshold_spread: Annotated[Number, Field(ge=0)] = Field(
        description="Each threshold moves by a draw from [-spread, +spread] (in score units)"
    )


class Policy(Strict):
    score_min: Number
    score_max: Number
    labels: Annotated[list[RiskLabel], Field(min_length=1)]
    floor_gap: Annotated[Number, Field(ge=0)] = Field(
        description="Non-compensation: a criterion's risk is at least its worst factor minus this"
    )
    thresholds: dict[Literal["clear_risk", "overriding_risk", "consider"], Thresholds]
    stale_after_days: Annotated[StrictInt, Field(ge=1)]
    robustness: Robustness | None = Field(None, description="Declared uncertainty of weights and thresholds")


class Source(Strict):
    title: Text
    short: Annotated[str, Field(min_length=1, max_length=40)]
    version: Text
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    verification: Verification
    note: Text | None = None


class RuleSet(Strict):
    id: Id
    title: Text
    version: Annotated[str, Field(pattern=r"^\d+\.\d+(\.\d+)?$")]
    effective_from: dt.date
    effective_to: dt.date | None = None
    description: Text
    disclaimer: Text
    extends: Text | None = Field(
        None,
        description="The rule file this one layers on, relative to it: its rules and sources are inherited "
        "and this file's are added (an id defined in both is an error)",
    )
    sources: Annotated[dict[Id, Source], Field(min_length=1)]
    reference_data: dict[Literal["embargoes"], Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict, description="Data files this rule set reads, relative to it"
    )
    rejected_arguments: list[RejectedArgument] = Field(default_factory=list)
    not_formalised: list[Text] = Field(
        default_factory=list, description="What this rule set leaves to human judgement"
    )
    policy: Policy
    prohibitions: list[Prohibition] = Field(default_factory=list)
    presumptions: list[Presumption] = Field(default_factory=list)
    escalations: list[Escalation] = Field(default_factory=list)
    criteria: Annotated[list[Criterion], Field(min_length=1)]
    mitigations: list[Mitigation] = Field(default_factory=list)


for _m in (AllOf, AnyOf, NotOf):
    _m.model_rebuild()
