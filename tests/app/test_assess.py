"""The Assess page, headless (AppTest).

Expected outcomes are reasoned from rules/baseline.yaml and the scenarios' `expected` blocks, not
copied from the engine:

- valdoria-rifles-weak-stockpile: SALW to a state whose stocks were lost to armed groups, so the
  presumption of denial applies; the unit has not demonstrated stockpile control and neither the
  pre-delivery (government EUC + no re-export + serial lists) nor the post-delivery (delivery
  verification + on-site checks or enhanced EUM) controls are offered -> deny, code 7.
- Offering those controls and establishing the unit's stockpile control meets every rebuttal item, so
  the presumption no longer requires denial -> not deny (it caps the outcome at approval with conditions).
- valdoria-rifles-rebutted without consent to on-site checks: the post-delivery rebuttal item needs
  delivery verification AND (on-site checks OR enhanced EUM); without either it is unmet, the
  presumption stands -> deny.
"""

from __future__ import annotations

import json

import yaml
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

from riskcheck import vocabulary as v
from riskcheck.app import catalog, evidence_rows
from riskcheck.app.widgets import STATUS_ICONS
from riskcheck.explain.words import DECISION_WORDS
from riskcheck.facts import FIELDS

from .conftest import (
    ROOT,
    SCENARIOS,
    decision,
    decisions,
    edit_rows,
    open_bundled,
    open_tab,
    submit,
    texts,
    wk,
)

MET, UNMET = STATUS_ICONS["met"], STATUS_ICONS["unmet"]
WEAK = SCENARIOS / "valdoria-rifles-weak-stockpile.yaml"
PRE_AND_POST = [
    "euc_government",
    "no_reexport_clause",
    "serial_number_lists",
    "delivery_verification",
    "psv_consent",
]


def test_opens_on_a_bundled_scenario_already_assessed(app):
    assert decision(app) == "deny"
    page = texts(app)
    assert "refusal criteria 7" in page
    assert "decision support" in page  # the disclaimer is part of the answer
    assert [t.label for t in app.tabs][:6] == [
        "Transfer",
        "Why",
        "What would change it",
        "Missing evidence",
        "Robustness",
        "Memo",
    ]
    page = texts(open_tab(app, "Why"))
    assert "Presumption of denial" in page
    assert "The unit's stockpile control demonstrated = no" in page.replace("\\", "")
    assert "unit.stockpile_control_demonstrated =" not in page.replace("\\", "")  # a title, not a field name


def test_the_scenario_picker_lists_each_scenario_with_its_state_and_file_name(app):
    """Typing in the picker filters on what it lists: a state's name or the file name must be in it."""
    labels = app.selectbox(key="start.scenario").options
    (karvonia,) = [x for x in labels if "Karvonia" in x]
    assert karvonia.startswith("Artillery ammunition to a state under a UN arms embargo")
    assert karvonia.endswith("karvonia-embargo")
    assert sum("Republic of Iraq" in x for x in labels) == 5


def test_the_answer_does_not_wait_for_the_what_if_analysis(app, monkeypatch):
    """The analysis runs when a tab that shows it is opened, once per case, never for the answer."""
    from riskcheck.app import state

    calls = []

    def counting(rules, scenario, **kw):
        calls.append(scenario.model.id)
        return analyse(rules, scenario, **kw)

    analyse = state.analyse
    monkeypatch.setattr(state, "analyse", counting)
    state._analysis_cached.clear()  # shared by every session in the process, other tests included
    state._context_cached.clear()
    open_bundled(app, "sarovia-donated-rifles.yaml")
    assert decision(app) == "deny"
    open_tab(app, "Why")
    assert calls == []  # the answer, the form and the drill-down need no analysis
    open_tab(app, "What would change it")
    assert calls == ["sarovia-donated-rifles"]
    assert "If you " in texts(app)
    open_tab(app, "Robustness")
    open_tab(app, "Memo")
    assert calls == ["sarovia-donated-rifles"]  # computed once, then shared
    open_tab(app, "Transfer")
    open_bundled(app, "estmark-manpads.yaml")  # a new case while the form is open: nothing computed
    assert calls == ["sarovia-donated-rifles"]


def test_controls_and_stockpile_evidence_in_the_form_lift_the_denial(app):
    before = texts(open_tab(app, "Why")).replace("\\", "")
    assert f"{UNMET} - The unit has demonstrated effective stockpile control" in before
    app.multiselect(key=wk(app, "controls")).set_value(["euc_commercial", *PRE_AND_POST])
    row = list(v.UNIT_INDICATORS).index("stockpile_control_demonstrated")
    edit_rows(app, "unit", {row: {"value": "yes"}})
    submit(app)
    assert decision(app) not in ("deny", "prohibited")
    after = texts(app).replace("\\", "")
    assert UNMET not in after  # every rebuttal item is met now
    assert f"{MET} - The unit has demonstrated effective stockpile control" in after
    assert "rebutted" in after
    # the form now shows the new case; the transfer keeps the controls offered
    assert set(PRE_AND_POST) <= set(app.multiselect(key=wk(app, "controls")).value)


def test_toggling_a_control_in_the_what_if_panel_updates_the_answer_at_once(app):
    open_bundled(app, "valdoria-rifles-rebutted.yaml")
    assert decision(app) != "deny"
    open_tab(app, "What would change it")
    app.checkbox(key=wk(app, "whatif.psv_consent")).uncheck().run()
    assert not app.exception
    main, with_controls = decisions(app)[:2]
    assert main != "deny"  # the transfer itself is unchanged
    assert with_controls == "deny"
    page = texts(app).replace("\\", "")
    assert "Delivery verification and post-shipment on-site checks" in page
    assert f"{MET} → {UNMET}" in page
    # applying it makes it the transfer (and records it)
    app.button(key=wk(app, "whatif.apply")).click().run()
    assert decision(app) == "deny"
    assert "psv_consent" not in app.multiselect(key=wk(app, "controls")).value


def test_invalid_input_is_shown_next_to_the_field_not_as_a_traceback(app):
    app.text_input(key=wk(app, "end_user")).set_value("")
    row = list(v.COUNTRY_INDICATORS).index("pts")
    edit_rows(app, "country", {row: {"value": "9"}})
    submit(app)
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any("correct the fields" in e for e in errors)
    assert any("required" in e for e in errors)
    assert "Political Terror Scale: must be at most 5" in errors
    assert decision(app) == "deny"  # the last valid answer still stands


def test_a_recipient_profile_prefills_and_an_override_is_marked(app):
    row = list(v.COUNTRY_INDICATORS).index("cpi")
    edit_rows(app, "country", {row: {"value": "75"}})
    submit(app)
    case = app.session_state["rc.case"]
    assert case["evidence"]["country"]["cpi"]["value"] == 75
    assert "profile" in case["evidence"]
    frame = open_tab(app, "Why").dataframe
    assert any("override (replaces the profile)" in str(df.value.to_dict()) for df in frame)
    assert "Profile values overridden for this transfer: Corruption Perceptions Index" in texts(
        open_tab(app, "Missing evidence")
    )  # listed among the profile values overridden


def test_changing_the_recipient_resets_the_country_evidence_to_its_profile(app):
    app.selectbox(key=wk(app, "recipient")).set_value("XNV")
    app.text_input(key=wk(app, "recipient_name")).set_value("")
    submit(app)
    case = app.session_state["rc.case"]
    assert case["transfer"]["recipient"]["country"] == "XNV"
    assert case["evidence"]["profile"] == "profiles/nordvale.yaml"
    assert "recipient changed" in texts(app)


def test_a_blank_form_can_be_filled_in_and_assessed(app):
    app.radio(key="start.kind").set_value("A blank form").run()
    app.button(key="start.open").click().run()
    assert "Describe the transfer" in texts(app)
    assert decisions(app) == []
    app.text_input(key=wk(app, "title")).set_value("Helmets to Norway")
    app.selectbox(key=wk(app, "exporter")).set_value("XNV")
    app.selectbox(key=wk(app, "recipient")).set_value("NOR")
    app.text_input(key=wk(app, "end_user")).set_value("Norwegian Army")
    app.text_input(key=wk(app, "end_use")).set_value("Personal protection")
    item = {
        "description": "Combat helmets",
        "ml_category": "ML13",
        "att_category": "not_covered",
        "sensitivity": "protective_non_lethal",
        "quantity": 500,
        "value_eur": 150000,
    }
    edit_rows(app, "items", {}, added=[item])
    submit(app)
    assert not [e.value for e in app.error]
    assert decision(app)  # assessed
    case = app.session_state["rc.case"]
    assert case["transfer"]["recipient"]["name"] == "Kingdom of Norway"  # from pycountry
    assert "profile" not in case["evidence"]
    # no evidence about Norway was entered: it is missing, never good news
    assert "could change the decision" in texts(app).lower() or app.dataframe


def test_the_rule_set_can_be_chosen_from_rules_folder(app):
    options = app.selectbox(key="rc.rules_choice").options
    assert any("baseline" in o for o in options)


def test_explanation_has_factor_table_chart_and_linked_citations(app):
    open_tab(app, "Why")
    charts = app.get("vega_lite_chart")
    assert len(charts) == 2
    spec = json.dumps([json.loads(c.proto.spec) for c in charts])
    assert '"residual"' in spec and '"contribution"' in spec
    data = " ".join(
        str(convert_arrow_bytes_to_pandas_df(ds.data.data).to_dict())
        for c in charts
        for ds in c.proto.datasets
    )
    assert "Past conduct: items from its stocks found with unauthorised users" in data  # a factor
    assert "Criterion 7" in data or "diversion and re-export" in data
    frames = [df.value for df in app.dataframe]
    factor_tables = [f for f in frames if "Contribution" in f.columns]
    assert factor_tables
    joined = " ".join(str(f.to_dict()) for f in factor_tables)
    assert "rules/baseline.yaml:" in joined  # the rule line
    assert "Training tracing report (fictional), 2024" in joined  # evidence source
    assert "https://" in joined  # a citation link where the rule set gives a URL
    assert "](https://thearmstradetreaty.org)" in texts(app)


def test_counterfactuals_missing_evidence_and_robustness_are_shown(app):
    page = texts(open_tab(app, "What would change it")).replace("\\", "")
    assert "If you " in page and "instead of 'Deny'" in page
    open_tab(app, "Robustness")
    assert "The decision holds in" in [m.label for m in app.metric]
    assert any("holds in" in m.value and "draws" in m.value for m in app.markdown)


def test_memo_downloads_are_offered(app):
    open_tab(app, "Memo")
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["Download memo (Markdown)", "Download memo (printable HTML)"]
    app.toggle(key="memo.preview").set_value(True).run()
    memo = next(m.value for m in app.markdown if m.value.startswith("# Assessment:"))
    assert "## What would change the outcome" in memo
    assert "## Provenance" in memo
    assert "## Input (scenario as assessed)" in memo


def test_missing_evidence_lists_every_item_by_its_title_those_that_could_change_it_first(app):
    """The unit's whole record left blank: each unit indicator the baseline reads is missing, plus the
    one country indicator Valdoria's profile lacks (absorptive capacity) and the record of controls
    tried with Valdoria, which the scenario does not keep. Each is listed once, by its title, and the
    ones that could change the decision come first."""
    blank = {i: {"value": None, "confidence": None, "source": None} for i in range(len(v.UNIT_INDICATORS))}
    edit_rows(app, "unit", blank)
    submit(app)
    open_tab(app, "Missing evidence")
    (table,) = [df.value for df in app.dataframe if "Evidence" in df.value.columns]
    expected = {f"unit.{k}" for k in v.UNIT_INDICATORS} | {
        "country.absorptive_capacity_exceeded",
        "controls.record",
    }
    assert set(table["Field"]) == expected and len(table) == len(expected)
    assert set(table["Evidence"]) == {FIELDS[f].title for f in expected}
    could = list(table["Could change the decision"])
    assert could == sorted(could, key=lambda x: x != "yes")  # every "yes" before every "no"
    assert f"{len(expected)} items of evidence missing" in texts(app)
    assert "No evidence is contested." in texts(app)


def test_headings_do_not_repeat_and_the_form_shows_indicator_titles(app):
    page = texts(open_tab(app, "Why")).replace("\\", "")
    assert "Presumption of denial: SALW to destinations whose stocks were lost to armed groups" in page
    assert "Presumption of denial: Presumption of denial" not in page
    from riskcheck.app.transfer_form import EVIDENCE_ORDER, _evidence_frame

    frame = _evidence_frame(evidence_rows.evidence_rows(catalog.scenario_data(WEAK), "country"), "country")
    assert frame["title"][list(v.COUNTRY_INDICATORS).index("pts")] == "Political Terror Scale"
    assert "indicator" not in EVIDENCE_ORDER  # the raw name is not a column anyone reads


def test_a_residual_over_the_deny_threshold_that_only_refers_is_marked_pending_evidence(app):
    """estmark-unvetted-border-guard: 2(a) reaches the deny threshold only through the unit's unknown
    record, so the engine refers it; the chart names that instead of colouring it like any referral."""
    open_bundled(app, "estmark-unvetted-border-guard.yaml")
    a = app.session_state["rc.built"][1].scenario
    from riskcheck import assess, load_rules
    from riskcheck.app.charts import risk_chart
    from riskcheck.app.widgets import PENDING

    result = assess(load_rules(ROOT / "rules" / "baseline.yaml"), a)
    spec = risk_chart(result).to_dict()
    rows = next(iter(spec["datasets"].values()))
    pending = {r["criterion"] for r in rows if r["level"] == PENDING}
    expected = {
        f"{c.refusal_code} {c.title.split(':', 1)[-1].strip()}"
        for c in result.criteria
        if c.level == "refer" and c.residual >= dict(c.thresholds).get("deny", 99)
    }
    assert pending == expected and pending


def test_choosing_a_recipient_fills_the_evidence_from_its_profile_at_once(app):
    """A blank form: choosing Valdoria (which has a bundled profile) fills the country table before
    anything is assessed, and again after a refused submission; a value typed into that table is kept."""
    app.radio(key="start.kind").set_value("A blank form").run()
    app.button(key="start.open").click().run()
    assert "No bundled profile for this recipient" in texts(app)
    app.selectbox(key=wk(app, "recipient")).set_value("XVL").run()
    assert not app.exception
    profile = yaml.safe_load((SCENARIOS / "profiles" / "valdoria.yaml").read_text())["indicators"]
    rows = {r["indicator"]: r for r in app.session_state[wk(app, "rows.country")]}
    assert {k for k, r in rows.items() if r["origin"] == "profile"} == set(profile)
    assert rows["pts"]["value"] == str(profile["pts"]["value"])
    assert "Pre-filled from the profile of Republic of Valdoria" in texts(app)
    submit(app)  # refused: no title, exporter, items ...
    assert app.session_state["rc.errors"]
    assert "Pre-filled from the profile of Republic of Valdoria" in texts(app)
    # the officer overrides the corruption index, completes the form and assesses
    edit_rows(app, "country", {list(v.COUNTRY_INDICATORS).index("cpi"): {"value": "12"}})
    app.text_input(key=wk(app, "title")).input("Rifles for Valdoria")
    app.selectbox(key=wk(app, "exporter")).set_value("XNV")
    app.text_input(key=wk(app, "end_user")).input("Valdorian Army")
    app.text_input(key=wk(app, "end_use")).input("Re-equipping")
    item = {"description": "Rifles", "ml_category": "ML1", "att_category": "small_arms_light_weapons"}
    app.session_state[wk(app, "items")] = {
        "edited_rows": {},
        "added_rows": [{**item, "sensitivity": "salw", "quantity": 100}],
        "deleted_rows": [],
    }
    submit(app)
    assert not app.session_state["rc.errors"], app.session_state["rc.errors"]
    case = app.session_state["rc.case"]
    assert case["evidence"]["profile"] == "profiles/valdoria.yaml"
    assert list(case["evidence"]["country"]) == ["cpi"] and case["evidence"]["country"]["cpi"]["value"] == 12


def test_a_licence_of_several_lines_shows_each_lines_decision(app):
    """Body armour and rifles on one licence (corvania-mixed-licence): the answer is the rifles'
    refusal, and a table beside it gives each line's own decision, what its items are for in words,
    and which line the detail shows. The scenario's expected lines say approve with conditions, deny."""
    open_bundled(app, "corvania-mixed-licence.yaml")
    (lines,) = [df.value for df in app.dataframe if "For" in df.value.columns]
    assert list(lines["Line"]) == [1, 2]
    assert list(lines["Decision"]) == [DECISION_WORDS["approve_with_conditions"], DECISION_WORDS["deny"]]
    assert list(lines["For"]) == [
        v.CAPABILITIES[c].title for c in ("protective_non_lethal", "small_arms_light_weapons")
    ]
    assert list(lines["Refusal criteria"]) == ["", "3"]
    assert "the trace below is line 2" in texts(app).lower()


def test_each_line_shows_how_the_embargo_reads_on_it(app):
    """corvania-embargo-mixed-licence: a UN embargo on Corvania with a derogation for protective
    equipment (conditions met for the body armour). The item-line table says, line by line, which
    embargo applies and which does not; 'Why each line' names the derogation and its conditions.
    The rifles are prohibited (outside the derogation), the body armour approved with conditions."""
    open_bundled(app, "corvania-embargo-mixed-licence.yaml")
    (lines,) = [df.value for df in app.dataframe if "Embargoes" in df.value.columns]
    assert list(lines["Decision"]) == [
        DECISION_WORDS["prohibited"],
        DECISION_WORDS["approve_with_conditions"],
    ]
    assert list(lines["Embargoes"]) == [
        "UN embargo un-corvania-2025b: applies",
        "UN embargo un-corvania-2025b: does not apply",
    ]
    said = texts(app).replace("\\", "")  # the markdown escapes '_' and '-'
    assert "within derogation protective: conditions met" in said
    assert "humanitarian_or_protective_use: met, committee_notification: met" in said
