"""Bad input gets a 4xx with a code and a message a person can act on, and nothing is written."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import snapshot, write


@pytest.fixture(scope="module")
def served(api: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, Path]]:
    roots = tmp_path_factory.mktemp("ingest-roots")
    with api.client(api.home("bad-input"), ingest_roots=[roots]) as (c, og):
        yield c, og, roots


def _state(og: Any) -> tuple[Any, int, list[str]]:
    return snapshot(og), og.store.data_version(), [m["version"] for m in og.risk.models()]


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "words"), [
    ("POST", "/v1/query", {"cypher": "MATCH (s:Service {id: $id}) SET s.tier = 'low'", "params": {"id": "frontend"}}, 403, "write_refused", "SET"),
    ("POST", "/v1/query", {"cypher": "MATCH (s:Service) DETACH DELETE s"}, 403, "write_refused", "DELETE"),
    ("POST", "/v1/query", {"cypher": "MATCH (s:Service RETURN s"}, 400, "query_invalid", "Syntax"),
    ("POST", "/v1/query", {"cypher": ""}, 422, "invalid_request", "cypher"),
    ("POST", "/v1/query", {"cypher": "MATCH (n) RETURN n", "limit": 0}, 422, "invalid_request", "limit"),
    ("POST", "/v1/query", {"query": "MATCH (n) RETURN n"}, 422, "invalid_request", "cypher"),
    ("POST", "/v1/ask", {"question": ""}, 422, "invalid_request", "question"),
    ("POST", "/v1/ask", {"question": "   "}, 422, "invalid_request", "empty"),
    ("POST", "/v1/ingest", {"path": "/definitely/not/here"}, 403, "path_not_allowed", "outside"),
    ("POST", "/v1/risk/train", {"epochs": 0}, 422, "invalid_request", "epochs"),
    ("POST", "/v1/risk/models/v0042/promote", None, 404, "version_not_found", "v0001"),
    ("GET", "/v1/nodes/no-such-node", None, 404, "node_not_found", "no node"),
    ("GET", "/v1/risk/explain/team-payments", None, 404, "unknown_node", "Team"),
    ("GET", "/v1/search?q=x&mode=fuzzy", None, 422, "invalid_request", "mode"),
    ("GET", "/v1/jobs/ingest-9999", None, 404, "job_not_found", "no job"),
])
def test_bad_requests_are_refused_clearly_and_write_nothing(
    served: tuple[Any, Any, Path], method: str, path: str, body: Any, status: int, code: str, words: str
) -> None:
    client, og, _ = served
    before = _state(og)
    r = client.request(method, path, json=body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code
    assert words.lower() in error["message"].lower(), error["message"]
    assert _state(og) == before


def test_malformed_json_is_refused(served: tuple[Any, Any, Path]) -> None:
    client, _, _ = served
    r = client.post("/v1/query", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_ingest_paths_are_checked_before_any_job(served: tuple[Any, Any, Path]) -> None:
    client, og, roots = served
    before = _state(og)
    (roots / "empty").mkdir(exist_ok=True)
    r = client.post("/v1/ingest", json={"path": str(roots / "missing")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "path_not_found"
    r = client.post("/v1/ingest", json={"path": str(roots / "empty")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_an_estate" and "schema.yaml" in r.json()["error"]["message"]
    assert client.get("/v1/jobs").json() == []
    assert _state(og) == before


def test_an_invalid_estate_fails_its_job_with_every_issue_and_writes_nothing(served: tuple[Any, Any, Path], api: Any) -> None:
    client, og, roots = served
    bad = roots / "bad-estate"
    write(bad / "schema.yaml", (api.base.estate / "schema.yaml").read_text())
    write(bad / "nodes" / "Service.csv", "id,name,port\nnewsvc,New,not-a-number\n")
    write(bad / "edges" / "DEPENDS_ON.csv", "from,to\nnewsvc,ghost-service\n")
    before = _state(og)
    r = client.post("/v1/ingest", json={"path": str(bad), "documents": False})
    assert r.status_code == 202
    job_id = r.json()["id"]
    deadline = time.monotonic() + 60
    while (job := client.get(f"/v1/jobs/{job_id}").json())["state"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert job["state"] == "failed"
    assert job["error"]["code"] == "ingest_invalid" and "nothing was written" in job["error"]["message"]
    details = " ".join(job["error"]["details"])
    assert "port" in details and "ghost-service" in details
    assert _state(og) == before
