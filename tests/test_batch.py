"""riskcheck batch: the register's validation, formats, re-assessment, folders and the command line.

Equality with the single-assessment engine is tested in test_batch_equivalence.py and
test_batch_vector.py; here, what a licensing officer sees: messages, files and exit codes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from riskcheck import assess
from riskcheck.batch import BatchOptions, run_batch
from riskcheck.batch import output as out_mod
from riskcheck.batch.columns import COLUMNS, REQUIRED, parse_value
from riskcheck.cli import main
from riskcheck.errors import InputError, UsageError
from riskcheck.explain.words import DECISION_WORDS
from riskcheck.loader import load_rules, load_scenario
from riskcheck.paths import rules_file_for, scenario_files
from tests.register_gen import write_profiles

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "rules" / "baseline.yaml"

BASE_ROW = {
    "application_id": "A-1",
    "date": "2025-01-15",
    "exporter_country": "XNV",
    "recipient_country": "XVL",
    "end_user_type": "armed_forces",
    "end_user_name": "Army",
    "ml_category": "ML1",
    "att_category": "small_arms_light_weapons",
    "sensitivity": "salw",
    "quantity": "10",
    "channel": "g2g_with_eum",
}


def rows(n: int, **changes: dict[int, dict[str, str]]) -> list[dict[str, str]]:
    out = [{**BASE_ROW, "application_id": f"A-{i + 1}"} for i in range(n)]
    for i, edit in changes.get("edits", {}).items():  # type: ignore[union-attr]
        out[i].update(edit)
    return out


def write_csv(path: Path, data: list[dict[str, Any]], delimiter: str = ",") -> Path:
    names = list(dict.fromkeys(k for r in data for k in r))
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=names, delimiter=delimiter)
        w.writeheader()
        w.writerows(data)
    return path


def batch(
    tmp_path: Path, register: Path, output: str = "out.parquet", **kw: Any
) -> tuple[Any, list[dict], str]:
    err = io.StringIO()
    report = run_batch(BatchOptions(register, tmp_path / output, **kw), err=err)
    table = pq.read_table(tmp_path / output).to_pylist() if output.endswith(".parquet") else []
    return report, table, err.getvalue()


# --- validation ---------------------------------------------------------------------------------


def test_a_bad_value_is_reported_by_row_and_column_and_the_other_rows_are_scored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    data = rows(20, edits={15: {"country.pts": "7"}})  # the 16th application: spreadsheet row 17
    for r in data:
        r.setdefault("country.pts", "2")
    write_csv(tmp_path / "register.csv", data)
    code = main(["batch", "register.csv", "-o", "out.csv"])
    captured = capsys.readouterr()
    assert code == 1
    assert "register.csv:row 17: column country.pts: 7 is above the maximum 5\n" in captured.err
    with (tmp_path / "out.csv").open() as fh:
        result = list(csv.DictReader(fh))
    assert len(result) == 20
    assert [r["row"] for r in result] == [str(i) for i in range(2, 22)]
    bad = result[15]
    assert bad["decision"] == "" and bad["errors"] == "column country.pts: 7 is above the maximum 5"
    assert all(r["decision"] for i, r in enumerate(result) if i != 15)
    assert "20 applications" in captured.out and "1 rows not scored" in captured.out


@pytest.mark.parametrize(
    ("column", "raw", "message"),
    [
        ("country.pts", "0", "0 is below the minimum 1"),
        ("country.pts", "2.5", "'2.5' is not a whole number"),
        ("country.cpi", "abc", "'abc' is not a whole number"),
        ("country.hdi", "1.5", "1.5 is above the maximum 1"),
        ("country.hdi", "nan", "'nan' is not a finite number"),
        (
            "country.gbv_risk",
            "hihg",
            "'hihg' is not one of the allowed values (did you mean 'high'?); allowed: low, moderate, high",
        ),
        ("unit.quantity_plausible", "maybe", "'maybe' is not true or false"),
        ("date", "2025-02-30", "'2025-02-30' is not a date (YYYY-MM-DD)"),
        ("date", "15/01/2025", "'15/01/2025' is not a date (YYYY-MM-DD)"),
        (
            "recipient_country",
            "Iraq",
            "'Iraq' is not an ISO 3166-1 alpha-3 code (three capital letters, e.g. IRQ)",
        ),
        ("controls", "euc_government;unit_vetting;psv", "'psv' is not a control"),
        ("controls", "euc_govt", "'euc_govt' is not a control (did you mean 'euc_government'?)"),
        ("quantity", "0", "0 is below the minimum 1"),
        ("channel", "unknown", "'unknown' is not one of the allowed values"),
        ("country.pts", "2|x", "'x' is not a whole number"),
        ("embargo.un", "unknown|true", "'unknown|true' is not true or false"),
    ],
)
def test_value_messages(column: str, raw: str, message: str) -> None:
    state, _, msg = parse_value(COLUMNS[column], raw)
    assert msg is not None and msg.startswith(message), msg


@pytest.mark.parametrize(
    ("column", "raw", "value"),
    [
        ("country.pts", " 4 ", 4),
        ("country.pts", "4.0", 4),
        ("country.hdi", "0.7", 0.7),
        ("unit.quantity_plausible", "Yes", True),
        ("unit.quantity_plausible", "0", False),
        ("controls", "euc_government; unit_vetting", frozenset({"euc_government", "unit_vetting"})),
        ("country.pts", "unknown", "UNKNOWN"),
        ("embargo.un", "unknown", None),  # not an indicator: the same as empty
        ("country.pts", "3|5", (3, 5)),
        ("country.pts", "3|3", 3),
        ("date", dt.date(2025, 1, 2), dt.date(2025, 1, 2)),  # typed Parquet values
        ("country.pts", 4, 4),
        ("unit.quantity_plausible", True, True),
        ("controls", ["unit_vetting"], frozenset({"unit_vetting"})),
    ],
)
def test_values_accepted(column: str, raw: Any, value: Any) -> None:
    _, got, msg = parse_value(COLUMNS[column], raw)
    assert msg is None
    assert (repr(got) if value == "UNKNOWN" else got) == value


def test_header_problems_are_reported_together_and_nothing_is_scored(tmp_path: Path) -> None:
    data = [
        {
            k: v
            for k, v in {**BASE_ROW, "country.ptss": "3", "Notes": "x", "x_officer": "ok"}.items()
            if k != "channel"
        }
    ]
    register = write_csv(tmp_path / "register.csv", data)
    with pytest.raises(InputError) as e:
        batch(tmp_path, register)
    text = str(e.value)
    assert "RC601: column 'country.ptss' is not a register column (did you mean 'country.pts'?)" in text
    assert "RC601: column 'Notes'" in text and "x_officer" not in text
    assert "RC602: required column 'channel' is missing" in text
    assert not (tmp_path / "out.parquet").exists()
    assert not list(tmp_path.glob(".out.parquet*"))


def test_an_embargo_check_covers_all_three_authorities(tmp_path: Path) -> None:
    data = rows(
        3,
        edits={
            0: {"embargo.un": "false", "embargo.eu": "false", "embargo.osce": "true"},
            1: {"embargo.un": "true"},
        },
    )
    report, table, err = batch(tmp_path, write_csv(tmp_path / "r.csv", data), rules=BASELINE)
    assert table[0]["decision"] == "prohibited" and "eu-osce-arms-embargo" in table[0]["reasons"]
    assert "row 3: column embargo.eu: required when embargo.un or embargo.osce is given" in err
    assert table[1]["decision"] is None and report.invalid == 1


def test_conflict_columns_follow_what_the_engine_can_derive(tmp_path: Path) -> None:
    data = rows(
        5,
        edits={
            0: {"conflicts.exporter_arms_other_side": "true"},  # no conflict check
            1: {
                "conflicts.recipient_party": "true",
                "conflicts.exporter_arms_other_side": "true",
            },  # no transfers
            2: {
                "conflicts.recipient_party": "false",
                "prior_transfers.count_5y": "2",
                "conflicts.exporter_arms_other_side": "true",
            },
            3: {"conflicts.recipient_party": "true", "prior_transfers.count_5y": "2"},  # must say
            4: {
                "conflicts.recipient_party": "true",
                "prior_transfers.count_5y": "2",
                "conflicts.exporter_arms_other_side": "false",
            },
        },
    )
    report, table, err = batch(tmp_path, write_csv(tmp_path / "r.csv", data))
    assert "row 2: column conflicts.exporter_arms_other_side: needs conflicts.recipient_party" in err
    assert "row 3: column conflicts.exporter_arms_other_side: needs prior_transfers.count_5y" in err
    assert (
        "row 4: column conflicts.exporter_arms_other_side: is true, but the recipient is not a party" in err
    )
    assert "row 5: column conflicts.exporter_arms_other_side: required when the recipient is a party" in err
    assert [r["decision"] is None for r in table] == [True, True, True, True, False]


def test_duplicate_application_ids_across_chunks(tmp_path: Path) -> None:
    data = rows(7, edits={5: {"application_id": "A-2"}})
    report, table, err = batch(tmp_path, write_csv(tmp_path / "r.csv", data), chunk_rows=2)
    assert "row 7: column application_id: application 'A-2' appears again (first at row 3)" in err
    assert report.invalid == 1 and table[5]["decision"] is None


def test_profiles_fill_country_evidence_and_are_checked(tmp_path: Path) -> None:
    profiles = write_profiles(tmp_path / "profiles")
    data = rows(
        4,
        edits={
            0: {"recipient_country": "XAL", "profile": "alpha"},
            1: {"recipient_country": "XAL", "profile": "alpa"},
            2: {"recipient_country": "XVL", "profile": "alpha"},
            3: {"recipient_country": "XAL", "profile": "alpha", "country.pts": "unknown"},
        },
    )
    report, table, err = batch(tmp_path, write_csv(tmp_path / "r.csv", data), profiles=profiles)
    assert "row 3: column profile: no profile 'alpa' in " in err and "(did you mean 'alpha'?)" in err
    assert "row 4: column profile: profile 'alpha' describes XAL, but recipient_country is XVL" in err
    # alpha's UN embargo check applies (in force since 2020): prohibited, with no embargo columns in the row.
    assert table[0]["decision"] == "prohibited" and "un-arms-embargo" in table[0]["reasons"]
    # 'unknown' overrides the profile's PTS: one more missing-evidence item.
    assert table[3]["missing_evidence"] == table[0]["missing_evidence"] + 1


def test_malformed_csv_rows_are_skipped_and_the_rest_keep_their_numbers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", rows(4))
    lines = path.read_text().splitlines()
    lines.insert(2, "A-x,2025-01-01,XNV")  # becomes spreadsheet row 3
    path.write_text("\n".join(lines) + "\n")
    report, table, err = batch(tmp_path, path)
    assert f"r.csv:row 3: 3 values, but the header has {len(BASE_ROW)} columns (row not read)" in err
    assert [r["row"] for r in table] == [2, 4, 5, 6]
    assert [r["application_id"] for r in table] == ["A-1", "A-2", "A-3", "A-4"]
    assert report.problem_count == 1


def test_semicolon_separated_csv_and_excel_registers(tmp_path: Path) -> None:
    import openpyxl

    data = rows(3, edits={1: {"controls": "euc_government;unit_vetting"}})
    _, a, _ = batch(tmp_path, write_csv(tmp_path / "a.csv", data), "a.parquet")
    _, b, _ = batch(tmp_path, write_csv(tmp_path / "b.csv", data, delimiter=";"), "b.parquet")
    wb = openpyxl.Workbook()
    ws = wb.active
    names = list(data[1])
    ws.append(names)
    for r in data:
        ws.append([int(r[k]) if k == "quantity" else r.get(k) for k in names])
    wb.save(tmp_path / "c.xlsx")
    _, c, _ = batch(tmp_path, tmp_path / "c.xlsx", "c.parquet")
    assert a == b == c and a[1]["decision"]


def test_typed_parquet_registers_read_like_csv(tmp_path: Path) -> None:
    data = rows(
        3, edits={0: {"country.pts": "4", "unit.quantity_plausible": "true", "controls": "unit_vetting"}}
    )
    _, from_csv, _ = batch(tmp_path, write_csv(tmp_path / "a.csv", data), "a.parquet")
    typed = pa.table(
        {
            **{k: [r[k] for r in data] for k in BASE_ROW if k not in ("date", "quantity")},
            "date": [dt.date(2025, 1, 15)] * 3,
            "quantity": pa.array([10, 10, 10], pa.int64()),
            "country.pts": pa.array([4, None, None], pa.int64()),
            "unit.quantity_plausible": pa.array([True, None, None]),
            "controls": pa.array([["unit_vetting"], [], None], pa.list_(pa.string())),
        }
    )
    pq.write_table(typed, tmp_path / "typed.parquet")
    _, from_parquet, _ = batch(tmp_path, tmp_path / "typed.parquet", "b.parquet")
    assert from_parquet == from_csv


# --- outputs ---------------------------------------------------------------------------------------


def test_csv_parquet_and_excel_results_agree(tmp_path: Path) -> None:
    import openpyxl

    register = write_csv(tmp_path / "r.csv", rows(5, edits={2: {"country.pts": "9"}}))
    _, table, _ = batch(tmp_path, register, "o.parquet")
    batch(tmp_path, register, "o.csv")
    batch(tmp_path, register, "o.xlsx")
    with (tmp_path / "o.csv").open() as fh:
        from_csv = list(csv.DictReader(fh))
    wb = openpyxl.load_workbook(tmp_path / "o.xlsx", read_only=True)
    sheet = list(wb["assessments"].iter_rows(values_only=True))
    run_sheet = dict(wb["run"].iter_rows(values_only=True))
    wb.close()
    assert [r["decision"] for r in table] == [r["decision"] or None for r in from_csv]
    assert [r["decision"] for r in table] == [row[sheet[0].index("decision")] for row in sheet[1:]]
    assert list(table[0]) == list(from_csv[0]) == list(sheet[0])
    assert run_sheet["rules_sha256"] == load_rules(BASELINE).sha256
    assert not list(tmp_path.glob(".o.*"))  # no temporary files left behind
    first = table[0]
    assert first["rules_id"] == "baseline" and first["as_of"] == dt.date(2025, 1, 15)
    assert first["engine_version"] and len(first["rules_sha256"]) == 64


def test_csv_and_excel_outputs_never_carry_a_formula(tmp_path: Path) -> None:
    """Application ids are the register author's text: in CSV and Excel a cell starting with = + - @
    would run as a formula when opened; it is quoted there, and left as typed in Parquet (data)."""
    import openpyxl

    ids = ['=HYPERLINK("http://x.test","open")', "+1+2", "-3", "@SUM(A1)", "plain-id"]
    data = rows(len(ids))
    for r, app_id in zip(data, ids, strict=True):
        r["application_id"] = app_id
    register = write_csv(tmp_path / "r.csv", data)
    _, table, _ = batch(tmp_path, register, "o.parquet")
    batch(tmp_path, register, "o.csv")
    batch(tmp_path, register, "o.xlsx")
    assert [r["application_id"] for r in table] == ids
    quoted = ["'" + i for i in ids[:4]] + ["plain-id"]
    with (tmp_path / "o.csv").open() as fh:
        assert [r["application_id"] for r in csv.DictReader(fh)] == quoted
    wb = openpyxl.load_workbook(tmp_path / "o.xlsx")
    sheet = wb["assessments"]
    col = [c.value for c in sheet[1]].index("application_id") + 1
    cells = [sheet.cell(row=i, column=col) for i in range(2, len(ids) + 2)]
    assert [c.value for c in cells] == quoted
    assert all(c.data_type == "s" for c in cells)  # text, not a formula
    wb.close()


def test_an_interrupted_run_leaves_no_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register = write_csv(tmp_path / "r.csv", rows(6))
    (tmp_path / "o.csv").write_text("previous results\n")
    calls = {"n": 0}
    real = out_mod.Writer.write

    def failing(self: Any, table: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        real(self, table)

    monkeypatch.setattr(out_mod.Writer, "write", failing)
    with pytest.raises(RuntimeError):
        batch(tmp_path, register, "o.csv", chunk_rows=2)
    assert (tmp_path / "o.csv").read_text() == "previous results\n"
    assert not list(tmp_path.glob(".o.csv*"))


def test_excel_has_a_row_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(out_mod, "EXCEL_MAX_ROWS", 3)
    with pytest.raises(UsageError, match="at most 3 applications"):
        batch(tmp_path, write_csv(tmp_path / "r.csv", rows(5)), "o.xlsx")


# --- re-assessment ---------------------------------------------------------------------------------


def test_reassessment_when_an_embargo_starts(tmp_path: Path) -> None:
    rules = load_rules(BASELINE)
    assert rules.embargoes is not None
    entries = rules.embargoes.entries

    def alone(e) -> bool:  # no other entry for the state in force a month before it starts
        day = e.start - dt.timedelta(days=30)
        return not any(
            o is not e and o.country == e.country and o.start <= day and (o.end is None or day <= o.end)
            for o in entries
        )

    entry = next(
        e
        for e in entries
        if e.scope == "whole_state"
        and e.kind == "embargo"
        and e.items is None
        and not e.derogations
        and e.end is None
        and e.start.year > 2005
        and alone(e)
    )
    before_start = entry.start - dt.timedelta(days=30)
    data = rows(
        3,
        edits={
            0: {"recipient_country": entry.country, "date": before_start.isoformat()},
            1: {"recipient_country": "XVL", "date": before_start.isoformat()},
            2: {"recipient_country": entry.country, "date": entry.start.isoformat()},
        },
    )
    as_of = entry.start + dt.timedelta(days=30)
    report, table, _ = batch(tmp_path, write_csv(tmp_path / "r.csv", data), rules=BASELINE, as_of=as_of)
    assert table[0]["decision"] != "prohibited" and table[0]["after.decision"] == "prohibited"
    assert table[0]["changed"] and not table[1]["changed"]
    assert table[2]["decision"] == table[2]["after.decision"] == "prohibited"
    assert table[0]["as_of"] == before_start and table[0]["after.as_of"] == as_of
    assert report.changed == 1 and report.transitions == {(table[0]["decision"], "prohibited"): 1}
    text = report.text()
    assert f"Re-assessment under baseline {rules.model.version} as of {as_of}" in text
    assert f"A-1 (row 2): {table[0]['decision']} -> prohibited" in text


def test_compare_rules_lists_the_changes(tmp_path: Path) -> None:
    other = ROOT / "rules" / "att-minimum.yaml"
    data = rows(4, edits={i: {"country.nonproliferation_record": "poor"} for i in range(2)})
    report, table, _ = batch(
        tmp_path, write_csv(tmp_path / "r.csv", data), rules=BASELINE, compare_rules=other
    )
    after = load_rules(other)
    assert {k for k in table[0] if k.startswith("after.residual.")} == {
        f"after.residual.{c.id}" for c in after.model.criteria
    }
    assert table[0]["after.rules_id"] == after.model.id and table[0]["after.as_of"] == table[0]["as_of"]
    assert report.changed == sum(r["changed"] for r in table)
    assert sum(report.transitions.values()) == report.changed


# --- folders of scenarios and the command line --------------------------------------------------------


def test_a_folder_of_scenarios(tmp_path: Path) -> None:
    report, table, _ = batch(
        tmp_path, ROOT / "scenarios", compare_rules=ROOT / "rules" / "eu-common-position.yaml"
    )
    files = scenario_files([ROOT / "scenarios"])
    assert len(table) == len(files) == report.rows
    for row, path in zip(table, files, strict=True):
        s = load_scenario(path)
        a = assess(load_rules(rules_file_for(s.model.rules, path)), s)
        assert (row["application_id"], row["decision"], row["refusal_codes"]) == (
            s.model.id,
            a.decision,
            ";".join(a.refusal_codes),
        )
        assert all(row[f"residual.{c.id}"] == c.residual for c in a.criteria)


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    register = write_csv(tmp_path / "r.csv", rows(5))
    err = io.StringIO()
    run_batch(BatchOptions(register, tmp_path / "o.csv"), err=err)
    assert "\r" not in err.getvalue()
    err = io.StringIO()
    run_batch(BatchOptions(register, tmp_path / "o.csv", progress=True, chunk_rows=2), err=err)
    assert "\r" in err.getvalue() and "5 rows" in err.getvalue()


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register = write_csv(tmp_path / "r.csv", rows(3))
    assert main(["batch", str(register), "-o", str(tmp_path / "o.parquet"), "--as-of", "2026-01-01"]) == 0
    out = capsys.readouterr().out
    assert "3 applications" in out and "Re-assessment under baseline" in out
    assert main(["batch", str(register), "-o", str(tmp_path / "o.json")]) == 2
    assert "use .csv, .parquet or .xlsx" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "o.csv")]) == 2
    assert set(REQUIRED) <= set(COLUMNS)


def test_records_split_across_blocks_stay_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quoted values with commas, doubled quotes and newlines; CRLF line ends; tiny read blocks."""
    from riskcheck.batch import read_csv

    data = rows(9)
    for i, r in enumerate(data):
        r["end_use"] = f'Line one, "quoted"\nline two of {i}' if i % 2 else "Plain"
    path = write_csv(tmp_path / "r.csv", data)
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    _, whole, _ = batch(tmp_path, path, "a.parquet")
    monkeypatch.setattr(read_csv, "CSV_BLOCK_BYTES", 37)
    _, pieces, err = batch(tmp_path, path, "b.parquet", chunk_rows=2)
    assert whole == pieces and not err
    assert [r["application_id"] for r in pieces] == [f"A-{i + 1}" for i in range(9)]
    assert [r["row"] for r in pieces] == list(range(2, 11))


def test_seen_ids_survive_hash_collisions(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from riskcheck.batch.register import SeenIds

    seen = SeenIds()
    for k in range(12):  # enough blocks to merge
        ids = [f"A-{k}-{j}" for j in range(5)]
        assert list(seen.lookup(ids)) == [-1] * 5
        seen.add(ids, np.arange(5) + 10 * k)
    assert list(seen.lookup(["A-3-4", "A-11-0", "B"])) == [34, 110, -1]
    monkeypatch.setattr(
        SeenIds,
        "_hash",
        staticmethod(lambda ids: np.zeros(len(ids), np.int64)),
    )
    clash = SeenIds()
    clash.add(["x", "y"], np.array([2, 3]))
    assert list(clash.lookup(["y", "x", "z"])) == [3, 2, -1]


def test_explain_one_application(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register = write_csv(tmp_path / "r.csv", rows(3, edits={1: {"country.pts": "5"}, 2: {"quantity": "-1"}}))
    _, table, _ = batch(tmp_path, register)
    assert main(["batch", str(register), "--explain", "A-2", "--rules", str(BASELINE)]) == 0
    text = capsys.readouterr().out
    assert f"DECISION: {DECISION_WORDS[table[1]['decision']].upper()}" in text
    assert "Political Terror Scale 5" in text
    assert main(["batch", str(register), "--explain", "A-3"]) == 1
    assert "row 4: column quantity: -1 is below the minimum 1" in capsys.readouterr().err
    assert main(["batch", str(register), "--explain", "A-9"]) == 2
    assert main(["batch", str(register)]) == 2
