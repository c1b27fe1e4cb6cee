"""The command line. Exit codes: 0 ok, 1 invalid input or failed expectations, 2 usage.

Domain errors (InputError) become located messages on stderr here and nowhere
else; a traceback reaching the user is a bug.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Diagnostic, InputError, Location, RiskcheckError, UsageError, display_path
from .yamlfile import MAX_BYTES

if TYPE_CHECKING:
    from .ledger import Anchor
    from .loaded import LoadedRules

SCHEMA_KINDS = ("rules", "scenario", "profile", "embargoes")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="riskcheck",
        description="Explained arms-export risk assessment. Decision support, not a decision.",
    )
    from . import ENGINE_VERSION

    p.add_argument("--version", action="version", version=f"riskcheck {ENGINE_VERSION}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("assess", help="assess one scenario and explain the decision")
    a.add_argument("scenario", type=Path)
    a.add_argument("--rules", type=Path, help="rule file (default: the scenario's own rule set)")
    a.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    a.add_argument("--as-of", type=_date, help="assess as on this date (default: the scenario's date)")

    c = sub.add_parser("check", help="validate rule, scenario and profile files; report every problem")
    c.add_argument("paths", type=Path, nargs="+", metavar="FILE_OR_DIR")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("--strict", action="store_true", help="fail on lint warnings too")
    c.add_argument(
        "--scenarios",
        type=Path,
        nargs="+",
        metavar="SCENARIO_OR_DIR",
        help="also warn about criteria that none of these scenarios exercises",
    )

    t = sub.add_parser("test", help="run scenario expectations (all bundled scenarios by default)")
    t.add_argument("paths", type=Path, nargs="*", metavar="SCENARIO_OR_DIR")
    t.add_argument("--rules", type=Path, help="only run expectations for this rule file")
    t.add_argument("-v", "--verbose", action="store_true", help="list passing expectations too")

    d = sub.add_parser("diff", help="compare two rule sets and replay every scenario under both")
    d.add_argument("old", type=Path, help="the rule file before the change")
    d.add_argument("new", type=Path, help="the rule file after the change")
    d.add_argument(
        "--scenarios",
        type=Path,
        nargs="*",
        metavar="SCENARIO_OR_DIR",
        help="scenarios to replay (default: the bundled ones)",
    )
    d.add_argument("--format", choices=("markdown", "json"), default="markdown")
    d.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    k = sub.add_parser(
        "compare",
        help="one scenario under several rule sets: decisions, deciding steps, where they disagree and why",
    )
    k.add_argument("scenario", type=Path)
    k.add_argument(
        "--rules",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="rule files, at least two (default: every bundled rule set)",
    )
    k.add_argument("--format", choices=("markdown", "json"), default="markdown")
    k.add_argument("--as-of", type=_date, help="assess as on this date (default: the scenario's date)")
    k.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    b = sub.add_parser(
        "batch",
        help="score a licensing register (CSV, Parquet or Excel) or a folder of scenarios",
        description="Score every application of a register (one row per application; columns in "
        "docs/batch.md) or every scenario in a folder, and write one result row per "
        "application. With --compare-rules and/or --as-of, also re-assess and report which "
        "applications change decision.",
    )
    b.add_argument("input", type=Path, metavar="INPUT", help="register (.csv, .parquet, .xlsx) or folder")
    b.add_argument("-o", "--output", type=Path, help="results (.csv, .parquet or .xlsx)")
    b.add_argument("--rules", type=Path, help="rule file (default: the bundled baseline)")
    b.add_argument("--compare-rules", type=Path, metavar="FILE", help="re-assess under this rule file too")
    b.add_argument("--as-of", type=_date, help="re-assess as on this date (default: each application's date)")
    b.add_argument(
        "--profiles", type=Path, metavar="DIR", help="recipient profiles (default: scenarios/profiles)"
    )
    b.add_argument("--chunk-size", type=int, default=50_000, metavar="ROWS", help=argparse.SUPPRESS)
    b.add_argument(
        "--no-progress", action="store_true", help="no progress bar (it is off when not on a terminal)"
    )
    b.add_argument(
        "--explain",
        metavar="APPLICATION_ID",
        help="print one application's full explained assessment instead (as 'riskcheck assess' does)",
    )

    s = sub.add_parser("schema", help="print the JSON Schema of a file kind (for editors)")
    s.add_argument("kind", choices=SCHEMA_KINDS)
    s.add_argument("-o", "--output", type=Path)

    r = sub.add_parser("report", help="write the assessment memo (Markdown or printable HTML)")
    r.add_argument("scenario", type=Path)
    r.add_argument("--rules", type=Path, help="rule file (default: the scenario's own rule set)")
    r.add_argument("--format", choices=("md", "html"), default="md")
    r.add_argument("--as-of", type=_date, help="assess as on this date (default: the scenario's date)")
    r.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    ex = sub.add_parser(
        "exercise",
        help="score trainees' answers (CSV) against the tool and print the debrief table",
        description="Score a class's answers to a training scenario (collected on paper or in a form) "
        "against the tool, stage by stage, and print the debrief: per criterion the tool's level, each "
        "trainee's, the share agreeing and the factor behind the tool's view; Fleiss' kappa for the "
        "decision. CSV columns: trainee, stage, criterion, level, reason, decision, conditions "
        "(docs/training.md, 'On paper').",
    )
    ex.add_argument("scenario", type=Path)
    ex.add_argument("--answers", type=Path, required=True, metavar="FILE.csv", help="the trainees' answers")
    ex.add_argument("--rules", type=Path, help="rule file (default: the scenario's own rule set)")
    ex.add_argument("--format", choices=("text", "csv", "html"), default="text")
    ex.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    h = sub.add_parser("history", help="the history database: verify, anchor or migrate its hash chains")
    hsub = h.add_subparsers(dest="history_command", required=True, metavar="ACTION")
    hv = hsub.add_parser(
        "verify",
        help="check that no recorded assessment, rule edit or training record was changed or deleted "
        "(exit 1 if one was)",
    )
    db_help = "SQLAlchemy URL (default: RISKCHECK_DB_URL or the file); sqlite:///file:PATH?mode=ro&uri=true reads only"
    hv.add_argument("--db", metavar="URL", help=db_help)
    hv.add_argument(
        "--anchor",
        type=Path,
        metavar="FILE",
        help="also check that the heads an earlier 'history anchor' wrote are still in the chains",
    )
    han = hsub.add_parser(
        "anchor",
        help="write the head of every chain (JSON) for a log kept outside the database; refused if a chain is broken",
    )
    han.add_argument("--db", metavar="URL", help=db_help)
    han.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    hm = hsub.add_parser(
        "migrate",
        help="record the heads of a database made before riskcheck kept them (once; recorded in chain_migrations)",
    )
    hm.add_argument("--db", metavar="URL", help="SQLAlchemy URL (default: RISKCHECK_DB_URL or the file)")

    _evidence_parsers(sub)

    ap = sub.add_parser("app", help="open the app for policy staff in the browser (Streamlit)")
    ap.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    ap.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--db", metavar="URL", help="history database as a SQLAlchemy URL (default: SQLite file)")
    return p


def _evidence_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``profile import|set|log`` and ``reassess`` (the evidence layer, riskcheck/evidence)."""
    from .evidence.importers import SOURCES

    pr = sub.add_parser(
        "profile", help="country profiles: import published data sets, set a value, show versions"
    )
    psub = pr.add_subparsers(dest="profile_command", required=True, metavar="ACTION")
    pi = psub.add_parser(
        "import",
        help="write dated values from a data set's published file into the profiles (docs/evidence.md)",
        description="Read a data set's file as its publisher distributes it and write each state's value, "
        "with the data set, edition, year and source row, into <profiles>/<iso3>.yaml. Officers' values are "
        "kept and marked as overrides; every profile written is a new version.",
    )
    pi.add_argument("source", choices=sorted(SOURCES), help="the data set")
    pi.add_argument("file", type=Path, help="the file as downloaded from the publisher")
    pi.add_argument("--year", type=int, help="the data year (default: the latest in the file)")
    pi.add_argument("--edition", help="the edition, when the file name does not tell it")
    pi.add_argument("--countries", nargs="+", metavar="CODE", help="only these states (ISO alpha-3 or names)")
    pi.add_argument(
        "--profiles", type=Path, metavar="DIR", help="profiles folder (default: scenarios/profiles)"
    )
    pi.add_argument(
        "--replace-overrides", action="store_true", help="write the data set's value over officers' values"
    )
    pi.add_argument(
        "--skip-unmatched", action="store_true", help="list rows naming no known state instead of failing"
    )
    pi.add_argument("--as-of", type=_date, help="att: the date the status list was downloaded")
    pi.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    pi.add_argument("--by", help="who imports (default: the login name)")
    pi.add_argument("--why", help="why (default: the data set, edition and file)")
    pi.add_argument(
        "--rules", type=Path, help="rule set whose stale_after_days the report uses (default: baseline)"
    )
    ps = psub.add_parser("set", help="enter an officer's value for one indicator (a new version)")
    ps.add_argument("profile", type=Path)
    ps.add_argument("indicator")
    ps.add_argument("value", nargs="?", default="", help="the value (omit with --confidence unknown)")
    ps.add_argument("--source", help="where the value comes from")
    ps.add_argument("--as-of", type=_date, help="the date the value holds on")
    ps.add_argument("--confidence", choices=("known", "unknown"), default="known")
    ps.add_argument("--note")
    ps.add_argument("--why", required=True, help="why the value is entered or changed")
    ps.add_argument("--by", help="who (default: the login name)")
    pl = psub.add_parser("log", help="list a profile's versions (who, when, why, what changed)")
    pl.add_argument("profile", type=Path)

    ra = sub.add_parser(
        "reassess",
        help="replay recorded assessments whose evidence changed; list decisions now stricter or more permissive",
        description="Replay every assessment recorded in the history database (and every licence of a "
        "register) whose profile changed since it was made, under the rules it was made with and under "
        "today's, and list those whose decision would now differ, with the factor lines that changed and "
        "the new evidence's source (EU CP Art. 1(1a); ATT Art. 7(7)).",
    )
    ra.add_argument("--since", type=_date, help="only assessments made on or after this date")
    ra.add_argument("--db", metavar="URL", help="history database (default: RISKCHECK_DB_URL or the file)")
    ra.add_argument("--register", type=Path, metavar="FILE", help="also a licensing register (as for batch)")
    ra.add_argument("--rules", type=Path, help="register: the rule file (default: baseline)")
    ra.add_argument(
        "--profiles", type=Path, metavar="DIR", help="profiles folder (default: scenarios/profiles)"
    )
    ra.add_argument("--format", choices=("text", "json"), default="text")


def cmd_profile(args: argparse.Namespace) -> int:
    from .evidence import commands

    if args.profile_command == "import":
        text = commands.run_import(
            args.source,
            args.file,
            folder=args.profiles,
            year=args.year,
            edition=args.edition,
            only=args.countries,
            replace_overrides=args.replace_overrides,
            skip_unmatched=args.skip_unmatched,
            as_of=args.as_of,
            dry_run=args.dry_run,
            by=args.by,
            why=args.why,
            rules=args.rules,
        )
    elif args.profile_command == "set":
        text = commands.run_set(
            args.profile,
            args.indicator,
            args.value,
            source=args.source,
            as_of=args.as_of,
            why=args.why,
            by=args.by,
            note=args.note,
            confidence=args.confidence,
        )
    else:
        text = commands.run_log(args.profile)
    sys.stdout.write(text)
    return 0


def cmd_reassess(args: argparse.Namespace) -> int:
    from .evidence.commands import run_reassess

    text, changed = run_reassess(args)
    sys.stdout.write(text)
    return 1 if changed else 0  # 1: assessments now warrant review (as `check` exits 1 on findings)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from .atomic import write_text_atomic

    write_text_atomic(output, text)


def cmd_assess(args: argparse.Namespace) -> int:
    from .explain import render
    from .loader import load_rules, load_scenario
    from .paths import rules_file_for
    from .pipeline import assess

    scenario = load_scenario(args.scenario, profile_as_of=args.as_of)
    rules = load_rules(args.rules or rules_file_for(scenario.model.rules, args.scenario))
    sys.stdout.write(render(assess(rules, scenario, args.as_of), args.format))
    return 0


def _kind_of(data: object) -> str:
    if isinstance(data, dict):
        if "transfer" in data:
            return "scenario"
        if ("indicators" in data or "kind" in data) and "criteria" not in data:
            return "profile"
        if "entries" in data and "criteria" not in data:
            return "embargo_list"
    return "rules"


def check_paths(paths: list[Path], scenarios: list[Path] | None = None) -> tuple[list[Diagnostic], int]:
    """Every problem in every file named (folders: their *.yaml, recursively), lint warnings included;
    with ``scenarios``, also the criteria of each rule set that no scenario exercises."""
    from .checks import check_embargo_list
    from .loader import load_embargo_list, load_profile, scenario_from_document, validate_rules_document
    from .yamlfile import read_document

    files: list[Path] = []
    diags: list[Diagnostic] = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.rglob("*.yaml"))
        elif p.exists() or p.is_symlink():  # a dangling link or a link loop is reported when read
            files.append(p)
        else:
            diags.append(Diagnostic(Location(display_path(p)), "RC106", "file not found"))
    for f in files:
        try:
            doc = read_document(f)
            kind = _kind_of(doc.data)
            if kind == "scenario":
                scenario_from_document(doc, f.resolve().parent)
            elif kind == "profile":
                load_profile(f)
            elif kind == "embargo_list":
                diags += check_embargo_list(*load_embargo_list(f))
            else:
                rules = validate_rules_document(doc, f.resolve().parent)
                diags += rules.warnings
                if scenarios is not None:
                    diags += _unexercised(rules, scenarios)
        except InputError as e:
            diags += e.diagnostics
    return sorted(diags), len(files)


def _unexercised(rules: object, scenarios: list[Path]) -> list[Diagnostic]:
    from .loader import LoadedRules, load_scenario
    from .paths import scenario_files
    from .pipeline import assess

    assert isinstance(rules, LoadedRules)
    exercised: set[str] = set()
    for path in scenario_files(scenarios):
        try:
            a = assess(rules, load_scenario(path))
        except InputError:
            continue  # an invalid scenario is reported when it is checked itself
        exercised |= {c.id for c in a.criteria if c.level != "acceptable" or c.inherent >= c.thresholds[0][1]}
    return [
        Diagnostic(
            rules.line_of("criteria", i),
            "RC501",
            f"criterion {c.id!r} is not exercised: no scenario brings it to its conditions threshold",
            "warning",
        )
        for i, c in enumerate(rules.model.criteria)
        if c.id not in exercised
    ]


def cmd_check(args: argparse.Namespace) -> int:
    diags, n = check_paths(args.paths, args.scenarios)
    if args.format == "json":
        sys.stdout.write(json.dumps({"files": n, "problems": [d.as_dict() for d in diags]}, indent=2) + "\n")
    else:
        for d in diags:
            print(d)
        errors = sum(1 for d in diags if d.severity == "error")
        word = "problem" if len(diags) == 1 else "problems"
        print(
            f"{len(diags)} {word} in {n} file{'s' if n != 1 else ''} ({errors} errors, "
            f"{len(diags) - errors} warnings)",
            file=sys.stderr,
        )
    failing = diags if args.strict else [d for d in diags if d.severity == "error"]
    return 1 if failing else 0


def cmd_test(args: argparse.Namespace) -> int:
    from .loader import load_rules
    from .paths import scenario_files, scenarios_dir
    from .scenarios import run_all

    rules = load_rules(args.rules) if args.rules else None
    files = scenario_files(args.paths or [scenarios_dir()])
    results, errors = run_all(files, rules)
    for e in errors:
        for d in e.diagnostics:
            print(d)
    failed = [r for r in results if not r.ok]
    for r in results:
        if not r.ok or args.verbose:
            print(("FAIL " if not r.ok else "ok   ") + str(r))
    print(f"{len(results) - len(failed)} passed, {len(failed) + len(errors)} failed")
    if not results and not errors:
        print("no scenario with an expected outcome was found", file=sys.stderr)
        return 1
    return 1 if failed or errors else 0


def _rule_sets(paths: list[Path]) -> list[LoadedRules]:
    """Every rule file loaded, or the problems of all of them at once."""
    from .loader import load_rules

    problems: list[Diagnostic] = []
    loaded = []
    for path in paths:
        try:
            loaded.append(load_rules(path))
        except InputError as e:
            problems += e.diagnostics
    if problems:
        raise InputError(problems)
    return loaded


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import as_json, as_markdown, diff
    from .paths import scenario_files, scenarios_dir

    loaded = _rule_sets([args.old, args.new])
    report = diff(loaded[0], loaded[1], scenario_files(args.scenarios or [scenarios_dir()]))
    _emit(as_json(report) if args.format == "json" else as_markdown(report), args.output)
    return 1 if report.errors else 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import as_json, as_markdown, compare
    from .loader import load_scenario
    from .paths import rules_dir
    from .pipeline import assess

    paths = args.rules or sorted(rules_dir().glob("*.yaml"))
    if len(paths) < 2:
        raise UsageError("compare needs at least two rule files (--rules A B ...)")
    scenario = load_scenario(args.scenario, profile_as_of=args.as_of)
    loaded = _rule_sets(paths)
    c = compare([assess(r, scenario, args.as_of) for r in loaded])
    _emit(as_json(c) if args.format == "json" else as_markdown(c), args.output)
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import BatchOptions, run_batch
    from .batch.run import explain_application

    opts = BatchOptions(
        input=args.input,
        output=args.output or Path("-"),
        rules=args.rules,
        compare_rules=args.compare_rules,
        as_of=args.as_of,
        profiles=args.profiles,
        chunk_rows=args.chunk_size,
        progress=False if args.no_progress else None,
    )
    if args.explain is not None:
        sys.stdout.write(explain_application(opts, args.explain))
        return 0
    if args.output is None:
        raise UsageError("batch needs -o OUTPUT (.csv, .parquet or .xlsx), or --explain APPLICATION_ID")
    report = run_batch(opts)
    sys.stdout.write(report.text())
    return 1 if report.invalid or report.problem_count else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .schemas import schema_text

    _emit(schema_text(args.kind), args.output)
    return 0


def _settle() -> None:
    """Move what is loaded so far (rules, scenario: never freed before the command ends) out of the
    garbage collector's sight. The what-if analysis then runs hundreds of assessments, and every
    full collection rescanned the loaded rule set: 30-45 % of a large rule set's report time."""
    import gc

    gc.freeze()


def cmd_report(args: argparse.Namespace) -> int:
    from .explain.memo import memo
    from .loader import load_rules, load_scenario
    from .paths import rules_file_for
    from .whatif import analyse

    scenario = load_scenario(args.scenario, profile_as_of=args.as_of)
    rules = load_rules(args.rules or rules_file_for(scenario.model.rules, args.scenario))
    _settle()
    text = memo(analyse(rules, scenario, args.as_of), args.format, scenario, scenario.doc.text)
    _emit(text, args.output)
    return 0


def cmd_exercise(args: argparse.Namespace) -> int:
    from .loader import load_rules, load_scenario
    from .paths import rules_file_for
    from .training.answers import read_answers_csv
    from .training.debrief import debrief
    from .training.export import OUTPUT_ONLY_COLUMNS, render

    scenario = load_scenario(args.scenario)
    rules = load_rules(args.rules or rules_file_for(scenario.model.rules, args.scenario))
    answers, skipped = read_answers_csv(
        args.answers,
        criteria=[c.id for c in rules.model.criteria],
        injects=len(scenario.model.injects),
        scenario_id=scenario.model.id,
        ignored_columns=OUTPUT_ONLY_COLUMNS,
    )
    if skipped:
        print(f"riskcheck: {skipped} rows for other scenarios were skipped", file=sys.stderr)
    if not answers:
        print(f"riskcheck: no answer for scenario {scenario.model.id!r} in {args.answers}", file=sys.stderr)
        return 1
    _emit(render(debrief(rules, [scenario], answers), args.format, title=scenario.model.title), args.output)
    return 0


def _anchor_file(path: Path) -> Anchor:
    from .ledger import AnchorError, parse_anchor
    from .safe_read import read_bytes

    try:
        return parse_anchor(json.loads(read_bytes(path, MAX_BYTES).decode("utf-8")))
    except (ValueError, AnchorError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise UsageError(f"{display_path(path)}: not a riskcheck anchor: {e}") from None


def cmd_history(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from .history import History, default_url, sqlite_file
    from .ledger import anchor_document
    from .training.store import TrainingStore

    url = args.db or default_url()
    try:
        shown = make_url(url).render_as_string(hide_password=True)
        path = sqlite_file(url)
    except ArgumentError:
        raise UsageError(f"not a database URL: {url!r}") from None
    if path is not None and not path.is_file():  # never create an empty database just to check it
        raise UsageError(f"no history database at {path}")
    action = args.history_command
    anchor = _anchor_file(args.anchor) if action == "verify" and args.anchor else None
    try:
        # verify and anchor open the database to read only: no table is created or altered, the
        # journal mode is left alone. migrate is the one action that writes (heads, and its record).
        store = History(url, create=action == "migrate")
        try:
            if action == "migrate":
                return _migrate(store)
            reports = store.check(anchor) if store.has_tables() or anchor else None
            # with an anchor, training chains it names are checked even if their tables are gone
            training = TrainingStore.existing(store.engine) or (
                TrainingStore(store.engine, create=False) if anchor else None
            )
            training_reports = training.check(anchor) if training is not None else None
        finally:
            store.dispose()
    except SQLAlchemyError as e:
        raise UsageError(f"cannot read the history database {shown}: {e.__class__.__name__}") from None
    except ImportError as e:  # e.g. a PostgreSQL URL without psycopg installed
        raise UsageError(f"cannot open the history database {shown}: its driver is missing ({e})") from None
    if reports is None and training_reports is None:
        raise UsageError(f"{shown} holds no riskcheck tables: nothing to verify")
    everything = [*(reports or ()), *(training_reports or ())]
    ok = all(r.ok for r in everything)
    if action == "anchor":
        if not ok:
            for r in everything:
                print("\n".join(r.lines()), file=sys.stderr)
            print("riskcheck: not anchored: a chain is broken (see above)", file=sys.stderr)
            return 1
        _emit(json.dumps(anchor_document(everything, shown), indent=2) + "\n", args.output)
        return 0
    groups = (
        (reports, "no assessments or rule edits (the database has no history tables)"),
        (training_reports, "no training records (the database has no training tables)"),
    )
    for group, absent in groups:
        if group is None:
            print(absent)
        for r in group or ():
            print("\n".join(r.lines()))
    return 0 if ok else 1


def _migrate(store: object) -> int:
    from .history import History
    from .training.store import TrainingStore

    assert isinstance(store, History)
    training = TrainingStore.existing(store.engine)
    done = [*store.ledger.migrate(), *(training.ledger.migrate() if training else ())]
    for r in done:
        print(f"{r.table}: head recorded at row #{r.head_id} ({r.rows} rows), {r.head}")
    reports = [*store.check(), *(training.check() if training else ())]
    left = [r for r in reports if not r.ok]
    for r in left:  # a broken chain is not blessed by migrating it
        print("\n".join(r.lines()), file=sys.stderr)
    if not done and not left:
        print("nothing to migrate: every chain with rows has its head recorded")
    return 1 if left else 0


def cmd_app(args: argparse.Namespace) -> int:
    """Become the Streamlit server for the app's entry script (exec, not a child process): Ctrl+C and
    SIGTERM reach the server itself, so stopping ``riskcheck app`` (or ``make run``) stops it, and no
    server is left running under init."""
    import os

    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {args.port}")
    script = Path(__file__).resolve().parent / "app" / "main.py"
    env = dict(os.environ)
    if args.db:
        env["RISKCHECK_DB_URL"] = args.db
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.address",
        args.address,
        "--server.port",
        str(args.port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--theme.base",
        "light",
        "--client.toolbarMode",
        "viewer",
        # The server refuses bigger uploads itself (a file uploader's own cap is checked in the
        # browser only): the one limit of riskcheck's YAML reader, in Streamlit's whole MiB.
        "--server.maxUploadSize",
        str(math.ceil(MAX_BYTES / 2**20)),
    ]
    print(
        f"riskcheck app: open http://{args.address}:{args.port} (Ctrl+C stops it)",
        file=sys.stderr,
        flush=True,
    )
    try:
        os.execve(sys.executable, cmd, env)
    except OSError as e:  # execve returns only by failing
        print(f"riskcheck app: cannot start Streamlit: {e.strerror}", file=sys.stderr)
    return 1


COMMANDS = {
    "assess": cmd_assess,
    "check": cmd_check,
    "test": cmd_test,
    "schema": cmd_schema,
    "diff": cmd_diff,
    "compare": cmd_compare,
    "batch": cmd_batch,
    "report": cmd_report,
    "app": cmd_app,
    "exercise": cmd_exercise,
    "history": cmd_history,
    "profile": cmd_profile,
    "reassess": cmd_reassess,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except InputError as e:
        for d in e.diagnostics:
            print(d, file=sys.stderr)
        return e.exit_code
    except UsageError as e:
        print(f"riskcheck: {e}", file=sys.stderr)
        return e.exit_code
    except RiskcheckError as e:  # pragma: no cover - every raise site uses a subclass
        print(f"riskcheck: {e}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:  # e.g. `riskcheck assess x | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
