"""The import structure shows the architecture: stages import downwards, never in a circle.

Built with ast over the tree (no imports executed): a module-level import is one at the top of a
module (also inside top-level if/try), not one inside a function and not under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("luxguard", "scanners", "policypack", "stacks")
# What the core (model, rules, engine) may not know about: the stages built on it.
ABOVE_CORE = ("luxguard.sources", "luxguard.policy", "luxguard.actors", "luxguard.sinks", "luxguard.sandbox",
              "luxguard.commands", "luxguard.pipeline")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py"))}
MODULES["cli"] = REPO / "cli.py"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    statements = []
    for node in body:
        if isinstance(node, ast.If):
            if not _is_type_checking(node):
                statements += _top_level(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            statements += _top_level(node.body + node.orelse + node.finalbody
                                     + [s for h in node.handlers for s in h.body])
        else:
            statements.append(node)
    return statements


def _targets(node: ast.stmt, importer: str) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) of one import statement, absolute."""
    if isinstance(node, ast.Import):
        return [(alias.name, []) for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = importer.split(".")
            if MODULES[importer].name != "__init__.py":
                package = package[:-1]
            package = package[:len(package) - node.level + 1]
            base = ".".join(package + ([base] if base else []))
        return [(base, [alias.name for alias in node.names])]
    return []


def imports(module: str, top_level_only: bool) -> list[tuple[str, list[str]]]:
    """Project modules `module` imports (a `from a import b` of a submodule b counts as a.b)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    nodes = _top_level(tree.body) if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        for target, names in _targets(node, module):
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            if submodules:
                found += [(m, []) for m in submodules]
                names = [n for n in names if f"{target}.{n}" not in MODULES]
                if not names:
                    continue
            if target in MODULES:
                found.append((target, names))
    return found


def test_the_graph_sees_the_tree():
    assert {"luxguard.core.engine", "luxguard.pipeline", "luxguard.actors.enforcer.runner", "cli"} <= set(MODULES)
    assert any(target == "luxguard.core.rules" and "Rule" in names
               for target, names in imports("luxguard.pipeline", top_level_only=True))
    graph = {m: {target for target, _ in imports(m, top_level_only=True)} for m in MODULES}
    assert sum(len(targets) for targets in graph.values()) > 2 * len(MODULES)


def test_only_the_entry_point_imports_the_cli():
    importers = sorted(m for m in MODULES if m != "cli"
                       for target, _ in imports(m, top_level_only=False) if target == "cli")
    assert importers == []


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of the graph, as a path back to its start; [] when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return []


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_import_circle_between_modules():
    graph = {m: {target for target, _ in imports(m, top_level_only=True) if target != m} for m in MODULES}
    assert find_cycle(graph) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("luxguard.core")))
def test_the_core_imports_no_stage_built_on_it(module):
    upward = sorted(target for target, _ in imports(module, top_level_only=False)
                    if target.startswith(ABOVE_CORE))
    assert upward == []


def test_no_module_imports_another_ones_private_names():
    reach_ins = sorted(f"{m} imports {target}.{name}" for m in MODULES
                       for target, names in imports(m, top_level_only=False) if target != m
                       for name in names if name.startswith("_") and not name.startswith("__"))
    assert reach_ins == []
