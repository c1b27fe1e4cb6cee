"""Load: ten concurrent browser sessions each run an assessment, and what must hold on any machine.

The driver is ``load.py`` (ten chromium pages against one app server; see its docstring). This
test asserts what is true however fast the machine is: every one of the ten sessions shows the
decision its scenario's ``expected`` block states (reasoned when the scenario was written, not
taken from the engine), then the counterfactual panel, with no exception on any page; every
scenario that was loaded is recorded in the history database; and every hash chain in it verifies.

How fast it is (server-side p95 against the 1 s target, beside one session alone) is a figure of
the machine, reported by ``make bench`` (``load_p95_ms``), never asserted here: the same code gave
0.5-0.7 s on one 2-core machine and 1.3 s on another.
"""

from __future__ import annotations

from pathlib import Path

import pytest

if not Path("/usr/bin/chromium").exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

from tests.robustness.load import SESSIONS, recorded, run_load  # noqa: E402


def test_ten_concurrent_sessions_each_run_an_assessment(tmp_path):
    figures = run_load(tmp_path)  # asserts each page's decision and that no page shows an exception
    assert figures["succeeded"] == SESSIONS
    assert figures["analyse"]["succeeded"] == SESSIONS
    ids, broken = recorded(figures["history_db"])
    assert not broken, broken
    # nothing lost: the session alone and each of the ten recorded what they loaded
    assert set(figures["scenarios"]) <= set(ids), (figures["scenarios"], ids)
