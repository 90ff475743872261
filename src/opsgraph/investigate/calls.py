"""Call-edge evidence for a root cause: latency a caller sees on a call that its callee does not.

A call from A to B is timed twice when both ends report it (a service mesh's sidecars: Istio's request
duration with ``reporter="source"`` and ``reporter="destination"``; a client span and its server span):
the caller sees the callee's time plus everything in between (the network, proxies, queues outside the
server); the callee sees its own time. A slow callee moves both ends alike; a delay on the network of
either end moves the caller's side only. A delay on one pod's network shows on the calls that pod takes
part in, in and out, while the calls among the others stay flat; the pod's own server-side metrics stay
flat then, since the delay is outside its server, which is why a node's server metrics alone miss it.

So, per edge: the caller-side latency change in excess of the callee-side change, the same form as
`rank.node_evidence`'s health in excess of load: ``log1p(caller) - log1p(callee)`` of their calibrated
changes (`evidence.calibrated_changes`, units of each one's normal movement), floored at 0, counted only
when the time in between (caller side minus callee side) rose by at least the call's normal caller-side
latency (`CALL_FACTOR`: the call at least doubled from that alone, like `spans.OWN_FACTOR`; an edge's
latencies are medians of a few calls a step, and a statistically sure change can be too small to matter). Per node: the *median* over the edges it
takes part in (`CallChange`), the node common to the edges that moved (Dynatrace's and Datadog's
localisation by what the moved edges share): one node's network touches all of its calls, so most of its
edges move, while a node that only shares one moved edge with it has most of its own flat. A node with a
single measured edge gets that edge's change (a leaf's one call cannot tell its end from the caller's:
the other evidence decides). `rank.node_evidence` weighs it as health evidence about the node itself,
like its own time per span.

The latencies come in as arrays per edge: from an estate's mesh metrics, or from spans (`span_call_latencies`:
a span whose parent was recorded by another service and has it as its only child is a server span under the
caller's client span, which wraps just that call; per edge and time step, the median duration of each). This
module reads no files and no store.
"""

from __future__ import annotations

import statistics
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from opsgraph.investigate._errors import InvestigationError
from opsgraph.investigate.evidence import calibrated_changes
from opsgraph.investigate.spans import SpanLike
from opsgraph.store.base import TelemetryFrame

CALL_FACTOR = 2.0
"""The time in between must rise by at least the call's normal caller-side latency: the call at least doubles from
what lies between its ends alone (as `spans.OWN_FACTOR`: a statistically sure change can be too small to matter)."""


@dataclass(frozen=True)
class EdgeChange:
    """The time in between one call edge's two ends, after the onset against before."""

    caller: str
    callee: str
    normal: float
    """Median time in between before the onset (seconds, or the unit given)."""
    peak: float
    """Largest time in between at or after the onset."""
    change: float
    """The caller-side change in excess of the callee-side one, ``expm1`` of the log1p difference (0 unless the time in
    between rose by `CALL_FACTOR` - 1 times the call's normal caller-side latency)."""

    def text(self) -> str:
        return f"{self.caller}->{self.callee} {self.normal:.3g} -> {self.peak:.3g}"


@dataclass(frozen=True)
class CallChange:
    """What the calls a node takes part in say about it."""

    node: str
    change: float
    """Median over its measured edges of their `EdgeChange.change`."""
    edges: tuple[EdgeChange, ...]

    def text(self) -> str:
        """'b: time between caller and callee rose on 2 of its 2 calls: a->b 0.003 -> 0.41, ...' (seconds as given)."""
        moved = sorted((e for e in self.edges if e.change > 0), key=lambda e: -e.change)
        shown = ", ".join(e.text() for e in moved[:3])
        return f"{self.node}: time between caller and callee rose on {len(moved)} of its {len(self.edges)} calls: {shown}"

    def as_dict(self) -> dict[str, object]:
        return {"node": self.node, "change": self.change, "text": self.text(),
                "edges": [{"caller": e.caller, "callee": e.callee, "normal": e.normal, "peak": e.peak, "change": e.change}
                          for e in self.edges]}


def edge_changes(edges: Sequence[tuple[str, str]], timestamps: np.ndarray, client: np.ndarray, server: np.ndarray,
                 onset: int) -> list[EdgeChange]:
    """Per edge (caller, callee), the caller-side latency change in excess of the callee-side one (module docstring).

    `client`, `server` [T, E]: each edge's latency as its caller and as its callee saw it (NaN where not recorded),
    at `timestamps` [T] (epoch seconds, ascending). Edges without both ends before and after the onset are left out.
    """
    ts = np.asarray(timestamps, np.int64)
    c, s = np.asarray(client, np.float64), np.asarray(server, np.float64)
    if c.shape != s.shape or c.ndim != 2 or c.shape != (ts.size, len(edges)):
        raise InvestigationError(f"call latencies must be [timestamps, edges] = [{ts.size}, {len(edges)}] on both ends; "
                                 f"got {c.shape} and {s.shape}")
    gap = c - s
    before, after = ts < onset, ts >= onset
    usable = np.any(np.isfinite(gap[before]), axis=0) & np.any(np.isfinite(gap[after]), axis=0)
    if not usable.any():
        return []
    keep = [int(k) for k in np.flatnonzero(usable)]
    both = np.stack([c[:, keep], s[:, keep]], axis=2)  # [T, E', 2]: each edge as a node with its two ends as features
    frame = TelemetryFrame([f"{edges[k][0]}->{edges[k][1]}" for k in keep], ["caller_side", "callee_side"], ts,
                           both.astype(np.float32), np.zeros((ts.size, len(keep)), np.int8))
    cal = np.nan_to_num(calibrated_changes(frame, onset))
    excess = np.maximum(np.log1p(cal[:, 0]) - np.log1p(cal[:, 1]), 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        normal = np.nanmedian(gap[before][:, keep], axis=0)
        peak = np.nanmax(gap[after][:, keep], axis=0)
        call = np.nan_to_num(np.nanmedian(c[before][:, keep], axis=0))
    rose = (peak > normal) & (peak - normal >= (CALL_FACTOR - 1.0) * np.abs(call))
    return [EdgeChange(edges[k][0], edges[k][1], float(normal[i]), float(peak[i]),
                       float(np.expm1(excess[i])) if rose[i] else 0.0) for i, k in enumerate(keep)]


def call_changes(changes: Sequence[EdgeChange]) -> dict[str, CallChange]:
    """Per node, the median rise over the edges it takes part in (module docstring); only nodes where it is above 0."""
    by_node: dict[str, list[EdgeChange]] = defaultdict(list)
    for e in changes:
        by_node[e.caller].append(e)
        by_node[e.callee].append(e)
    out = {}
    for node, mine in by_node.items():
        mid = float(np.median([e.change for e in mine]))
        if mid > 0:
            out[node] = CallChange(node, mid, tuple(mine))
    return out


def span_call_latencies(spans: Iterable[SpanLike], step_s: int,
                        ) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray, np.ndarray]:
    """(edges, timestamps, client, server) for `edge_changes` from spans (module docstring), binned by the client span's
    start into steps of `step_s` seconds; NaN where an edge had no call in a step."""
    if step_s <= 0:
        raise InvestigationError(f"the time step must be positive, got {step_s} s")
    items = list(spans)
    by_id = {(s.trace_id, s.span_id): s for s in items}
    children: dict[tuple[str, str | None], int] = defaultdict(int)
    for s in items:
        children[(s.trace_id, s.parent_id)] += 1
    cells: dict[tuple[tuple[str, str], int], tuple[list[float], list[float]]] = {}
    step_ns = step_s * 1_000_000_000
    for s in items:
        if s.parent_id is None:
            continue
        key = (s.trace_id, s.parent_id)
        p = by_id.get(key)
        if p is None or p.service == s.service or children[key] != 1:
            continue
        cell = cells.get(((p.service, s.service), p.start_ns // step_ns))
        if cell is None:
            cell = cells[(p.service, s.service), p.start_ns // step_ns] = ([], [])
        cell[0].append((p.end_ns - p.start_ns) / 1e9)
        cell[1].append((s.end_ns - s.start_ns) / 1e9)
    edges = sorted({e for e, _ in cells})
    steps = sorted({t for _, t in cells})
    col, row = {e: k for k, e in enumerate(edges)}, {t: i for i, t in enumerate(steps)}
    client = np.full((len(steps), len(edges)), np.nan)
    server = np.full_like(client, np.nan)
    for (e, t), (cs, ss) in cells.items():
        client[row[t], col[e]], server[row[t], col[e]] = statistics.median(cs), statistics.median(ss)
    steps_s = [t * step_s for t in steps]
    return edges, np.array(steps_s, np.int64), client, server


def call_change_matrix(node_ids: Sequence[str], changes: dict[str, CallChange]) -> np.ndarray:
    """[N] calibrated call change per node of a frame (0 where its calls say nothing)."""
    return np.array([changes[n].change if n in changes else 0.0 for n in node_ids], np.float64)
