"""Where the bundled rules and scenarios live.

Resolved in this order (tech-notes: an editable install cannot see the packaged
copy): the RISKCHECK_HOME environment variable, the checkout next to the
package, then the copy packaged inside the wheel.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_root() -> Path:
    env = os.environ.get("RISKCHECK_HOME")
    if env:
        return Path(env)
    checkout = PACKAGE.parent
    if (checkout / "rules").is_dir() and (checkout / "scenarios").is_dir():
        return checkout
    return PACKAGE / "_data"


def rules_dir() -> Path:
    return data_root() / "rules"


def scenarios_dir() -> Path:
    return data_root() / "scenarios"


def rules_file_for(rule_set_id: str, near: Path | None = None) -> Path:
    """The file of a rule set named by id: next to the scenario's own tree first, then the bundled one."""
    if near is not None:
        local = near.resolve().parent.parent / "rules" / f"{rule_set_id}.yaml"
        if local.is_file():
            return local
    return rules_dir() / f"{rule_set_id}.yaml"


def scenario_files(paths: list[Path]) -> list[Path]:
    """Scenario files named or found (non-recursively) in folders; shared profiles are not scenarios."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(x for x in p.glob("*.yaml") if x.is_file())
        else:
            out.append(p)
    return out
