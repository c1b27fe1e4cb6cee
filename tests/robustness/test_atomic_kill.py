"""A process killed while saving leaves the old file or the new one, never a mix or a stub.

A child process rewrites one file with write_text_atomic in a loop, alternating two large,
distinct contents; the parent kills it with SIGKILL at random moments and checks the file.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import sys
from pathlib import Path
from riskcheck.atomic import write_text_atomic
target = Path(sys.argv[1])
a, b = "A" * 2_000_000 + "\\n", "B" * 3_000_000 + "\\n"
print("ready", flush=True)
i = 0
while True:
    write_text_atomic(target, a if i % 2 else b)
    i += 1
"""

KILLS = 25


def test_kill_during_save_never_leaves_a_partial_file(tmp_path: Path):
    target = tmp_path / "rules.yaml"
    old = "A" * 2_000_000 + "\n"
    new = "B" * 3_000_000 + "\n"
    target.write_text(old)
    rng = random.Random(8)
    for _ in range(KILLS):
        with subprocess.Popen(
            [sys.executable, "-c", CHILD, str(target)], stdout=subprocess.PIPE, text=True
        ) as child:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.05))
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
        content = target.read_text()
        assert content in (old, new), f"partial file of {len(content)} characters"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "rules.yaml"]
    # a killed writer may leave its temporary file behind, but never in place of the target
    assert all(name.startswith(".rules.yaml.") and name.endswith(".tmp") for name in leftovers)
