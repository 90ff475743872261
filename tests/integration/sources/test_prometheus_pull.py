"""Pulling telemetry from a real Prometheus (and VictoriaMetrics) filled with the sample estate's telemetry.

The servers are started once per session by `scripts/prometheus.py` (which installs Debian's
packages when missing). Failures are real sockets: a port with nothing listening, a tiny HTTP
server that sleeps, and a small reverse proxy in front of the real Prometheus that checks a
bearer token, answers 503, or cuts the body short. After every failed pull the store's
telemetry and data version are exactly what they were before.
"""

from __future__ import annotations

import csv
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import datasets_dir
from opsgraph.app import OpsGraph, Settings
from opsgraph.ingest.telemetry_pull import PullReport, pull_source
from opsgraph.sources import SourceConfig
from opsgraph.sources.prometheus import PrometheusClient, PrometheusError
from opsgraph.sources.prometheus_settings import PrometheusSettings

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "prometheus.py"
SAMPLE = ROOT / "src" / "opsgraph" / "data" / "sample_estate"
T0 = 1767225600  # 2026-01-01T00:00:00Z, the sample telemetry's first step
NEZHA_DAY = "2022-08-22"
QUERIES = {"Service": {"cpu": "max by (service) (estate_cpu)", "error_rate": "max by (service) (estate_error_rate)"}}


def _start(kind: str, work: Path) -> dict[str, Any]:
    extra = ["--nezha", NEZHA_DAY] if kind == "prometheus" else []
    done = subprocess.run([sys.executable, str(SCRIPT), "start", "--kind", kind, "--json", "--sample", *extra, "--dir", str(work)],
                          capture_output=True, text=True, timeout=1800, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"scripts/prometheus.py could not start {kind}:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout))


@pytest.fixture(scope="session")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus on 127.0.0.1 holding the sample estate's 36 h of telemetry (backfilled with promtool)."""
    info = _start("prometheus", tmp_path_factory.mktemp("prometheus"))
    try:
        yield str(info["url"])
    finally:
        subprocess.run([sys.executable, str(SCRIPT), "stop", "--pid", str(info["pid"]), "--dir", str(info["dir"])], timeout=60, check=False)


@pytest.fixture(scope="session")
def victoria_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real VictoriaMetrics holding the same telemetry (imported over its HTTP API)."""
    info = _start("victoria-metrics", tmp_path_factory.mktemp("victoria"))
    try:
        yield str(info["url"])
    finally:
        subprocess.run([sys.executable, str(SCRIPT), "stop", "--pid", str(info["pid"]), "--dir", str(info["dir"])], timeout=60, check=False)


TINY_SCHEMA = """\
version: 1
name: pulled
nodes:
  Service:
    name_property: name
    properties: {name: {type: string, required: true}}
    telemetry: [cpu, memory, latency_p95_ms, error_rate, requests_per_s]
  Team:
    properties: {name: string}
"""


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample estate's services (and one team named like a metric's label) without telemetry: it comes from the server."""
    target = tmp_path_factory.mktemp("estate") / "pulled"
    (target / "nodes").mkdir(parents=True)
    (target / "schema.yaml").write_text(TINY_SCHEMA, encoding="utf-8")
    with (SAMPLE / "telemetry" / "services.csv").open(newline="") as fh:
        services = sorted({row["node"] for row in csv.DictReader(fh)})
    (target / "nodes" / "Service.csv").write_text("id,name\n" + "".join(f"{s},{s}\n" for s in services), encoding="utf-8")
    (target / "nodes" / "Team.csv").write_text("id,name\nteam-shop,Shop\n", encoding="utf-8")
    return target


@pytest.fixture
def graph(tmp_path: Path, estate: Path) -> Iterator[OpsGraph]:
    with OpsGraph(Settings(home=tmp_path / "home", embed={"provider": "none"})) as og:
        og.ingest(estate, documents=False)
        yield og


@pytest.fixture(scope="module")
def expected() -> dict[tuple[str, int], dict[str, float]]:
    """(service, epoch step) -> the CSV's feature values."""
    out = {}
    with (SAMPLE / "telemetry" / "services.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            ts = int(datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")).timestamp())
            out[(row["node"], ts)] = {"cpu": float(row["cpu"]), "error_rate": float(row["error_rate"])}
    return out


def settings(url: str, **extra: Any) -> PrometheusSettings:
    base: dict[str, Any] = {"url": url, "queries": QUERIES, "lookback_seconds": 3600, "delay_seconds": 0, "retries": 0, "timeout_seconds": 10}
    return PrometheusSettings(**{**base, **extra})


def pull(og: OpsGraph, s: PrometheusSettings, now: float, *, token: str | None = None) -> PullReport:
    schema = og.schema()
    assert schema is not None
    with PrometheusClient(s, token=token, sleep=lambda _: None) as client:
        return pull_source(og.store, schema, client, s, source="metrics", now=now)


def snapshot(og: OpsGraph) -> tuple[int, list[str], np.ndarray, np.ndarray]:
    frame = og.store.read_telemetry("Service")
    return og.store.data_version(), list(frame.node_ids), frame.timestamps.copy(), frame.values.copy()


def assert_unchanged(og: OpsGraph, before: tuple[int, list[str], np.ndarray, np.ndarray]) -> None:
    after = snapshot(og)
    assert after[0] == before[0], "the data version moved: something was written"
    assert after[1] == before[1]
    np.testing.assert_array_equal(after[2], before[2])
    np.testing.assert_array_equal(after[3], before[3])


def test_a_pull_fills_telemetry_for_the_right_nodes_and_steps_and_a_second_only_new_steps(
    graph: OpsGraph, prometheus_url: str, expected: dict[tuple[str, int], dict[str, float]]
) -> None:
    s = settings(prometheus_url)
    first = pull(graph, s, now=T0 + 7200 + 30)
    assert first.pull is not None
    assert first.pull.windows["Service"] == (T0 + 3600, T0 + 7200)
    frame = graph.store.read_telemetry("Service")
    services = sorted({n for n, _ in expected})
    assert sorted(frame.node_ids) == services
    assert frame.timestamps.tolist() == list(range(T0 + 3600, T0 + 7200 + 60, 60))
    cpu, err = frame.features.index("cpu"), frame.features.index("error_rate")
    for n_i, node in enumerate(frame.node_ids):
        for t_i, ts in enumerate(frame.timestamps.tolist()):
            assert frame.values[t_i, n_i, cpu] == pytest.approx(expected[(node, ts)]["cpu"], rel=1e-6)
            assert frame.values[t_i, n_i, err] == pytest.approx(expected[(node, ts)]["error_rate"], rel=1e-6)
    assert np.isnan(frame.values[:, :, frame.features.index("memory")]).all(), "features without a query stay empty"
    assert first.rows == len(services) * 61 and first.pull.unknown_series == 0
    assert first.last_steps == {"Service": T0 + 7200}

    second = pull(graph, s, now=T0 + 7200 + 600)
    assert second.pull is not None
    assert second.pull.windows["Service"] == (T0 + 7260, T0 + 7800), "starts after the last stored step"
    assert second.rows == len(services) * 10
    assert second.pull.requests == 2, "one range request per feature, nothing re-fetched"
    frame = graph.store.read_telemetry("Service")
    assert frame.timestamps[-1] == T0 + 7800 and len(frame.timestamps) == 71
    assert pull(graph, s, now=T0 + 7800 + 59).rows == 0, "no whole new step: nothing pulled"


def test_chunks_respect_the_point_limit_against_the_real_server(graph: OpsGraph, prometheus_url: str) -> None:
    s = settings(prometheus_url, max_points=25, lookback_seconds=6000)
    report = pull(graph, s, now=T0 + 12000)
    assert report.pull is not None
    steps = 6000 // 60 + 1
    assert report.pull.requests == 2 * -(-steps // 25)
    assert len(graph.store.read_telemetry("Service").timestamps) == steps


def test_unknown_series_are_counted_and_listed(graph: OpsGraph, prometheus_url: str) -> None:
    queries = {"Service": {
        "cpu": 'max by (service) (estate_cpu) or max by (service) (label_replace(estate_cpu{service="frontend"}, "service", "ghost-svc", "", ""))'
               ' or max by (service) (label_replace(estate_cpu{service="adservice"}, "service", "team-shop", "", ""))',
        "error_rate": "sum(estate_error_rate)",
    }}  # fmt: skip
    report = pull(graph, settings(prometheus_url, queries=queries), now=T0 + 600)
    assert report.pull is not None
    unknown = report.pull.unknown
    assert any("ghost-svc" in k and "no such node" in k for k in unknown), unknown
    assert any("no label 'service'" in k for k in unknown), unknown
    assert any("team-shop" in k and "a Team, not a Service" in k for k in unknown), unknown
    assert report.pull.unknown_series == 3
    assert sum(unknown.values()) == 3 * 11
    assert "ghost-svc" not in graph.store.read_telemetry("Service").node_ids
    assert report.rows == 14 * 11


def test_pods_map_to_their_workloads(graph: OpsGraph, prometheus_url: str) -> None:
    query = 'max by (pod) (label_replace(estate_cpu, "pod", "$1-7d9f8b6c5d-x2x4q", "service", "(.*)"))'
    s = settings(prometheus_url, queries={"Service": {"cpu": query}}, node_label="pod", pod_to_workload=True)
    report = pull(graph, s, now=T0 + 600)
    assert report.pull is not None and report.pull.unknown_series == 0
    assert "frontend" in graph.store.read_telemetry("Service").node_ids


def test_nezha_pod_metrics_land_on_their_services(graph: OpsGraph, prometheus_url: str) -> None:
    """Real per-pod metrics of Online Boutique (Nezha), backfilled by the script, pulled per pod and mapped to workloads."""
    folder = datasets_dir() / "nezha_online_boutique" / NEZHA_DAY / "metric"
    samples: dict[str, list[tuple[int, float]]] = {}
    for path in sorted(folder.glob("*_metric.csv")):
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh):
                when = int(datetime.strptime(row["Time"][:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp())
                samples.setdefault(row["PodName"].split("-")[0], []).append((when, float(row["CpuUsageRate(%)"])))
    first = min(t for rows in samples.values() for t, _ in rows)
    start = first - first % 60 + 60
    s = settings(prometheus_url, queries={"Service": {"cpu": "max by (pod) (nezha_cpu_usage_rate_percent)"}}, node_label="pod", pod_to_workload=True, lookback_seconds=1800)
    report = pull(graph, s, now=start + 1800)
    assert report.pull is not None and report.pull.unknown_series == 0, report.pull and report.pull.unknown
    frame = graph.store.read_telemetry("Service")
    assert sorted(frame.node_ids) == sorted(samples)
    cpu = frame.features.index("cpu")
    checked = 0
    for n_i, node in enumerate(frame.node_ids):
        for t_i, step in enumerate(frame.timestamps.tolist()):
            before = [v for t, v in samples[node] if t <= step]  # Prometheus answers a step with the newest sample at or before it
            if before and not np.isnan(frame.values[t_i, n_i, cpu]):
                assert frame.values[t_i, n_i, cpu] == pytest.approx(before[-1], rel=1e-9)
                checked += 1
    assert checked >= 10 * 25


# -- failures: nothing half written --------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Behaviour = Callable[[http.server.BaseHTTPRequestHandler], bool]
"""Called per request; returns True when it answered itself (else the request is forwarded)."""


@pytest.fixture
def proxy(prometheus_url: str) -> Iterator[Callable[[Behaviour], str]]:
    """Start a small reverse proxy in front of the real Prometheus with a behaviour; returns its URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def make(behaviour: Behaviour) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if behaviour(self):
                    return
                try:
                    with urllib.request.urlopen(prometheus_url + self.path, timeout=30) as resp:
                        status, body = resp.status, resp.read()
                except urllib.error.HTTPError as exc:
                    status, body = exc.code, exc.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def _answer(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes, *, length: int | None = None) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    handler.wfile.write(body)


def test_a_server_that_is_down_gives_a_clear_error_and_writes_nothing(graph: OpsGraph) -> None:
    before = snapshot(graph)
    with pytest.raises(PrometheusError, match=r"cannot connect .*gave up after 2 attempts"):
        pull(graph, settings(f"http://127.0.0.1:{_free_port()}", retries=1, backoff_seconds=0), now=T0 + 600)
    assert_unchanged(graph, before)


def test_a_slow_server_times_out_with_a_clear_error(graph: OpsGraph, proxy: Callable[[Behaviour], str]) -> None:
    def slow(h: http.server.BaseHTTPRequestHandler) -> bool:
        if "query_range" in h.path:
            time.sleep(2.0)
        return False

    before = snapshot(graph)
    began = time.monotonic()
    with pytest.raises(PrometheusError, match=r"no answer within 0.5 s"):
        pull(graph, settings(proxy(slow), timeout_seconds=0.5), now=T0 + 600)
    assert time.monotonic() - began < 10
    assert_unchanged(graph, before)


def test_an_error_half_way_writes_nothing(graph: OpsGraph, proxy: Callable[[Behaviour], str]) -> None:
    """The first feature's query succeeds, the second answers 503 every time: retried, then refused; nothing stored."""
    calls: list[str] = []

    def second_fails(h: http.server.BaseHTTPRequestHandler) -> bool:
        if "estate_error_rate" in urllib.parse.unquote(h.path):
            calls.append(h.path)
            _answer(h, 503, b'{"status":"error","errorType":"unavailable","error":"query queue full"}')
            return True
        return False

    before = snapshot(graph)
    with pytest.raises(PrometheusError, match=r"server error HTTP 503 .*query queue full.*gave up after 3 attempts"):
        pull(graph, settings(proxy(second_fails), retries=2, backoff_seconds=0), now=T0 + 600)
    assert len(calls) == 3, "5xx answers are retried"
    assert_unchanged(graph, before)


def test_a_bad_query_is_refused_without_retrying(graph: OpsGraph, prometheus_url: str) -> None:
    before = snapshot(graph)
    with pytest.raises(PrometheusError, match=r"HTTP 400.*bad_data") as info:
        pull(graph, settings(prometheus_url, queries={"Service": {"cpu": "max by (service (estate_cpu"}}, retries=3), now=T0 + 600)
    assert "Service.cpu" in str(info.value)
    assert_unchanged(graph, before)


def test_partial_answers_write_nothing(graph: OpsGraph, prometheus_url: str, proxy: Callable[[Behaviour], str]) -> None:
    def truncated(h: http.server.BaseHTTPRequestHandler) -> bool:
        if "estate_error_rate" not in urllib.parse.unquote(h.path):
            return False
        with urllib.request.urlopen(prometheus_url + h.path, timeout=30) as resp:
            body = resp.read()
        _answer(h, 200, body[: len(body) // 2], length=len(body))
        h.close_connection = True
        return True

    def marked_partial(h: http.server.BaseHTTPRequestHandler) -> bool:
        if "query_range" not in h.path:
            return False
        _answer(h, 200, json.dumps({"status": "success", "isPartial": True, "data": {"resultType": "matrix", "result": []}}).encode())
        return True

    before = snapshot(graph)
    url = proxy(truncated)
    with pytest.raises(PrometheusError, match=r"partial response"):
        pull(graph, settings(url), now=T0 + 600)
    with pytest.raises(PrometheusError, match=r"partial data \(isPartial\)"):
        pull(graph, settings(proxy(marked_partial)), now=T0 + 600)
    assert_unchanged(graph, before)


def test_a_wrong_token_is_refused_clearly_through_sync(
    graph: OpsGraph, proxy: Callable[[Behaviour], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def needs_token(h: http.server.BaseHTTPRequestHandler) -> bool:
        if h.headers.get("Authorization") != "Bearer s3cret-token":
            _answer(h, 401, b"Unauthorized\n")
            return True
        return False

    url = proxy(needs_token)
    two = {"Service": {"cpu": 'max by (service) (estate_cpu{service=~"frontend|adservice"})'}}
    graph.settings.sources = [SourceConfig(name="metrics", kind="prometheus", prometheus=settings(url, queries=two, bearer_token_env="TEST_PROM_TOKEN"))]
    monkeypatch.setenv("TEST_PROM_TOKEN", "wrong")
    before = snapshot(graph)
    with pytest.raises(PrometheusError, match=r"HTTP 401, the server refused the credentials \(bearer token"):
        graph.pull_telemetry("metrics", now=T0 + 600)
    assert_unchanged(graph, before)

    monkeypatch.setenv("TEST_PROM_TOKEN", "s3cret-token")
    assert graph.pull_telemetry("metrics", now=T0 + 600).rows == 2 * 11
    plans = graph.sync(["metrics"])  # up to the real now: the rest of the sample's 36 hours, in chunks
    assert plans[0].applied and plans[0].telemetry is not None
    assert plans[0].telemetry["pull"]["windows"]["Service"][0] == T0 + 660
    row = next(r for r in graph.sources() if r["name"] == "metrics")
    assert row["last_step"] is not None and row["age_seconds"] is not None
    assert row["last_steps"]["Service"] == row["last_step"]


def test_the_same_client_reads_victoria_metrics(
    graph: OpsGraph, victoria_url: str, expected: dict[tuple[str, int], dict[str, float]]
) -> None:
    report = pull(graph, settings(victoria_url), now=T0 + 3600 + 30)
    assert report.pull is not None and report.pull.unknown_series == 0
    frame = graph.store.read_telemetry("Service")
    assert frame.timestamps.tolist() == list(range(T0, T0 + 3600 + 60, 60))
    cpu = frame.features.index("cpu")
    for n_i, node in enumerate(frame.node_ids):
        for t_i, ts in enumerate(frame.timestamps.tolist()):
            assert frame.values[t_i, n_i, cpu] == pytest.approx(expected[(node, ts)]["cpu"], rel=1e-6)
