"""The bundled rules and scenarios: valid, their expectations met, schemas current, docs true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from riskcheck.cli import check_paths
from riskcheck.loader import load_rules, load_scenario
from riskcheck.scenarios import run_all
from riskcheck.schemas import MODELS, committed_schema_path, schema_text

ROOT = Path(__file__).resolve().parent.parent


def test_bundled_files_are_clean():
    diags, n = check_paths([ROOT / "rules", ROOT / "scenarios"])
    assert n >= 8
    assert diags == []


def test_every_bundled_expectation_holds():
    results, errors = run_all(sorted((ROOT / "scenarios").glob("*.yaml")))
    assert errors == []
    assert len(results) >= 4
    assert [str(r) for r in results if not r.ok] == []


def test_issue_two_outcomes_are_covered():
    # embargo -> prohibited; stable with controls -> approve; presumption, weak stockpile -> deny; rebutted -> not deny
    results, _ = run_all(sorted((ROOT / "scenarios").glob("*.yaml")))
    decisions = {r.scenario_id: r.decision for r in results if r.rule_set == "baseline"}
    assert decisions["karvonia-embargo"] == "prohibited"
    assert decisions["nordvale-g2g-approve"] == "approve"
    assert decisions["valdoria-rifles-weak-stockpile"] == "deny"
    assert decisions["valdoria-rifles-rebutted"] != "deny"


def test_every_element_of_every_rule_set_cites_a_provision():
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        rs = load_rules(path).model
        elements = [
            *rs.prohibitions,
            *rs.presumptions,
            *rs.escalations,
            *rs.criteria,
            *rs.mitigations,
            *(f for c in rs.criteria for f in c.factors),
        ]
        assert all(e.cite for e in elements), path


def test_fictional_states_use_user_assigned_codes():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        s = load_scenario(path).model
        if s.fictional:
            assert s.transfer.recipient.country.startswith("X"), path


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_committed_json_schemas_are_current(kind):
    assert committed_schema_path(kind).read_text() == schema_text(kind), "run `make schemas`"


def test_schema_lines_in_bundled_files_point_at_existing_schemas():
    for path in [*ROOT.glob("rules/*.yaml"), *ROOT.glob("scenarios/**/*.yaml")]:
        first = path.read_text().splitlines()[0]
        m = re.match(r"# yaml-language-server: \$schema=(\S+)", first)
        assert m, f"{path} lacks a schema line"
        assert (path.parent / m.group(1)).resolve().is_file(), path


def test_readme_quick_start_is_two_commands_that_exist_in_the_makefile():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line for line in block.splitlines()[1:] if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    makefile = (ROOT / "Makefile").read_text()
    for cmd in commands:
        target = cmd.split()[1]
        assert re.search(rf"^{target}:", makefile, re.M), cmd
    assert "make test" in (ROOT / ".ci" / "run").read_text()
