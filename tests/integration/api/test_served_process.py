"""A real `opsgraph serve` subprocess on 127.0.0.1 (free port): HTTP, streaming, MCP over HTTP, and the CLI going through it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from typer.testing import CliRunner

from opsgraph.api.http.app import sse_events
from opsgraph.cli.main import app as cli


def test_serve_binds_loopback_and_writes_serve_json(live_server: Any) -> None:
    assert live_server.url.startswith("http://127.0.0.1:")
    info = json.loads((live_server.home / "serve.json").read_text())
    assert info["url"] == live_server.url and info["pid"] == live_server.proc.pid and "token" not in info
    assert (live_server.home / "serve.json").stat().st_mode & 0o077 == 0


def test_http_calls_against_the_process(live_server: Any) -> None:
    with httpx.Client(base_url=live_server.url, timeout=60) as c:
        assert c.get("/readyz").json()["nodes"] == 86
        rows = c.post("/v1/query", json={"cypher": "MATCH (t:Team) RETURN count(t) AS n"}).json()["rows"]
        assert rows == [{"n": 6}]
        answer = c.post("/v1/ask", json={"question": "What breaks if the payment service is down?"}).json()
        assert "checkoutservice" in {x["source_id"] for x in answer["citations"]}
        with c.stream("POST", "/v1/ask/stream", json={"question": "How do I mitigate redis-cart being unavailable?"}) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            events = sse_events(r.read().decode())
        assert [e for e, _ in events][-1] == "answer"
        assert c.get("/v1/risk/scores").json()["nodes"][0]["probability"] > 0
        assert "opsgraph_http_requests_total" in c.get("/metrics").text


def test_mcp_over_streamable_http(live_server: Any) -> None:
    from mcp import Client

    async def run() -> tuple[list[str], Any]:
        async with Client(live_server.url + "/mcp") as client:
            tools = [t.name for t in (await client.list_tools()).tools]
            result = await client.call_tool("query_graph", {"cypher": "MATCH (s:Service {id: $id}) RETURN s.tier AS tier",
                                                            "params": {"id": "checkoutservice"}})
            return tools, result

    tools, result = asyncio.run(run())
    assert "ask" in tools and "ingest_estate" not in tools  # read-only unless --mcp-writes
    assert not result.is_error and result.structured_content["rows"] == [{"tier": "critical"}]


def test_cli_commands_go_through_the_server_that_holds_the_home(live_server: Any) -> None:
    runner = CliRunner()
    home = str(live_server.home)
    r = runner.invoke(cli, ["query", "--home", home, "--json", "MATCH (s:Service) WHERE s.tier = $t RETURN s.id AS id ORDER BY id",
                            "-p", "t=critical"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["rows"][0] == {"id": "cartservice"}
    assert "forwarding" in r.stderr

    r = runner.invoke(cli, ["ask", "--home", home, "--json", "What breaks if the payment service is down?"])
    assert r.exit_code == 0, r.output
    assert "checkoutservice" in {c["source_id"] for c in json.loads(r.stdout)["citations"]}

    r = runner.invoke(cli, ["ask", "--home", home, "--json", "--session", "s1", "--user", "alice", "--no-cache",
                            "Which services depend on paymentservice?"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["cached"] is None

    r = runner.invoke(cli, ["schema", "show", "--home", home])
    assert r.exit_code == 0 and "DEPENDS_ON" in r.stdout

    r = runner.invoke(cli, ["query", "--home", home, "--write", "MATCH (s:Service {id: 'frontend'}) SET s.tier = 'low'"])
    assert r.exit_code == 1 and "read-only" in r.stderr

    r = runner.invoke(cli, ["ingest", "--home", home, "--no-docs", "/nonexistent"])  # not forwarded: still the lock error
    assert r.exit_code == 1 and "in use by" in r.stderr
