"""Re-assessment from kept cases (``riskcheck.kept_case``): the records of the history database that
keep their case are replayed without reading their YAML again.

The facts of every item line of every record are built with the functions of ``facts.py`` that
loading the scenario would run (``derive`` for the transfer, ``item_facts`` for each line), from the
kept case and the recipient profile as it is now, read once per profile; cases that share a head
and a date share the transfer's facts, and equal lines the line's facts. All lines go into one
``FactTable``, which the array interpreter evaluates at once; each record takes its most severe
line's decision, as ``assess`` does. For a record whose decision changes, the decisive line's
criteria and factors are read back from the same evaluation (levels and residuals from the
interpreter's outcome, scores from the engine's ``score_fact``), for the factor lines that changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from ..engine import compile_plan
from ..engine.arrays import evaluate as evaluate_arrays
from ..engine.columns import FactTable
from ..engine.steps import score_fact, transfer_decision
from ..explain.assessment import shown_value
from ..facts import Facts, derive, indicator_facts, item_facts
from ..kept_case import Head, Line
from ..loaded import LoadedRules
from ..loader import with_shared
from ..scenario_model import Profile


@dataclass
class Kept:
    """One record to replay from its kept case."""

    row: Any  # the database row (id, as_of, decision, ...)
    head: Head  # one object per distinct head text: records that share it share the transfer's facts
    lines: tuple[Line, ...]


class Prepared:
    """A head with the recipient profile as it is now: the evidence and indicator facts ``derive``
    reads, as ``loader.scenario_from_document`` would build them from the scenario's file."""

    def __init__(self, head: Head, profile: Profile | None, profile_facts: Facts):
        country = dict(profile_facts)
        country.update(indicator_facts(head.evidence.country, None, (), "override"))
        self.country = country
        self.unit = indicator_facts(head.evidence.unit, None, (), "scenario")
        self.evidence = with_shared(head.evidence, profile)
        self.head = head

    def scenario(self, lines: Sequence[Line]) -> Any:
        """The transfer and evidence in the shape ``facts.derive`` reads."""
        h = self.head
        transfer = SimpleNamespace(
            exporter=h.exporter,
            recipient=h.recipient,
            end_user=h.end_user,
            channel=h.channel,
            controls=h.controls,
            items=list(lines),
        )
        return SimpleNamespace(transfer=transfer, evidence=self.evidence)


class Replay:
    """Every line of ``members`` evaluated under one rule set, at once."""

    def __init__(self, rules: LoadedRules, members: Sequence[Kept], prepared: dict[Head, Prepared]):
        self.plan = compile_plan(rules)
        reference = rules.embargoes
        bases: dict[tuple[Head, dt.date], Facts] = {}
        index: dict[tuple[Head, dt.date, Line], int] = {}
        self.facts: list[Facts] = []
        days: list[dt.date] = []
        self.rows: list[list[int]] = []
        for m in members:
            day = m.row.as_of
            p = prepared[m.head]
            base = bases.get((m.head, day))
            if base is None:
                base = bases[(m.head, day)] = derive(
                    p.scenario(m.lines), p.country, p.unit, {}, day, reference, None
                )
            mine = []
            for line in m.lines:
                key = (m.head, day, line)
                at = index.get(key)
                if at is None:
                    at = index[key] = len(self.facts)
                    self.facts.append(item_facts(base, line, p.evidence.patterns, None, None))
                    days.append(day)
                mine.append(at)
            self.rows.append(mine)
        self.outcome = evaluate_arrays(self.plan, FactTable.from_facts(self.facts, days))
        decided = [str(x) for x in self.outcome.decisions()]
        self.decisions: list[str] = []
        self.decisive: list[int] = []  # the row of each member's deciding line
        self.explained: dict[int, list[Any]] = {}
        for mine in self.rows:
            decision, d = transfer_decision([decided[r] for r in mine])
            self.decisions.append(decision)
            self.decisive.append(mine[d])

    def criteria(self, k: int) -> list[Any]:
        """Member k's deciding line as an assessment's criteria (what ``reassess.factor_lines`` reads):
        each criterion in effect with its level and residual, each factor with its evidence and score."""
        row = self.decisive[k]
        if row in self.explained:  # records with equal lines share them
            return self.explained[row]
        facts = self.facts[row]
        out: list[Any] = self.explained.setdefault(row, [])
        for cp in self.plan.criteria:
            cid = cp.spec.id
            if self.outcome.level[cid][row] < 0:
                continue  # not in effect on the assessment's date
            factors = []
            for fp in cp.factors:
                fact = facts[fp.input]
                evidence = SimpleNamespace(
                    field=fp.input, value=shown_value(fact), source=fact.source, as_of=fact.as_of
                )
                score = score_fact(fp, fact.value, fact.alternatives)[0]
                factors.append(
                    SimpleNamespace(id=fp.spec.id, title=fp.spec.title, evidence=evidence, score=score)
                )
            out.append(
                SimpleNamespace(
                    id=cid,
                    title=cp.spec.title,
                    refusal_code=cp.spec.refusal_code,
                    level=str(self.outcome.levels(cid)[row]),
                    residual=float(self.outcome.residual[cid][row]),
                    factors=factors,
                )
            )
        return out
