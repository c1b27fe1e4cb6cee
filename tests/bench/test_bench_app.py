"""Benchmarks of the app (run with `make bench`; in `make test` each runs once, as a plain test).

interaction_ms: one server-side interaction through AppTest - tick or untick a control in the
what-if panel (the "What would change it" tab), and the page reruns with the new decision and its explanation rendered. The scenario
is valdoria-rifles-rebutted, where consent to on-site checks decides between approval with
conditions and denial, so every round really changes the answer.

analysis_ms: what the Assess page computes beside the decision when one of its analysis tabs is
first opened for a transfer - counterfactuals, missing-evidence ranking and a 1,000-draw robustness
run (the answer itself never waits for it).
"""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from riskcheck.loader import load_rules, load_scenario
from riskcheck.whatif import analyse

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "riskcheck" / "app" / "main.py"
REBUTTED = ROOT / "scenarios" / "valdoria-rifles-rebutted.yaml"


def _decisions(at: AppTest) -> list[str]:
    return [d for m in at.markdown for d in re.findall(r'data-decision="([a-z_]+)"', m.value)]


def test_interaction_change_control(benchmark, tmp_path, monkeypatch):
    monkeypatch.setenv("RISKCHECK_DB_URL", f"sqlite:///{tmp_path / 'h.db'}")
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.run()
    at.radio(key="start.kind").set_value("A bundled scenario").run()
    at.selectbox(key="start.scenario").set_value(str(REBUTTED)).run()
    at.button(key="start.open").click().run()
    key = f"form.{at.session_state['rc.version']}.whatif.psv_consent"
    at.session_state["assess.tab"] = "What would change it"  # the panel is on this (lazy) tab
    at.run()  # warm: the analysis of this transfer is cached, as after any first view

    def toggle() -> list[str]:
        box = at.checkbox(key=key)
        box.set_value(not box.value)
        at.run()
        return _decisions(at)

    shown = benchmark(toggle)
    assert not at.exception
    assert len(shown) == 2 and shown[0] != "deny"
    assert shown[1] in ("deny", shown[0])  # without on-site checks the presumption stands again
    states = {tuple(toggle()) for _ in range(2)}
    assert {s[1] for s in states} == {"deny", shown[0]}  # both directions were measured


def test_analysis_counterfactuals_and_robustness(benchmark):
    rules, scenario = load_rules(ROOT / "rules" / "baseline.yaml"), load_scenario(REBUTTED)
    an = benchmark(analyse, rules, scenario)
    assert an.robustness.draws == 1000
