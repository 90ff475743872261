"""Readers of where an estate lives (Kubernetes manifests, docker-compose files, Backstage catalogs, traces).

Each reader turns its input into `Facts`: nodes and edges shaped by the estate
schema, each with its evidence. Nothing here writes to the store; `ingest`
plans and applies a sync from these facts. Importing this package registers
every reader with `read_source`.
"""

from opsgraph.sources.base import (
    Evidence,
    Facts,
    KnownIds,
    SourceConfig,
    SourceError,
    SourceMapping,
    read_source,
    reader_kinds,
)

__all__ = [
    "Evidence",
    "Facts",
    "KnownIds",
    "SourceConfig",
    "SourceError",
    "SourceMapping",
    "read_source",
    "reader_kinds",
]

# Importing the readers registers them with `read_source`.
from opsgraph.sources import backstage as _backstage  # noqa: F401
from opsgraph.sources import cluster as _cluster  # noqa: F401
from opsgraph.sources import compose as _compose  # noqa: F401
from opsgraph.sources import kubernetes as _kubernetes  # noqa: F401
from opsgraph.sources import logs as _logs  # noqa: F401
from opsgraph.sources import traces as _traces  # noqa: F401
