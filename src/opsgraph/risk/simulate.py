"""A seeded simulator of service estates whose failures can be predicted.

What it is for: tests, benchmarks and demos of the risk layer. It must not be
used to fill real estates with data, and it does no I/O except
`write_telemetry_csv`.

The estate
    `n_nodes` services with dependency edges `(src, dst)` meaning *src depends
    on dst* (src calls dst). Generated graphs are DAG-ish: node i depends on
    about `edges_per_node` nodes of higher index, so low indices are front ends
    and high indices are back ends. An explicit edge list may be given instead
    (cycles allowed).

Telemetry
    Per node and step: `cpu` (%), `memory` (%), `latency_p95_ms`, `error_rate`
    (0-1) and `requests_per_s`, from a per-node baseline, a daily-like load
    cycle of `period_steps` (phase from absolute time, so consecutive runs
    continue each other) and multiplicative noise. Other feature names are
    random mixtures of these signals.

Incidents (what there is to learn)
    A root incident starts at a node at rate `incident_rate` per node and step.
    It has a *precursor* of `precursor_steps` during which a degradation of its
    kind (latency, memory leak, CPU saturation) ramps up as
    ``severity = (k / P) ** 1.5`` for k = 1..P, then a *failure* of
    `failure_steps` (errors and latency jump, throughput drops), then a short
    recovery. When a node fails, each of its dependants (callers) follows with
    probability `propagation`: after `delay_steps` it degrades (latency and
    errors of waiting on a broken dependency) for 1-3 steps and then fails
    itself, recursively up the call chain. A node carries one incident at a
    time.

Labels
    `labels[t, n] = 1` iff node n is in the failure state at step t (the
    telemetry label an estate records). The prediction target "fails within
    `horizon` steps after t" is derived from it by `failure_targets` (and by the
    dataset builder), never stored.

Drift mode (`mode="drift"`)
    Load shifted (requests x1.8, CPU +15 points, latency x1.3), incidents 1.5x
    more frequent, and a new failure pattern (connection errors: error bursts
    with *lower* latency and retry storms) alongside the old ones.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np

from opsgraph.store.base import TelemetryFrame

DEFAULT_FEATURES: tuple[str, ...] = ("cpu", "memory", "latency_p95_ms", "error_rate", "requests_per_s")
"""Feature names the simulator models directly."""
EPOCH0 = 1_767_225_600
"""2026-01-01T00:00:00Z, the default start of simulated time."""

_KINDS_NORMAL = ("latency", "memory_leak", "cpu_saturation")
_KINDS_DRIFT = ("connection_errors", "connection_errors", "latency", "memory_leak")
_UPSTREAM = "upstream"


@dataclass(frozen=True)
class Incident:
    """One node's incident (root cause or propagated)."""

    node: str
    """Node id."""
    kind: str
    """latency | memory_leak | cpu_saturation | connection_errors | upstream."""
    precursor_start: int
    """Step index at which degradation starts."""
    failure_start: int
    """First failing step index."""
    failure_end: int
    """Step index after the last failing step."""
    cause: str | None = None
    """The dependency whose failure propagated here; None for a root incident."""


@dataclass(frozen=True)
class SimulatedEstate:
    """An estate and its telemetry (see the module docstring for the semantics)."""

    node_ids: list[str]
    """Node ids, the order of axis 1."""
    edges: list[tuple[str, str]]
    """(src, dst): src depends on dst; failures travel dst -> src."""
    features: list[str]
    """Feature names, the order of axis 2."""
    timestamps: np.ndarray
    """int64 epoch seconds [T], fixed interval."""
    values: np.ndarray
    """float32 [T, N, F]; NaN where a value is missing."""
    labels: np.ndarray
    """int8 [T, N]: 1 = failing at that step."""
    incidents: list[Incident] = field(default_factory=list)
    """Every incident, in order of start."""
    mode: str = "normal"
    """normal | drift."""

    def to_frame(self) -> TelemetryFrame:
        """The telemetry as the store would return it."""
        return TelemetryFrame(
            node_ids=list(self.node_ids),
            features=list(self.features),
            timestamps=self.timestamps.copy(),
            values=self.values.copy(),
            labels=self.labels.copy(),
        )


def failure_targets(labels: np.ndarray, horizon: int) -> np.ndarray:
    """Prediction targets from failure labels.

    `target[t, n]` is 1 if `labels[s, n] == 1` for some s in (t, t + horizon];
    else -1 (unknown) if any of those steps is unknown (-1) or beyond the data;
    else 0. `horizon == 0` returns the labels unchanged.
    """
    labels = np.asarray(labels, dtype=np.int8)
    if horizon < 0:
        raise ValueError("horizon must be >= 0")
    if horizon == 0:
        return labels.copy()
    t = labels.shape[0]
    padded = np.concatenate([labels, np.full((horizon, *labels.shape[1:]), -1, np.int8)])
    future = np.stack([padded[k : k + t] for k in range(1, horizon + 1)])
    pos = (future == 1).any(axis=0)
    unknown = (future == -1).any(axis=0)
    return np.where(pos, 1, np.where(unknown, -1, 0)).astype(np.int8)


def _random_edges(rng: np.random.Generator, n: int, edges_per_node: float) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    whole, frac = int(edges_per_node), edges_per_node - int(edges_per_node)
    for i in range(n - 1):
        k = whole + int(rng.random() < frac)
        k = max(1, min(k, n - 1 - i))
        # Prefer nearby back ends, so the graph has tiers rather than a star.
        cand = np.arange(i + 1, n)
        weights = 1.0 / (1.0 + (cand - i - 1) * 0.5)
        picks = rng.choice(cand, size=k, replace=False, p=weights / weights.sum())
        out.extend((i, int(j)) for j in sorted(picks))
    return out


def simulate_estate(
    n_nodes: int = 12,
    n_steps: int = 600,
    *,
    edges_per_node: float = 1.5,
    edges: Sequence[tuple[str, str]] | None = None,
    node_ids: Sequence[str] | None = None,
    features: Sequence[str] = DEFAULT_FEATURES,
    seed: int = 0,
    run_seed: int | None = None,
    start: int = EPOCH0,
    interval_seconds: int = 60,
    mode: Literal["normal", "drift"] = "normal",
    incident_rate: float = 1 / 250,
    propagation: float = 0.8,
    precursor_steps: tuple[int, int] = (5, 10),
    failure_steps: tuple[int, int] = (4, 10),
    delay_steps: tuple[int, int] = (1, 3),
    period_steps: int = 240,
    noise: float = 0.05,
    missing_rate: float = 0.0,
) -> SimulatedEstate:
    """Simulate an estate; the same arguments give the same arrays.

    `seed` fixes the estate (graph, per-node baselines); `run_seed` (default:
    `seed`) fixes the telemetry run (noise, incidents), so fresh telemetry of
    the same estate is `run_seed=...` with a later `start`. Ranges
    `(lo, hi)` are inclusive step counts.
    """
    if n_steps < 1:
        raise ValueError("n_steps must be >= 1")
    if interval_seconds < 1:
        raise ValueError("interval_seconds must be >= 1")
    if mode not in ("normal", "drift"):
        raise ValueError(f"mode must be 'normal' or 'drift', got {mode!r}")
    for name, (lo, hi) in (("precursor_steps", precursor_steps), ("failure_steps", failure_steps),
                           ("delay_steps", delay_steps)):
        if not 1 <= lo <= hi:
            raise ValueError(f"{name} must be (lo, hi) with 1 <= lo <= hi")
    features = list(features)
    if not features or len(set(features)) != len(features):
        raise ValueError("features must be non-empty and unique")

    g = np.random.default_rng([seed, 0])
    if edges is not None:
        ids = list(node_ids) if node_ids is not None else sorted({x for e in edges for x in e})
        index = {nid: i for i, nid in enumerate(ids)}
        pairs: list[tuple[int, int]] = []
        for src, dst in edges:
            if src not in index or dst not in index:
                raise ValueError(f"edge ({src!r}, {dst!r}) names a node not in node_ids")
            if src != dst:
                pairs.append((index[src], index[dst]))
        pairs = sorted(set(pairs))
    else:
        if n_nodes < 1:
            raise ValueError("n_nodes must be >= 1")
        ids = list(node_ids) if node_ids is not None else [f"svc-{i:03d}" for i in range(n_nodes)]
        if len(ids) != n_nodes:
            raise ValueError("node_ids must have n_nodes entries")
        pairs = _random_edges(g, n_nodes, edges_per_node)
    if len(set(ids)) != len(ids):
        raise ValueError("node ids repeat")
    n, t_len = len(ids), n_steps
    dependants: list[list[int]] = [[] for _ in range(n)]
    for a, b in pairs:
        dependants[b].append(a)

    # Per-node baselines (part of the estate, so they come from the estate seed).
    base_rps = np.exp(g.normal(np.log(50.0), 0.8, n))
    cpu0 = g.uniform(8.0, 25.0, n)
    cpu_per_load = g.uniform(10.0, 25.0, n)
    mem0 = g.uniform(30.0, 60.0, n)
    lat0 = np.exp(g.normal(np.log(80.0), 0.5, n))
    err0 = g.uniform(0.001, 0.01, n)
    phase = g.uniform(0.0, 2 * np.pi, n)
    mix = g.normal(0.0, 1.0, (len(features), 4))

    r = np.random.default_rng([seed, 1, seed if run_seed is None else run_seed])
    drift = mode == "drift"
    rate = incident_rate * (1.5 if drift else 1.0)
    kinds = _KINDS_DRIFT if drift else _KINDS_NORMAL

    # --- incidents -----------------------------------------------------------
    severity = np.zeros((t_len, n))
    kind_of = np.full((t_len, n), "", dtype=object)
    failing = np.zeros((t_len, n), dtype=bool)
    busy_until = np.zeros(n, dtype=np.int64)
    incidents: list[Incident] = []

    def place(node: int, kind: str, p_start: int, f_start: int, f_end: int, cause: int | None) -> None:
        # An explicit stack rather than recursion: call chains can be long.
        stack = [(node, kind, p_start, f_start, f_end, cause)]
        while stack:
            nd, kd, ps, fs, fe, cs = stack.pop()
            busy_until[nd] = fe + 5  # recovery and cool-down
            incidents.append(Incident(ids[nd], kd, ps, fs, fe, None if cs is None else ids[cs]))
            length = fs - ps
            for k in range(length):
                if 0 <= ps + k < t_len:
                    severity[ps + k, nd] = ((k + 1) / length) ** 1.5
                    kind_of[ps + k, nd] = kd
            lo, hi = max(fs, 0), min(fe, t_len)
            severity[lo:hi, nd] = 1.0
            kind_of[lo:hi, nd] = kd
            failing[lo:hi, nd] = True
            for k in range(3):  # recovery
                if 0 <= fe + k < t_len:
                    severity[fe + k, nd] = 0.5 ** (k + 1)
                    kind_of[fe + k, nd] = kd
            for dep in dependants[nd]:
                if r.random() >= propagation:
                    continue
                start_dep = fs + int(r.integers(delay_steps[0], delay_steps[1] + 1))
                if start_dep < busy_until[dep] or start_dep >= t_len:
                    continue
                ramp = int(r.integers(1, 4))
                dur = max(2, fe - fs + int(r.integers(-1, 3)))
                busy_until[dep] = start_dep + ramp + dur + 5
                stack.append((dep, _UPSTREAM, start_dep, start_dep + ramp, start_dep + ramp + dur, nd))

    for t in range(t_len):
        for node in r.permutation(n):
            if t >= busy_until[node] and r.random() < rate:
                pre = int(r.integers(precursor_steps[0], precursor_steps[1] + 1))
                dur = int(r.integers(failure_steps[0], failure_steps[1] + 1))
                place(int(node), str(kinds[int(r.integers(len(kinds)))]), t, t + pre, t + pre + dur, None)
    incidents.sort(key=lambda i: (i.precursor_start, i.node))

    # --- telemetry -----------------------------------------------------------
    step0 = (start - EPOCH0) // interval_seconds
    steps = step0 + np.arange(t_len)
    load = 1.0 + 0.3 * np.sin(2 * np.pi * steps[:, None] / period_steps + phase[None, :])
    load_factor = 1.8 if drift else 1.0
    rps = base_rps[None, :] * load * load_factor
    cpu = cpu0[None, :] + cpu_per_load[None, :] * load * load_factor + (15.0 if drift else 0.0)
    mem = np.empty((t_len, n))
    level = np.zeros(n)
    for t in range(t_len):  # slow mean-reverting drift of memory
        level = 0.95 * level + r.normal(0.0, 0.6, n)
        mem[t] = mem0 + level
    lat = lat0[None, :] * (1.0 + 0.2 * (load - 1.0)) * (1.3 if drift else 1.0)
    err = np.broadcast_to(err0, (t_len, n)).copy()

    s = severity

    def severity_of(kind: str) -> np.ndarray:
        return np.where(kind_of == kind, s, 0.0)

    sv = severity_of("latency")
    lat *= 1 + 3.0 * sv
    err += 0.02 * sv
    cpu += 10.0 * sv
    sv = severity_of("memory_leak")
    mem += 40.0 * sv
    lat *= 1 + 1.0 * sv
    err += 0.01 * sv
    sv = severity_of("cpu_saturation")
    cpu += 55.0 * sv
    lat *= 1 + 2.0 * sv
    rps *= 1 - 0.2 * sv
    sv = severity_of(_UPSTREAM)
    lat *= 1 + 2.5 * sv
    err += 0.05 * sv
    cpu -= 5.0 * sv
    rps *= 1 - 0.1 * sv
    sv = severity_of("connection_errors")
    err += 0.15 * sv
    lat *= 1 - 0.3 * sv
    rps *= 1 + 0.3 * sv
    err += failing * (0.25 + 0.1 * r.random((t_len, n)))
    lat *= np.where(failing, 3.0, 1.0)
    rps *= np.where(failing, 0.6, 1.0)

    def jitter(a: np.ndarray) -> np.ndarray:
        return a * (1.0 + noise * r.standard_normal(a.shape))

    cpu = np.clip(jitter(cpu), 0.0, 100.0)
    mem = np.clip(jitter(mem), 0.0, 100.0)
    lat = np.maximum(jitter(lat), 0.1)
    err = np.clip(jitter(err), 0.0, 1.0)
    rps = np.maximum(jitter(rps), 0.0)
    base = {"cpu": cpu, "memory": mem, "latency_p95_ms": lat, "error_rate": err, "requests_per_s": rps}
    latent = np.stack([cpu / 100.0, mem / 100.0, np.log1p(lat) / 5.0, err * 10.0], axis=-1)
    values = np.empty((t_len, n, len(features)), dtype=np.float32)
    for f, name in enumerate(features):
        if name in base:
            values[:, :, f] = base[name]
        else:
            values[:, :, f] = latent @ mix[f] + 0.05 * r.standard_normal((t_len, n))
    if missing_rate > 0:
        values[r.random(values.shape) < missing_rate] = np.nan

    return SimulatedEstate(
        node_ids=ids,
        edges=[(ids[a], ids[b]) for a, b in pairs],
        features=features,
        timestamps=(start + interval_seconds * np.arange(t_len)).astype(np.int64),
        values=values,
        labels=failing.astype(np.int8),
        incidents=incidents,
        mode=mode,
    )


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_telemetry_csv(data: SimulatedEstate | TelemetryFrame, path: str | Path) -> Path:
    """Write telemetry in the estate format.

    Columns: `timestamp` (ISO-8601 UTC with `Z`), `node`, one column per
    feature, `label` (0/1; empty when unknown). Missing values are empty cells.
    Rows are ordered by time, then by node.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp", "node", *data.features, "label"])
        for t, ts in enumerate(data.timestamps):
            stamp = _iso(int(ts))
            for n, node in enumerate(data.node_ids):
                vals = ["" if np.isnan(v) else f"{float(v):.6g}" for v in data.values[t, n]]
                lab = int(data.labels[t, n])
                w.writerow([stamp, node, *vals, "" if lab < 0 else str(lab)])
    return p
