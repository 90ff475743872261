"""With a token, every endpoint but health, the page and the OpenAPI page needs `Authorization: Bearer <token>`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def client(api: Any) -> Iterator[Any]:
    with api.client(api.home("auth"), token=TOKEN, mcp=True) as (c, _):
        yield c


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/v1/schema", None),
    ("POST", "/v1/query", {"cypher": "MATCH (n) RETURN count(n) AS n"}),
    ("POST", "/v1/ask", {"question": "who owns checkout?"}),
    ("GET", "/v1/risk/scores", None),
    ("POST", "/v1/ingest", {"path": "/tmp"}),
    ("GET", "/metrics", None),
    ("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "ping"}),
])
def test_requests_without_the_token_are_refused(client: Any, method: str, path: str, body: Any) -> None:
    r = client.request(method, path, json=body)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized" and "Bearer" in r.json()["error"]["message"]
    assert r.headers["www-authenticate"] == "Bearer"
    wrong = client.request(method, path, json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "the bearer token is wrong"


def test_requests_with_the_token_are_accepted(client: Any) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/v1/schema", headers=auth).status_code == 200
    r = client.post("/v1/query", json={"cypher": "MATCH (s:Service) RETURN count(s) AS n"}, headers=auth)
    assert r.status_code == 200 and r.json()["rows"] == [{"n": 14}]
    assert client.get("/metrics", headers=auth).status_code == 200


def test_health_page_and_docs_stay_public(client: Any) -> None:
    for path in ("/healthz", "/readyz", "/", "/static/app.js", "/docs", "/openapi.json"):
        assert client.get(path).status_code == 200, path
    spec = client.get("/openapi.json").json()
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
