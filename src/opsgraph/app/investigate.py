"""Investigations and incident records for the facade: reads the change log (ingest) and hands it to
`opsgraph.investigate` as plain data, turns `--at` / `--window` words into seconds."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from opsgraph.embed import Embedder
from opsgraph.ingest.history import HistoryError, list_changes, parse_when
from opsgraph.investigate import Investigation, InvestigationError, close_incident, import_incidents, investigate, open_incident
from opsgraph.investigate.evidence import MetricChange, node_series, read_window, recent_drivers, telemetry_span
from opsgraph.investigate.incidents import IncidentRecordError
from opsgraph.schema import GraphSchema
from opsgraph.store import GraphStore

CHANGE_LOOKBACK_S = 7 * 86400
"""How far back the change log is read (the investigation keeps only the window before the onset)."""


def window_seconds(window: str | int) -> int:
    """'30m', '2h', '1d' or seconds -> seconds."""
    if isinstance(window, int):
        return window
    try:
        seconds = round(1_000_000_000 - parse_when(window, now=1_000_000_000))
    except HistoryError:
        seconds = 0
    if not 0 < seconds < 1_000_000_000:
        raise InvestigationError(f"cannot read the window {window!r}: give a span such as 30m, 2h or 1d")
    return seconds


def when_epoch(at: str | float | None) -> int | None:
    if at is None or at == "":
        return None
    try:
        return int(parse_when(at))
    except HistoryError as exc:
        raise InvestigationError(f"cannot read the time {at!r}: give an ISO time (2026-03-01T12:00:00Z) or a span back (90m)") from exc


DRIVER_RECENT_STEPS = 10
DRIVER_NORMAL_STEPS = 60
DRIVER_WINDOW = f"the last {DRIVER_RECENT_STEPS} steps against the {DRIVER_NORMAL_STEPS} before"
"""What `risk_drivers` compares, said with every list of them."""


class InvestigateService:
    """Investigate a target; open, close and import incidents (all through `opsgraph.investigate`)."""

    def __init__(self, store: GraphStore, schema: GraphSchema | None, embedder: Embedder | None = None,
                 span_paths: Sequence[Path] = (), log_paths: Sequence[Path] = ()) -> None:
        self.store = store
        self._schema = schema
        self.embedder = embedder
        self.span_paths = list(span_paths)
        """Span files or folders (the `kind: traces` sources): their spans around the onset are trace evidence."""
        self.log_paths = list(log_paths)
        """Log files or folders (the `kind: logs` sources): their error lines around the onset are log evidence."""

    def spans(self) -> Iterator[Any]:
        """Spans of every configured trace file, read as the investigation filters them to its window."""
        from opsgraph.sources.traces import read_spans

        for path in self.span_paths:
            yield from read_spans(path)

    def log_lines(self) -> Iterator[Any]:
        """Lines of every configured log file, read as the investigation filters them to its window."""
        from opsgraph.sources.logs import read_logs

        for path in self.log_paths:
            yield from read_logs(path)

    @property
    def schema(self) -> GraphSchema:
        if self._schema is None:
            raise InvestigationError("nothing is ingested in this home yet: run `opsgraph ingest ESTATE_DIR` (or `opsgraph demo`) first")
        return self._schema

    def changes(self, onset: int | None) -> list[dict[str, Any]]:
        """The change log as plain data: a week before `onset` (all of it when the onset is still to be detected)."""
        found = list_changes(self.store, since=None if onset is None else onset - CHANGE_LOOKBACK_S, provenance=False)
        return [c.as_dict() for c in found]

    def investigate(self, target: str, *, at: str | float | None = None, window: str | int = "30m",
                    progress: Callable[[str, float], None] | None = None, now: float | None = None) -> Investigation:
        onset = when_epoch(at)
        return investigate(self.store, self.schema, target, at=onset, window_s=window_seconds(window),
                           changes=self.changes(onset), embedder=self.embedder, now=now, progress=progress,
                           spans=self.spans(), logs=self.log_lines())

    def open_incident(self, service: str, title: str, *, severity: str = "sev3", summary: str = "", started_at: str | None = None) -> str:
        return open_incident(self.store, self.schema, service, title, severity=severity, summary=summary,
                             started_at=when_epoch(started_at))

    def close_incident(self, incident: str, *, cause: str, fix: str, resolved_at: str | None = None) -> str:
        return close_incident(self.store, self.schema, incident, cause=cause, fix=fix, resolved_at=when_epoch(resolved_at))

    def import_incidents(self, path: str | Path) -> list[str]:
        return import_incidents(self.store, self.schema, path)

    def risk_drivers(self, node: str, *, recent_steps: int = DRIVER_RECENT_STEPS, normal_steps: int = DRIVER_NORMAL_STEPS) -> list[MetricChange]:
        """Metric changes of `node` and its dependencies over the last `recent_steps` against the `normal_steps` before."""
        span = telemetry_span(node_series(self.store, self.schema, node))
        if span is None:
            return []
        step = self.schema.telemetry.interval_seconds
        win = read_window(self.store, self.schema, span[1] - (recent_steps + normal_steps) * step, span[1] + 1)
        return recent_drivers(win.frame, win.edges, node, recent_steps=recent_steps)


__all__ = ["IncidentRecordError", "InvestigateService", "window_seconds"]
