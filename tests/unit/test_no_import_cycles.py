"""No import cycle inside `src/opsgraph`, lazy imports included, and no layer imports a layer above it.

Every `import` and `from ... import` in every module counts, wherever it stands
(module level, inside a function, under `if TYPE_CHECKING:`), relative imports
resolved against the module's package. An edge goes to the most specific
opsgraph module an import names (`from opsgraph.retrieve import base` → the
module `opsgraph.retrieve.base`; `from opsgraph.retrieve import Hit` → the
package `opsgraph.retrieve`). The layer table is ARCHITECTURE.md's.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT_PACKAGE = "opsgraph"

LOWER: dict[str, set[str]] = {
    "schema": set(),
    "store": {"schema"},
    "embed": {"schema"},
    "llm": {"schema"},
    "sources": {"schema"},
    "ingest": {"schema", "store", "embed", "sources"},
    "retrieve": {"schema", "store", "embed", "llm"},
    "rag": {"schema", "store", "embed", "llm", "retrieve"},
    "risk": {"schema", "store"},
    "investigate": {"schema", "store", "risk", "retrieve", "embed"},
    "app": {"schema", "store", "embed", "llm", "sources", "ingest", "retrieve", "rag", "risk", "investigate"},
    # The shells: the facade (`app`), the public package, and each other (`opsgraph serve` starts the API).
    "cli": {"app", "api", ROOT_PACKAGE},
    "api": {"app", "cli", ROOT_PACKAGE},
}
"""Layer (folder of `src/opsgraph`) → the layers it may import besides itself: ARCHITECTURE.md's table."""

LEAVES = {"errors", "_files", "_procs", "_registry", "_time"}
"""Top-level modules every layer may import; they import no other part of opsgraph but each other."""


def module_names(src: Path) -> dict[str, Path]:
    out = {}
    for path in sorted((src / ROOT_PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imported(name: str, path: Path, modules: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """(opsgraph module, line) for every import in the module `name`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target, node.lineno


@cache
def graph(src: Path = SRC) -> dict[str, dict[str, int]]:
    """module → {imported module: first line}, for the package under `src`."""
    modules = module_names(src)
    edges: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        out: dict[str, int] = {}
        for target, line in imported(name, path, modules):
            out.setdefault(target, line)
        edges[name] = out
    return edges


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Each strongly connected group of more than one module, as one cycle through it (Tarjan, then a walk)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    out = []
    for group in groups:
        start = min(group)
        path, seen = [start], {start}
        while True:  # follow edges inside the group until the walk closes
            nxt = min(w for w in edges[path[-1]] if w in group)
            if nxt in seen:
                out.append([*path[path.index(nxt) :], nxt])
                break
            path.append(nxt)
            seen.add(nxt)
    return out


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT_PACKAGE


def test_there_are_modules_to_check() -> None:
    edges = graph()
    assert len(edges) > 50 and "opsgraph.app.facade" in edges
    assert "opsgraph.app.ask" in edges["opsgraph.app.facade"]  # the walk sees real imports


def test_no_import_cycles() -> None:
    edges = graph()
    found = cycles(edges)
    assert not found, "import cycles (lazy and TYPE_CHECKING imports included):\n" + "\n".join(
        " -> ".join(f"{a} (line {edges[a][b]})" for a, b in itertools.pairwise(c)) + f" -> {c[-1]}" for c in found
    )


def upward_imports(edges: dict[str, dict[str, int]]) -> list[str]:
    """Every import that breaks the layer table, as "module:line imports target: why"."""
    problems = []
    for module, targets in edges.items():
        here = layer(module)
        for target, line in targets.items():
            there = layer(target)
            if there == here or there in LEAVES:
                continue
            if here in LEAVES:
                problems.append(f"{module}:{line} imports {target}: `{here}` is a leaf every layer imports")
            elif here == ROOT_PACKAGE:
                continue  # the public package re-exports from any layer
            elif there not in LOWER.get(here, set()):
                problems.append(f"{module}:{line} imports {target}: `{here}` may import {sorted(LOWER.get(here, set()))}")
    return problems


def test_no_layer_imports_a_layer_above_it() -> None:
    problems = upward_imports(graph())
    assert not problems, "layering (ARCHITECTURE.md):\n" + "\n".join(problems)


SHELLS = {"cli", "api"}


def shell_imports(edges: dict[str, dict[str, int]]) -> list[str]:
    """Every import of a shell (`cli`, `api`) that is not the facade package `opsgraph.app` itself, the public
    package `opsgraph`, a leaf, or another shell: "module:line imports target"."""
    allowed = {f"{ROOT_PACKAGE}.app", ROOT_PACKAGE} | {f"{ROOT_PACKAGE}.{leaf}" for leaf in LEAVES}
    problems = []
    for module, targets in edges.items():
        if layer(module) not in SHELLS:
            continue
        for target, line in targets.items():
            if target not in allowed and layer(target) not in SHELLS:
                problems.append(f"{module}:{line} imports {target}")
    return problems


def test_shells_import_only_the_facade_package_and_the_public_package() -> None:
    problems = shell_imports(graph())
    assert not problems, "a shell imports past `opsgraph.app` (name what it needs in opsgraph/app/__init__.py):\n" + "\n".join(problems)


def test_the_checks_catch_a_cycle_and_a_lazy_upward_import(tmp_path: Path) -> None:
    package = tmp_path / ROOT_PACKAGE
    for folder in ("store", "app"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "store" / "a.py").write_text("from . import b\n")
    (package / "store" / "b.py").write_text("def f():\n    from opsgraph.app import c\n    from opsgraph.store.a import x\n")
    (package / "app" / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..store import a\n")
    edges = graph(tmp_path)
    assert cycles(edges) == [["opsgraph.store.a", "opsgraph.store.b", "opsgraph.store.a"]]
    assert edges["opsgraph.store.b"] == {"opsgraph.app": 2, "opsgraph.store.a": 3}
    assert edges["opsgraph.app.d"] == {"opsgraph.store.a": 3}
    assert upward_imports(edges) == ["opsgraph.store.b:2 imports opsgraph.app: `store` may import ['schema']"]


def test_the_shell_check_catches_a_lazy_import_past_the_facade(tmp_path: Path) -> None:
    package = tmp_path / ROOT_PACKAGE
    for folder in ("app", "cli", "store"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "errors.py").write_text("")
    (package / "app" / "risk.py").write_text("")
    (package / "cli" / "main.py").write_text(
        "from opsgraph.app import OpsGraph\nfrom opsgraph.errors import E\nfrom opsgraph import x\n"
        "def f():\n    from opsgraph.app.risk import R\n    from opsgraph.store import S\n"
    )
    assert shell_imports(graph(tmp_path)) == ["opsgraph.cli.main:5 imports opsgraph.app.risk", "opsgraph.cli.main:6 imports opsgraph.store"]
