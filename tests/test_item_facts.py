"""How an item line's links to a documented pattern are read from a scenario and its profile
(facts.line_facts, loader): the expected values follow the rule in docs/telling-transfers-apart.md,
worked out by hand for each case."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskcheck.facts import facts_for
from riskcheck.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
KARVONIA = (
    ROOT / "scenarios" / "karvonia-embargo.yaml"
)  # 155 mm shells; the profile: an IHL pattern with artillery


def case(tmp_path: Path, evidence: str = "", profile_edit: tuple[str, str] | None = None) -> Path:
    (tmp_path / "profiles").mkdir()
    profile = (ROOT / "scenarios" / "profiles" / "karvonia.yaml").read_text()
    if profile_edit:
        assert profile_edit[0] in profile
        profile = profile.replace(*profile_edit)
    (tmp_path / "profiles" / "karvonia.yaml").write_text(profile)
    text = KARVONIA.read_text()
    marker = "  profile: profiles/karvonia.yaml\n"
    path = tmp_path / "case.yaml"
    path.write_text(text.replace(marker, marker + evidence))
    return path


REPRESSION = """  patterns:
    repression:
      capabilities: [riot_control_internal_security]
      description: "Riot police fired on protesters (fictional)"
      source: "Training NGO report (fictional)"
      as_of: 2025-03-01
"""


def test_a_scenarios_pattern_keeps_the_profiles_other_pattern(tmp_path: Path) -> None:
    s = load_scenario(case(tmp_path, REPRESSION))
    patterns = s.model.evidence.patterns
    assert patterns is not None and patterns.ihl is not None and patterns.repression is not None
    assert patterns.ihl.capabilities == ["artillery_rockets"]  # the profile's
    assert patterns.repression.capabilities == ["riot_control_internal_security"]  # the scenario's
    facts = facts_for(s, s.model.date)
    assert facts["item.ihl_pattern_link"].value == "linked"  # shells: the kind used in the shelling
    assert facts["item.repression_link"].value == "not_linked"


@pytest.mark.parametrize(
    ("ihl_record", "expected"),
    [
        ("{value: false, confidence: known, source: x, as_of: 2025-03-01}", "no_pattern"),
        ("{value: true, confidence: known, source: x, as_of: 2025-03-01}", None),
        # a contested record is not a clean one: the link stays unknown, never read as no pattern
        ("{value: false, alternatives: [true], confidence: contested, source: x, as_of: 2025-03-01}", None),
    ],
)
def test_without_a_pattern_only_a_clean_record_reads_no_pattern(
    tmp_path: Path, ihl_record: str, expected: str | None
) -> None:
    original = (ROOT / "scenarios" / "profiles" / "karvonia.yaml").read_text()
    line = next(ln for ln in original.splitlines() if ln.startswith("  ihl_violations_credible:"))
    path = case(tmp_path, profile_edit=(line, f"  ihl_violations_credible: {ihl_record}"))
    text = (tmp_path / "profiles" / "karvonia.yaml").read_text()
    (tmp_path / "profiles" / "karvonia.yaml").write_text(text[: text.index("patterns:")])
    s = load_scenario(path)
    assert s.model.evidence.patterns is None
    assert facts_for(s, s.model.date)["item.ihl_pattern_link"].value == expected
