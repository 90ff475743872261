"""Ingestion: read estate folders, validate them completely, write them idempotently."""

from opsgraph.ingest.chunking import TextChunk, chunk_text
from opsgraph.ingest.documents import DocumentReport, SourceDocument, read_documents, sync_documents, with_document_types
from opsgraph.ingest.estate import EstatePlan, read_estate
from opsgraph.ingest.linking import Entity, EntityLinker, Link, LinkSettings, entities_from_store
from opsgraph.ingest.pipeline import IngestReport, Progress, ingest_estate, write_plan

__all__ = [
    "DocumentReport",
    "Entity",
    "EntityLinker",
    "EstatePlan",
    "IngestReport",
    "Link",
    "LinkSettings",
    "Progress",
    "SourceDocument",
    "TextChunk",
    "chunk_text",
    "entities_from_store",
    "ingest_estate",
    "read_documents",
    "read_estate",
    "sync_documents",
    "with_document_types",
    "write_plan",
]
