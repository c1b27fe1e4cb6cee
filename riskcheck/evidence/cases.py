"""Re-assessment from kept cases (``riskcheck.kept_case``): the records of the history database that
keep their case are replayed without reading their YAML again.

The facts of every item line of every record are built with the functions of ``facts.py`` that
loading the scenario would run (``derive`` for the transfer, ``item_facts`` for each line), from the
kept case and the recipient profile as it is now, read once per profile; cases that share a head,
a date and the kinds of items share the transfer's facts, and equal lines the line's facts. All lines go into one
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

import numpy as np

from ..engine import compile_plan
from ..engine.arrays import evaluate as evaluate_arrays
from ..engine.columns import Column, FactTable, of_fact
from ..engine.steps import LEVELS, score_fact, transfer_decision
from ..explain.assessment import shown_value
from ..facts import FIELDS, Facts, derive, embargo_check, embargo_facts, indicator_facts, item_facts
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
            kind="export",  # a kept case is an export's (``kept_case.case_json`` keeps no other)
            holder=None,
            exporter=h.exporter,
            recipient=h.recipient,
            end_user=h.end_user,
            channel=h.channel,
            controls=h.controls,
            contract_date=h.contract_date,
            sanctions_procedures=h.sanctions_procedures,
            derogation_conditions=h.derogation_conditions,
            items=list(lines),
        )
        return SimpleNamespace(transfer=transfer, evidence=self.evidence)


class Replay:
    """Every line of ``members`` evaluated under one rule set, at once."""

    def __init__(self, rules: LoadedRules, members: Sequence[Kept], prepared: dict[Head, Prepared]):
        self.plan = compile_plan(rules)
        reference = rules.embargoes
        bases: dict[tuple[Head, dt.date, tuple[Any, ...]], Facts] = {}
        index: dict[tuple[Head, dt.date, Line], int] = {}
        self.facts: list[Facts] = []
        days: list[dt.date] = []
        checks: dict[Head, Any] = {}
        transfers: dict[Head, Any] = {}
        base_of: list[Facts] = []  # the transfer's facts each row's line facts were built from
        self.rows: list[list[int]] = []
        for m in members:
            day = m.row.as_of
            p = prepared[m.head]
            # What the transfer's facts may read of its lines: all but the quantities and values,
            # which only ``items.total_*`` sums read, and every line sets its own of those.
            kinds = tuple((x.sensitivity, x.ml_category, x.att_category, x.capability) for x in m.lines)
            base = bases.get((m.head, day, kinds))
            if base is None:
                base = bases[(m.head, day, kinds)] = derive(p.scenario(m.lines), p.country, p.unit, {}, day)
            check = checks.get(m.head, False)
            if check is False:  # the embargo entries in play: the case's own check, else the reference's
                case = p.scenario(m.lines)
                check = checks[m.head] = embargo_check(case, reference, None, None)
                transfers[m.head] = case.transfer
            mine = []
            for line in m.lines:
                key = (m.head, day, line)
                at = index.get(key)
                if at is None:
                    at = index[key] = len(self.facts)
                    self.facts.append(
                        item_facts(base, line, p.evidence.patterns, None, None)
                        | embargo_facts(check, transfers[m.head], line, day)
                    )
                    days.append(day)
                    base_of.append(base)
                mine.append(at)
            self.rows.append(mine)
        self.outcome = evaluate_arrays(self.plan, _table(self.facts, base_of, days))
        decided = [str(x) for x in self.outcome.decisions()]
        self.decisions: list[str] = []
        self.decisive: list[int] = []  # the row of each member's deciding line
        self.explained: dict[int, list[Any]] = {}
        self.factors: dict[tuple[Any, ...], Any] = {}  # a factor per distinct reading of its fact
        self.criteria_made: dict[tuple[Any, ...], Any] = {}
        self.line_decisions = [[decided[r] for r in mine] for mine in self.rows]  # each member's lines
        for lines in self.line_decisions:
            decision, d = transfer_decision(lines)
            self.decisions.append(decision)
            self.decisive.append(self.rows[len(self.decisive)][d])

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
            level = int(self.outcome.level[cid][row])
            if level < 0:
                continue  # not in effect on the assessment's date
            factors = []
            for fp in cp.factors:
                fact = facts[fp.input]
                # a factor reads what the explanation shows of its fact: equal facts, one factor
                reading = (fp.slot, type(fact.value) is bool, fact.value, fact.alternatives)
                seen = self.factors.get((*reading, fact.source, fact.as_of))
                if seen is not None:
                    factors.append(seen)
                    continue
                evidence = SimpleNamespace(
                    field=fp.input, value=shown_value(fact), source=fact.source, as_of=fact.as_of
                )
                score = score_fact(fp, fact.value, fact.alternatives)[0]
                made = SimpleNamespace(id=fp.spec.id, title=fp.spec.title, evidence=evidence, score=score)
                self.factors[(*reading, fact.source, fact.as_of)] = made
                factors.append(made)
            residual = float(self.outcome.residual[cid][row])
            key = (cid, level, residual, *map(id, factors))
            same = self.criteria_made.get(key)  # lines that differ elsewhere share this criterion
            if same is None:
                same = self.criteria_made[key] = SimpleNamespace(
                    id=cid,
                    title=cp.spec.title,
                    refusal_code=cp.spec.refusal_code,
                    level=LEVELS[level],
                    residual=residual,
                    factors=factors,
                )
            out.append(same)
        return out


def _table(facts: list[Facts], base_of: list[Facts], days: list[dt.date]) -> FactTable:
    """``FactTable.from_facts(facts, days)``, built faster: a field whose fact is the transfer's own
    in every row (the same object ``derive`` made) is read once per transfer and gathered by index;
    only the fields a line sets (``item_facts``) are read row by row."""
    bases: dict[int, int] = {}
    for b in base_of:
        bases.setdefault(id(b), len(bases))
    distinct = list({id(b): b for b in base_of}.values())
    which = np.array([bases[id(b)] for b in base_of], dtype=np.intp)
    # item_facts sets the same fields on every line: the first line of each transfer shows which
    firsts = [int(i) for i in np.unique(which, return_index=True)[1]]
    columns: dict[str, Column] = {}
    for name in FIELDS:
        if all(facts[i][name] is distinct[bases[id(base_of[i])]].get(name) for i in firsts):
            col = Column.from_values([of_fact(b[name]) for b in distinct])
            columns[name] = Column(col.codes[which], col.values)
        else:
            columns[name] = Column.from_values([of_fact(f[name]) for f in facts])
    return FactTable(len(facts), columns, np.array(days, dtype="datetime64[D]"))
