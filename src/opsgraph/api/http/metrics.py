"""Prometheus metrics of one server: requests, latency, answers, jobs.

With `prometheus_client` installed (the `serve` extra) the metrics live in a
registry of their own (so several apps in one process, as in tests, do not
collide); without it a small text exposition of the same counters is written
here. Routes are labelled by their template (`/v1/nodes/{node_id}`), never the
raw path, so the number of series stays bounded.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Gauges = Callable[[], dict[str, dict[tuple[str, ...], float]]]
"""Called at scrape time: gauge name -> {label values: value}."""

_GAUGES = {
    "opsgraph_jobs": ("Jobs of this server by state.", ("state",)),
    "opsgraph_store_items": ("Nodes and edges in the store.", ("kind",)),
}


class Metrics:
    """Counters and histograms; `render()` gives the exposition text."""

    def __init__(self, gauges: Gauges | None = None, *, use_prometheus_client: bool = True) -> None:
        self.gauges = gauges
        self._client: Any = None
        if use_prometheus_client:
            try:
                import prometheus_client
            except ImportError:
                prometheus_client = None  # type: ignore[assignment]
            if prometheus_client is not None:
                self._client = prometheus_client
                self._setup_client()
        if self._client is None:
            self._lock = threading.Lock()
            self._counts: dict[tuple[str, tuple[str, ...]], float] = defaultdict(float)
            self._hist: dict[tuple[str, tuple[str, ...]], list[float]] = {}

    @property
    def backend(self) -> str:
        return "prometheus_client" if self._client is not None else "builtin"

    def _setup_client(self) -> None:
        pc = self._client
        self.registry = pc.CollectorRegistry()
        self._requests = pc.Counter("opsgraph_http_requests", "HTTP requests by method, route and status.",
                                    ("method", "route", "status"), registry=self.registry)
        self._latency = pc.Histogram("opsgraph_http_request_duration_seconds", "HTTP request latency by method and route.",
                                     ("method", "route"), buckets=BUCKETS, registry=self.registry)
        self._asks = pc.Counter("opsgraph_ask", "Questions answered, by outcome.", ("outcome",), registry=self.registry)
        self._ask_latency = pc.Histogram("opsgraph_ask_duration_seconds", "Time to answer a question.", buckets=BUCKETS,
                                         registry=self.registry)
        self._gauges = {name: pc.Gauge(name, help_, labels, registry=self.registry) for name, (help_, labels) in _GAUGES.items()}

    # -- recording --------------------------------------------------------------------
    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        if self._client is not None:
            self._requests.labels(method, route, str(status)).inc()
            self._latency.labels(method, route).observe(seconds)
            return
        with self._lock:
            self._counts[("opsgraph_http_requests_total", (method, route, str(status)))] += 1
            self._observe("opsgraph_http_request_duration_seconds", (method, route), seconds)

    def ask(self, outcome: str, seconds: float) -> None:
        if self._client is not None:
            self._asks.labels(outcome).inc()
            self._ask_latency.observe(seconds)
            return
        with self._lock:
            self._counts[("opsgraph_ask_total", (outcome,))] += 1
            self._observe("opsgraph_ask_duration_seconds", (), seconds)

    def _observe(self, name: str, labels: tuple[str, ...], seconds: float) -> None:
        h = self._hist.setdefault((name, labels), [0.0] * (len(BUCKETS) + 2))  # buckets..., count, sum
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                h[i] += 1
        h[-2] += 1
        h[-1] += seconds

    # -- exposition ----------------------------------------------------------------------
    def render(self) -> bytes:
        current = self.gauges() if self.gauges else {}
        if self._client is not None:
            for name, gauge in self._gauges.items():
                for labels, value in current.get(name, {}).items():
                    gauge.labels(*labels).set(value)
            return bytes(self._client.generate_latest(self.registry))
        return self._render_builtin(current).encode()

    def _render_builtin(self, current: dict[str, dict[tuple[str, ...], float]]) -> str:
        label_names = {
            "opsgraph_http_requests_total": ("method", "route", "status"),
            "opsgraph_http_request_duration_seconds": ("method", "route"),
            "opsgraph_ask_total": ("outcome",),
            "opsgraph_ask_duration_seconds": (),
            **{k: v[1] for k, v in _GAUGES.items()},
        }

        def fmt(name: str, labels: tuple[str, ...], extra: str = "") -> str:
            pairs = [extra] if extra else []  # `le` first, as prometheus_client writes it
            pairs += [f'{k}="{_escape(v)}"' for k, v in zip(label_names[name], labels, strict=False)]
            return "{" + ",".join(pairs) + "}" if pairs else ""

        out: list[str] = []
        with self._lock:
            for name, help_ in (("opsgraph_http_requests_total", "HTTP requests by method, route and status."),
                                ("opsgraph_ask_total", "Questions answered, by outcome.")):
                out += [f"# HELP {name} {help_}", f"# TYPE {name} counter"]
                out += [f"{name}{fmt(name, labels)} {value}" for (n, labels), value in sorted(self._counts.items()) if n == name]
            for name, help_ in (("opsgraph_http_request_duration_seconds", "HTTP request latency by method and route."),
                                ("opsgraph_ask_duration_seconds", "Time to answer a question.")):
                out += [f"# HELP {name} {help_}", f"# TYPE {name} histogram"]
                for (n, labels), h in sorted(self._hist.items()):
                    if n != name:
                        continue
                    for bound, count in zip(BUCKETS, h, strict=False):
                        le = 'le="' + str(bound) + '"'
                        out.append(f"{name}_bucket{fmt(name, labels, le)} {count}")
                    inf = 'le="+Inf"'
                    out.append(f"{name}_bucket{fmt(name, labels, inf)} {h[-2]}")
                    out.append(f"{name}_count{fmt(name, labels)} {h[-2]}")
                    out.append(f"{name}_sum{fmt(name, labels)} {h[-1]}")
        for name, (help_, _) in _GAUGES.items():
            out += [f"# HELP {name} {help_}", f"# TYPE {name} gauge"]
            out += [f"{name}{fmt(name, labels)} {value}" for labels, value in sorted(current.get(name, {}).items())]
        return "\n".join(out) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
