"""`serve.watch: true`: the server runs the watch loop in the background, so its risk board shows the telemetry the
loop pulls (with its age and, here, the anomaly-only marking) without anyone running `opsgraph watch`."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from opsgraph.api.http.app import create_app
from opsgraph.api.service import Served
from opsgraph.app import OpsGraph, Settings
from opsgraph.sources import SourceConfig
from opsgraph.sources.prometheus_settings import PrometheusSettings

T0 = 1767225600
FEATURES = ("cpu", "memory", "latency_p95_ms", "error_rate", "requests_per_s")
SCHEMA = """\
version: 1
name: served-watch
nodes:
  Service:
    properties: {name: string}
    telemetry: [cpu, memory, latency_p95_ms, error_rate, requests_per_s]
"""
SERVICES = ("adservice", "cartservice", "checkoutservice", "currencyservice", "frontend", "paymentservice")


def test_the_server_watches_and_its_board_shows_the_pulled_steps(tmp_path: Path, sample_victoria: str) -> None:
    estate = tmp_path / "estate"
    (estate / "nodes").mkdir(parents=True)
    (estate / "schema.yaml").write_text(SCHEMA, encoding="utf-8")
    (estate / "nodes" / "Service.csv").write_text("id,name\n" + "".join(f"{s},{s}\n" for s in SERVICES), encoding="utf-8")
    source = SourceConfig(name="vm", kind="prometheus", prometheus=PrometheusSettings(
        url=sample_victoria, queries={"Service": {f: f"max by (service) (estate_{f})" for f in FEATURES}}, delay_seconds=0,
        retries=0, lookback_seconds=3 * 3600))
    now = T0 + 6 * 3600 + 5
    settings = Settings(home=tmp_path / "home", embed={"provider": "none"}, risk={"threads": 1, "monitor_steps": 180},
                        serve={"watch": True}, watch={"every": 0.5}, sources=[source])
    with OpsGraph(settings) as og:
        og.ingest(estate, documents=False)
        og.watcher.clock = lambda: now
        app = create_app(Served(og))
        with TestClient(app, raise_server_exceptions=False) as client:
            deadline = time.monotonic() + 60
            board = client.get("/v1/risk/scores").json()
            while board.get("timestamp") != "2026-01-01T06:00:00Z" and time.monotonic() < deadline:
                time.sleep(0.2)
                board = client.get("/v1/risk/scores").json()
            assert board.get("timestamp") == "2026-01-01T06:00:00Z", board
            assert board["mode"] == "anomaly-only" and board["data_age_seconds"] > 0 and "old" in board["data_age"]
            assert sorted(n["node"] for n in board["nodes"]) == sorted(SERVICES)
            alerts = client.get("/v1/risk/alerts")
            assert alerts.status_code == 200 and isinstance(alerts.json(), list)
        frame = og.store.read_telemetry("Service")
        assert frame.timestamps[0] == T0 + 3 * 3600 and frame.timestamps[-1] == T0 + 6 * 3600, "pulled by the server's loop"
