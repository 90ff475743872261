"""The MCP server: opsgraph's answers as tools and resources for agents (official `mcp` SDK, v2 `MCPServer`).

Tools (read-only): `ask`, `query_graph`, `search_documents`, `risk_scores`,
`explain_risk`, `root_cause`, `investigate`, `describe_schema`. With writes allowed
(`opsgraph mcp --allow-writes`) also `ingest_estate` and `write_graph`.
Resources: `opsgraph://schema` (the live schema as text) and
`opsgraph://risk/board` (risk of every service, JSON); template
`opsgraph://nodes/{node_id}`.

Transports: stdio (`opsgraph mcp`; the store opens only after the SDK has
taken over stdout, so the engine's output can never corrupt the protocol)
and streamable HTTP (mounted at `/mcp` by `opsgraph serve`, or
`opsgraph mcp --http`). Every tool runs on a worker thread through
`Served`, like the HTTP API; an opsgraph error becomes a tool error whose
text starts with its stable code, e.g. `[no_model] no trained risk model ...`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from opsgraph.api.errors import describe_error
from opsgraph.api.service import Served

T = TypeVar("T")

INSTRUCTIONS = (
    "opsgraph holds an IT service estate as a knowledge graph (services, dependencies, datastores, teams, people on call, "
    "incidents, runbooks) plus a failure-risk model. Start with describe_schema to learn the node and edge types. "
    "Use ask for questions in plain words (answers cite node ids and document chunks), query_graph for exact read-only "
    "Cypher with $parameters, search_documents to find runbook passages, risk_scores / explain_risk / root_cause to see "
    "which services are about to fail and why."
)


def build_mcp_server(
    get_served: Callable[[], Served], *, allow_writes: bool = False, name: str = "opsgraph", lifespan: Any = None
) -> MCPServer:
    """An `MCPServer` whose tools call `get_served()` (resolved per call, so stdio can open the store in `lifespan`,
    after the SDK has taken stdout)."""
    server: MCPServer = MCPServer(name, instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING", lifespan=lifespan)

    async def run(method: str, *args: Any, **kwargs: Any) -> Any:
        served = get_served()
        try:
            pool = "ask" if method == "ask" else "heavy" if method in ("query", "search", "write_query") else "read"
            return await served.call(getattr(served, method), *args, pool=pool, **kwargs)
        except Exception as exc:
            info = describe_error(exc)
            raise ToolError(f"[{info.code}] {info.message}") from exc

    @server.tool(title="Ask about the estate")
    async def ask(question: str, session: str | None = None) -> dict[str, Any]:
        """Answer a question about the estate in plain words, from the graph and the runbooks.

        The answer cites its sources: `citations` holds node ids (for graph answers, with `rows` and the `cypher`
        that ran) or document chunk ids like `docs/x.md#2`; `data_age` says how old the estate it read is. Good
        for: "what breaks if paymentservice is down?", "who is on call for checkout?", "how do I mitigate redis-cart
        being unavailable?". Pass the same `session`
        on follow-up questions ("and who owns it?") so they are read in the context of the earlier ones.
        """
        answer = await run("ask", question, session=session)
        keep = ("question", "standalone", "answer", "citations", "rows", "cypher", "notes", "data_age")
        return {k: answer.get(k) for k in keep}

    @server.tool(title="Run read-only Cypher")
    async def query_graph(cypher: str, params: dict[str, Any] | None = None, limit: int = 200) -> dict[str, Any]:
        """Run a read-only Cypher query against the estate graph and return its rows.

        Put values in `params` and refer to them as `$name` (never inline values). Queries that write are refused.
        Every node has a stable `id` property. Call describe_schema first for the labels, relationship types and
        directions, e.g. `MATCH (s:Service)-[:DEPENDS_ON]->(d {id: $id}) RETURN s.id` with params {"id": "paymentservice"}.
        """
        return await run("query", cypher, params or {}, max(1, min(limit, 10_000)))

    @server.tool(title="Search documents and nodes")
    async def search_documents(text: str, k: int = 8, mode: str = "hybrid") -> dict[str, Any]:
        """Search the runbooks and other documents (chunk text and embeddings) and the nodes' full-text properties.

        `mode`: "hybrid" (default, both fused by rank), "text" (full-text only) or "vector" (embeddings only).
        Hits carry the chunk id (`docs/x.md#3`) or node id, a score and the text.
        """
        if mode not in ("hybrid", "text", "vector"):
            raise ToolError("[invalid_request] mode must be hybrid, text or vector")
        return await run("search", text, max(1, min(k, 50)), mode)

    @server.tool(title="Risk of every service")
    async def risk_scores(top: int = 20) -> dict[str, Any]:
        """Every service's probability of failing within the model's horizon, riskiest first, plus the drift verdict.

        `risky` is true when the probability is above the model's alarm threshold. `anomaly` is a label-free
        score of the recent telemetry. `drift.drifted` says whether recent telemetry no longer looks like the training data.
        """
        board = dict(await run("risk_board"))
        board["nodes"] = board["nodes"][: max(1, top)]
        return board

    @server.tool(title="Explain a service's risk")
    async def explain_risk(node: str) -> dict[str, Any]:
        """Why a service is risky: the upstream dependency path, by attention weight, that drives its risk.

        Each hop says which dependency the service attended to, how much, and that dependency's own risk.
        """
        return await run("risk_explain", node)

    @server.tool(title="Root cause of a service's risk")
    async def root_cause(node: str) -> dict[str, Any]:
        """The anchor of a service's risk: the most upstream dependency on its attention path, with that anchor's
        own risk, its runbooks and the documents that mention it, and a one-line summary of the chain."""
        return await run("root_cause", node)

    @server.tool(title="Investigate an incident")
    async def investigate(target: str, at: str | None = None, window: str = "30m") -> dict[str, Any]:
        """What caused a symptom: `target` is a service (or an incident id); `at` the onset (ISO time, default detected).

        Returns candidates ranked by evidence, each with score and a one-line reason (metric changes: which metric,
        normal vs now, since when; changes applied before the onset; past incidents it caused), the confidence ("no
        clear cause" when the evidence does not separate them), dependency paths, similar past incidents with their
        fixes, and runbook sections quoted verbatim."""
        return await run("investigate", target, at, window)

    @server.tool(title="Describe the schema")
    async def describe_schema() -> str:
        """The live schema of the estate: node labels with properties and counts, relationship types with directions."""
        result = await run("schema")
        return str(result["text"])

    if allow_writes:
        @server.tool(title="Ingest an estate folder")
        async def ingest_estate(path: str, documents: bool = True) -> dict[str, Any]:
            """Validate and load an estate folder on the server (idempotent); waits for the job and returns its report."""
            import anyio

            job = await run("start_ingest", path, documents)
            while not job.done:
                await anyio.sleep(0.2)
            return job.to_dict()

        @server.tool(title="Run Cypher that writes")
        async def write_graph(cypher: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
            """Run Cypher that may write (SET, MERGE, CREATE, DELETE), with $parameters. Only on servers started with --allow-writes."""
            return await run("write_query", cypher, params or {})

    @server.resource("opsgraph://schema", name="schema", title="Estate schema", mime_type="text/plain")
    async def schema_resource() -> str:
        """The live schema as a prompt sees it."""
        result = await run("schema")
        return str(result["text"])

    @server.resource("opsgraph://risk/board", name="risk-board", title="Risk board", mime_type="application/json")
    async def risk_board_resource() -> str:
        """Risk of every service, riskiest first, with the drift verdict (JSON)."""
        return json.dumps(await run("risk_board"))

    @server.resource("opsgraph://nodes/{node_id}", name="node", title="A node", mime_type="application/json")
    async def node_resource(node_id: str) -> str:
        """One node: properties, neighbours, runbooks, documents that mention it, risk (JSON)."""
        return json.dumps(await run("node", node_id))

    return server
