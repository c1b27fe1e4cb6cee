"""JSON Schemas of the file kinds, for editor completion and validation.

The committed copies under riskcheck/schemas/ are what the
``# yaml-language-server: $schema=...`` lines in the bundled files point at; a
test fails when they fall behind the models.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from .rules_model import RuleSet
from .scenario_model import EmbargoList, Profile, Scenario

MODELS: dict[str, type[BaseModel]] = {
    "rules": RuleSet,
    "scenario": Scenario,
    "profile": Profile,
    "embargoes": EmbargoList,
}
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


def schema_text(kind: str) -> str:
    schema = MODELS[kind].model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"riskcheck {kind} file"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def committed_schema_path(kind: str) -> Path:
    return SCHEMA_DIR / f"{kind}.schema.json"
