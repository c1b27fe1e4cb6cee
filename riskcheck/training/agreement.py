"""Agreement statistics for a class: the share agreeing with the tool, and Fleiss' kappa.

Pure functions over counts; exact arithmetic (``fractions.Fraction``) so that a test can
compare with a result worked out by hand.

**Share agreeing.** For one criterion at one stage: the trainees whose level equals the
tool's, over the trainees who gave a level (a criterion left unanswered is not counted
either way).

**Fleiss' kappa** (J. L. Fleiss, "Measuring nominal scale agreement among many raters",
*Psychological Bulletin* 76(5), 1971, 378-382) measures how far the raters agree with each
other beyond what their overall mix of answers would give by chance. It says nothing about
agreement with the tool. For ``N`` subjects (e.g. the stages of an exercise), each rated by
``n`` raters (the trainees) into one of ``k`` categories (the decisions), with ``n_ij`` the
number of raters who put subject ``i`` in category ``j``::

    P_i   = (sum_j n_ij^2 - n) / (n (n - 1))     share of rater pairs agreeing on subject i
    P_bar = (1 / N) sum_i P_i                     observed agreement
    p_j   = (1 / (N n)) sum_i n_ij                share of all ratings in category j
    P_e   = sum_j p_j^2                           agreement expected by chance
    kappa = (P_bar - P_e) / (1 - P_e)

``kappa`` is 1 when every subject gets one answer from everybody, 0 when the raters agree
exactly as often as chance would have them, negative when less often.

Two choices beyond the 1971 paper, both stated here because they change numbers:

- A subject rated by fewer than two raters carries no information about agreement and is
  left out.
- When the number of raters differs between subjects (a trainee missed a stage), ``P_i``
  uses that subject's own ``n_i`` and ``p_j = sum_i n_ij / sum_i n_i``; with a constant ``n``
  this is exactly the formula above.

``kappa`` is undefined when ``P_e = 1`` (every rating in one category: there is no variation
for chance to explain); :func:`fleiss_kappa` then returns ``value=None``.

Bands often quoted for reading kappa (J. R. Landis and G. G. Koch, *Biometrics* 33(1), 1977):
below 0 poor, 0-0.20 slight, 0.21-0.40 fair, 0.41-0.60 moderate, 0.61-0.80 substantial,
0.81-1 almost perfect. They are conventions, not tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Kappa:
    """Fleiss' kappa with the figures it was computed from."""

    value: Fraction | None  # None when undefined (P_e = 1) or when no subject has two ratings
    observed: Fraction | None  # P_bar
    expected: Fraction | None  # P_e
    subjects: int  # subjects with at least two ratings (the N used)
    ratings: int  # ratings counted over those subjects

    @property
    def defined(self) -> bool:
        return self.value is not None

    def text(self) -> str:
        """One line for a report: 'kappa = 0.27 (fair; 6 items, 12 answers)'."""
        if self.subjects == 0:
            return "kappa: not computed (no item was answered by two trainees or more)"
        if self.value is None:
            return f"kappa: undefined (every answer falls in one category; {self._counts()})"
        return f"kappa = {float(self.value):.2f} ({landis_koch(self.value)}; {self._counts()})"

    def _counts(self) -> str:
        items = "item" if self.subjects == 1 else "items"
        return f"{self.subjects} {items}, {self.ratings} answers"


def fleiss_kappa(table: Sequence[Sequence[int]]) -> Kappa:
    """Fleiss' kappa of a subjects x categories table of counts (``table[i][j] = n_ij``)."""
    rows = [list(r) for r in table]
    width = {len(r) for r in rows}
    if len(width) > 1:
        raise ValueError("every row of the table must have one count per category")
    if any(x < 0 for r in rows for x in r):
        raise ValueError("counts cannot be negative")
    rows = [r for r in rows if sum(r) >= 2]
    if not rows:
        return Kappa(None, None, None, 0, 0)
    total = sum(sum(r) for r in rows)
    p_i = [Fraction(sum(x * x for x in r) - sum(r), sum(r) * (sum(r) - 1)) for r in rows]
    observed = sum(p_i, Fraction(0)) / len(rows)
    columns = [sum(r[j] for r in rows) for j in range(len(rows[0]))]
    expected = sum((Fraction(c, total) ** 2 for c in columns), Fraction(0))
    value = None if expected == 1 else (observed - expected) / (1 - expected)
    return Kappa(value, observed, expected, len(rows), total)


def kappa_of_ratings(subjects: Iterable[Iterable[Hashable | None]]) -> Kappa:
    """Fleiss' kappa from the ratings themselves: one list of category labels per subject
    (``None`` = not answered, ignored). Categories are those that occur."""
    counted = [Counter(x for x in s if x is not None) for s in subjects]
    categories = sorted({c for cnt in counted for c in cnt}, key=str)
    return fleiss_kappa([[cnt.get(c, 0) for c in categories] for cnt in counted])


@dataclass(frozen=True)
class Share:
    agree: int
    answered: int

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.agree, self.answered) if self.answered else None

    def text(self) -> str:
        if not self.answered:
            return "no answer"
        return f"{self.agree}/{self.answered} ({100 * self.agree / self.answered:.0f}%)"


def share_agreeing(answers: Iterable[Hashable | None], truth: Hashable) -> Share:
    """How many of the given answers (``None`` = not answered) equal ``truth``."""
    given = [a for a in answers if a is not None]
    return Share(sum(1 for a in given if a == truth), len(given))


def landis_koch(kappa: Fraction | float) -> str:
    k = float(kappa)
    if k < 0:
        return "poor: less than chance"
    for upper, word in ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial")):
        if k <= upper:
            return word
    return "almost perfect"
