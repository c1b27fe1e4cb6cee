"""The History and Rule sets pages, headless (AppTest)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from riskcheck.app.widgets import md
from riskcheck.history import History

from .conftest import MAIN, ROOT, decision, open_bundled, submit, texts, wk


def test_opening_the_app_records_nothing_until_someone_assesses(db_url):
    """Ten sessions opening the app (each shows the default scenario, assessed) leave the history empty;
    pressing Assess in one of them records that one assessment."""
    sessions = []
    for _ in range(10):
        at = AppTest.from_file(str(MAIN), default_timeout=60)
        at.run()
        assert not at.exception and decision(at) == "deny"
        sessions.append(at)
    assert History(db_url).count() == 0
    assert "Not recorded" in texts(sessions[0])
    submit(sessions[3])
    (rec,) = History(db_url).list()
    assert rec.scenario_id == "valdoria-rifles-weak-stockpile" and rec.decision == "deny"
    sessions[3].run()
    assert History(db_url).count() == 1  # once per session for the same input


def test_choosing_another_rule_set_records_the_case_under_it(app, db_url):
    app.selectbox(key="rc.rules_choice").set_value(str(ROOT / "rules" / "eu-common-position.yaml")).run()
    (rec,) = History(db_url).list()
    assert rec.rule_set_id == "eu-common-position"


def test_every_assessment_is_recorded_and_listed(app, db_url):
    submit(app)
    open_bundled(app, "nordvale-g2g-approve.yaml")
    records = History(db_url).list()
    assert [r.scenario_id for r in records] == ["nordvale-g2g-approve", "valdoria-rifles-weak-stockpile"]
    assert records[1].decision == "deny" and records[0].decision == "approve"
    assert "transfer:" in records[0].scenario_yaml and '"decision": "approve"' in records[0].result_json
    app.switch_page("views/history.py").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert list(table["Decision"]) == ["Approve", "Deny"]
    assert "hash chain intact" in texts(app)


def test_rerunning_the_same_assessment_does_not_record_it_twice(app, db_url):
    submit(app)
    app.run()
    submit(app)
    assert History(db_url).count() == 1


def test_history_filters_by_decision_and_words(app, db_url):
    submit(app)
    open_bundled(app, "nordvale-g2g-approve.yaml")
    app.switch_page("views/history.py").run()
    app.multiselect(key="hist.decisions").set_value(["deny"]).run()
    assert list(app.dataframe[0].value["Decision"]) == ["Deny"]
    app.multiselect(key="hist.decisions").set_value([]).run()
    app.text_input(key="hist.text").set_value("armoured").run()
    assert list(app.dataframe[0].value["Title"]) == [
        "Armoured vehicles to a stable ally under a government-to-government agreement"
    ]
    app.text_input(key="hist.text").set_value("no such thing").run()
    assert "No recorded assessment matches" in texts(app)


def test_a_saved_assessment_reopens_on_the_assess_page(app, db_url):
    submit(app)
    open_bundled(app, "nordvale-g2g-approve.yaml")
    assert decision(app) == "approve"
    first = History(db_url).list()[-1]  # the valdoria one, assessed first
    app.switch_page("views/history.py").run()
    app.selectbox(key="hist.reopen").set_value(first.id).run()
    app.button(key="hist.reopen.go").click().run()
    assert not app.exception
    assert decision(app) == "deny"
    assert app.session_state["rc.case"]["id"] == "valdoria-rifles-weak-stockpile"
    assert app.text_input(key=wk(app, "title")).value == first.title
    assert History(db_url).count() == 2  # reopening is not a new assessment


def test_two_assessments_compare_side_by_side(app, db_url):
    submit(app)
    open_bundled(app, "valdoria-rifles-rebutted.yaml")
    app.switch_page("views/history.py").run()
    page = texts(app)
    assert "Side by side" in page
    code = "\n".join(c.value for c in app.code)
    assert "-  channel: commercial_licensed" in code and "+  channel: g2g" in code
    criteria = next(df.value for df in app.dataframe if "Changed" in df.value.columns)
    assert "yes" in set(criteria["Changed"])


def test_start_from_a_saved_assessment_in_the_sidebar(app, db_url):
    submit(app)
    open_bundled(app, "karvonia-embargo.yaml")
    assert decision(app) == "prohibited"
    rid = History(db_url).list()[-1].id
    app.radio(key="start.kind").set_value("A saved assessment").run()
    app.selectbox(key="start.record").set_value(rid).run()
    app.button(key="start.open").click().run()
    assert decision(app) == "deny"


def test_rule_sets_page_lists_sources_with_links(app):
    app.switch_page("views/rules.py").run()
    assert not app.exception
    page = texts(app)
    assert "](https://thearmstradetreaty.org)" in page
    assert "Left to human judgement" in page


def test_the_signed_in_user_is_recorded_and_listed(db_url, monkeypatch):
    monkeypatch.setenv("RISKCHECK_AUTH", "oidc")
    monkeypatch.delenv("RISKCHECK_READ_ONLY", raising=False)
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.user = {"is_logged_in": True, "email": "alice@example.org"}
    at.run()
    submit(at)
    (rec,) = History(db_url).list()
    assert rec.recorded_by == "alice@example.org"
    at.switch_page("views/history.py").run()
    assert not at.exception, [e.value for e in at.exception]
    (table,) = [d for d in at.dataframe if "#" in d.value.columns]
    assert table.value["Recorded by"].tolist() == ["alice@example.org"]
    assert f"#{rec.id} was recorded by {md('alice@example.org')}." in texts(at)


def test_without_sign_in_nobody_is_named(db_url, monkeypatch):
    # the server's own account is not who used the app once it is reached over the network
    monkeypatch.delenv("RISKCHECK_AUTH", raising=False)
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.run()
    submit(at)
    (rec,) = History(db_url).list()
    assert rec.recorded_by is None
    at.switch_page("views/history.py").run()
    (table,) = [d for d in at.dataframe if "#" in d.value.columns]
    assert table.value["Recorded by"].tolist() == [""]
    assert f"Who recorded #{rec.id} is not known" in texts(at)
