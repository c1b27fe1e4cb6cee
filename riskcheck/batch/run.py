"""A batch run: read the register in chunks, score every row, write the results as they come.

Per chunk: parse and validate once (register.parse_chunk), then for each assessment asked for
(the register as of each row's date under ``--rules``; with ``--compare-rules`` and/or
``--as-of`` a re-assessment too) derive the facts that depend on the rule set and date and score
all rows with the array interpreter (``engine.arrays.evaluate``). Memory is bounded by the chunk size: nothing accumulates but
counters and the first few changes and problems.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pyarrow as pa

from ..engine import ENGINE_VERSION, Plan, compile_plan
from ..engine.arrays import evaluate as evaluate_arrays
from ..engine.steps import LEVELS
from ..errors import Diagnostic, InputError, Location, RowNotScored, UsageError, display_path
from ..loader import LoadedRules, load_rules, load_scenario
from ..paths import rules_dir, rules_file_for, scenario_files, scenarios_dir
from ..pipeline import assess
from ..trace import DECISIONS, Assessment
from .ahead import WriteBehind, read_ahead
from .output import Writer, output_kind, output_schema
from .read import arrow_without_pandas
from .register import (
    ParsedChunk,
    ProfileIndex,
    SeenIds,
    count_rows,
    header_problems,
    iter_chunks,
    parse_chunk,
    read_cells,
    read_header,
    register_kind,
)


@dataclass
class BatchOptions:
    input: Path
    output: Path
    rules: Path | None = None
    compare_rules: Path | None = None
    as_of: dt.date | None = None
    profiles: Path | None = None
    chunk_rows: int = 50_000
    progress: bool | None = None  # None: when standard error is a terminal
    listed: int = 20  # changed applications and problems shown in the report


@dataclass
class Variant:
    """One assessment of every row: a rule set, and a fixed date or each row's own."""

    prefix: str
    rules: LoadedRules | None  # None: each scenario's own rule set (folder input)
    fixed_as_of: dt.date | None

    def label(self) -> str:
        rules = (
            f"{self.rules.model.id} {self.rules.model.version}"
            if self.rules
            else "each scenario's own rule set"
        )
        when = f"as of {self.fixed_as_of}" if self.fixed_as_of else "as of each application's date"
        return f"{rules} {when}"


@dataclass
class BatchReport:
    input: str
    output: str
    variants: list[str]
    rows: int = 0
    scored: int = 0
    contested: int = 0
    invalid: int = 0
    blank: int = 0  # blank rows passed over (not applications)
    problem_count: int = 0
    problems: list[str] = field(default_factory=list)
    decisions: Counter[str] = field(default_factory=Counter)
    after_decisions: Counter[str] = field(default_factory=Counter)
    changed: int = 0
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    first_changes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def comparing(self) -> bool:
        return len(self.variants) > 1

    def text(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        out = [
            f"riskcheck batch: {self.rows:,} applications from {self.input} in {self.seconds:.1f} s "
            f"({rate:,.0f} per second)",
            f"  assessed under {self.variants[0]}",
            "  " + " · ".join(f"{d} {self.decisions[d]:,}" for d in reversed(DECISIONS)),
        ]
        if self.invalid:
            out.append(
                f"  {self.invalid:,} rows not scored: invalid values (listed on standard error and in 'errors')"
            )
        if self.contested:
            out.append(f"  {self.contested:,} rows with contested evidence (scored on the worst reading)")
        if self.blank:
            out.append(f"  {self.blank:,} blank rows passed over")
        out.append(f"  results: {self.output}")
        if self.comparing:
            out += [
                "",
                f"Re-assessment under {self.variants[1]}:",
                "  " + " · ".join(f"{d} {self.after_decisions[d]:,}" for d in reversed(DECISIONS)),
                f"  {self.changed:,} of {self.scored:,} applications change decision or refusal codes"
                + (":" if self.changed else "."),
            ]
            width = max((len(f"{a} -> {b}") for a, b in self.transitions), default=0)
            for (a, b), k in sorted(self.transitions.items(), key=lambda t: (-t[1], t[0])):
                out.append(f"    {f'{a} -> {b}':<{width}}  {k:,}")
            if self.first_changes:
                more = " (all rows: column 'changed')" if self.changed > len(self.first_changes) else ""
                out.append(f"  first {len(self.first_changes)}{more}:")
                out += [f"    {c}" for c in self.first_changes]
        return "\n".join(out) + "\n"


class Progress:
    """A one-line progress bar on standard error (only on a terminal)."""

    def __init__(self, stream: TextIO, enabled: bool, total: int | None, unit: str):
        self.stream, self.enabled, self.total, self.unit = stream, enabled, total, unit
        self.start = time.perf_counter()
        self.last = 0.0

    def update(self, done: int, rows: int, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not final and now - self.last < 0.2:
            return
        self.last = now
        rate = rows / max(now - self.start, 1e-9)
        if self.total:
            frac = min(done / self.total, 1.0)
            bar = "#" * int(frac * 30)
            line = f"\r[{bar:<30}] {frac:4.0%}  {rows:,} rows  {rate:,.0f}/s"
        else:
            line = f"\r{rows:,} rows  {rate:,.0f}/s"
        self.stream.write(line + ("\n" if final else ""))
        self.stream.flush()


PROBLEMS_SHOWN = 200  # problems printed; all of them are in the results' 'errors' column


def _check_output(register: Path, output: Path) -> None:
    """Refuse an output the run would destroy or cannot write, before anything is read."""
    if output.is_dir():
        raise UsageError(f"the output {output} is a folder: name a file (.csv, .parquet or .xlsx)")
    output_kind(output)
    if output.exists() and register.exists() and os.path.samefile(register, output):
        raise UsageError(
            f"the output {output} is the register itself: the results would overwrite it; name another file"
        )


def _default_rules() -> Path:
    return rules_dir() / "baseline.yaml"


def run_batch(opts: BatchOptions, err: TextIO | None = None) -> BatchReport:
    """Score a register (CSV, Parquet, Excel) or a folder of scenario files; write ``opts.output``."""
    err = err or sys.stderr
    started = time.perf_counter()
    arrow_without_pandas()
    if opts.chunk_rows < 1:
        raise UsageError("--chunk-size must be at least 1")
    comparing = opts.compare_rules is not None or opts.as_of is not None
    folder = opts.input.is_dir()
    if not folder and not opts.input.exists():
        raise UsageError(f"no such register or folder: {opts.input}")
    _check_output(opts.input, opts.output)
    problems: list[Any] = []
    before_rules = after_rules = None
    try:
        if opts.rules is not None or not folder:
            before_rules = load_rules(opts.rules or _default_rules())
    except InputError as e:
        problems += e.diagnostics
    try:
        if opts.compare_rules is not None:
            after_rules = load_rules(opts.compare_rules)
    except InputError as e:
        problems += e.diagnostics
    if problems:
        raise InputError(problems)
    variants = [Variant("", before_rules, None)]
    if comparing:
        variants.append(Variant("after.", after_rules or before_rules, opts.as_of))
    report = BatchReport(display_path(opts.input), display_path(opts.output), [v.label() for v in variants])
    if folder:
        _run_folder(opts, variants, report, err)
    else:
        _run_register(opts, variants, report, err)
    report.seconds = time.perf_counter() - started
    return report


# --- registers -----------------------------------------------------------------------------------


def _run_register(opts: BatchOptions, variants: list[Variant], report: BatchReport, err: TextIO) -> None:
    path = opts.input
    register_kind(path)
    header = read_header(path)
    bad = header_problems(path, header)
    if bad:
        raise InputError(bad)
    compiled = [compile_plan(v.rules) for v in variants]  # type: ignore[arg-type]
    schema = output_schema(
        [(v.prefix, [c.id for c in cr.criteria]) for v, cr in zip(variants, compiled, strict=True)]
    )
    writer = Writer(opts.output, schema)
    profiles = ProfileIndex(opts.profiles or scenarios_dir() / "profiles")
    shown = display_path(path)
    total = count_rows(path)
    size = path.stat().st_size
    progress = Progress(err, err.isatty() if opts.progress is None else opts.progress, total or size, "rows")
    seen = SeenIds()
    write = WriteBehind(writer.write)
    ok = False
    try:
        for raw in read_ahead(iter_chunks(path, opts.chunk_rows), read_cells):
            pc = parse_chunk(raw, shown, profiles, seen)
            outcomes = [_score(pc, v, cr) for v, cr in zip(variants, compiled, strict=True)]
            write(_table(schema, pc, variants, compiled, outcomes))
            _tally(report, pc, outcomes, opts.listed, err)
            progress.update(report.rows if total else (raw.position or 0), report.rows)
        write.wait()
        if not report.rows:
            blank = f" ({report.blank:,} blank rows)" if report.blank else ""
            raise InputError([Diagnostic(Location(shown), "RC605", f"no application rows to score{blank}")])
        ok = True
    finally:
        write.close(quiet=not ok)
        writer.close(ok, _notes(report, variants, compiled))
    progress.update(total or size, report.rows, final=True)


def _score(pc: ParsedChunk, var: Variant, cr: Plan) -> dict[str, Any]:
    """One assessment of every row of a chunk: output columns by name (prefix not yet applied),
    as Arrow arrays (empty for rows not scored), and the decision and refusal codes as words."""
    rules = var.rules
    assert rules is not None
    as_of = pc.dates if var.fixed_as_of is None else np.full(pc.n, np.datetime64(var.fixed_as_of, "D"))
    out = evaluate_arrays(cr, pc.facts(rules, as_of))
    skip = pc.invalid
    decision, refusal = out.decisions(), out.refusal_codes()
    cols: dict[str, Any] = {
        "decision": _words(out.decision, DECISIONS, skip),
        "refusal_codes": pa.array(refusal, pa.string(), mask=skip),
        "reasons": pa.array(out.reasons(), pa.string(), mask=skip),
        "missing_evidence": pa.array(out.missing, pa.int32(), mask=skip),
    }
    for cid in out.criterion_ids:
        residual = out.residual[cid]
        cols[f"residual.{cid}"] = pa.array(residual, pa.float64(), mask=skip | np.isnan(residual))
        level = out.level[cid]
        cols[f"level.{cid}"] = _words(level, LEVELS, skip | (level < 0))
    cols["as_of"] = pa.array(as_of, pa.date32(), mask=skip)
    decision[skip] = None
    refusal[skip] = None
    return {"columns": cols, "decision": decision, "refusal_codes": refusal}


def _words(codes: np.ndarray, words: Any, empty: np.ndarray) -> pa.Array:
    """Text from codes into a few words (empty where ``empty``), built by Arrow: a Python string
    per row would cost more than the assessment."""
    index = pa.array(np.where(empty, 0, codes).astype(np.int32), mask=empty)
    return pa.DictionaryArray.from_arrays(index, pa.array(list(words), pa.string())).cast(pa.string())


def _table(
    schema: pa.Schema,
    pc: ParsedChunk,
    variants: list[Variant],
    compiled: list[Plan],
    outcomes: list[dict[str, Any]],
) -> pa.Table:
    skip = pc.invalid
    data: dict[str, Any] = {"application_id": pc.ids(), "row": pc.rows}
    for var, scored in zip(variants, outcomes, strict=True):
        for name, arr in scored["columns"].items():
            data[f"{var.prefix}{name}"] = arr
    if len(outcomes) > 1:
        a, b = outcomes
        changed = (a["decision"] != b["decision"]) | (a["refusal_codes"] != b["refusal_codes"])
        data["changed"] = pa.array(changed.astype(bool), mask=skip)
    never = np.zeros(pc.n, dtype=np.int8)
    for var, cr in zip(variants, compiled, strict=True):
        lr = cr.loaded
        p = var.prefix
        data[f"{p}rules_id"] = _words(never, [lr.model.id], skip)
        data[f"{p}rules_version"] = _words(never, [lr.model.version], skip)
        data[f"{p}rules_sha256"] = _words(never, [lr.sha256], skip)
        data[f"{p}reference_sha256"] = _words(never, [lr.reference_sha256 or ""], skip)
    data["engine_version"] = _words(never, [ENGINE_VERSION], skip)
    data["errors"] = pc.problems.errors()
    arrays = [
        data[f.name] if isinstance(data[f.name], pa.Array) else pa.array(data[f.name], type=f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _tally(
    report: BatchReport, pc: ParsedChunk, outcomes: list[dict[str, Any]], listed: int, err: TextIO
) -> None:
    valid = ~pc.invalid
    report.rows += pc.n
    report.scored += int(valid.sum())
    report.invalid += int(pc.invalid.sum())
    report.contested += int(pc.contested.sum())
    report.blank += pc.blank
    shown = max(0, PROBLEMS_SHOWN - len(report.problems))
    for p in pc.problems.first(shown):
        report.problems.append(str(p))
        print(p, file=err)
    before = report.problem_count
    report.problem_count += len(pc.problems)
    if before <= PROBLEMS_SHOWN < report.problem_count:
        print("... (more problems: see the 'errors' column of the results)", file=err)
    d0 = outcomes[0]["decision"][valid]
    report.decisions.update(dict(zip(*np.unique(d0.astype(str), return_counts=True), strict=True)))
    if len(outcomes) > 1:
        a, b = outcomes
        d1 = b["decision"][valid]
        report.after_decisions.update(dict(zip(*np.unique(d1.astype(str), return_counts=True), strict=True)))
        changed = valid & ((a["decision"] != b["decision"]) | (a["refusal_codes"] != b["refusal_codes"]))
        idx = np.flatnonzero(changed)
        report.changed += len(idx)
        if len(idx):
            pairs = np.char.add(
                np.char.add(a["decision"][idx].astype(str), " "), b["decision"][idx].astype(str)
            )
            for key, k in zip(*np.unique(pairs, return_counts=True), strict=True):
                old, new = str(key).split(" ")
                report.transitions[(old, new)] += int(k)
            ids = pc.ids()
            for i in idx[: max(0, listed - len(report.first_changes))]:
                codes = ""
                if a["refusal_codes"][i] != b["refusal_codes"][i]:
                    codes = f" (refusal codes {a['refusal_codes'][i] or 'none'} -> {b['refusal_codes'][i] or 'none'})"
                report.first_changes.append(
                    f"{ids[i]} (row {int(pc.rows[i])}): {a['decision'][i]} -> {b['decision'][i]}{codes}"
                )


def _notes(report: BatchReport, variants: list[Variant], compiled: list[Plan]) -> list[tuple[str, str]]:
    notes = [("input", report.input), ("engine_version", ENGINE_VERSION)]
    for var, cr in zip(variants, compiled, strict=True):
        lr = cr.loaded
        notes += [
            (f"{var.prefix}assessment", var.label()),
            (f"{var.prefix}rules_path", lr.path),
            (f"{var.prefix}rules_sha256", lr.sha256),
        ]
    notes.append(
        ("note", "Decision support, not a decision: " + " ".join(compiled[0].loaded.model.disclaimer.split()))
    )
    return notes


# --- folders of scenario files -------------------------------------------------------------------


def _run_folder(opts: BatchOptions, variants: list[Variant], report: BatchReport, err: TextIO) -> None:
    """Each scenario assessed by the engine: reading a scenario file costs more than assessing it
    (see the report of issue 7 on the YAML reader), so the vectorised path would not help here."""
    files = scenario_files([opts.input])
    progress = Progress(err, err.isatty() if opts.progress is None else opts.progress, len(files), "files")
    specs = [(v.prefix, str(v.rules.path) if v.rules else None, v.fixed_as_of) for v in variants]
    results: list[tuple[dict[str, Any], list[list[str]], list[str]]] = []
    for k, path in enumerate(files, start=1):
        results += _assess_files([(k, str(path))], specs)
        progress.update(k, k)
    progress.update(len(files), len(files), final=True)
    rows: list[dict[str, Any]] = []
    criteria: list[list[str]] = [[] for _ in variants]
    for row, crit, problems in results:
        rows.append(row)
        for vi, ids in enumerate(crit):
            criteria[vi] += [c for c in ids if c not in criteria[vi]]
        for d in problems:
            print(d, file=err)
        report.problem_count += len(problems)
    schema = output_schema([(v.prefix, c) for v, c in zip(variants, criteria, strict=True)])
    writer = Writer(opts.output, schema)
    ok = False
    try:
        if rows:
            cols = {f.name: pa.array([r.get(f.name) for r in rows], type=f.type) for f in schema}
            writer.write(pa.Table.from_pydict(cols, schema=schema))
        ok = True
    finally:
        writer.close(ok, [("input", report.input), ("engine_version", ENGINE_VERSION)])
    for r in rows:
        report.rows += 1
        if r["errors"] is not None:
            report.invalid += 1
            continue
        report.scored += 1
        report.decisions[r["decision"]] += 1
        if len(variants) > 1:
            report.after_decisions[r["after.decision"]] += 1
            if r["changed"]:
                report.changed += 1
                report.transitions[(r["decision"], r["after.decision"])] += 1
                if len(report.first_changes) < opts.listed:
                    report.first_changes.append(
                        f"{r['application_id']} ({display_path(files[r['row'] - 1])}): "
                        f"{r['decision']} -> {r['after.decision']}"
                    )


_RULES: dict[str, LoadedRules] = {}  # rule files read once


def _rules(path: str) -> LoadedRules:
    hit = _RULES.get(path)
    if hit is None:
        hit = _RULES[path] = load_rules(path)
    return hit


def _assess_files(
    jobs: list[tuple[int, str]], specs: list[tuple[str, str | None, dt.date | None]]
) -> list[tuple[dict[str, Any], list[list[str]], list[str]]]:
    """Load and assess scenario files: each file's output row, the criterion ids of each assessment,
    and the problems found in it."""
    out = []
    for k, name in jobs:
        path = Path(name)
        row: dict[str, Any] = {"application_id": None, "row": k, "errors": None}
        crit: list[list[str]] = [[] for _ in specs]
        problems: list[str] = []
        try:
            s = load_scenario(path)
            row["application_id"] = s.model.id
            results = []
            for vi, (prefix, rules_path, fixed) in enumerate(specs):
                rules = _rules(rules_path or str(rules_file_for(s.model.rules, path).resolve()))
                a = assess(rules, s, fixed)
                crit[vi] = [c.id for c in compile_plan(rules).criteria]
                results.append(a)
                row.update(_assessment_columns(prefix, a))
            if len(results) == 2:
                a, b = results
                row["changed"] = (a.decision, a.refusal_codes) != (b.decision, b.refusal_codes)
        except InputError as e:
            row["errors"] = " | ".join(str(d) for d in e.diagnostics)
            problems = [str(d) for d in e.diagnostics]
        out.append((row, crit, problems))
    return out


def _assessment_columns(prefix: str, a: Assessment) -> dict[str, Any]:
    p = a.provenance
    out: dict[str, Any] = {
        f"{prefix}decision": a.decision,
        f"{prefix}refusal_codes": ";".join(a.refusal_codes),
        f"{prefix}reasons": ";".join(r.rule_id for r in a.reasons if r.outcome == a.decision),
        f"{prefix}missing_evidence": len(a.missing),
        f"{prefix}rules_id": p.rule_set_id,
        f"{prefix}rules_version": p.rule_set_version,
        f"{prefix}rules_sha256": p.rules_sha256,
        f"{prefix}reference_sha256": p.reference_sha256 or "",
        f"{prefix}as_of": p.as_of,
        "engine_version": p.engine_version,
    }
    for c in a.criteria:
        out[f"{prefix}residual.{c.id}"] = c.residual
        out[f"{prefix}level.{c.id}"] = c.level
    return out


# --- one application, explained ----------------------------------------------------------------------


def explain_application(opts: BatchOptions, application_id: str, fmt: str = "text") -> str:
    """The full explained assessment of one register row (as ``riskcheck assess`` prints it), made
    from the row's equivalent scenario; with ``--as-of``, as on that date."""
    import json

    from ..explain import render
    from ..loader import scenario_from_document
    from ..yamlfile import parse_text
    from .register import SeenIds, scenario_for_row

    arrow_without_pandas()
    path = opts.input
    if path.is_dir():
        raise UsageError("--explain reads a register (a folder's scenarios can be assessed one by one)")
    bad = header_problems(path, read_header(path))
    if bad:
        raise InputError(bad)
    rules = load_rules(opts.rules or _default_rules())
    profiles = ProfileIndex(opts.profiles or scenarios_dir() / "profiles")
    shown = display_path(path)
    application_id = unicodedata.normalize("NFC", application_id.strip())  # as ids are read
    for raw in iter_chunks(path, opts.chunk_rows):
        pc = parse_chunk(raw, shown, profiles, SeenIds())
        hits = np.flatnonzero(pc.ids() == application_id)
        if not len(hits):
            continue
        i = int(hits[0])
        if pc.invalid[i]:
            row = int(pc.rows[i])
            raise RowNotScored("; ".join(str(p) for p in pc.problems.for_row(row)))
        record = pc.record(i)
        day = opts.as_of or record["date"]
        pid = record.get("profile")
        data = scenario_for_row(
            record,
            day,
            rules.model.id,
            profiles.path_of(pid) if pid else None,
            pc.profiles[pc.profile_codes[i]] if pid else None,
            source=f"{shown} row {int(pc.rows[i])}",
        )
        doc = parse_text(json.dumps(data, default=str), f"{shown}:row {int(pc.rows[i])}")
        scenario = scenario_from_document(doc, Path.cwd(), profile_root=profiles.folder)
        return render(assess(rules, scenario, day), fmt)
    raise UsageError(f"no application {application_id!r} in {shown}")
