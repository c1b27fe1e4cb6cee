"""A newcomer's one command: `make run` installs only what the app needs, and stopping `riskcheck app`
(Ctrl+C, or SIGTERM as make and service managers send it) stops the server it started."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.server import free_port

ROOT = Path(__file__).resolve().parent.parent
RISKCHECK = Path(sys.executable).with_name("riskcheck")


def test_make_run_installs_the_app_without_the_test_tools() -> None:
    # -n: print the recipes without running them; -B: as on a new checkout (every stamp out of date)
    out = subprocess.run(
        ["make", "-n", "-B", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    installs = [line for line in out.splitlines() if "uv pip install" in line]
    assert installs and all(line.rstrip().endswith("-e .") for line in installs), installs
    assert "[test]" not in out and "playwright" not in out
    assert "riskcheck app --port 8501" in out


def serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return bool(r.read().decode().strip() == "ok")
    except OSError:
        return False


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return bool(condition())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_stopping_riskcheck_app_stops_the_server(tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    cmd = [str(RISKCHECK), "app", "--port", str(port), "--db", f"sqlite:///{tmp_path / 'h.db'}"]
    # its own process group, so that the test can clean up whatever is left; the signal itself goes
    # to the riskcheck process only, as `kill PID` or make's forwarding sends it
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        assert wait_for(lambda: serving(port), 60), "the app did not start"
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)
        assert wait_for(lambda: not serving(port), 10), "the server still answers after riskcheck app ended"
        left = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert not left, f"processes of riskcheck app still running: {left}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
