"""The batch package type-checks (mypy), as the core and training packages do."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = [str(p) for p in sorted((ROOT / "riskcheck" / "batch").glob("*.py"))]


@pytest.mark.skipif(
    shutil.which("mypy", path=str(Path(sys.executable).parent)) is None, reason="mypy not installed"
)
def test_batch_modules_type_check() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", *FILES],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
