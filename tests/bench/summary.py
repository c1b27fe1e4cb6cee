"""Print the benchmark summary from the JSON pytest-benchmark wrote (make bench).

The last line is the one the issue asks for::

    bench: single_ms=… batch_per_s=… replay_s=… robustness_s=… peer_ratio=… load_p95_ms=… load_solo_ms=… reassess_s=…
           floor_ratio=… peer_ratio_openfisca=… cli_million_s=… bytecode_cache=…

The lines before it give the other figures and each target met or missed. Medians throughout
(the machine is shared; see the min and max in .benchmarks/latest.json).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULT = Path(".benchmarks") / "latest.json"
TARGETS = {  # key: (limit, "lt" | "gt", what)
    "single_ms": (1.0, "lt", "one assessment with full trace"),
    "values_ms": (0.4, "lt", "one assessment to a full trace of values (no sentences)"),
    "text_ms": (1.0, "lt", "one assessment with the text explanation rendered"),
    "batch_s": (10.0, "lt", "100,000 applications with per-criterion output"),
    "replay_s": (5.0, "lt", "1,000 scenarios under two rule sets (diff.replay)"),
    "robustness_s": (1.0, "lt", "1,000 draws for one scenario (whatif.robustness, vectorised)"),
    "batch_per_s": (150_000.0, "gt", "register rows a second in process, CSV in, per-criterion results out"),
    "floor_ratio": (3.0, "lt", "batch_s over pyarrow reading the register and writing the results"),
    "peer_ratio": (10.0, "gt", "riskcheck rows/s (whole baseline, end to end) over ZEN rows/s (subset)"),
    "peer_ratio_openfisca": (1.5, "gt", "riskcheck's evaluator rows/s over OpenFisca's, same subset"),
    "cli_million_s": (10.0, "lt", "riskcheck batch on 1,000,000 rows, process start to exit"),
    "peak_rss_mb": (2048.0, "lt", "peak memory for 1,000,000 rows"),
    "load_p95_ms": (1000.0, "lt", "server-side p95 of ten sessions assessing at once (see load_solo_ms)"),
    "reassess_s": (10.0, "lt", "100,000 recorded assessments re-assessed after a profile update"),
}
LINE = (
    "single_ms",
    "batch_per_s",
    "replay_s",
    "robustness_s",
    "peer_ratio",
    "values_ms",
    "text_ms",
    "load_p95_ms",
    "load_solo_ms",
    "reassess_s",
    "floor_ratio",
    "peer_ratio_openfisca",
    "cli_million_s",
    "bytecode_cache",
)


def figures(data: dict[str, Any]) -> dict[str, Any]:
    by_name = {b["name"]: b for b in data["benchmarks"]}

    def median(name: str) -> float | None:
        b = by_name.get(name)
        return None if b is None else float(b["stats"]["median"])

    def extra(name: str, key: str) -> Any:
        b = by_name.get(name)
        return None if b is None else b.get("extra_info", {}).get(key)

    out: dict[str, Any] = {}
    for name, key in (
        ("test_single_assessment_full_trace", "single_ms"),
        ("test_single_assessment_values", "values_ms"),
        ("test_single_assessment_with_text", "text_ms"),
        ("test_load_and_assess_from_files", "load_assess_ms"),
        ("test_render_json_and_text", "render_ms"),
    ):
        m = median(name)
        if m is not None:
            out[key] = m * 1000
    m, rows = median("test_batch_register"), extra("test_batch_register", "rows")
    if m and rows:
        out["batch_s"], out["batch_rows"], out["batch_per_s"] = m, rows, rows / m
    floor = median("test_batch_floor")
    if floor and "batch_s" in out:
        out["floor_s"] = floor
        out["floor_ratio"] = extra("test_batch_floor", "paired_ratio") or out["batch_s"] / floor
        out["floor_ratio_cpu"] = extra("test_batch_floor", "paired_ratio_cpu")
    for name, key in (
        ("test_batch_stray_quote", "stray_quote_s"),
        ("test_batch_problem_rows", "problem_rows_s"),
        ("test_replay_diff", "replay_s"),
        ("test_replay_batch_folder", "replay_batch_s"),
        ("test_robustness_whatif", "robustness_s"),
        ("test_robustness_reference", "robustness_reference_s"),
        ("test_reassess_after_a_profile_update", "reassess_s"),
        ("test_reassess_records_without_kept_cases", "reassess_old_s"),
    ):
        m = median(name)
        if m is not None:
            out[key] = m
    zen, ours = median("test_peer_zen_row_by_row"), median("test_peer_riskcheck_batch")
    peer_rows = extra("test_peer_riskcheck_batch", "rows")
    if zen and ours and peer_rows:
        out["peer_rows"] = peer_rows
        out["riskcheck_rows_per_s"] = peer_rows / ours
        out["zen_rows_per_s"] = peer_rows / zen
        out["peer_ratio"] = zen / ours  # same rows: (rows/ours) / (rows/zen)
    of, ev = median("test_peer_openfisca"), median("test_peer_riskcheck_evaluator")
    ev_rows = extra("test_peer_riskcheck_evaluator", "rows")
    if of and ev and ev_rows:
        out["evaluator_rows_per_s"] = ev_rows / ev
        out["openfisca_rows_per_s"] = ev_rows / of
        out["peer_ratio_openfisca"] = of / ev
    for key in ("load_p95_ms", "load_solo_ms", "load_click_spread_ms", "load_analyse_p95_ms"):
        x = extra("test_load_ten_sessions", key)
        if x is not None:
            out[key] = float(x)
    if "load_p95_ms" in out and out.get("load_solo_ms"):
        out["load_ratio"] = out["load_p95_ms"] / out["load_solo_ms"]
    if median("test_memory_million_rows") is not None:
        out["memory_rows"] = extra("test_memory_million_rows", "rows")
        out["peak_rss_mb"] = extra("test_memory_million_rows", "peak_rss_mb")
        out["memory_s"] = median("test_memory_million_rows")
        for key in (
            "cli_s",
            "cli_cpu_s",
            "cli_start_s",
            "cli_start_cached_s",
            "bytecode_cache",
            "pandas_imported",
        ):
            x = extra("test_memory_million_rows", key)
            if x is not None:
                out["cli_million_s" if key == "cli_s" else key] = x
    return out


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool | str):
        return str(value)
    if key.endswith(("per_s", "rows")):
        return f"{value:.0f}"
    if key.endswith("ratio"):
        return f"{value:.1f}"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def main() -> int:
    if not RESULT.exists():
        print(f"bench: no results at {RESULT}", file=sys.stderr)
        return 1
    f = figures(json.loads(RESULT.read_text()))
    details = [k for k in f if k not in LINE]
    print("bench details: " + " ".join(f"{k}={_fmt(k, f[k])}" for k in details))
    for key, (limit, how, what) in TARGETS.items():
        if key in f:
            ok = f[key] < limit if how == "lt" else f[key] > limit
            sign = "<" if how == "lt" else ">"
            print(
                f"bench target {'met   ' if ok else 'MISSED'}: {key}={_fmt(key, f[key])} ({sign} {limit:g}: {what})"
            )
    print("bench: " + " ".join(f"{k}={_fmt(k, f.get(k))}" for k in LINE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
