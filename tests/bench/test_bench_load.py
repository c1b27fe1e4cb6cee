"""Benchmark: ten analysts assessing at once on one app server (make bench).

``load_p95_ms`` is the server-side 95th percentile of ten assessments requested at the same moment
(the target is 1 s on a 2-core server); ``load_solo_ms`` is one assessment with nothing else running,
measured in the same run, so that the ratio can be compared across machines that differ by 2x or
more. The driver is ``tests/robustness/load.py``; ``tests/robustness/test_app_load.py`` asserts
the behaviour (every session succeeds, nothing lost, chains intact) in ``make test``, so this
benchmark runs only when benchmarks are enabled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

if not Path("/usr/bin/chromium").exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

from tests.bench.test_bench_batch import _disabled  # noqa: E402
from tests.robustness.load import run_load  # noqa: E402


def test_load_ten_sessions(benchmark, tmp_path, request):
    if _disabled(request.config):
        pytest.skip("a latency figure, measured by make bench; test_app_load.py checks the behaviour")
    figures = benchmark.pedantic(run_load, args=(tmp_path,), rounds=1, iterations=1)
    benchmark.extra_info.update(
        {
            "load_p95_ms": figures["server_p95_ms"],
            "load_p50_ms": figures["server_p50_ms"],
            "load_solo_ms": figures["one_session_alone_ms"],
            "load_click_spread_ms": figures["click_spread_ms"],
            "load_analyse_p95_ms": figures["analyse"]["server_p95_ms"],
            "load_cpu_split": figures["cpu_split"],
        }
    )
    assert figures["succeeded"] == 10
