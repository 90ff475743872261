"""Look around the estate without a question: counts, the graph for drawing, one node's page, one document.

What the HTTP API's `/readyz`, `/v1/graph`, `/v1/nodes/{id}` and `/v1/documents/{id}`
(and the web page behind them) show. The queries are the facade's, not the
shells': type names come from the stored schema and the live types, the
document types from `opsgraph.ingest.documents`, runbooks from the edge
`opsgraph.investigate.runbooks` reads. Each function takes the store and the
schema and returns plain values (JSON-ready but for numpy leaves, which the
shells convert); it holds no state and builds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsgraph.errors import OpsGraphError
from opsgraph.ingest.documents import CHUNK, DOCUMENT, HAS_CHUNK, MENTIONS
from opsgraph.investigate.runbooks import RUNBOOK_EDGE
from opsgraph.schema import GraphSchema
from opsgraph.store import GraphStore, LiveType

DOCUMENT_NODE_TYPES = frozenset({DOCUMENT, CHUNK})
"""Node types opsgraph adds for documents: shown as documents, not as estate nodes."""
DOCUMENT_EDGE_TYPES = frozenset({HAS_CHUNK, MENTIONS})

__all__ = ["DocumentNotFoundError", "NodeNotFoundError", "counts", "document_page", "graph_view", "node_page"]


class NodeNotFoundError(OpsGraphError):
    """No node has the id asked for."""

    code = "node_not_found"
    status = 404


class DocumentNotFoundError(OpsGraphError):
    """No document has the id asked for (or the store holds no documents)."""

    code = "document_not_found"
    status = 404


def _strip_vectors(props: Mapping[str, Any]) -> dict[str, Any]:
    """Node properties without embeddings (long lists of floats) and opsgraph's own bookkeeping (`_hash`)."""
    return {k: v for k, v in props.items()
            if not k.startswith("_") and not (isinstance(v, list) and len(v) > 16 and all(isinstance(x, float) for x in v[:16]))}


def _name_props(schema: GraphSchema | None) -> dict[str, str | None]:
    return {name: node.name_property for name, node in schema.nodes.items()} if schema else {}


def counts(live: list[LiveType]) -> dict[str, int]:
    """Estate nodes and edges (documents and their chunks apart) and documents, from the live types."""
    return {
        "nodes": sum(t.count for t in live if t.kind == "node" and t.name not in DOCUMENT_NODE_TYPES),
        "edges": sum(t.count for t in live if t.kind == "edge" and t.name not in DOCUMENT_EDGE_TYPES),
        "documents": next((t.count for t in live if t.name == DOCUMENT), 0),
    }


def graph_view(store: GraphStore, schema: GraphSchema | None, *, limit: int, include_documents: bool = False) -> dict[str, Any]:
    """At most `limit` nodes (by type, then id) with a display name, and the edges between them; chunks never,
    documents only when asked. `truncated` says some nodes were left out."""
    live = {t.name: t for t in store.describe()}
    names = _name_props(schema)
    nodes: list[dict[str, Any]] = []
    truncated = False
    for name, t in sorted(live.items()):
        if t.kind != "node" or (name in DOCUMENT_NODE_TYPES and not include_documents) or name == CHUNK:
            continue
        room = limit - len(nodes)
        if room <= 0:
            truncated = True
            break
        prop = names.get(name) or ("title" if name == DOCUMENT else None)
        label = f"n.`{prop}`" if prop else "n.id"
        rows = store.query(f"MATCH (n:`{name}`) RETURN n.id AS id, {label} AS name ORDER BY id", limit=room).rows
        truncated = truncated or t.count > len(rows)
        nodes += [{"id": r["id"], "type": name, "name": r.get("name") or r["id"]} for r in rows]
    ids = {n["id"] for n in nodes}
    edges: list[dict[str, Any]] = []
    for name, t in sorted(live.items()):
        if t.kind != "edge" or name in DOCUMENT_EDGE_TYPES:
            continue
        rows = store.query(f"MATCH (a)-[r:`{name}`]->(b) RETURN a.id AS source, b.id AS target", limit=max(t.count, 1)).rows
        edges += [{"source": r["source"], "target": r["target"], "type": name} for r in rows
                  if r["source"] in ids and r["target"] in ids]
    return {"nodes": nodes, "edges": edges, "truncated": truncated}


def node_page(store: GraphStore, schema: GraphSchema | None, node_id: str) -> dict[str, Any]:
    """One node: type, display name, properties (no vectors), neighbours both ways (documents apart), the runbooks
    that cover it, and the documents whose chunks mention it. `NodeNotFoundError` for an unknown id."""
    found = store.node_types([node_id]).get(node_id)
    if found is None:
        raise NodeNotFoundError(f"no node {node_id!r} in the store (ids are the estate's own, e.g. checkoutservice)")
    row = store.query(f"MATCH (n:`{found}` {{id: $id}}) RETURN properties(n) AS p", {"id": node_id}).rows
    props = _strip_vectors(row[0]["p"] if row else {})
    prop = _name_props(schema).get(found)
    neighbours: list[dict[str, Any]] = []
    for direction, pattern in (("out", "(n {id: $id})-[r]->(m)"), ("in", "(n {id: $id})<-[r]-(m)")):
        rows = store.query(
            f"MATCH {pattern} RETURN type(r) AS edge, m.id AS id, labels(m)[0] AS type, "
            "coalesce(m.name, m.title, m.id) AS name, m.path AS path",
            {"id": node_id}, limit=1000,
        ).rows
        neighbours += [{"direction": direction, **r} for r in rows if r.get("type") not in DOCUMENT_NODE_TYPES]
    runbooks = [{"id": n["id"], "title": n["name"], "path": n.get("path")} for n in neighbours
                if n["edge"] == RUNBOOK_EDGE and n["direction"] == "in"]
    documents: list[str] = []
    if CHUNK in {t.name for t in store.describe()}:
        rows = store.query(f"MATCH (c:`{CHUNK}`)-[:`{MENTIONS}`]->(n {{id: $id}}) RETURN DISTINCT c.doc_id AS doc_id ORDER BY doc_id",
                           {"id": node_id}, limit=100).rows
        documents = [r["doc_id"] for r in rows if r.get("doc_id")]
    return {"id": node_id, "type": found, "name": props.get(prop) if prop else None, "properties": props,
            "neighbours": neighbours, "runbooks": runbooks, "documents": documents}


def document_page(store: GraphStore, doc_id: str) -> dict[str, Any]:
    """A document and its chunks in order; a chunk id (`docs/x.md#3`) names its document and that chunk (`highlight`).
    `DocumentNotFoundError` when there is no such document."""
    doc, _, chunk = doc_id.partition("#")
    if DOCUMENT not in {t.name for t in store.describe()}:
        raise DocumentNotFoundError("no documents in this store: ingest an estate with a docs/ folder and an embedder")
    rows = store.query(f"MATCH (d:`{DOCUMENT}` {{id: $id}}) RETURN properties(d) AS p", {"id": doc}).rows
    if not rows:
        raise DocumentNotFoundError(f"no document {doc!r} (document ids are paths like docs/x.md)")
    chunks = store.query(
        f"MATCH (c:`{CHUNK}`) WHERE c.doc_id = $id RETURN c.id AS id, c.position AS position, c.heading_path AS heading, "
        "c.text AS text ORDER BY position", {"id": doc}, limit=10_000,
    ).rows
    return {"id": doc, "properties": _strip_vectors(rows[0]["p"]), "chunks": chunks, "highlight": doc_id if chunk else None}
