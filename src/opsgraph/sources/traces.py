"""Spans to service call edges: who calls whom, how often, how often it fails and how slowly.

Reads spans from two real layouts and aggregates them per time window:

- span tables (CSV): one span per row with trace id, span id, parent span id
  (empty, ``root`` or ``0`` for a root span), the pod or service that recorded
  it, the operation, start and end in Unix nanoseconds, and an optional status
  column. This is the layout of the Nezha trace files (``TraceID, SpanID,
  ParentID, PodName, OperationName, StartTimeUnixNano, EndTimeUnixNano,
  Duration``).
- OTLP JSON: what the OpenTelemetry Collector's file exporter writes (one
  ``{"resourceSpans": [...]}`` export request per line, or a single document):
  the service comes from the resource attribute ``service.name``, a span's
  status code 2 (``STATUS_CODE_ERROR``) marks an error.

A call edge ``A -> B`` is a span recorded by service B whose parent span was
recorded by service A (a client span in A and the server span in B). Each
edge keeps, per window, the call count, the error count (``None`` when the
input carries no status) and the p50/p95 latency of B's spans in
milliseconds. Pod names are mapped to their workload by stripping the
suffixes Kubernetes adds (``cartservice-7d8b9c6f4-x2kqz`` -> ``cartservice``).

As a source (``kind: traces`` in ``sources:``, `path` a span file or a
folder of them) it asserts one call edge (``mapping.call_edge``, default
``CALLS``) per caller/callee pair between nodes the estate knows, with its
totals over the windows read; an edge not seen for
``mapping.call_retention_s`` before the newest span is no longer asserted,
so the sync closes it in the estate's history instead of keeping it forever.

This module reads files and aggregates; it never writes to a store.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from opsgraph.errors import SourceError
from opsgraph.schema import GraphSchema
from opsgraph.sources.base import Facts, KnownIds, Shaper, SourceConfig, register_reader
from opsgraph.sources.csv_table import first_alias, header_index, table_rows
from opsgraph.sources.doc_cache import DocumentCache


class TraceFormatError(SourceError):
    """A span file or OTLP request could not be read: the message names the file, the line or record, and the field."""

    code = "trace_invalid"
    status = 400


@dataclass(frozen=True)
class Span:
    """One span, reduced to what a call graph needs."""

    trace_id: str
    """Trace the span belongs to."""
    span_id: str
    """Span id, unique within its trace."""
    parent_id: str | None
    """Parent span id; None for a root span."""
    service: str
    """Workload that recorded the span (a pod name's Kubernetes suffixes already stripped)."""
    operation: str
    """Operation (RPC method, HTTP route) the span measured."""
    start_ns: int
    """Start, Unix nanoseconds."""
    end_ns: int
    """End, Unix nanoseconds."""
    error: bool | None = None
    """True for a failed span, False for a successful one, None when the input has no status."""


@dataclass(frozen=True)
class CallStats:
    """Calls from one service to another within one time window."""

    caller: str
    """Service whose span was the parent."""
    callee: str
    """Service that served the call."""
    window_start_ns: int
    """Start of the window (Unix nanoseconds, aligned to the window size)."""
    calls: int
    """Calls seen in the window."""
    errors: int | None
    """Failed calls, or None when the spans carry no status."""
    p50_ms: float
    """Median latency of the callee's spans, milliseconds."""
    p95_ms: float
    """95th percentile latency of the callee's spans, milliseconds."""

    @property
    def error_share(self) -> float | None:
        """errors / calls, or None when unknown."""
        return None if self.errors is None else self.errors / self.calls


# Deployment pods: <name>-<replicaset hash>-<5 chars>; StatefulSet pods: <name>-<ordinal>;
# DaemonSet/Job pods: <name>-<5 chars>. The hash alphabet is Kubernetes' "bcdfghjklmnpqrstvwxz2456789".
_SAFE = "[bcdfghjklmnpqrstvwxz2456789]"
_RS_POD = re.compile(rf"^(?P<name>.+?)-{_SAFE}{{6,10}}-{_SAFE}{{5}}$")
_STS_POD = re.compile(r"^(?P<name>.+?)-\d+$")
_SHORT_POD = re.compile(rf"^(?P<name>.+?)-{_SAFE}{{5}}$")


def service_of_pod(pod: str) -> str:
    """The workload a pod belongs to, by the naming rules of Deployments, StatefulSets, DaemonSets and Jobs."""
    pod = pod.strip()
    for pattern in (_RS_POD, _STS_POD, _SHORT_POD):
        m = pattern.match(pod)
        if m:
            return m.group("name")
    return pod


_ROOT_PARENTS = {"", "root", "0", "0000000000000000", "null", "none"}
_TABLE_ALIASES = {
    "trace_id": ("traceid", "trace_id"),
    "span_id": ("spanid", "span_id"),
    "parent_id": ("parentid", "parent_id", "parentspanid", "parent_span_id"),
    "service": ("service", "servicename", "service_name", "podname", "pod_name", "pod"),
    "operation": ("operationname", "operation_name", "operation", "name"),
    "start_ns": ("starttimeunixnano", "start_time_unix_nano", "start_ns", "start"),
    "end_ns": ("endtimeunixnano", "end_time_unix_nano", "end_ns", "end"),
    "status": ("status", "statuscode", "status_code", "error"),
}
_REQUIRED = ("trace_id", "span_id", "parent_id", "service", "start_ns", "end_ns")


def _columns(header: list[str], path: Path) -> dict[str, int]:
    index = header_index(header)
    found = {key: index[name] for key, names in _TABLE_ALIASES.items() if (name := first_alias(index, names)) is not None}
    missing = [k for k in _REQUIRED if k not in found]
    if missing:
        wanted = ", ".join("/".join(_TABLE_ALIASES[k][:2]) for k in missing)
        raise TraceFormatError(f"{path}: line 1: the span table has no column for {', '.join(missing)} (expected one of: {wanted})")
    return found


def _status(value: str) -> bool | None:
    v = value.strip().lower()
    if v in ("", "unset", "0", "ok", "status_code_unset", "status_code_ok", "false"):
        return None if v in ("", "unset", "status_code_unset") else False
    if v in ("2", "error", "status_code_error", "true", "1"):
        return True
    return None


def read_span_table(path: str | Path) -> Iterator[Span]:
    """Spans from a CSV span table (Nezha's layout or the same columns under OpenTelemetry's names)."""
    path = Path(path)
    rows = table_rows(path, "span table", TraceFormatError)
    first = next(rows, None)
    if first is None:
        return
    header = first[1]
    cols = _columns(header, path)
    from_pods = header[cols["service"]].strip().lower() in ("podname", "pod_name", "pod")
    workload = service_of_pod if from_pods else str.strip
    for line, row in rows:
        try:
            parent = row[cols["parent_id"]].strip()
            status = _status(row[cols["status"]]) if "status" in cols else None
            yield Span(
                trace_id=row[cols["trace_id"]].strip(),
                span_id=row[cols["span_id"]].strip(),
                parent_id=None if parent.lower() in _ROOT_PARENTS else parent,
                service=workload(row[cols["service"]]),
                operation=row[cols["operation"]].strip() if "operation" in cols else "",
                start_ns=int(row[cols["start_ns"]]),
                end_ns=int(row[cols["end_ns"]]),
                error=status,
            )
        except IndexError:
            raise TraceFormatError(f"{path}: line {line}: expected {len(header)} columns, found {len(row)}") from None
        except ValueError:
            raise TraceFormatError(f"{path}: line {line}: start/end must be integers (Unix nanoseconds)") from None


def _attr(attributes: Iterable[dict[str, Any]], key: str) -> str | None:
    for a in attributes or ():
        if a.get("key") == key:
            value = a.get("value") or {}
            for kind in ("stringValue", "intValue", "doubleValue", "boolValue"):
                if kind in value:
                    return str(value[kind])
    return None


def spans_from_otlp(request: dict[str, Any], *, where: str = "request") -> Iterator[Span]:
    """Spans of one OTLP/JSON export request (``{"resourceSpans": [...]}``).

    Ids are hex strings in OTLP/JSON. Raises `TraceFormatError` naming the
    resource/span index and field for a malformed span.
    """
    if not isinstance(request, dict) or not isinstance(request.get("resourceSpans", []), list):
        raise TraceFormatError(f"{where}: expected an object with a 'resourceSpans' list")
    for r_i, resource_spans in enumerate(request.get("resourceSpans", [])):
        if not isinstance(resource_spans, dict):
            raise TraceFormatError(f"{where}: resourceSpans[{r_i}]: expected an object")
        resource = resource_spans.get("resource") or {}
        service = _attr(resource.get("attributes", []), "service.name") or "unknown_service"
        for s_i, scope in enumerate(resource_spans.get("scopeSpans", resource_spans.get("instrumentationLibrarySpans", [])) or []):
            for p_i, span in enumerate((scope or {}).get("spans", []) or []):
                at = f"{where}: resourceSpans[{r_i}].scopeSpans[{s_i}].spans[{p_i}]"
                if not isinstance(span, dict):
                    raise TraceFormatError(f"{at}: expected an object")
                for key in ("traceId", "spanId", "startTimeUnixNano", "endTimeUnixNano"):
                    if key not in span:
                        raise TraceFormatError(f"{at}: missing field '{key}'")
                try:
                    start, end = int(span["startTimeUnixNano"]), int(span["endTimeUnixNano"])
                except (TypeError, ValueError):
                    raise TraceFormatError(f"{at}: startTimeUnixNano/endTimeUnixNano must be integers") from None
                code = (span.get("status") or {}).get("code")
                error = None if code in (None, 0, "STATUS_CODE_UNSET") else code in (2, "STATUS_CODE_ERROR")
                parent = span.get("parentSpanId") or None
                yield Span(str(span["traceId"]), str(span["spanId"]), parent, service, str(span.get("name", "")), start, end, error)


def read_otlp_json(path: str | Path) -> Iterator[Span]:
    """Spans from a file the OpenTelemetry Collector's file exporter wrote (JSON lines, or one JSON document)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TraceFormatError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    stripped = text.strip()
    if not stripped:
        return
    try:
        documents = [(0, json.loads(stripped))]
    except json.JSONDecodeError:
        documents = []
        for line, raw in enumerate(text.splitlines(), start=1):
            if raw.strip():
                try:
                    documents.append((line, json.loads(raw)))
                except json.JSONDecodeError as exc:
                    raise TraceFormatError(f"{path}: line {line}: not JSON ({exc.msg} at column {exc.colno})") from None
    for line, doc in documents:
        yield from spans_from_otlp(doc, where=f"{path}" + (f": line {line}" if line else ""))


def read_spans(path: str | Path) -> Iterator[Span]:
    """Spans from a file or every span file in a folder (``*.csv`` span tables, ``*.json``/``*.jsonl`` OTLP)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".csv", ".json", ".jsonl"))
    elif path.exists():
        files = [path]
    else:
        raise TraceFormatError(f"{path}: no such file or folder")
    for f in files:
        yield from (read_span_table(f) if f.suffix.lower() == ".csv" else read_otlp_json(f))


def call_edges(spans: Iterable[Span], *, window_s: int = 60) -> list[CallStats]:
    """Aggregate spans into caller -> callee statistics per window.

    Spans whose parent is in another trace file (not seen) are skipped: an
    edge needs both ends. Calls within one service (a client span and its own
    server span) are not edges.
    """
    by_id: dict[tuple[str, str], str] = {}
    children: list[Span] = []
    for s in spans:
        by_id[(s.trace_id, s.span_id)] = s.service
        if s.parent_id is not None:
            children.append(s)
    window_ns = int(window_s) * 1_000_000_000
    groups: dict[tuple[str, str, int], list[Span]] = defaultdict(list)
    for s in children:
        caller = by_id.get((s.trace_id, s.parent_id or ""))
        if caller is None or caller == s.service:
            continue
        groups[(caller, s.service, s.start_ns - s.start_ns % window_ns)].append(s)
    out: list[CallStats] = []
    for (caller, callee, start), calls in sorted(groups.items()):
        ms = np.array([(c.end_ns - c.start_ns) / 1e6 for c in calls], dtype=np.float64)
        flags = [c.error for c in calls]
        errors = None if all(f is None for f in flags) else sum(1 for f in flags if f)
        out.append(CallStats(caller, callee, start, len(calls), errors, float(np.percentile(ms, 50)), float(np.percentile(ms, 95))))
    return out


def call_graph(stats: Iterable[CallStats]) -> dict[tuple[str, str], CallStats]:
    """All windows of each edge merged into one summary (calls and errors summed, latencies call-weighted)."""
    merged: dict[tuple[str, str], list[CallStats]] = defaultdict(list)
    for s in stats:
        merged[(s.caller, s.callee)].append(s)
    out: dict[tuple[str, str], CallStats] = {}
    for key, parts in merged.items():
        calls = sum(p.calls for p in parts)
        errs = [p.errors for p in parts if p.errors is not None]
        weights = np.array([p.calls for p in parts], dtype=np.float64)
        out[key] = CallStats(
            key[0], key[1], min(p.window_start_ns for p in parts), calls, sum(errs) if errs else None,
            float(np.average([p.p50_ms for p in parts], weights=weights)), float(max(p.p95_ms for p in parts)),
        )
    return out


def _iso(ns: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@register_reader("traces")
def read_traces(config: SourceConfig, schema: GraphSchema, known_ids: KnownIds | None, cache: DocumentCache | None = None) -> Facts:
    """Observed call edges from the span files at `config.path` (see the module docstring)."""
    if config.path is None:  # read_source checks it before calling a reader
        raise TraceFormatError(f"source {config.name!r} (traces) needs a `path`")
    files = [config.path] if config.path.is_file() else sorted(p for p in config.path.rglob("*") if p.suffix.lower() in (".csv", ".json", ".jsonl"))
    stats = call_edges((s for f in files for s in read_spans(f)), window_s=config.mapping.call_window_s)
    facts = call_facts(stats, config, schema, known_ids, files=len(files))
    facts.files = [str(f) for f in files]
    return facts


def spans_from_otlp_protobuf(body: bytes) -> list[Span]:
    """Spans of one OTLP/HTTP protobuf export request (`ExportTraceServiceRequest`), as the SDK exporters send.

    Needs the `opentelemetry-proto` package (the `serve` extra). A body that is
    not such a message raises `TraceFormatError`.
    """
    try:
        from google.protobuf.message import DecodeError
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    except ImportError as exc:  # pragma: no cover - the serve extra installs it
        raise TraceFormatError("OTLP protobuf needs the opentelemetry-proto package: pip install 'opsgraph[serve]'") from exc
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise TraceFormatError(f"request body: not an OTLP ExportTraceServiceRequest ({exc})") from None
    out: list[Span] = []
    for r_i, rs in enumerate(request.resource_spans):
        service = next((a.value.string_value for a in rs.resource.attributes if a.key == "service.name"), "") or "unknown_service"
        for s_i, scope in enumerate(rs.scope_spans):
            for p_i, span in enumerate(scope.spans):
                if not span.trace_id or not span.span_id:
                    raise TraceFormatError(f"request body: resourceSpans[{r_i}].scopeSpans[{s_i}].spans[{p_i}]: missing traceId or spanId")
                code = span.status.code
                out.append(Span(span.trace_id.hex(), span.span_id.hex(), span.parent_span_id.hex() or None, service, span.name,
                                int(span.start_time_unix_nano), int(span.end_time_unix_nano), None if code == 0 else code == 2))
    return out


class CallAggregator:
    """Spans received over time (the OTLP receiver) kept as call statistics per window, in bounded memory.

    Services export their spans separately, so a child span may arrive before
    or after its parent: span ids are remembered for `retention_s` and a
    child whose parent has not arrived waits (at most `max_pending` of them).
    Thread-safe: the receiver adds from request threads while a flush reads.
    """

    def __init__(self, *, window_s: int = 60, retention_s: int = 86400, max_pending: int = 100_000) -> None:
        import threading

        self.window_ns = int(window_s) * 1_000_000_000
        self.retention_ns = int(retention_s) * 1_000_000_000
        self.max_pending = max_pending
        self._lock = threading.Lock()
        self._owner: dict[tuple[str, str], tuple[str, int]] = {}
        self._pending: list[Span] = []
        self._calls: dict[tuple[str, str, int], list[tuple[float, bool | None]]] = defaultdict(list)
        self.spans = 0
        self.dropped = 0
        self._newest = 0
        """Newest span end seen (ns): the retention counts back from it."""
        self._oldest: int | None = None
        """Oldest span end or call window end still retained (ns), so eviction walks them only when something is due."""

    def _place(self, s: Span) -> bool:
        owner = self._owner.get((s.trace_id, s.parent_id or ""))
        if owner is None:
            return False
        if owner[0] != s.service:
            window = s.start_ns - s.start_ns % self.window_ns
            self._calls[(owner[0], s.service, window)].append(((s.end_ns - s.start_ns) / 1e6, s.error))
            if self._oldest is None or window + self.window_ns < self._oldest:
                self._oldest = window + self.window_ns
        return True

    def add(self, spans: Iterable[Span]) -> int:
        """Take spans; returns how many were taken."""
        n = 0
        with self._lock:
            batch = list(spans)
            for s in batch:
                self._owner[(s.trace_id, s.span_id)] = (s.service, s.end_ns)
                if s.end_ns > self._newest:
                    self._newest = s.end_ns
                if self._oldest is None or s.end_ns < self._oldest:
                    self._oldest = s.end_ns
            waiting = self._pending + [s for s in batch if s.parent_id is not None]
            self._pending = [s for s in waiting if not self._place(s)]
            if len(self._pending) > self.max_pending:
                self.dropped += len(self._pending) - self.max_pending
                self._pending = self._pending[-self.max_pending :]
            n = len(batch)
            self.spans += n
            self._evict()
        return n

    def _evict(self) -> None:
        cutoff = self._newest - self.retention_ns
        if cutoff <= 0 or self._oldest is None or self._oldest >= cutoff - self.window_ns:
            # Nothing is a whole window past the retention: no walk over every span held (walking at every add made
            # each add cost O(spans held): in bench/live.py 200k spans took 14.9 s to receive, 2.0 s without). Kept: at most a window longer.
            return
        self._owner = {k: v for k, v in self._owner.items() if v[1] >= cutoff}
        self._pending = [s for s in self._pending if s.end_ns >= cutoff]
        for key in [k for k in self._calls if k[2] + self.window_ns < cutoff]:
            del self._calls[key]
        ends = [end for _, end in self._owner.values()] + [k[2] + self.window_ns for k in self._calls]
        self._oldest = min(ends, default=None)

    def stats(self) -> list[CallStats]:
        """Call statistics of every retained window."""
        with self._lock:
            items = sorted((k, list(v)) for k, v in self._calls.items())
        out = []
        for (caller, callee, window), calls in items:
            ms = np.array([c[0] for c in calls], dtype=np.float64)
            flags = [c[1] for c in calls]
            errors = None if all(f is None for f in flags) else sum(1 for f in flags if f)
            out.append(CallStats(caller, callee, window, len(calls), errors, float(np.percentile(ms, 50)), float(np.percentile(ms, 95))))
        return out


def call_facts(stats: Sequence[CallStats], config: SourceConfig, schema: GraphSchema, known_ids: KnownIds | None, *, files: int = 0) -> Facts:
    """Facts asserting one call edge per caller/callee seen within the retention of the newest window."""
    mapping = config.mapping
    facts = Facts(source=config.name, kind=config.kind)
    if not stats:
        return facts
    width = mapping.call_window_s * 1_000_000_000
    newest = max(s.window_start_ns for s in stats) + width
    cutoff = newest - mapping.call_retention_s * 1_000_000_000
    last_seen: dict[tuple[str, str], int] = {}
    for s in stats:
        key = (s.caller, s.callee)
        last_seen[key] = max(last_seen.get(key, 0), s.window_start_ns + width)
    shaper = Shaper(schema, mapping, facts)
    for key, total in sorted(call_graph(stats).items()):
        if last_seen[key] < cutoff:
            continue
        props = {"calls": total.calls, "error_share": total.error_share, "p50_ms": round(total.p50_ms, 3),
                 "p95_ms": round(total.p95_ms, 3), "first_seen": _iso(total.window_start_ns), "last_seen": _iso(last_seen[key])}
        where = f"{files} span file(s)" if files else "OTLP receiver"
        shaper.edge(mapping.call_edge, total.caller, total.callee, props, f"{where} {total.calls} calls")
    return shaper.finish(known_ids)
