"""opsgraph: an operations team's service estate as a knowledge graph.

The public API is what this module exports; everything else is internal.
"""

from opsgraph.app import OpsGraph, Settings, load_settings, sample_estate_path
from opsgraph.errors import (
    BatchError,
    ConfigError,
    IngestError,
    Issue,
    OpsGraphError,
    QueryError,
    StoreError,
    StoreLockedError,
    WriteRefusedError,
)
from opsgraph.ingest import IngestReport
from opsgraph.rag import Answer, Citation, Route, Stage, Trace
from opsgraph.schema import GraphSchema, SchemaError, load_schema
from opsgraph.store import GraphStore, LiveType, QueryResult, TelemetryFrame, UpsertReport

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "BatchError",
    "Citation",
    "ConfigError",
    "GraphSchema",
    "GraphStore",
    "IngestError",
    "IngestReport",
    "Issue",
    "LiveType",
    "OpsGraph",
    "OpsGraphError",
    "QueryError",
    "QueryResult",
    "Route",
    "SchemaError",
    "Settings",
    "Stage",
    "StoreError",
    "StoreLockedError",
    "TelemetryFrame",
    "Trace",
    "UpsertReport",
    "WriteRefusedError",
    "__version__",
    "load_schema",
    "load_settings",
    "sample_estate_path",
]
