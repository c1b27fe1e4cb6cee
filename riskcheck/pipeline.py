"""One case through the whole pipeline: facts -> plan -> evaluate -> explain, line by line.

``assess(rules, scenario)`` is what the CLI, the app, the scenario tests and the history call; the
what-if analysis and robustness runs call ``engine.evaluate`` directly when only the outcome counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from .engine import ENGINE_VERSION, compile_plan, evaluate
from .explain import words
from .explain.assessment import explain_lines
from .facts import facts_for_lines
from .loaded import LoadedRules, LoadedScenario
from .trace import Assessment, Provenance


def meta_for(lr: LoadedRules, scenario: LoadedScenario, as_of: dt.date) -> dict[str, Any]:
    """What an assessment records beside the evaluation: the case's identity and its provenance."""
    rs = lr.model
    return {
        "as_of": as_of,
        "scenario_id": scenario.model.id,
        "scenario_title": scenario.model.title,
        "overrides": scenario.overrides,
        "arguments": tuple(scenario.model.transfer.arguments),
        "request": words.request(
            scenario.model.transfer,
            scenario.kind,
            scenario.profile.name if scenario.profile is not None else None,
            scenario.host.name if scenario.host is not None else None,
        ),
        "provenance": Provenance(
            rs.id,
            rs.version,
            rs.title,
            lr.path,
            lr.sha256,
            scenario.path,
            scenario.sha256,
            ENGINE_VERSION,
            as_of,
            lr.reference_sha256,
            # the recipient profile's text as read: its version (riskcheck reassess finds changes by it)
            # (with its host state's profile, where it names one: both give the facts)
            hashlib.sha256(
                (scenario.profile_doc.text + (scenario.host_doc.text if scenario.host_doc else "")).encode(
                    "utf-8"
                )
            ).hexdigest()
            if scenario.profile_doc
            else None,
        ),
    }


def assess(rules: LoadedRules, scenario: LoadedScenario, as_of: dt.date | None = None) -> Assessment:
    """Assess one transfer. Same rules, scenario and date -> an equal Assessment, every time."""
    day = as_of or scenario.model.date
    plan = compile_plan(rules)
    lines = facts_for_lines(scenario, day, rules)
    memo: dict = {}  # the criteria that read only facts the lines share are evaluated once
    evaluations = [evaluate(plan, f, day, memo=memo) for f in lines]
    return explain_lines(
        plan, lines, meta_for(rules, scenario, day), evaluations, scenario.model.transfer.items
    )
