"""Estate schema: pydantic models and the `schema.yaml` loader."""

from opsgraph.schema.loader import SchemaError, SchemaIssue, dump_schema, load_schema, parse_schema
from opsgraph.schema.model import (
    SCHEMA_VERSIONS,
    ChunkingSettings,
    DocumentSettings,
    EdgeType,
    GraphSchema,
    IncidentSettings,
    NodeType,
    PropertySpec,
    PropertyType,
    SloRule,
    TelemetrySettings,
)

__all__ = [
    "SCHEMA_VERSIONS",
    "ChunkingSettings",
    "DocumentSettings",
    "EdgeType",
    "GraphSchema",
    "IncidentSettings",
    "NodeType",
    "PropertySpec",
    "PropertyType",
    "SchemaError",
    "SchemaIssue",
    "SloRule",
    "TelemetrySettings",
    "dump_schema",
    "load_schema",
    "parse_schema",
]
