"""Vector and full-text retrievers: both run in the store's own indexes.

Chunks (documents) are searched by their embedding and their text; nodes by
their full-text properties. Filters are property equalities passed through
to the store (`{"doc_id": "docs/x.md"}`, `{"tier": ["critical", "high"]}`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opsgraph.embed import Embedder
from opsgraph.retrieve.base import BaseRetriever, Hit, node_text
from opsgraph.store.base import GraphStore, SearchHit


@dataclass(frozen=True)
class IndexTarget:
    """One index to search: a node type and its property."""

    node_type: str
    prop: str
    kind: str = "node"
    """`chunk` for document chunks, `node` for estate nodes."""


CHUNK_TEXT = IndexTarget("Chunk", "text", "chunk")
CHUNK_VECTOR = IndexTarget("Chunk", "embedding", "chunk")


def chunk_text(props: dict[str, Any]) -> str:
    """A chunk as a prompt shows it: where it comes from, then its text."""
    where = props.get("doc_id", "")
    heading = props.get("heading_path") or ""
    head = f"{where} > {heading}" if heading else str(where)
    return f"[{head}]\n{props.get('text', '')}"


def _to_hit(target: IndexTarget, hit: SearchHit, how: str) -> Hit:
    if target.kind == "chunk":
        text = chunk_text(hit.properties)
        detail = {"index": f"{target.node_type}.{target.prop}", "how": how, "doc_id": hit.properties.get("doc_id")}
        return Hit(hit.id, "chunk", hit.score, text, detail=detail)
    props = {"id": hit.id, **hit.properties}
    return Hit(hit.id, "node", hit.score, node_text(target.node_type, props), detail={"index": f"{target.node_type}.{target.prop}", "how": how, "type": target.node_type})


class VectorRetriever(BaseRetriever):
    """Nearest chunks (or nodes) to the question's embedding."""

    name = "vector"

    def __init__(self, store: GraphStore, embedder: Embedder, targets: Sequence[IndexTarget] = (CHUNK_VECTOR,)) -> None:
        self.store = store
        self.embedder = embedder
        self.targets = list(targets)

    def _retrieve(self, query: str, k: int, filters: dict[str, Any]) -> tuple[list[Hit], dict[str, Any]]:
        vector = self.embedder.embed([query])[0]
        hits: list[Hit] = []
        for target in self.targets:
            found = self.store.vector_search(target.node_type, target.prop, vector.tolist(), k, filters or None)
            hits += [_to_hit(target, h, "cosine") for h in found]
        return hits, {"indexes": [f"{t.node_type}.{t.prop}" for t in self.targets]}


class FullTextRetriever(BaseRetriever):
    """Best full-text matches in the engine's full-text indexes (chunks and node properties)."""

    name = "fulltext"

    def __init__(self, store: GraphStore, targets: Sequence[IndexTarget]) -> None:
        self.store = store
        self.targets = list(targets)

    def _retrieve(self, query: str, k: int, filters: dict[str, Any]) -> tuple[list[Hit], dict[str, Any]]:
        terms = _search_terms(query)
        if not terms:
            return [], {"terms": []}
        hits: list[Hit] = []
        for target in self.targets:
            # Filters name chunk properties; node indexes are searched without them.
            f = filters if target.kind == "chunk" else {}
            found = self.store.text_search(target.node_type, target.prop, " ".join(terms), k, f or None)
            hits += [_to_hit(target, h, "full-text") for h in found]
        best: dict[str, Hit] = {}
        for h in hits:
            if h.source_id not in best or h.score > best[h.source_id].score:
                best[h.source_id] = h
        return list(best.values()), {"terms": terms, "indexes": [f"{t.node_type}.{t.prop}" for t in self.targets]}


# Words that carry no meaning for a full-text search of an estate.
_STOP = frozenset(
    "a an and are as at be by can could did do does for from has have how i if in into is it its me my of on or our "
    "should so that the their them then there these they this to was we were what when where which who whom why will "
    "with would you your about any all also am been being both each few more most no nor not only other own same some "
    "such than too very just up down out over under again further once here".split()
)


_LUCENE_SPECIAL = str.maketrans({c: " " for c in '+-&|!(){}[]^"~*?:\\/.,;\'`'})


def _search_terms(query: str) -> list[str]:
    """Plain lower-case words without query-syntax characters (`redis-cart` → `redis cart`)."""
    words = query.translate(_LUCENE_SPECIAL).lower().split()
    kept = [w for w in words if len(w) > 1 and w not in _STOP]
    return list(dict.fromkeys(kept))
