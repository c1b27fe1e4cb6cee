"""The command line end to end: exit codes, formats, located errors, no tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from riskcheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "fixtures" / "bad"
SCENARIO = ROOT / "scenarios" / "valdoria-rifles-weak-stockpile.yaml"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_assess_text_explains_the_decision(capsys):
    code, out, _ = cli(capsys, "assess", SCENARIO)
    assert code == 0
    assert "DECISION: DENY" in out and "Refusal criteria: 7" in out
    assert (
        "Rebuttal checklist" in out
        and "[ unmet ] The unit has demonstrated effective stockpile control" in out
    )
    assert "decision support" in out
    assert "rules/baseline.yaml:" in out  # rule lines are shown


def test_assess_json_has_a_top_level_decision(capsys):
    code, out, _ = cli(capsys, "assess", SCENARIO, "--format", "json")
    data = json.loads(out)
    assert code == 0 and list(data)[0] == "decision" and data["decision"] == "deny"
    assert data["refusal_codes"] == ["7"]
    assert data["provenance"]["rule_set_id"] == "baseline"


def test_assess_json_is_byte_identical_across_runs(capsys):
    first = cli(capsys, "assess", SCENARIO, "--format", "json")[1]
    second = cli(capsys, "assess", SCENARIO, "--format", "json")[1]
    assert first == second


def test_assess_markdown(capsys):
    code, out, _ = cli(capsys, "assess", SCENARIO, "--format", "markdown")
    assert (
        code == 0 and out.startswith("# Assessment:") and "| Rebuttal condition | Status | Evidence |" in out
    )


def test_assess_with_explicit_rules_and_as_of(capsys):
    code, out, _ = cli(
        capsys,
        "assess",
        ROOT / "scenarios" / "karvonia-embargo.yaml",
        "--rules",
        ROOT / "rules" / "baseline.yaml",
        "--as-of",
        "2024-11-14",
        "--format",
        "json",
    )
    data = json.loads(out)
    # The day before the (fictional) UN embargo started: no prohibition, but still refused on the criteria.
    assert code == 0 and data["decision"] == "deny" and data["provenance"]["as_of"] == "2024-11-14"
    assert "1a" not in data["refusal_codes"]


def test_assess_invalid_scenario_gives_located_error_and_exit_1(capsys):
    code, out, err = cli(capsys, "assess", BAD / "scenario_rc203_out_of_range.yaml")
    assert code == 1 and out == ""
    assert "scenario_rc203_out_of_range.yaml:19:" in err and "RC203" in err and "Traceback" not in err


def test_check_clean_and_broken(capsys):
    assert cli(capsys, "check", ROOT / "rules", ROOT / "scenarios")[0] == 0
    code, out, err = cli(capsys, "check", BAD / "rc305_unknown_input.yaml")
    assert code == 1
    assert (
        "rc305_unknown_input.yaml:60:16: error RC305: unknown input field 'country.ptss' (did you mean 'country.pts'?)"
        in out
    )
    assert "1 problem in 1 file" in err


def test_check_json(capsys):
    code, out, _ = cli(capsys, "check", BAD / "rc102_duplicate_key.yaml", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["files"] == 1
    assert data["problems"][0]["code"] == "RC102" and data["problems"][0]["line"] == 41


def test_check_missing_path(capsys):
    code, out, _ = cli(capsys, "check", ROOT / "nope.yaml")
    assert code == 1 and "RC106" in out


def test_test_runs_bundled_scenarios(capsys):
    code, out, _ = cli(capsys, "test")
    assert code == 0 and " passed, 0 failed" in out


def test_test_failure_names_file_and_scenario(capsys, tmp_path):
    scen = tmp_path / "scenarios"
    scen.mkdir()
    (tmp_path / "rules").mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "rules" / "minimal.yaml", tmp_path / "rules" / "minimal.yaml")
    text = (ROOT / "tests" / "fixtures" / "scenarios" / "clean.yaml").read_text()
    (scen / "wrong.yaml").write_text(text.replace("decision: approve", "decision: deny"))
    code, out, _ = cli(capsys, "test", scen)
    assert code == 1
    assert (
        "FAIL " in out and "wrong.yaml: scenario 'clean' under 'minimal': expected deny, got approve" in out
    )


def test_test_with_no_expectations_fails(capsys, tmp_path):
    code, _, err = cli(capsys, "test", tmp_path)
    assert code == 1 and "no scenario with an expected outcome" in err


def test_schema(capsys, tmp_path):
    code, out, _ = cli(capsys, "schema", "rules")
    assert code == 0 and json.loads(out)["title"] == "riskcheck rules file"
    target = tmp_path / "s.json"
    assert cli(capsys, "schema", "scenario", "-o", target)[0] == 0
    assert "transfer" in json.loads(target.read_text())["properties"]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["assess"],
        ["nonsense"],
        ["assess", "x.yaml", "--format", "pdf"],
        ["assess", "x.yaml", "--as-of", "yesterday"],
        ["schema", "widgets"],
    ],
)
def test_usage_errors_exit_2(capsys, args):
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2


def test_console_script_runs_as_installed():
    exe = shutil.which("riskcheck", path=str(Path(sys.executable).parent))
    assert exe, "the console script 'riskcheck' is installed next to the interpreter"
    r = subprocess.run(
        [exe, "assess", str(SCENARIO), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert r.returncode == 0 and json.loads(r.stdout)["decision"] == "deny"
    r = subprocess.run(
        [exe, "check", str(BAD / "rc101_syntax.yaml")], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert (
        r.returncode == 1
        and "tests/fixtures/bad/rc101_syntax.yaml:26:" in r.stdout
        and "Traceback" not in r.stderr
    )


def test_check_lint_warnings_pass_unless_strict(capsys):
    lint = BAD / "rc321_threshold_unreachable.yaml"
    code, out, err = cli(capsys, "check", lint)
    assert code == 0 and "warning RC321" in out and "(0 errors, 1 warnings)" in err
    assert cli(capsys, "check", "--strict", lint)[0] == 1


def test_check_with_scenarios_names_criteria_no_scenario_exercises(capsys):
    fixtures = ROOT / "tests" / "fixtures"
    code, out, _ = cli(
        capsys, "check", fixtures / "rules" / "minimal.yaml", "--scenarios", fixtures / "scenarios"
    )
    # the only fixture scenario is the clean case: it brings no criterion to its conditions threshold
    assert code == 0
    assert [line.split("'")[1] for line in out.splitlines() if "RC501" in line] == ["div", "conf", "dev"]
    # the bundled library exercises every criterion of every bundled rule set
    code, out, _ = cli(capsys, "check", "--strict", ROOT / "rules", "--scenarios", ROOT / "scenarios")
    assert code == 0, out


def test_the_app_launcher_caps_uploads_on_the_server(monkeypatch, capsys):
    """`riskcheck app` starts Streamlit with a server-side upload cap that covers the YAML reader's
    limit (1 MiB) in Streamlit's unit (whole MiB), bound to the address asked for."""

    seen: list[list[str]] = []

    def execve(path: str, cmd: list[str], env: dict[str, str]) -> None:
        seen.append(cmd)
        raise OSError(2, "stopped here by the test")  # the real one never returns

    monkeypatch.setattr(os, "execve", execve)
    assert main(["app", "--port", "8599", "--address", "127.0.0.1"]) == 1
    assert "cannot start Streamlit: stopped here by the test" in capsys.readouterr().err
    (cmd,) = seen
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=False))
    assert flags["--server.maxUploadSize"] == "1"
    assert flags["--server.address"] == "127.0.0.1" and flags["--server.port"] == "8599"
    assert flags["--browser.gatherUsageStats"] == "false"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            "[approve_with_conditions, approve_with_conditions]",
            "expected the item lines approve_with_conditions, "
            "approve_with_conditions, got approve_with_conditions, deny",
        ),
        ("[deny]", "expected decisions for 1 item lines, the transfer has 2"),
    ],
)
def test_test_checks_each_item_lines_decision(capsys, tmp_path, lines, message):
    """The mixed licence's expected line decisions (body armour with conditions, rifles refused),
    edited wrong: `riskcheck test` names what it expected of the lines and what it got."""
    scen = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios" / "profiles", scen / "profiles")
    text = (ROOT / "scenarios" / "corvania-mixed-licence.yaml").read_text()
    right = "    lines: [approve_with_conditions, deny]\n"
    assert text.count(right) == 2
    (scen / "mixed.yaml").write_text(text.replace(right, f"    lines: {lines}\n", 1))
    code, out, _ = cli(capsys, "test", scen, "--rules", ROOT / "rules" / "baseline.yaml")
    assert code == 1 and message in out
