"""Reconcile: what the sources say compared with each other and with the estate as stored.

The report no single source can give: dependencies one source declares and another (which
knows both ends) does not, components nobody owns, and documents that still name entities a
sync removed. Observed call edges (from telemetry or traces) are compared with declared
dependencies when the store holds any; when it holds none, the report says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from opsgraph.ingest.history import list_changes
from opsgraph.ingest.sync import claims_of
from opsgraph.schema import GraphSchema
from opsgraph.store.base import GraphStore

OBSERVED_EDGE = "CALLS"
ALL_ROWS = 100_000_000
"""Row limit for reads that must see every row (the store's default limit is a safety net for users' queries)."""
"""Edge type of observed calls (written from telemetry or traces)."""


@dataclass
class ReconcileReport:
    """Disagreements between sources, and between sources and the stored estate."""

    sources: list[str] = field(default_factory=list)
    declared_not_everywhere: list[dict[str, Any]] = field(default_factory=list)
    """`{type, from, to, declared_by, missing_from}`: a dependency one source declares and another, knowing both ends, does not."""
    unowned: list[dict[str, str]] = field(default_factory=list)
    """`{type, id}`: nodes an ownership edge type may point at, without any owner."""
    stale_mentions: list[dict[str, str]] = field(default_factory=list)
    """`{entity, removed, where}`: a document or runbook still naming an entity a sync removed."""
    observed: dict[str, Any] = field(default_factory=dict)
    """Declared vs observed calls, or why they were not compared."""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def reconcile(store: GraphStore, schema: GraphSchema) -> ReconcileReport:
    report = ReconcileReport()
    claims = claims_of(store)
    nodes_of: dict[str, set[str]] = defaultdict(set)
    edges_of: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    deps = set(schema.dependency_edges())
    for c in claims:
        if c["kind"] == "node":
            nodes_of[c["source"]].add(str(c["a"]))
        elif c["type"] in deps:
            edges_of[c["source"]].add((str(c["type"]), str(c["a"]), str(c["b"])))
    report.sources = sorted(set(nodes_of) | set(edges_of))
    declared: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for src, edges in edges_of.items():
        for e in edges:
            declared[e].add(src)
    for (t, a, b), by in sorted(declared.items()):
        missing = sorted(s for s in report.sources if s not in by and a in nodes_of[s] and b in nodes_of[s])
        if missing:
            report.declared_not_everywhere.append({"type": t, "from": a, "to": b, "declared_by": sorted(by), "missing_from": missing})

    owning = [e for e in schema.edges if "OWN" in e.upper()]
    targets = sorted({t for e in owning for t in schema.edges[e].to_types})
    if owning:
        rels = "|".join(owning)
        for t in targets:
            rows = store.query(f"MATCH (n:{t}) WHERE NOT EXISTS {{ MATCH ()-[:{rels}]->(n) }} RETURN n.id AS id ORDER BY id", limit=ALL_ROWS).rows
            report.unowned.extend({"type": t, "id": str(r["id"])} for r in rows)

    gone: dict[str, str] = {}
    for c in list_changes(store):
        if c.kind == "node" and c.op == "delete" and c.a not in gone:
            gone[c.a] = c.type
    if gone:
        present = set(store.node_types(list(gone)))
        gone = {k: v for k, v in gone.items() if k not in present}
    text_types = [(n, p) for n, nt in schema.nodes.items() for p, spec in nt.properties.items() if spec.fulltext]
    live = {t.name for t in store.describe()}
    if "Chunk" in live:
        text_types.append(("Chunk", "text"))
    for entity in sorted(gone)[:500]:
        for node_type, prop in text_types:
            if node_type not in live:
                continue
            rows = store.query(
                f"MATCH (n:{node_type}) WHERE n.{prop} CONTAINS $id RETURN DISTINCT coalesce(n.doc_id, n.id) AS where", {"id": entity}, limit=50
            ).rows
            report.stale_mentions.extend({"entity": entity, "removed": gone[entity], "where": f"{node_type} {r['where']}"} for r in rows)

    if OBSERVED_EDGE in schema.edges and OBSERVED_EDGE in live:
        observed = {(r["a"], r["b"]) for r in store.query(f"MATCH (a)-[:{OBSERVED_EDGE}]->(b) RETURN a.id AS a, b.id AS b", limit=ALL_ROWS).rows}
        dep_pairs: set[tuple[str, str]] = set()
        for d in deps:
            dep_pairs |= {(r["a"], r["b"]) for r in store.query(f"MATCH (a)-[:{d}]->(b) RETURN a.id AS a, b.id AS b", limit=ALL_ROWS).rows}
        if observed:
            report.observed = {
                "declared_not_observed": sorted(map(list, dep_pairs - observed)),
                "observed_not_declared": sorted(map(list, observed - dep_pairs)),
            }
    if not report.observed:
        report.observed = {"note": f"no observed call edges ({OBSERVED_EDGE}) in this store yet: declared dependencies were not compared with observed calls"}
    return report
