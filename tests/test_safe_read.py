"""Hostile paths and special files (issue 17, items 1, 8, 9 and 12): nothing outside a file's folder
is read through a path written in it, nothing that is not a regular file is read at all, and each
refusal is a located error, not a traceback, a hang or a memory blow-up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from riskcheck.errors import InputError
from riskcheck.loader import load_profile, load_rules, load_scenario
from riskcheck.rule_edits import check_text
from riskcheck.safe_read import PathOutside, confine, read_bytes

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "valdoria-rifles-weak-stockpile.yaml"
PROFILE = ROOT / "scenarios" / "profiles" / "valdoria.yaml"
RULES = ROOT / "rules" / "baseline.yaml"
SECRET = "db_password: hunter2\napi_token: x\n"


def riskcheck(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process: a hang ends the test at ``timeout`` instead of the whole run."""
    return subprocess.run(
        [sys.executable, "-m", "riskcheck.cli", *args], capture_output=True, text=True, timeout=timeout
    )


def diagnostics(call, *args) -> list[str]:
    with pytest.raises(InputError) as e:
        call(*args)
    return [str(d) for d in e.value.diagnostics]


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    """A scenario and its profile in a folder of their own, with a secret file beside the folder."""
    folder = tmp_path / "cases"
    (folder / "profiles").mkdir(parents=True)
    shutil.copy(PROFILE, folder / "profiles" / "valdoria.yaml")
    shutil.copy(SCENARIO, folder / "case.yaml")
    (tmp_path / "secret.yaml").write_text(SECRET)
    return folder


def with_profile(folder: Path, written: str) -> Path:
    text = SCENARIO.read_text().replace("profile: profiles/valdoria.yaml", f"profile: {written}")
    path = folder / "case.yaml"
    path.write_text(text)
    return path


def profile_line() -> str:
    """Where the scenario names its profile, as a located error starts: ``case.yaml:<line>:``."""
    lines = SCENARIO.read_text().splitlines()
    return f"case.yaml:{[i for i, t in enumerate(lines, 1) if 'profile: profiles/valdoria.yaml' in t][0]}:"


def rules_with_reference(folder: Path, written: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(RULES.parent / "reference", folder / "reference", dirs_exist_ok=True)
    return RULES.read_text().replace("embargoes: reference/embargoes.yaml", f"embargoes: {written}")


# --- item 1: paths written inside files stay in that file's folder -----------------------------


@pytest.mark.parametrize("kind", ["absolute", "dotdot", "symlink"])
def test_reference_data_outside_the_rule_sets_folder_is_refused_and_never_read(tmp_path: Path, kind: str):
    rules = tmp_path / "rules"
    written = {"absolute": str(tmp_path / "secret.yaml"), "dotdot": "../secret.yaml", "symlink": "link.yaml"}[
        kind
    ]
    text = rules_with_reference(rules, written)
    (tmp_path / "secret.yaml").write_text(SECRET)
    (rules / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    checked = check_text(text, rules / "baseline.yaml")
    assert not checked.ok
    shown = "\n".join(str(d) for d in checked.errors)
    assert "RC318" in shown and "reference_data" not in shown.split("RC318")[0]  # located, in rules/...
    assert "db_password" not in shown and "api_token" not in shown


def test_reference_data_dev_zero_or_a_fifo_is_refused_without_reading(tmp_path: Path):
    """/dev/zero reports st_size 0: the old size check let it through, to be read until memory ran out."""
    text = rules_with_reference(tmp_path / "rules", "zero.yaml")
    (tmp_path / "rules" / "zero.yaml").symlink_to("/dev/zero")
    line = text.splitlines().index("  embargoes: zero.yaml") + 1
    [error] = check_text(text, tmp_path / "rules" / "baseline.yaml").errors
    assert error.code == "RC318" and error.location.line == line and "leads out" in error.message
    os.mkfifo(tmp_path / "rules" / "pipe.yaml")  # inside the folder, but no regular file
    [error] = check_text(text.replace("zero.yaml", "pipe.yaml"), tmp_path / "rules" / "baseline.yaml").errors
    assert error.code == "RC318" and error.location.line == line and "named pipe (FIFO)" in error.message


def test_reference_data_inside_the_folder_still_loads(tmp_path: Path):
    text = rules_with_reference(tmp_path / "rules", "reference/embargoes.yaml")
    (tmp_path / "rules" / "baseline.yaml").write_text(text)
    assert load_rules(tmp_path / "rules" / "baseline.yaml").embargoes is not None


@pytest.mark.parametrize(
    "written", ["../secret.yaml", "/etc/hostname", "profiles/../../secret.yaml", "out.yaml"]
)
def test_profile_outside_the_scenarios_folder_is_refused(scenario_dir: Path, written: str):
    (scenario_dir / "out.yaml").symlink_to(scenario_dir.parent / "secret.yaml")
    [message] = diagnostics(load_scenario, with_profile(scenario_dir, written))
    assert profile_line() in message and "RC401" in message and "db_password" not in message


def test_confine_accepts_a_link_that_stays_inside(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("x: 1\n")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    assert confine("b.yaml", tmp_path) == (tmp_path / "a.yaml").resolve()
    with pytest.raises(PathOutside, match="control characters"):
        confine("a\x00.yaml", tmp_path)


# --- item 8: special files are refused before they are opened --------------------------------


def test_read_bytes_does_not_trust_st_size(tmp_path: Path):
    with pytest.raises(InputError, match="character device"):
        read_bytes("/dev/zero", 1024)
    grown = tmp_path / "big.yaml"
    grown.write_bytes(b"a" * 2049)
    with pytest.raises(InputError, match="larger than 2048 bytes"):
        read_bytes(grown, 2048)
    assert read_bytes(grown, 2049) == b"a" * 2049


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_as_rules_profile_or_check_path_are_located_errors(scenario_dir: Path, device: str):
    result = riskcheck("check", device, timeout=30)
    assert result.returncode == 1 and f"{device}: error RC106" in result.stdout
    assert "Traceback" not in result.stderr
    result = riskcheck("assess", str(SCENARIO), "--rules", device, timeout=30)
    assert result.returncode == 1 and "RC106" in result.stderr and "Traceback" not in result.stderr
    [message] = diagnostics(load_profile, Path(device))  # as the batch's --profiles folder reads one
    assert f"{device}: error RC106" in message and "character device" in message


def test_a_fifo_anywhere_does_not_hang(scenario_dir: Path):
    fifo = scenario_dir / "pipe.yaml"
    os.mkfifo(fifo)
    for args in (
        ["check", str(fifo)],
        ["assess", str(fifo)],
        ["assess", str(SCENARIO), "--rules", str(fifo)],
    ):
        result = riskcheck(*args, timeout=30)
        assert result.returncode == 1 and "named pipe (FIFO)" in result.stdout + result.stderr, args
    [message] = diagnostics(load_scenario, with_profile(scenario_dir, "pipe.yaml"))
    assert "RC401" in message and "FIFO" in message


# --- item 9: symbolic-link loops --------------------------------------------------------------


def test_symlink_loop_as_rules_or_profile_is_a_located_error(scenario_dir: Path):
    loop = scenario_dir / "loop.yaml"
    loop.symlink_to(loop)
    result = riskcheck("assess", str(SCENARIO), "--rules", str(loop), timeout=30)
    assert result.returncode == 1 and "loop of symbolic links" in result.stderr
    assert "Traceback" not in result.stderr
    [message] = diagnostics(load_scenario, with_profile(scenario_dir, "loop.yaml"))
    assert profile_line() in message and "loop of symbolic links" in message
    result = riskcheck("check", str(loop), timeout=30)
    assert "loop of symbolic links" in result.stdout


# --- item 12: a scenario named as a profile ---------------------------------------------------


def test_a_scenario_used_as_its_own_profile_says_so(scenario_dir: Path):
    [message] = diagnostics(load_scenario, with_profile(scenario_dir, "case.yaml"))
    assert "RC403" in message and "is a scenario" in message and "profile is expected" in message
    assert "did you mean 'expected'" not in message


def test_a_document_built_from_a_register_row_may_name_its_profile_inside_the_chosen_folder(
    scenario_dir: Path,
):
    """The batch builds scenarios in memory with the absolute path of a profile in the --profiles
    folder: allowed there (profile_root), and only there."""
    from riskcheck.loader import scenario_from_document
    from riskcheck.yamlfile import parse_text

    inside = str((scenario_dir / "profiles" / "valdoria.yaml").resolve())
    text = SCENARIO.read_text()
    doc = parse_text(text.replace("profile: profiles/valdoria.yaml", f"profile: {inside}"), "row 2")
    loaded = scenario_from_document(doc, Path.cwd(), profile_root=scenario_dir / "profiles")
    assert loaded.profile is not None
    outside = parse_text(text.replace("profile: profiles/valdoria.yaml", f"profile: {PROFILE}"), "row 3")
    [message] = diagnostics(
        lambda: scenario_from_document(outside, Path.cwd(), profile_root=scenario_dir / "profiles")
    )
    assert "RC401" in message and "leads out" in message
    with pytest.raises(InputError, match="absolute path is not allowed"):
        scenario_from_document(doc, scenario_dir)  # the same text in a file: refused
