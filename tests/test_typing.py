"""The core package type-checks (mypy). The app and batch front ends are checked by their own tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ["errors", "yamlfile", "vocabulary", "scenario_model", "rules_model", "loader", "checks", "conditions",
        "facts", "engine", "trace", "explain", "whatif", "diff", "scenarios", "paths", "atomic", "schemas"]


@pytest.mark.skipif(shutil.which("mypy", path=str(Path(sys.executable).parent)) is None, reason="mypy not installed")
def test_core_modules_type_check():
    files = [str(ROOT / "riskcheck" / f"{m}.py") for m in CORE]
    r = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent", *files], capture_output=True,
                       text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
