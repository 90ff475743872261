"""A `traces` source keeps observed CALLS edges in the estate: synced with provenance, compared with the
declared dependencies by `reconcile`, and closed in history (not kept forever) when no longer seen. Real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write
from opsgraph.app import OpsGraph, Settings
from opsgraph.sources import SourceConfig
from opsgraph.sources.traces import TraceFormatError

S = 1_000_000_000
HEADER = "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n"
POD = {"frontend": "frontend-579b9bff58-t2dbm", "checkoutservice": "checkoutservice-6d7f8b9c5-x2kqz",
       "paymentservice": "paymentservice-5c8d9f7b6-q4wzt", "ghost": "ghostservice-7b8c9d6f5-zzzzz"}


def spans(calls: list[tuple[str, str, int]], prefix: str = "a") -> str:
    """A span table: one trace per (caller, callee, second) with a client parent span and the callee's span."""
    rows = []
    for i, (caller, callee, sec) in enumerate(calls):
        start = sec * S
        t = f"{prefix}{i}"
        rows.append(f"{t},p{i},root,{POD[caller]},Recv,{start},{start + 30_000_000},30000")
        rows.append(f"{t},c{i},p{i},{POD[callee]},Call,{start + 1_000_000},{start + 21_000_000},20000")
    return HEADER + "\n".join(rows) + "\n"


def test_observed_calls_are_synced_reconciled_and_closed_when_gone(sample_copy: Path, tmp_path: Path) -> None:
    traces = tmp_path / "traces"
    base = 1_767_225_600  # 2026-01-01T00:00:00Z
    write(traces / "00_00_trace.csv", spans([("frontend", "checkoutservice", base + 5), ("frontend", "checkoutservice", base + 6),
                                             ("checkoutservice", "paymentservice", base + 7), ("frontend", "ghost", base + 8)]))
    source = SourceConfig(name="otel", kind="traces", path=traces)
    with OpsGraph(Settings(home=tmp_path / "home", embed={"provider": "none"}, sources=[source])) as og:
        og.ingest(sample_copy)
        (plan,) = og.sync(["otel"])
        calls = og.query("MATCH (a:Service)-[c:CALLS]->(b:Service) RETURN a.id AS a, b.id AS b, c.calls AS n, c.p95_ms AS p95 ORDER BY a, b").rows
        assert [(r["a"], r["b"], r["n"]) for r in calls] == [("checkoutservice", "paymentservice", 1), ("frontend", "checkoutservice", 2)]
        assert all(abs(r["p95"] - 20.0) < 1e-6 for r in calls)
        assert any("ghostservice" in p.message for p in plan.problems)  # a service the estate does not know: reported, not invented

        observed = og.reconcile().observed
        assert ["frontend", "checkoutservice"] not in observed["observed_not_declared"]  # declared in DEPENDS_ON too
        assert ["frontend", "adservice"] in observed["declared_not_observed"]

        # A day later only checkout -> payment is still seen: frontend -> checkout is closed, and history says so.
        later = base + 2 * 86400
        write(traces / "00_00_trace.csv", spans([("frontend", "checkoutservice", base + 5)]))
        write(traces / "48_00_trace.csv", spans([("checkoutservice", "paymentservice", later)], prefix="b"))
        og.sync(["otel"])
        now = og.query("MATCH (a:Service)-[:CALLS]->(b:Service) RETURN a.id AS a, b.id AS b").rows
        assert [(r["a"], r["b"]) for r in now] == [("checkoutservice", "paymentservice")]
        gone = [c for c in og.changes() if c.get("op") == "delete" and "CALLS" in str(c.get("type", ""))]
        assert gone and "frontend" in gone[0]["text"] and "checkoutservice" in gone[0]["text"]


def test_spans_posted_by_the_real_sdk_become_call_edges_on_flush(sample_copy: Path, tmp_path: Path) -> None:
    """The receiver half of `POST /v1/traces`: the SDK's own protobuf encoding of a small call graph, then a flush."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    def service(name: str) -> tuple[trace.Tracer, InMemorySpanExporter]:
        exporter = InMemorySpanExporter()
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        return provider.get_tracer(name), exporter

    (front, front_x), (checkout, checkout_x) = service("frontend"), service("checkoutservice")
    for _ in range(3):
        with front.start_as_current_span("GET /cart/checkout", kind=trace.SpanKind.CLIENT) as client:
            ctx = trace.set_span_in_context(client)
            with checkout.start_as_current_span("PlaceOrder", context=ctx, kind=trace.SpanKind.SERVER):
                pass
    with OpsGraph(Settings(home=tmp_path / "home", embed={"provider": "none"})) as og:
        og.ingest(sample_copy)
        assert og.traces.flush() is None  # nothing received yet: a flush writes nothing
        # each service exports on its own: the callee's spans may come first
        assert og.traces.receive(encode_spans(checkout_x.get_finished_spans()).SerializeToString(), "application/x-protobuf") == 3
        assert og.traces.receive(encode_spans(front_x.get_finished_spans()).SerializeToString(), "application/x-protobuf") == 3
        plan = og.traces.flush()
        assert plan is not None
        rows = og.query("MATCH (a:Service)-[c:CALLS]->(b:Service) RETURN a.id AS a, b.id AS b, c.calls AS n").rows
        assert [(r["a"], r["b"], r["n"]) for r in rows] == [("frontend", "checkoutservice", 3)]
        with pytest.raises(TraceFormatError, match="Content-Type"):
            og.traces.receive(b"{}", "text/plain")
        with pytest.raises(TraceFormatError, match="resourceSpans"):
            og.traces.receive(b'{"resourceSpans": 3}', "application/json")
