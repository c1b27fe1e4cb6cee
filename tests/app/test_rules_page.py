"""The Rules page, headless (AppTest): read, edit with live validation, preview the impact, save safely.

Every test runs on a copy of the rules folder and two scenarios in a temporary RISKCHECK_HOME
(``make_home``), with its own history database. The edit lowers the baseline's clear-risk
thresholds; by construction valdoria-rifles-rebutted changes from approval with conditions to
denial and nordvale-g2g-approve does not change.
"""

from __future__ import annotations

import getpass
import re

import pytest
from streamlit.testing.v1 import AppTest

from riskcheck.history import History
from riskcheck.rule_edits import sha256_text

from .conftest import MAIN, decision, submit, texts
from .test_rules_files import CHANGES, STAYS, broken, lowered, make_home

NAME = "baseline.yaml"


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = make_home(tmp_path)
    monkeypatch.setenv("RISKCHECK_HOME", str(h))
    for var in ("RISKCHECK_READ_ONLY", "RISKCHECK_AUTH", "RISKCHECK_REVIEWERS"):
        monkeypatch.delenv(var, raising=False)
    return h


def rules_page(user: dict | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    if user is not None:
        at.user = user
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if not at.exception:
        at.switch_page("views/rules.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


class Editor:
    """The rule editor as a test sees it: the text it holds (the draft) and its component key."""

    def __init__(self, at: AppTest) -> None:
        draft = at.session_state["rc.rule_drafts"][NAME]
        self.key = f"rules.editor.{NAME}.{draft['gen']}"
        self.value = draft["text"]


def editor(at: AppTest) -> Editor:
    return Editor(at)


def reason(at: AppTest):
    (box,) = [t for t in at.text_input if str(t.key).startswith(f"rules.reason.{NAME}.")]
    return box


def save_button(at: AppTest):
    return at.button(key=f"rules.save.{NAME}")


def typed(at: AppTest, text: str) -> AppTest:
    """What the code editor sends when typing stops: a new event id and the whole text."""
    typed.n += 1  # type: ignore[attr-defined]
    event = {
        "id": f"t{typed.n}",
        "type": "change",
        "lang": "yaml",
        "text": text,
        "selected": "",
        "cursor": {},
    }  # type: ignore[attr-defined]
    at.session_state[editor(at).key] = event
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


typed.n = 0  # type: ignore[attr-defined]


def impacts(at: AppTest) -> list[tuple[str, str, str]]:
    pattern = r'data-scenario="([^"]+)" data-old="([a-z_]+)" data-new="([a-z_]+)"'
    return [m for x in at.markdown for m in re.findall(pattern, x.value)]


def plain(text: str) -> str:
    """Markdown without its backslash escapes."""
    return re.sub(r"\\(.)", r"\1", text)


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def codes(at: AppTest) -> str:
    return "\n".join(c.value for c in at.code)


# --- reading --------------------------------------------------------------------------------------


def test_a_rule_set_reads_as_text_with_the_law_beside_each_rule(db_url, home):
    at = rules_page()
    page = plain(texts(at))
    assert "Criterion 2(a): internal repression" in page
    assert "Deny if there is a clear risk the items might be used for internal repression" in page
    assert (
        "reads Gross human-rights violations by the unit (`unit.credible_gvhr_information`)" in page
    )  # the rule beside the law, by title and by name
    assert re.search(r"`baseline\.yaml:\d+`", page)  # each element names its line in the file
    assert "](https://thearmstradetreaty.org)" in page and "Left to human judgement" in page
    assert "Prohibited** (refusal code 1a) when UN arms embargo (`embargo.un`) is yes" in page


# --- the editing journey --------------------------------------------------------------------------


def test_edit_invalid_then_fix_then_preview_then_save(db_url, home):
    path = home / "rules" / NAME
    original = path.read_text()
    at = rules_page()
    assert editor(at).value == original
    assert save_button(at).disabled  # nothing changed yet

    # 1. an invalid edit: the problem is shown at its line, the text is kept, saving is off
    bad, line = broken(original)
    typed(at, bad)
    assert "1 problem: this text cannot be saved until it is fixed" in errors(at)
    assert f"**Line {line}, column" in texts(at) and "RC201" in texts(at)
    assert f"> {line} |   floor_gapp: 2" in codes(at)
    assert editor(at).value == bad and at.session_state["rc.rule_drafts"][NAME]["text"] == bad
    assert save_button(at).disabled
    at.switch_page("views/assess.py").run()  # leave the page and come back: the text is still there
    at.switch_page("views/rules.py").run()
    assert editor(at).value == bad

    # 2. fix it with a real change: the impact preview names the scenario that changes
    edited = lowered(original)
    typed(at, edited)
    assert not at.error
    assert "Valid: no problem found." in [s.value for s in at.success]
    assert impacts(at) == [(CHANGES, "approve_with_conditions", "deny")]
    assert "What this edit changes: 1 of 2 scenarios change outcome" in plain(texts(at))
    (table,) = [df.value for df in at.dataframe if "Decision after" in df.value.columns]  # first, compact
    assert (
        table.to_dict("records")
        == [
            {
                "Scenario": CHANGES,
                "Decision now": "Approve with conditions",
                "Decision after": "Deny",
                "Refusal codes now": "none",
                "Refusal codes after": table["Refusal codes after"][0],
            }
        ]
        and table["Refusal codes after"][0] != "none"
    )
    assert "The version is still" in plain(texts(at))  # a semantic change should carry a new version
    assert "thresholds.clear_risk.deny: 3 -> 1.5" in plain(texts(at))
    assert path.read_text() == original  # previewing writes nothing
    assert not save_button(at).disabled

    # 3. save without a reason is refused; with one, it is saved, kept and recorded
    save_button(at).click().run()
    assert "say why you make this change" in errors(at)
    assert path.read_text() == original and editor(at).value == edited
    reason(at).input("Lower the clear-risk thresholds after the 2025 review").run()
    save_button(at).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert path.read_text() == edited
    (copy,) = (home / "rules" / ".versions").glob(f"{NAME}.*.bak")
    assert copy.read_text() == original and copy.name.endswith(f".{sha256_text(original)[:12]}.bak")
    (edit,) = History(db_url).rule_edits()
    assert edit.user == getpass.getuser() and edit.auth == "this computer (no sign-in)"
    assert edit.reason == "Lower the clear-risk thresholds after the 2025 review"
    assert (edit.sha256_before, edit.sha256_after) == (sha256_text(original), sha256_text(edited))
    page = texts(at)
    assert f"recorded as rule edit #{edit.id}" in page
    assert (
        editor(at).value == edited and save_button(at).disabled
    )  # the editor now starts from the saved file

    # 4. the saved rules are the ones the app applies
    at.switch_page("views/assess.py").run()
    at.radio(key="start.kind").set_value("A bundled scenario").run()
    at.selectbox(key="start.scenario").set_value(str(home / "scenarios" / f"{CHANGES}.yaml")).run()
    at.button(key="start.open").click().run()
    assert decision(at) == "deny"


def test_the_edit_log_lists_the_edit_and_exports_it(db_url, home):
    path = home / "rules" / NAME
    at = rules_page()
    typed(at, lowered(path.read_text()))
    reason(at).input('=HYPERLINK("http://evil")').run()
    save_button(at).click().run()
    at.run()
    frame = next(d for d in at.dataframe if "Who" in d.value.columns)
    assert frame.value["Why"].tolist() == ['=HYPERLINK("http://evil")']  # shown as typed
    assert "1 rule edits recorded; hash chain intact." in texts(at)
    from riskcheck.rule_edits import edits_csv

    assert "'=HYPERLINK" in edits_csv(History(db_url).rule_edits())  # the CSV neutralises it


def test_an_earlier_version_is_restored_in_one_step_with_its_own_impact_and_reason(db_url, home):
    path = home / "rules" / NAME
    original = path.read_text()
    at = rules_page()
    typed(at, lowered(original))
    reason(at).input("Lower the thresholds").run()
    save_button(at).click().run()
    at.run()
    assert path.read_text() == lowered(original)
    (edit,) = History(db_url).rule_edits()
    # the Edit log offers the version before that edit, with what restoring it would change
    assert at.selectbox(key=f"rules.restore.{NAME}").value == edit.id
    page = plain(texts(at))
    assert "What restoring it changes: 1 of 2 scenarios change outcome" in page
    tables = [df.value for df in at.dataframe if "Decision after" in df.value.columns]
    assert [
        (r["Scenario"], r["Decision now"], r["Decision after"]) for r in tables[-1].to_dict("records")
    ] == [(CHANGES, "Deny", "Approve with conditions")]  # the edit's own change, backwards
    assert at.text_input(key=f"rules.restore.reason.{NAME}.{edit.id}").value.startswith(
        f"Restore the version before edit #{edit.id}"
    )
    at.button(key=f"rules.restore.go.{NAME}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert path.read_text() == original
    restored = History(db_url).rule_edits()[0]
    assert restored.id != edit.id and restored.text_after == original
    assert restored.reason.startswith(f"Restore the version before edit #{edit.id}")
    assert any(f"recorded as rule edit #{restored.id}" in s.value for s in at.success)


def test_a_failed_save_leaves_the_original_file_intact(db_url, home, monkeypatch):
    path = home / "rules" / NAME
    before = path.read_bytes()
    at = rules_page()
    typed(at, lowered(before.decode()))
    reason(at).input("a reason").run()
    import riskcheck.history as history

    def fail(self, **_kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(history.History, "record_rule_edit", fail)
    save_button(at).click().run()
    assert not at.exception
    assert "Not saved: the edit could not be recorded (RuntimeError: disk full)" in plain(errors(at))
    assert path.read_bytes() == before
    assert editor(at).value == lowered(before.decode())  # the text is kept
    assert not list((home / "rules").glob(".*.tmp"))


# --- two sessions ---------------------------------------------------------------------------------


def test_the_second_of_two_sessions_gets_a_conflict_and_keeps_its_text(db_url, home):
    path = home / "rules" / NAME
    original = path.read_text()
    a, b = rules_page(), rules_page()
    mine_a = lowered(original)
    mine_b = original.replace("stale_after_days: 730", "stale_after_days: 365")
    assert mine_b != original
    typed(a, mine_a)
    typed(b, mine_b)
    reason(a).input("A's change").run()
    reason(b).input("B's change").run()
    save_button(a).click().run()
    assert path.read_text() == mine_a

    save_button(b).click().run()
    assert not b.exception
    shown = plain(errors(b))
    assert "Not saved: someone else saved baseline.yaml after you started editing" in shown
    assert "changed since your edit started from sha256" in shown
    assert editor(b).value == mine_b  # B's text is kept
    assert path.read_text() == mine_a  # A's change stands: no lost update
    assert [e.reason for e in History(db_url).rule_edits()] == ["A's change"]
    assert "-stale_after_days: 730" not in codes(b) and "+  stale_after_days: 365" in codes(b)

    # B decides, having seen the file now, to save over it: that is an explicit second step
    b.button(key=f"rules.rebase.{NAME}").click().run()
    assert not b.error
    save_button(b).click().run()
    assert path.read_text() == mine_b
    assert [e.reason for e in History(db_url).rule_edits()] == ["B's change", "A's change"]


# --- who may do what ------------------------------------------------------------------------------


def test_read_only_hides_editing(db_url, home, monkeypatch):
    monkeypatch.setenv("RISKCHECK_READ_ONLY", "1")
    at = rules_page()
    assert "rc.rule_drafts" not in at.session_state  # no editor was drawn
    assert not [b for b in at.button if str(b.key).startswith("rules.save.")]
    assert "This deployment is read-only" in texts(at)
    assert "Criterion 2(a): internal repression" in plain(texts(at))  # reading still works


def test_an_unauthorised_user_can_try_an_edit_but_not_save_it(db_url, home, monkeypatch):
    monkeypatch.setenv("RISKCHECK_AUTH", "oidc")
    monkeypatch.setenv("RISKCHECK_REVIEWERS", "alice@example.org")
    path = home / "rules" / NAME
    original = path.read_text()
    at = rules_page(user={"is_logged_in": True, "email": "mallory@example.org"})
    assert "mallory@example.org is not a named reviewer" in plain("\n".join(w.value for w in at.warning))
    typed(at, lowered(original))
    assert impacts(at) == [(CHANGES, "approve_with_conditions", "deny")]  # the preview still works
    assert save_button(at).disabled

    # The check is made again when saving: a session that showed Save to a reviewer refuses it
    # once the user is no longer one.
    at.user = {"is_logged_in": True, "email": "alice@example.org"}
    at.run()
    reason(at).input("try").run()
    assert not save_button(at).disabled
    at.user = {"is_logged_in": True, "email": "mallory@example.org"}
    save_button(at).click().run()
    assert "Not saved: mallory@example.org is not a named reviewer" in plain(errors(at))
    assert path.read_text() == original and History(db_url).rule_edits() == []


def test_a_named_reviewer_saves_and_the_edit_names_them(db_url, home, monkeypatch):
    monkeypatch.setenv("RISKCHECK_AUTH", "oidc")
    monkeypatch.setenv("RISKCHECK_REVIEWERS", "Alice@Example.org")
    at = rules_page(user={"is_logged_in": True, "email": "alice@example.org"})
    typed(at, lowered((home / "rules" / NAME).read_text()))
    reason(at).input("review 2025").run()
    save_button(at).click().run()
    (edit,) = History(db_url).rule_edits()
    assert (edit.user, edit.auth) == ("alice@example.org", "OpenID Connect sign-in")


def test_sign_in_is_required_when_configured(db_url, home, monkeypatch):
    monkeypatch.setenv("RISKCHECK_AUTH", "oidc")
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.user = {"is_logged_in": False}
    at.run()
    assert "Sign in to use riskcheck." in texts(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not [t.value for t in at.title if t.value != "riskcheck"]  # no page was drawn


def test_a_proxy_deployment_without_the_header_shows_nothing(db_url, home, monkeypatch):
    monkeypatch.setenv("RISKCHECK_AUTH", "proxy")
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.run()
    assert "No user was named by the X-Forwarded-User header" in texts(at)
    assert not at.button


# --- confinement ----------------------------------------------------------------------------------


@pytest.mark.parametrize("asked", ["../pyproject.toml", "/etc/passwd", "../scenarios/" + STAYS + ".yaml"])
def test_a_name_in_the_address_cannot_leave_the_rules_folder(db_url, home, asked):
    at = rules_page(query={"rules": asked})
    assert "Not opened:" in errors(at)
    assert at.selectbox(key="rules.file").value == NAME  # the page stays on a file of the folder
    assert "root:" not in texts(at) + codes(at)


def test_a_name_in_the_address_opens_a_rule_file_of_the_folder(db_url, home):
    at = rules_page(query={"rules": "att-minimum.yaml"})
    assert not at.error
    assert at.selectbox(key="rules.file").value == "att-minimum.yaml"


def test_read_only_shows_a_session_only_its_own_assessments(db_url, home, monkeypatch):
    monkeypatch.setenv("RISKCHECK_READ_ONLY", "1")
    first = AppTest.from_file(str(MAIN), default_timeout=60)
    first.run()
    submit(first)  # assesses the bundled scenario it opened on: recorded
    second = AppTest.from_file(str(MAIN), default_timeout=60)
    second.run()
    submit(second)
    assert History(db_url).count() == 2  # both were recorded ...
    for at in (first, second):
        at.switch_page("views/history.py").run()
        assert not at.exception, [e.value for e in at.exception]
        (table,) = [d for d in at.dataframe if "#" in d.value.columns]
        own = at.session_state["rc.last_record"]
        assert table.value["#"].tolist() == [own]  # ... but each session lists only its own
    # the sidebar's "a saved assessment" list is limited the same way
    second.switch_page("views/assess.py").run()
    second.radio(key="start.kind").set_value("A saved assessment").run()
    (option,) = second.selectbox(key="start.record").options
    assert option.startswith(f"#{second.session_state['rc.last_record']} ")
