"""riskcheck diff: two small rule sets whose changed scenarios are known by construction.

Old: minimal.yaml. New: the internal-conflict table scores 'minor' 2.5 instead of 3 (version 0.2).
Scenarios: 'minor' conflict (3 -> 2.5: deny becomes refer), 'war' (4 both: deny, unchanged), clean (unchanged).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from riskcheck.cli import main
from riskcheck.diff import diff, semantic_diff
from riskcheck.loader import load_rules

FIX = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "scenarios").mkdir()
    text = (FIX / "rules" / "minimal.yaml").read_text()
    (tmp_path / "rules" / "minimal.yaml").write_text(text)
    new = text.replace("- {value: minor, score: 3}", "- {value: minor, score: 2.5}").replace(
        'version: "0.1"', 'version: "0.2"'
    )
    assert new != text
    (tmp_path / "new.yaml").write_text(new)
    clean = (FIX / "scenarios" / "clean.yaml").read_text()
    shutil.copy(FIX / "scenarios" / "clean.yaml", tmp_path / "scenarios" / "clean.yaml")
    for level in ("minor", "war"):
        (tmp_path / "scenarios" / f"{level}.yaml").write_text(
            clean.replace("id: clean", f"id: {level}").replace(
                "internal_conflict: {value: none", f"internal_conflict: {{value: {level}"
            )
        )
    return tmp_path


def test_semantic_diff_names_exactly_what_changed(tree: Path):
    changes = semantic_diff(load_rules(tree / "rules" / "minimal.yaml"), load_rules(tree / "new.yaml"))
    assert [(c.change, c.where, c.detail) for c in changes] == [
        ("changed", "rule set", "version: 0.1 -> 0.2"),
        ("changed", "criteria/conf/factors/internal", "table[2].score: 3 -> 2.5"),
    ]


def test_replay_lists_only_the_scenario_that_changes_and_why(tree: Path):
    report = diff(
        load_rules(tree / "rules" / "minimal.yaml"),
        load_rules(tree / "new.yaml"),
        sorted((tree / "scenarios").glob("*.yaml")),
    )
    assert report.unchanged == 2 and report.errors == []
    [change] = report.scenario_changes
    assert (change.scenario_id, change.old_decision, change.new_decision) == ("minor", "deny", "refer")
    assert (change.old_codes, change.new_codes) == (("3",), ())
    assert "- criterion conf: residual 3 (deny)" in change.why
    assert "+ criterion conf: residual 2.5 (refer)" in change.why


def test_diff_cli_markdown_and_json(tree: Path, capsys: pytest.CaptureFixture[str]):
    args = [
        "diff",
        str(tree / "rules" / "minimal.yaml"),
        str(tree / "new.yaml"),
        "--scenarios",
        str(tree / "scenarios"),
    ]
    assert main(args) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Rule-set diff: minimal 0.1")
    assert "(1 changed, 2 unchanged)" in md and "Deny -> Refer for review" in md and "```diff" in md
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["scenario_id"] for s in data["scenario_changes"]] == ["minor"]


def test_diff_reports_problems_in_both_files(tree: Path, capsys: pytest.CaptureFixture[str]):
    bad = tree / "bad.yaml"
    bad.write_text((tree / "new.yaml").read_text().replace("input: country.cpi", "input: country.cpii"))
    assert main(["diff", str(bad), str(FIX / "bad" / "rc305_unknown_input.yaml")]) == 1
    err = capsys.readouterr().err
    assert err.count("RC305") == 2
