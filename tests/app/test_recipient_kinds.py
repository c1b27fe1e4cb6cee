"""The form picks the kind of recipient and the kind of request (issue 14), headless (AppTest).

Expected outcomes are reasoned from the files, not taken from the engine:

- The app opens on valdoria-rifles-weak-stockpile (the army's 9th Division: deny, the presumption of
  denial on looted stocks). Choosing the Southern Region of Valdoria (a sub-state authority, its own
  profile) as the recipient reads the region's own record: its stocks were never lost, so the
  presumption does not apply, and its stockpile scales are 3/3; the country's corruption (35, the
  host's) still gives Criterion 7 a floor of 2.0 (conditions). Nothing reaches denial: approve with
  conditions.
- tervia-reexport-consent-apcs is a consent to re-export from Estmark (approve with conditions under
  the baseline). Recording that the holder broke an undertaking refers it (reexport-holder-breaches);
  turning the request into a plain export drops the holder.
"""

from __future__ import annotations

from .conftest import decision, open_bundled, submit, texts, wk


def test_the_form_picks_a_regional_authority_read_on_its_own_record(app):
    assert decision(app) == "deny"
    picker = app.selectbox(key=wk(app, "profile.XVL"))
    assert picker.label == "Kind of recipient" and len(picker.options) == 2  # the state, the region
    picker.set_value("profiles/valdoria-southern-region.yaml").run()
    app.selectbox(key=wk(app, "end_user_type")).set_value("sub_state_authority")
    app.text_input(key=wk(app, "end_user")).set_value("Southern Region of Valdoria")
    submit(app)
    case = app.session_state["rc.case"]
    assert case["evidence"]["profile"] == "profiles/valdoria-southern-region.yaml"
    assert decision(app) == "approve_with_conditions"
    assert "Recipient: Southern Region of Valdoria and its Regional Guard" in texts(app)


def test_an_end_user_that_does_not_fit_the_kind_is_shown_at_the_field(app):
    app.selectbox(key=wk(app, "profile.XVL")).set_value("profiles/valdoria-southern-region.yaml").run()
    submit(app)  # the end user is still the army's 9th Division
    assert "does not fit profile 'valdoria-southern-region'" in texts(app)


def test_the_form_picks_the_kind_of_request_and_the_holders_record(app):
    open_bundled(app, "tervia-reexport-consent-apcs.yaml")
    assert decision(app) == "approve_with_conditions"
    assert app.selectbox(key=wk(app, "transfer_kind")).value == "reexport_consent"
    assert app.selectbox(key=wk(app, "holder_country")).value == "XEM"
    assert app.selectbox(key=wk(app, "holder_record")).value == "compliance_confirmed"
    assert "holder Kingdom of Estmark" in texts(app)  # "Consent to re-export: ..." (escaped)
    app.selectbox(key=wk(app, "holder_record")).set_value("breaches_found")
    submit(app)
    holder = app.session_state["rc.case"]["transfer"]["holder"]
    assert [r["result"] for r in holder["control_record"]] == ["undertaking_broken"]
    assert decision(app) == "refer"
    app.selectbox(key=wk(app, "transfer_kind")).set_value("export")
    submit(app)
    transfer = app.session_state["rc.case"]["transfer"]
    assert "holder" not in transfer and "kind" not in transfer
