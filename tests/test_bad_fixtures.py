"""One bad fixture per failure mode. Each file marks its offending line with '# <- RCxxx';
the check must report that code on that line, at a column pointing into the line's text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from riskcheck.cli import check_paths
from riskcheck.errors import display_path

BAD = Path(__file__).resolve().parent / "fixtures" / "bad"
FILES = sorted(BAD.glob("*.yaml"))
MARK = re.compile(r"# <- (RC\d{3})")


def expected_marks(path: Path) -> list[tuple[int, str]]:
    return [
        (n, m.group(1)) for n, line in enumerate(path.read_text().splitlines(), 1) if (m := MARK.search(line))
    ]


def test_there_is_a_fixture_for_every_diagnostic_code():
    codes = {code for f in FILES for _, code in expected_marks(f)}
    assert codes >= {
        "RC101",
        "RC102",
        "RC103",
        "RC104",
        "RC201",
        "RC202",
        "RC203",
        "RC301",
        "RC302",
        "RC303",
        "RC304",
        "RC305",
        "RC306",
        "RC307",
        "RC308",
        "RC309",
        "RC310",
        "RC311",
        "RC312",
        "RC313",
        "RC314",
        "RC315",
        "RC317",
        "RC319",
        "RC322",
        "RC340",
        "RC341",
        "RC342",
        "RC343",
        "RC401",
        "RC402",
        "RC404",
        "RC405",
        "RC406",
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bad_fixture_is_reported_at_its_marked_line(path: Path):
    marks = expected_marks(path)
    assert len(marks) == 1, "a bad fixture marks exactly one line"
    line_no, code = marks[0]
    diags, n = check_paths([path])
    assert n == 1
    hits = [d for d in diags if d.code == code and d.location.line == line_no]
    assert hits, f"expected {code} at line {line_no}, got: " + "; ".join(map(str, diags))
    d = hits[0]
    assert d.location.path == display_path(path)
    text = path.read_text().splitlines()[line_no - 1]
    assert 1 <= d.location.col <= len(text) and not text[d.location.col - 1].isspace()
    severity = "warning" if code in ("RC320", "RC321", "RC323", "RC330", "RC331", "RC332") else "error"
    assert str(d).startswith(f"{d.location.path}:{line_no}:{d.location.col}: {severity} {code}: ")
    assert "\n" not in d.message


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path):
    text = (BAD.parent / "rules" / "tiny.yaml").read_text()
    text = text.replace("input: country.pts", "input: country.ptss").replace(
        'cite: ["att Art. 11(2)"]', 'cite: ["atx Art. 11(2)"]'
    )
    text = text.replace("reduces: {conflict: 0.5}", "reduces: {conflit: 0.5}")
    f = tmp_path / "many.yaml"
    f.write_text(text)
    diags, _ = check_paths([f])
    assert [d.code for d in diags] == sorted(
        ["RC305", "RC306", "RC302"], key=lambda c: {"RC305": 0, "RC302": 1, "RC306": 2}[c]
    )
    assert [d.location.line for d in diags] == sorted(d.location.line for d in diags)
