"""`opsgraph mcp` on stdio, driven by the official SDK's client: every tool and both resources."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters

OPSGRAPH = Path(sys.executable).parent / "opsgraph"
TOOLS = {"ask", "query_graph", "search_documents", "risk_scores", "explain_risk", "root_cause", "investigate", "describe_schema"}


def _text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


async def _session(params: StdioServerParameters) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with Client(params, read_timeout_seconds=120) as client:
        out["tools"] = {t.name for t in (await client.list_tools()).tools}
        call = client.call_tool
        out["ask"] = await call("ask", {"question": "What breaks if the payment service is down?"})
        out["query"] = await call("query_graph", {"cypher": "MATCH (s:Service)-[:DEPENDS_ON]->(d {id: $id}) RETURN s.id AS id",
                                                  "params": {"id": "paymentservice"}})
        out["write"] = await call("query_graph", {"cypher": "MATCH (s:Service) SET s.tier = 'low'"})
        out["search"] = await call("search_documents", {"text": "redis-cart failover sentinel", "k": 3})
        out["scores"] = await call("risk_scores", {"top": 3})
        out["explain"] = await call("explain_risk", {"node": "checkoutservice"})
        out["root"] = await call("root_cause", {"node": "checkoutservice"})
        out["unknown"] = await call("explain_risk", {"node": "no-such-service"})
        out["schema"] = await call("describe_schema", {})
        out["resources"] = {str(r.uri) for r in (await client.list_resources()).resources}
        out["board"] = (await client.read_resource("opsgraph://risk/board")).contents[0]
        out["schema_res"] = (await client.read_resource("opsgraph://schema")).contents[0]
    return out


def test_every_tool_through_the_stdio_server(api: Any) -> None:
    home = api.home("mcp")
    params = StdioServerParameters(command=str(OPSGRAPH), args=["mcp", "--home", str(home)], env=api.env(home))
    out = asyncio.run(_session(params))

    assert out["tools"] == TOOLS  # read-only: no ingest_estate / write_graph without --allow-writes
    assert not out["ask"].is_error
    assert "checkoutservice" in {c["source_id"] for c in out["ask"].structured_content["citations"]}
    assert {r["id"] for r in out["query"].structured_content["rows"]} == {"checkoutservice"}
    assert out["write"].is_error and _text(out["write"]).count("[write_refused]") == 1
    hits = out["search"].structured_content["hits"]
    assert hits and hits[0]["id"].startswith("docs/")
    scores = out["scores"].structured_content
    assert len(scores["nodes"]) == 3 and "drift" in scores
    assert out["explain"].structured_content["node"] == "checkoutservice"
    root = out["root"].structured_content
    assert root["anchor"] and root["chain"].startswith("checkoutservice")
    assert out["unknown"].is_error and "[unknown_node]" in _text(out["unknown"])
    assert "DEPENDS_ON" in _text(out["schema"])
    assert out["resources"] == {"opsgraph://schema", "opsgraph://risk/board"}
    assert json.loads(out["board"].text)["nodes"][0]["probability"] > 0
    assert "Service" in out["schema_res"].text
