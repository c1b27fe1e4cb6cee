"""Engine semantics: the order of the law, non-compensation, and honest handling of gaps.

Expected outcomes here follow from the rule text of tests/fixtures/rules/minimal.yaml
(thresholds clear_risk: conditions 1.5 / refer 2.5 / deny 3; floor_gap 1), worked by hand.
"""

from __future__ import annotations

import datetime as dt

from tests.conftest import indicator, run


def test_clean_case_is_approved_with_nothing_missing():
    a = run()
    assert a.decision == "approve"
    assert a.refusal_codes == ()
    assert a.missing == ()
    assert a.conditions == ()


def test_prohibition_is_never_averaged_away():
    # Every criterion is at zero risk; the embargo alone decides.
    def embargo(s):
        s["evidence"]["embargoes"]["in_force"] = [
            {
                "id": "un-x",
                "authority": "UN",
                "legal_act": "UNSC res. (test)",
                "scope": "whole_state",
                "start": dt.date(2024, 1, 1),
                "source": "test",
            }
        ]

    a = run(embargo)
    assert all(c.residual == 0 for c in a.criteria)
    assert a.decision == "prohibited"
    assert a.refusal_codes == ("1a",)
    assert a.reasons[0].rule_id == "un-embargo"


def test_embargo_not_yet_in_force_or_expired_does_not_prohibit():
    def embargo(start, end):
        def edit(s):
            s["evidence"]["embargoes"]["in_force"] = [
                {
                    "id": "un-x",
                    "authority": "UN",
                    "legal_act": "UNSC res. (test)",
                    "scope": "whole_state",
                    "start": start,
                    "end": end,
                    "source": "test",
                }
            ]

        return edit

    assert run(embargo(dt.date(2025, 1, 2), None)).decision == "approve"  # starts the day after
    assert (
        run(embargo(dt.date(2020, 1, 1), dt.date(2024, 12, 31))).decision == "approve"
    )  # ended the day before
    assert (
        run(embargo(dt.date(2025, 1, 1), dt.date(2025, 1, 1))).decision == "prohibited"
    )  # in force that day


def test_embargo_on_non_state_actors_does_not_cover_state_forces():
    def edit(user_type):
        def e(s):
            s["transfer"]["end_user"]["type"] = user_type
            s["evidence"]["embargoes"]["in_force"] = [
                {
                    "id": "un-nsa",
                    "authority": "UN",
                    "legal_act": "UNSC res. (test)",
                    "scope": "non_state_actors",
                    "start": dt.date(2024, 1, 1),
                    "source": "test",
                }
            ]

        return e

    assert run(edit("armed_forces")).decision == "approve"
    assert run(edit("non_state_armed_group")).decision == "prohibited"


def test_unchecked_embargoes_refer_rather_than_pass():
    def no_check(s):
        del s["evidence"]["embargoes"]

    a = run(no_check)
    assert a.decision == "refer"
    assert any(r.rule_id == "un-embargo" and "cannot be excluded" in r.text for r in a.reasons)
    assert "embargo.un" in [m.field for m in a.missing]


def test_one_severe_factor_is_not_averaged_away():
    # cpi 10 scores 4, channel g2g_with_eum scores 0: mean 2, but floor 4 - 1 = 3 reaches deny (3).
    a = run(lambda s: s["evidence"]["country"].update(cpi=indicator(10)))
    div = a.criterion("div")
    assert div.weighted_mean == 2
    assert div.inherent == 3
    assert a.decision == "deny"
    assert a.refusal_codes == ("7",)


def test_mitigation_lowers_only_mitigable_criteria_and_only_up_to_the_cap():
    def edit(s):
        s["evidence"]["country"].update(cpi=indicator(10), internal_conflict=indicator("minor"))
        s["transfer"]["controls"] = ["euc_government", "psv_consent"]

    a = run(edit)
    div, conf = a.criterion("div"), a.criterion("conf")
    assert div.inherent == 3 and div.mitigation_credited == 1 and div.residual == 2  # 0.5 + 0.75 capped at 1
    assert conf.inherent == 3 and conf.residual == 3  # not mitigable: controls change nothing
    assert a.decision == "deny" and a.refusal_codes == ("3",)


def test_mitigation_with_unmet_requirement_is_not_credited():
    def edit(s):
        s["evidence"]["country"].update(cpi=indicator(10))
        s["transfer"]["controls"] = ["psv_consent"]  # requires a government EUC too

    a = run(edit)
    psv = next(m for m in a.mitigations if m.id == "psv")
    assert psv.offered and not psv.credited and "requires" in psv.why
    assert a.criterion("div").residual == 3


def test_mitigated_risk_becomes_conditions():
    def edit(s):
        s["evidence"]["country"].update(cpi=indicator(10))
        s["transfer"]["controls"] = ["euc_government", "psv_consent"]

    a = run(edit)
    # inherent 3, credited 0.5 + 0.75 capped at 1: residual 2 lies in [conditions 1.5, refer 2.5).
    assert a.criterion("div").level == "conditions"
    assert a.decision == "approve_with_conditions"
    assert {c.text for c in a.conditions} == {"Government end-user certificate.", "On-site verification."}


def test_missing_evidence_never_lowers_risk():
    known_good = run().criterion("div").inherent
    a = run(lambda s: s["evidence"]["country"].pop("cpi"))
    div = a.criterion("div")
    assert div.inherent >= known_good
    assert div.factors[0].score == 4  # assume_worst takes the factor's highest score
    assert [m.field for m in a.missing] == ["country.cpi"]
    assert a.missing[0].treatment == "scored as the worst case"


def test_unknown_confidence_is_missing_and_flagged():
    a = run(lambda s: s["evidence"]["country"].update(cpi=indicator(None, "unknown")))
    f = a.criterion("div").factors[0]
    assert f.status == "missing" and f.score == 4
    assert f.explanation.startswith("Evidence unknown")


def test_declared_assumption_is_used_for_missing_evidence():
    a = run(lambda s: s["evidence"]["country"].pop("hdi"))
    assert a.criterion("dev").factors[0].score == 2
    assert "declared assumption" in a.missing[0].treatment


def test_contested_evidence_is_scored_on_the_worst_reading():
    a = run(lambda s: s["evidence"]["country"].update(cpi=indicator(70, "contested", alternatives=[25])))
    f = a.criterion("div").factors[0]
    assert f.status == "contested" and f.score == 4
    assert [e.field for e in a.contested] == ["country.cpi"]


def test_presumption_denies_unless_every_rebuttal_condition_is_met():
    def to_xpd(s):
        s["transfer"]["recipient"]["country"] = "XPD"

    a = run(to_xpd)
    p = a.presumptions[0]
    assert p.applies == "applies" and p.rebutted
    assert [i.status for i in p.rebuttal] == ["met", "met"]
    assert a.decision == "approve_with_conditions"  # the rebutted presumption's minimum outcome
    assert any(c.text == "Deliver only to the named unit." for c in a.conditions)

    def unmet(s):
        to_xpd(s)
        s["evidence"]["unit"]["stockpile_control_demonstrated"] = indicator(False)

    b = run(unmet)
    assert [i.status for i in b.presumptions[0].rebuttal] == ["met", "unmet"]
    assert b.decision == "deny" and b.refusal_codes == ("7",)

    def unknown(s):
        to_xpd(s)
        del s["evidence"]["unit"]["stockpile_control_demonstrated"]

    c = run(unknown)
    assert [i.status for i in c.presumptions[0].rebuttal] == ["met", "unknown"]
    assert c.decision == "deny"  # not demonstrated is not rebutted
    assert "unit.stockpile_control_demonstrated" in [m.field for m in c.missing]


def test_presumption_does_not_apply_elsewhere():
    a = run()
    assert a.presumptions[0].applies == "does_not_apply"
    assert a.missing == ()


def test_prior_denial_escalates_to_refer_and_unchecked_denials_too():
    def denial(s):
        s["evidence"]["prior_denials"]["denials"] = [
            {"by": "Partner", "date": dt.date(2023, 6, 1), "essentially_identical": True, "source": "notice"}
        ]

    assert run(denial).decision == "refer"

    def old_denial(s):  # more than three years before 2025-01-01
        s["evidence"]["prior_denials"]["denials"] = [
            {
                "by": "Partner",
                "date": dt.date(2021, 12, 31),
                "essentially_identical": True,
                "source": "notice",
            }
        ]

    assert run(old_denial).decision == "approve"

    def unchecked(s):
        del s["evidence"]["prior_denials"]

    a = run(unchecked)
    assert a.decision == "refer" and "prior_denials.identical_within_3y" in [m.field for m in a.missing]


def test_consider_criteria_refer_but_never_deny():
    a = run(lambda s: s["evidence"]["country"].update(hdi=indicator(0.3)))
    dev = a.criterion("dev")
    assert dev.residual == 3 and dev.level == "refer"
    assert a.decision == "refer" and a.refusal_codes == ()


def test_stale_and_future_evidence_is_flagged():
    def edit(s):
        s["evidence"]["country"]["cpi"]["as_of"] = dt.date(2022, 1, 1)
        s["evidence"]["country"]["hdi"]["as_of"] = dt.date(2025, 6, 1)

    a = run(edit)
    flagged = {e.field: e for e in a.stale}
    assert flagged["country.cpi"].stale and not flagged["country.cpi"].after_assessment_date
    assert flagged["country.hdi"].after_assessment_date


def test_as_of_date_changes_what_is_in_force():
    from riskcheck import assess
    from tests.conftest import rules_data, rules_from, scenario_data, scenario_from

    s = scenario_data()
    s["evidence"]["embargoes"]["in_force"] = [
        {
            "id": "un-x",
            "authority": "UN",
            "legal_act": "UNSC res. (test)",
            "scope": "whole_state",
            "start": dt.date(2025, 3, 1),
            "source": "test",
        }
    ]
    rules, scen = rules_from(rules_data()), scenario_from(s)
    assert assess(rules, scen).decision == "approve"
    later = assess(rules, scen, as_of=dt.date(2025, 3, 1))
    assert later.decision == "prohibited" and later.provenance.as_of == dt.date(2025, 3, 1)


def test_provenance_and_determinism():
    a, b = run(), run()
    assert a == b
    p = a.provenance
    assert p.rule_set_id == "minimal" and p.rule_set_version == "0.1"
    assert len(p.rules_sha256) == 64 and len(p.input_sha256) == 64
    c = run(lambda s: s["evidence"]["country"].update(cpi=indicator(79)))
    assert c.provenance.input_sha256 != p.input_sha256
    d = run(rules_edit=lambda r: r.update(version="0.2"))
    assert d.provenance.rules_sha256 != p.rules_sha256


def test_every_factor_points_back_to_its_rule_line_and_evidence():
    a = run()
    f = a.criterion("div").factors[0]
    assert f.rule_at.startswith("mem-rules.yaml:")
    assert f.evidence.at and f.evidence.at.startswith("mem-scenario.yaml:")
    assert f.cite == ("EU CP Criterion 7",)


def refer_policy_for_cpi(r):
    r["criteria"][0]["factors"][0]["missing"] = {"policy": "refer"}


def test_missing_evidence_with_refer_policy_refers_rather_than_denies():
    # cpi missing, scored at its worst (4): floor 3 would deny; were it favourable (0) the criterion would be 0.
    a = run(lambda s: s["evidence"]["country"].pop("cpi"), refer_policy_for_cpi)
    div = a.criterion("div")
    assert div.residual == 3 and div.level == "refer" and div.label.endswith("pending evidence")
    assert "referred until it is established" in div.explanation
    assert a.decision == "refer" and a.refusal_codes == ()
    assert {r.rule_id for r in a.reasons} >= {"div", "div/cpi"}


def test_refer_policy_does_not_excuse_risk_shown_by_other_evidence():
    # The channel alone (ad hoc programme: 4) sets the floor at 3: denied whatever the missing cpi would show.
    def edit(s):
        s["evidence"]["country"].pop("cpi")
        s["transfer"]["channel"] = "ad_hoc_programme"

    a = run(edit, refer_policy_for_cpi)
    assert a.criterion("div").level == "deny" and a.decision == "deny"
