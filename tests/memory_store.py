"""`MemoryStore`: the one in-memory stand-in for a `GraphStore` in unit tests (integration tests use the real engine).

It holds an estate as Python data (nodes by type, edges by type, telemetry frames by node type,
the stored schema, a data version) and answers the reads the layers make of a store:
`node_types`, `describe`, `read_telemetry`, `stored_schema`, `data_version`, and `query` for the
query shapes they send most (names of a node type, the endpoints of an edge type). Any other
query goes to the handlers a test registers with `answer(pattern, fn)` (a handler may raise, as
the engine does, e.g. `QueryError`); a query nobody answers fails the test with its text, so a
layer that starts sending new queries is noticed. Every query is kept in `queries`, and every
call with its arguments in `calls`, in order.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from opsgraph.schema import GraphSchema
from opsgraph.store import LiveType, QueryResult, TelemetryFrame

Handler = Callable[[re.Match[str], Mapping[str, Any]], QueryResult]

_NAMES = re.compile(r"MATCH \(n:`?(\w+)`?\) RETURN n\.id AS id(?:, n\.`?(\w+)`? AS name)?$")
_EDGES = re.compile(r"MATCH \(a\)-\[(?:r)?:`?(\w+)`?\]->\(b\) RETURN a\.id AS (\w+), b\.id AS (\w+)$")


class MemoryStore:
    """An estate held in memory, read the way the layers read a store. Build it, then `answer(...)` what else a test needs."""

    def __init__(
        self,
        schema: GraphSchema | None = None,
        *,
        nodes: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        edges: Mapping[str, Sequence[tuple[str, str]]] | None = None,
        telemetry: Mapping[str, TelemetryFrame] | None = None,
        version: int = 1,
    ) -> None:
        self.schema = schema
        self.nodes: dict[str, list[dict[str, Any]]] = {t: [dict(r) for r in rows] for t, rows in (nodes or {}).items()}
        self.edges: dict[str, list[tuple[str, str]]] = {t: list(pairs) for t, pairs in (edges or {}).items()}
        self.telemetry: dict[str, TelemetryFrame] = dict(telemetry or {})
        self.version = version
        self.written_at: float | None = None
        self.queries: list[str] = []
        """Every Cypher text `query` was given, in order."""
        self.calls: list[dict[str, Any]] = []
        """Every `query` call in full (cypher, params, read_only, limit, timeout_ms), in order."""
        self.telemetry_reads: list[tuple[str, Sequence[str] | None, int | None, int | None]] = []
        """Every `read_telemetry` call's arguments, in order."""
        self._handlers: list[tuple[re.Pattern[str], Handler]] = []

    # -- what a test adds -------------------------------------------------------------------
    def answer(self, pattern: str, fn: Handler) -> MemoryStore:
        """Answer queries matching `pattern` (searched, first registered wins) with `fn(match, params)`."""
        self._handlers.append((re.compile(pattern), fn))
        return self

    def touch(self) -> None:
        """Count a write: the data version moves on."""
        self.version += 1
        self.written_at = time.time()

    # -- the GraphStore calls the layers make -------------------------------------------------
    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def data_version(self) -> int:
        return self.version

    def data_written_at(self) -> float | None:
        return self.written_at

    def stored_schema(self) -> GraphSchema | None:
        return self.schema

    def node_types(self, ids: Sequence[str]) -> dict[str, str]:
        known = {row["id"]: t for t, rows in self.nodes.items() for row in rows}
        return {i: known[i] for i in ids if i in known}

    def describe(self) -> list[LiveType]:
        out = [LiveType(t, "node", len(rows)) for t, rows in self.nodes.items() if rows]
        out += [LiveType(t, "edge", len(pairs)) for t, pairs in self.edges.items() if pairs]
        return out

    def read_records(self, record_type: str, where: Mapping[str, Any] | None = None, *,
                     since: tuple[str, float] | None = None, order: str | None = None) -> list[dict[str, Any]]:
        """No hidden records: no change log, so the topology never changed."""
        return []

    def read_telemetry(self, node_type: str, node_ids: Sequence[str] | None = None,
                       start: int | None = None, end: int | None = None) -> TelemetryFrame:
        self.telemetry_reads.append((node_type, node_ids, start, end))
        frame = self.telemetry.get(node_type)
        if frame is None:
            return TelemetryFrame([], [], np.zeros(0, np.int64), np.zeros((0, 0, 0), np.float32), np.zeros((0, 0), np.int8))
        return frame

    def query(self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = True,
              limit: int | None = None, timeout_ms: int | None = None) -> QueryResult:
        self.queries.append(cypher)
        params = params or {}
        self.calls.append({"cypher": cypher, "params": dict(params), "read_only": read_only, "limit": limit, "timeout_ms": timeout_ms})
        for pattern, fn in self._handlers:
            m = pattern.search(cypher)
            if m is not None:
                return fn(m, params)
        names = _NAMES.match(cypher)
        if names is not None:
            node_type, prop = names.groups()
            rows = [{"id": r["id"], **({"name": r.get(prop)} if prop else {})} for r in self.nodes.get(node_type, [])]
            return QueryResult(["id", "name"] if prop else ["id"], rows)
        edges = _EDGES.match(cypher)
        if edges is not None:
            edge_type, src, dst = edges.groups()
            return QueryResult([src, dst], [{src: a, dst: b} for a, b in self.edges.get(edge_type, [])])
        raise AssertionError(f"MemoryStore has no answer for {cypher!r}: register one with answer(pattern, fn)")
