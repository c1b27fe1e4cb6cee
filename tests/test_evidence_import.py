"""riskcheck profile import: each data set read in its publisher's layout, bad files refused with a
located error and nothing written, officers' values kept, every write a version."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from riskcheck import profile_versions as versions
from riskcheck.cli import main
from riskcheck.errors import InputError
from riskcheck.evidence.commands import run_import, run_set
from riskcheck.evidence.importers import SOURCES
from tests import evidence_files

FIX = Path(__file__).parent / "fixtures" / "evidence"
TODAY = dt.date(2025, 6, 30)


def read(source: str, path: Path, **opts):
    return SOURCES[source].read(path, opts)


def by_state(extract) -> dict[tuple[str, str], object]:
    return {(v.country, v.indicator): v for v in extract.values}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir()
    shutil.copy(Path("scenarios/profiles/nordvale.yaml"), folder)
    return folder


# --- each data set, as published ------------------------------------------------------------------


def test_pts_reads_the_published_csv_with_its_quirks():
    ex = read("pts", FIX / "PTS-2024.csv")
    got = by_state(ex)
    assert ex.year == 2023 and ex.edition == "2024"
    # the worst of the three codings; the row a spreadsheet shows (header = row 1)
    assert got[("IRQ", "pts")].value == 4 and got[("IRQ", "pts")].row == 7
    assert got[("SYR", "pts")].value == 5
    assert got[("TUR", "pts")].value == 4  # "Türkiye", Windows-1252
    assert got[("AND", "pts")].value == 1  # World Bank code ADO is not ISO: matched by UN_Code_N 20
    assert got[("BOL", "pts")].value == 3  # quoted "Bolivia, Plurinational State of"
    assert got[("USA", "pts")].value == 3  # PTS_S is NA (88: no report)
    assert any("Kosovo" in s for s in ex.skipped) and any("European Union" in s for s in ex.skipped)
    assert ex.no_value == ["TUV (Tuvalu): no score for 2023 (no report, report not coded)"]
    assert read("pts", FIX / "PTS-2024.csv", year=2022).values[0].value == 5  # Iraq 2022: 4, 3, 5


def test_cirights_reads_sheet1(tmp_path):
    ex = read("cirights", evidence_files.cirights(tmp_path / "cirights_v3.12.10.24.xlsx"))
    got = by_state(ex)
    assert ex.year == 2022 and ex.edition == "v3.12.10.24"
    assert got[("IRQ", "cirights_physint")].value == 2 and got[("IRQ", "cirights_physint")].row == 3
    assert got[("USA", "cirights_physint")].value == 6
    assert ex.no_value == ["TUR (Turkey): no score for 2022"]


def test_cpi_finds_the_header_below_the_title_block(tmp_path):
    ex = read("cpi", evidence_files.cpi(tmp_path / "CPI2023_Global_Results__Trends.xlsx"))
    got = by_state(ex)
    assert ex.year == 2023 and ex.edition == "2023"
    assert got[("IRQ", "cpi")].value == 23 and got[("IRQ", "cpi")].row == 6  # rows 1-3 title, 4 header
    assert got[("IRQ", "cpi")].sheet == "CPI2023"
    assert any("KSV" in s for s in ex.skipped)  # Kosovo's code is not ISO
    older = read("cpi", tmp_path / "CPI2023_Global_Results__Trends.xlsx", year=2022)
    assert by_state(older)[("SOM", "cpi")].value == 12  # from the time-series sheet


def test_cpi_2024_spelling_of_the_score_column(tmp_path):
    ex = read("cpi", evidence_files.cpi(tmp_path / "CPI2024-Results-and-trends.xlsx", score="CPI 2024 score"))
    assert ex.year == 2024 and by_state(ex)[("DNK", "cpi")].value == 90


def test_hdi_reads_latin1_and_skips_aggregates():
    ex = read("hdi", FIX / "HDR23-24_Composite_indices_complete_time_series.csv")
    got = by_state(ex)
    assert ex.year == 2022
    assert got[("CIV", "hdi")].value == 0.534  # "Côte d'Ivoire" in Latin-1
    assert ("SOM", "hdi") not in got and ex.no_value == ["SOM (Somalia): no HDI for 2022"]
    assert "2 aggregate rows (codes ZZ...)" in ex.skipped


def test_sipri_share_of_gdp_as_percent(tmp_path):
    ex = read("sipri", evidence_files.sipri(tmp_path / "SIPRI-Milex-data-1949-2023.xlsx"))
    got = by_state(ex)
    assert ex.year == 2023 and ex.edition == "2023"
    assert got[("DZA", "milex_pct_gdp")].value == 8.25 and got[("DZA", "milex_pct_gdp")].row == 10
    assert got[("USA", "milex_pct_gdp")].value == 3.36
    assert "IRQ (Iraq): no figure for 2023 (data unavailable)" in ex.no_value
    older = by_state(read("sipri", tmp_path / "SIPRI-Milex-data-1949-2023.xlsx", year=2021))
    assert ("SSD", "milex_pct_gdp") not in older  # "xxx": did not exist


def test_ucdp_maps_intensity_to_the_indicator_scale():
    ex = read("ucdp", FIX / "ucdp-prio-acd-241.csv")
    got = by_state(ex)
    assert ex.year == 2023 and ex.edition == "24.1"
    assert got[("SYR", "internal_conflict")].value == "war"  # intensity 2: >= 1,000 deaths
    assert got[("IRQ", "internal_conflict")].value == "minor"  # intensity 1: 25-999
    assert got[("AFG", "internal_conflict")].value == "minor"
    assert got[("RUS", "interstate_conflict")].value == "active"  # "Government of Russia (Soviet Union)"
    assert got[("UKR", "interstate_conflict")].value == "active"
    assert ("RUS", "internal_conflict") not in got  # supporting Syria's government is not its own conflict
    assert ex.absent == {"internal_conflict": "none", "interstate_conflict": "none"}


def test_att_in_force_on_the_download_date():
    ex = read("att", FIX / "XXVI-8.en.xml", as_of=dt.date(2025, 1, 31))
    got = by_state(ex)
    assert got[("AFG", "att_state_party")].value is True  # accession 29 Jul 2020
    assert got[("ALB", "att_state_party")].value is True  # ratified before the treaty entered into force
    assert got[("AGO", "att_state_party")].value is False  # signature only
    assert got[("AND", "att_state_party")].value is True  # 2 Dec 2022 + 90 days
    assert got[("BOL", "att_state_party")].value is False  # deposited after the download date
    assert "in force for it from 24 Dec 2014" in got[("ALB", "att_state_party")].note


# --- bad files: a located error, nothing written ---------------------------------------------------


@pytest.mark.parametrize(
    ("source", "file", "code", "where"),
    [
        ("pts", "PTS-2024-no-PTS_H.csv", "RC603", "PTS-2024-no-PTS_H.csv:1:1"),
        ("pts", "PTS-2024-unknown-country.csv", "RC605", "PTS-2024-unknown-country.csv:3:1"),
        ("pts", "PTS-2024-empty.csv", "RC606", "PTS-2024-empty.csv:1:1"),
        ("pts", "PTS-2024-bad-score.csv", "RC604", "PTS-2024-bad-score.csv:7:10"),
        ("pts", "HDR23-24_Composite_indices_complete_time_series.csv", "RC603", ":1:1"),  # another layout
        ("ucdp", "ucdp-prio-acd-241-unknown-state.csv", "RC605", "ucdp-prio-acd-241-unknown-state.csv:7:3"),
        ("cpi", "PTS-2024.csv", "RC601", "PTS-2024.csv"),  # a CSV where the workbook belongs
    ],
)
def test_a_bad_file_is_a_located_error_and_writes_nothing(profiles, source, file, code, where, capsys):
    before = snapshot(profiles)
    rc = main(["profile", "import", source, str(FIX / file), "--profiles", str(profiles)])
    err = capsys.readouterr().err
    assert rc == 1
    assert f"error {code}" in err and where in err, err
    assert snapshot(profiles) == before


def test_bad_workbooks(tmp_path, profiles):
    before = snapshot(profiles)
    with pytest.raises(InputError) as e:
        read("sipri", evidence_files.sipri(tmp_path / "SIPRI-Milex-data-1949-2023.xlsx", sheet="Per capita"))
    assert e.value.diagnostics[0].code == "RC602" and "Share of GDP" in e.value.diagnostics[0].message
    with pytest.raises(InputError) as e:
        read("cirights", evidence_files.cirights(tmp_path / "cirights_v3.xlsx", column="PhysInt"))
    assert (
        e.value.diagnostics[0].code == "RC603"
        and "Physical Integrity Rights Index" in e.value.diagnostics[0].message
    )
    with pytest.raises(InputError) as e:
        read("pts", FIX / "PTS-2024.csv", year=1950)
    d = e.value.diagnostics[0]
    assert d.code == "RC607" and str(d.location).endswith("PTS-2024.csv:1:3")
    with pytest.raises(InputError) as e:
        read("att", FIX / "XXVI-8.en.xml")
    assert e.value.diagnostics[0].code == "RC608"  # the download date is required
    assert snapshot(profiles) == before


def test_skip_unmatched_imports_the_other_rows(profiles):
    out = run_import(
        "pts", FIX / "PTS-2024-unknown-country.csv", folder=profiles, skip_unmatched=True, today=TODAY
    )
    assert "Atlantis: matches no state" in out
    assert (profiles / "irq.yaml").is_file()


# --- profiles written, officers' values kept, versions ---------------------------------------------


def indicator(folder: Path, code: str, key: str) -> dict:
    return yaml.safe_load((folder / f"{code}.yaml").read_text())["indicators"][key]


def test_import_writes_values_with_their_source_row(profiles):
    out = run_import("pts", FIX / "PTS-2024.csv", folder=profiles, by="analyst", today=TODAY)
    ind = indicator(profiles, "irq", "pts")
    assert ind["value"] == 4 and ind["as_of"] == dt.date(2023, 12, 31)
    assert ind["dataset"]["row"] == 7 and ind["dataset"]["cells"]["PTS_S"] == "4"
    assert ind["dataset"]["edition"] == "2024" and len(ind["dataset"]["sha256"]) == 64
    assert "PTS-2024.csv row 7" in ind["source"]
    assert (profiles / "nordvale.yaml").read_bytes() == Path("scenarios/profiles/nordvale.yaml").read_bytes()
    log = versions.read_log(profiles / "irq.yaml")
    assert [(v.kind, v.by) for v in log] == [("import", "analyst")]
    assert "made fresh: " in out and "irq (pts)" in out


def test_officers_value_is_kept_and_marked_unless_replaced(profiles):
    run_import("pts", FIX / "PTS-2024.csv", folder=profiles, today=TODAY)
    run_set(
        profiles / "irq.yaml",
        "pts",
        "5",
        source="Embassy report",
        as_of=dt.date(2024, 3, 1),
        why="field report",
        by="officer",
    )
    out = run_import("pts", FIX / "PTS-2024.csv", folder=profiles, today=TODAY)
    ind = indicator(profiles, "irq", "pts")
    assert ind["value"] == 5 and ind["source"] == "Embassy report"
    assert ind["override_of"]["value"] == 4 and ind["override_of"]["dataset"]["row"] == 7
    assert "officer's value 5 kept; Political Terror Scale gives 4" in out
    # the override is shown where the value is used
    from riskcheck.facts import indicator_facts
    from riskcheck.loader import load_profile

    model, doc = load_profile(profiles / "irq.yaml")
    fact = indicator_facts(model.indicators, doc, ("indicators",), "profile")["pts"]
    assert "Political Terror Scale 2024 gives 4 for 2023 (PTS-2024.csv row 7)" in fact.note
    run_import("pts", FIX / "PTS-2024.csv", folder=profiles, replace_overrides=True, today=TODAY)
    assert indicator(profiles, "irq", "pts")["value"] == 4
    kinds = [v.kind for v in versions.read_log(profiles / "irq.yaml")]
    assert kinds == ["import", "edit", "import", "import"]


def test_a_later_year_is_not_overwritten_by_an_older_file(profiles):
    run_import("pts", FIX / "PTS-2024.csv", folder=profiles, today=TODAY)
    out = run_import("pts", FIX / "PTS-2024.csv", folder=profiles, year=2022, today=TODAY)
    assert indicator(profiles, "irq", "pts")["value"] == 4
    assert "kept 4 from 2023 (newer than 2022)" in out


def test_absent_states_get_none_only_where_a_profile_exists(profiles):
    run_import("pts", FIX / "PTS-2024.csv", folder=profiles, only=["DEU"], today=TODAY)
    (profiles / "deu.yaml").write_text(
        "id: deu\ncountry: DEU\nname: Germany\nfictional: false\nindicators: {}\n", encoding="utf-8"
    )
    run_import("ucdp", FIX / "ucdp-prio-acd-241.csv", folder=profiles, today=TODAY)
    assert indicator(profiles, "deu", "internal_conflict")["value"] == "none"
    assert indicator(profiles, "syr", "internal_conflict")["value"] == "war"
    assert not (profiles / "gbr.yaml").exists()  # no profile, not in the file: nothing created


def test_outside_edits_are_recorded_and_tampering_is_refused(profiles):
    run_import("pts", FIX / "PTS-2024.csv", folder=profiles, today=TODAY)
    path = profiles / "irq.yaml"
    path.write_text(path.read_text().replace("value: 4", "value: 3"), encoding="utf-8")
    run_import(
        "hdi", FIX / "HDR23-24_Composite_indices_complete_time_series.csv", folder=profiles, today=TODAY
    )
    log = versions.read_log(path)
    assert [v.kind for v in log] == ["import", "outside", "import"]
    log_file = versions.log_path(path)
    lines = log_file.read_text().splitlines()
    log_file.write_text("\n".join([lines[0].replace('"by": "', '"by": "x'), *lines[1:]]) + "\n")
    with pytest.raises(InputError) as e:
        versions.read_log(path)
    assert e.value.diagnostics[0].code == "RC610" and str(e.value.diagnostics[0].location).endswith(":1:1")


def test_cli_profile_log_and_set(profiles, capsys):
    assert (
        main(
            [
                "profile",
                "set",
                str(profiles / "nordvale.yaml"),
                "cpi",
                "80",
                "--source",
                "officer",
                "--as-of",
                "2025-01-01",
                "--why",
                "test",
                "--by",
                "me",
            ]
        )
        == 0
    )
    assert main(["profile", "log", str(profiles / "nordvale.yaml")]) == 0
    out = capsys.readouterr().out
    assert (
        "v1" in out and "baseline" in out and "v2" in out and "by me: test" in out and "cpi: 84 -> 80" in out
    )
    assert (
        main(
            [
                "profile",
                "set",
                str(profiles / "nordvale.yaml"),
                "cpi",
                "high",
                "--source",
                "x",
                "--as-of",
                "2025-01-01",
                "--why",
                "t",
            ]
        )
        == 2
    )
