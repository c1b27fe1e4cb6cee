"""The documentation keeps up with the code: every command and option, register column, module,
input field and rule-file key is documented; links resolve; the README's output sample is real."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from riskcheck.batch.columns import COLUMNS
from riskcheck.cli import build_parser
from riskcheck.facts import FIELDS
from riskcheck.rules_model import RuleSet

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = ("app", "rules", "evidence", "reviewing", "batch", "training", "deployment", "architecture", "cli")


def text(name: str) -> str:
    return (DOCS / f"{name}.md").read_text(encoding="utf-8")


def section(doc: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = doc.index(heading + "\n")
    nxt = re.search(rf"^#{{1,{level}}} ", doc[start + len(heading) :], re.M)
    return doc[start : start + len(heading) + nxt.start()] if nxt else doc[start:]


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every command line, by its words after ``riskcheck`` (``history verify`` for nested ones)."""
    out: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    words = f"{prefix} {name}".strip()
                    if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
                        walk(sub, words)
                    else:
                        out[words] = sub

    walk(build_parser(), "")
    return out


def test_every_page_exists_and_the_readme_is_a_front_page() -> None:
    for name in PAGES:
        assert (DOCS / f"{name}.md").is_file(), name
    assert len(README.read_bytes()) < 8_000, "README.md is the front page: move details into docs/"
    assert "decision support, not a decision" in README.read_text()


def test_every_command_is_in_the_readme_summary_and_every_option_in_cli_md() -> None:
    found = commands()
    assert {"assess", "check", "batch", "app", "history verify"} <= set(found)
    summary = section(README.read_text(), "## Commands")
    cli = text("cli")
    for words, parser in found.items():
        assert re.search(rf"^riskcheck {words}\b", summary, re.M), f"README command summary lacks {words!r}"
        part = section(cli, f"## riskcheck {words}")
        for action in parser._actions:
            if action.help == argparse.SUPPRESS or not action.option_strings or action.dest == "help":
                continue
            option = max(action.option_strings, key=len)
            assert option in part, f"docs/cli.md, 'riskcheck {words}', lacks {option}"


def test_every_register_column_is_in_batch_md() -> None:
    doc = text("batch")
    for name, spec in COLUMNS.items():
        if not spec.indicator:
            assert f"`{name}`" in doc, name
    assert "`country.<indicator>`, `unit.<indicator>`" in doc


def modules() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "riskcheck").rglob("*.py"))


def test_every_module_is_in_the_module_map() -> None:
    doc = section(text("architecture"), "## Module map")
    missing = [m for m in modules() if f"`{m}`" not in doc]
    assert not missing, f"docs/architecture.md's module map lacks {missing}"
    assert len(modules()) > 50  # the walk found the package, not an empty folder


def test_every_input_field_has_a_title_and_a_row_in_evidence_md() -> None:
    doc = text("evidence")
    for name, spec in FIELDS.items():
        assert spec.title and spec.title != name, name
        assert re.search(rf"^\| `{re.escape(name)}` \| {re.escape(spec.title)} \|", doc, re.M), name


def test_every_rule_set_key_is_in_rules_md() -> None:
    doc = section(text("rules"), "## The rule format")
    for name, info in RuleSet.model_fields.items():
        assert f"`{info.alias or name}`" in doc, name


LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", [README, *(DOCS / f"{n}.md" for n in PAGES)], ids=lambda p: p.name)
def test_relative_links_and_anchors_resolve(page: Path) -> None:
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"https?://", target):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.is_file(), f"{page.name}: broken link {target}"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", dest.read_text(encoding="utf-8"), re.M)
            assert anchor in {slug(h) for h in headings}, (
                f"{page.name}: no heading for #{anchor} in {dest.name}"
            )


def test_the_readme_output_sample_is_what_the_command_prints() -> None:
    readme = README.read_text()
    after = readme[readme.index("<!-- output-sample") :]
    sample = after.split("```\n", 2)[1]
    command = re.search(r"`riskcheck (assess \S+)`", section(readme, "## What it says"))
    assert command is not None
    out = subprocess.run(
        [sys.executable, "-m", "riskcheck.cli", *command.group(1).split()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith(sample), "README.md's sample is not what `riskcheck assess` prints now"
