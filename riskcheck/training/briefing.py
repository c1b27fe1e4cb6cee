"""What a trainee receives: the scenario's briefing, the transfer, the evidence as stated (value,
confidence, source, date) and the injects released so far. Never the tool's scoring, the
scenario's expected outcomes or its teaching notes.

Pure data for the app and the printable pages; the caller escapes text for its medium.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import vocabulary as v
from ..explain import value_text
from ..explain.memo import transfer_lines
from ..facts import Fact
from ..loader import LoadedRules, LoadedScenario, load_rules, load_scenario
from ..paths import rules_dir, scenarios_dir
from ..scenarios import with_inject
from .store import Exercise, ScenarioRef


@dataclass(frozen=True)
class EvidenceRow:
    group: str  # "Recipient state" | "End-user unit"
    indicator: str
    what: str
    value: str
    confidence: str
    source: str
    as_of: str
    note: str
    new: bool  # stated by an inject released so far


@dataclass(frozen=True)
class InjectView:
    number: int
    at: str
    title: str
    briefing: str


@dataclass(frozen=True)
class Briefing:
    scenario_id: str
    title: str
    date: dt.date
    fictional: bool
    text: str  # Markdown, as written in the scenario
    transfer: tuple[tuple[str, str], ...]
    evidence: tuple[EvidenceRow, ...]
    other_evidence: tuple[tuple[str, str], ...]  # embargo checks, denials, prior transfers, conflicts
    injects: tuple[InjectView, ...]  # released so far, in order
    pending: int  # injects not yet released


def _rows(group: str, facts: dict[str, Fact], specs: dict[str, v.IndicatorSpec]) -> list[EvidenceRow]:
    out = []
    for key, f in facts.items():
        spec = specs.get(key)
        shown = value_text(f.value)
        if f.alternatives:
            shown += " (or " + ", ".join(value_text(x) for x in f.alternatives) + ")"
        out.append(
            EvidenceRow(
                group,
                key,
                spec.description if spec else key,
                shown,
                f.confidence,
                f.source or "",
                f.as_of.isoformat() if f.as_of else "",
                f.note or "",
                f.origin == "inject",
            )
        )
    return out


def _other(s: LoadedScenario) -> list[tuple[str, str]]:
    ev = s.model.evidence
    out: list[tuple[str, str]] = []
    if ev.embargoes is None:
        out.append(("Arms embargoes", "no check recorded for this case"))
    else:
        found = "; ".join(
            f"{e.authority} {e.legal_act} ({e.scope.replace('_', ' ')})" for e in ev.embargoes.in_force
        )
        out.append(
            (
                "Arms embargoes",
                f"{found or 'none in force'} - checked against {ev.embargoes.source}, {ev.embargoes.as_of}",
            )
        )
    if ev.prior_denials is None:
        out.append(("Denials by partners", "not checked"))
    else:
        found = "; ".join(
            f"{d.by}, {d.date}{' (essentially identical)' if d.essentially_identical else ''}"
            for d in ev.prior_denials.denials
        )
        out.append(
            (
                "Denials by partners",
                f"{found or 'none'} - {ev.prior_denials.source}, {ev.prior_denials.as_of}",
            )
        )
    if ev.prior_transfers is None:
        out.append(("Earlier transfers", "not checked"))
    else:
        out.append(
            (
                "Earlier transfers",
                "; ".join(
                    f"{p.year}: {p.description} to {p.recipient} ({p.source})" for p in ev.prior_transfers
                )
                or "none recorded",
            )
        )
    if ev.conflicts is None:
        out.append(("Armed conflicts in the region", "not checked"))
    else:
        out.append(
            (
                "Armed conflicts in the region",
                "; ".join(f"{c.name}: {', '.join(c.parties)} ({c.source}, {c.as_of})" for c in ev.conflicts)
                or "none recorded",
            )
        )
    return out


def briefing(s: LoadedScenario, released: int) -> Briefing:
    """The scenario as a trainee sees it once ``released`` injects are out."""
    now = with_inject(s, released) if released else s
    m = s.model
    evidence = _rows("Recipient state", now.country, v.COUNTRY_INDICATORS) + _rows(
        "End-user unit", now.unit, v.UNIT_INDICATORS
    )
    injects = tuple(
        InjectView(i, inj.at, inj.title, inj.briefing) for i, inj in enumerate(m.injects[:released], start=1)
    )
    return Briefing(
        m.id,
        m.title,
        m.date,
        m.fictional,
        m.briefing,
        tuple(transfer_lines(s)),
        tuple(evidence),
        tuple(_other(now)),
        injects,
        max(0, len(m.injects) - released),
    )


# --- resolving an exercise's files --------------------------------------------------------


def file_sha256(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stored_path(path: Path | str, base: Path) -> str:
    """A path relative to ``base`` when it lies inside it (so a moved checkout still resolves)."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(base.resolve()))
    except ValueError:
        return str(p)


def resolve(stored: str, base: Path) -> Path:
    p = Path(stored)
    return p if p.is_absolute() else base / p


def scenario_ref(path: Path | str) -> ScenarioRef:
    s = load_scenario(path)
    return ScenarioRef(
        stored_path(path, scenarios_dir()), s.model.id, s.model.title, file_sha256(path), len(s.model.injects)
    )


def rules_ref(path: Path | str) -> tuple[str, LoadedRules]:
    return stored_path(path, rules_dir()), load_rules(path)


@dataclass(frozen=True)
class Material:
    """An exercise's rule set and scenarios, loaded, with what changed since it started."""

    rules: LoadedRules
    scenarios: tuple[LoadedScenario, ...]
    changed: tuple[str, ...]  # sentences: files whose content differs from when the exercise started


def load_material(ex: Exercise) -> Material:
    rules = load_rules(resolve(ex.rules_path, rules_dir()))
    changed = []
    if rules.sha256 != ex.rules_sha256:
        changed.append(
            f"The rule set {ex.rule_set_id!r} has changed since the exercise started: the tool's answers "
            "follow the file as it is now."
        )
    loaded = []
    for ref in ex.scenarios:
        path = resolve(ref.path, scenarios_dir())
        loaded.append(load_scenario(path))
        if file_sha256(path) != ref.sha256:
            changed.append(f"The scenario file {ref.path} has changed since the exercise started.")
    return Material(rules, tuple(loaded), tuple(changed))


def criteria_of(rules: LoadedRules) -> Sequence[tuple[str, str, str, str]]:
    """(id, refusal code, title, legal text) of each criterion, in the rule set's order."""
    return [(c.id, c.refusal_code, c.title, c.legal_text) for c in rules.model.criteria]
