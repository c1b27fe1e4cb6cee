"""The loaded forms of rule-set and scenario files: the validated model with the parsed document
(for positions), hashes and reference data. ``loader.py`` builds them, ``checks.py`` and the
engine read them; this module imports neither, so that neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import rules_model, scenario_model
from .errors import Diagnostic, Location
from .facts import Fact
from .yamlfile import Document


@dataclass(frozen=True)
class LoadedRules:
    model: rules_model.RuleSet
    doc: Document
    sha256: str
    embargoes: scenario_model.EmbargoList | None = None
    embargoes_path: str | None = None
    reference_sha256: str | None = None
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def path(self) -> str:
        return self.doc.path

    def line_of(self, *loc: Any) -> Location:
        return self.doc.locate(tuple(loc))


@dataclass(frozen=True)
class LoadedScenario:
    model: scenario_model.Scenario
    doc: Document
    profile: scenario_model.Profile | None
    profile_doc: Document | None
    country: dict[str, Fact]
    unit: dict[str, Fact]
    where: dict[str, Location]
    sha256: str
    overrides: tuple[str, ...] = field(default=())
    # A non-state or sub-state recipient: its own indicators, its profile's kind, the host state's
    # profile (which gave the country facts) and that profile's document.
    recipient: dict[str, Fact] = field(default_factory=dict)
    kind: str = "state"
    host: scenario_model.Profile | None = None
    host_doc: Document | None = None

    @property
    def path(self) -> str:
        return self.doc.path
