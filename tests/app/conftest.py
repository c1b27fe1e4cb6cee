"""Helpers for AppTest: a fresh history database per test, widget keys, the decision shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "riskcheck" / "app" / "main.py"
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def db_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    monkeypatch.setenv("RISKCHECK_DB_URL", url)
    return url


@pytest.fixture
def app(db_url) -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def wk(at: AppTest, name: str) -> str:
    """The key of a form widget for the case now loaded."""
    return f"form.{at.session_state['rc.version']}.{name}"


def decisions(at: AppTest) -> list[str]:
    """Every decision banner on the page, in order: the answer first, then the what-if panel's."""
    return [m for md in at.markdown for m in re.findall(r'data-decision="([a-z_]+)"', md.value)]


def decision(at: AppTest) -> str:
    found = decisions(at)
    assert found, "no decision is shown"
    return found[0]


def texts(at: AppTest) -> str:
    """All markdown, captions and alerts on the page as one string (for 'is it explained' checks)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [x.value for x in (*at.error, *at.warning, *at.info, *at.success)]
    return "\n".join(parts)


def submit(at: AppTest) -> AppTest:
    button = next(b for b in at.button if b.label == "Assess")
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_bundled(at: AppTest, filename: str) -> AppTest:
    at.radio(key="start.kind").set_value("A bundled scenario").run()
    at.selectbox(key="start.scenario").set_value(str(SCENARIOS / filename)).run()
    at.button(key="start.open").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def edit_rows(
    at: AppTest, editor: str, edits: dict[int, dict[str, object]], added: list | None = None
) -> None:
    """Seed a data_editor's edit state (AppTest cannot type into its cells). The country table's key
    names the recipient its rows were filled for (riskcheck.app.transfer_form.editor_key)."""
    if editor == "country":
        editor = f"country.{at.session_state[wk(at, 'country.for')]}"
    at.session_state[wk(at, editor)] = {"edited_rows": edits, "added_rows": added or [], "deleted_rows": []}


def open_tab(at: AppTest, name: str) -> AppTest:
    """Switch the Assess page's tabs (what a click on the tab does: the tabs run lazily)."""
    assert name in [t.label for t in at.tabs], f"no tab {name!r}"
    at.session_state["assess.tab"] = name
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload_scenario(at: AppTest, filename: str, content: bytes) -> AppTest:
    """Choose a file in the sidebar's uploader and load it (what the officer does in the browser)."""
    at.radio(key="start.kind").set_value("A scenario file (YAML)").run()
    at.file_uploader(key="start.upload").upload(filename, content, "application/x-yaml").run()
    at.button(key="start.open").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sidebar_codes(at: AppTest) -> str:
    """The code blocks of the sidebar (where located upload errors are listed), as one string."""
    return "\n".join(c.value for c in at.sidebar.code)
