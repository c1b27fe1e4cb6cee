"""The memo (Markdown and printable HTML) and `riskcheck report`."""

from __future__ import annotations

import copy
import html
from pathlib import Path

import pytest
import yaml

from riskcheck.cli import main
from riskcheck.explain.memo import cite_url, memo
from riskcheck.loader import load_rules, load_scenario, scenario_from_document
from riskcheck.whatif import analyse
from riskcheck.yamlfile import parse_text

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules" / "baseline.yaml"
WEAK = ROOT / "scenarios" / "valdoria-rifles-weak-stockpile.yaml"
NASTY = '<script>alert("x")</script> & $5 | rifles'


@pytest.fixture(scope="module")
def rules():
    return load_rules(RULES)


@pytest.fixture(scope="module")
def weak(rules):
    scenario = load_scenario(WEAK)
    return scenario, analyse(rules, scenario, draws=200)


def nasty_scenario():
    data = yaml.safe_load(WEAK.read_text())
    data = copy.deepcopy(data)
    data["title"] = NASTY
    data["transfer"]["end_user"]["unit"] = "<img src=x onerror=alert(1)>"
    text = yaml.safe_dump(data, sort_keys=False)
    return scenario_from_document(parse_text(text, "nasty.yaml"), WEAK.parent), text


def test_markdown_memo_has_every_section(weak):
    scenario, an = weak
    text = memo(an, "md", scenario, scenario.doc.text)
    for heading in (
        "# Assessment:",
        "## The transfer",
        "## Reasons",
        "## Presumption of denial",
        "## Criteria",
        "## Conditions to attach" if an.assessment.conditions else "## Mitigations",
        "## Missing and contested evidence",
        "## What would change the outcome",
        "## Missing evidence, ranked",
        "## Robustness",
        "## Sources",
        "## Provenance",
        "## Input (scenario as assessed)",
    ):
        assert heading in text, heading
    assert "**Decision: Deny** - refusal criteria 7" in text
    assert "| Factor | Evidence | Score | Weight | Contribution | Cites |" in text
    assert "rules sha256: " + an.assessment.provenance.rules_sha256 in text
    assert "If you " in text  # a counterfactual as a sentence
    assert "Republic of Valdoria (XVL)" in text
    assert text.index("## The transfer") < text.index("## Reasons") < text.index("## What would change")
    assert text.index("## Robustness") < text.index("## Sources") < text.index("## Provenance")


def test_html_memo_is_self_contained_printable_and_linked(weak):
    scenario, an = weak
    page = memo(an, "html", scenario, scenario.doc.text)
    assert page.startswith("<!DOCTYPE html>")
    assert "@media print" in page
    assert "<script" not in page.lower() and "<link" not in page.lower()  # nothing fetched, nothing run
    assert "Decision: Deny" in page
    assert '<a href="https://thearmstradetreaty.org">ATT Art. ' in page  # a citation linked to its source
    assert ">unmet<" in page and ">met<" in page  # the rebuttal checklist
    assert an.assessment.provenance.input_sha256 in page


def test_html_memo_escapes_user_text(rules):
    scenario, text = nasty_scenario()
    an = analyse(rules, scenario, draws=50)
    page = memo(an, "html", scenario, text)
    assert "<script>" not in page
    assert "<img" not in page
    assert html.escape(NASTY) in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    md = memo(an, "md", scenario, text)
    assert "\\| rifles" in md  # a pipe cannot break the Markdown tables


def test_unknown_format_is_an_error(weak):
    with pytest.raises(ValueError, match="md, html"):
        memo(weak[1], "pdf")


def test_cite_url_picks_the_source_named_by_the_citation(weak):
    sources = weak[1].assessment.sources
    assert cite_url(sources, "ATT Art. 6(1)") == "https://thearmstradetreaty.org"
    assert cite_url(sources, "No such instrument 1") is None


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_report_command_writes_the_memo(tmp_path, fmt, weak, capsys):
    out = tmp_path / f"memo.{fmt}"
    assert main(["report", str(WEAK), "--format", fmt, "-o", str(out)]) == 0
    text = out.read_text()
    assert ("**Decision: Deny**" if fmt == "md" else "Decision: Deny") in text
    assert "Provenance" in text
    # the same memo as the app produces for the same input (robustness with the same draws and seed)
    scenario, _ = weak
    rules = load_rules(RULES)
    assert text == memo(analyse(rules, scenario), fmt, scenario, scenario.doc.text)


def test_report_command_to_stdout_and_errors(tmp_path, capsys):
    assert main(["report", str(WEAK)]) == 0
    assert capsys.readouterr().out.startswith("# Assessment:")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n")
    assert main(["report", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "RC202" in err


def test_the_cli_path_does_not_import_the_app_stack():
    import subprocess
    import sys

    code = (
        "import sys; from riskcheck.cli import main; "
        f"main(['report', {str(WEAK)!r}, '-o', '/dev/null']); main(['check', {str(RULES)!r}]); "
        "print(sorted(m for m in ('streamlit', 'pandas', 'altair', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
