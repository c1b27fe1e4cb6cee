"""What-if analysis on the minimal rule set, worked by hand from its thresholds
(clear_risk conditions 1.5 / refer 2.5 / deny 3; floor_gap 1; cpi bands <30:4, 30-60:2, >=60:0)."""

from __future__ import annotations

import datetime as dt

from riskcheck.whatif import Context, counterfactuals, rank_missing, robustness
from tests.conftest import build, indicator


def context(scenario_edit=None, rules_edit=None) -> Context:
    return Context(*build(scenario_edit, rules_edit))


def corrupt(s):
    s["evidence"]["country"]["cpi"] = indicator(10)  # div: mean 2, floor 3 -> deny


def test_counterfactuals_are_the_smallest_changes_that_move_the_decision():
    ctx = context(corrupt)
    assert ctx.base.decision == "deny"
    found = {(tuple((c.field, c.value) for c in cf.changes), cf.decision) for cf in counterfactuals(ctx)}
    # cpi 30 scores 2 (mean 1, floor 1 -> 1 < 1.5): plain approval. cpi 60 scores 0: approval.
    assert (((("country.cpi", 30),), "approve")) in found
    assert (((("country.cpi", 60),), "approve")) in found
    # A government EUC credits 0.5: residual 2.5 = refer threshold -> refer.
    assert (((("transfer.controls", "euc_government"),), "refer")) in found
    # PSV alone is not credited (it requires the EUC), so it is not a single-change counterfactual.
    assert not any(ch == (("transfer.controls", "psv_consent"),) for ch, _ in found)
    assert all(len(ch) == 1 for ch, _ in found)  # minimal: no pair when singles exist


def test_counterfactual_sentences_read_plainly():
    cfs = counterfactuals(context(corrupt))
    assert cfs[0].decision == "approve"  # least severe outcome first
    assert cfs[0].sentence.startswith("If you ") and cfs[0].sentence.endswith("instead of 'Deny'.")


def test_no_counterfactuals_for_an_approval_or_a_prohibition():
    assert counterfactuals(context()) == []

    def embargo(s):
        s["evidence"]["embargoes"]["in_force"] = [
            {
                "id": "un",
                "authority": "UN",
                "legal_act": "res",
                "source": "t",
                "scope": "whole_state",
                "start": dt.date(2025, 1, 1),
            }
        ]

    ctx = context(embargo)
    assert ctx.base.decision == "prohibited" and counterfactuals(ctx) == []


def test_rank_missing_puts_decisive_gaps_first():
    def gaps(s):
        s["evidence"]["country"].pop("cpi")  # worst case 4 -> deny; if known it could be approve
        s["evidence"]["country"].pop("hdi")  # assumed 2 = consider's conditions threshold

    ctx = context(gaps)
    # the worst case for cpi reaches denial, but a denial may not rest on the gap alone: referred
    assert ctx.base.decision == "refer"
    ranked = rank_missing(ctx)
    assert [m.field for m in ranked] == ["country.cpi", "country.hdi"]
    # best case for cpi leaves the assumed HDI (2 = consider's conditions threshold): approval with
    # conditions; worst case: an established risk, denied
    assert ranked[0].could_change and ranked[0].decisions_if_known == ("approve_with_conditions", "deny")
    assert not ranked[1].could_change  # with cpi missing the case is referred whatever the HDI is


def test_robustness_needs_declared_ranges():
    r = robustness(context())
    assert not r.declared and r.draws == 0


def test_robustness_on_a_case_exactly_on_the_threshold():
    def on_threshold(s):
        s["evidence"]["country"]["internal_conflict"] = indicator("minor")  # scores 3 = deny threshold

    def declare(r):
        r["policy"]["robustness"] = {"weight_spread": 0.2, "threshold_spread": 0.25}

    ctx = context(on_threshold, declare)
    assert ctx.base.decision == "deny"
    r = robustness(ctx, draws=400, seed=1)
    # The single-factor criterion's risk ignores its weight; the deny threshold moves uniformly in [2.75, 3.25]:
    # the decision holds in about half the draws, and the threshold of 'conf' matters most.
    assert r.declared and 0.35 < r.holds < 0.65
    assert r.most_influential == "threshold conf"
    assert dict(r.decisions).keys() == {"deny", "refer"}
    assert robustness(ctx, draws=400, seed=1) == r  # seeded: reproducible


def test_robustness_of_a_clear_case_is_total():
    def declare(r):
        r["policy"]["robustness"] = {"weight_spread": 0.25, "threshold_spread": 0.25}

    r = robustness(context(None, declare), draws=200)
    assert r.holds == 1.0 and r.most_influential is None
