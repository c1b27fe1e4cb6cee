"""Bidi controls and zero-width characters are shown, escaped, in every text, Markdown and HTML
output (issue 17, item 10): a title holding U+202E must not display reversed anywhere, the HTML
<title> included. JSON and the recorded data keep the exact text."""

from __future__ import annotations

import json
import re

import pytest

from riskcheck import assess
from riskcheck.explain import as_json, as_markdown, as_text, md_escape
from riskcheck.explain.memo import memo_html, memo_markdown
from riskcheck.text_safety import visible
from riskcheck.whatif import analyse
from tests.conftest import rules_data, rules_from, scenario_data, scenario_from

HIDDEN = ["\u202e", "\u2066", "\u2069", "\u200b", "\u200f", "\ufeff", "\u2060", "\u2028"]
TITLE = "Rifles for \u202egnirps\u202c the \u2066unit\u2069 \u200bX\u200f"


@pytest.fixture(scope="module")
def assessed():
    s = scenario_data()
    s["title"] = TITLE
    r = rules_data()
    r["criteria"][0]["title"] = "Respect \u202ewal\u202c"
    return rules_from(r), scenario_from(s)


def test_visible_names_each_hidden_character_and_keeps_the_rest():
    assert visible("a\u202eb\u200bc") == "a[U+202E]b[U+200B]c"
    assert visible("plain ascii") == "plain ascii"
    # letters of every script, and the joiners Persian and emoji need, are untouched
    kept = "Zürich Ελλάδα العراق \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 👩\u200d🔬"
    assert visible(kept) == kept
    assert all(ch not in visible(f"x{ch}y") for ch in HIDDEN)


@pytest.mark.parametrize("render", ["text", "markdown", "memo_md", "memo_html"])
def test_no_hidden_character_reaches_a_rendered_output(assessed, render: str):
    rules, scenario = assessed
    a = assess(rules, scenario)
    out = {
        "text": lambda: as_text(a),
        "markdown": lambda: as_markdown(a),
        "memo_md": lambda: memo_markdown(analyse(rules, scenario, draws=20), scenario, TITLE),
        "memo_html": lambda: memo_html(analyse(rules, scenario, draws=20), scenario, TITLE),
    }[render]()
    assert not [ch for ch in HIDDEN if ch in out]
    assert "[U+202E]gnirps[U+202C]" in out and "[U+2066]unit[U+2069]" in out
    assert "Respect [U+202E]wal[U+202C]" in out  # rule text too, not only the scenario's
    if render == "memo_html":
        [title] = re.findall(r"<title>(.*?)</title>", out)
        assert "[U+202E]" in title and "\u202e" not in title


def test_json_and_markdown_cells_keep_or_escape_as_documented(assessed):
    rules, scenario = assessed
    a = assess(rules, scenario)
    assert json.loads(as_json(a))["scenario_title"] == TITLE  # data keeps the exact text
    assert md_escape("a\u202eb") == "a[U+202E]b"  # what the app's Markdown uses
