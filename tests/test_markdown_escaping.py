"""User text in the Markdown renderings is inert: no raw HTML, no links it did not ask for, no broken tables."""

from __future__ import annotations

from riskcheck.explain import as_markdown, md_escape
from riskcheck.explain.memo import memo_markdown
from riskcheck.whatif import analyse
from tests.conftest import build

HOSTILE = "<script>alert(1)</script> [click](javascript:alert(1)) | *x* `y` \\ _z_\nnext"


def test_md_escape_neutralises_html_links_emphasis_and_table_breaks():
    out = md_escape(HOSTILE)
    assert "<" not in out and ">" not in out
    assert "](" not in out.replace("\\](", "")  # every ] that could close a link is escaped
    assert "\n" not in out and "| " not in out.replace("\\| ", "")
    assert out.startswith("&lt;script&gt;alert(1)&lt;/script&gt; \\[click\\](javascript:alert(1))")


def test_hostile_scenario_title_in_explanation_and_memo():
    def hostile(s):
        s["title"] = HOSTILE.replace("\n", " ")
        s["transfer"]["end_use"] = HOSTILE.replace("\n", " ")

    rules, scenario = build(hostile)
    an = analyse(rules, scenario)
    for text in (as_markdown(an.assessment), memo_markdown(an, scenario)):
        assert "alert(1)" in text  # the text is there ...
        assert "<script>" not in text and "[click](javascript" not in text  # ... and inert
