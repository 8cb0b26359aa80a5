"""The package import graph, built from the source: layers, no cycle, no private edges.

gridv2x is layered. Leaf modules (``options``, ``errors``, ``conventions``, ``calendar``) import
nothing above them; the domain packages (network, demand, adoption, mobility, charging,
powerflow, metrics, period) each own one part of the physics and its scenario section; the
application layer (scenario, study, execution, results, report, api, cli) composes them. A
domain package never imports the application layer, packages never import each other in a
cycle, and a module uses only the public names of another package.

Every import statement counts, also those inside functions (lazy imports still tie the
packages together); only ``if TYPE_CHECKING:`` blocks are left out (never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gridv2x"

DOMAIN = (
    "network",
    "demand",
    "adoption",
    "mobility",
    "charging",
    "powerflow",
    "metrics",
    "period",
    "v2x",
    "reinforcement",
)
APPLICATION = (
    "scenario",
    "study",
    "tasks",
    "execution",
    "results",
    "api",
    "report",
    "cli",
    "cli_networks",
)
LEAVES = ("options", "errors", "conventions", "calendar")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _package(module: str) -> str:
    """Top-level part of gridv2x a module belongs to (``gridv2x.charging.grid`` -> charging)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "gridv2x"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Import nodes of a module, without ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _edges() -> list[tuple[str, str, str]]:
    """``(importing module, imported module, imported name or "")`` for every gridv2x import."""
    edges = []
    for module, path in MODULES.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "gridv2x":
                        edges.append((module, alias.name, ""))
                continue
            target = node.module or ""
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([target] if target else []))
            if target.split(".")[0] != "gridv2x":
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in MODULES:  # ``from gridv2x import metrics``: the module itself
                    edges.append((module, submodule, ""))
                else:
                    edges.append((module, target, alias.name))
    return edges


EDGES = _edges()


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for source, target, _ in EDGES:
        a, b = _package(source), _package(target)
        if a != b:
            graph.setdefault(a, set()).add(b)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_graph_is_built_from_the_source():
    """The graph sees the real imports (a guard against a test that checks nothing)."""
    pairs = {(_package(a), _package(b)) for a, b, _ in EDGES}
    assert ("study", "charging") in pairs
    assert ("charging", "options") in pairs
    assert len(MODULES) > 60


def test_no_package_cycle():
    cycle = _cycle(_package_graph())
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_packages_do_not_import_the_application(package):
    upward = sorted(
        f"{source} imports {target}"
        for source, target, _ in EDGES
        if _package(source) == package and _package(target) in APPLICATION + ("gridv2x",)
    )
    assert not upward, upward


@pytest.mark.parametrize("leaf", LEAVES)
def test_leaves_import_no_package(leaf):
    imported = sorted(
        target
        for source, target, _ in EDGES
        if _package(source) == leaf and _package(target) not in LEAVES
    )
    assert not imported, imported


def test_no_private_import_across_packages():
    private = sorted(
        f"{source} imports {target}{':' + name if name else ''}"
        for source, target, name in EDGES
        if _package(source) != _package(target)
        and (name.startswith("_") or any(part.startswith("_") for part in target.split(".")[1:]))
    )
    assert not private, private
