"""Prometheus text exposition, with prometheus_client and with the built-in fallback."""

from __future__ import annotations

import re

import pytest

from opsgraph.api.http.metrics import Metrics

LINE = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$')


def _gauges() -> dict[str, dict[tuple[str, ...], float]]:
    return {"opsgraph_jobs": {("running",): 1.0}, "opsgraph_store_items": {("nodes",): 86.0}}


@pytest.mark.parametrize("client", [True, False], ids=["prometheus_client", "builtin"])
def test_requests_answers_and_gauges_are_exposed(client: bool) -> None:
    m = Metrics(gauges=_gauges, use_prometheus_client=client)
    assert m.backend == ("prometheus_client" if client else "builtin")
    m.request("GET", "/v1/nodes/{node_id}", 200, 0.02)
    m.request("GET", "/v1/nodes/{node_id}", 404, 0.002)
    m.ask("ok", 0.4)
    text = m.render().decode()
    assert 'opsgraph_http_requests_total{method="GET",route="/v1/nodes/{node_id}",status="200"} 1.0' in text
    assert 'opsgraph_ask_total{outcome="ok"} 1.0' in text
    assert 'opsgraph_http_request_duration_seconds_bucket{le="0.025",method="GET",route="/v1/nodes/{node_id}"} 2.0' in text
    assert 'opsgraph_ask_duration_seconds_count 1.0' in text
    assert 'opsgraph_jobs{state="running"} 1.0' in text and 'opsgraph_store_items{kind="nodes"} 86.0' in text
    for line in text.splitlines():
        assert line.startswith("# ") or LINE.match(line), line


def test_two_apps_in_one_process_keep_separate_metrics() -> None:
    a, b = Metrics(), Metrics()
    a.request("GET", "/healthz", 200, 0.001)
    assert "/healthz" in a.render().decode() and "/healthz" not in b.render().decode()
