"""`Served`: one opened `OpsGraph` shared by every request of a server process.

The HTTP API and the MCP server both call these methods, so they answer
alike. Every method is synchronous and returns JSON-ready values; the async
shells run them on worker threads with `await served.call(fn, ...)` (the
facade is synchronous, and the embedded store allows one process per home,
so one facade serves all requests). Writes (ingest, training, promotion)
run one at a time under `write_lock`; long ones are jobs (`api.jobs`).

Risk answers are cached per (data version, current model version): scoring
reads the recent telemetry and loads the model (about a second here), and
neither changes until data is written or a model is promoted.

It must not build stores or models, nor read configuration: the facade does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import functools
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from opsgraph.api.errors import ApiError
from opsgraph.api.jobs import Job, JobRunner, ProgressFn
from opsgraph.app import (
    OpsGraph,
    SearchMode,
    Stage,
    age_seconds,
    age_text,
    estate_roots,
    observe_stages,
    search_index,
    unknown_names,
)
from opsgraph.errors import LimitExceededError, OpsGraphError, WriteRefusedError

T = TypeVar("T")

JOBS_FOLDER = "jobs"
"""Where a home's job records live (`api/job_records.py`)."""

_MODEL_KEYS = ("version", "current", "created", "data_window", "node_type", "threshold", "metrics", "hyper_parameters")
"""Manifest fields a client sees (the rest are weights' bookkeeping and the drift baseline's arrays)."""


def jsonable(value: Any) -> Any:
    """A JSON-ready copy: dataclasses to dicts, numpy scalars and arrays to Python, NaN/inf to None."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable({f.name: getattr(value, f.name) for f in dataclasses.fields(value) if not f.name.startswith("_")})
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return jsonable(tolist())
    return str(value)


def _lower_priority() -> None:
    """Nice this worker thread (Linux: per thread) so the event loop wins the CPU from long queries."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):  # not Linux, or not permitted: the pool still bounds the queries
        pass


def _iso(ts: int | float) -> str:
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Served:
    """The facade of one home, opened once, shared by every request of the process."""

    def __init__(self, og: OpsGraph, *, threads: int | None = None, allow_writes: bool = True,
                 ingest_roots: list[Path] | None = None, graph_limit: int | None = None) -> None:
        serve = og.settings.serve
        self.og = og
        self.threads = threads or serve.threads
        self.allow_writes = allow_writes
        # Default: the folders this home was built from (recorded at each ingest), never "anywhere".
        roots = serve.ingest_roots or estate_roots(og.settings.home) if ingest_roots is None else ingest_roots
        self.ingest_roots = [Path(p).expanduser().resolve() for p in roots]
        self.graph_limit = graph_limit or serve.graph_limit
        self.write_lock = threading.Lock()
        self.jobs = JobRunner(self.write_lock, og.settings.home / JOBS_FOLDER)
        """Jobs of every process serving this home (`serve --workers N`), recorded in `<home>/jobs/`."""
        self.started = time.time()
        self._limiters: dict[str, anyio.CapacityLimiter] = {}
        self.heavy_queries = serve.heavy_queries
        """Queries, searches and graph reads at once (`pool="heavy"`); the next waits `heavy_wait_s`, then gets 503."""
        self.heavy_wait_s = serve.heavy_wait_s
        self._heavy_slots = threading.BoundedSemaphore(serve.heavy_queries)
        self._heavy_pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.max_param_items = serve.max_param_items
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._cache_lock = threading.Lock()

    # -- running on worker threads -------------------------------------------------------
    async def call(self, fn: Callable[..., T], *args: Any, pool: str = "read", **kwargs: Any) -> T:
        """Run a synchronous method on a worker thread: at most `threads` at once per pool.

        Questions (`pool="ask"`) have a pool of their own: a queue of questions waiting for the
        language model (one generation at a time) must not hold every thread while a query,
        the graph or the risk board waits behind it (measured with bench/serve.py).
        """
        if pool == "heavy":
            return await self._call_heavy(functools.partial(fn, *args, **kwargs))
        limiter = self._limiters.get(pool)
        if limiter is None:
            limiter = self._limiters[pool] = anyio.CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=limiter)

    async def _call_heavy(self, work: Callable[[], T]) -> T:
        """Run `work` on a slot of the heavy pool: its own threads, at a lower CPU priority than the event loop, so
        health checks and cheap reads answer while long queries run. A slot is freed when its thread finishes (not
        when a client gives up), and a request that finds none free within `heavy_wait_s` is told to retry (503)."""
        deadline = time.monotonic() + self.heavy_wait_s
        while not self._heavy_slots.acquire(blocking=False):
            if time.monotonic() >= deadline:
                raise ApiError(503, "busy", f"all {self.heavy_queries} heavy-query slots are taken by running queries: "
                               "retry shortly (serve.heavy_queries sets how many run at once)", {"retry_after_s": 1})
            await anyio.sleep(0.02)
        try:
            if self._heavy_pool is None:
                self._heavy_pool = concurrent.futures.ThreadPoolExecutor(self.heavy_queries, "opsgraph-heavy", initializer=_lower_priority)
            future = self._heavy_pool.submit(work)
        except BaseException:
            self._heavy_slots.release()
            raise
        future.add_done_callback(lambda _: self._heavy_slots.release())
        return await asyncio.wrap_future(future)

    # -- OTLP trace receiver -------------------------------------------------------------
    def receive_spans(self, body: bytes, content_type: str) -> int:
        """One OTLP/HTTP trace export (protobuf or JSON): spans taken into the receiver's windows (`app/traces.py`)."""
        if not self.allow_writes:
            raise ApiError(403, "write_refused", "this server is read-only (serve.allow_writes is off): it does not take spans")
        return self.og.traces.receive(body, content_type)

    def flush_spans(self) -> dict[str, Any] | None:
        """Sync the received calls as CALLS edges (all or nothing, one writer at a time); None when nothing came in."""
        with self.write_lock:
            plan = self.og.traces.flush()
        return None if plan is None else {"source": plan.source, "applied": plan.applied}

    def close(self) -> None:
        self.jobs.shutdown()
        if self._heavy_pool is not None:
            # Wait: its threads are attached to the engine's JVM, which must outlive them (queries end at their time limit).
            self._heavy_pool.shutdown(wait=True, cancel_futures=True)
            self._heavy_pool = None

    def warm(self, stop: threading.Event | None = None) -> None:
        """Compute what the first page load needs (the risk board loads the model and reads telemetry: seconds).
        `stop` set (the server is shutting down): nothing more is started, and the suggestions stop between questions."""
        stopping = stop.is_set if stop is not None else (lambda: False)
        try:
            if self._current_model() is not None:
                self.risk_board()
        except Exception:  # warming is best effort; the endpoints report errors themselves
            pass
        try:  # the chat's suggested questions; asking them also builds the answer pipeline the first question needs
            if not stopping() and self.og.schema() is not None:
                self.suggestions(should_stop=stopping)
        except Exception:
            pass

    def _need_writes(self, what: str) -> None:
        if not self.allow_writes:
            raise ApiError(403, "read_only", f"this server is read-only: {what} needs a server started with writes allowed "
                           "(`opsgraph serve` without --read-only; for MCP tools, `opsgraph serve --mcp-writes` or `opsgraph mcp --allow-writes`)")

    def _check_params(self, params: Mapping[str, Any]) -> None:
        """Refuse parameters over `serve.max_param_items` (413) before they reach the engine."""
        limit = self.max_param_items
        if len(params) > limit:
            raise LimitExceededError(f"{len(params)} query parameters are over this server's limit of {limit} (serve.max_param_items)")
        stack: list[tuple[str, Any]] = list(params.items())
        items = 0
        while stack:
            name, value = stack.pop()
            if isinstance(value, (list, tuple, dict)):
                items += len(value)
                if len(value) > limit or items > 10 * limit:
                    raise LimitExceededError(f"parameter ${name.split('[')[0]} holds {len(value)} items (all parameters {items}), "
                                             f"over this server's limit of {limit} per list (serve.max_param_items)")
                children = value.items() if isinstance(value, dict) else enumerate(value)
                stack.extend((f"{name}[{k}]", v) for k, v in children)

    # -- health ------------------------------------------------------------------------------
    def ready(self) -> dict[str, Any]:
        """Is the store open and answering? With counts, the data version and the current risk model."""
        return {
            "status": "ready",
            "home": str(self.og.settings.home),
            **self.og.counts(),
            "data_version": self.og.store.data_version(),
            "risk_model": self._current_model(),
            "uptime_s": round(time.time() - self.started, 1),
        }

    def _current_model(self) -> str | None:
        try:
            return self.og.risk.current_version()
        except Exception:  # a broken registry must not make the server unready
            return None

    # -- reading -----------------------------------------------------------------------------
    def schema(self) -> dict[str, Any]:
        """The live schema: as prompts see it (text) and as data (types with counts)."""
        schema = self.og.schema()
        return {
            "name": schema.name if schema else None,
            "description": schema.description if schema else None,
            "text": self.og.describe_text(),
            "types": [jsonable(t) for t in self.og.describe()],
        }

    def query(self, cypher: str, params: Mapping[str, Any] | None = None, limit: int = 1000) -> dict[str, Any]:
        """Read-only Cypher with parameters (writes are refused by the store, statically and by the engine)."""
        if not cypher.strip():
            raise ApiError(422, "invalid_request", "the query is empty: send Cypher in `cypher`, values in `params`")
        self._check_params(params or {})
        self._check_names(cypher)
        try:
            result = self.og.query(cypher, dict(params or {}), write=False, limit=limit)
        except WriteRefusedError as exc:  # the store's message names a CLI flag; say what allows writes here
            found = str(exc).split(" but was run read-only")[0]
            raise WriteRefusedError(f"{found}: queries here are read-only. Writing Cypher goes through the MCP tool write_graph "
                                    "on a server started with --mcp-writes, with the server's write token", cypher=cypher) from exc
        return {"columns": result.columns, "rows": jsonable(result.rows), "truncated": result.truncated,
                "elapsed_ms": round(result.elapsed_ms, 3)}

    def type_names(self) -> tuple[list[str], list[str]]:
        """(node labels, relationship types) of the live store and the stored schema, per data version."""
        def compute() -> tuple[list[str], list[str]]:
            live = self.og.describe()
            schema = self.og.schema()
            nodes = {t.name for t in live if t.kind == "node"} | set(schema.nodes if schema else ())
            edges = {t.name for t in live if t.kind == "edge"} | set(schema.edges if schema else ())
            return sorted(nodes), sorted(edges)
        return self._cached(("type-names",), compute)

    def _check_names(self, cypher: str) -> None:
        """A label or relationship type the store does not have matches nothing, silently: say so, with the likeliest
        meaning (400 `unknown_label`; `details.unknown` lists each with its suggestions)."""
        nodes, edges = self.type_names()
        unknown = unknown_names(cypher, nodes, edges)
        if unknown:
            raise ApiError(400, "unknown_label", "; ".join(u.text() for u in unknown) + " (labels here: " + ", ".join(nodes) + ")",
                           {"cypher": cypher, "unknown": [u.__dict__ for u in unknown], "labels": nodes, "relationship_types": edges})

    def suggestions(self, limit: int = 6, should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
        """Suggested questions for the chat, each asked once and kept only when answered (per data version).
        Stopped by `should_stop` part-way, nothing is kept (an `ApiError` 503 says so)."""
        def compute() -> dict[str, Any]:
            began = time.perf_counter()
            found = [s.to_dict() for s in self.og.suggest_questions(limit=limit, should_stop=should_stop)]
            if should_stop is not None and should_stop():
                raise ApiError(503, "busy", "the server is shutting down: suggestions were not finished")
            return {"questions": found, "data_version": self.og.store.data_version(), "seconds": round(time.perf_counter() - began, 3)}
        return self._cached(("suggestions", limit), compute)

    def write_query(self, cypher: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Cypher that may write (MCP with --allow-writes only), one write at a time."""
        self._need_writes("a writing query")
        self._check_params(params or {})
        with self.write_lock:
            result = self.og.query(cypher, dict(params or {}), write=True)
        return {"columns": result.columns, "rows": jsonable(result.rows), "truncated": result.truncated}

    def ask(self, question: str, on_stage: Callable[[Stage, bool], None] | None = None, *, session: str | None = None,
            user: str | None = None, use_cache: bool = True) -> dict[str, Any]:
        """Answer a question with checked citations; `on_stage` sees each pipeline stage start and end.

        `session` lets follow-ups refer to earlier questions; `user` scopes the semantic cache; `use_cache=False` skips it.
        """
        if not question.strip():
            raise ApiError(422, "invalid_request", "the question is empty")
        with observe_stages(on_stage) if on_stage is not None else nullcontext():
            answer = self.og.ask(question, session=session, user=user, use_cache=use_cache)
        out = jsonable(answer.to_dict())
        out["context"] = jsonable(answer.context)
        return out

    def search(self, text: str, k: int = 10, mode: SearchMode = "hybrid") -> dict[str, Any]:
        """Full-text and/or vector search over the store's indexes, fused by rank."""
        if not text.strip():
            raise ApiError(422, "invalid_request", "the search text is empty")
        result = search_index(self.og, text, k=k, mode=mode)
        hits = [
            {"id": h.source_id, "kind": h.kind, "score": h.score, "found_by": h.found_by, "text": h.text,
             "doc_id": h.detail.get("doc_id"), "type": h.detail.get("type"), "index": h.detail.get("index")}
            for h in result.hits
        ]
        return {"query": text, "mode": mode, "hits": jsonable(hits), "searched": result.searched, "notes": result.notes}

    def graph(self, limit: int | None = None, include_documents: bool = False) -> dict[str, Any]:
        """The estate as nodes and edges for drawing (documents and chunks left out unless asked)."""
        cap = min(limit or self.graph_limit, self.graph_limit)
        view = self.og.graph_view(limit=cap, include_documents=include_documents)
        return {**view, "risk_node_type": self.og.settings.risk.node_type}

    def node(self, node_id: str) -> dict[str, Any]:
        """One node: its properties, neighbours (both directions), runbooks, documents that mention it, and its risk."""
        page = jsonable(self.og.node_page(node_id))
        return {**page, "risk": self._node_risk(node_id, page["type"])}

    def _node_risk(self, node_id: str, node_type: str) -> dict[str, Any] | None:
        if node_type != self.og.settings.risk.node_type or self._current_model() is None:
            return None
        try:
            board = self.risk_board()
            score = next((n for n in board["nodes"] if n["node"] == node_id), None)
            return {"score": score, "explanation": self.risk_explain(node_id), "version": board["version"]}
        except Exception as exc:  # a node page shows what it can; the risk endpoints report the error itself
            return {"error": str(exc)}

    def document(self, doc_id: str) -> dict[str, Any]:
        """A document and its chunks in order; a chunk id (`docs/x.md#3`) names its document and that chunk."""
        return jsonable(self.og.document_page(doc_id))  # type: ignore[no-any-return]

    # -- risk ----------------------------------------------------------------------------------
    def _cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        full = (self.og.store.data_version(), self._current_model(), *key)
        with self._cache_lock:
            if full in self._cache:
                return self._cache[full]  # type: ignore[no-any-return]
        value = compute()
        with self._cache_lock:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[full] = value
        return value

    def risk_board(self) -> dict[str, Any]:
        """Every node's risk at the latest step, riskiest first, with the drift verdict."""
        def compute() -> dict[str, Any]:
            risk = self.og.risk
            scores = risk.scores()
            anomaly_only = scores.mode == "anomaly-only"
            try:
                drift: Any = {"error": "anomaly-only mode: no model, so no drift baseline"} if anomaly_only else jsonable(risk.drift())
            except Exception as exc:  # the board still shows scores when drift cannot be computed
                drift = {"error": str(exc)}
            return {
                "mode": scores.mode,
                **({"mode_note": "no failure labels (no label column, incident or SLO rule): no failure probability, "
                    "only how unusual each node's recent telemetry is; `risky` = anomaly p-value under `threshold`"} if anomaly_only else {}),
                "version": risk.current_version(), "node_type": risk.node_type, "timestamp": _iso(scores.timestamp),
                "data_age_seconds": round(age_seconds(scores.timestamp)), "data_age": age_text(scores.timestamp),
                "threshold": scores.threshold, "horizon_steps": scores.horizon, "nodes": jsonable(scores.nodes), "drift": drift,
            }
        return self._cached(("board",), compute)

    def risk_alerts(self, open_only: bool = False) -> list[dict[str, Any]]:
        """Alerts the watch loop recorded, newest first, with ISO times."""
        out = []
        for a in self.og.alerts(open_only=open_only):
            row = jsonable({k: v for k, v in a.items() if k != "key"})
            row.update(raised=_iso(a["raised"]), cleared=_iso(a["cleared"]) if a.get("cleared") is not None else None)
            out.append(row)
        return out

    def risk_explain(self, node: str, max_hops: int = 5) -> dict[str, Any]:
        """The upstream dependency path (by attention) that drives `node`'s risk."""
        return self._cached(("explain", node, max_hops), lambda: jsonable(self.og.risk.explain(node, max_hops=max_hops)))

    def root_cause(self, node: str) -> dict[str, Any]:
        """The investigation of a symptom on `node` (ranked causes with evidence); the attention path of its risk as
        supporting detail, or as the answer when there is nothing to investigate (no onset in its telemetry)."""
        try:
            legacy: dict[str, Any] | None = self._attention_root_cause(node)
        except OpsGraphError:
            legacy = None  # no model yet: the investigation stands alone
        try:
            inv = self.og.investigate(node)
        except OpsGraphError as exc:
            if legacy is None:
                raise
            return {**legacy, "investigation": None, "investigation_note": str(exc)}
        top = inv.candidates[0] if inv.candidates else None
        path = inv.paths.get(top.node) if top else None
        summary = f"{node}: most likely cause {top.node} ({top.reason}); {inv.confidence}" if top else f"{node}: {inv.confidence}"
        return {"node": node, "summary": summary, "anchor": top.node if top else None,
                "chain": path.text() if path else node, "investigation": jsonable(inv.as_dict()), "attention": legacy}

    def start_investigation(self, target: str, at: str | None = None, window: str = "30m") -> Job:
        """Investigate `target` as a job (progress by stage); the result is kept with the job and listed."""
        def work(progress: ProgressFn) -> Any:
            inv = self.og.investigate(target, at=at, window=window, progress=lambda stage, frac: progress(stage, int(frac * 100), 100))
            return jsonable(inv.as_dict())

        return self.jobs.submit("investigation", {"target": target, "at": at, "window": window}, work)

    def investigate(self, target: str, at: str | None = None, window: str = "30m") -> dict[str, Any]:
        """One investigation, run now (the MCP tool; the HTTP API runs them as jobs)."""
        return jsonable(self.og.investigate(target, at=at, window=window).as_dict())

    def investigations(self) -> list[dict[str, Any]]:
        """Investigation jobs this server kept, newest first, with their results."""
        return [j.to_dict() for j in reversed(self.jobs.list()) if j.kind == "investigation"]

    def _attention_root_cause(self, node: str) -> dict[str, Any]:
        ex = self.risk_explain(node)
        path = ex["path"]
        anchor_id = path[-1]["dependency"] if path else node
        chain = " <- ".join([node, *[h["dependency"] for h in path]])
        anchor = self.node(anchor_id) if anchor_id != node else None
        if path:
            last = path[-1]
            summary = (f"{node} (risk {ex['probability']:.2f}) is driven most by {anchor_id} "
                       f"(its own risk {last['dependency_probability']:.2f}) along {chain}")
        else:
            summary = f"{node} (risk {ex['probability']:.2f}) is driven by its own telemetry (self-attention {ex['self_attention']:.2f})"
        return {
            "node": node, "probability": ex["probability"], "path": path, "chain": chain, "anchor": anchor_id,
            "anchor_runbooks": anchor["runbooks"] if anchor else [], "anchor_documents": anchor["documents"] if anchor else [],
            "summary": summary,
        }

    def risk_drift(self) -> dict[str, Any]:
        return self._cached(("drift",), lambda: jsonable(self.og.risk.drift()))

    def risk_trends(self, steps: int = 60) -> dict[str, Any]:
        """Recent telemetry of the risk model's nodes, for sparklines: per node, the last `steps` values of each feature."""
        def compute() -> dict[str, Any]:
            node_type = self.og.settings.risk.node_type
            frame = self.og.store.read_telemetry(node_type)
            if len(frame.timestamps) == 0:
                return {"node_type": node_type, "features": [], "timestamps": [], "nodes": {}}
            values = frame.values[-steps:]
            return {
                "node_type": node_type, "features": list(frame.features),
                "timestamps": [_iso(t) for t in frame.timestamps[-steps:]],
                "nodes": {n: {f: jsonable(values[:, i, j]) for j, f in enumerate(frame.features)} for i, n in enumerate(frame.node_ids)},
            }
        return self._cached(("trends", steps), compute)

    def risk_models(self) -> list[dict[str, Any]]:
        return [jsonable({k: m.get(k) for k in _MODEL_KEYS}) for m in self.og.risk.models()]

    def promote(self, version: str) -> dict[str, Any]:
        self._need_writes("promoting a model")
        known = [m["version"] for m in self.og.risk.models()]
        if version not in known:
            raise ApiError(404, "version_not_found", f"no risk model version {version!r}; versions: {', '.join(known) or 'none (train one first)'}")
        with self.write_lock:
            self.og.risk.promote(version)
        return {"current": self.og.risk.current_version()}

    def rollback(self) -> dict[str, Any]:
        self._need_writes("rolling back a model")
        with self.write_lock:
            version = self.og.risk.rollback()
        return {"current": version}

    # -- jobs --------------------------------------------------------------------------------
    def start_ingest(self, path: str, documents: bool = True) -> Job:
        """Check the folder now (so a bad path writes nothing and says so), then ingest it as a job."""
        self._need_writes("ingesting")
        if not path.strip():
            raise ApiError(422, "invalid_request", "the path is empty: give the estate folder's path on the server")
        if "\x00" in path:
            raise ApiError(400, "invalid_path", "the path holds a NUL byte: no file name can contain one")
        if not self.ingest_roots:
            raise ApiError(403, "path_not_allowed", "this server ingests from no folder: set serve.ingest_roots, or ingest the home's "
                           "first estate with `opsgraph ingest` (its folder is then allowed)")
        folder = Path(path).expanduser()
        folder = folder.resolve() if folder.is_absolute() else (Path.cwd() / folder).resolve()
        if self.ingest_roots and not any(folder == r or r in folder.parents for r in self.ingest_roots):
            roots = ", ".join(map(str, self.ingest_roots))
            raise ApiError(403, "path_not_allowed", f"{folder} is outside the folders this server ingests from ({roots}); see serve.ingest_roots")
        if not folder.is_dir():
            raise ApiError(422, "path_not_found", f"{folder} is not a folder on the server: give the path of an estate folder (with schema.yaml)")
        if not (folder / "schema.yaml").is_file():
            raise ApiError(422, "not_an_estate", f"{folder} has no schema.yaml: an estate folder holds schema.yaml, nodes/, edges/ (docs/, telemetry/)")

        def work(progress: ProgressFn) -> Any:
            report = self.og.ingest(folder, progress=progress, documents=documents)
            totals = report.totals()
            return jsonable({"estate": report.estate, "data_version": report.data_version, "created": totals.created,
                             "updated": totals.updated, "unchanged": totals.unchanged, "nodes": report.nodes, "edges": report.edges,
                             "telemetry": report.telemetry, "documents": report.documents})

        return self.jobs.submit("ingest", {"path": str(folder), "documents": documents}, work)

    def start_train(self, overrides: Mapping[str, Any] | None = None) -> Job:
        """Train a new risk model version on the stored telemetry, as a job (progress per epoch)."""
        self._need_writes("training")
        try:
            self.og.risk.config(overrides)  # refuse bad settings now, not in a failed job
        except Exception as exc:
            raise ApiError(422, "invalid_request", str(exc)) from exc

        def work(progress: ProgressFn) -> Any:
            def on_epoch(epoch: int, total: int, metrics: dict[str, float]) -> None:
                progress("epochs", epoch, total)
            version, metrics = self.og.risk.train(on_epoch, overrides=overrides)
            return jsonable({"version": version, "current": self.og.risk.current_version(), "metrics": metrics})

        return self.jobs.submit("train", {"overrides": dict(overrides or {})}, work)
