"""Hostile text through the app's outputs: the HTML memo escapes it, spreadsheet exports neutralise it.

A scenario whose every free-text field carries markup, a script, an attribute breaker and a
spreadsheet formula is assessed and rendered as the printable HTML memo (what the app's download
button and ``riskcheck report --format html`` give). No tag from the input may reach the HTML
unescaped. The rule-edit log's CSV export is checked the same way for formulas.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from pathlib import Path

import yaml

from riskcheck.explain.memo import memo
from riskcheck.history import RuleEdit
from riskcheck.loader import load_rules, scenario_from_document
from riskcheck.rule_edits import edits_csv
from riskcheck.whatif import analyse
from riskcheck.yamlfile import parse_text

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "<script>alert('x')</script>"
BREAKER = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example","click")'
HOSTILE = f"{SCRIPT} {BREAKER} {FORMULA} $5 million *bold* [link](javascript:alert(1))"


def hostile_scenario():
    path = ROOT / "scenarios" / "nordvale-g2g-approve.yaml"
    data = yaml.safe_load(path.read_text())
    data["title"] = "Vehicles " + HOSTILE
    data["briefing"] = HOSTILE
    data["teaching_notes"] = HOSTILE
    t = data["transfer"]
    t["end_user"]["name"] = "Army " + HOSTILE
    t["end_user"]["unit"] = "Brigade " + HOSTILE
    t["exporter"]["name"] = "Ostria " + HOSTILE
    t["recipient"]["name"] = "Nordvale " + HOSTILE
    t["end_use"] = HOSTILE
    t["items"][0]["description"] = "Carriers " + HOSTILE
    for ind in data["evidence"]["unit"].values():
        ind["source"] = "Vetting " + HOSTILE
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return scenario_from_document(parse_text(text, "hostile.yaml"), path.parent), text


def test_the_html_memo_escapes_every_piece_of_user_text():
    scenario, text = hostile_scenario()
    rules = load_rules(ROOT / "rules" / "baseline.yaml")
    out = memo(analyse(rules, scenario, draws=50), "html", scenario, text)
    assert SCRIPT not in out and "<img" not in out and "onerror=alert(1)>" not in out
    assert html.escape(SCRIPT, quote=True) in out  # shown as typed, not run
    assert 'href="javascript:' not in out.lower()
    # the only tags are the memo's own
    tags = {t.lower() for t in re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", out)}
    assert tags <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "h1",
        "h2",
        "h3",
        "h4",
        "p",
        "div",
        "span",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "ul",
        "ol",
        "li",
        "a",
        "b",
        "strong",
        "em",
        "i",
        "code",
        "pre",
        "small",
        "section",
        "header",
        "footer",
        "br",
        "hr",
        "details",
        "summary",
        "caption",
    }, tags


def test_the_edit_log_export_starts_no_cell_with_a_formula():
    edit = RuleEdit(
        id=1,
        created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        origin="app",
        user="+cmd|' /C calc'!A0",
        auth="-x",
        reason=FORMULA,
        rule_file="baseline.yaml",
        rule_set_id="@baseline",
        version_before="1.1",
        version_after="1.2",
        sha256_before="a" * 64,
        sha256_after="b" * 64,
        previous_copy=None,
        text_before="x",
        text_after="y",
        prev_hash="0" * 64,
        row_hash="1" * 64,
    )
    rows = list(csv.reader(io.StringIO(edits_csv([edit]))))
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'" + FORMULA in cells
