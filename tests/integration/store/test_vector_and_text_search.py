"""Vector and full-text search run in the engine's own indexes."""

from __future__ import annotations

import numpy as np
import pytest

from opsgraph.app import OpsGraph
from opsgraph.schema import SchemaError, parse_schema


@pytest.fixture
def og(any_og: OpsGraph) -> OpsGraph:
    """Every test here runs on both store backends: the embedded engine and an ArcadeDB server over HTTP."""
    return any_og

SCHEMA = parse_schema(
    """
version: 1
name: search
nodes:
  Chunk:
    properties:
      text: {type: string, fulltext: true}
      doc: {type: string, indexed: true}
      embedding: {type: vector, dimensions: 8}
"""
)


@pytest.fixture
def filled(og: OpsGraph) -> tuple[OpsGraph, np.ndarray]:
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(60, 8)).astype(np.float32)
    og.store.ensure_schema(SCHEMA)
    og.store.ensure_schema(SCHEMA)  # the vector index DDL is idempotent too
    rows = [
        {"id": f"c{i}", "text": ("payment gateway timeout" if i % 4 == 0 else "cart latency spike"), "doc": f"d{i % 3}", "embedding": vecs[i].tolist()}
        for i in range(60)
    ]
    og.store.upsert_nodes("Chunk", rows)
    return og, vecs


def test_vector_search_matches_exact_cosine(filled: tuple[OpsGraph, np.ndarray]) -> None:
    og, vecs = filled
    q = vecs[7] + 0.01
    hits = og.store.vector_search("Chunk", "embedding", q.tolist(), k=5)
    norm = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    exact = np.argsort(-(norm @ (q / np.linalg.norm(q))))[:5]
    assert [h.id for h in hits] == [f"c{i}" for i in exact]
    assert hits[0].score == pytest.approx(1.0, abs=1e-3)
    assert "embedding" not in hits[0].properties and hits[0].properties["doc"] == "d1"


def test_vector_search_filters(filled: tuple[OpsGraph, np.ndarray]) -> None:
    og, vecs = filled
    hits = og.store.vector_search("Chunk", "embedding", vecs[7].tolist(), k=3, filters={"doc": "d0"})
    assert hits and all(h.properties["doc"] == "d0" for h in hits)


def test_text_search_uses_the_fulltext_index(filled: tuple[OpsGraph, np.ndarray]) -> None:
    og, _ = filled
    hits = og.store.text_search("Chunk", "text", "payment", k=50)
    assert {h.id for h in hits} == {f"c{i}" for i in range(0, 60, 4)}
    assert all(h.score > 0 for h in hits)
    filtered = og.store.text_search("Chunk", "text", "payment", k=50, filters={"doc": ["d0", "d1"]})
    assert filtered and all(h.properties["doc"] in ("d0", "d1") for h in filtered)


def test_deleted_nodes_leave_the_indexes(filled: tuple[OpsGraph, np.ndarray]) -> None:
    og, vecs = filled
    assert og.store.delete_nodes("Chunk", ["c7", "c8", "nope"]) == 2
    assert "c7" not in {h.id for h in og.store.vector_search("Chunk", "embedding", vecs[7].tolist(), k=5)}
    assert "c8" not in {h.id for h in og.store.text_search("Chunk", "text", "payment", k=50)}


def test_vector_property_needs_dimensions() -> None:
    with pytest.raises(SchemaError, match="needs `dimensions`"):
        parse_schema("version: 1\nname: x\nnodes:\n  C:\n    properties: {e: vector}\n")
