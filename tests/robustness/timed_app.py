"""Run the riskcheck app under Streamlit with server-side timing of every script run (for the load test).

    python tests/robustness/timed_app.py PORT LOGFILE

For each session, the time from the moment the server receives a rerun request (a page load, a
widget change, a button) to the moment that script run ends is appended to LOGFILE as one JSON
line: ``{"session": ..., "ms": ..., "event": ..., "at": ..., "cpu_s": ...}``. Only Streamlit's public
entry point is called; two methods of AppSession are wrapped, which is what this test pins.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from streamlit.runtime import app_session
from streamlit.runtime.scriptrunner import ScriptRunnerEvent
from streamlit.web import cli

ROOT = Path(__file__).resolve().parents[2]
# A run stopped for a rerun is not finished: the newer request's clock keeps running.
FINISHED = {
    ScriptRunnerEvent.SCRIPT_STOPPED_WITH_SUCCESS,
    ScriptRunnerEvent.SCRIPT_STOPPED_WITH_COMPILE_ERROR,
    ScriptRunnerEvent.FRAGMENT_STOPPED_WITH_SUCCESS,
}


def install(log_path: str) -> None:
    lock = threading.Lock()
    started: dict[str, float] = {}
    handle_backmsg = app_session.AppSession.handle_backmsg
    on_event = app_session.AppSession._on_scriptrunner_event

    def timed_handle_backmsg(self, msg):  # type: ignore[no-untyped-def]
        if msg.WhichOneof("type") == "rerun_script":
            with lock:
                started[self.id] = time.monotonic()
        return handle_backmsg(self, msg)

    def timed_on_event(self, sender, event, *args, **kwargs):  # type: ignore[no-untyped-def]
        if event in FINISHED:
            end = time.monotonic()
            with lock:
                t0 = started.pop(self.id, None)
                if t0 is not None:
                    line = {
                        "session": self.id,
                        "ms": round((end - t0) * 1000, 1),
                        "event": event.name,
                        "at": end,
                        "cpu_s": time.process_time(),  # the server's CPU time so far (all threads)
                    }
                    with open(log_path, "a", encoding="utf-8") as fh:
                        fh.write(json.dumps(line) + "\n")
        return on_event(self, sender, event, *args, **kwargs)

    app_session.AppSession.handle_backmsg = timed_handle_backmsg  # type: ignore[method-assign]
    app_session.AppSession._on_scriptrunner_event = timed_on_event  # type: ignore[method-assign]


def main() -> None:
    port, log_path = sys.argv[1], sys.argv[2]
    install(log_path)
    sys.argv = [
        "streamlit",
        "run",
        str(ROOT / "riskcheck" / "app" / "main.py"),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        port,
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--theme.base",
        "light",
    ]
    cli.main()


if __name__ == "__main__":
    main()
