"""The HTTP API: FastAPI over `Served` (one opened facade per process).

Endpoints (all JSON; `/docs` has the OpenAPI page):

    GET  /healthz  /readyz  /metrics                      liveness, readiness, Prometheus
    POST /v1/ask            POST /v1/ask/stream (SSE)     answer a question (stream: stage events, then the answer)
    POST /v1/query          GET /v1/search                read-only Cypher; full-text/vector search
    GET  /v1/schema         GET /v1/graph                 live schema; nodes and edges for drawing
    GET  /v1/nodes/{id}     GET /v1/documents/{id}        one node (neighbours, runbooks, risk); one document
    GET  /v1/risk/scores|drift|trends|models   GET /v1/risk/explain/{node}   GET /v1/risk/root-cause/{node}
    POST /v1/risk/train     POST /v1/risk/models/{v}/promote   POST /v1/risk/rollback
    POST /v1/investigations GET /v1/investigations        investigate a symptom as a job; the kept investigations
    POST /v1/ingest         GET /v1/jobs  /v1/jobs/{id}  /v1/jobs/{id}/events (SSE)
    /mcp                    the MCP server over streamable HTTP (when mounted)
    /                       the web page

Every error is `{"error": {"code", "message"}}` (`api.errors`). With a token,
every endpoint but health, the page, its static files and the OpenAPI page
needs `Authorization: Bearer <token>`. `api.http.guard` sits in front of all
of it: Host names (421), cross-site Origins (403), the write token on routes
that write (401), the body size (413).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from opsgraph.api.errors import ApiError, describe_error
from opsgraph.api.http.docs_ui import add_docs
from opsgraph.api.http.guard import SAFE_METHODS, BodyLimit, HostCheck, HostNames, OriginCheck, WriteToken
from opsgraph.api.http.metrics import CONTENT_TYPE, Metrics
from opsgraph.api.http.models import (
    AskRequest,
    ErrorBody,
    Health,
    IngestRequest,
    InvestigationRequest,
    JobInfo,
    PromoteResponse,
    QueryRequest,
    QueryResponse,
    SearchResponse,
    TrainRequest,
)
from opsgraph.api.jobs import Job
from opsgraph.api.service import Served, jsonable
from opsgraph.api.web import STATIC_DIR
from opsgraph.app import Stage
from opsgraph.errors import OpsGraphError, WriteRefusedError

log = logging.getLogger("opsgraph.api")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PATHS = frozenset({"/", "/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/",)

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 406: "not_acceptable", 413: "too_large", 415: "unsupported_media_type", 421: "misdirected_request"}

WRITE_ROUTES = ("/v1/ingest", "/v1/risk/train", "/v1/risk/rollback", "/v1/traces")
"""Routes that change the home (besides `/v1/risk/models/{version}/promote` and MCP with write tools)."""


def is_write_route(method: str, path: str, *, mcp_writes: bool = False) -> bool:
    """Does this request change the home? Such requests need the write token."""
    if mcp_writes and (path == "/mcp" or path.startswith("/mcp/")):
        return True
    if method in SAFE_METHODS:
        return False
    return path in WRITE_ROUTES or (path.startswith("/v1/risk/models/") and path.endswith("/promote"))

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": desc}
    for status, desc in ((400, "Bad input (e.g. Cypher that does not parse)"), (401, "Missing or wrong bearer token"),
                         (403, "Refused (a query that writes, a read-only server, a path outside the allowed roots)"),
                         (404, "Not found"), (408, "A query ran past its time limit"),
                         (409, "The estate's state does not allow it (nothing ingested, no model, a job running)"),
                         (413, "The body, a parameter list or a document is over a configured limit"),
                         (421, "The Host header is not one of this server's names (DNS rebinding)"),
                         (422, "Invalid request"), (500, "Server error"), (502, "The language model endpoint failed"),
                         (503, "Busy (every heavy-query slot is taken: retry), the store is unavailable, or a component is missing"))
}

# Errors of streaming routes are JSON too, though the route's own responses are `text/event-stream`.
SSE_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": r["description"], "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    for status, r in ERRORS.items()
}


def _error_response(status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None) -> JSONResponse:
    err: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        err["details"] = details
    return JSONResponse({"error": err}, status_code=status, headers=headers)


class BearerAuth:
    """Pure ASGI middleware: every path but the public ones needs the bearer token (covers the mounted MCP too)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(), self.token):
            message = ("this server needs a bearer token: send `Authorization: Bearer <token>` (the token the server was started with)"
                       if not header else "the bearer token is wrong")
            response = _error_response(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class RequestMetrics:
    """Pure ASGI middleware: count and time every request by its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def capture(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or ("/static" if scope.get("path", "").startswith("/static/") else "unmatched")
            self.metrics.request(scope.get("method", ""), template, status, time.perf_counter() - began)


_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>` when the server was started with a token.")


async def _documented_auth(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """Only documents the scheme in OpenAPI; `BearerAuth` enforces it for every route, the MCP endpoint included."""


def _find_job(request: Request, job_id: Annotated[str, Path(min_length=1, max_length=100)]) -> Job:
    """A dependency, so an unknown job is a 404 before an event stream starts."""
    served: Served = request.app.state.served
    return served.jobs.get(job_id)


def _flush_spans(served: Served, stop: threading.Event, every: float) -> None:
    """Every `every` seconds, and once at shutdown, write the received spans' call edges to the store."""
    while True:
        stopping = stop.wait(every)
        try:
            served.flush_spans()
        except Exception:  # a failed flush writes nothing (the sync is atomic); the spans stay for the next one
            log.exception("flushing received spans failed")
        if stopping:
            return


def _watch(served: Served, stop: threading.Event) -> None:
    """The watch loop (`serve.watch: true`): cycles until shutdown, writes under the server's write lock."""
    watcher = served.og.watcher
    watcher.lock = served.write_lock

    def show(report: Any) -> None:
        for error in report.errors:
            log.warning("watch: %s (the next cycle retries)", error)
        if report.scores is not None:
            log.info("watch: scored %d step(s) %s, %d alert(s) raised, %d cleared", report.scored_steps, report.how,
                     len(report.alerts.raised), len(report.alerts.cleared))

    watcher.run(stop, show, lambda exc: log.error("watch cycle failed: %s", exc, exc_info=exc))


def create_app(
    served: Served, *, token: str | None = None, mcp_server: Any = None, mcp_hosts: list[str] | None = None, warm: bool = False,
    hosts: list[str] | None = None, write_token: str | None = None, token_where: str = "", page_token: str | None = None,
    mcp_writes: bool = False,
) -> FastAPI:
    """The FastAPI app over an opened facade. `mcp_server` (an `MCPServer`) is mounted at `/mcp`.

    `hosts`: Host names every route answers to (`api.http.guard.HostNames`; None: any, for in-process tests);
    cross-site Origins are refused on state-changing requests by the same list. `mcp_hosts`: the same for the
    MCP SDK's own check, used only without `hosts`. `write_token`: needed by routes that write (`is_write_route`),
    `token_where` says where a client finds it; `page_token` is given to the web page (same origin only).
    `warm`: compute the risk board and the chat's suggested questions in the background at startup, so the first page
    load does not wait for the model and the first question finds the answer pipeline built.
    """
    metrics = Metrics(gauges=lambda: _gauges(served))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if mcp_server is not None:
                await stack.enter_async_context(mcp_server.session_manager.run())
            stop = threading.Event()
            warming = threading.Thread(target=served.warm, args=(stop,), name="opsgraph-warm", daemon=True) if warm else None
            if warming is not None:
                warming.start()
            flush_every = served.og.settings.serve.otlp_flush_seconds
            flusher = threading.Thread(target=_flush_spans, args=(served, stop, flush_every), name="opsgraph-otlp", daemon=True)
            flusher.start()
            watching = None
            if served.og.settings.serve.watch and served.allow_writes:
                watching = threading.Thread(target=_watch, args=(served, stop), name="opsgraph-watch", daemon=True)
                watching.start()
            try:
                yield
            finally:
                stop.set()
                flusher.join(timeout=60)
                if watching is not None:
                    watching.join(timeout=120)
                if warming is not None:  # a process that exits while the model is still loading aborts in native code
                    warming.join(timeout=120)
                served.close()

    app = FastAPI(
        title="opsgraph",
        version="0.1.0",
        summary="Your service estate as a knowledge graph: ask, query, search, risk, ingest.",
        lifespan=lifespan,
        dependencies=[Depends(_documented_auth)],
        docs_url=None,  # `api.http.docs_ui` serves /docs and /redoc with local assets, not FastAPI's CDN ones
        redoc_url=None,
    )
    app.state.served = served
    app.state.metrics = metrics
    public_paths = PUBLIC_PATHS

    def openapi() -> dict[str, Any]:
        """Security as enforced: none on public routes; with a token, the rest; without, only routes that write."""
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            spec = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            for path, ops in spec.get("paths", {}).items():
                for method, op in ops.items():
                    if not isinstance(op, dict):
                        continue
                    secured = path not in public_paths and (bool(token) or (write_token is not None and is_write_route(method.upper(), path)))
                    if not secured:
                        op.pop("security", None)
                    elif write_token is not None and not token:
                        op.setdefault("description", "")
                        op["description"] += "\n\nNeeds the server's write token as `Authorization: Bearer <token>`."
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # -- errors -------------------------------------------------------------------------------
    @app.exception_handler(ApiError)
    @app.exception_handler(OpsGraphError)
    async def _known(_: Request, exc: Exception) -> JSONResponse:
        info = describe_error(exc)
        headers = {"Retry-After": "1"} if info.code == "busy" else None
        return _error_response(info.status, info.code, info.message, info.details, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()]
        message = "invalid request: " + "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
        return _error_response(422, "invalid_request", message, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = "no such endpoint: see /docs for the API" if exc.status_code == 404 and exc.detail == "Not Found" else str(exc.detail)
        return _error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        info = describe_error(exc)
        if info.code == "internal":
            log.exception("unexpected error", exc_info=exc)
        return _error_response(info.status, info.code, info.message, info.details)

    # -- health and metrics ------------------------------------------------------------------------
    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses=ERRORS)
    async def readyz() -> dict[str, Any]:
        """Readiness: the store is open and answers; counts, data version and current risk model."""
        return await served.call(served.ready)

    @app.get("/metrics", tags=["health"], response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}, **ERRORS})
    async def metrics_endpoint() -> Response:
        """Prometheus metrics: requests, latency, answers, jobs, store size."""
        body = await served.call(metrics.render)
        return Response(body, media_type=CONTENT_TYPE)

    # -- OTLP traces ------------------------------------------------------------------------------
    @app.post("/v1/traces", tags=["telemetry"], responses={200: {"content": {"application/x-protobuf": {}, "application/json": {}}}, **ERRORS})
    async def otlp_traces(request: Request) -> Response:
        """OTLP/HTTP trace export, as the OpenTelemetry SDK exporters send it (protobuf or JSON): the spans become
        observed CALLS edges (calls, error share, p50/p95 per caller and callee), written on the next flush
        (`serve.otlp_flush_seconds`). A malformed body is 400; nothing already received is lost."""
        body = await request.body()
        ctype = request.headers.get("content-type", "")
        taken = await served.call(served.receive_spans, body, ctype)  # a malformed body: TraceFormatError, 400 trace_invalid
        if ctype.split(";")[0].strip().lower() == "application/json":
            return JSONResponse({"partialSuccess": {}, "accepted_spans": taken})
        return Response(b"", media_type="application/x-protobuf")  # an empty ExportTraceServiceResponse

    # -- asking ------------------------------------------------------------------------------------
    @app.post("/v1/ask", tags=["ask"], responses=ERRORS)
    async def ask(body: AskRequest) -> dict[str, Any]:
        """Answer a question from the graph and the documents, with checked citations and the trace."""
        began = time.perf_counter()
        try:
            answer = await served.call(served.ask, body.question, session=body.session, user=body.user, use_cache=body.use_cache,
                                       pool="ask")
        except Exception:
            metrics.ask("error", time.perf_counter() - began)
            raise
        metrics.ask("ok", time.perf_counter() - began)
        return answer

    @app.post("/v1/ask/stream", tags=["ask"], response_class=EventSourceResponse, responses=SSE_ERRORS)
    async def ask_stream(body: AskRequest) -> AsyncIterator[ServerSentEvent]:
        """Server-sent events: `start`, a `stage` event as each pipeline stage starts and ends, then `answer` (or `error`)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

        def on_stage(stage: Stage, done: bool) -> None:
            event = {"name": stage.name, "done": done, "ms": round(stage.ms, 2), "tokens": stage.tokens,
                     "detail": jsonable(stage.detail) if done else {}}
            try:
                loop.call_soon_threadsafe(queue.put_nowait, event)
            except RuntimeError:  # the loop is gone (server shutting down): nobody is listening
                pass

        began = time.perf_counter()
        yield ServerSentEvent(event="start", data={"question": body.question})
        task = asyncio.ensure_future(served.call(served.ask, body.question, on_stage, session=body.session, user=body.user,
                                                 use_cache=body.use_cache, pool="ask"))
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (event := await queue.get()) is not None:
                yield ServerSentEvent(event="stage", data=event)
            try:
                answer = task.result()
            except Exception as exc:
                metrics.ask("error", time.perf_counter() - began)
                info = describe_error(exc)
                if info.code == "internal":
                    log.exception("unexpected error while answering", exc_info=exc)
                yield ServerSentEvent(event="error", data=info.body())
                return
            metrics.ask("ok", time.perf_counter() - began)
            yield ServerSentEvent(event="answer", data=answer)
        finally:
            if not task.done():
                task.cancel()  # the worker thread finishes on its own; its result is dropped

    @app.get("/v1/ask/suggestions", tags=["ask"], responses=ERRORS)
    async def ask_suggestions(
        limit: Annotated[int, Query(ge=1, le=12, description="Most questions.")] = 6,
    ) -> dict[str, Any]:
        """Questions about this estate's own components in the shapes `ask` answers well, each asked once (per data
        version) and kept only when it is answered about the component it names: `question`, `shape`, `about`, `kind`."""
        return await served.call(served.suggestions, limit, pool="ask")

    # -- reading -----------------------------------------------------------------------------------
    @app.post("/v1/query", tags=["graph"], response_model=QueryResponse, responses=ERRORS)
    async def query(body: QueryRequest) -> dict[str, Any]:
        """Run read-only Cypher with parameters. Writes are refused (403 `write_refused`, `details.what_you_can_do` says
        how this server takes writes); a label or relationship type the store does not have is 400 `unknown_label`
        (`details.unknown`: each with the names it is closest to)."""
        try:
            return await served.call(served.query, body.cypher, body.params, body.limit, pool="heavy")
        except WriteRefusedError as exc:
            raise _write_refusal(exc, body.cypher) from exc

    def _write_refusal(exc: WriteRefusedError, cypher: str) -> ApiError:
        """A refused write in terms of this server: is it read-only, where the write token is, which route writes."""
        found = str(exc).split(": queries here are read-only")[0]
        mcp_write_tool = mcp_server is not None and mcp_writes
        steps: list[str] = []
        if not served.allow_writes and not mcp_write_tool:
            steps.append("this server was started read-only (`opsgraph serve --read-only`): nothing can be written through it; "
                         "restart it without --read-only to ingest, or stop it and run `opsgraph query --write` on its host")
        else:
            token = ""
            if write_token is not None:
                token = f" with the server's write token ({token_where}" + ("; this page already sends it)" if page_token else ")")
            if served.allow_writes:
                steps.append(f"change the estate's files and ingest them: POST /v1/ingest{token}")
            if mcp_write_tool:
                steps.append(f"write Cypher with the MCP tool write_graph at /mcp{token}")
            else:
                steps.append("to write Cypher over the API, restart the server with `opsgraph serve --mcp-writes` and use its MCP tool "
                             f"write_graph{token}")
        message = f"queries over this API only read, and {found}. What you can do: " + "; or ".join(steps)
        return ApiError(403, "write_refused", message, {"cypher": cypher, "read_only_server": not served.allow_writes,
                                                        "mcp_write_tool": mcp_write_tool, "write_token": write_token is not None,
                                                        "what_you_can_do": steps})

    @app.get("/v1/search", tags=["graph"], response_model=SearchResponse, responses=ERRORS)
    async def search(
        q: Annotated[str, Query(min_length=1, max_length=1000, description="What to look for.")],
        k: Annotated[int, Query(ge=1, le=100, description="Most hits.")] = 10,
        mode: Annotated[str, Query(pattern="^(hybrid|text|vector)$", description="hybrid, text (full-text) or vector.")] = "hybrid",
    ) -> dict[str, Any]:
        """Full-text and vector search over the store's own indexes (documents and node properties), fused by rank."""
        return await served.call(served.search, q, k, mode, pool="heavy")  # type: ignore[arg-type]

    @app.get("/v1/schema", tags=["graph"], responses=ERRORS)
    async def schema() -> dict[str, Any]:
        """The live schema: as text (what prompts see) and as types with properties and counts."""
        return await served.call(served.schema)

    @app.get("/v1/graph", tags=["graph"], responses=ERRORS)
    async def graph(
        limit: Annotated[int | None, Query(ge=1, le=100_000, description="Most nodes (capped by serve.graph_limit).")] = None,
        documents: Annotated[bool, Query(description="Include Document nodes.")] = False,
    ) -> dict[str, Any]:
        """Nodes (id, type, name) and edges of the estate, for drawing."""
        return await served.call(served.graph, limit, documents, pool="heavy")

    @app.get("/v1/nodes/{node_id}", tags=["graph"], responses=ERRORS)
    async def node(node_id: Annotated[str, Path(min_length=1, max_length=500)]) -> dict[str, Any]:
        """One node: properties, neighbours, runbooks, documents that mention it, and its risk with the explanation."""
        return await served.call(served.node, node_id)

    @app.get("/v1/documents/{doc_id:path}", tags=["graph"], responses=ERRORS)
    async def document(doc_id: Annotated[str, Path(min_length=1, max_length=1000)]) -> dict[str, Any]:
        """A document and its chunks; a chunk id (`docs/x.md#3`) selects that chunk as `highlight`."""
        return await served.call(served.document, doc_id)

    # -- risk ----------------------------------------------------------------------------------------
    @app.get("/v1/risk/scores", tags=["risk"], responses=ERRORS)
    async def risk_scores() -> dict[str, Any]:
        """Every service's failure probability within the horizon, riskiest first, with the drift verdict."""
        return await served.call(served.risk_board)

    @app.get("/v1/risk/explain/{node}", tags=["risk"], responses=ERRORS)
    async def risk_explain(
        node: Annotated[str, Path(min_length=1, max_length=500)],
        max_hops: Annotated[int, Query(ge=1, le=10)] = 5,
    ) -> dict[str, Any]:
        """The upstream dependency path, by attention, that drives a node's risk."""
        return await served.call(served.risk_explain, node, max_hops)

    @app.get("/v1/risk/root-cause/{node}", tags=["risk"], responses=ERRORS)
    async def risk_root_cause(node: Annotated[str, Path(min_length=1, max_length=500)]) -> dict[str, Any]:
        """The anchor of a node's risk (the most upstream dependency on its attention path), with its runbooks."""
        return await served.call(served.root_cause, node)

    @app.get("/v1/risk/drift", tags=["risk"], responses=ERRORS)
    async def risk_drift() -> dict[str, Any]:
        """Has the latest telemetry drifted from the current model's training data?"""
        return await served.call(served.risk_drift)

    @app.get("/v1/risk/trends", tags=["risk"], responses=ERRORS)
    async def risk_trends(steps: Annotated[int, Query(ge=2, le=1440)] = 60) -> dict[str, Any]:
        """The last `steps` telemetry values of each feature per node (for sparklines)."""
        return await served.call(served.risk_trends, steps)

    @app.get("/v1/risk/alerts", tags=["risk"], responses=ERRORS)
    async def risk_alerts(open_only: Annotated[bool, Query(alias="open")] = False) -> list[dict[str, Any]]:
        """Alerts the watch loop recorded (a node crossing its threshold, and when it cleared), newest first."""
        return await served.call(served.risk_alerts, open_only)

    @app.get("/v1/risk/models", tags=["risk"], responses=ERRORS)
    async def risk_models() -> list[dict[str, Any]]:
        """Stored model versions (oldest first): created, data window, threshold, test metrics, `current`."""
        return await served.call(served.risk_models)

    @app.post("/v1/risk/train", tags=["risk"], status_code=202, response_model=JobInfo, responses=ERRORS)
    async def risk_train(body: TrainRequest | None = None) -> dict[str, Any]:
        """Train a new version on the stored telemetry, as a job; promoted only if it beats the current one."""
        overrides = {"epochs": body.epochs} if body is not None and body.epochs else None
        job = await served.call(served.start_train, overrides)
        return job.to_dict()

    @app.post("/v1/risk/models/{version}/promote", tags=["risk"], response_model=PromoteResponse, responses=ERRORS)
    async def risk_promote(version: Annotated[str, Path(min_length=1, max_length=50)]) -> dict[str, Any]:
        """Make a stored version the current model."""
        return await served.call(served.promote, version)

    @app.post("/v1/risk/rollback", tags=["risk"], response_model=PromoteResponse, responses=ERRORS)
    async def risk_rollback() -> dict[str, Any]:
        """Return to the previously promoted version."""
        return await served.call(served.rollback)

    # -- investigations ------------------------------------------------------------------------------
    @app.post("/v1/investigations", tags=["investigations"], status_code=202, response_model=JobInfo, responses=ERRORS)
    async def investigation_start(body: InvestigationRequest) -> dict[str, Any]:
        """Investigate a symptom (a component or an incident id) as a job; follow it at /v1/jobs/{id}."""
        job = await served.call(served.start_investigation, body.target, body.at, body.window)
        return job.to_dict()

    @app.get("/v1/investigations", tags=["investigations"], responses=ERRORS)
    async def investigation_list() -> list[dict[str, Any]]:
        """Investigations this server kept (newest first), each with its state and result."""
        return await served.call(served.investigations)

    # -- ingest and jobs -------------------------------------------------------------------------------
    @app.post("/v1/ingest", tags=["jobs"], status_code=202, response_model=JobInfo, responses=ERRORS)
    async def ingest(body: IngestRequest) -> dict[str, Any]:
        """Ingest an estate folder on the server as a job: validated completely first, then written idempotently."""
        job = await served.call(served.start_ingest, body.path, body.documents)
        return job.to_dict()

    @app.get("/v1/jobs", tags=["jobs"], response_model=list[JobInfo], responses=ERRORS)
    async def jobs() -> list[dict[str, Any]]:
        """Jobs of this server (of all its workers), oldest first."""
        return await served.call(lambda: [j.to_dict() for j in served.jobs.list()])

    @app.get("/v1/jobs/{job_id}", tags=["jobs"], response_model=JobInfo, responses=ERRORS)
    async def job(job_id: Annotated[str, Path(min_length=1, max_length=100)]) -> dict[str, Any]:
        """A job's state, progress per task, and result or error (whichever worker runs it)."""
        return served.jobs.get(job_id).to_dict()

    @app.get("/v1/jobs/{job_id}/events", tags=["jobs"], response_class=EventSourceResponse, responses=SSE_ERRORS)
    async def job_events(job: Annotated[Job, Depends(_find_job)]) -> AsyncIterator[ServerSentEvent]:
        """Server-sent events of a job from its start: `state` and `progress`, ending when it succeeds or fails."""
        seen = 0
        while True:
            job = served.jobs.get(job.id)  # another worker's job is read again from its record
            events = job.events[seen:]
            seen += len(events)
            for e in events:
                yield ServerSentEvent(event=e["event"], data=e["data"])
            if job.done and seen >= len(job.events):
                return
            await asyncio.sleep(0.1)

    # -- web page --------------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        if page_token is None:
            return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})
        # The write token goes to this server's own page only: the Host check refuses rebound names, and
        # another site's page cannot read this response (no CORS).
        html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        meta = f'<meta name="opsgraph-write-token" content="{page_token}">'
        return HTMLResponse(html.replace("<head>", "<head>\n  " + meta, 1),
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    add_docs(app)  # its assets' mount first: "/static" would take their paths
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    if mcp_server is not None:
        from mcp.server.transport_security import TransportSecuritySettings

        security = (TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=mcp_hosts,
                                              allowed_origins=[f"http://{h}" for h in mcp_hosts])
                    if mcp_hosts and hosts is None else TransportSecuritySettings(enable_dns_rebinding_protection=False))
        sub = mcp_server.streamable_http_app(streamable_http_path="/mcp", transport_security=security)
        for route in sub.routes:  # the route itself, not a mount: `/mcp` without a redirect to `/mcp/`
            app.router.routes.append(route)

    # Added innermost first: metrics ▸ Host ▸ Origin ▸ body size ▸ bearer token ▸ write token ▸ routes.
    if write_token:
        app.add_middleware(WriteToken, token=write_token, where=token_where,  # type: ignore[arg-type]
                           is_write=lambda m, p: is_write_route(m, p, mcp_writes=mcp_writes))
    if token:
        app.add_middleware(BearerAuth, token=token)  # type: ignore[arg-type]
    app.add_middleware(BodyLimit, max_bytes=served.og.settings.serve.max_body_bytes)  # type: ignore[arg-type]
    names = HostNames(hosts if hosts is not None else ["*"])
    app.add_middleware(OriginCheck, hosts=names)  # type: ignore[arg-type]
    if hosts is not None:
        app.add_middleware(HostCheck, hosts=names)  # type: ignore[arg-type]
    app.add_middleware(RequestMetrics, metrics=metrics)  # type: ignore[arg-type]
    return app


def _gauges(served: Served) -> dict[str, dict[tuple[str, ...], float]]:
    jobs: dict[tuple[str, ...], float] = {(state,): float(n) for state, n in served.jobs.counts().items()}
    items: dict[tuple[str, ...], float]
    try:
        ready = served.ready()
        items = {("nodes",): float(ready["nodes"]), ("edges",): float(ready["edges"]), ("documents",): float(ready["documents"])}
    except Exception:  # metrics must render even when the store does not answer
        items = {}
    return {"opsgraph_jobs": jobs, "opsgraph_store_items": items}


def sse_events(text: str) -> list[tuple[str, Any]]:
    """Parse a server-sent-events body into (event, data) pairs (for clients and tests)."""
    out: list[tuple[str, Any]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data:
            joined = "\n".join(data)
            try:
                out.append((event, json.loads(joined)))
            except json.JSONDecodeError:
                out.append((event, joined))
    return out
