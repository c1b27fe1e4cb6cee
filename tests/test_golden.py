"""Golden explanations of every bundled scenario. Update deliberately with
`make golden` (pytest --update-golden) and review the change with `git diff`."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskcheck import assess
from riskcheck.explain import render
from riskcheck.loader import load_rules, load_scenario
from riskcheck.paths import rules_file_for

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
EXT = {"text": "txt", "markdown": "md", "json": "json"}


@pytest.mark.parametrize("fmt", sorted(EXT))
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_golden(path: Path, fmt: str, update_golden: bool, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ROOT)  # paths in the output are shown relative to the working directory
    scenario = load_scenario(path)
    out = render(assess(load_rules(rules_file_for(scenario.model.rules, path)), scenario), fmt)
    golden = GOLDEN / f"{path.stem}.{EXT[fmt]}"
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(out)
        pytest.skip("golden file updated")
    assert golden.exists(), f"no golden file {golden.name}: run `make golden` and review it"
    assert out == golden.read_text(), f"{golden.name} differs: review, then `make golden`"
