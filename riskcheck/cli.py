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

from .errors import Diagnostic, InputError, Location, RiskcheckError, UsageError, display_path
from .yamlfile import MAX_BYTES

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
    b.add_argument("--profiles", type=Path, metavar="DIR", help="recipient profiles (default: scenarios/profiles)")
    b.add_argument("--chunk-size", type=int, default=50_000, metavar="ROWS", help=argparse.SUPPRESS)
    b.add_argument("--no-progress", action="store_true", help="no progress bar (it is off when not on a terminal)")
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
        "decision. CSV columns: trainee, stage, criterion, level, reason, decision, conditions (README, "
        "'Training mode').",
    )
    ex.add_argument("scenario", type=Path)
    ex.add_argument("--answers", type=Path, required=True, metavar="FILE.csv", help="the trainees' answers")
    ex.add_argument("--rules", type=Path, help="rule file (default: the scenario's own rule set)")
    ex.add_argument("--format", choices=("text", "csv", "html"), default="text")
    ex.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    h = sub.add_parser("history", help="the history database: verify its hash chains")
    hsub = h.add_subparsers(dest="history_command", required=True, metavar="ACTION")
    hv = hsub.add_parser(
        "verify",
        help="check that no recorded assessment, rule edit or training record was changed or deleted "
        "(exit 1 if one was)",
    )
    hv.add_argument("--db", metavar="URL", help="SQLAlchemy URL (default: RISKCHECK_DB_URL or the file)")

    ap = sub.add_parser("app", help="open the app for policy staff in the browser (Streamlit)")
    ap.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    ap.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--db", metavar="URL", help="history database as a SQLAlchemy URL (default: SQLite file)")
    return p


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from .atomic import write_text_atomic

    write_text_atomic(output, text)


def cmd_assess(args: argparse.Namespace) -> int:
    from .engine import assess
    from .explain import render
    from .loader import load_rules, load_scenario
    from .paths import rules_file_for

    scenario = load_scenario(args.scenario)
    rules = load_rules(args.rules or rules_file_for(scenario.model.rules, args.scenario))
    sys.stdout.write(render(assess(rules, scenario, args.as_of), args.format))
    return 0


def _kind_of(data: object) -> str:
    if isinstance(data, dict):
        if "transfer" in data:
            return "scenario"
        if "indicators" in data and "criteria" not in data:
            return "profile"
        if "entries" in data and "criteria" not in data:
            return "embargo_list"
    return "rules"


def check_paths(paths: list[Path], scenarios: list[Path] | None = None) -> tuple[list[Diagnostic], int]:
    """Every problem in every file named (folders: their *.yaml, recursively), lint warnings included;
    with ``scenarios``, also the criteria of each rule set that no scenario exercises."""
    from .loader import load_embargo_list, load_profile, scenario_from_document, validate_rules_document
    from .yamlfile import read_document

    files: list[Path] = []
    diags: list[Diagnostic] = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.rglob("*.yaml"))
        elif p.exists():
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
                load_embargo_list(f)
            else:
                rules = validate_rules_document(doc, f.resolve().parent)
                diags += rules.warnings
                if scenarios is not None:
                    diags += _unexercised(rules, scenarios)
        except InputError as e:
            diags += e.diagnostics
    return sorted(diags), len(files)


def _unexercised(rules: object, scenarios: list[Path]) -> list[Diagnostic]:
    from .engine import assess
    from .loader import LoadedRules, load_scenario
    from .paths import scenario_files

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


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import as_json, as_markdown, diff
    from .loader import load_rules
    from .paths import scenario_files, scenarios_dir

    problems: list[Diagnostic] = []
    loaded = []
    for path in (args.old, args.new):  # report the problems of both files at once
        try:
            loaded.append(load_rules(path))
        except InputError as e:
            problems += e.diagnostics
    if problems:
        raise InputError(problems)
    report = diff(loaded[0], loaded[1], scenario_files(args.scenarios or [scenarios_dir()]))
    _emit(as_json(report) if args.format == "json" else as_markdown(report), args.output)
    return 1 if report.errors else 0


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


def cmd_report(args: argparse.Namespace) -> int:
    from .loader import load_rules, load_scenario
    from .paths import rules_file_for
    from .report import analyse, memo

    scenario = load_scenario(args.scenario)
    rules = load_rules(args.rules or rules_file_for(scenario.model.rules, args.scenario))
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


def cmd_history(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from .history import History, default_url
    from .training.store import TrainingStore

    url = args.db or default_url()
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        raise UsageError(f"not a database URL: {url!r}") from None
    if url.startswith("sqlite") and "///" in url:
        path = Path(url.split("///", 1)[1]).expanduser()
        if not path.is_file():  # never create an empty database just to verify it
            raise UsageError(f"no history database at {path}")
    try:
        # Opened to read only: verifying must not create or alter a table (nor switch the journal
        # mode), so that it can be pointed at any database, or at one made by an older version.
        store = History(url, create=False)
        try:
            reports = store.check() if store.has_tables() else None
            training = TrainingStore.existing(store.engine)
            training_reports = training.check() if training is not None else None
        finally:
            store.dispose()
    except SQLAlchemyError as e:
        raise UsageError(f"cannot read the history database {shown}: {e.__class__.__name__}") from None
    except ImportError as e:  # e.g. a PostgreSQL URL without psycopg installed
        raise UsageError(f"cannot open the history database {shown}: its driver is missing ({e})") from None
    if reports is None and training_reports is None:
        raise UsageError(f"{shown} holds no riskcheck tables: nothing to verify")
    groups = (
        (reports, "no assessments or rule edits (the database has no history tables)"),
        (training_reports, "no training records (the database has no training tables)"),
    )
    for group, absent in groups:
        if group is None:
            print(absent)
        for r in group or ():
            for line in r.lines():
                print(line)
    return 0 if all(r.ok for group, _ in groups for r in group or ()) else 1


def cmd_app(args: argparse.Namespace) -> int:
    """Run Streamlit on the app's entry script; returns when the server stops (Ctrl+C)."""
    import os
    import subprocess

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
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0


COMMANDS = {
    "assess": cmd_assess,
    "check": cmd_check,
    "test": cmd_test,
    "schema": cmd_schema,
    "diff": cmd_diff,
    "batch": cmd_batch,
    "report": cmd_report,
    "app": cmd_app,
    "exercise": cmd_exercise,
    "history": cmd_history,
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
