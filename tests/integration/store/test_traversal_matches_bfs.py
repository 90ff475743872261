"""Multi-hop traversal in the engine agrees with a plain Python BFS on a generated graph."""

from __future__ import annotations

import random
from collections import deque

from opsgraph.app import OpsGraph
from opsgraph.schema import parse_schema

SCHEMA = parse_schema(
    """
version: 1
name: generated
nodes:
  Service: {properties: {name: string}}
edges:
  DEPENDS_ON: {from: Service, to: Service, dependency: true}
"""
)


def bfs(adj: dict[str, set[str]], start: str, hops: int) -> dict[str, int]:
    dist = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if dist[node] == hops:
            continue
        for nxt in adj[node]:
            if nxt not in dist:
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    dist.pop(start)
    return dist


def test_four_hops_match_python_bfs(og: OpsGraph) -> None:
    rng = random.Random(7)
    n = 400
    ids = [f"s{i}" for i in range(n)]
    edges = {(ids[i], ids[rng.randrange(n)]) for i in range(n) for _ in range(3)}
    edges = {(a, b) for a, b in edges if a != b}
    og.store.ensure_schema(SCHEMA)
    og.store.upsert_nodes("Service", [{"id": i, "name": i.upper()} for i in ids])
    og.store.upsert_edges("DEPENDS_ON", [{"from": a, "to": b, "from_type": "Service", "to_type": "Service"} for a, b in edges])

    out: dict[str, set[str]] = {i: set() for i in ids}
    both: dict[str, set[str]] = {i: set() for i in ids}
    for a, b in edges:
        out[a].add(b)
        both[a].add(b)
        both[b].add(a)

    for start in rng.sample(ids, 12):
        expected_down = bfs(out, start, 4)
        rows = og.query(
            "MATCH p = (a:Service {id: $id})-[:DEPENDS_ON*1..4]->(b) WHERE b.id <> $id RETURN b.id AS id, min(length(p)) AS d",
            {"id": start},
            limit=None,
        ).rows
        assert {r["id"]: r["d"] for r in rows} == expected_down
        assert og.store.neighbors([start], hops=4) == bfs(both, start, 4)
