"""Re-assessment from kept cases (``riskcheck.kept_case``): the records of the history database that
keep their case are replayed without reading their YAML again.

The facts of every item line of every record are built with the functions of ``facts.py`` that
loading the scenario would run (``derive`` for the transfer; for each line, what ``item_facts`` adds
to it: ``kind_facts`` and ``amount_facts``, and ``embargo_facts``), from the kept case and the
recipient profile as it is now, read once per profile; cases that share a head, a date and the
kinds of items share the transfer's facts, lines that differ in amounts alone share what the line
is, and equal amounts their facts (see ``Replay``). All lines go into one ``FactTable``, which the array interpreter evaluates at once; each record takes its most severe
line's decision, as ``assess`` does. For a record whose decision changes, the decisive line's
criteria and factors are read back from the same evaluation (levels and residuals from the
interpreter's outcome, scores from the engine's ``score_fact``), for the factor lines that changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..engine import compile_plan
from ..engine.arrays import evaluate as evaluate_arrays
from ..engine.columns import Column, FactTable, of_fact
from ..engine.steps import LEVELS, score_fact, transfer_decision
from ..explain.assessment import shown_value
from ..facts import (
    AMOUNTS,
    FIELDS,
    Facts,
    amount_facts,
    derive,
    embargo_check,
    embargo_facts,
    indicator_facts,
    kind_facts,
)
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


# a line's fields but its amounts (``facts.AMOUNTS``): what ``kind_facts`` and the embargo reading read
_what = itemgetter(*(i for i, name in enumerate(Line._fields) if name not in AMOUNTS))


class Replay:
    """Every line of ``members`` evaluated under one rule set, at once.

    A line's facts are three layers, each built once and shared: the transfer's (``derive``, per
    head, date and kinds of lines), what the line is (``kind_facts`` and ``embargo_facts``, per
    transfer and line without its amounts) and how much (``amount_facts``, per amounts). Each row
    of the table is a triple of layer indexes; a column is read from the top layer that sets it,
    once per distinct layer, and gathered by index."""

    def __init__(self, rules: LoadedRules, members: Sequence[Kept], prepared: dict[Head, Prepared]):
        self.plan = compile_plan(rules)
        reference = rules.embargoes
        bases: dict[tuple[Head, dt.date, tuple[Any, ...]], int] = {}
        kinds_at: dict[tuple[int, tuple[Any, ...]], int] = {}
        amounts_at: dict[tuple[Any, ...], int] = {}
        rows_at: dict[tuple[int, int, int], int] = {}
        self.layers: tuple[list[Facts], list[Facts], list[Facts]] = ([], [], [])
        base_l, kind_l, amount_l = self.layers
        self.triples: list[tuple[int, int, int]] = []
        days: list[dt.date] = []  # each base's date
        checks: dict[Head, Any] = {}
        transfers: dict[Head, Any] = {}
        self.rows: list[list[int]] = []
        for m in members:
            day = m.row.as_of
            p = prepared[m.head]
            # What the transfer's facts may read of its lines: all but the quantities and values,
            # which only ``items.total_*`` sums read, and every line sets its own of those.
            kinds = tuple((x.sensitivity, x.ml_category, x.att_category, x.capability) for x in m.lines)
            b = bases.get((m.head, day, kinds))
            if b is None:
                b = bases[(m.head, day, kinds)] = len(base_l)
                base_l.append(derive(p.scenario(m.lines), p.country, p.unit, {}, day))
                days.append(day)
            check = checks.get(m.head, False)
            if check is False:  # the embargo entries in play: the case's own check, else the reference's
                case = p.scenario(m.lines)
                check = checks[m.head] = embargo_check(case, reference, None, None)
                transfers[m.head] = case.transfer
            mine = []
            for line in m.lines:
                # the embargo reading, like kind_facts, reads no amount: lines that differ in
                # amounts alone share both
                what = _what(line)
                k = kinds_at.get((b, what))
                if k is None:
                    k = kinds_at[(b, what)] = len(kind_l)
                    kind_l.append(
                        kind_facts(base_l[b], line, p.evidence.patterns, None, None)
                        | embargo_facts(check, transfers[m.head], line, day)
                    )
                amounts = (line.quantity, line.value_eur, type(line.value_eur))
                a = amounts_at.get(amounts)
                if a is None:
                    a = amounts_at[amounts] = len(amount_l)
                    amount_l.append(amount_facts(line, None))
                at = rows_at.get((b, k, a))
                if at is None:
                    at = rows_at[(b, k, a)] = len(self.triples)
                    self.triples.append((b, k, a))
                mine.append(at)
            self.rows.append(mine)
        self.outcome = evaluate_arrays(self.plan, _table(self.layers, self.triples, days))
        decided = [str(x) for x in self.outcome.decisions()]
        self.decisions: list[str] = []
        self.decisive: list[int] = []  # the row of each member's deciding line
        self.explained: dict[int, list[Any]] = {}
        self.factors: dict[tuple[Any, ...], Any] = {}  # a factor per distinct reading of its fact
        self.criteria_made: dict[tuple[Any, ...], Any] = {}
        self.line_decisions = [[decided[r] for r in mine] for mine in self.rows]  # each member's lines
        for mine, lines in zip(self.rows, self.line_decisions, strict=True):
            decision, d = transfer_decision(lines)
            self.decisions.append(decision)
            self.decisive.append(mine[d])

    def criteria(self, k: int) -> list[Any]:
        """Member k's deciding line as an assessment's criteria (what ``reassess.factor_lines`` reads):
        each criterion in effect with its level and residual, each factor with its evidence and score."""
        row = self.decisive[k]
        if row in self.explained:  # records with equal lines share them
            return self.explained[row]
        facts = self.facts(row)
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

    def facts(self, row: int) -> Facts:
        """Row ``row``'s facts, as ``item_facts`` gives them (the transfer's, then the line's)."""
        b, k, a = self.triples[row]
        return self.layers[0][b] | self.layers[1][k] | self.layers[2][a]


def _table(
    layers: tuple[list[Facts], ...], triples: list[tuple[int, int, int]], days: list[dt.date]
) -> FactTable:
    """``FactTable.from_facts`` of every row's facts, built faster: each field is read once per
    distinct fact of the top layer that sets it (every fact of a layer sets the same fields) and
    gathered by the rows' indexes into that layer."""
    which = np.array(triples, dtype=np.intp).reshape(-1, 3)
    columns: dict[str, Column] = {}
    for name in FIELDS:
        top = max(i for i, layer in enumerate(layers) if i == 0 or name in layer[0])
        col = Column.from_values([of_fact(f[name]) for f in layers[top]])
        columns[name] = Column(col.codes[which[:, top]], col.values)
    return FactTable(len(triples), columns, np.array(days, dtype="datetime64[D]")[which[:, 0]])
