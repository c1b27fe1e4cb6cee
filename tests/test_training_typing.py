"""Training mode type-checks (mypy): the pure package and its app pages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = [
    *(str(p) for p in sorted((ROOT / "riskcheck" / "training").glob("*.py"))),
    *(
        str(ROOT / "riskcheck" / "app" / f"{m}.py")
        for m in (
            "training_ui",
            "training_role",
            "training_debrief_ui",
            "training_shared",
            "training_trainee_ui",
            "training_trainer_ui",
        )
    ),
]


@pytest.mark.skipif(
    shutil.which("mypy", path=str(Path(sys.executable).parent)) is None, reason="mypy not installed"
)
def test_training_modules_type_check():
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", *FILES],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
