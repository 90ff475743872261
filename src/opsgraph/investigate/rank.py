"""Candidates ranked by evidence: metric change, graph position, recent changes and incident memory.

What counts as a node's own anomaly follows how faults travel (`node_evidence`):

* **Own health only.** A node's score comes from metrics that describe it as a server: its latency,
  errors/availability and saturation (cpu, memory). Latency it measures *as a client* (a name with
  `OUTBOUND_MARKERS`) is the time its dependencies take, evidence about them, not about it; volume
  counters (`VOLUME_MARKERS`: bytes, syscalls, packets) say how much moved, not whether it is healthy.
  Both stay in the cited evidence; neither scores.
* **Latency that load explains is not a cause.** Load travels from callers to callees, the opposite
  way to latency and errors: a node whose incoming load (`LOAD_PREFIXES`) rose as much as its health
  metrics moved is being driven by its callers. Its anomaly is its health change *in excess of* its
  load change, ``log1p(health) - log1p(load)`` (floored at 0): a ratio, so no constant to tune.
* **Spans are own-health evidence too** (`spans.trace_changes`, when traces cover the window): a
  node's median own (exclusive) time per span, or its share of failed spans, against before the
  onset, in units of its normal movement like a metric change. Its health is the larger of its
  metric and trace changes, so a cause whose metrics are blind to it (a busy frontend whose pod
  metrics barely move while every request waits on it) still stands out. Its own log's error lines
  per second (`logs.log_changes`) count the same way.
* **Latency between the two ends of a call is the network's** (`calls.call_changes`, when the telemetry times each
  call edge at both ends: mesh sidecars, or a client span and its server span). A delay on a pod's network leaves its
  own server-side metrics flat; its callers see it, it does not. Per edge, the caller-side latency change in excess of
  the callee-side one (``log1p(caller) - log1p(callee)``, the same form as health in excess of load; counted only when
  the time in between at least doubled the call); per node, the median over the calls it takes part in (the node
  common to the edges that moved). It counts as the node's own health, like its spans. Measured (`bench/investigate.py`,
  compared on the same data, Nezha's edge latency files; PetShop has none, so unchanged): Nezha 0.71 / 0.88 / 0.93 /
  0.85 (AC@1/3/5, Avg@5) -> 0.73 / 0.91 / 0.98 / 0.89. 12 variants were compared on Nezha before this one was kept:
  the time in between (caller minus callee) calibrated on its own spread, per node the smallest over its edges
  (0.68 / 0.88 / 0.98 / 0.85; with the doubling 0.73 / 0.89 / 0.98 / 0.88) or the median (0.66 / 0.84 / 0.93 / 0.81;
  0.70 / 0.89 / 0.96 / 0.87): a difference near 0 has a spread near 0, so jitter of a millisecond counted; the same
  rise in units of the caller-side latency's normal movement (smallest 0.71 / 0.89 / 0.98 / 0.88 with or without the
  doubling; median 0.71 / 0.89 / 0.96 / 0.88, without the doubling 0.71 / 0.91 / 0.98 / 0.89); the log excess with the
  smallest (0.71 / 0.88 / 0.96 / 0.86 with or without) or the median without the doubling (0.73 / 0.91 / 0.98 / 0.89,
  kept with it: on random spans without a fault, 47 of 50 services got some call evidence without it, none with it).
  The smallest over a node's edges lets one flat call hide a delay; the median does not.
* **The symptom is in trouble by definition.** Someone is investigating it; its own metrics may not
  show the fault (a bad return value, an exception swallowed into a slow page). So its anomaly is at
  least that of a metric that just moved (`MOVED`, the threshold of `evidence.metric_evidence`):
  a dependency must itself have moved past the threshold to be blamed instead.

Two evidence lines then rank by that anomaly and are combined by rank (Borda): a node's place by its
own anomaly and its place in the anomaly-weighted walk from the symptom (`rank_root_causes`: mass
settles on anomalous nodes whose dependencies look healthy). Each line alone is brittle in a known way
(the change line blames the loudest node even when it is only a victim; the walk can stop one hop
short); their sum is not. Nodes the symptom depends on (transitively) come before the rest.

A node that is a caller's measurement of a call rather than a component (`caller_side_nodes`: X-Ray's `remote`
nodes, ``<name>_remote``, "a downstream service of indeterminate type" that X-Ray draws from the caller's
subsegments, a load balancer or an external API) ranks after every component the symptom depends on whose own
health moved past `MOVED` (the symptom aside). Its metrics are the far end's time seen from the caller, plus the
network and whatever sits between: when the caller also calls a component that moved, the call most likely ends
at it or waits on it (PetSearch slows down, and so does its load balancer as PetSite sees it, more loudly, because
the caller-side view adds what sits in between). When no component moved, the remote node keeps its place: a slow
external API is then the best lead. Like latency a node measures as a client, it stays in the evidence. Measured
(`bench/investigate.py`, compared on the same data): PetShop's training AC@1 0.50 -> 0.85, Nezha (no remote nodes)
unchanged; scoring such a node 0 instead (dropping it as a lead) did worse (PetShop AC@3 1.00 -> 0.95). Counting a
node's client-side latency as its own when no dependency's change explains it (a network delay on a leaf shows only
there) was measured and rejected: on Nezha the leaves' client-side latency moves in most faults (AC@1 0.71 -> 0.61).

Equal scores go to the better place by own change (direct evidence before inference). Then two kinds of evidence an engineer would weigh, only for nodes whose metrics did move:
a change applied to the node in the window before the onset (`CHANGE_BONUS`) and a past incident
that this node caused and that shared components with this one (`MEMORY_BONUS`). Both are evidence
about *this* incident, never labels learned from a data set: nothing here knows which node tended
to be the cause.

Confidence: *clear* when the top candidate's own metrics moved past the threshold (`CLEAR_CHANGE`),
it is also first by its own anomaly, and that anomaly separates it from every other node the symptom
depends on: ``1 + change`` at least `CLEAR_RATIO` times the runner-up's. Otherwise "no clear cause"
(the top candidate is still shown, marked as unsure). Two loud nodes (a cause and its loudest victim)
are exactly the case where the ranking is a guess.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from opsgraph.investigate.calls import CallChange, call_change_matrix
from opsgraph.investigate.changes import ChangeEvidence
from opsgraph.investigate.evidence import MetricChange, calibrated_changes
from opsgraph.investigate.logs import LogChange
from opsgraph.investigate.spans import TraceChange, trace_change_matrix
from opsgraph.risk.rca import (
    LOAD_PREFIXES,
    RankedNode,
    RootCauseError,
    RootCauseRanking,
    node_anomaly,
    rank_root_causes,
)
from opsgraph.store.base import TelemetryFrame

CHANGE_BONUS = 0.15
"""Score added (on a 0-1 scale) for a change to the node shortly before the onset."""
MEMORY_BONUS = 0.1
"""Score added for a past incident this node caused that shared components with this one."""
CLEAR_CHANGE = 3.0
"""Calibrated change the top candidate needs for a clear answer."""
CLEAR_RATIO = 2.0
"""``1 + change`` of the top candidate over the runner-up's for a clear answer (twice as far from normal)."""
MOVED = 3.0
"""Calibrated change of a metric that moved (`evidence.metric_evidence`'s threshold): the symptom's floor."""
OUTBOUND_MARKERS: tuple[str, ...] = ("client",)
"""A metric whose name holds one of these measures the node as a caller (its dependencies' latency)."""
VOLUME_MARKERS: tuple[str, ...] = ("bytes", "syscall", "packets")
"""A metric whose name holds one of these counts volume (how much moved), not health."""
CALLER_SIDE_SUFFIXES: tuple[str, ...] = ("_remote",)
"""A node named with one of these is a caller's view of a call (X-Ray's ``remote`` type), not a component."""


def _tie_break(c: Candidate) -> int:
    """Equal scores: the node's own change decides (direct evidence), before the walk (an inference from it)."""
    return c.change_rank


def metric_role(feature: str, load_prefixes: Sequence[str] = LOAD_PREFIXES) -> str:
    """'load', 'outbound', 'volume' or 'health' (module docstring): what a metric says about its node."""
    name = feature.lower()
    if name.startswith(tuple(load_prefixes)):
        return "load"
    if any(m in name for m in OUTBOUND_MARKERS):
        return "outbound"
    if any(m in name for m in VOLUME_MARKERS):
        return "volume"
    return "health"


def caller_side_nodes(node_ids: Sequence[str]) -> set[str]:
    """The nodes that are a caller's measurement of a call, not a component (`CALLER_SIDE_SUFFIXES`, module docstring)."""
    return {n for n in node_ids if n.endswith(CALLER_SIDE_SUFFIXES)}


@dataclass(frozen=True)
class NodeEvidence:
    """Per node [N], what the ranking weighs (module docstring)."""

    health: np.ndarray
    """log1p of the largest calibrated change of its own health metrics (0 where none)."""
    load: np.ndarray
    """log1p of the largest calibrated change of its load metrics."""
    anomaly: np.ndarray
    """What ranks it: health in excess of load; for the symptom at least log1p(`MOVED`)."""


def node_evidence(raw: np.ndarray, features: Sequence[str], symptom_index: int | None = None,
                  load_prefixes: Sequence[str] = LOAD_PREFIXES, traced: np.ndarray | None = None) -> NodeEvidence:
    """Each node's own anomaly from calibrated changes `raw` [N, F] (module docstring).

    `traced` [N]: each node's calibrated trace change (`spans.trace_changes`: its own time per span or its failed
    spans), health evidence about the node itself like its server-side metrics: its health is the larger of the two.
    """
    roles = [metric_role(f, load_prefixes) for f in features]
    health = node_anomaly(raw, np.array([r == "health" for r in roles], bool))
    if traced is not None:
        health = np.maximum(health, np.log1p(np.maximum(np.nan_to_num(np.asarray(traced, np.float64)), 0.0)))
    load = node_anomaly(raw, np.array([r == "load" for r in roles], bool))
    anomaly = np.maximum(health - load, 0.0)
    if symptom_index is not None:
        anomaly[symptom_index] = max(anomaly[symptom_index], float(np.log1p(MOVED)))
    return NodeEvidence(health, load, anomaly)


@dataclass(frozen=True)
class Candidate:
    """One node as a possible root cause."""

    node: str
    score: float
    anomaly: float
    """What ranks it (`NodeEvidence.anomaly`): log1p of its largest own-health change in excess of its load change."""
    change_rank: int
    """1-based place by its own change."""
    walk_rank: int
    """1-based place in the walk from the symptom."""
    explains_symptom: bool
    reason: str = ""
    metrics: list[MetricChange] = field(default_factory=list)
    changes: list[ChangeEvidence] = field(default_factory=list)
    past_causes: list[str] = field(default_factory=list)
    """Ids of past incidents this node caused that shared components with this one."""
    trace: TraceChange | None = None
    """What its spans said (own time per span, failed spans), when traces covered the window and it moved."""
    log: LogChange | None = None
    """What its log said (error lines per second), when logs covered the window and they rose."""
    call: CallChange | None = None
    """What its calls said (time between caller and callee rose on every call it takes part in: `calls`)."""

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.node, "score": round(self.score, 4), "anomaly": round(self.anomaly, 4), "change_rank": self.change_rank,
                "walk_rank": self.walk_rank, "explains_symptom": self.explains_symptom, "reason": self.reason,
                "metrics": [m.as_dict() for m in self.metrics], "changes": [c.as_dict() for c in self.changes],
                "past_causes": list(self.past_causes), "trace": self.trace.as_dict() if self.trace else None,
                "log": self.log.as_dict() if self.log else None, "call": self.call.as_dict() if self.call else None}


@dataclass(frozen=True)
class Ranking:
    candidates: list[Candidate]
    confident: bool
    confidence: str
    """'clear: ...' or 'no clear cause: ...'."""

    def top(self, k: int) -> list[str]:
        return [c.node for c in self.candidates[:k]]

    def as_rca(self, symptom: str, onset: int) -> RootCauseRanking:
        return RootCauseRanking(symptom, onset, "investigate", [RankedNode(c.node, c.score, c.anomaly, c.explains_symptom)
                                                               for c in self.candidates])


def rank_candidates(
    frame: TelemetryFrame, edges: Sequence[tuple[str, str]], symptom: str, onset: int, *,
    baseline: TelemetryFrame | None = None, metrics: Mapping[str, list[MetricChange]] | None = None,
    changes: Mapping[str, list[ChangeEvidence]] | None = None, memory: Mapping[str, list[str]] | None = None,
    load_prefixes: Sequence[str] = LOAD_PREFIXES, calibrated: np.ndarray | None = None,
    traces: Mapping[str, TraceChange] | None = None, logs: Mapping[str, LogChange] | None = None,
    caller_side: Collection[str] | None = None, calls: Mapping[str, CallChange] | None = None,
) -> Ranking:
    """Every node of `frame`, most likely root cause first (module docstring).

    `calibrated` [N, F] replaces `calibrated_changes` as the change evidence (a benchmark compares calibrations).
    `traces` (`spans.trace_changes` of the spans before and after the onset) adds each traced node's own time per
    span and failed spans to its health evidence; `logs` (`logs.log_changes`) its error log lines per second.
    `caller_side`: the nodes that are a caller's view of a call (default `caller_side_nodes`; empty: none).
    `calls` (`calls.call_changes`): each node's rise of the time between caller and callee on its calls, health
    evidence like its traces.
    """
    ids = list(frame.node_ids)
    if symptom not in ids:
        raise RootCauseError(f"symptom {symptom!r} is not a node of the frame")
    raw = calibrated_changes(frame, onset, baseline=baseline) if calibrated is None else calibrated
    traces, logs = traces or {}, logs or {}
    traced = trace_change_matrix(ids, dict(traces)) if traces else None
    if logs:
        logged = np.array([logs[n].change if n in logs else 0.0 for n in ids], np.float64)
        traced = logged if traced is None else np.maximum(traced, logged)
    calls = calls or {}
    if calls:
        called = call_change_matrix(ids, dict(calls))
        traced = called if traced is None else np.maximum(traced, called)
    ev = node_evidence(raw, frame.features, ids.index(symptom), load_prefixes, traced)
    anomaly = ev.anomaly
    walk = rank_root_causes(frame, edges, symptom, onset, baseline=baseline, load_prefixes=load_prefixes, changes=raw,
                            anomaly=anomaly)
    n = len(ids)
    by_change = {ids[i]: r for r, i in enumerate(sorted(range(n), key=lambda i: (-anomaly[i], ids[i])), 1)}
    by_walk = {x.node: r for r, x in enumerate(walk.nodes, 1)}
    explains = {x.node: x.explains_symptom for x in walk.nodes}
    metrics, changes, memory = metrics or {}, changes or {}, memory or {}
    cands = []
    for i, node in enumerate(ids):
        score = (2 * n - by_change[node] - by_walk[node]) / max(2 * (n - 1), 1)
        seen = traces.get(node)
        seen = seen if seen is not None and seen.change > 0 else None
        said = logs.get(node)
        said = said if said is not None and said.change > 0 else None
        heard = calls.get(node)
        heard = heard if heard is not None and heard.change > 0 else None
        moved = ev.health[i] > 0 and (any(not m.load for m in metrics.get(node, [])) or seen is not None or said is not None
                                      or heard is not None)
        if moved and changes.get(node):
            score += CHANGE_BONUS
        if moved and memory.get(node):
            score += MEMORY_BONUS
        # Own health first (what scored), then what the node saw as a client and volume counters (cited, not scored).
        shown = sorted((m for m in metrics.get(node, []) if not m.load),
                       key=lambda m: (metric_role(m.metric, load_prefixes) != "health", -m.change, m.metric))
        cands.append(Candidate(node, float(score), float(anomaly[i]), by_change[node], by_walk[node], explains[node],
                               metrics=shown, changes=list(changes.get(node, [])), past_causes=list(memory.get(node, [])),
                               trace=seen, log=said, call=heard))
    cands.sort(key=lambda c: (not c.explains_symptom, -c.score, _tie_break(c), c.node))
    cands, after = _caller_side_after_components(cands, ids, ev.health, symptom,
                                                 caller_side_nodes(ids) if caller_side is None else set(caller_side))
    cands = [_with_reason(c, c.node in after) for c in cands]
    top = cands[0] if cands else None
    if top is None:
        return Ranking([], False, "no clear cause: no candidates")
    t = ids.index(top.node)
    # Rivals: the other nodes the symptom depends on. The symptom's own change is what is being explained, no rival.
    others = [anomaly[i] for i, node in enumerate(ids) if node not in (top.node, symptom) and explains[node]]
    runner_up = float(max(others, default=0.0))
    strong = float(np.expm1(ev.health[t])) >= CLEAR_CHANGE
    apart = top.change_rank == 1 and top.anomaly - runner_up >= float(np.log(CLEAR_RATIO))
    if strong and apart:
        conf = f"clear: {top.node} moved most, at least {CLEAR_RATIO:g}x as far from normal as any other dependency"
    elif not strong:
        conf = f"no clear cause: {top.node}'s own metrics did not move past the threshold"
    else:
        second = max((c for c in cands if c.node not in (top.node, symptom) and c.explains_symptom), key=lambda c: c.anomaly,
                     default=None)
        loudest, settled = _first(cands, 'change_rank'), _first(cands, 'walk_rank')
        conf = (f"no clear cause: {top.node} and {second.node if second else 'another node'} moved about as much"
                if top.change_rank == 1 else
                f"no clear cause: {loudest} moved most and the walk from the symptom settles on it, but it is a caller's "
                f"view of a call" if loudest == settled and loudest in after else
                f"no clear cause: the largest change is on {loudest} but the walk from the symptom settles on {settled}")
    return Ranking(cands, bool(strong and apart), conf)


def _caller_side_after_components(cands: list[Candidate], ids: Sequence[str], health: np.ndarray, symptom: str,
                                  side: set[str]) -> tuple[list[Candidate], set[str]]:
    """`cands` with each caller-side node the symptom depends on moved to just after the last component (not the symptom,
    not caller-side) whose own health moved past `MOVED`, when it ranked above it (module docstring); and those moved."""
    floor = float(np.log1p(MOVED))
    moved = {n for i, n in enumerate(ids) if health[i] >= floor and n != symptom and n not in side}
    last = max((k for k, c in enumerate(cands) if c.node in moved and c.explains_symptom), default=-1)
    after = {c.node for c in cands[:max(last, 0)] if c.node in side and c.explains_symptom}
    if not after:
        return cands, after
    kept = [c for c in cands[:last + 1] if c.node not in after]
    return kept + [c for c in cands[:last] if c.node in after] + cands[last + 1:], after


def _first(cands: list[Candidate], attr: str) -> str:
    return min(cands, key=lambda c: getattr(c, attr)).node


def _with_reason(c: Candidate, caller_view: bool = False) -> Candidate:
    bits = []
    if c.metrics:
        bits.append(c.metrics[0].text())
    else:
        bits.append("no metric past the threshold")
    if c.trace is not None:
        bits.append("traces: " + c.trace.text().split(": ", 1)[1])
    if c.log is not None:
        bits.append("logs: " + c.log.text().split(": ", 1)[1])
    if c.call is not None:
        bits.append("calls: " + c.call.text().split(": ", 1)[1])
    if c.changes:
        ch = c.changes[0]
        bits.append(f"{ch.kind} change {ch.before_onset_s // 60} min before onset")
    if c.past_causes:
        bits.append("caused " + ", ".join(c.past_causes[:2]))
    if c.walk_rank == 1 and c.metrics:
        bits.append("the walk from the symptom settles on it")
    if caller_view:
        bits.append("a caller's view of a call (remote node): ranked after the components that moved")
    if not c.explains_symptom:
        bits.append("the symptom does not depend on it")
    return replace(c, reason="; ".join(bits))
