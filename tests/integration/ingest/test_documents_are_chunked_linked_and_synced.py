"""Documents in the real embedded ArcadeDB with the real MiniLM model: chunks, links, search, and idempotent sync.

The model is loaded once for the module, and the sample estate is ingested
and its documents synced once into a template store; every test works on its
own copy of that store and of the estate folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from opsgraph.app import sample_estate_path
from opsgraph.embed import EmbedProgress, SentenceTransformerEmbedder
from opsgraph.ingest import ingest_estate
from opsgraph.ingest.chunking import chunk_text
from opsgraph.ingest.documents import DocumentReport, chunk_links, document_ids, read_documents, sync_documents
from opsgraph.schema import GraphSchema, load_schema
from opsgraph.store.arcadedb import ArcadeDBStore

PAYMENT = "docs/payment-service-elevated-5xx.md"
CART = "docs/cart-service-redis-cart-unavailable.md"
FRONTEND = "docs/frontend-502s-during-deploy.md"


class Counting:
    """Wraps an embedder and counts calls to `embed` (cache hits included: a no-op sync makes none)."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.calls = 0
        self.texts = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dims(self) -> int:
        return self.inner.dims

    def embed(self, texts: Sequence[str], *, progress: EmbedProgress | None = None) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        return self.inner.embed(texts, progress=progress)


@pytest.fixture(scope="module")
def minilm() -> Iterator[SentenceTransformerEmbedder]:
    model = SentenceTransformerEmbedder(threads=1).open()
    yield model
    model.close()


@dataclass
class Synced:
    store: ArcadeDBStore
    estate: Path
    schema: GraphSchema
    embedder: Counting
    report: DocumentReport
    progress: list[tuple[str, int, int]]

    def sync(self) -> DocumentReport:
        self.embedder.calls = self.embedder.texts = 0
        return sync_documents(self.store, self.schema, self.estate, self.embedder)

    def chunks(self, doc_id: str | None = None) -> dict[str, dict]:
        where, params = ("WHERE c.doc_id = $d", {"d": doc_id}) if doc_id else ("", None)
        rows = self.store.query(
            f"MATCH (c:Chunk) {where} RETURN c.id AS id, c.doc_id AS doc, c.position AS pos, c.text AS text, "
            "c.heading_path AS path, c.content_hash AS h",
            params,
        ).rows
        return {r["id"]: r for r in rows}

    def count(self, cypher: str, params: dict | None = None) -> int:
        return int(self.store.query(cypher, params).rows[0]["n"])


@dataclass(frozen=True)
class Template:
    """A closed store holding the sample estate with its documents synced once, and that estate's folder."""

    db: Path
    estate: Path
    report: DocumentReport
    progress: list[tuple[str, int, int]]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, minilm: SentenceTransformerEmbedder) -> Template:
    root = tmp_path_factory.mktemp("documents")
    estate = root / "estate"
    shutil.copytree(sample_estate_path(), estate)
    seen: list[tuple[str, int, int]] = []
    with ArcadeDBStore(root / "db") as store:
        ingest_estate(store, estate)
        report = sync_documents(store, load_schema(estate / "schema.yaml"), estate, Counting(minilm), progress=lambda *a: seen.append(a))
    return Template(root / "db", estate, report, seen)


@pytest.fixture
def synced(tmp_path: Path, template: Template, minilm: SentenceTransformerEmbedder) -> Iterator[Synced]:
    """A private copy of the template (store and estate folder): copying a closed store takes milliseconds, syncing seconds."""
    shutil.copytree(template.db, tmp_path / "db")
    estate = shutil.copytree(template.estate, tmp_path / "estate")
    with ArcadeDBStore(tmp_path / "db") as store:
        yield Synced(store, estate, load_schema(estate / "schema.yaml"), Counting(minilm), template.report, template.progress)


def test_first_sync_writes_documents_chunks_and_links(synced: Synced) -> None:
    r = synced.report
    docs = read_documents(synced.estate, synced.schema)
    expected_chunks = sum(len(chunk_text(d.text, synced.schema.documents.chunking)) for d in docs)
    assert len(r.created) == 10 and not (r.updated or r.unchanged or r.deleted)
    assert r.chunks_written == expected_chunks and r.links_written > 100
    assert document_ids(synced.store) == sorted(d.id for d in docs)
    assert synced.count("MATCH (c:Chunk) RETURN count(c) AS n") == expected_chunks
    assert synced.count("MATCH (:Document)-[h:HAS_CHUNK]->(:Chunk) RETURN count(h) AS n") == expected_chunks
    assert synced.count("MATCH (:Chunk)-[m:MENTIONS]->() RETURN count(m) AS n") == r.links_written
    doc = synced.store.query("MATCH (d:Document {id: $id}) RETURN d.title AS t, d.chunk_count AS n", {"id": PAYMENT}).rows[0]
    assert doc == {"t": "Payment service: elevated 5xx", "n": len(synced.chunks(PAYMENT))}
    assert ("documents", 10, 10) in synced.progress and any(p[0] == "embeddings" for p in synced.progress)


def test_chunks_keep_position_and_heading_path(synced: Synced) -> None:
    chunks = sorted(synced.chunks(PAYMENT).values(), key=lambda c: c["pos"])
    assert [c["id"] for c in chunks] == [f"{PAYMENT}#{i}" for i in range(len(chunks))]
    assert chunks[0]["path"] == "Payment service: elevated 5xx"
    assert any(c["path"] == "Payment service: elevated 5xx > Diagnosis" for c in chunks)


def test_payment_runbook_mentions_what_it_names(synced: Synced) -> None:
    links = chunk_links(synced.store, PAYMENT)
    named = set().union(*links.values())
    assert {"paymentservice", "payment-gateway", "payments-ledger-db", "payment-events", "team-payments", "INC-2047"} <= named
    first = links[f"{PAYMENT}#0"]
    assert "paymentservice" in first
    edge = synced.store.query(
        "MATCH (c:Chunk {id: $c})-[m:MENTIONS]->(s:Service {id: 'paymentservice'}) RETURN m.method AS method, m.score AS score, m.surface AS surface",
        {"c": f"{PAYMENT}#0"},
    ).rows[0]
    assert edge["method"] in ("exact", "alias") and 0 < edge["score"] <= 1 and edge["surface"].lower().startswith("payment")
    # The Kafka runbook's "the warehouse ships orders" is not the analytics warehouse.
    kafka = set().union(*chunk_links(synced.store, "docs/kafka-order-events-consumer-lag.md").values())
    assert "analytics-warehouse" not in kafka and {"order-events", "fraud-detection", "analytics-worker"} <= kafka


def test_vector_search_finds_the_payment_runbook(synced: Synced, minilm: SentenceTransformerEmbedder) -> None:
    query = minilm.embed(["payments failing with 5xx"])[0]
    hits = synced.store.vector_search("Chunk", "embedding", query.tolist(), k=3)
    assert hits[0].properties["doc_id"] == PAYMENT
    assert all(h.score > 0.3 for h in hits)


def test_full_text_search_finds_the_payment_runbook(synced: Synced) -> None:
    hits = synced.store.text_search("Chunk", "text", "5xx", k=10)
    assert PAYMENT in {h.properties["doc_id"] for h in hits}


def test_resync_is_a_noop(synced: Synced) -> None:
    version = synced.store.data_version()
    again = synced.sync()
    assert len(again.unchanged) == 10 and not again.changed()
    assert (again.chunks_written, again.links_written, again.chunks_deleted) == (0, 0, 0)
    assert synced.embedder.calls == 0, "an unchanged folder embeds nothing"
    assert synced.store.data_version() == version, "and writes nothing"


def test_changed_document_replaces_only_its_chunks(synced: Synced) -> None:
    before = synced.chunks()
    others = {k: v for k, v in before.items() if v["doc"] != CART}
    path = synced.estate / CART
    text = path.read_text(encoding="utf-8")
    text = text.replace("## Escalation", "## Escalation\n\n- Ask Marcus Bell about the shipping carrier API first.", 1)
    text = text.split("## Symptoms")[0] + "## Escalation" + text.split("## Escalation", 1)[1]  # drop the middle sections
    path.write_text(text, encoding="utf-8")
    report = synced.sync()
    assert report.updated == [CART] and len(report.unchanged) == 9
    after = synced.chunks()
    assert {k: v for k, v in after.items() if v["doc"] != CART} == others, "other documents' chunks are untouched"
    cart = sorted((v for v in after.values() if v["doc"] == CART), key=lambda c: c["pos"])
    assert len(cart) < len([v for v in before.values() if v["doc"] == CART])
    assert report.chunks_written == len(cart) and report.chunks_deleted == len([v for v in before.values() if v["doc"] == CART])
    assert [c["pos"] for c in cart] == list(range(len(cart)))
    assert "Marcus Bell" in cart[-1]["text"] and not any("## Diagnosis" in c["text"] for c in cart)
    links = chunk_links(synced.store, CART)
    assert "marcus.bell" in links[cart[-1]["id"]] and "shipping-carrier-api" in links[cart[-1]["id"]]
    assert synced.count("MATCH (d:Document {id: $id}) RETURN d.chunk_count AS n", {"id": CART}) == len(cart)
    assert synced.sync().changed() is False


def test_deleted_document_leaves_no_trace(synced: Synced) -> None:
    (synced.estate / FRONTEND).unlink()
    had = len(synced.chunks(FRONTEND))
    report = synced.sync()
    assert report.deleted == [FRONTEND] and report.chunks_deleted == had and len(report.unchanged) == 9
    assert FRONTEND not in document_ids(synced.store)
    assert synced.chunks(FRONTEND) == {}
    assert synced.count("MATCH (c:Chunk)-[m:MENTIONS]->() WHERE c.doc_id = $d RETURN count(m) AS n", {"d": FRONTEND}) == 0
    assert synced.count("MATCH (c:Chunk) WHERE NOT (c)<-[:HAS_CHUNK]-(:Document) RETURN count(c) AS n") == 0
    assert synced.embedder.calls == 0
    query = synced.embedder.inner.embed(["frontend 502 during a rolling deploy"])[0]
    assert all(h.properties["doc_id"] != FRONTEND for h in synced.store.vector_search("Chunk", "embedding", query.tolist(), k=5))


def test_a_new_alias_relinks_without_reembedding(synced: Synced) -> None:
    services = synced.estate / "nodes" / "Service.yaml"
    services.write_text(services.read_text(encoding="utf-8").replace("  - basket\n", "  - basket\n  - sentinel setup\n", 1), encoding="utf-8")
    ingest_estate(synced.store, synced.estate)
    before = synced.chunks()
    report = synced.sync()
    assert len(report.relinked) == 10 and not (report.created or report.updated or report.unchanged)
    assert report.chunks_written == 0 and report.chunks_deleted == 0 and report.texts_embedded == 0
    assert synced.chunks() == before, "chunks and their embeddings stay"
    surfaces = synced.store.query(
        "MATCH (c:Chunk)-[m:MENTIONS]->(s:Service {id: 'cartservice'}) WHERE c.doc_id = $d RETURN m.surface AS s", {"d": CART}
    ).rows
    assert "Sentinel setup" in {r["s"] for r in surfaces}
    assert synced.sync().changed() is False
