"""What the scalar interpreter returns: the outcome and a trace of values, no sentences.

Every element names its place in the plan by index, so that the explain layer can put words,
citations and rule-file lines to it (``riskcheck/explain/assessment.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FactorValues:
    score: float
    weight: float
    contribution: float  # weight x score / total weight: its share of the criterion's weighted mean
    status: str  # scored | missing | contested
    outranked: bool  # counts with a reduced weight, or not at all, and sets no floor
    undetermined: bool  # the evidence that would outrank it is missing or contested
    applies: tuple[bool, bool] | None = None  # its applies_when: (true, unknown); None: always applies


@dataclass(frozen=True, slots=True)
class CriterionValues:
    index: int  # in plan.criteria
    factors: tuple[FactorValues, ...]
    weighted_mean: float
    worst: float
    inherent: float
    credited: tuple[int, ...]  # mitigations credited against it (indexes in plan.mitigations)
    reduction: float
    residual: float
    level: str  # acceptable | conditions | refer | deny
    awaiting: bool  # reaches denial only through missing evidence: referred until it is established
    establish: tuple[str, ...] = ()  # what it waits for, the facts most likely to decide it first


@dataclass(frozen=True, slots=True)
class RuleValues:
    """A prohibition, presumption or escalation: its condition's value, and a presumption's checklist."""

    index: int
    result: bool | None
    items: tuple[bool | None, ...] = ()
    rebutted: bool = False


@dataclass(frozen=True, slots=True)
class MitigationValues:
    index: int
    offered: bool
    requirement: bool | None  # the mitigation's 'requires' condition (True when it has none)
    credited: bool


@dataclass(frozen=True, slots=True)
class Reason:
    """One step calling for an outcome."""

    outcome: str
    step: str  # prohibition | presumption | criterion | escalation | missing_evidence
    index: int  # the rule or criterion (in the plan's list for ``step``)
    basis: str  # applies | unknown | rebutted | level | missing
    code: str | None  # the refusal code this call gives (only with deny or prohibited)
    factor: int | None = None  # missing_evidence: the factor within the criterion


@dataclass(frozen=True, slots=True)
class MissingUse:
    """A missing fact, the steps that used it, and how the first of them treated it."""

    field: str
    users: tuple[str, ...]
    treatment: str  # prohibition | assume_worst | assume | refer | rebuttal | presumption | escalation
    detail: Any = None  # the declared score ('assume'), the outcome ('escalation')


@dataclass(frozen=True, slots=True)
class Skipped:
    """An element not in effect on the assessment date (named where it would have mattered)."""

    kind: str  # prohibition | mitigation | criterion | presumption | escalation
    index: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    decision: str
    refusal_codes: tuple[str, ...]
    reasons: tuple[Reason, ...]  # most severe first, then in the order the steps ran
    prohibitions: tuple[RuleValues, ...]  # those in effect, in the rule set's order
    mitigations: tuple[MitigationValues, ...]
    criteria: tuple[CriterionValues, ...]
    presumptions: tuple[RuleValues, ...]
    escalations: tuple[RuleValues, ...]
    missing: tuple[MissingUse, ...]  # by field
    skipped: tuple[Skipped, ...]
