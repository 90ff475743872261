"""Ingestion: read estate folders, validate them completely, write them idempotently."""

from opsgraph.ingest.estate import EstatePlan, read_estate
from opsgraph.ingest.pipeline import IngestReport, Progress, ingest_estate, write_plan

__all__ = ["EstatePlan", "IngestReport", "Progress", "ingest_estate", "read_estate", "write_plan"]
