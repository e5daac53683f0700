"""Imports point one way: down the pipeline, never up it, never in a circle.

    base < language < engine < {teaching, training, batch} < render < api < commands

A module may import its own subpackage and any subpackage of a lower rank;
teaching, training and batch share a rank and do not import each other. cli.py
and __main__.py belong to the commands layer; api.py (the public Python API) is a layer of its own between
render and commands, and so is the package's __init__, which exports the API lazily.
Every import counts, including those inside functions (the lazy ones that keep
start-up light), and no two modules may import each other, directly or round
a longer circle. The checker is tested on graphs with a back edge and a cycle,
so it is known to fail when it should.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "backprop_cli"
RANKS = {"base": 0, "language": 1, "engine": 2, "teaching": 3, "training": 3, "batch": 3, "render": 4,
         "api": 5, "commands": 6}
TOP_LEVEL = {"backprop_cli": "api", "backprop_cli.api": "api", "backprop_cli.cli": "commands",
             "backprop_cli.__main__": "commands"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the package's modules it imports (anywhere in its body)."""
    files = {module_name(p): p for p in package.rglob("*.py") if "__pycache__" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        here = name.split(".") if is_package else name.split(".")[:-1]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                base_name = ".".join(base + ([node.module] if node.module else []))
                candidates = [f"{base_name}.{alias.name}" for alias in node.names] + [base_name]
            else:
                continue
            for candidate in candidates:
                if candidate in files:
                    targets.add(candidate)
        targets.discard(name)
        graph[name] = targets
    return graph


def layer(module: str) -> str:
    if module in TOP_LEVEL:
        return TOP_LEVEL[module]
    return module.split(".")[1]


def wrong_way(graph: dict[str, set[str]]) -> list[str]:
    """Every import that points up the pipeline or sideways into a sibling subpackage."""
    problems = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            mine, theirs = layer(module), layer(target)
            if mine == theirs or RANKS[theirs] < RANKS[mine]:
                continue
            problems.append(f"{module} ({mine}) imports {target} ({theirs})")
    return problems


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles (strongly connected components of more than one module), found without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_every_module_is_in_a_layer():
    for module in import_graph():
        assert layer(module) in RANKS, f"{module} is in no layer: put it in a subpackage (or add it to RANKS)"


def test_imports_point_down_the_pipeline():
    assert wrong_way(import_graph()) == []


def test_no_two_modules_import_each_other():
    assert circles(import_graph()) == []


def test_the_graph_sees_relative_lazy_and_module_imports():
    graph = import_graph()
    assert "backprop_cli.engine.ops" in graph["backprop_cli.engine.tape"]  # from .ops import ...
    assert "backprop_cli.language._generated_parser" in graph["backprop_cli.language.fast_parser"]  # from . import x
    assert "backprop_cli.commands.eval" not in graph["backprop_cli.cli"]  # loaded by name, not imported
    assert "backprop_cli.batch.run" in graph["backprop_cli.commands.eval"]  # a lazy import inside a function


@pytest.mark.parametrize("edge", [
    ("backprop_cli.engine.forward", "backprop_cli.render.tables"),  # the engine printing
    ("backprop_cli.language.printer", "backprop_cli.engine.ops"),  # reading that knows derivatives
    ("backprop_cli.render.tables", "backprop_cli.commands.eval"),  # a renderer calling a command
    ("backprop_cli.teaching.grading", "backprop_cli.training.optimizers"),  # siblings
    ("backprop_cli.base.errors", "backprop_cli.language.parser"),
])
def test_a_back_edge_is_caught(edge):
    graph = import_graph()
    importer, imported = edge
    graph[importer] = graph[importer] | {imported}
    assert wrong_way(graph) == [f"{importer} ({layer(importer)}) imports {imported} ({layer(imported)})"]


def test_a_circle_is_caught():
    graph = import_graph()
    graph["backprop_cli.engine.ops"] = graph["backprop_cli.engine.ops"] | {"backprop_cli.engine.tape"}
    assert wrong_way(graph) == []  # within one layer: only the cycle check can see it
    assert any({"backprop_cli.engine.ops", "backprop_cli.engine.tape"} <= set(c) for c in circles(graph))
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
