"""Scenario expectations as tests, and injects (evidence that changes during an exercise).

A failure reads like ``scenarios/x.yaml: scenario 'y' under 'baseline': expected deny, got refer``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import InputError
from .facts import indicator_facts
from .loader import LoadedRules, LoadedScenario, load_rules, load_scenario
from .paths import rules_file_for
from .pipeline import assess
from .scenario_model import Expectation


@dataclass(frozen=True)
class ExpectationResult:
    path: str
    scenario_id: str
    rule_set: str
    stage: str  # "initial" or "inject N: title"
    expected: Expectation
    decision: str
    refusal_codes: tuple[str, ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        where = f"{self.path}: scenario '{self.scenario_id}' under '{self.rule_set}'"
        if self.stage != "initial":
            where += f" after {self.stage}"
        if self.ok:
            return f"{where}: ok ({self.decision})"
        return f"{where}: " + "; ".join(self.problems)


def with_inject(s: LoadedScenario, upto: int) -> LoadedScenario:
    """The scenario as it stands after injects 1..upto have been released."""
    model = s.model
    country, unit, recipient = dict(s.country), dict(s.unit), dict(s.recipient)
    ev = model.evidence
    for i, inj in enumerate(model.injects[:upto]):
        base = ("injects", i, "evidence")
        country.update(indicator_facts(inj.evidence.country, s.doc, (*base, "country"), "inject"))
        unit.update(indicator_facts(inj.evidence.unit, s.doc, (*base, "unit"), "inject"))
        recipient.update(indicator_facts(inj.evidence.recipient, s.doc, (*base, "recipient"), "inject"))
        changes = {
            k: getattr(inj.evidence, k)
            for k in (
                "embargoes",
                "prior_denials",
                "prior_transfers",
                "conflicts",
                "patterns",
                "control_record",
            )
            if getattr(inj.evidence, k) is not None
        }
        ev = ev.model_copy(update=changes)
    return replace(
        s, model=model.model_copy(update={"evidence": ev}), country=country, unit=unit, recipient=recipient
    )


def check_expectation(
    path: str, s: LoadedScenario, rules: LoadedRules, exp: Expectation, stage: str
) -> ExpectationResult:
    a = assess(rules, s)
    problems = []
    if a.decision != exp.decision:
        problems.append(f"expected {exp.decision}, got {a.decision} ({a.summary})")
    if exp.refusal_codes is not None and sorted(exp.refusal_codes) != sorted(a.refusal_codes):
        problems.append(f"expected refusal codes {sorted(exp.refusal_codes)}, got {sorted(a.refusal_codes)}")
    if exp.lines is not None:
        got = [line.decision for line in a.lines]
        if len(exp.lines) != len(got):
            problems.append(
                f"expected decisions for {len(exp.lines)} item lines, the transfer has {len(got)}"
            )
        elif exp.lines != got:
            problems.append(f"expected the item lines {', '.join(exp.lines)}, got {', '.join(got)}")
    given = {r.rule_id.split("/")[0] for r in a.reasons}
    for rid in exp.reasons:
        if rid not in given:
            problems.append(f"expected reason {rid!r} among the reasons, got {sorted(given) or 'none'}")
    return ExpectationResult(
        path, s.model.id, rules.model.id, stage, exp, a.decision, a.refusal_codes, tuple(problems)
    )


def run_file(path: Path, rules_override: LoadedRules | None = None) -> list[ExpectationResult]:
    """Every expectation in one scenario file (raises InputError if a file is invalid)."""
    s = load_scenario(path)
    shown = s.path
    out: list[ExpectationResult] = []
    cache: dict[str, LoadedRules] = {}

    def rules_for(rule_id: str) -> LoadedRules | None:
        if rules_override is not None:
            return rules_override if rules_override.model.id == rule_id else None
        if rule_id not in cache:
            cache[rule_id] = load_rules(rules_file_for(rule_id, path))
        return cache[rule_id]

    for rule_id, exp in s.model.expected.items():
        rules = rules_for(rule_id)
        if rules is not None:
            out.append(check_expectation(shown, s, rules, exp, "initial"))
    for i, inj in enumerate(s.model.injects, start=1):
        later = with_inject(s, i)
        for rule_id, exp in inj.expected.items():
            rules = rules_for(rule_id)
            if rules is not None:
                out.append(check_expectation(shown, later, rules, exp, f"inject {i}: {inj.title}"))
    return out


def run_all(
    paths: list[Path], rules_override: LoadedRules | None = None
) -> tuple[list[ExpectationResult], list[InputError]]:
    results: list[ExpectationResult] = []
    errors: list[InputError] = []
    for p in paths:
        try:
            results += run_file(p, rules_override)
        except InputError as e:
            errors.append(e)
    return results, errors
