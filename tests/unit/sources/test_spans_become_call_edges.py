"""Spans from span tables and OTLP JSON become caller -> callee statistics per window."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import write
from opsgraph.errors import OpsGraphError
from opsgraph.sources.traces import TraceFormatError, call_edges, call_graph, read_otlp_json, read_span_table, read_spans, service_of_pod

S = 1_000_000_000


@pytest.mark.parametrize(
    ("pod", "workload"),
    [
        ("cartservice-7d8b9c6f4-x2kqz", "cartservice"),
        ("frontend-579b9bff58-t2dbm", "frontend"),
        ("redis-cart-0", "redis-cart"),
        ("node-exporter-7xk2p", "node-exporter"),
        ("checkoutservice", "checkoutservice"),
        ("redis-cart", "redis-cart"),
    ],
)
def test_pod_names_map_to_their_workload(pod: str, workload: str) -> None:
    assert service_of_pod(pod) == workload


def _table(tmp_path: Path, rows: list[str], header: str = "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration") -> Path:
    return write(tmp_path / "trace.csv", header + "\n" + "\n".join(rows) + "\n")


def test_a_span_table_gives_edges_between_services_not_within_one(tmp_path: Path) -> None:
    path = _table(tmp_path, [
        f"t1,a,root,frontend-579b9bff58-t2dbm,Recv,{0},{20_000_000},20000",
        f"t1,b,a,frontend-579b9bff58-t2dbm,CartService/GetCart,{1_000_000},{11_000_000},10000",
        f"t1,c,b,cartservice-7d8b9c6f4-x2kqz,CartService/GetCart,{2_000_000},{10_000_000},8000",
        f"t2,d,root,frontend-579b9bff58-t2dbm,Recv,{S},{S + 9_000_000},9000",
        f"t2,e,d,cartservice-7d8b9c6f4-x2kqz,CartService/GetCart,{S},{S + 4_000_000},4000",
        f"t3,f,missing,cartservice-7d8b9c6f4-x2kqz,CartService/GetCart,{S},{S + 1},0",
    ])
    stats = call_edges(read_span_table(path), window_s=60)
    assert [(s.caller, s.callee, s.calls) for s in stats] == [("frontend", "cartservice", 2)]
    only = stats[0]
    assert only.errors is None and only.error_share is None  # Nezha's tables carry no status
    assert only.p50_ms == pytest.approx(6.0) and only.p95_ms == pytest.approx(7.8)


def test_windows_split_calls_and_the_graph_merges_them(tmp_path: Path) -> None:
    path = _table(tmp_path, [
        "t1,a,root,frontend-579b9bff58-t2dbm,Recv,0,5000000,1",
        "t1,b,a,adservice-6b5f4d7c9-x2kqz,Ads,0,2000000,1",
        f"t2,c,root,frontend-579b9bff58-t2dbm,Recv,{61 * S},{61 * S + 5_000_000},1",
        f"t2,d,c,adservice-6b5f4d7c9-x2kqz,Ads,{61 * S},{61 * S + 4_000_000},1",
    ])
    stats = call_edges(read_span_table(path), window_s=60)
    assert [(s.window_start_ns, s.calls) for s in stats] == [(0, 1), (60 * S, 1)]
    merged = call_graph(stats)[("frontend", "adservice")]
    assert merged.calls == 2 and merged.p95_ms == pytest.approx(4.0, rel=0.01)


def test_a_status_column_counts_errors(tmp_path: Path) -> None:
    path = _table(tmp_path, [
        "t1,a,,web,GET /,0,9000000,ok",
        "t1,b,a,api,GET /x,0,2000000,error",
        "t2,c,,web,GET /,0,9000000,ok",
        "t2,d,c,api,GET /x,0,2000000,ok",
    ], header="trace_id,span_id,parent_span_id,service,operation,start,end,status")
    (stat,) = call_edges(read_span_table(path))
    assert (stat.caller, stat.callee, stat.errors, stat.error_share) == ("web", "api", 1, 0.5)


def _otlp(service: str, spans: list[dict]) -> dict:
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                               "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]}


def test_otlp_json_lines_from_the_collector_file_exporter(tmp_path: Path) -> None:
    lines = [
        _otlp("checkout", [{"traceId": "aa", "spanId": "01", "name": "PlaceOrder", "startTimeUnixNano": "0", "endTimeUnixNano": "30000000"}]),
        _otlp("payment", [
            {"traceId": "aa", "spanId": "02", "parentSpanId": "01", "name": "Charge", "startTimeUnixNano": "1000000",
             "endTimeUnixNano": "21000000", "status": {"code": 2}},
        ]),
    ]
    path = write(tmp_path / "spans.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    (stat,) = call_edges(read_otlp_json(path))
    assert (stat.caller, stat.callee, stat.calls, stat.errors, stat.p50_ms) == ("checkout", "payment", 1, 1, pytest.approx(20.0))
    assert [s.service for s in read_spans(tmp_path)] == ["checkout", "payment"]


def test_malformed_inputs_name_the_file_line_and_field(tmp_path: Path) -> None:
    bad_header = _table(tmp_path, ["x,y"], header="TraceID,SpanID,PodName")
    with pytest.raises(TraceFormatError, match=r"line 1: .*parent_id"):
        list(read_span_table(bad_header))
    bad_number = _table(tmp_path, ["t1,a,root,web,GET,soon,later,0"])
    with pytest.raises(TraceFormatError, match=r"trace.csv: line 2: start/end must be integers"):
        list(read_span_table(bad_number))
    bad_json = write(tmp_path / "o.jsonl", json.dumps(_otlp("a", [])) + "\n{oops\n")
    with pytest.raises(TraceFormatError, match=r"o.jsonl: line 2: not JSON"):
        list(read_otlp_json(bad_json))
    no_id = write(tmp_path / "p.json", json.dumps(_otlp("a", [{"spanId": "1", "startTimeUnixNano": 0, "endTimeUnixNano": 1}])))
    with pytest.raises(TraceFormatError, match=r"spans\[0\]: missing field 'traceId'"):
        list(read_otlp_json(no_id))
    with pytest.raises(TraceFormatError, match="no such file"):
        list(read_spans(tmp_path / "absent"))
    assert issubclass(TraceFormatError, OpsGraphError)


def test_the_receiver_aggregator_joins_children_that_arrive_before_their_parent() -> None:
    from opsgraph.sources.traces import CallAggregator, Span

    agg = CallAggregator(window_s=60, retention_s=3600)
    child = Span("t1", "c", "p", "payment", "Charge", 2_000_000, 12_000_000, True)
    assert agg.add([child]) == 1 and agg.stats() == []  # its parent (in checkout's export) has not arrived yet
    agg.add([Span("t1", "p", None, "checkout", "PlaceOrder", 0, 20_000_000, None)])
    (stat,) = agg.stats()
    assert (stat.caller, stat.callee, stat.calls, stat.errors, stat.p50_ms) == ("checkout", "payment", 1, 1, pytest.approx(10.0))
    # an hour and more later, old windows and remembered spans are let go
    agg.add([Span("t9", "x", None, "checkout", "PlaceOrder", 2 * 3600 * S, 2 * 3600 * S + 1, None)])
    assert agg.stats() == []


def test_otlp_protobuf_from_the_real_sdk_encoder_round_trips() -> None:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from opsgraph.sources.traces import spans_from_otlp_protobuf

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "checkout"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("PlaceOrder"), tracer.start_as_current_span("Charge"):
        pass
    body = encode_spans(exporter.get_finished_spans()).SerializeToString()
    spans = spans_from_otlp_protobuf(body)
    assert sorted(s.operation for s in spans) == ["Charge", "PlaceOrder"]
    parent = next(s for s in spans if s.operation == "PlaceOrder")
    assert next(s for s in spans if s.operation == "Charge").parent_id == parent.span_id and parent.parent_id is None
    with pytest.raises(TraceFormatError, match="not an OTLP"):
        spans_from_otlp_protobuf(b"\xff\xff not protobuf")
