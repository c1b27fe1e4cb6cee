"""Threshold and band edges: exactly on, just under, just over.

minimal.yaml: clear_risk conditions 1.5 / refer 2.5 / deny 3; consider conditions 2 / refer 3.
The 'conf' criterion has one factor scored by a table, so its risk equals the score we set.
"""

from __future__ import annotations

import pytest

from tests.conftest import indicator, run


def with_conf_score(score):
    """Make the internal-conflict table score 'minor' as ``score`` and pick 'minor'."""

    def rules(r):
        table = r["criteria"][1]["factors"][0]["table"]
        next(row for row in table if row["value"] == "minor")["score"] = score

    def scenario(s):
        s["evidence"]["country"]["internal_conflict"] = indicator("minor")

    return run(scenario, rules)


@pytest.mark.parametrize(
    ("score", "level", "decision"),
    [
        (1.49, "acceptable", "approve"),
        (1.5, "conditions", "approve_with_conditions"),  # exactly on the conditions threshold
        (1.51, "conditions", "approve_with_conditions"),
        (2.49, "conditions", "approve_with_conditions"),
        (2.5, "refer", "refer"),  # exactly on the referral threshold
        (2.99, "refer", "refer"),
        (3.0, "deny", "deny"),  # exactly on the denial threshold
        (3.01, "deny", "deny"),
        (4.0, "deny", "deny"),
    ],
)
def test_clear_risk_threshold_edges(score, level, decision):
    a = with_conf_score(score)
    conf = a.criterion("conf")
    assert conf.residual == pytest.approx(score)
    assert conf.level == level
    assert a.decision == decision


@pytest.mark.parametrize(
    ("cpi", "score"),
    [
        (0, 4),
        (29, 4),  # band [_, 30); cpi is a whole number
        (30, 2),
        (59, 2),  # band [30, 60): min is inclusive
        (60, 0),
        (100, 0),  # band [60, _)
    ],
)
def test_band_edges_min_inclusive_max_exclusive(cpi, score):
    a = run(lambda s: s["evidence"]["country"].update(cpi=indicator(cpi)))
    assert a.criterion("div").factors[0].score == score


@pytest.mark.parametrize(
    ("hdi", "level"),
    [(0.49, "refer"), (0.5, "acceptable"), (0.79, "acceptable"), (0.8, "acceptable")],
)
def test_consider_kind_edges(hdi, level):
    # hdi < 0.5 scores 3 = consider's refer threshold (exactly on); 0.5 <= hdi < 0.8 scores 1.
    a = run(lambda s: s["evidence"]["country"].update(hdi=indicator(hdi)))
    assert a.criterion("dev").level == level


def test_floor_gap_edge():
    # cpi 40 -> 2, channel ad_hoc_programme -> 4: mean 3, floor 3. Both 3: deny exactly on the threshold.
    def edit(s):
        s["evidence"]["country"]["cpi"] = indicator(40)
        s["transfer"]["channel"] = "ad_hoc_programme"

    a = run(edit)
    div = a.criterion("div")
    assert (div.weighted_mean, div.worst_factor, div.inherent) == (3, 4, 3)
    assert div.level == "deny"


def test_mitigation_never_takes_risk_below_the_scale():
    def edit(s):
        s["transfer"]["controls"] = ["euc_government", "psv_consent"]

    a = run(edit)
    assert a.criterion("div").residual == 0
    assert a.criterion("div").level == "acceptable"  # inherent 0 needed no controls: plain approval
    assert a.decision == "approve"
