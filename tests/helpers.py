"""Helpers shared by tests (importable as `helpers` via pytest's pythonpath)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


SMALL_SCHEMA = """\
version: 1
name: small
nodes:
  Service:
    properties:
      name: {type: string, required: true, fulltext: true}
      tier: {type: string, indexed: true}
      port: integer
      healthy: boolean
      tags: string_list
    telemetry: [cpu, latency]
  Team:
    properties: {name: string}
edges:
  DEPENDS_ON: {from: Service, to: Service, dependency: true, properties: {critical: boolean}}
  OWNS: {from: Team, to: Service}
telemetry:
  interval_seconds: 60
"""


def snapshot(og: Any) -> dict[str, Any]:
    """Everything observable in the store: every node and edge with its properties."""
    nodes = og.query("MATCH (n) RETURN labels(n)[0] AS t, properties(n) AS p", limit=100_000).rows
    edges = og.query("MATCH (a)-[r]->(b) RETURN type(r) AS t, a.id AS f, b.id AS to, properties(r) AS p", limit=100_000).rows
    key = lambda r: repr(sorted(r.items()))  # noqa: E731
    return {"nodes": sorted(nodes, key=key), "edges": sorted(edges, key=key)}


def norm(value: Any) -> Any:
    """Comparable form of a cell: numbers by value (6.0 == 6, float noise ignored), lists element-wise, the rest as text."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        number = float(value)
        return str(int(number)) if number.is_integer() else f"{number:.9g}"
    if isinstance(value, (list, tuple)):
        return tuple(norm(v) for v in value)
    return str(value)


def datasets_dir() -> Path:
    """`shared/datasets` beside the checkout (`../shared/datasets`), found by walking up (worktrees sit deeper)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "datasets"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("shared/datasets not found in any parent of the checkout (expected ../shared/datasets)")
