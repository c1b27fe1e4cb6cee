"""The package has the shape of the pipeline and its imports flow one way.

Every module of riskcheck is placed in a layer (load -> check -> plan/evaluate -> explain -> the
services over them -> the front ends). The test reads each module's imports from its source, those
inside functions included (a lazy import is still a dependency; only ``if TYPE_CHECKING:`` blocks,
which never run, are left out), and fails on an import cycle between modules, on a module importing
a higher layer, and on a module no layer names (so that a new module is placed on purpose).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "riskcheck"

# Lowest first. A module may import its own layer and those below it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "errors",
            "vocabulary",
            "yamlfile",
            "atomic",
            "paths",
            "spreadsheet",
            "safe_read",
            "text_safety",
            "profile_versions",
        ),
    ),
    ("models", ("scenario_model", "rules_model", "schemas")),
    ("facts", ("facts", "conditions", "loaded")),
    ("load and check", ("checks", "rule_layers", "loader")),
    ("engine", ("engine",)),
    ("explain", ("trace", "explain", "pipeline")),
    (
        "services",
        (
            "whatif",
            "robustness",
            "diff",
            "compare",
            "scenarios",
            "rule_edits",
            "history",
            "kept_case",
            "ledger",
        ),
    ),
    ("front ends over files", ("batch", "training", "evidence", "pytest_plugin")),
    ("front ends", ("cli", "app", "__init__", "__main__")),
]
# The engine and the explain layer never reach a front end, whatever the layer numbers say.
NEVER = {("engine", "app"), ("engine", "batch"), ("engine", "training"), ("engine", "cli")}
NEVER |= {("explain", x) for _, x in NEVER}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    for i, (_, names) in enumerate(LAYERS):
        if top in names:
            return i
    raise LookupError(module)


def _type_checking_only(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if module == "__init__":
        base = []
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([target] if target else [])])


def imports_of(module: str) -> set[str]:
    """The riskcheck modules ``module`` imports (by name in ``MODULES``)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("riskcheck."):
                    found.add(alias.name.removeprefix("riskcheck."))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if not (node.module or "").startswith("riskcheck"):
                    return
                base = (node.module or "").removeprefix("riskcheck").lstrip(".")
            else:
                base = _resolve(module, is_package, node.level, node.module)
            for alias in node.names:
                sub = f"{base}.{alias.name}" if base else alias.name
                found.add(sub if sub in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard("")
    found.discard(module)
    return {m for m in found if m in MODULES}


GRAPH = {m: imports_of(m) for m in MODULES}


def test_every_module_has_a_layer() -> None:
    unplaced = []
    for m in MODULES:
        try:
            layer_of(m)
        except LookupError:
            unplaced.append(m)
    assert not unplaced, f"place these modules in a layer of tests/test_layers.py: {unplaced}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_flow_down(module: str) -> None:
    mine = layer_of(module)
    top = module.split(".")[0]
    for dep in sorted(GRAPH[module]):
        assert (top, dep.split(".")[0]) not in NEVER, f"{module} imports {dep}"
        assert layer_of(dep) <= mine, (
            f"{module} ({LAYERS[mine][0]}) imports {dep} ({LAYERS[layer_of(dep)][0]}), a higher layer"
        )


def test_no_import_cycles() -> None:
    """Tarjan's strongly connected components over the module graph: every component is one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            connect(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_walk_sees_lazy_imports() -> None:
    """The test has teeth: imports inside functions count (the CLI imports lazily)."""
    assert "pipeline" in GRAPH["cli"]  # imported inside cmd_assess
    assert "engine.arrays" in GRAPH["robustness"]  # imported inside robustness()
