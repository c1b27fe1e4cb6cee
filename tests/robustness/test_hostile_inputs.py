"""The hostile-input harness (issue 17): paths, special files, oversized rule sets, bidi text and
history tampering, each through the real command line in a child process with a timeout.

Every input must end with the exit code a user should see (1 for bad input or a broken chain, 2 for
a wrong command line, 0 where the input is fine), never a traceback, never a hang. The summary line
(``inputs tried / tracebacks / hangs``) is printed for tests/robustness/README.md; 0 / 0 is asserted.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.robustness import big_rules

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "valdoria-rifles-weak-stockpile.yaml"
RULES = ROOT / "rules" / "baseline.yaml"
TIMEOUT_S = 90  # per input: a hang is counted, then the harness goes on
HIDDEN = ("\u202e", "\u2066", "\u2069", "\u200b", "\u200f")


@dataclass
class Case:
    name: str
    args: list[str]
    exit_codes: tuple[int, ...]
    must_say: str = ""  # on stdout or stderr
    no_hidden: bool = False  # the output must carry no raw bidi or zero-width character


def _run(case: Case) -> tuple[Case, str]:
    """'' when the case held, else what went wrong ('traceback', 'hang' or a description)."""
    try:
        r = subprocess.run(
            [sys.executable, "-m", "riskcheck.cli", *case.args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return case, "hang"
    out = r.stdout + r.stderr
    if "Traceback (most recent call last)" in out:
        return case, "traceback"
    if r.returncode not in case.exit_codes:
        return case, f"exit {r.returncode}, expected {case.exit_codes}: {out[-300:]}"
    if case.must_say and case.must_say not in out:
        return case, f"does not say {case.must_say!r}: {out[-300:]}"
    if case.no_hidden and any(ch in r.stdout for ch in HIDDEN):
        return case, "a hidden character reached the output"
    return case, ""


def _special_files(d: Path) -> dict[str, Path]:
    fifo = d / "fifo.yaml"
    os.mkfifo(fifo)
    loop = d / "loop.yaml"
    loop.symlink_to(loop)
    (d / "dangling.yaml").symlink_to(d / "nowhere.yaml")
    (d / "folder.yaml").mkdir()
    return {
        "/dev/zero": Path("/dev/zero"),
        "/dev/urandom": Path("/dev/urandom"),
        "FIFO": fifo,
        "symlink loop": loop,
        "dangling link": d / "dangling.yaml",
        "directory": d / "folder.yaml",
    }


def special_file_cases(d: Path) -> list[Case]:
    cases = []
    for label, f in _special_files(d).items():
        p = str(f)
        cases += [
            # a folder is what `check` walks: an empty one is no error
            Case(f"check {label}", ["check", p], (0,) if label == "directory" else (1,)),
            Case(f"assess {label}", ["assess", p], (1,)),
            Case(f"--rules {label}", ["assess", str(SCENARIO), "--rules", p], (1,)),
            Case(f"report {label}", ["report", p], (1,)),
            Case(f"exercise --answers {label}", ["exercise", str(SCENARIO), "--answers", p], (1, 2)),
            Case(f"diff {label}", ["diff", str(RULES), p], (1,)),
        ]
    return cases


def path_cases(d: Path) -> list[Case]:
    """Paths written inside files: reference data and profiles pointing out of their folder."""
    (d / "secret.yaml").write_text("db_password: hunter2\n")
    rules = d / "rules"
    rules.mkdir()
    shutil.copytree(RULES.parent / "reference", rules / "reference")
    (rules / "out.yaml").symlink_to(d / "secret.yaml")
    (rules / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(rules / "pipe.yaml")
    cases = []
    for label, written in {
        "absolute": str(d / "secret.yaml"),
        "dotdot": "../secret.yaml",
        "symlink out": "out.yaml",
        "/dev/zero link": "zero.yaml",
        "FIFO": "pipe.yaml",
        "/etc/passwd": "/etc/passwd",
        "NUL byte": "a\\0b.yaml",
    }.items():
        f = rules / f"ref-{len(cases)}.yaml"
        f.write_text(RULES.read_text().replace("reference/embargoes.yaml", f'"{written}"'))
        cases.append(Case(f"reference_data {label}", ["check", str(f)], (1,), must_say="RC318"))
    scen = d / "scenarios"
    (scen / "profiles").mkdir(parents=True)
    shutil.copy(ROOT / "scenarios" / "profiles" / "valdoria.yaml", scen / "profiles")
    (scen / "out.yaml").symlink_to(d / "secret.yaml")
    (scen / "loop.yaml").symlink_to(scen / "loop.yaml")
    for label, written in {
        "absolute": str(d / "secret.yaml"),
        "dotdot": "../secret.yaml",
        "symlink out": "out.yaml",
        "symlink loop": "loop.yaml",
        "itself": "case-itself.yaml",
    }.items():
        name = "case-itself.yaml" if label == "itself" else f"case-{len(cases)}.yaml"
        f = scen / name
        f.write_text(SCENARIO.read_text().replace("profile: profiles/valdoria.yaml", f'profile: "{written}"'))
        cases.append(Case(f"profile {label}", ["assess", str(f)], (1,), must_say="RC40"))
    return cases


def oversized_cases(d: Path) -> list[Case]:
    cases = []
    # 7,500 mitigations: the baseline plus them stays under the 1 MiB limit with room for the baseline to grow
    for kind, n in (("mitigations", 7500), ("factors", 4000)):
        f = big_rules.write(d / "big", kind, n)
        cases += [
            Case(f"check {n} {kind}", ["check", str(f)], (0,)),
            Case(f"assess with {n} {kind}", ["assess", str(SCENARIO), "--rules", str(f)], (0,)),
        ]
    over = d / "big" / "over.yaml"
    over.write_text(RULES.read_text() + "#" * (1 << 20))
    cases.append(Case("rule set over 1 MiB", ["check", str(over)], (1,), must_say="RC105"))
    return cases


def bidi_cases(d: Path) -> list[Case]:
    f = d / "bidi.yaml"
    text = SCENARIO.read_text()
    title_line = next(line for line in text.splitlines() if line.startswith("title:"))
    f.write_text(text.replace(title_line, 'title: "Rifles \u202egnirps\u202c \u2066x\u2069 \u200bfor\u200f"'))
    shutil.copytree(ROOT / "scenarios" / "profiles", d / "profiles")
    return [
        Case(f"bidi title, {fmt}", [*args, str(f), "--format", fmt], (0,), no_hidden=True)
        for args, fmts in ((["assess"], ("text", "markdown")), (["report"], ("md", "html")))
        for fmt in fmts
    ]


TAMPERING = {
    "a changed row": (["UPDATE assessments SET decision = 'approve' WHERE id = 2"], "row #2: changed"),
    "a deleted row": (["DELETE FROM assessments WHERE id = 2"], "#2 missing"),
    "the newest rows deleted": (["DELETE FROM assessments WHERE id >= 2"], "newest rows were deleted"),
    "newest rows and heads table dropped": (
        ["DELETE FROM assessments WHERE id >= 2", "DROP TABLE chain_heads"],
        "no head is recorded",
    ),
    "the head changed": (
        ["UPDATE chain_heads SET row_hash = 'x' WHERE name = 'rule_edits'"],
        "recorded head",
    ),
    "created_at unparsable": (["UPDATE assessments SET created_at = 'garbage' WHERE id = 2"], "not a date"),
    "as_of unparsable": (["UPDATE assessments SET as_of = '2024-02-30' WHERE id = 1"], "not a date"),
    "a chained table dropped": (["DROP TABLE rule_edits"], "rule_edits is missing"),
    "a row hash emptied": (["UPDATE rule_edits SET row_hash = '' WHERE id = 1"], "row #1: changed"),
}


def history_cases(d: Path) -> list[Case]:
    from riskcheck import assess
    from riskcheck.history import History
    from riskcheck.loader import load_rules, load_scenario

    a = assess(load_rules(RULES), load_scenario(SCENARIO))
    template = d / "template.db"
    store = History(f"sqlite:///{template}")
    for i in range(3):
        store.record(a, "x: 1\n", note=str(i))
        store.record_rule_edit(
            user="u",
            auth="local",
            reason="r",
            rule_file="baseline.yaml",
            rule_set_id="baseline",
            version_before="1",
            version_after="1",
            sha256_before=None,
            sha256_after="b" * 64,
            text_before=None,
            text_after="y",
        )
    store.dispose()
    cases = []
    for n, (label, (statements, says)) in enumerate(TAMPERING.items()):
        db = d / f"tampered-{n}.db"
        shutil.copy(template, db)
        with sqlite3.connect(db) as conn:
            for s in statements:
                conn.execute(s)
        cases.append(Case(f"history: {label}", ["history", "verify", "--db", f"sqlite:///{db}"], (1,), says))
    garbage = d / "garbage.db"
    garbage.write_bytes(b"not a database" * 100)
    cases.append(Case("history: not a database", ["history", "verify", "--db", f"sqlite:///{garbage}"], (2,)))
    cases.append(Case("history: a bad URL", ["history", "verify", "--db", "nonsense://"], (2,)))
    return cases


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> list[tuple[Case, str]]:
    cases: list[Case] = []
    for build in (special_file_cases, path_cases, oversized_cases, bidi_cases, history_cases):
        cases += build(tmp_path_factory.mktemp(build.__name__))
    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores
        return list(pool.map(_run, cases))


def test_hostile_inputs_give_located_errors_without_tracebacks_or_hangs(results):
    tracebacks = [c.name for c, why in results if why == "traceback"]
    hangs = [c.name for c, why in results if why == "hang"]
    wrong = [f"{c.name}: {why}" for c, why in results if why not in ("", "traceback", "hang")]
    print(f"\nhostile inputs: {len(results)} tried, {len(tracebacks)} tracebacks, {len(hangs)} hangs")
    assert not tracebacks and not hangs, (tracebacks, hangs)
    assert not wrong, "\n".join(wrong)
