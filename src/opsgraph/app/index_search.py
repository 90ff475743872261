"""Search the store's own indexes without asking a question: full-text and vector, fused.

What a shell (HTTP API, MCP server) offers when a person or an agent wants
to look something up rather than get an answer. It runs the retrievers the
answer pipeline uses over the same indexes (chunk text and every node
property the schema marks `fulltext`; chunk embeddings when an embedder is
configured) and fuses them with reciprocal rank fusion, so `search` and
`ask` find the same things. It builds nothing on import and holds no state.

It belongs on the facade (`OpsGraph.search`); it lives in its own module
while the facade is being changed by others, and takes the facade as input.
Named for what it searches, so it is not mistaken for `opsgraph.retrieve.search`
(the retrievers it runs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from opsgraph.app.ask import _fulltext_targets
from opsgraph.errors import OpsGraphError
from opsgraph.ingest.documents import CHUNK
from opsgraph.retrieve import CHUNK_VECTOR, FullTextRetriever, VectorRetriever
from opsgraph.retrieve.base import Hit
from opsgraph.retrieve.fusion import reciprocal_rank_fusion

if TYPE_CHECKING:
    from opsgraph.app.facade import OpsGraph

SearchMode = Literal["hybrid", "text", "vector"]


class SearchUnavailableError(OpsGraphError):
    """The search asked for needs an index or an embedder this estate does not have."""

    code = "search_unavailable"
    status = 409


@dataclass(frozen=True)
class SearchResult:
    """Hits of one search, best first, and what was searched."""

    hits: list[Hit]
    """Fused hits (chunks and nodes)."""
    searched: list[str]
    """Indexes searched, as `Type.property`."""
    notes: list[str] = field(default_factory=list)
    """Why a part was skipped (no embedder, no documents)."""


def search_index(
    og: OpsGraph, text: str, *, k: int = 10, mode: SearchMode = "hybrid", filters: Mapping[str, Any] | None = None
) -> SearchResult:
    """Best `k` matches for `text` in the store's full-text and vector indexes.

    `mode="text"` searches full-text indexes only, `"vector"` chunk embeddings
    only, `"hybrid"` both (fused by rank). `filters` are chunk property
    equalities (`{"doc_id": "docs/x.md"}`); node indexes ignore them.
    """
    text = text.strip()
    if not text:
        raise ValueError("the search text is empty")
    schema = og.schema()
    if schema is None:
        raise SearchUnavailableError("nothing is ingested in this home yet: run `opsgraph ingest ESTATE_DIR` (or `opsgraph demo`)")
    store = og.store
    live = {t.name for t in store.describe()}
    lists: list[list[Hit]] = []
    searched: list[str] = []
    notes: list[str] = []
    if mode in ("hybrid", "text"):
        targets = _fulltext_targets(schema, store)
        if targets:
            lists.append(FullTextRetriever(store, targets).retrieve(text, k, filters).hits)
            searched += [f"{t.node_type}.{t.prop}" for t in targets]
        else:
            notes.append("no full-text index in this estate")
    if mode in ("hybrid", "vector"):
        embedder = og.embedder
        if embedder is None:
            notes.append("no embedder configured (embed.provider is none): vector search skipped")
        elif CHUNK not in live:
            notes.append("no documents ingested: vector search skipped")
        else:
            lists.append(VectorRetriever(store, embedder, [CHUNK_VECTOR]).retrieve(text, k, filters).hits)
            searched.append(f"{CHUNK_VECTOR.node_type}.{CHUNK_VECTOR.prop}")
    if not searched:
        raise SearchUnavailableError(f"nothing to search in {mode} mode: " + "; ".join(notes))
    hits = lists[0][:k] if len(lists) == 1 else reciprocal_rank_fusion(lists, limit=k)
    return SearchResult(hits, searched, notes)
