"""Shared helpers: load the fixture rule set and scenario, mutate them as data, assess."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from riskcheck import assess
from riskcheck.loader import LoadedRules, LoadedScenario, scenario_from_document, validate_rules_document
from riskcheck.trace import Assessment
from riskcheck.yamlfile import parse_text
from tests.databases import db_url, pg_server  # noqa: F401  (fixtures: SQLite and PostgreSQL)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINIMAL_RULES = FIXTURES / "rules" / "minimal.yaml"
CLEAN_SCENARIO = FIXTURES / "scenarios" / "clean.yaml"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from current output")


def rules_data() -> dict[str, Any]:
    return yaml.safe_load(MINIMAL_RULES.read_text())


def scenario_data() -> dict[str, Any]:
    return yaml.safe_load(CLEAN_SCENARIO.read_text())


def rules_from(data: dict[str, Any], name: str = "mem-rules.yaml") -> LoadedRules:
    return validate_rules_document(parse_text(yaml.safe_dump(data, sort_keys=False), name))


def scenario_from(data: dict[str, Any], name: str = "mem-scenario.yaml") -> LoadedScenario:
    return scenario_from_document(
        parse_text(yaml.safe_dump(data, sort_keys=False), name), FIXTURES / "scenarios"
    )


def indicator(value: Any, confidence: str = "known", **extra: Any) -> dict[str, Any]:
    if confidence == "unknown":
        return {"confidence": "unknown"}
    return {"value": value, "confidence": confidence, "source": "test", "as_of": "2024-12-01", **extra}


Mutator = Callable[[dict[str, Any]], None]


def build(
    scenario_edit: Mutator | None = None, rules_edit: Mutator | None = None
) -> tuple[LoadedRules, LoadedScenario]:
    """The fixture rule set and clean scenario, after applying edits to copies of their data."""
    s, r = copy.deepcopy(scenario_data()), copy.deepcopy(rules_data())
    if scenario_edit:
        scenario_edit(s)
    if rules_edit:
        rules_edit(r)
    return rules_from(r), scenario_from(s)


def run(scenario_edit: Mutator | None = None, rules_edit: Mutator | None = None) -> Assessment:
    return assess(*build(scenario_edit, rules_edit))


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
