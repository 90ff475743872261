"""The `GraphStore` protocol and the records it exchanges with other layers.

Everything above the store talks to it through this module only, so an
engine can be swapped by configuration. Nothing here knows an engine.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from opsgraph.schema import GraphSchema

Row = Mapping[str, Any]


@dataclass(frozen=True)
class UpsertReport:
    """What one upsert call did."""

    created: int = 0
    """Rows that did not exist before."""
    updated: int = 0
    """Rows that existed with different properties."""
    unchanged: int = 0
    """Rows that existed with the same properties (nothing was written)."""
    duplicates: tuple[str, ...] = ()
    """Keys repeated within one batch; the last row of each won."""

    def __add__(self, other: UpsertReport) -> UpsertReport:
        return UpsertReport(
            self.created + other.created,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.duplicates + other.duplicates,
        )


def dedupe(rows: Iterable[Row], key: Callable[[Row], Hashable]) -> tuple[list[dict[str, Any]], list[str]]:
    """Keep the last row of each key, in the winning row's order; return the repeated keys.

    Every backend de-duplicates a batch with this before sending it, so a key
    repeated in one batch behaves the same on every engine.
    """
    seen: dict[Hashable, dict[str, Any]] = {}
    repeated: list[str] = []
    for row in rows:
        k = key(row)
        if k in seen:
            repeated.append(k if isinstance(k, str) else "->".join(map(str, k)))  # type: ignore[call-overload]
            del seen[k]
        seen[k] = dict(row)
    return list(seen.values()), repeated


@dataclass(frozen=True)
class QueryResult:
    """Rows returned by a query, with the columns in their order."""

    columns: list[str]
    """Column names, in the order the query returned them."""
    rows: list[dict[str, Any]]
    """One mapping per row."""
    truncated: bool = False
    """True when more rows existed than the row limit allowed."""
    elapsed_ms: float = 0.0
    """Wall time spent in the engine."""


@dataclass(frozen=True)
class SearchHit:
    """A node found by a vector or full-text index."""

    id: str
    """The node's stable id."""
    score: float
    """Higher is better: 1 - cosine distance for vectors, the engine's relevance for text."""
    properties: dict[str, Any]
    """The node's stored properties (vectors left out)."""


@dataclass(frozen=True)
class TelemetryFrame:
    """Telemetry of some nodes over a time range, as one dense array.

    `values[t, n, f]` is feature `features[f]` of node `node_ids[n]` at
    `timestamps[t]`; NaN where nothing was recorded. `labels[t, n]` is 1 for a
    failure, 0 for healthy, -1 where unknown.
    """

    node_ids: list[str]
    """Node ids, in the order of axis 1."""
    features: list[str]
    """Feature names, in the order of axis 2."""
    timestamps: np.ndarray
    """Epoch seconds, int64, shape [T], ascending."""
    values: np.ndarray
    """float32, shape [T, N, F]."""
    labels: np.ndarray
    """int8, shape [T, N]."""


@dataclass(frozen=True)
class LiveType:
    """A type as it is in the store now."""

    name: str
    kind: str
    """`node` or `edge`."""
    count: int
    properties: dict[str, str] = field(default_factory=dict)
    """Property name → engine type name."""
    endpoints: list[tuple[str, str]] = field(default_factory=list)
    """For edges: (from type, to type) pairs seen in the data."""


@runtime_checkable
class GraphStore(Protocol):
    """A graph with properties, full-text and vector indexes, and telemetry.

    Rules every backend keeps: upserts are by the stable `id`, batches are
    de-duplicated before they are sent (last row wins), one transaction per
    batch, and a failed call leaves the store as it was (each write method is
    all or nothing, and `atomic()` widens that to a whole ingest or sync).
    Queries always take parameters.
    """

    def open(self) -> None:
        """Open or create the store (all I/O starts here, not in `__init__`)."""

    def close(self) -> None:
        """Release the store; safe to call twice."""

    def ensure_schema(self, schema: GraphSchema) -> None:
        """Create types, properties and indexes; safe to repeat."""

    def reset(self) -> None:
        """Drop every opsgraph type (edges first) and its data."""

    def upsert_nodes(self, node_type: str, rows: Sequence[Row]) -> UpsertReport:
        """Insert or update nodes by their `id`; each row's keys are stored properties."""

    def upsert_edges(self, edge_type: str, rows: Sequence[Row]) -> UpsertReport:
        """Insert or update edges keyed by (`from`, `to`) node ids; other keys are properties."""

    def query(
        self,
        cypher: str,
        params: Mapping[str, Any] | None = None,
        *,
        read_only: bool = True,
        limit: int | None = None,
        timeout_ms: int | None = None,
    ) -> QueryResult:
        """Run Cypher with parameters; refuse writes unless `read_only=False`; bounded in rows and time."""

    def delete_nodes(self, node_type: str, ids: Sequence[str]) -> int:
        """Delete nodes and their edges, all or nothing; return how many existed."""

    def delete_edges(self, edge_type: str, pairs: Sequence[tuple[str, str]]) -> int:
        """Delete `edge_type` edges between (from id, to id) pairs, all or nothing; return how many existed."""

    def atomic(self, label: str, *, one_transaction: bool = False) -> AbstractContextManager[None]:
        """All or nothing: if the block raises, every write made in it through these methods is undone.

        The error is re-raised saying nothing was changed; a crash inside the block
        is undone by the next `open()`. Nested blocks join the outer one. `one_transaction`:
        the block is one store transaction (one commit, for a block of few writes).
        """

    def vector_search(
        self, node_type: str, prop: str, vector: Sequence[float], k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[SearchHit]:
        """Nearest nodes by a `vector` property; `filters` are property equalities (a list means IN)."""

    def text_search(
        self, node_type: str, prop: str, text: str, k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[SearchHit]:
        """Best full-text matches on a `fulltext` property, in the engine's own index."""

    def node_types(self, ids: Sequence[str], types: Sequence[str] | None = None) -> dict[str, str]:
        """Id → node type for those of `ids` that exist (only as one of `types`, when given)."""

    def neighbors(
        self, ids: Sequence[str], hops: int = 1, edge_types: Sequence[str] | None = None
    ) -> dict[str, int]:
        """Ids within `hops` edges of `ids` (either direction) → their distance."""

    def write_telemetry(self, node_type: str, features: Sequence[str], rows: Sequence[Row]) -> UpsertReport:
        """Store rows of `{"node": id, "ts": epoch_s, "values": [...], "label": int|None}`."""

    def read_telemetry(
        self,
        node_type: str,
        node_ids: Sequence[str] | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> TelemetryFrame:
        """Telemetry of `node_type` nodes in [start, end) as one dense frame."""

    def describe(self) -> list[LiveType]:
        """The live schema: types, properties, counts."""

    def data_version(self) -> int:
        """A number that grows whenever stored data changes (cache freshness)."""

    def data_written_at(self) -> float | None:
        """Epoch seconds of the last change to stored data (None when nothing was written since this was kept):
        every answer says how old the data it was read from is."""

    def ensure_records(self, record_type: str, fields: Mapping[str, str], indexed: Sequence[str] = ()) -> None:
        """Create a hidden record type keyed by `key` (never matched by Cypher, never in `describe()`)."""

    def write_records(self, record_type: str, rows: Sequence[Row]) -> int:
        """Insert or replace hidden records by `key`."""

    def delete_records(self, record_type: str, keys: Sequence[str]) -> int:
        """Delete hidden records by `key`."""

    def read_records(
        self, record_type: str, where: Mapping[str, Any] | None = None, *, since: tuple[str, float] | None = None, order: str | None = None
    ) -> list[dict[str, Any]]:
        """Hidden records matching property equalities (a list means IN), optionally `field > value`, ordered (`-field`: descending)."""

    def record_values(self, record_type: str, where: Mapping[str, Any], field: str) -> dict[str, Any]:
        """`key → field` of the hidden records matching `where` (property equalities)."""

    def get_meta(self, key: str) -> str | None:
        """A store setting (no data version change)."""

    def set_meta(self, key: str, value: str) -> None:
        """Set a store setting (no data version change)."""
