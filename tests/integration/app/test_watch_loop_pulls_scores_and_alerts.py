"""The watch loop against a real Prometheus: it pulls only new steps, scores them incrementally with the numbers of a
full score, raises one alert per threshold crossing, writes nothing when nothing is new, and survives a server that
is down (the next cycle retries). Real store, sample estate (its first 12 h ingested, the rest arrives from Prometheus)."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: no spinning pools

import csv
import http.server
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.risk import load_from_store
from opsgraph.risk.alerts import ALERT
from opsgraph.sources import SourceConfig
from opsgraph.sources.prometheus_settings import PrometheusSettings

T0 = 1767225600  # 2026-01-01T00:00:00Z, the sample telemetry's first step
KEPT = 720  # steps ingested from the CSV (12 h); the watch pulls the later ones from Prometheus
FEATURES = ("cpu", "memory", "latency_p95_ms", "error_rate", "requests_per_s")
QUERIES = {"Service": {f: f"max by (service) (estate_{f})" for f in FEATURES}}
CATCHUP = 12


def _truncate(estate: Path) -> None:
    path = estate / "telemetry" / "services.csv"
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    keep = set(sorted({r[0] for r in rows[1:]})[:KEPT])
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows(r for r in rows if r is rows[0] or r[0] in keep)


def _source(url: str, name: str = "metrics") -> SourceConfig:
    s = PrometheusSettings(url=url, queries=QUERIES, delay_seconds=0, retries=0, timeout_seconds=10, lookback_seconds=3600)
    return SourceConfig(name=name, kind="prometheus", prometheus=s)


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory, sample_prometheus: str) -> Iterator[OpsGraph]:
    """The sample estate's first 12 h, a model trained on them, and the Prometheus holding all 36 h as a source."""
    import shutil

    root = tmp_path_factory.mktemp("watch")
    estate = root / "estate"
    shutil.copytree(sample_estate_path(), estate)
    _truncate(estate)
    settings = Settings(home=root / "home", embed={"provider": "none"}, risk={"threads": 1},
                        watch={"max_catchup_steps": CATCHUP, "monitor": False}, sources=[_source(sample_prometheus)])
    with OpsGraph(settings) as og:
        og.ingest(estate, documents=False)
        og.risk.train(overrides={"epochs": 4, "patience": 2})
        yield og


def _full_probabilities(og: OpsGraph, stamps: list[int]) -> dict[int, dict[str, float]]:
    """Per step, every node's probability from a full score of the window ending there (the model's own batch path)."""
    schema = og.schema()
    assert schema is not None
    model = og.risk.current_model()
    data = load_from_store(og.store, schema, "Service")
    ts = data.frame.timestamps.tolist()
    ends = np.array([ts.index(t) for t in stamps])
    probs = model.probabilities(data.frame, data.edges, ends=ends)
    return {t: dict(zip(data.frame.node_ids, map(float, probs[i]), strict=True)) for i, t in enumerate(stamps)}


def _alerts(og: OpsGraph) -> list[dict[str, Any]]:
    return og.store.read_records(ALERT, order="raised")


def test_cycles_pull_new_steps_score_them_incrementally_and_alert_once_per_crossing(graph: OpsGraph) -> None:
    first_new = T0 + KEPT * 60
    watcher = graph.watcher
    one = watcher.cycle(now=first_new + 10 * 60 + 5)
    assert one.errors == [] and one.pulls[0]["rows"] == 14 * 11, "11 new steps of 14 services pulled"
    assert one.pulls[0]["last_step"] == first_new + 600
    assert one.how == "full" and one.reason == "no state yet" and one.mode == "model"
    assert one.scored_steps == CATCHUP and one.skipped_steps == 0, "a first cycle scores the last max_catchup_steps stored"
    assert one.scores is not None and one.scores.timestamp == first_new + 600

    two = watcher.cycle(now=first_new + 15 * 60 + 5)
    assert two.pulls[0]["rows"] == 14 * 5
    assert two.how == "incremental" and two.reason == "" and two.scored_steps == 5
    assert two.scores is not None and two.scores.timestamp == first_new + 900

    # The incremental numbers are the full score's, step by step, and the board is what `og.risk.scores()` serves.
    scored = list(range(first_new + 600 - (CATCHUP - 1) * 60, first_new + 901, 60))
    full = _full_probabilities(graph, scored)
    for r in two.scores.nodes:
        assert r.probability == pytest.approx(full[first_new + 900][r.node], abs=1e-5)
    assert graph.risk.scores() is two.scores

    # One alert per crossing: replay the thresholds over the full scores of the scored steps.
    threshold = graph.risk.current_model().threshold
    expected: list[tuple[str, int, int | None]] = []
    open_at: dict[str, int] = {}
    for t in scored:
        for node, p in sorted(full[t].items()):
            if p >= threshold and node not in open_at:
                open_at[node] = t
            elif p < threshold and node in open_at:
                expected.append((node, open_at.pop(node), t))
    expected += [(n, t, None) for n, t in open_at.items()]
    stored = _alerts(graph)
    got = sorted((a["node"], int(a["raised"]), None if a["cleared"] is None else int(a["cleared"])) for a in stored)
    assert got == sorted(expected)
    assert expected, "the sample's failures put some service over the threshold in these 15 minutes"
    raised = [a for a in one.alerts.raised + two.alerts.raised]
    assert len({a["key"] for a in raised}) == len(raised) == len(stored), "each crossing written once"
    for a in stored:
        assert a["mode"] == "model" and a["version"] == graph.risk.current_version() and a["threshold"] == pytest.approx(threshold)

    # A cycle with nothing new writes nothing: no telemetry, no alert, no scorer state.
    version = graph.store.data_version()
    state = graph.store.get_meta("watch:Service")
    three = watcher.cycle(now=first_new + 15 * 60 + 30)
    assert three.pulls[0]["rows"] == 0 and three.how == "none" and three.scored_steps == 0
    assert "no new Service telemetry" in three.reason
    assert graph.store.data_version() == version
    assert _alerts(graph) == stored
    assert graph.store.get_meta("watch:Service") == state


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _forwarder(port: int, target: str) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            try:
                with urllib.request.urlopen(target + self.path, timeout=30) as resp:
                    status, body = resp.status, resp.read()
            except urllib.error.HTTPError as exc:
                status, body = exc.code, exc.read()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_prometheus_that_is_down_is_reported_and_the_next_cycle_retries(graph: OpsGraph, sample_prometheus: str) -> None:
    port = _free_port()
    down = _source(f"http://127.0.0.1:{port}", name="flaky")
    graph.settings.watch.sources = ["flaky"]
    graph.settings.sources = [*graph.settings.sources, down]
    watcher = graph.watcher
    start = graph.store.get_meta("watch:Service")
    assert start is not None
    last = int(__import__("json").loads(start)["last_scored"])
    watcher.clock = lambda: last + 3 * 60 + 5
    reports: list[Any] = []
    failures: list[BaseException] = []
    stop = threading.Event()
    server: http.server.ThreadingHTTPServer | None = None

    def seen(report: Any) -> None:
        reports.append(report)
        if any(r["rows"] for r in report.pulls) or len(reports) > 40:
            stop.set()

    loop = threading.Thread(target=watcher.run, args=(stop, seen, failures.append), kwargs={"every": 0.2}, daemon=True)
    loop.start()
    try:
        deadline = time.monotonic() + 30
        while len(reports) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(reports) >= 2, "the loop keeps cycling while the server is down"
        for r in reports[:2]:
            assert r.errors and "flaky: " in r.errors[0] and "cannot connect" in r.errors[0], r.errors
            assert r.how == "none", "nothing new was stored, so nothing was scored"
        server = _forwarder(port, sample_prometheus)  # the server comes back on the same address
        loop.join(timeout=60)
    finally:
        stop.set()
        loop.join(timeout=60)
        if server is not None:
            server.shutdown()
            server.server_close()
        graph.settings.watch.sources = None
        graph.settings.sources = graph.settings.sources[:-1]
    assert not failures, failures
    back = reports[-1]
    assert back.errors == [] and back.pulls[0]["rows"] == 14 * 3, "the first cycle after the outage pulls what it missed"
    assert back.how == "incremental" and back.scored_steps == 3
