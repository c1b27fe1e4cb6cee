"""Print the one-line benchmark summary from the JSON pytest-benchmark wrote (make bench)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULT = Path(".benchmarks") / "latest.json"
NAMES = {
    "test_single_assessment_full_trace": "single_ms",
    "test_load_and_assess_from_files": "load_assess_ms",
    "test_render_json_and_text": "render_ms",
    "test_interaction_change_control": "interaction_ms",
    "test_analysis_counterfactuals_and_robustness": "analysis_ms",
}


def main() -> int:
    if not RESULT.exists():
        print(f"bench: no results at {RESULT}", file=sys.stderr)
        return 1
    data = json.loads(RESULT.read_text())
    figures = {}
    for b in data["benchmarks"]:
        key = NAMES.get(b["name"])
        if key:
            figures[key] = b["stats"]["median"] * 1000
    print("bench: " + " ".join(f"{k}={v:.3f}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
