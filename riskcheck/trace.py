"""The explained assessment as an immutable value: the engine's values (``engine/values.py``) with
their evidence, citations and sentences put to them by ``explain/assessment.py``. Renderers (text,
Markdown, JSON, HTML, the app) read it; nothing here formats text for a particular surface.

Every element points back to the line of the rule file it came from
(``rule_at``) and every piece of evidence to where it was stated (``at``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

# The decisions are the engine's; named here too for the readers of an assessment.
from .engine.steps import DECISIONS as DECISIONS
from .engine.steps import SEVERITY as SEVERITY


@dataclass(frozen=True, slots=True)
class EvidenceUsed:
    field: str
    value: Any
    confidence: str  # known | unknown | contested | missing
    source: str | None
    as_of: dt.date | None
    origin: str
    at: str | None
    alternatives: tuple[Any, ...] = ()
    note: str | None = None
    stale: bool = False
    after_assessment_date: bool = False


@dataclass(frozen=True, slots=True)
class FactorResult:
    id: str
    title: str
    evidence: EvidenceUsed
    score: float
    max_score: float
    weight: float
    contribution: float  # this factor's share of the criterion's weighted mean
    status: str  # scored | missing | contested
    missing_policy: str
    explanation: str
    cite: tuple[str, ...]
    rule_at: str
    past_conduct: bool = False
    outranked: bool = False


@dataclass(frozen=True, slots=True)
class MitigationResult:
    id: str
    title: str
    control: str
    offered: bool
    credited: bool
    why: str
    reduces: tuple[tuple[str, float], ...]
    condition_text: str
    cite: tuple[str, ...]
    rule_at: str


@dataclass(frozen=True, slots=True)
class CriterionResult:
    id: str
    title: str
    kind: str
    refusal_code: str
    legal_text: str
    cite: tuple[str, ...]
    factors: tuple[FactorResult, ...]
    weighted_mean: float
    worst_factor: float
    inherent: float
    mitigable: bool
    mitigation_credited: float
    mitigation_cap: float
    residual: float
    thresholds: tuple[tuple[str, float], ...]
    level: str  # deny | refer | conditions | acceptable
    label: str
    explanation: str
    rule_at: str
    past_conduct: str = ""  # "Past conduct: ..." where the criterion weighs it


@dataclass(frozen=True, slots=True)
class ArgumentResult:
    argument: str
    title: str
    rejected: bool
    reason: str
    cite: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConditionCheck:
    text: str
    result: bool | None
    values: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ProhibitionResult:
    id: str
    title: str
    status: str  # applies | does_not_apply | cannot_be_excluded
    check: ConditionCheck
    refusal_code: str
    explain: str
    cite: tuple[str, ...]
    rule_at: str


@dataclass(frozen=True, slots=True)
class RebuttalResult:
    id: str
    text: str
    status: str  # met | unmet | unknown
    check: ConditionCheck
    cite: tuple[str, ...]
    rule_at: str


@dataclass(frozen=True, slots=True)
class PresumptionResult:
    id: str
    title: str
    applies: str  # applies | does_not_apply | cannot_be_excluded
    check: ConditionCheck
    rebuttal: tuple[RebuttalResult, ...]
    rebutted: bool
    refusal_code: str
    explain: str
    minimum_outcome_if_rebutted: str
    cite: tuple[str, ...]
    rule_at: str


@dataclass(frozen=True, slots=True)
class EscalationResult:
    id: str
    title: str
    status: str  # applies | does_not_apply | cannot_be_excluded
    check: ConditionCheck
    outcome: str
    explain: str
    cite: tuple[str, ...]
    rule_at: str


@dataclass(frozen=True, slots=True)
class Reason:
    outcome: str
    source: str  # prohibition | presumption | criterion | escalation | missing_evidence
    rule_id: str
    code: str | None
    text: str
    cite: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AttachCondition:
    text: str
    from_rule: str
    cite: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MissingEvidence:
    field: str
    used_by: tuple[str, ...]
    treatment: str
    note: str | None
    at: str | None


@dataclass(frozen=True, slots=True)
class SourceRef:
    id: str
    short: str
    title: str
    version: str
    url: str | None
    verification: str
    note: str | None


@dataclass(frozen=True, slots=True)
class Provenance:
    rule_set_id: str
    rule_set_version: str
    rule_set_title: str
    rules_path: str
    rules_sha256: str
    input_path: str
    input_sha256: str
    engine_version: str
    as_of: dt.date
    reference_sha256: str | None = None
    profile_sha256: str | None = None  # the recipient profile's text as read: its version


@dataclass(frozen=True, slots=True)
class LineResult:
    """One item line of the licence, assessed on its own (a licence lists goods; each is approved
    or refused, and the transfer's decision is the most severe line's)."""

    line: int  # 1-based, as the applicant numbers them
    description: str
    quantity: int
    capability: str | None
    decision: str
    refusal_codes: tuple[str, ...]
    summary: str
    reasons: tuple[Reason, ...]
    conditions: tuple[AttachCondition, ...]
    criteria: tuple[tuple[str, str, float], ...]  # (criterion id, level, residual risk)
    missing: tuple[str, ...]  # the fields of missing evidence it used
    # How each embargo and suspension in force reads on this line: 'UN embargo un-x: does not apply
    # - within derogation d: conditions met (...) [act]' (facts.reading_sentence)
    embargoes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Assessment:
    scenario_id: str
    scenario_title: str
    decision: str
    refusal_codes: tuple[str, ...]
    summary: str
    reasons: tuple[Reason, ...]
    prohibitions: tuple[ProhibitionResult, ...]
    presumptions: tuple[PresumptionResult, ...]
    escalations: tuple[EscalationResult, ...]
    criteria: tuple[CriterionResult, ...]
    mitigations: tuple[MitigationResult, ...]
    conditions: tuple[AttachCondition, ...]
    missing: tuple[MissingEvidence, ...]
    contested: tuple[EvidenceUsed, ...]
    stale: tuple[EvidenceUsed, ...]
    overrides: tuple[str, ...]
    arguments: tuple[ArgumentResult, ...]
    notes: tuple[str, ...]
    not_formalised: tuple[str, ...]
    disclaimer: str
    sources: tuple[SourceRef, ...]
    provenance: Provenance
    # Every item line on its own; the trace above is the line that decides (the first of the most
    # severe), with the transfer's decision, refusal codes (every refused line's) and summary.
    lines: tuple[LineResult, ...] = ()
    decisive_line: int = 1
    # What is assessed, where it is not a state's export to a state (a consent to re-export, a
    # non-state or sub-state recipient); empty otherwise.
    request: str = ""

    def criterion(self, cid: str) -> CriterionResult:
        return next(c for c in self.criteria if c.id == cid)


def to_plain(obj: Any) -> Any:
    """JSON-ready data: dataclasses to dicts, sets to sorted lists, dates to ISO strings."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, frozenset | set):
        return sorted(to_plain(x) for x in obj)
    if isinstance(obj, tuple | list):
        return [to_plain(x) for x in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, float):
        return round(obj, 4)
    return obj
