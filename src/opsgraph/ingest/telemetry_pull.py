"""Pull a telemetry source (`kind: prometheus`) into the store: from the last stored step to now, all or nothing.

The last stored step is read from the store's telemetry itself (per node type), not from a
bookmark that could drift from it: a node type with telemetry up to 12:00 pulls from
12:01, whoever stored the 12:00 step. The whole pull is fetched before anything is written,
and the writes run inside one `store.atomic(...)` block, so a server that fails half-way
(or a store write that fails) leaves the store exactly as it was.

After a pull the source's status (`source:<name>` in the store settings) records the last
stored step per node type; `opsgraph sources` shows it as the data's age.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opsgraph.ingest.sync import source_status
from opsgraph.schema import GraphSchema
from opsgraph.sources.prometheus import PrometheusClient, TelemetryPull, default_windows, pull_telemetry
from opsgraph.sources.prometheus_settings import PrometheusSettings
from opsgraph.store.base import GraphStore

Progress = Callable[[str, int, int], None]

HINT_NODES = 8
"""Nodes per type remembered in the source's status to find the last stored step cheaply."""
PROBES = (2 * 3600, 2 * 86400, 32 * 86400)
"""How far back the last stored step is looked for first (seconds), before reading all of a type's telemetry."""
WRITE_ROWS = 50_000
"""Rows per `write_telemetry` call (all inside the one atomic block)."""


def last_stored_step(store: GraphStore, node_type: str, *, now: float, hint: list[str] | None = None) -> int | None:
    """The newest time step stored for any node of `node_type` (None when there is none).

    `hint`: a few nodes the last pull stored (kept in the source's status). Their telemetry is
    read first, so an incremental pull of thousands of nodes reads a few buckets, not a day of
    all of them; with no hint, or when the hinted nodes hold nothing (the store was reset), every
    node of the type is read, nearest days first.
    """
    for nodes in ([hint] if hint else []) + [None]:
        for back in (*PROBES, None):
            start = None if back is None else int(now) - back
            frame = store.read_telemetry(node_type, nodes, start=start)
            if len(frame.timestamps) and not np.isnan(frame.values).all():
                return int(frame.timestamps.max())
    return None


@dataclass
class PullReport:
    """One pull of one telemetry source (what `opsgraph sync` prints for it)."""

    source: str
    kind: str
    location: str
    pull: TelemetryPull | None = None
    last_steps: dict[str, int | None] = field(default_factory=dict)
    """Per node type, the newest stored step after the pull (before it, on a dry run)."""
    rows: int = 0
    written: dict[str, int] = field(default_factory=dict)
    applied: bool = False
    server: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "kind": self.kind, "location": self.location, "applied": self.applied, "server": self.server,
            "last_steps": self.last_steps, "rows": self.rows, "written": self.written, "seconds": round(self.seconds, 3),
            **({"pull": self.pull.as_dict()} if self.pull else {}),
        }  # fmt: skip


def pull_source(
    store: GraphStore,
    schema: GraphSchema,
    client: PrometheusClient,
    settings: PrometheusSettings,
    *,
    source: str,
    kind: str = "prometheus",
    now: float | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> PullReport:
    """Pull each configured node type from its last stored step to `now` and store it in one atomic block."""
    began = time.perf_counter()
    now = time.time() if now is None else now
    step = schema.telemetry.interval_seconds
    report = PullReport(source, kind, settings.url)
    report.server = client.check()
    hints = (source_status(store, source) or {}).get("hint_nodes") or {}
    before = {t: last_stored_step(store, t, now=now, hint=hints.get(t)) for t in settings.queries}
    windows = default_windows(settings, before, now=now, step=step)
    if dry_run:
        report.last_steps = before
        report.pull = TelemetryPull(source, step, windows=windows)
        report.seconds = time.perf_counter() - began
        return report
    pull = pull_telemetry(client, settings, schema, windows, source=source, known_ids=store.node_types, step=step)
    report.pull = pull
    with store.atomic(f"pull {source}"):
        for node_type, got in pull.types.items():
            per_write = max(1, WRITE_ROWS // max(1, len(got.steps)))  # whole nodes per call: rows are built as they are written
            written = 0
            for first in range(0, len(got.node_ids), per_write):
                rows = got.rows(slice(first, first + per_write))
                if rows:
                    store.write_telemetry(node_type, got.features, rows)
                written += len(rows)
                if progress:
                    progress(f"store {node_type} telemetry", min(first + per_write, len(got.node_ids)), len(got.node_ids))
            report.written[node_type] = written
            report.rows += written
    report.applied = True
    report.last_steps = {t: _newest(pull.types[t].last_present() if t in pull.types else None, before.get(t)) for t in settings.queries}
    report.seconds = time.perf_counter() - began
    record_pull(store, report)
    return report


def _newest(a: int | None, b: int | None) -> int | None:
    return max((x for x in (a, b) if x is not None), default=None)


def record_pull(store: GraphStore, report: PullReport) -> None:
    """Remember when this source last pulled and up to which step (a store setting: no data version change)."""
    pull = report.pull
    previous = (source_status(store, report.source) or {}).get("hint_nodes") or {}
    status = {
        "kind": report.kind, "location": report.location, "last_synced": time.time(), "run": "", "last_steps": report.last_steps,
        "nodes": sum(len(t.node_ids) for t in pull.types.values()) if pull else 0, "edges": 0, "rows": report.rows,
        "unknown_series": pull.unknown_series if pull else 0,
        "hint_nodes": {**previous, **({t: got.node_ids[:HINT_NODES] for t, got in pull.types.items() if got.node_ids} if pull else {})},
    }  # fmt: skip
    store.set_meta(f"source:{report.source}", json.dumps(status))


def data_age(status: dict[str, Any] | None, *, now: float | None = None) -> dict[str, Any]:
    """The newest stored step (over node types) of a pulled source and its age in seconds, from its status."""
    steps = [int(v) for v in ((status or {}).get("last_steps") or {}).values() if v is not None]
    if not steps:
        return {"last_step": None, "age_seconds": None}
    last = max(steps)
    return {"last_step": last, "age_seconds": max(0.0, (time.time() if now is None else now) - last)}
