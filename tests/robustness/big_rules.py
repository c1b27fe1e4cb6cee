"""Oversized rule sets for the hostile-input harness (issue 17, item 11): the bundled baseline with
thousands of extra mitigations or factors, kept under the 1 MiB file limit, written beside a copy
of its reference data so that they load as a reviewer's own rule file would."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "rules" / "baseline.yaml"


def _mitigations(n: int) -> str:
    return "".join(
        f"  - {{id: m{i}, title: M, control: euc_government, reduces: {{c7-diversion: 0.01}}, "
        f'condition_text: C, cite: ["eucp Art. 5"]}}\n'
        for i in range(n)
    )


def _factors(n: int) -> str:
    return "".join(
        f"      - {{id: f{i}, title: F{i}, input: country.pts, weight: 1, "
        f"bands: [{{max: 3, score: 0}}, {{min: 3, score: 1}}], missing: {{policy: assume_worst}}, "
        f'explain: "x", cite: ["eucp Criterion 2(a)"]}}\n'
        for i in range(n)
    )


def write(folder: Path, kind: str, n: int) -> Path:
    """``folder/big-<kind>.yaml``: the baseline with ``n`` extra mitigations or factors."""
    text = BASELINE.read_text()
    if kind == "mitigations":
        text = text.replace("mitigations:\n", "mitigations:\n" + _mitigations(n), 1)
    elif kind == "factors":
        marker = "    factors:\n"
        at = text.index(marker, text.index("id: c2a-repression"))
        text = text[: at + len(marker)] + _factors(n) + text[at + len(marker) :]
    else:
        raise ValueError(kind)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(BASELINE.parent / "reference", folder / "reference", dirs_exist_ok=True)
    path = folder / f"big-{kind}.yaml"
    path.write_text(text)
    return path
