"""The Prometheus source's pure parts: chunking under the point limit, query parameters, error mapping and retries,
series shaping (unknown series, pods, aggregation) and configuration checks. The real servers are in tests/integration."""

from __future__ import annotations

import json
from typing import Any

import httpx
import numpy as np
import pytest
from pydantic import ValidationError

from opsgraph.errors import SourceError
from opsgraph.schema import parse_schema
from opsgraph.sources import SourceConfig
from opsgraph.sources.prometheus import (
    PrometheusClient,
    PrometheusError,
    build_range_params,
    chunk_windows,
    default_windows,
    pull_telemetry,
    service_of_pod,
)
from opsgraph.sources.prometheus_settings import PrometheusSettings

SCHEMA = parse_schema("""\
version: 1
name: t
nodes:
  Service:
    properties: {name: string}
    telemetry: [cpu, error_rate]
  Team:
    properties: {name: string}
""")


def cfg(**extra: Any) -> PrometheusSettings:
    base: dict[str, Any] = {"url": "http://prom.test:9090", "queries": {"Service": {"cpu": "q_cpu", "error_rate": "q_err"}}, "retries": 2, "backoff_seconds": 0.1}
    return PrometheusSettings(**{**base, **extra})


def test_chunks_never_exceed_the_point_limit_and_cover_every_step() -> None:
    windows = chunk_windows(0, 60 * 25_000, 60, 11_000)
    assert windows == [(0, 60 * 10_999), (60 * 11_000, 60 * 21_999), (60 * 22_000, 60 * 25_000)]
    covered = [t for s, e in windows for t in range(s, e + 60, 60)]
    assert covered == list(range(0, 60 * 25_000 + 60, 60))
    assert all((e - s) // 60 + 1 <= 11_000 for s, e in windows)
    assert chunk_windows(120, 60, 60, 10) == []
    assert chunk_windows(60, 60, 60, 10) == [(60, 60)]
    with pytest.raises(ValueError, match="multiples of the step"):
        chunk_windows(30, 600, 60, 10)


def test_range_parameters() -> None:
    assert build_range_params("up", 600, 1200, 60, 2.5) == {"query": "up", "start": "600", "end": "1200", "step": "60s", "timeout": "3s"}


def test_windows_start_after_the_last_stored_step_or_look_back() -> None:
    s = cfg(lookback_seconds=3600, delay_seconds=0)
    assert default_windows(s, {"Service": 6000}, now=9999.0, step=60) == {"Service": (6060, 9960)}
    assert default_windows(s, {"Service": None}, now=9999.0, step=60) == {"Service": (9999 - 3600 - (9999 - 3600) % 60, 9960)}
    assert default_windows(cfg(delay_seconds=30), {"Service": 6000}, now=9989.0, step=60) == {"Service": (6060, 9900)}, "late scrapes settle first"


def test_pods_map_to_workloads() -> None:
    assert service_of_pod("cartservice-579f59597d-wc2lz") == "cartservice"
    assert service_of_pod("redis-cart-0") == "redis-cart"
    assert service_of_pod("node-exporter-x2x4q") == "node-exporter"
    assert service_of_pod("frontend") == "frontend"


def _client(handler: Any, **extra: Any) -> tuple[PrometheusClient, list[float]]:
    slept: list[float] = []
    client = PrometheusClient(cfg(**extra), token=extra.pop("_token", None), transport=httpx.MockTransport(handler), sleep=slept.append)
    return client.open(), slept


def _matrix(series: list[dict[str, Any]]) -> httpx.Response:
    return httpx.Response(200, json={"status": "success", "data": {"resultType": "matrix", "result": series}})


def test_5xx_and_connection_errors_are_retried_with_exponential_backoff() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        if len(calls) == 2:
            return httpx.Response(503, json={"status": "error", "errorType": "unavailable", "error": "busy"})
        return _matrix([])

    client, slept = _client(handler)
    assert client.query_range("up", 0, 60, 60) == ([], [])
    assert len(calls) == 3 and slept == [0.1, 0.2]


def test_retries_give_up_with_the_last_error() -> None:
    client, slept = _client(lambda r: httpx.Response(502, text="bad gateway"))
    with pytest.raises(PrometheusError, match=r"server error HTTP 502 .*bad gateway.*gave up after 3 attempts") as info:
        client.query_range("up", 0, 60, 60)
    assert info.value.upstream_status == 502 and info.value.retriable and slept == [0.1, 0.2]


@pytest.mark.parametrize(
    ("response", "pattern"),
    [
        (httpx.Response(400, json={"status": "error", "errorType": "bad_data", "error": "parse error"}), r"HTTP 400, the server rejected .*bad_data: parse error"),
        (httpx.Response(422, json={"status": "error", "errorType": "execution", "error": "too many samples"}), r"HTTP 422.*execution: too many samples"),
        (httpx.Response(401, text="Unauthorized"), r"HTTP 401, the server refused the credentials \(no credentials configured\)"),
        (httpx.Response(200, text='{"status":"success","da'), r"not a JSON object \(truncated"),
        (httpx.Response(200, json={"status": "success", "isPartial": True, "data": {"resultType": "matrix", "result": []}}), r"partial data"),
        (httpx.Response(200, json={"status": "success", "data": {"resultType": "vector", "result": []}}), r"returns a vector, expected a range vector"),
    ],
)
def test_4xx_and_bad_answers_are_not_retried(response: httpx.Response, pattern: str) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return response

    client, slept = _client(handler)
    with pytest.raises(PrometheusError, match=pattern):
        client.query_range("up", 0, 60, 60)
    assert len(calls) == 1 and slept == []


def test_timeouts_are_named() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client, _ = _client(handler, retries=0, timeout_seconds=1.5)
    with pytest.raises(PrometheusError, match=r"no answer within 1.5 s \(ReadTimeout\)"):
        client.query_range("up", 0, 60, 60)


def test_requests_carry_the_token_and_the_range() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _matrix([])

    client = PrometheusClient(cfg(), token="t0k", transport=httpx.MockTransport(handler)).open()
    client.query_range("sum(up)", 600, 1200, 60)
    assert seen[0].headers["Authorization"] == "Bearer t0k"
    assert seen[0].url.path == "/api/v1/query_range"
    assert dict(seen[0].url.params) == {"query": "sum(up)", "start": "600", "end": "1200", "step": "60s", "timeout": "30s"}


def test_series_are_shaped_per_node_step_and_feature_unknown_ones_listed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params["query"]
        if q == "q_cpu":
            return _matrix([
                {"metric": {"service": "a"}, "values": [[600, "1.5"], [660, "2"], [720, "NaN"]]},
                {"metric": {"service": "ghost"}, "values": [[600, "9"]]},
                {"metric": {"service": "team-x"}, "values": [[600, "9"], [660, "9"]]},
                {"metric": {"job": "x"}, "values": [[600, "1"]]},
            ])  # fmt: skip
        return _matrix([{"metric": {"service": "a"}, "values": [[660, "+Inf"], [720, "0.25"]]}])

    client = PrometheusClient(cfg(), transport=httpx.MockTransport(handler)).open()
    known = {"a": "Service", "team-x": "Team"}
    pull = pull_telemetry(client, cfg(), SCHEMA, {"Service": (600, 720)}, source="m", known_ids=lambda ids: {i: known[i] for i in ids if i in known})
    got = pull.types["Service"]
    assert got.node_ids == ["a"] and got.steps.tolist() == [600, 660, 720]
    np.testing.assert_array_equal(got.values[:, 0, 0], [1.5, 2.0, np.nan])
    np.testing.assert_array_equal(got.values[:, 0, 1], [np.nan, np.nan, 0.25])
    assert [r["ts"] for r in got.rows()] == [600, 660, 720]
    assert pull.unknown_series == 3
    keys = " | ".join(pull.unknown)
    assert "{service='ghost'} (no such node)" in keys and "a Team, not a Service" in keys and "no label 'service'" in keys
    assert json.dumps(pull.as_dict())


def test_several_pods_of_one_workload_are_aggregated() -> None:
    series = [
        {"metric": {"pod": "api-7d9f8b6c5d-x2x4q"}, "values": [[600, "1"], [660, "3"]]},
        {"metric": {"pod": "api-7d9f8b6c5d-b7zkq"}, "values": [[600, "3"]]},
    ]
    for how, want in (("mean", [2.0, 3.0]), ("sum", [4.0, 3.0]), ("max", [3.0, 3.0])):
        s = cfg(node_label="pod", pod_to_workload=True, aggregate=how, queries={"Service": {"cpu": "q"}})
        client = PrometheusClient(s, transport=httpx.MockTransport(lambda r: _matrix(series))).open()
        pull = pull_telemetry(client, s, SCHEMA, {"Service": (600, 660)}, source="m", known_ids=lambda ids: dict.fromkeys(ids, "Service"))
        assert pull.types["Service"].values[:, 0, 0].tolist() == want, how


def test_configuration_is_checked() -> None:
    with pytest.raises(ValidationError, match="NAME of an environment variable"):
        cfg(bearer_token_env="Bearer abc.def")
    with pytest.raises(ValidationError, match="basic auth needs both"):
        cfg(basic_user="u")
    with pytest.raises(ValidationError, match="http:// or https://"):
        cfg(url="prom:9090")
    with pytest.raises(ValidationError, match="goes with a `prometheus:` block"):
        SourceConfig(name="m", kind="prometheus")
    with pytest.raises(ValidationError, match="extra"):
        SourceConfig(name="m", kind="prometheus", prometheus={"url": "http://x", "queries": {"Service": {"cpu": "q"}}, "token": "secret"})
    client = PrometheusClient(cfg(queries={"Service": {"disk": "q"}}), transport=httpx.MockTransport(lambda r: _matrix([]))).open()
    with pytest.raises(SourceError, match=r"'disk' is not a telemetry feature of Service .*cpu, error_rate"):
        pull_telemetry(client, client.settings, SCHEMA, {"Service": (0, 60)}, source="m", known_ids=lambda ids: {})


def test_the_api_answers_a_failed_or_refusing_server_with_502_and_a_refused_setting_with_422() -> None:
    from opsgraph.api.errors import describe_error

    assert describe_error(PrometheusError("refused the credentials", upstream_status=401)).status == 502
    assert describe_error(PrometheusError("cannot connect", retriable=True)).status == 502
    refused = describe_error(PrometheusError("the query returns a vector", field="prometheus.queries"))
    assert refused.status == 422 and refused.code == "source_invalid"
