"""`TraceReceiver`: spans sent to `opsgraph serve` (OTLP over HTTP) become observed CALLS edges in the store.

The OpenTelemetry SDK exporters post `ExportTraceServiceRequest`s (protobuf or
JSON) to `POST /v1/traces`. The receiver parses them (`sources.traces`),
aggregates calls per window in bounded memory (`CallAggregator`), and on
`flush()` syncs the call edges of the retained windows into the store as
the facts of one source (default name ``otlp``): provenance, history and
all-or-nothing come from the sync. A flush with nothing received since the
process started does nothing, so a restart does not close every edge; an
edge seen before a restart and not again within the retention is closed by
the next flush (the aggregator's memory is not persisted).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from opsgraph.ingest.sync import SyncPlan
from opsgraph.schema import GraphSchema
from opsgraph.sources import Facts, KnownIds, SourceConfig, SourceMapping
from opsgraph.sources.traces import CallAggregator, TraceFormatError, call_facts, spans_from_otlp, spans_from_otlp_protobuf

__all__ = ["TraceReceiver"]


class TraceReceiver:
    """Take OTLP trace exports; flush their call edges into the store through the sync."""

    def __init__(self, sync: Callable[[SourceConfig, Facts], SyncPlan], schema: Callable[[], GraphSchema | None], known_ids: KnownIds,
                 *, source: str = "otlp", window_s: int = 60, retention_s: int = 86400, max_body: int = 16 * 1024 * 1024) -> None:
        self.config = SourceConfig(name=source, kind="otlp", mapping=SourceMapping(call_window_s=window_s, call_retention_s=retention_s))
        self.aggregator = CallAggregator(window_s=window_s, retention_s=retention_s)
        self._sync = sync
        self._schema = schema
        self._known_ids = known_ids
        self.max_body = max_body

    def receive(self, body: bytes, content_type: str) -> int:
        """Parse one export request; returns the spans taken. `TraceFormatError` (HTTP 400) for a malformed body."""
        if len(body) > self.max_body:
            raise TraceFormatError(f"request body: {len(body)} bytes, more than the receiver's limit of {self.max_body}")
        kind = (content_type or "").split(";")[0].strip().lower()
        if kind == "application/json":
            try:
                doc: Any = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise TraceFormatError(f"request body: not JSON ({exc})") from None
            spans = list(spans_from_otlp(doc, where="request body"))
        elif kind in ("application/x-protobuf", "application/protobuf", "application/octet-stream"):
            spans = spans_from_otlp_protobuf(body)
        else:
            raise TraceFormatError(f"request body: Content-Type {content_type!r}; expected application/x-protobuf or application/json")
        return self.aggregator.add(spans)

    def flush(self) -> SyncPlan | None:
        """Sync the retained windows' call edges; None when nothing has been received yet."""
        if self.aggregator.spans == 0:
            return None
        schema = self._schema()
        if schema is None or self.config.mapping.call_edge not in schema.edges:
            return None  # no estate, or an estate without a calls edge type: nothing to write
        facts = call_facts(self.aggregator.stats(), self.config, schema, self._known_ids)
        return self._sync(self.config, facts)
