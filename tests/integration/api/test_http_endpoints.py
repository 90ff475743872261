"""Every HTTP endpoint, in-process (FastAPI's TestClient) over a real embedded store with the sample estate."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from opsgraph.api.http.app import sse_events


@pytest.fixture(scope="module")
def client(api: Any) -> Iterator[Any]:
    with api.client(api.home("endpoints"), mcp=True) as (c, _):
        yield c


def test_health_readiness_and_metrics(client: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["nodes"] == 86 and ready["documents"] == 10 and ready["risk_model"] == "v0001"
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'opsgraph_http_requests_total{method="GET",route="/readyz",status="200"}' in text
    assert 'opsgraph_store_items{kind="nodes"} 86.0' in text


def test_openapi_page_and_spec(client: Any) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/v1/ask", "/v1/ask/stream", "/v1/query", "/v1/search", "/v1/schema", "/v1/risk/scores", "/v1/ingest", "/v1/jobs/{job_id}/events"):
        assert p in paths


def test_ask_answers_with_citations(client: Any) -> None:
    r = client.post("/v1/ask", json={"question": "What breaks if the payment service is down?"})
    assert r.status_code == 200
    body = r.json()
    assert {c["source_id"] for c in body["citations"]} >= {"checkoutservice", "frontend"}
    assert body["cypher"] and "DEPENDS_ON" in body["cypher"]
    assert body["trace"]["stages"][0]["name"]


def test_ask_stream_sends_stage_events_then_the_answer(client: Any) -> None:
    r = client.post("/v1/ask/stream", json={"question": "How do I mitigate redis-cart being unavailable?"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    kinds = [e for e, _ in events]
    assert kinds[0] == "start" and kinds[-1] == "answer" and "stage" in kinds
    stages = [d for e, d in events if e == "stage"]
    assert any(s["name"] == "route" and s["done"] for s in stages)
    answer = events[-1][1]
    assert any(c["source_id"].startswith("docs/cart-service-redis-cart-unavailable.md#") for c in answer["citations"])


def test_ask_stream_reports_errors_as_an_event(client: Any) -> None:
    r = client.post("/v1/ask/stream", json={"question": "   "})
    events = sse_events(r.text)
    assert events[-1][0] == "error" and events[-1][1]["error"]["code"] == "invalid_request"


def test_query_runs_read_only_cypher_with_parameters(client: Any) -> None:
    r = client.post("/v1/query", json={"cypher": "MATCH (s:Service) WHERE s.tier = $tier RETURN s.id AS id ORDER BY id", "params": {"tier": "critical"}})
    assert r.status_code == 200
    assert [row["id"] for row in r.json()["rows"]] == ["cartservice", "checkoutservice", "frontend", "paymentservice", "productcatalogservice"]
    assert client.post("/v1/query", json={"cypher": "MATCH (s:Service) RETURN s.id AS id", "limit": 2}).json()["truncated"] is True


def test_search_finds_runbook_passages(client: Any) -> None:
    body = client.get("/v1/search", params={"q": "redis-cart maxmemory eviction", "k": 5}).json()
    assert body["searched"] and body["hits"]
    assert any((h["doc_id"] or "").endswith("redis-cart-unavailable.md") for h in body["hits"])
    text_only = client.get("/v1/search", params={"q": "redis cart", "mode": "text"}).json()
    assert all("fulltext" in h["found_by"] for h in text_only["hits"])


def test_schema_graph_node_and_document(client: Any) -> None:
    schema = client.get("/v1/schema").json()
    assert schema["name"] == "online-boutique" and "DEPENDS_ON" in schema["text"]
    graph = client.get("/v1/graph").json()
    ids = {n["id"] for n in graph["nodes"]}
    assert "checkoutservice" in ids and not any(n["type"] in ("Chunk", "Document") for n in graph["nodes"])
    assert {"source": "checkoutservice", "target": "paymentservice", "type": "DEPENDS_ON"} in graph["edges"]
    node = client.get("/v1/nodes/checkoutservice").json()
    assert node["type"] == "Service" and node["properties"]["tier"] == "critical"
    assert not any(k.startswith("_") for k in node["properties"])
    assert any(n["id"] == "paymentservice" and n["edge"] == "DEPENDS_ON" and n["direction"] == "out" for n in node["neighbours"])
    assert node["runbooks"] and node["risk"]["explanation"]["node"] == "checkoutservice"
    doc = client.get("/v1/documents/docs/cart-service-redis-cart-unavailable.md%232").json()
    assert doc["highlight"] == "docs/cart-service-redis-cart-unavailable.md#2" and len(doc["chunks"]) > 2
    assert client.get("/v1/documents/docs/nope.md").json()["error"]["code"] == "document_not_found"


def test_risk_endpoints(client: Any) -> None:
    board = client.get("/v1/risk/scores").json()
    probs = [n["probability"] for n in board["nodes"]]
    assert len(probs) == 14 and probs == sorted(probs, reverse=True)
    assert "drifted" in board["drift"] and board["version"] == "v0001"
    assert board["data_age_seconds"] > 0 and board["data_age"].endswith("old")  # the sample telemetry is from January 2026
    ex = client.get("/v1/risk/explain/checkoutservice").json()
    assert ex["node"] == "checkoutservice" and 0 <= ex["probability"] <= 1
    rc = client.get("/v1/risk/root-cause/checkoutservice").json()
    assert rc["anchor"] and rc["summary"].startswith("checkoutservice")
    assert client.get("/v1/risk/drift").json()["window_steps"] > 0
    trends = client.get("/v1/risk/trends", params={"steps": 10}).json()
    assert len(trends["timestamps"]) == 10 and "error_rate" in trends["features"]
    models = client.get("/v1/risk/models").json()
    assert [m["version"] for m in models] == ["v0001"] and models[0]["current"] is True
    assert client.get("/v1/risk/explain/nope").json()["error"]["code"] == "unknown_node"


def _wait_job(client: Any, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["state"] in ("succeeded", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_ingest_job_progress_can_be_polled_and_streamed(client: Any, api: Any) -> None:
    r = client.post("/v1/ingest", json={"path": str(api.base.estate), "documents": False})
    assert r.status_code == 202
    job_id = r.json()["id"]
    events = sse_events(client.get(f"/v1/jobs/{job_id}/events").text)
    assert any(e == "progress" for e, _ in events)
    assert events[-1][0] == "state" and events[-1][1]["state"] == "succeeded"
    job = _wait_job(client, job_id)
    assert job["result"]["unchanged"] > 0 and job["result"]["created"] == 0  # the same estate again: nothing new
    # the same estate again: the sync plans, finds nothing to write, and says so through its progress tasks
    assert job["progress"] and all(p["done"] == p["total"] for p in job["progress"].values()), job["progress"]
    assert any(j["id"] == job_id for j in client.get("/v1/jobs").json())


def test_train_promote_and_rollback(client: Any) -> None:
    r = client.post("/v1/risk/train", json={"epochs": 1})
    assert r.status_code == 202
    job = _wait_job(client, r.json()["id"])
    assert job["state"] == "succeeded", job["error"]
    versions = [m["version"] for m in client.get("/v1/risk/models").json()]
    assert versions == ["v0001", "v0002"]
    assert client.post("/v1/risk/models/v0002/promote").json() == {"current": "v0002"}
    assert client.post("/v1/risk/rollback").json()["current"] == "v0001"
    assert client.post("/v1/risk/models/v0009/promote").json()["error"]["code"] == "version_not_found"


def test_unknown_routes_answer_in_the_error_shape(client: Any) -> None:
    r = client.get("/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_web_page_and_vendored_cytoscape_are_served(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/static/vendor/cytoscape.min.js" in page.text and "cdn" not in page.text.lower()
    lib = client.get("/static/vendor/cytoscape.min.js")
    assert lib.status_code == 200 and len(lib.content) > 100_000
    assert client.get("/static/app.js").status_code == 200


def test_mcp_is_mounted_over_streamable_http(client: Any) -> None:
    r = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                  "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
                    headers={"Accept": "application/json, text/event-stream"})
    assert r.status_code == 200
    assert "opsgraph" in r.text


def test_read_only_server_refuses_writes(api: Any) -> None:
    with api.client(api.home("read-only"), allow_writes=False) as (c, _):
        r = c.post("/v1/ingest", json={"path": str(api.base.estate)})
        assert r.status_code == 403 and r.json()["error"]["code"] == "read_only"
        assert c.post("/v1/risk/rollback").status_code == 403
