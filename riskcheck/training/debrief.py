"""The debrief: each trainee's judgement beside the tool's, criterion by criterion, stage by stage.

The tool's answer at a stage is ``assess(rules, with_inject(scenario, stage))``, exactly what
``riskcheck test`` checks against the scenario's ``expected`` outcomes (assessed as of the
scenario's date). Nothing here scores anything: it reads the trace and counts.

For each criterion the debrief names the factor that explains the tool's view: the factor
with the highest score (the one that sets the criterion's floor under the non-compensatory
rule), ties broken by its share of the weighted mean, with its evidence and citation.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ..explain import num
from ..loader import LoadedRules, LoadedScenario
from ..pipeline import assess
from ..scenarios import with_inject
from ..trace import DECISIONS, Assessment, CriterionResult, FactorResult
from .agreement import Kappa, Share, kappa_of_ratings, share_agreeing
from .answers import DECISION_RANK, LEVEL_RANK, LEVELS, Answer, latest, name_key, stage_words


@dataclass(frozen=True)
class StageRef:
    """One stage of one scenario of an exercise."""

    scenario_index: int
    scenario_id: str
    scenario_title: str
    stage: int
    inject_title: str | None = None
    inject_at: str | None = None

    @property
    def words(self) -> str:
        return stage_words(self.stage, self.inject_title)

    @property
    def key(self) -> tuple[int, int]:
        return (self.scenario_index, self.stage)


def stages_of(scenarios: Sequence[LoadedScenario], released: Sequence[int] | None = None) -> list[StageRef]:
    """Every stage of each scenario (or, with ``released``, the stages released so far)."""
    out: list[StageRef] = []
    for i, s in enumerate(scenarios):
        upto = len(s.model.injects) if released is None else min(released[i], len(s.model.injects))
        out.append(StageRef(i, s.model.id, s.model.title, 0))
        for k, inj in enumerate(s.model.injects[:upto], start=1):
            out.append(StageRef(i, s.model.id, s.model.title, k, inj.title, inj.at))
    return out


def tool_assessment(rules: LoadedRules, scenario: LoadedScenario, stage: int) -> Assessment:
    return assess(rules, with_inject(scenario, stage) if stage else scenario)


def driving_factor(c: CriterionResult) -> FactorResult | None:
    """The factor that explains a criterion's level best: the highest score, then the largest share."""
    if not c.factors:
        return None
    return max(c.factors, key=lambda f: (f.score, f.contribution, -c.factors.index(f)))


def compare(trainee: str | None, tool: str, rank: dict[str, int]) -> str:
    """'agrees', 'stricter', 'more lenient' or 'not answered'."""
    if trainee is None:
        return "not answered"
    d = rank[trainee] - rank[tool]
    return "agrees" if d == 0 else ("stricter" if d > 0 else "more lenient")


@dataclass(frozen=True)
class Why:
    """Why the tool sees a criterion as it does: how its risk was formed (inherent, mitigation,
    residual) and its driving factor with the evidence and citations behind it."""

    criterion: str  # the criterion's own explanation: inherent, floor, mitigation, residual
    factor: str
    score: str
    evidence: str  # the factor's explanation: the evidence, its source and date
    cite: tuple[str, ...]
    rule_at: str

    def text(self) -> str:
        return f"{self.factor} {self.score}: {self.evidence}"


def why(c: CriterionResult) -> Why:
    f = driving_factor(c)
    if f is None:
        return Why(c.explanation, "(no factor)", "", "", c.cite, c.rule_at)
    return Why(
        c.explanation,
        f.title,
        f"{num(f.score)}/{num(f.max_score)}",
        f.explanation,
        tuple(dict.fromkeys((*f.cite, *c.cite))),
        f.rule_at,
    )


@dataclass(frozen=True)
class TraineeCell:
    level: str | None
    reason: str
    verdict: str  # agrees | stricter | more lenient | not answered


@dataclass(frozen=True)
class CriterionRow:
    id: str
    code: str
    title: str
    kind: str
    tool_level: str
    tool_label: str
    inherent: float
    residual: float
    why: Why
    trainees: dict[str, TraineeCell]  # by trainee name, in the class's order
    counts: dict[str, int]  # level -> number of trainees
    share: Share


@dataclass(frozen=True)
class DecisionRow:
    tool: str
    refusal_codes: tuple[str, ...]
    summary: str
    trainees: dict[str, TraineeCell]  # level field holds the decision
    counts: dict[str, int]
    share: Share
    tool_conditions: tuple[str, ...]
    trainee_conditions: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class StageDebrief:
    stage: StageRef
    assessment: Assessment
    criteria: tuple[CriterionRow, ...]
    decision: DecisionRow
    level_kappa: Kappa  # the class's agreement on the criterion levels at this stage (criteria = items)
    answered_by: tuple[str, ...]


@dataclass(frozen=True)
class TraineeSummary:
    trainee: str
    levels: Share  # criterion levels agreeing with the tool, over every stage
    decisions: Share
    stricter: int
    more_lenient: int


@dataclass(frozen=True)
class Debrief:
    rule_set: str  # "title (id version)"
    rules_sha256: str
    trainees: tuple[str, ...]
    stages: tuple[StageDebrief, ...]
    decision_kappa: Kappa  # subjects: the stages; categories: the five decisions
    level_kappa: Kappa  # subjects: (stage, criterion) pairs; categories: the four levels
    summaries: tuple[TraineeSummary, ...]

    def stage(self, scenario_index: int, stage: int) -> StageDebrief:
        return next(s for s in self.stages if s.stage.key == (scenario_index, stage))

    def for_trainee(self, trainee: str) -> Debrief:
        """The same debrief with every other trainee's own answers removed (class counts are kept)."""
        key = name_key(trainee)
        keep = tuple(t for t in self.trainees if name_key(t) == key)

        def only(d: dict[str, TraineeCell]) -> dict[str, TraineeCell]:
            return {t: c for t, c in d.items() if t in keep}

        stages = tuple(
            replace(
                s,
                criteria=tuple(replace(r, trainees=only(r.trainees)) for r in s.criteria),
                decision=replace(
                    s.decision,
                    trainees=only(s.decision.trainees),
                    trainee_conditions={t: c for t, c in s.decision.trainee_conditions.items() if t in keep},
                ),
                answered_by=tuple(t for t in s.answered_by if t in keep),
            )
            for s in self.stages
        )
        summaries = tuple(x for x in self.summaries if x.trainee in keep)
        return Debrief(
            self.rule_set,
            self.rules_sha256,
            keep,
            stages,
            self.decision_kappa,
            self.level_kappa,
            summaries,
        )


def debrief(
    rules: LoadedRules,
    scenarios: Sequence[LoadedScenario],
    answers: Iterable[Answer],
    stages: Sequence[StageRef] | None = None,
    trainees: Sequence[str] = (),
) -> Debrief:
    """Compare the answers (the latest per trainee and stage) with the tool at each stage.

    ``stages``: which stages to include (default: every stage some trainee answered).
    ``trainees``: the class list in order (default: the trainees who answered, in order of first answer).
    """
    last = latest(answers)
    names: dict[str, str] = {name_key(t): t for t in trainees}
    for a in sorted(
        last.values(), key=lambda a: (a.scenario_index, a.stage, a.submitted_at or dt.datetime.min, a.id or 0)
    ):
        names.setdefault(name_key(a.trainee), a.trainee)
    class_list = tuple(names.values())
    if stages is None:
        answered = {(a.scenario_index, a.stage) for a in last.values()}
        stages = [s for s in stages_of(scenarios) if s.key in answered]

    stage_rows: list[StageDebrief] = []
    decision_ratings: list[list[str | None]] = []
    level_ratings: list[list[str | None]] = []
    for ref in stages:
        tool = tool_assessment(rules, scenarios[ref.scenario_index], ref.stage)
        given = {k: last.get((k, ref.scenario_index, ref.stage)) for k in names}
        rows = []
        stage_levels: list[list[str | None]] = []
        for c in tool.criteria:
            cells = {}
            for k, t in names.items():
                ans = given[k]
                lvl = ans.level(c.id) if ans else None
                cells[t] = TraineeCell(
                    lvl, ans.reason(c.id) if ans else "", compare(lvl, c.level, LEVEL_RANK)
                )
            ratings = [x.level for x in cells.values()]
            stage_levels.append(ratings)
            counts = Counter(x for x in ratings if x is not None)
            rows.append(
                CriterionRow(
                    c.id,
                    c.refusal_code,
                    c.title,
                    c.kind,
                    c.level,
                    c.label,
                    c.inherent,
                    c.residual,
                    why(c),
                    cells,
                    {lv: counts.get(lv, 0) for lv in LEVELS},
                    share_agreeing(ratings, c.level),
                )
            )
        dcells = {}
        for k, t in names.items():
            ans = given[k]
            d = ans.decision if ans else None
            dcells[t] = TraineeCell(d, "", compare(d, tool.decision, DECISION_RANK))
        dratings = [x.level for x in dcells.values()]
        dcounts = Counter(x for x in dratings if x is not None)
        decision_ratings.append(dratings)
        level_ratings += stage_levels
        stage_rows.append(
            StageDebrief(
                ref,
                tool,
                tuple(rows),
                DecisionRow(
                    tool.decision,
                    tool.refusal_codes,
                    tool.summary,
                    dcells,
                    {d: dcounts.get(d, 0) for d in DECISIONS},
                    share_agreeing(dratings, tool.decision),
                    tuple(x.text for x in tool.conditions),
                    {names[k]: given[k].conditions for k in names if given[k] is not None},  # type: ignore[union-attr]
                ),
                kappa_of_ratings(stage_levels),
                tuple(names[k] for k in names if given[k] is not None),
            )
        )
    summaries = []
    for t in class_list:
        lv_agree = lv_n = d_agree = d_n = stricter = lenient = 0
        for s in stage_rows:
            for r in s.criteria:
                cell = r.trainees[t]
                if cell.level is not None:
                    lv_n += 1
                    lv_agree += cell.verdict == "agrees"
                    stricter += cell.verdict == "stricter"
                    lenient += cell.verdict == "more lenient"
            dc = s.decision.trainees[t]
            if dc.level is not None:
                d_n += 1
                d_agree += dc.verdict == "agrees"
        summaries.append(TraineeSummary(t, Share(lv_agree, lv_n), Share(d_agree, d_n), stricter, lenient))
    rs = rules.model
    return Debrief(
        f"{rs.title} ({rs.id} {rs.version})",
        rules.sha256,
        class_list,
        tuple(stage_rows),
        kappa_of_ratings(decision_ratings),
        kappa_of_ratings(level_ratings),
        tuple(summaries),
    )
