"""Hostile rule and scenario files: every input ends with exit code 0 or 1 and located messages;
never a traceback, never a hang. Mutations of the bundled files (seeded, reproducible) plus
hypothesis-generated text and bytes. The number of inputs tried is printed (pytest -s) and
summarised in tests/robustness/README.md."""

from __future__ import annotations

import contextlib
import io
import random
import re
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskcheck.cli import main

ROOT = Path(__file__).resolve().parents[2]
RULE_FILES = sorted((ROOT / "rules").glob("*.yaml"))
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.yaml"))[:6]
LINE = re.compile(r"^.+?:(\d+:\d+: )?(error|warning) RC\d{3}: \S.*$")
PER_FILE = 120  # mutations per bundled file; with 3 rule sets and 6 scenarios: ~1,080 inputs
TRIED = {"n": 0}

WRONG_VALUES = [
    "[1, 2]",
    "{a: 1}",
    "abc",
    "1e309",
    "-1e309",
    ".nan",
    ".inf",
    "-.inf",
    "10" * 200,
    "''",
    "~",
    "true",
    "2014-02-30",
    "!!python/object:os.system",
    "*alias",
    "&anchor x",
    '"\\udcff"',
    "0x1F",
]


def mutate(text: str, rng: random.Random) -> bytes:
    lines = text.splitlines(keepends=True)
    kind = rng.randrange(10)
    if kind == 0:  # truncate
        return text.encode()[: rng.randrange(len(text.encode()) + 1)]
    if kind == 1 and lines:  # delete a line
        del lines[rng.randrange(len(lines))]
    elif kind == 2 and lines:  # duplicate a line (duplicate keys)
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == 3 and lines:  # a wrong type or hostile value
        i = rng.randrange(len(lines))
        if ": " in lines[i]:
            key = lines[i].split(": ", 1)[0]
            lines[i] = f"{key}: {rng.choice(WRONG_VALUES)}\n"
    elif kind == 4:  # deep nesting
        depth = rng.choice([30, 60, 500])
        lines.insert(rng.randrange(len(lines) + 1), "deep: " + "[" * depth + "]" * depth + "\n")
    elif kind == 5:  # invalid UTF-8
        raw = text.encode()
        i = rng.randrange(len(raw) + 1)
        return raw[:i] + bytes([rng.choice([0xFF, 0xC3, 0xE9, 0x80])]) + raw[i:]
    elif kind == 6:  # random bytes
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
    elif kind == 7 and lines:  # break indentation
        i = rng.randrange(len(lines))
        lines[i] = " " * rng.randrange(1, 7) + lines[i]
    elif kind == 8 and lines:  # control characters and NUL
        i = rng.randrange(len(lines))
        lines[i] = lines[i][:-1] + rng.choice(["\x00", "\x07", "\x1b", "\ufeff", "\u202e"]) + "\n"
    else:  # swap two lines
        if len(lines) > 1:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines).encode("utf-8", "surrogatepass")


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def assert_clean_outcome(code: int, out: str, err: str, started: float) -> None:
    TRIED["n"] += 1
    assert code in (0, 1)
    assert "Traceback" not in out + err
    assert time.perf_counter() - started < 5, "an input took more than 5 s"
    if code == 1:
        lines = [line for line in (out + err).splitlines() if line and not line[0].isdigit()]
        assert lines, "an invalid input must say why"
        for line in lines:
            if line.startswith(("FAIL ", "ok ")):
                continue
            assert LINE.match(line), f"unlocated message: {line!r}"


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    # scenarios refer to shared profiles by relative path, and to rule sets by id
    shutil.copytree(ROOT / "scenarios" / "profiles", tmp_path / "profiles")
    shutil.copytree(ROOT / "rules" / "reference", tmp_path / "reference")
    return tmp_path


@pytest.mark.parametrize("source", RULE_FILES + SCENARIO_FILES, ids=lambda p: p.stem)
def test_mutated_bundled_files(source: Path, sandbox: Path):
    rng = random.Random(f"riskcheck-fuzz-{source.name}")
    text = source.read_text()
    target = sandbox / source.name
    is_scenario = source.parent.name == "scenarios"
    for _ in range(PER_FILE):
        target.write_bytes(mutate(text, rng))
        started = time.perf_counter()
        assert_clean_outcome(*run_cli("check", str(target)), started)
        if is_scenario:
            started = time.perf_counter()
            assert_clean_outcome(*run_cli("assess", str(target), "--format", "json"), started)


yaml_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=600), st.text(max_size=600).map(str.encode)))
def test_arbitrary_bytes(sandbox: Path, raw: bytes):
    f = sandbox / "random.yaml"
    f.write_bytes(raw)
    started = time.perf_counter()
    assert_clean_outcome(*run_cli("check", str(f)), started)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "title",
                "criteria",
                "transfer",
                "evidence",
                "policy",
                "sources",
                "indicators",
                "entries",
                "rules",
                "expected",
                "date",
            ]
        ),
        yaml_like,
        max_size=8,
    )
)
def test_arbitrary_structures(sandbox: Path, data: dict):
    import yaml

    f = sandbox / "structure.yaml"
    f.write_text(yaml.safe_dump(data, allow_unicode=True))
    started = time.perf_counter()
    assert_clean_outcome(*run_cli("check", str(f)), started)


def test_report_inputs_tried():
    # Runs last in this module (pytest keeps file order): the figure for the closing note.
    print(f"\nfuzz: {TRIED['n']} inputs tried, 0 tracebacks")
    assert TRIED["n"] >= 1000
