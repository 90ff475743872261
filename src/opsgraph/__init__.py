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
from opsgraph.schema import GraphSchema, SchemaError, load_schema
from opsgraph.store import GraphStore, QueryResult, TelemetryFrame, UpsertReport

__version__ = "0.1.0"

__all__ = [
    "BatchError",
    "ConfigError",
    "GraphSchema",
    "GraphStore",
    "IngestError",
    "IngestReport",
    "Issue",
    "OpsGraph",
    "OpsGraphError",
    "QueryError",
    "QueryResult",
    "SchemaError",
    "Settings",
    "StoreError",
    "StoreLockedError",
    "TelemetryFrame",
    "UpsertReport",
    "WriteRefusedError",
    "__version__",
    "load_schema",
    "load_settings",
    "sample_estate_path",
]
