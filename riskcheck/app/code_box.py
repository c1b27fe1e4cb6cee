"""A YAML code editor for the rule files: line numbers, highlighting, the problems at their lines, and
"go to line" from a problem.

The editor is streamlit-code-editor (Ace, through react-ace): its build ships the whole editor inside
the wheel, so it works on a machine without internet access, which an air-gapped ministry network
needs; the Monaco-based components load Monaco from a public CDN at run time. It is kept up (release
0.1.22, December 2024; Ace itself is actively maintained), and its value is the session-state entry of
its key, which AppTest can set like a user typing.

The text typed reaches the server a moment after typing stops (``response_mode="debounce"``) and
when the editor loses focus, and lives in the caller's own state: the editor is given the text only
when it is (re)created, so a rerun never moves the cursor or scrolls the box.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import streamlit as st
import streamlit.components.v1 as components
from code_editor import code_editor

from ..errors import Diagnostic

# The problem lines, tinted in the editor (an Ace marker is an absolutely placed div of this class).
_CSS = ".rc-problem-line {position: absolute; background: rgba(179, 38, 30, 0.16);}"
_COMPONENT = "code_editor.code_editor"  # the component's name: its iframe's title


def typed(key: str) -> str | None:
    """The text the user has typed into the editor ``key`` since it was created, if any."""
    value = st.session_state.get(key)
    if isinstance(value, dict) and value.get("id") and isinstance(value.get("text"), str):
        return str(value["text"])
    return None


def yaml_editor(text: str, key: str, problems: Sequence[Diagnostic], height_px: int = 620) -> None:
    """The editor, seeded with ``text`` when ``key`` is new; ``problems`` are marked at their lines."""
    annotations = [
        {
            "row": max(d.location.line - 1, 0),
            "column": max(d.location.col - 1, 0),
            "type": "error" if d.severity == "error" else "warning",
            "text": f"{d.code} {d.message}",
        }
        for d in problems
        if d.location.line
    ]
    markers = [
        {
            "startRow": a["row"],
            "startCol": 0,
            "endRow": a["row"],
            "endCol": 1,
            "className": "rc-problem-line",
            "type": "fullLine",
        }
        for a in annotations
        if a["type"] == "error"
    ]
    code_editor(
        text,
        lang="yaml",
        key=key,
        height=f"{height_px}px",
        response_mode=["debounce", "blur"],
        allow_reset=False,
        options={
            "wrap": False,
            "showLineNumbers": True,
            "tabSize": 2,
            "useSoftTabs": True,
            "showPrintMargin": False,
        },
        props={"annotations": annotations, "markers": markers, "fontSize": 13},
        component_props={"css": _CSS},
    )


def go_to_line(line: int, nonce: int) -> None:
    """Move the editor's cursor to ``line`` and scroll it there (and the editor into view).

    Ace keeps its editor object on its element; the script runs in a component iframe of the same origin
    as the page and reaches into the editor's iframe. ``nonce`` makes each request a new element, so that
    asking for the same line twice moves there twice."""
    script = f"""<script>
    // request {nonce}
    const line = {json.dumps(int(line))};
    let tries = 0;
    const timer = setInterval(() => {{
      tries += 1;
      const frame = window.parent.document.querySelector('iframe[title="{_COMPONENT}"]');
      const el = frame && frame.contentDocument && frame.contentDocument.querySelector('.ace_editor');
      const editor = el && el.env && el.env.editor;
      if (editor) {{
        clearInterval(timer);
        frame.scrollIntoView({{block: "start"}});
        editor.gotoLine(line, 0, false);
        editor.scrollToLine(line - 1, true, false, () => {{}});
        editor.focus();
      }} else if (tries > 50) {{ clearInterval(timer); }}
    }}, 100);
    </script>"""
    components.html(script, height=0)


def goto_request(state_key: str) -> tuple[int, int] | None:
    """A pending "go to line" request (line, nonce), taken once."""
    value: Any = st.session_state.pop(state_key, None)
    return value if isinstance(value, tuple) else None
