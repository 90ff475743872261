"""Estate schema: pydantic models and the `schema.yaml` loader."""

from opsgraph.schema.loader import SchemaError, SchemaIssue, dump_schema, load_schema, parse_schema
from opsgraph.schema.model import (
    SCHEMA_VERSIONS,
    ChunkingSettings,
    DocumentSettings,
    EdgeType,
    GraphSchema,
    NodeType,
    PropertySpec,
    PropertyType,
    TelemetrySettings,
)

__all__ = [
    "SCHEMA_VERSIONS",
    "ChunkingSettings",
    "DocumentSettings",
    "EdgeType",
    "GraphSchema",
    "NodeType",
    "PropertySpec",
    "PropertyType",
    "SchemaError",
    "SchemaIssue",
    "TelemetrySettings",
    "dump_schema",
    "load_schema",
    "parse_schema",
]
