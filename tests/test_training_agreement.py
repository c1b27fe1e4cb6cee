"""Fleiss' kappa and the share agreeing, against results worked out by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest

from riskcheck.training.agreement import fleiss_kappa, kappa_of_ratings, landis_koch, share_agreeing

# The worked example of Fleiss' kappa used in textbooks and on Wikipedia ("Fleiss' kappa"):
# 10 subjects, each rated by the same 14 raters into 5 categories; n_ij below.
TEXTBOOK = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_of_the_textbook_example_by_hand():
    # n = 14 raters, so n(n-1) = 182, and P_i = (sum_j n_ij^2 - 14) / 182:
    #   sums of squares per row: 196, 60, 70, 94, 74, 98, 58, 46, 66, 66
    #   numerators (minus 14):   182, 46, 56, 80, 60, 84, 44, 32, 52, 52  -> total 688
    #   P_bar = 688 / (182 * 10) = 688/1820 = 172/455 = 0.378...
    # column totals (N n = 140 ratings): 20, 28, 39, 21, 32
    #   P_e = (20^2 + 28^2 + 39^2 + 21^2 + 32^2) / 140^2 = (400 + 784 + 1521 + 441 + 1024) / 19600
    #       = 4170/19600 = 417/1960 = 0.2128
    # kappa = (172/455 - 417/1960) / (1 - 417/1960); over the common denominator 25480:
    #       = (9632 - 5421) / (25480 - 5421) = 4211/20059 = 0.2099 (the textbook's 0.210)
    k = fleiss_kappa(TEXTBOOK)
    assert k.observed == Fraction(172, 455)
    assert k.expected == Fraction(417, 1960)
    assert k.value == Fraction(4211, 20059)
    assert round(float(k.value), 3) == 0.210
    assert (k.subjects, k.ratings) == (10, 140)
    assert k.text() == "kappa = 0.21 (fair; 10 items, 140 answers)"


def test_the_same_example_from_ratings_gives_the_same_kappa():
    ratings = [[c for c, n in enumerate(row) for _ in range(n)] for row in TEXTBOOK]
    assert kappa_of_ratings(ratings).value == Fraction(4211, 20059)


def test_two_raters_two_subjects_by_hand():
    # stage 0: deny, refer -> P = 0; stage 1: deny, deny -> P = 1; P_bar = 1/2
    # p_deny = 3/4, p_refer = 1/4 -> P_e = 10/16 = 5/8; kappa = (1/2 - 5/8) / (3/8) = -1/3
    k = kappa_of_ratings([["deny", "refer"], ["deny", "deny"]])
    assert (k.observed, k.expected, k.value) == (Fraction(1, 2), Fraction(5, 8), Fraction(-1, 3))
    assert k.text() == "kappa = -0.33 (poor: less than chance; 2 items, 4 answers)"


def test_complete_agreement_with_variation_is_one():
    assert kappa_of_ratings([["a", "a", "a"], ["b", "b", "b"]]).value == 1


def test_kappa_is_undefined_when_every_answer_is_the_same():
    k = kappa_of_ratings([["deny", "deny"], ["deny", "deny"]])
    assert k.value is None and k.observed == 1 and k.expected == 1
    assert "undefined" in k.text()


def test_subjects_with_fewer_than_two_ratings_are_left_out():
    # the second subject has one rating (the other trainee skipped it): it says nothing about agreement
    k = kappa_of_ratings([["deny", "refer"], ["deny", None], ["deny", "deny"]])
    assert k.subjects == 2 and k.value == Fraction(-1, 3)
    assert kappa_of_ratings([[None, "deny"]]).text().startswith("kappa: not computed")


def test_varying_numbers_of_raters_use_each_subjects_own_n():
    # subject 1: a, a, b (n=3): P = (4 + 1 - 3) / 6 = 1/3; subject 2: b, b (n=2): P = (4 - 2) / 2 = 1
    # P_bar = 2/3; p_a = 2/5, p_b = 3/5 -> P_e = 13/25; kappa = (2/3 - 13/25) / (12/25) = (11/75) / (36/75)
    k = kappa_of_ratings([["a", "a", "b"], ["b", "b"]])
    assert k.value == Fraction(11, 36)


def test_a_ragged_table_is_refused():
    with pytest.raises(ValueError):
        fleiss_kappa([[1, 1], [2]])
    with pytest.raises(ValueError):
        fleiss_kappa([[3, -1]])


def test_share_agreeing_ignores_unanswered():
    s = share_agreeing(["deny", None, "refer", "deny"], "deny")
    assert (s.agree, s.answered, s.value) == (2, 3, Fraction(2, 3))
    assert s.text() == "2/3 (67%)"
    assert share_agreeing([None], "deny").text() == "no answer"


@pytest.mark.parametrize(
    ("kappa", "words"),
    [(-0.01, "poor: less than chance"), (0, "slight"), (0.2, "slight"), (0.21, "fair"), (0.6, "moderate")]
    + [(0.61, "substantial"), (0.81, "almost perfect"), (1, "almost perfect")],
)
def test_landis_koch_bands_at_their_edges(kappa, words):
    assert landis_koch(kappa) == words
