"""A client of Prometheus' HTTP API that pulls telemetry features per node: Prometheus, VictoriaMetrics, Thanos, Mimir.

For each node type and each of its telemetry features, the source's configured PromQL query
is run as a range query (`GET /api/v1/query_range`) over the window the caller asks for, at
the schema's telemetry step, in chunks of at most `max_points` points per series (Prometheus
refuses more than 11,000). Each series' `node_label` value (a pod name mapped to its
workload when `pod_to_workload`) names the node; series naming no node the store knows are
counted and listed in `TelemetryPull.unknown`, never dropped silently.

Failures are mapped to `PrometheusError` with what to do: connection refused, timeouts and
5xx answers are retried with exponential back-off (`retries`, `backoff_seconds`); 4xx
answers are not (a wrong token or a bad query does not heal by retrying); a truncated or
non-JSON body and an answer marked partial (`isPartial`, as VictoriaMetrics and Thanos
send) are errors, so a caller never stores half a pull.

This module reads no environment and writes no store: the `app` layer resolves secrets
and `ingest.telemetry_pull` writes the result inside one `store.atomic(...)` block.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

from opsgraph.errors import SourceError
from opsgraph.schema import GraphSchema
from opsgraph.sources.base import KnownIds
from opsgraph.sources.prometheus_settings import PrometheusSettings
from opsgraph.sources.traces import service_of_pod

__all__ = [
    "PrometheusClient",
    "PrometheusError",
    "PulledType",
    "TelemetryPull",
    "aligned",
    "build_range_params",
    "check_queries",
    "chunk_windows",
    "default_windows",
    "pull_telemetry",
    "service_of_pod",
]

Sleep = Callable[[float], None]

SHOW_UNKNOWN = 20
"""Unknown series listed by name in reports (all are counted)."""


class PrometheusError(SourceError):
    """A Prometheus-compatible server could not give the telemetry asked for; nothing was stored.

    `upstream_status` is that server's HTTP status when there was an answer, `retriable` whether retrying could
    help. `status` stays the status opsgraph's own API answers with: 502 when the server failed or refused (its
    401 is not the API client's), 422 for a setting or query opsgraph refuses before asking.
    """

    def __init__(self, message: str, *, upstream_status: int | None = None, retriable: bool = False, field: str = "") -> None:
        self.upstream_status = upstream_status
        self.retriable = retriable
        if retriable or upstream_status is not None:
            self.status = 502
        super().__init__(message, field=field)


# -- pods -> workloads: `service_of_pod` (imported from sources.traces, one set of Kubernetes naming rules) ------------------


# -- request building -----------------------------------------------------------------------------
def chunk_windows(start: int, end: int, step: int, max_points: int) -> list[tuple[int, int]]:
    """Split the aligned steps `start..end` (inclusive) into windows of at most `max_points` steps each.

    `start` and `end` must be multiples of `step`; an empty list when `start > end`.
    """
    if step <= 0:
        raise ValueError("step must be positive")
    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    if start % step or end % step:
        raise ValueError(f"start {start} and end {end} must be multiples of the step {step}")
    out = []
    span = (max_points - 1) * step
    s = start
    while s <= end:
        e = min(s + span, end)
        out.append((s, e))
        s = e + step
    return out


def build_range_params(query: str, start: int, end: int, step: int, timeout_seconds: float) -> dict[str, str]:
    """Query-string parameters of one `/api/v1/query_range` request."""
    return {"query": query, "start": str(int(start)), "end": str(int(end)), "step": f"{int(step)}s", "timeout": f"{max(1, math.ceil(timeout_seconds))}s"}


def check_queries(settings: PrometheusSettings, schema: GraphSchema, source: str) -> None:
    """Every configured node type exists and every feature is one of that type's telemetry features."""
    for node_type, features in settings.queries.items():
        nt = schema.nodes.get(node_type)
        if nt is None:
            raise SourceError(
                f"source {source!r}: prometheus.queries names node type {node_type!r}, which the schema lacks (it has {', '.join(sorted(schema.nodes))})",
                field=f"prometheus.queries.{node_type}",
            )
        for feature, query in features.items():
            if feature not in nt.telemetry:
                known = ", ".join(nt.telemetry) or "none declared"
                raise SourceError(
                    f"source {source!r}: {feature!r} is not a telemetry feature of {node_type} in the schema (it has: {known})",
                    field=f"prometheus.queries.{node_type}.{feature}",
                )
            if not query.strip():
                raise SourceError(f"source {source!r}: the query of {node_type}.{feature} is empty", field=f"prometheus.queries.{node_type}.{feature}")


# -- the HTTP client ------------------------------------------------------------------------------
class PrometheusClient:
    """Talks to one server. Constructing does no I/O; use as a context manager (or `open()`/`close()`).

    `token` / `password` are the secrets the `app` layer read from the environment variables the
    settings name; `transport` is for tests that need an in-process server (default: the network).
    """

    def __init__(
        self,
        settings: PrometheusSettings,
        *,
        token: str | None = None,
        password: str | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.settings = settings
        self._token = token
        self._password = password
        self._transport = transport
        self._sleep = sleep
        self._client: httpx.Client | None = None
        self.requests = 0
        """HTTP requests sent (retries included)."""
        self.bytes = 0
        """Response body bytes received."""

    def open(self) -> PrometheusClient:
        s = self.settings
        headers = {"Accept": "application/json", "User-Agent": "opsgraph-prometheus-source"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        auth = httpx.BasicAuth(s.basic_user, self._password or "") if s.basic_user is not None else None
        verify: Any = True
        if s.insecure_skip_verify:
            verify = False
        elif s.ca_file is not None:
            if not s.ca_file.is_file():
                raise PrometheusError(f"prometheus.ca_file {s.ca_file} does not exist (expected a PEM file of the server's CA)", field="prometheus.ca_file")
            import ssl

            verify = ssl.create_default_context(cafile=str(s.ca_file))
        self._client = httpx.Client(
            base_url=s.url, headers=headers, auth=auth, verify=verify, timeout=httpx.Timeout(s.timeout_seconds), transport=self._transport, follow_redirects=True
        )
        return self

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> PrometheusClient:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one request, with retries and error mapping ----------------------------------------
    def get_json(self, path: str, params: Mapping[str, str] | None = None, *, what: str = "") -> dict[str, Any]:
        """GET `path` and return its JSON envelope's `data` (or the whole body when it has no envelope)."""
        if self._client is None:
            raise RuntimeError("PrometheusClient is not open: use it as a context manager")
        what = what or path
        attempts = self.settings.retries + 1
        last: PrometheusError | None = None
        for attempt in range(attempts):
            if attempt:
                self._sleep(self.settings.backoff_seconds * 2 ** (attempt - 1))
            try:
                return self._once(path, params, what)
            except PrometheusError as exc:
                if not exc.retriable:
                    raise
                last = exc
        assert last is not None
        raise PrometheusError(f"{last} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})", upstream_status=last.upstream_status, retriable=True, field=last.field)

    def _once(self, path: str, params: Mapping[str, str] | None, what: str) -> dict[str, Any]:
        assert self._client is not None
        url = f"{self.settings.url}{path}"
        self.requests += 1
        try:
            resp = self._client.get(path, params=dict(params or {}))
        except httpx.TimeoutException as exc:
            raise PrometheusError(f"{url}: no answer within {self.settings.timeout_seconds:g} s ({type(exc).__name__}) for {what}", retriable=True) from exc
        except httpx.ConnectError as exc:
            raise PrometheusError(f"{url}: cannot connect ({exc}); is the server running and the url right?", retriable=True) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise PrometheusError(f"{url}: the connection broke while reading the answer for {what} ({exc}): partial response", retriable=True) from exc
        except httpx.HTTPError as exc:
            raise PrometheusError(f"{url}: request failed for {what}: {exc}", retriable=True) from exc
        self.bytes += len(resp.content)
        status = resp.status_code
        body: Any = None
        try:
            body = resp.json()
        except ValueError:
            body = None
        detail = ""
        if isinstance(body, dict) and body.get("status") == "error":
            detail = f"{body.get('errorType', 'error')}: {body.get('error', '')}"
        elif status >= 400:
            detail = resp.text.strip()[:300]
        if status in (401, 403):
            how = "bearer token (prometheus.bearer_token_env)" if self._token is not None else (
                "basic auth (prometheus.basic_user / basic_password_env)" if self.settings.basic_user else "no credentials configured")
            raise PrometheusError(f"{url}: HTTP {status}, the server refused the credentials ({how}): {detail}", upstream_status=status)  # fmt: skip
        if status >= 500:
            raise PrometheusError(f"{url}: server error HTTP {status} for {what}: {detail}", upstream_status=status, retriable=True)
        if status >= 400:
            raise PrometheusError(f"{url}: HTTP {status}, the server rejected {what}: {detail}", upstream_status=status)
        if not isinstance(body, dict):
            raise PrometheusError(f"{url}: the answer for {what} is not a JSON object (truncated or not a Prometheus API): {resp.text[:200]!r}", upstream_status=status)
        if body.get("status") == "error":
            raise PrometheusError(f"{url}: {what} failed: {detail}", upstream_status=status)
        if body.get("isPartial") is True or body.get("partial") is True:
            raise PrometheusError(f"{url}: the server answered {what} with partial data (isPartial); nothing stored, pull again later", upstream_status=status)
        data = body.get("data", body) if "status" in body else body
        if not isinstance(data, dict):
            data = {"value": data}
        warnings = body.get("warnings") or []
        if warnings:
            data = {**data, "_warnings": [str(w) for w in warnings]}
        return data

    # -- API calls ------------------------------------------------------------------------------
    def check(self) -> dict[str, Any]:
        """Is the server there and speaking Prometheus' API? Its build info (version) when it tells."""
        try:
            info = self.get_json("/api/v1/status/buildinfo", what="the build info")
            return {"ok": True, "version": info.get("version"), "url": self.settings.url}
        except PrometheusError as exc:
            if exc.upstream_status != 404:
                raise
        # VictoriaMetrics and some proxies have no buildinfo: a trivial query proves the API works.
        self.get_json("/api/v1/query", {"query": "1"}, what="a probe query")
        return {"ok": True, "version": None, "url": self.settings.url}

    def query_range(self, query: str, start: int, end: int, step: int, *, what: str = "") -> tuple[list[dict[str, Any]], list[str]]:
        """The series (`{"metric": labels, "values": [[ts, "v"], ...]}`) of one range query, and the server's warnings."""
        data = self.get_json("/api/v1/query_range", build_range_params(query, start, end, step, self.settings.timeout_seconds), what=what or f"query {query!r}")
        kind = data.get("resultType")
        if kind != "matrix":
            raise PrometheusError(f"{what or query}: the query returns a {kind}, expected a range vector (resultType matrix)", field="prometheus.queries")
        result = data.get("result")
        if not isinstance(result, list):
            raise PrometheusError(f"{what or query}: the answer has no result list", field="prometheus.queries")
        return result, list(data.get("_warnings", []))


# -- pulling ----------------------------------------------------------------------------------------
@dataclass
class PulledType:
    """Telemetry of one node type over one window: `values[step, node, feature]` (NaN where absent)."""

    node_type: str
    features: list[str]
    node_ids: list[str]
    steps: np.ndarray
    values: np.ndarray

    def rows(self, nodes: slice | None = None) -> list[dict[str, Any]]:
        """Rows for `GraphStore.write_telemetry` (of the `nodes` slice; steps where a node has no value at all are left out)."""
        out: list[dict[str, Any]] = []
        present = ~np.isnan(self.values).all(axis=2)
        chosen = range(len(self.node_ids))[nodes or slice(None)]
        for n in chosen:
            node = self.node_ids[n]
            for t in np.flatnonzero(present[:, n]):
                vals = [None if math.isnan(v) else float(v) for v in self.values[t, n].tolist()]
                out.append({"node": node, "ts": int(self.steps[t]), "values": vals, "label": None})
        return out

    def points(self) -> int:
        return int((~np.isnan(self.values)).sum())

    def last_present(self) -> int | None:
        """The newest step at which some node has a value."""
        present = ~np.isnan(self.values).all(axis=(1, 2)) if self.values.size else np.zeros(0, dtype=bool)
        hits = np.flatnonzero(present)
        return int(self.steps[hits[-1]]) if len(hits) else None


@dataclass
class TelemetryPull:
    """What one pull fetched: per node type its values; unknown series counted and named."""

    source: str
    step: int
    types: dict[str, PulledType] = field(default_factory=dict)
    windows: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Node type -> (first step, last step) asked for (inclusive)."""
    unknown: dict[str, int] = field(default_factory=dict)
    """`Type.feature {label=value}` -> points of series naming no known node."""
    unknown_series: int = 0
    requests: int = 0
    bytes: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def points(self) -> int:
        return sum(t.points() for t in self.types.values())

    def as_dict(self) -> dict[str, Any]:
        shown = sorted(self.unknown.items(), key=lambda kv: (-kv[1], kv[0]))[:SHOW_UNKNOWN]
        return {
            "step": self.step, "windows": {k: list(v) for k, v in self.windows.items()},
            "nodes": {k: len(v.node_ids) for k, v in self.types.items()}, "points": self.points(),
            "unknown_series": self.unknown_series, "unknown": dict(shown), "requests": self.requests, "bytes": self.bytes,
            "warnings": self.warnings[:20], "seconds": round(self.seconds, 3),
        }  # fmt: skip


def _aggregate(acc: dict[str, tuple[np.ndarray, np.ndarray]], node: str, idx: np.ndarray, vals: np.ndarray, n_steps: int, how: str) -> None:
    cur = acc.get(node)
    if cur is None:
        cur = (np.full(n_steps, np.nan), np.zeros(n_steps))
        acc[node] = cur
    total, count = cur
    fresh = np.isnan(total[idx])
    if how in ("mean", "sum"):
        total[idx] = np.where(fresh, vals, total[idx] + vals)
    elif how == "max":
        total[idx] = np.where(fresh, vals, np.maximum(total[idx], vals))
    else:
        total[idx] = np.where(fresh, vals, np.minimum(total[idx], vals))
    count[idx] += 1


def pull_telemetry(
    client: PrometheusClient,
    settings: PrometheusSettings,
    schema: GraphSchema,
    windows: Mapping[str, tuple[int, int]],
    *,
    source: str,
    known_ids: KnownIds,
    step: int | None = None,
) -> TelemetryPull:
    """Run every configured query over its node type's window (inclusive aligned steps) and shape the answers.

    Raises `PrometheusError` on the first request that fails for good: the caller stores nothing.
    """
    began = time.perf_counter()
    check_queries(settings, schema, source)
    step = int(step or schema.telemetry.interval_seconds)
    pull = TelemetryPull(source, step, windows=dict(windows))
    requests0, bytes0 = client.requests, client.bytes
    for node_type, queries in settings.queries.items():
        if node_type not in windows:
            continue
        start, end = windows[node_type]
        if start > end:
            continue
        label = settings.label_for(node_type)
        features = list(schema.nodes[node_type].telemetry)
        n_steps = (end - start) // step + 1
        per_feature: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        raw_names: dict[str, list[tuple[str, str, int]]] = {}  # node id -> (feature, label value, points) for the unknown report
        for feature, query in queries.items():
            acc: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            for c_start, c_end in chunk_windows(start, end, step, settings.max_points):
                series, warnings = client.query_range(query, c_start, c_end, step, what=f"{source}: {node_type}.{feature}")
                pull.warnings.extend(f"{node_type}.{feature}: {w}" for w in warnings)
                for s in series:
                    metric = s.get("metric") or {}
                    values = s.get("values") or []
                    name = metric.get(label)
                    if name is None:
                        shown = "{" + ", ".join(f"{k}={v!r}" for k, v in sorted(metric.items())) + "}"
                        key = f"{node_type}.{feature} {shown} (no label {label!r})"
                        pull.unknown[key] = pull.unknown.get(key, 0) + len(values)
                        pull.unknown_series += 1
                        continue
                    node = service_of_pod(str(name)) if settings.pod_to_workload else str(name)
                    if not values:
                        continue
                    ts, vals = _series_arrays(values)
                    idx = np.rint((ts - start) / step).astype(np.int64)
                    ok = (idx >= 0) & (idx < n_steps) & ~np.isnan(vals)
                    if not ok.any():
                        continue
                    _aggregate(acc, node, idx[ok], vals[ok], n_steps, settings.aggregate)
                    raw_names.setdefault(node, []).append((feature, str(name), int(ok.sum())))
            per_feature[feature] = acc
        candidates = sorted({n for acc in per_feature.values() for n in acc})
        known = known_ids(candidates) if candidates else {}
        ok_nodes = [n for n in candidates if known.get(n) == node_type]
        for n in candidates:
            if known.get(n) == node_type:
                continue
            why = "no such node" if n not in known else f"a {known[n]}, not a {node_type}"
            for feature, raw, pts in raw_names.get(n, []):
                key = f"{node_type}.{feature} {{{label}={raw!r}}} ({why})"
                pull.unknown[key] = pull.unknown.get(key, 0) + pts
                pull.unknown_series += 1
        values_arr = np.full((n_steps, len(ok_nodes), len(features)), np.nan)
        for f_i, feature in enumerate(features):
            got_feature = per_feature.get(feature)
            if not got_feature:
                continue
            for n_i, node in enumerate(ok_nodes):
                got = got_feature.get(node)
                if got is None:
                    continue
                total, count = got
                values_arr[:, n_i, f_i] = total / np.where(count > 0, count, 1) if settings.aggregate == "mean" else total
        steps = np.arange(start, end + step, step, dtype=np.int64)[:n_steps]
        pull.types[node_type] = PulledType(node_type, features, ok_nodes, steps, values_arr)
    pull.requests = client.requests - requests0
    pull.bytes = client.bytes - bytes0
    pull.seconds = time.perf_counter() - began
    return pull


def _series_arrays(values: Sequence[Sequence[Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Timestamps and values of `[[ts, "value"], ...]` (values arrive as strings: "NaN", "+Inf" included)."""
    ts = np.fromiter((p[0] for p in values), dtype=np.float64, count=len(values))
    try:
        vals = np.array([p[1] for p in values], dtype=np.float64)
    except (TypeError, ValueError):
        vals = np.array([_num(p[1]) for p in values], dtype=np.float64)
    vals[~np.isfinite(vals)] = np.nan
    return ts, vals


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def aligned(ts: float, step: int) -> int:
    """`ts` rounded down to a multiple of `step`."""
    return int(ts) - int(ts) % step


def default_windows(
    settings: PrometheusSettings, last_steps: Mapping[str, int | None], *, now: float, step: int
) -> dict[str, tuple[int, int]]:
    """Per node type: from the step after the last stored one (else `now - lookback_seconds`) to the last whole step before `now - delay_seconds`."""
    end = aligned(now - settings.delay_seconds, step)
    out: dict[str, tuple[int, int]] = {}
    for node_type in settings.queries:
        last = last_steps.get(node_type)
        start = aligned(last, step) + step if last is not None else aligned(now - settings.lookback_seconds, step)
        out[node_type] = (start, end)
    return out


def type_names(settings: PrometheusSettings) -> Sequence[str]:
    return list(settings.queries)
