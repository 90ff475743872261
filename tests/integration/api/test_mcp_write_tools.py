"""The MCP write tools exist only when writes are allowed, and then ingest and write (in-process client)."""

from __future__ import annotations

import asyncio
from typing import Any

from mcp import Client

from opsgraph.api.mcp.server import build_mcp_server
from opsgraph.api.service import Served
from opsgraph.app import OpsGraph


def test_write_tools_only_with_writes_allowed(api: Any) -> None:
    with OpsGraph(api.settings(api.home("mcp-writes"))) as og:
        served = Served(og)

        async def run() -> dict[str, Any]:
            out: dict[str, Any] = {}
            async with Client(build_mcp_server(lambda: served)) as ro:
                out["ro_tools"] = {t.name for t in (await ro.list_tools()).tools}
            async with Client(build_mcp_server(lambda: served, allow_writes=True)) as rw:
                out["rw_tools"] = {t.name for t in (await rw.list_tools()).tools}
                out["write"] = await rw.call_tool("write_graph", {"cypher": "MATCH (t:Team {id: $id}) SET t.name = $name RETURN t.name AS name",
                                                                 "params": {"id": "team-payments", "name": "Payments (renamed)"}})
                out["ingest"] = await rw.call_tool("ingest_estate", {"path": str(api.base.estate), "documents": False})
                out["elsewhere"] = await rw.call_tool("ingest_estate", {"path": "/no/such/estate"})
                out["missing"] = await rw.call_tool("ingest_estate", {"path": str(api.base.estate / "no-such-estate")})
            return out

        out = asyncio.run(run())
        served.close()
        assert "write_graph" not in out["ro_tools"] and {"write_graph", "ingest_estate"} <= out["rw_tools"]
        assert not out["write"].is_error and out["write"].structured_content["rows"] == [{"name": "Payments (renamed)"}]
        job = out["ingest"].structured_content
        assert job["state"] == "succeeded" and job["result"]["unchanged"] > 0
        # By default a server ingests only from the folders its home was built from.
        assert out["elsewhere"].is_error and "[path_not_allowed]" in out["elsewhere"].content[0].text
        assert out["missing"].is_error and "[path_not_found]" in out["missing"].content[0].text
        assert og.query("MATCH (t:Team {id: 'team-payments'}) RETURN t.name AS n").rows[0]["n"] == "Payments (renamed)"
