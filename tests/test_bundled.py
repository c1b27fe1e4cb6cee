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


HR_IHL_PROVISIONS = ("Criterion 2", "Art. 7(1)(b)(i)", "Art. 7(1)(b)(ii)")


def test_every_human_rights_and_ihl_criterion_assesses_past_conduct():
    checked = 0
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        rs = load_rules(path).model
        for c in rs.criteria:
            if any(p in cite for cite in c.cite for p in HR_IHL_PROVISIONS):
                checked += 1
                assert any(f.past_conduct for f in c.factors), (
                    f"{path.name}: {c.id} has no past-conduct factor"
                )
    assert checked >= 8  # 2(a), 2(b), 2(c) in two rule sets; 7(1)(b)(i) and (ii) in att-minimum


def test_rule_sets_state_sources_versions_and_dates():
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        rs = load_rules(path).model
        assert rs.effective_from and rs.version and rs.disclaimer
        assert all(s.version and s.verification for s in rs.sources.values())
        # an instrument known only from memory says so where it is used
        if any(s.verification == "M" for s in rs.sources.values()):
            assert any(s.note for s in rs.sources.values() if s.verification == "M") or any(
                c.verification for c in rs.criteria
            ), path.name


def test_the_same_transfer_differs_between_rule_sets_with_the_reason_visible():
    from riskcheck.engine import assess

    scenario = load_scenario(ROOT / "scenarios" / "valdoria-rifles-weak-stockpile.yaml")
    base = assess(load_rules(ROOT / "rules" / "baseline.yaml"), scenario)
    eu = assess(load_rules(ROOT / "rules" / "eu-common-position.yaml"), scenario)
    assert (base.decision, eu.decision) == ("deny", "refer")
    # the reason is visible: a presumption and a refusal-kind criterion 7 under baseline, a 'consider' one under the CP
    assert {r.rule_id for r in base.reasons if r.outcome == "deny"} == {
        "presumption-looted-stocks",
        "c7-diversion",
    }
    assert (
        base.criterion("c7-diversion").kind == "clear_risk"
        and eu.criterion("c7-diversion").kind == "consider"
    )
    assert eu.presumptions == ()


def test_embargo_reference_data_entries_are_sourced_and_flag_uncertainty():
    from riskcheck.loader import load_embargo_list

    elist, _ = load_embargo_list(ROOT / "rules" / "reference" / "embargoes.yaml")
    assert len(elist.entries) >= 5
    for e in elist.entries:
        assert e.legal_act and e.source and e.country
        assert e.uncertain, f"{e.id}: entries written from memory must say what to verify"


def test_every_rule_set_version_has_a_changelog_entry():
    log = (ROOT / "rules" / "CHANGELOG.md").read_text()
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        rs = load_rules(path).model
        assert f"## {rs.id} {rs.version} — effective from {rs.effective_from}" in log, (
            f"rules/CHANGELOG.md has no entry for {rs.id} {rs.version}")
