"""Workbooks in the publishers' layouts (docs/evidence.md), written for the importer tests."""

from __future__ import annotations

from pathlib import Path

import openpyxl


def cirights(path: Path, sheet: str = "Sheet1", column: str = "Physical Integrity Rights Index") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["country", "year", "cow", column, "Disappearances", "Torture"])
    ws.append(["Iraq", 2021, 645, 1, 0, 0])
    ws.append(["Iraq", 2022, 645, 2, 1, 0])
    ws.append(["United States of America", 2022, 2, 6, 2, 1])
    ws.append(["Turkey", 2022, 640, None, None, None])  # missing: an empty cell
    ws.append(["Yugoslavia", 1990, 345, 4, 2, 1])
    wb.save(path)
    return path


def cpi(path: Path, header_row: int = 4, score: str = "CPI score 2023") -> Path:
    """Title block above the header (row 4), a time-series sheet, Kosovo as KSV, a note below."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "CPI2023"
    ws.append(["CORRUPTION PERCEPTIONS INDEX 2023"])
    ws.append(["Global results & trends"])
    for i, h in enumerate(
        ["Country / Territory", "ISO3", "Region", score, "Rank", "Standard error"], start=1
    ):
        ws.cell(row=header_row, column=i, value=h)  # row 3 stays empty, as in the published workbook
    ws.append(["Denmark", "DNK", "WE/EU", 90, 1, 1.81])
    ws.append(["Iraq", "IRQ", "MENA", 23, 154, 1.2])
    ws.append(["Kosovo", "KSV", "ECA", 41, 83, 2.0])
    ws.append(["Somalia", "SOM", "SSA", 11, 180, 1.4])
    ws.append([])
    ws.append(["Note: scores are rounded; see the methodology."])
    ts = wb.create_sheet("CPI Timeseries 2012 - 2023")
    ts.append(["CPI 2012-2023"])
    for i, h in enumerate(
        ["Country / Territory", "ISO3", "Region", "CPI score 2023", "CPI score 2022", "Standard error 2022"],
        start=1,
    ):
        ts.cell(row=4, column=i, value=h)
    ts.append(["Denmark", "DNK", "WE/EU", 90, 90, 1.8])
    ts.append(["Iraq", "IRQ", "MENA", 23, 23, 1.3])
    ts.append(["Somalia", "SOM", "SSA", 11, 12, 1.5])
    wb.save(path)
    return path


def sipri(path: Path, sheet: str = "Share of GDP") -> Path:
    """Title block, header on row 6 ('Country', 'Notes', years), region rows, '...' and 'xxx'."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["SIPRI Military Expenditure Database \u2014 Share of GDP \u00a9 SIPRI 2024"])
    ws.append(["Countries are grouped by region and subregion."])
    ws.append(["Figures in blue are SIPRI estimates."])
    ws.append(['"..." = data unavailable. "xxx" = country did not exist or was not independent.'])
    for i, h in enumerate(["Country", "Notes", 2021, 2022, 2023], start=1):
        ws.cell(row=6, column=i, value=h)  # row 5 empty, row 7 empty below the header
    ws.cell(row=8, column=1, value="Africa")
    ws.append(["North Africa"])
    ws.append(["Algeria", None, 0.0559, 0.0478, 0.0825])
    ws.append(["Middle East"])
    ws.append(["Iraq", "\u00a7", 0.0254, 0.0199, "..."])
    ws.append(["Syria", None, "...", "...", "..."])
    ws.append(["Americas"])
    ws.append(["United States of America", None, 0.0346, 0.0347, 0.0336])
    ws.append(["South Sudan", None, "xxx", 0.0211, 0.0192])
    ws.append(["\u00a7 Figures for Iraq exclude spending on the Popular Mobilization Forces."])
    wb.save(path)
    return path
