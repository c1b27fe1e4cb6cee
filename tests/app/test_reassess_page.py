"""The Re-assessment page, headless (AppTest): an approved assessment that a profile change now
makes a refusal is listed and opens side by side with the original."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from riskcheck.evidence.commands import run_set

from .conftest import MAIN, decision, texts


@pytest.fixture
def home(tmp_path, monkeypatch, db_url):
    shutil.copytree("rules", tmp_path / "rules")
    shutil.copytree("scenarios", tmp_path / "scenarios")
    monkeypatch.setenv("RISKCHECK_HOME", str(tmp_path))
    return tmp_path


def test_new_information_lists_the_approved_assessment_for_review(home):
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.run()
    at.radio(key="start.kind").set_value("A bundled scenario").run()
    at.selectbox(key="start.scenario").set_value(str(home / "scenarios" / "nordvale-g2g-approve.yaml")).run()
    at.button(key="start.open").click().run()
    assert decision(at) == "approve"
    at.switch_page("views/reassess.py").run()
    assert not at.exception
    assert at.metric[0].value == "0" and "No recorded assessment would be decided differently" in texts(at)
    run_set(
        home / "scenarios" / "profiles" / "nordvale.yaml",
        "internal_conflict",
        "war",
        source="UCDP/PRIO ACD 25.1",
        as_of=dt.date(2025, 12, 31),
        why="new year's data",
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.metric[0].value == "1"
    row = at.dataframe[0].value.iloc[0]
    assert (row["Recorded"], row["Now"], row["Change"]) == ("Approve", "Deny", "stricter")
    shown = texts(at)
    assert "as recorded: Approve" in shown and "with the evidence now: Deny" in shown
    assert "UCDP/PRIO ACD 25" in shown  # the source, Markdown-escaped
    assert any("'none' -> 'war'" in c.value for c in at.code)
    # replayed from the case kept with the record, then assessed in full once opened: the criteria
    # table beside the original (C2 internal conflict now at deny)
    from riskcheck.app import state

    [rec] = state.store().list()
    assert rec.facts_json is not None and rec.facts_json.startswith('{"head":')
    assert len(at.dataframe) == 2
    criteria = at.dataframe[1].value
    assert "deny" in set(criteria["Now level"])
