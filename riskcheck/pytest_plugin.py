"""pytest collects scenario expectations: ``pytest scenarios/`` in a rules repository runs them.

Each expectation (per rule set, and per inject) is one test item; a failure
names the file and scenario. Only YAML files directly inside a folder named
``scenarios`` are collected (shared profiles live in a subfolder), so other YAML
in a project is left alone; an invalid scenario file is one failing item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .errors import InputError


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Any:
        from .scenarios import run_file

        try:
            results = run_file(self.path)
        except InputError as e:
            yield InvalidScenario.from_parent(self, name="valid", error=e)
            return
        for r in results:
            name = f"{r.rule_set}" + ("" if r.stage == "initial" else f"[{r.stage.split(':')[0]}]")
            yield ExpectationItem.from_parent(self, name=name, result=r)


class ExpectationFailed(Exception):
    pass


class ExpectationItem(pytest.Item):
    def __init__(self, *, result: Any, **kw: Any) -> None:
        super().__init__(**kw)
        self.result = result

    def runtest(self) -> None:
        if not self.result.ok:
            raise ExpectationFailed(str(self.result))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, ExpectationFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.result.path}: scenario '{self.result.scenario_id}'"


class InvalidScenario(pytest.Item):
    def __init__(self, *, error: InputError, **kw: Any) -> None:
        super().__init__(**kw)
        self.error = error

    def runtest(self) -> None:
        raise ExpectationFailed(str(self.error))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "scenario file"
