"""Live telemetry pull: 1,000 services x 8 features x 24 h at 1-minute steps from a real Prometheus, next to the raw download.

    .venv/bin/python bench/live.py                      # Prometheus (Debian's package; installed when missing, as root)
    .venv/bin/python bench/live.py --victoria           # also the same pull from VictoriaMetrics
    .venv/bin/python bench/live.py --services 200 --hours 6   # smaller

The server is started by `scripts/prometheus.py` and backfilled with synthetic gauges
(`synth_f0..f7{service="svc-00000"}`, smooth daily waves plus noise, ending now). Then, in
the same run and over the same chunked range queries (`max by (service) (synth_fK)`, the same
start, end and step):
- baseline: the raw HTTP download of every query's answer with httpx (bytes only), and the
  same with `json.loads` (the least any Python client must do);
- ours, fetch: `pull_telemetry` (requests, retries, parsing, mapping series to nodes, arrays);
- ours, into the store: `pull_source` (the above plus the one atomic write into the embedded store).
Rows are (node, step) pairs with 8 values; the overhead is ours / raw download.

OTLP receiver (`--otlp-spans N`, default 200,000; 0 skips it): spans of a simulated call graph
(40 services, traces of 6 spans: a frontend call fanning out two levels) made by the real
`opentelemetry-sdk`, cut into the exporter's batches of 512, then in the same run:
- baseline: `json.loads` of the same batches as OTLP/JSON (the least any JSON receiver does),
  and protobuf's own `ParseFromString` of the protobuf batches;
- ours, in process: `TraceReceiver.receive` (parse, map to spans, aggregate calls per window),
  for the protobuf and the JSON batches;
- ours, over HTTP: the SDK's `OTLPSpanExporter` (OTLP/HTTP protobuf) posting every batch to
  `POST /v1/traces` of the API app served by uvicorn on 127.0.0.1 (one exporter, sequential).
`--skip-pull` runs only the OTLP part.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402
import numpy as np  # noqa: E402

from opsgraph.app import OpsGraph, Settings  # noqa: E402
from opsgraph.ingest.telemetry_pull import pull_source  # noqa: E402
from opsgraph.schema import parse_schema  # noqa: E402
from opsgraph.sources.prometheus import PrometheusClient, build_range_params, chunk_windows, default_windows, pull_telemetry  # noqa: E402
from opsgraph.sources.prometheus_settings import PrometheusSettings  # noqa: E402

FEATURES = [f"f{i}" for i in range(8)]


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("prometheus_script", ROOT / "scripts" / "prometheus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def estate(folder: Path, services: int) -> Path:
    (folder / "nodes").mkdir(parents=True)
    (folder / "schema.yaml").write_text(
        "version: 1\nname: live-bench\nnodes:\n  Service:\n    properties: {name: string}\n"
        f"    telemetry: [{', '.join(FEATURES)}]\n",
        encoding="utf-8",
    )
    (folder / "nodes" / "Service.csv").write_text("id,name\n" + "".join(f"svc-{i:05d},svc {i}\n" for i in range(services)), encoding="utf-8")
    return folder


def raw_download(url: str, queries: list[str], windows: list[tuple[int, int]], *, parse: bool) -> tuple[float, int]:
    began = time.perf_counter()
    size = 0
    with httpx.Client(base_url=url, timeout=600) as client:
        for q in queries:
            for s, e in windows:
                resp = client.get("/api/v1/query_range", params=build_range_params(q, s, e, 60, 600))
                resp.raise_for_status()
                size += len(resp.content)
                if parse:
                    json.loads(resp.content)
    return time.perf_counter() - began, size


def run(kind: str, services: int, hours: float, work: Path) -> dict[str, Any]:
    script = _script()
    t = time.perf_counter()
    samples = script.synthetic_samples(services, hours, end=time.time())
    if kind == "prometheus":
        info = script.start("prometheus", 0, work / kind, samples, grouped=True, timeout=600)
    else:
        info = script.start("victoria-metrics", 0, work / kind, samples, timeout=600)
    load_s = time.perf_counter() - t
    try:
        url = str(info["url"])
        queries = {f: f"max by (service) (synth_{f})" for f in FEATURES}
        settings = PrometheusSettings(url=url, queries={"Service": queries}, lookback_seconds=int(hours * 3600) - 60, timeout_seconds=600)
        now = time.time()
        schema = parse_schema((estate(work / f"estate-{kind}", services) / "schema.yaml").read_text())
        (start, end) = default_windows(settings, {"Service": None}, now=now, step=60)["Service"]
        windows = chunk_windows(start, end, 60, settings.max_points)
        raw_download(url, list(queries.values()), windows, parse=False)  # warm-up: the server's page cache
        raw_s, size = raw_download(url, list(queries.values()), windows, parse=False)
        parsed_s, _ = raw_download(url, list(queries.values()), windows, parse=True)
        print(f"[bench] raw download {raw_s:.2f} s, with json.loads {parsed_s:.2f} s", file=sys.stderr, flush=True)
        known = {f"svc-{i:05d}": "Service" for i in range(services)}
        with PrometheusClient(settings) as client:
            t = time.perf_counter()
            pull = pull_telemetry(client, settings, schema, {"Service": (start, end)}, source="bench", known_ids=lambda ids: {i: known[i] for i in ids if i in known})
            fetch_s = time.perf_counter() - t
        rows = len(pull.types["Service"].node_ids) * len(pull.types["Service"].steps)
        print(f"[bench] pull_telemetry {fetch_s:.2f} s for {rows} rows", file=sys.stderr, flush=True)
        with OpsGraph(Settings(home=work / f"home-{kind}", embed={"provider": "none"})) as og:
            og.ingest(work / f"estate-{kind}", documents=False)
            with PrometheusClient(settings) as client:
                t = time.perf_counter()
                report = pull_source(og.store, og.schema() or schema, client, settings, source="bench", now=now)
                store_s = time.perf_counter() - t
            one = og.store.read_telemetry("Service", ["svc-00000"], start=start)  # a spot check: the whole frame is the risk layer's read
            got = pull.types["Service"]
            present = ~np.isnan(got.values[:, 0, :]).all(axis=1)  # steps past the data's end (and Prometheus' 5 min staleness) hold nothing
            assert one.values.shape == (int(present.sum()), 1, len(FEATURES)), one.values.shape
            assert np.allclose(one.values[:, 0, :], got.values[present, 0, :], equal_nan=True)
        print(f"[bench] pull_source {store_s:.2f} s, {report.rows} rows stored", file=sys.stderr, flush=True)
        return {
            "kind": kind, "load_s": load_s, "steps": len(pull.types["Service"].steps), "rows": rows, "points": pull.points(), "bytes": size,
            "requests": pull.requests, "unknown": pull.unknown_series, "raw_s": raw_s, "parsed_s": parsed_s, "fetch_s": fetch_s,
            "store_s": store_s, "stored_rows": report.rows,
        }  # fmt: skip
    finally:
        script.stop(int(info["pid"]), Path(str(info["dir"])))


def show(r: dict[str, Any]) -> None:
    print(f"\n== {r['kind']}: {r['rows'] // r['steps']} services x 8 features x {r['steps']} steps = {r['rows']:,} rows, {r['points']:,} points; "
          f"{r['requests']} range requests, {r['bytes'] / 1e6:.0f} MB of JSON; data loaded in {r['load_s']:.0f} s (not timed below)")  # fmt: skip
    print(f"{'what':<44}{'seconds':>9}{'rows/s':>12}{'vs raw':>8}")
    for label, sec in (
        ("baseline: raw HTTP download (bytes)", r["raw_s"]),
        ("baseline: raw download + json.loads", r["parsed_s"]),
        ("ours: pull_telemetry (fetch, parse, shape)", r["fetch_s"]),
        ("ours: pull_source (... + atomic store write)", r["store_s"]),
    ):
        print(f"{label:<44}{sec:>9.2f}{r['rows'] / sec:>12,.0f}{sec / r['raw_s']:>7.2f}x")
    if r["unknown"]:
        print(f"!! {r['unknown']} unknown series")


# -- OTLP receiver --------------------------------------------------------------------------------
OTLP_SERVICES = 40
BATCH = 512


def make_spans(count: int, seed: int = 3) -> list[Any]:
    """`count` finished spans from the real SDK: traces of 6 spans over a 40-service call graph, ~2 % errors."""
    import random

    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Status, StatusCode

    rng = random.Random(seed)
    memory = InMemorySpanExporter()
    tracers = []
    for i in range(OTLP_SERVICES):
        provider = TracerProvider(resource=Resource.create({"service.name": f"svc-{i:02d}"}))
        provider.add_span_processor(SimpleSpanProcessor(memory))
        tracers.append(provider.get_tracer("bench"))
    made = 0
    while made < count:
        a, b, c, d, e, f = (tracers[rng.randrange(OTLP_SERVICES)] for _ in range(6))
        with a.start_as_current_span("GET /", kind=trace.SpanKind.SERVER):
            for mid, leaf in ((b, c), (d, e)):
                with mid.start_as_current_span("rpc", kind=trace.SpanKind.CLIENT) as span:
                    with leaf.start_as_current_span("query", kind=trace.SpanKind.SERVER) as inner:
                        if rng.random() < 0.02:
                            inner.set_status(Status(StatusCode.ERROR))
                    span.set_attribute("peer", "x")
            with f.start_as_current_span("cache", kind=trace.SpanKind.CLIENT):
                pass
        made += 6
    return list(memory.get_finished_spans())[:count]


def _hex_ids(d: Any) -> Any:
    """OTLP/JSON carries ids as hex; protobuf's JSON printer gives base64."""
    import base64

    if isinstance(d, dict):
        return {k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str) else _hex_ids(v))
                for k, v in d.items()}
    if isinstance(d, list):
        return [_hex_ids(v) for v in d]
    return d


def run_otlp(count: int, work: Path) -> dict[str, Any]:
    import socket
    import threading

    from google.protobuf.json_format import MessageToDict
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.sdk.trace.export import SpanExportResult

    from opsgraph.api.http.app import create_app
    from opsgraph.api.http.server import uvicorn_server
    from opsgraph.api.service import Served
    from opsgraph.app.traces import TraceReceiver

    t = time.perf_counter()
    spans = make_spans(count)
    batches = [spans[i : i + BATCH] for i in range(0, len(spans), BATCH)]
    protos = [encode_spans(b).SerializeToString() for b in batches]
    jsons = [json.dumps(_hex_ids(MessageToDict(encode_spans(b)))).encode() for b in batches]
    print(f"[bench] {len(spans):,} SDK spans in {len(batches)} batches made in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    out: dict[str, Any] = {"spans": len(spans), "batches": len(batches), "proto_mb": sum(map(len, protos)) / 1e6,
                           "json_mb": sum(map(len, jsons)) / 1e6}  # fmt: skip

    t = time.perf_counter()
    for body in jsons:
        json.loads(body)
    out["json_loads_s"] = time.perf_counter() - t
    t = time.perf_counter()
    for body in protos:
        ExportTraceServiceRequest.FromString(body)
    out["proto_parse_s"] = time.perf_counter() - t

    with OpsGraph(Settings(home=work / "home-otlp", embed={"provider": "none"})) as og:
        for kind, bodies, ctype in (("proto", protos, "application/x-protobuf"), ("json", jsons, "application/json")):
            receiver = TraceReceiver(og.syncer.sync_facts, og.schema, og.store.node_types)  # a fresh one per format
            t = time.perf_counter()
            taken = sum(receiver.receive(body, ctype) for body in bodies)
            out[f"receive_{kind}_s"] = time.perf_counter() - t
            assert taken == len(spans), (kind, taken)
        served = Served(og)
        app = create_app(served, write_token="bench-token")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn_server(app)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", headers={"Authorization": "Bearer bench-token"}, timeout=60)
            assert exporter.export(batches[0]) == SpanExportResult.SUCCESS  # warm-up (connection, first request)
            before = og.traces.aggregator.spans
            t = time.perf_counter()
            for batch in batches:
                if exporter.export(batch) != SpanExportResult.SUCCESS:
                    raise SystemExit("the OTLP exporter's export failed")
            out["http_s"] = time.perf_counter() - t
            exporter.shutdown()
            out["http_taken"] = og.traces.aggregator.spans - before
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            sock.close()
    return out


def show_otlp(r: dict[str, Any]) -> None:
    n = r["spans"]
    print(f"\n== OTLP receiver: {n:,} spans from opentelemetry-sdk, {r['batches']} batches of {BATCH} "
          f"({r['proto_mb']:.1f} MB protobuf, {r['json_mb']:.1f} MB OTLP/JSON); {OTLP_SERVICES} services")
    print(f"{'what':<58}{'seconds':>9}{'spans/s':>12}{'vs json.loads':>15}")
    base = r["json_loads_s"]
    for label, sec in (
        ("baseline: json.loads of the OTLP/JSON batches", base),
        ("reference: protobuf ParseFromString of the batches", r["proto_parse_s"]),
        ("ours: TraceReceiver.receive, protobuf (parse+aggregate)", r["receive_proto_s"]),
        ("ours: TraceReceiver.receive, OTLP/JSON (parse+aggregate)", r["receive_json_s"]),
        ("ours: SDK OTLPSpanExporter -> POST /v1/traces (uvicorn)", r["http_s"]),
    ):
        print(f"{label:<58}{sec:>9.2f}{n / sec:>12,.0f}{sec / base:>14.2f}x")
    if r.get("http_taken") != n:
        print(f"!! the server took {r.get('http_taken')} spans of {n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--victoria", action="store_true", help="also pull the same data from VictoriaMetrics")
    parser.add_argument("--otlp-spans", type=int, default=200_000, help="spans sent to the OTLP receiver (0: skip)")
    parser.add_argument("--skip-pull", action="store_true", help="only the OTLP receiver part")
    args = parser.parse_args()
    import os

    print(f"[bench] {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        results = []
        if not args.skip_pull:
            for kind in ["prometheus", *(["victoria-metrics"] if args.victoria else [])]:
                results.append(run(kind, args.services, args.hours, Path(tmp)))
        otlp = run_otlp(args.otlp_spans, Path(tmp)) if args.otlp_spans else None
        for r in results:
            show(r)
        if otlp is not None:
            show_otlp(otlp)


if __name__ == "__main__":
    main()
