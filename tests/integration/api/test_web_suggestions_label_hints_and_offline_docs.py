"""What the web page gets from the API (in-process, real embedded store, the sample estate): suggested questions computed
from the estate and answered, "no such label; did you mean" on a Cypher typo, a refused write that says what this server
allows, and /docs and /redoc that load nothing from outside the server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def served(api: Any) -> Iterator[tuple[Any, Any]]:
    with api.client(api.home("web14")) as (client, og):
        yield client, og


def test_suggested_questions_name_the_estates_own_components_and_are_answered(served: tuple[Any, Any]) -> None:
    client, og = served
    r = client.get("/v1/ask/suggestions")
    assert r.status_code == 200, r.text
    found = r.json()["questions"]
    shapes = [s["shape"] for s in found]
    assert {"impact", "page", "owner", "runbook", "property"} <= set(shapes) and len(shapes) == len(set(shapes))
    names = {n["id"]: n["name"] for n in client.get("/v1/graph").json()["nodes"]}
    # The impact question is about the component most others depend on, as the data says now.
    top = og.query("MATCH (x)-[:DEPENDS_ON]->(n:Service) RETURN n.id AS id, count(DISTINCT x) AS k ORDER BY k DESC, id", limit=1).rows[0]["id"]
    assert next(s for s in found if s["shape"] == "impact")["about"] == top
    for s in found:
        assert s["about"] in names and names[s["about"]] in s["question"], s
        answer = client.post("/v1/ask", json={"question": s["question"], "use_cache": False}).json()
        assert not answer["abstained"] and answer["kind"] == s["kind"] and s["about"] in answer["answer"], (s, answer["answer"])
        assert answer["rows"] or answer["sections"], s  # evidence the page can show
    # Computed once per data version.
    assert client.get("/v1/ask/suggestions").json() == r.json()


def test_a_label_typo_gets_did_you_mean_from_the_live_schema(served: tuple[Any, Any]) -> None:
    client, _ = served
    r = client.post("/v1/query", json={"cypher": "MATCH (s:Servce)-[:DEPENDS_ONN]->(d {id: $id}) RETURN s.id AS id", "params": {"id": "x"}})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "unknown_label"
    assert err["message"].startswith("no such label Servce; did you mean Service?; no such relationship type DEPENDS_ONN; did you mean DEPENDS_ON?")
    unknown = err["details"]["unknown"]
    assert [(u["name"], u["kind"], u["suggestions"]) for u in unknown] == [
        ("Servce", "label", ["Service"]), ("DEPENDS_ONN", "relationship type", ["DEPENDS_ON"])]
    assert "Service" in err["details"]["labels"] and "OWNS" in err["details"]["relationship_types"]
    fixed = client.post("/v1/query", json={"cypher": "MATCH (s:Service)-[:DEPENDS_ON]->(d {id: $id}) RETURN s.id AS id", "params": {"id": "paymentservice"}})
    assert fixed.status_code == 200 and fixed.json()["rows"] == [{"id": "checkoutservice"}]


def test_a_refused_write_says_what_this_server_allows(served: tuple[Any, Any]) -> None:
    client, _ = served
    r = client.post("/v1/query", json={"cypher": "MATCH (s:Service {id: 'frontend'}) SET s.tier = 'low'"})
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "write_refused" and err["message"].startswith("queries over this API only read, and this query writes (SET)")
    steps = err["details"]["what_you_can_do"]
    assert not err["details"]["read_only_server"] and any("POST /v1/ingest" in s for s in steps) and any("--mcp-writes" in s for s in steps)
    served_obj = client.app.state.served
    served_obj.allow_writes = False  # as `opsgraph serve --read-only` builds it
    try:
        err = client.post("/v1/query", json={"cypher": "CREATE (n:Team {id: 'x'})"}).json()["error"]
    finally:
        served_obj.allow_writes = True
    assert err["details"]["read_only_server"] and "started read-only" in err["message"] and "POST /v1/ingest" not in err["message"]
    assert client.post("/v1/query", json={"cypher": "MATCH (t:Team {id: 'x'}) RETURN t.id AS id"}).json()["rows"] == []


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_pages_load_only_this_servers_assets(served: tuple[Any, Any], page: str) -> None:
    client, _ = served
    r = client.get(page)
    assert r.status_code == 200
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", r.text) + re.findall(r"""spec-url\s*=\s*["']([^"']+)["']""", r.text)
    assert refs and all(ref.startswith("/") and not ref.startswith("//") for ref in refs), refs
    assert "http://" not in r.text and "https://" not in r.text and "fonts.googleapis" not in r.text
    for ref in refs:
        asset = client.get(ref)
        assert asset.status_code == 200 and len(asset.content) > 100, ref
    if page == "/docs":
        assert "/static/openapi-ui/swagger-ui-bundle.js" in refs and "'/openapi.json'" in r.text
        assert client.get("/docs/oauth2-redirect").status_code == 200
