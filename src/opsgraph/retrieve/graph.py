"""Graph expansion: the neighbourhood of the entities a question names.

Entities are found by the same entity linker that links document chunks to
the graph (passed in, so this layer does not import ingestion). For each
entity, and for its neighbours up to `hops` away, the retriever returns one
"entity card": the node's properties and its relationships as lines such as
`checkoutservice -DEPENDS_ON-> paymentservice`. Cards of the named entities
score highest; neighbours score less the further they are.
"""

from __future__ import annotations

from typing import Any

from opsgraph.retrieve.base import BaseRetriever, EntityLinker, Hit, node_text
from opsgraph.schema import GraphSchema
from opsgraph.store.base import GraphStore

MAX_RELATIONS_PER_CARD = 40


class GraphExpansionRetriever(BaseRetriever):
    """Entity cards for the named entities and their k-hop neighbourhood."""

    name = "graph"

    def __init__(self, store: GraphStore, schema: GraphSchema, linker: EntityLinker, *, hops: int = 1, max_neighbours: int = 12) -> None:
        self.store = store
        self.schema = schema
        self.linker = linker
        self.hops = hops
        self.max_neighbours = max_neighbours

    def _retrieve(self, query: str, k: int, filters: dict[str, Any]) -> tuple[list[Hit], dict[str, Any]]:
        entities = [e for e in self.linker.link(query) if e.node_type in self.schema.nodes]
        detail: dict[str, Any] = {"entities": [{"id": e.node_id, "type": e.node_type, "score": round(e.score, 3)} for e in entities]}
        if not entities:
            return [], detail
        hits: list[Hit] = []
        seen: set[str] = set()
        for rank, entity in enumerate(entities):
            if entity.node_id in seen:
                continue
            seen.add(entity.node_id)
            card = self._card(entity.node_type, entity.node_id)
            if card is not None:
                hits.append(Hit(entity.node_id, "node", 10.0 - rank * 0.01, card, detail={"entity": entity.node_id, "hops": 0}))
        neighbours = self.store.neighbors([e.node_id for e in entities], hops=self.hops) if self.hops > 0 else {}
        types = self.store.node_types(list(neighbours)) if neighbours else {}
        ordered = sorted(neighbours.items(), key=lambda kv: (kv[1], kv[0]))[: self.max_neighbours]
        for nid, dist in ordered:
            if nid in seen or nid not in types:
                continue
            seen.add(nid)
            card = self._card(types[nid], nid)
            if card is not None:
                hits.append(Hit(nid, "node", 5.0 / (1 + dist), card, detail={"hops": dist}))
        detail["neighbours"] = len(neighbours)
        return hits, detail

    def _card(self, node_type: str, node_id: str) -> str | None:
        label = node_type  # a schema-validated name, safe in the pattern
        rows = self.store.query(f"MATCH (n:{label} {{id: $id}}) RETURN properties(n) AS p", {"id": node_id}, limit=1).rows
        if not rows:
            return None
        props = rows[0]["p"]
        lines = [node_text(node_type, props, skip=self._vector_props(node_type))]
        out = self.store.query(
            f"MATCH (n:{label} {{id: $id}})-[r]->(m) RETURN type(r) AS rel, m.id AS other LIMIT {MAX_RELATIONS_PER_CARD}", {"id": node_id}
        ).rows
        inc = self.store.query(
            f"MATCH (n:{label} {{id: $id}})<-[r]-(m) RETURN type(r) AS rel, m.id AS other LIMIT {MAX_RELATIONS_PER_CARD}", {"id": node_id}
        ).rows
        lines += [f"  {node_id} -{r['rel']}-> {r['other']}" for r in out if r["rel"] not in ("MENTIONS", "HAS_CHUNK")]
        lines += [f"  {r['other']} -{r['rel']}-> {node_id}" for r in inc if r["rel"] not in ("MENTIONS", "HAS_CHUNK")]
        return "\n".join(lines)

    def _vector_props(self, node_type: str) -> list[str]:
        spec = self.schema.nodes.get(node_type)
        return [k for k, v in spec.properties.items() if v.type.value == "vector"] if spec else []
