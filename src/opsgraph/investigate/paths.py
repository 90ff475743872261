"""Dependency paths from the symptom to each candidate, with what traces observed on each hop.

A path follows dependency edges from the symptom (the caller) towards the candidate (a callee,
directly or through others): the way a failure travels back up to where it was seen. Each hop
carries the observed call rate, error share and latencies of its CALLS edge when traces gave one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from opsgraph.schema import GraphSchema
from opsgraph.store.base import GraphStore


@dataclass(frozen=True)
class Hop:
    """One edge of a path, with its observed calls where traces give them."""

    caller: str
    callee: str
    calls: int | None = None
    error_share: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None

    def text(self) -> str:
        seen = []
        if self.calls is not None:
            seen.append(f"{self.calls} calls")
        if self.error_share is not None:
            seen.append(f"{self.error_share:.1%} errors")
        if self.p95_ms is not None:
            seen.append(f"p95 {self.p95_ms:.0f} ms")
        return f"{self.caller} -> {self.callee}" + (f" ({', '.join(seen)})" if seen else "")


@dataclass(frozen=True)
class DependencyPath:
    """The shortest dependency path from the symptom to a candidate."""

    candidate: str
    hops: list[Hop] = field(default_factory=list)

    @property
    def nodes(self) -> list[str]:
        return [self.hops[0].caller, *(h.callee for h in self.hops)] if self.hops else [self.candidate]

    def text(self) -> str:
        return " -> ".join(self.nodes)

    def as_dict(self) -> dict[str, Any]:
        return {"candidate": self.candidate, "nodes": self.nodes, "hops": [h.__dict__ | {"text": h.text()} for h in self.hops]}


def observed_calls(store: GraphStore, schema: GraphSchema) -> dict[tuple[str, str], dict[str, Any]]:
    """(caller, callee) -> calls, error_share, p50_ms, p95_ms of observed CALLS edges (empty without them)."""
    if "CALLS" not in schema.edges:
        return {}
    rows = store.query("MATCH (a)-[c:CALLS]->(b) RETURN a.id AS a, b.id AS b, c.calls AS calls, c.error_share AS error_share, "
                       "c.p50_ms AS p50_ms, c.p95_ms AS p95_ms", limit=1_000_000).rows
    return {(str(r["a"]), str(r["b"])): r for r in rows}


def shortest_paths(edges: Iterable[tuple[str, str]], symptom: str, candidates: Sequence[str],
                   calls: dict[tuple[str, str], dict[str, Any]] | None = None) -> dict[str, DependencyPath]:
    """Breadth-first paths from `symptom` along (caller, callee) edges to each reachable candidate."""
    out_edges: dict[str, list[str]] = {}
    for a, b in sorted(set(edges)):
        out_edges.setdefault(a, []).append(b)
    parent: dict[str, str | None] = {symptom: None}
    queue = deque([symptom])
    while queue:
        cur = queue.popleft()
        for nxt in out_edges.get(cur, []):
            if nxt not in parent:
                parent[nxt] = cur
                queue.append(nxt)
    calls = calls or {}
    found: dict[str, DependencyPath] = {}
    for c in candidates:
        if c not in parent:
            continue
        chain = [c]
        while parent[chain[-1]] is not None:
            chain.append(parent[chain[-1]])  # type: ignore[arg-type]
        chain.reverse()
        hops = []
        for a, b in pairwise(chain):
            seen = calls.get((a, b), {})
            hops.append(Hop(a, b, _int(seen.get("calls")), _float(seen.get("error_share")), _float(seen.get("p50_ms")),
                            _float(seen.get("p95_ms"))))
        found[c] = DependencyPath(c, hops)
    return found


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


def _float(v: Any) -> float | None:
    return None if v is None else float(v)
