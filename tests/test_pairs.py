"""The discriminating pairs: two scenarios that differ in exactly one thing, with outcomes that say
how the law tells them apart (issue 13: item type, receiving unit, role in a conflict, evidence known
or unknown, plausibility ...).

For each pair (scenarios sharing a ``pair.id``): the two resolved scenarios - the transfer, the
evidence with the recipient profile merged in, the indicators as assessed - differ only under the
path the pair declares; each comes out as its own ``expected`` blocks state under every rule set
(reasoned when the scenario was written, not taken from the engine); and the two differ in decision
or refusal codes under at least one rule set (a pair that does not discriminate teaches nothing).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from riskcheck import assess
from riskcheck.loader import load_rules, load_scenario
from riskcheck.paths import scenario_files

ROOT = Path(__file__).resolve().parent.parent
RULES = {p.stem: p for p in sorted((ROOT / "rules").glob("*.yaml"))}
NOT_COMPARED = {
    "id",
    "title",
    "briefing",
    "teaching_notes",
    "expected",
    "pair",
    "sources",
    "injects",
    "rules",
}


def _pairs() -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = defaultdict(list)
    for path in scenario_files([ROOT / "scenarios"]):
        s = load_scenario(path)
        if s.model.pair is not None:
            out[s.model.pair.id].append(path)
    return dict(out)


PAIRS = _pairs()


def resolved(path: Path) -> dict[str, Any]:
    """The scenario as assessed: its data without the words around it, the profile merged in."""
    s = load_scenario(path)
    data = s.model.model_dump(mode="json", exclude=NOT_COMPARED)
    data["evidence"].pop("profile", None)
    data["evidence"]["country"] = {
        k: (f.value, f.alternatives, f.confidence) for k, f in sorted(s.country.items())
    }
    data["evidence"]["unit"] = {k: (f.value, f.alternatives, f.confidence) for k, f in sorted(s.unit.items())}
    return data


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += differences(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += differences(x, y, f"{path}.{i}")
        return out
    return [] if a == b else [path]


def test_there_are_at_least_ten_pairs() -> None:
    assert len(PAIRS) >= 10, sorted(PAIRS)


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_a_pair_differs_in_exactly_the_declared_thing(pair: str) -> None:
    paths = PAIRS[pair]
    assert len(paths) == 2, f"pair {pair!r} has {len(paths)} scenarios: {paths}"
    first, second = (load_scenario(p) for p in paths)
    assert first.model.pair == second.model.pair, "both scenarios describe the pair the same way"
    variable = first.model.pair.variable  # type: ignore[union-attr]
    found = differences(resolved(paths[0]), resolved(paths[1]))
    assert found, f"pair {pair!r}: the two scenarios do not differ"
    stray = [d for d in found if not (d == variable or d.startswith(variable + "."))]
    assert not stray, f"pair {pair!r} declares {variable!r} but also differs in {stray}"


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_a_pair_is_told_apart_as_its_expectations_say(pair: str) -> None:
    outcomes = []
    for path in PAIRS[pair]:
        s = load_scenario(path)
        assert set(s.model.expected) == set(RULES), f"{path.name}: expected blocks for {sorted(RULES)}"
        mine = {}
        for rid, exp in s.model.expected.items():
            a = assess(load_rules(RULES[rid]), s)
            assert a.decision == exp.decision, (
                f"{path.name} under {rid}: expected {exp.decision}, got {a.decision}"
            )
            if exp.refusal_codes is not None:
                assert sorted(a.refusal_codes) == sorted(exp.refusal_codes), f"{path.name} under {rid}"
            mine[rid] = (a.decision, a.refusal_codes)
        outcomes.append(mine)
    assert any(outcomes[0][r] != outcomes[1][r] for r in RULES), f"pair {pair!r} does not tell the two apart"


def test_pairs_reach_approval_with_conditions_for_a_state_in_armed_conflict() -> None:
    """At least three pairs show that a recipient engaged in an armed conflict can be licensed with
    conditions (a large part of real practice), under the baseline rule set."""
    found = set()
    for pair, paths in PAIRS.items():
        for path in paths:
            s = load_scenario(path)
            exp = s.model.expected.get("baseline")
            at_war = any(
                s.model.transfer.recipient.country in c.parties for c in s.model.evidence.conflicts or []
            )
            if exp is not None and exp.decision == "approve_with_conditions" and at_war:
                found.add(pair)
    assert len(found) >= 3, sorted(found)
