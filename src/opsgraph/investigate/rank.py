"""Candidates ranked by evidence: metric change, graph position, recent changes and incident memory.

The two evidence lines of `risk.rca` are combined by rank (Borda): a node's place by its own
calibrated change (`evidence.calibrated_changes` through `node_anomaly`, health metrics only) and its place in the anomaly-weighted walk
from the symptom (`rank_root_causes`: mass settles on anomalous nodes whose dependencies look
healthy). Each line alone is brittle in a known way (the change line blames the loudest node even
when it is only a victim; the walk can stop one hop short); their sum is not. Nodes the symptom
depends on (transitively) come before the rest.

Equal scores go to the better place by own change (direct evidence before inference). Then two kinds of evidence an engineer would weigh, only for nodes whose metrics did move:
a change applied to the node in the window before the onset (`CHANGE_BONUS`) and a past incident
that this node caused and that shared components with this one (`MEMORY_BONUS`). Both are evidence
about *this* incident, never labels learned from a data set: nothing here knows which node tended
to be the cause.

Confidence: *clear* when both evidence lines put the same node first and its change passes the
threshold; otherwise "no clear cause" (the top candidate is still shown, marked as unsure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from opsgraph.investigate.changes import ChangeEvidence
from opsgraph.investigate.evidence import MetricChange, calibrated_changes
from opsgraph.risk.rca import LOAD_PREFIXES, RankedNode, RootCauseRanking, node_anomaly, rank_root_causes
from opsgraph.store.base import TelemetryFrame

CHANGE_BONUS = 0.15
"""Score added (on a 0-1 scale) for a change to the node shortly before the onset."""
MEMORY_BONUS = 0.1
"""Score added for a past incident this node caused that shared components with this one."""
CLEAR_CHANGE = 3.0
"""Calibrated change the top candidate needs for a clear answer."""


def _tie_break(c: Candidate) -> int:
    """Equal scores: the node's own change decides (direct evidence), before the walk (an inference from it)."""
    return c.change_rank




@dataclass(frozen=True)
class Candidate:
    """One node as a possible root cause."""

    node: str
    score: float
    anomaly: float
    """log1p of its largest calibrated change (health metrics)."""
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

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.node, "score": round(self.score, 4), "anomaly": round(self.anomaly, 4), "change_rank": self.change_rank,
                "walk_rank": self.walk_rank, "explains_symptom": self.explains_symptom, "reason": self.reason,
                "metrics": [m.as_dict() for m in self.metrics], "changes": [c.as_dict() for c in self.changes],
                "past_causes": list(self.past_causes)}


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
) -> Ranking:
    """Every node of `frame`, most likely root cause first (module docstring).

    `calibrated` [N, F] replaces `calibrated_changes` as the change evidence (a benchmark compares calibrations).
    """
    ids = list(frame.node_ids)
    perf = np.array([not f.startswith(tuple(load_prefixes)) for f in frame.features])
    raw = calibrated_changes(frame, onset, baseline=baseline) if calibrated is None else calibrated
    anomaly = node_anomaly(raw, perf)
    walk = rank_root_causes(frame, edges, symptom, onset, baseline=baseline, load_prefixes=load_prefixes, changes=raw)
    n = len(ids)
    by_change = {ids[i]: r for r, i in enumerate(sorted(range(n), key=lambda i: (-anomaly[i], ids[i])), 1)}
    by_walk = {x.node: r for r, x in enumerate(walk.nodes, 1)}
    explains = {x.node: x.explains_symptom for x in walk.nodes}
    metrics, changes, memory = metrics or {}, changes or {}, memory or {}
    cands = []
    for i, node in enumerate(ids):
        score = (2 * n - by_change[node] - by_walk[node]) / max(2 * (n - 1), 1)
        moved = anomaly[i] > 0 and any(not m.load for m in metrics.get(node, []))
        if moved and changes.get(node):
            score += CHANGE_BONUS
        if moved and memory.get(node):
            score += MEMORY_BONUS
        cands.append(Candidate(node, float(score), float(anomaly[i]), by_change[node], by_walk[node], explains[node],
                               metrics=[m for m in metrics.get(node, []) if not m.load], changes=list(changes.get(node, [])),
                               past_causes=list(memory.get(node, []))))
    cands.sort(key=lambda c: (not c.explains_symptom, -c.score, _tie_break(c), c.node))
    cands = [_with_reason(c) for c in cands]
    top = cands[0] if cands else None
    if top is None:
        return Ranking([], False, "no clear cause: no candidates")
    agree = top.change_rank == 1 and top.walk_rank == 1
    strong = float(np.expm1(top.anomaly)) >= CLEAR_CHANGE
    if agree and strong:
        conf = f"clear: {top.node} changed most and no dependency of it explains its change"
    elif not strong:
        conf = "no clear cause: no node's metrics moved past the threshold"
    else:
        conf = (f"no clear cause: the largest change is on {_first(cands, 'change_rank')} but the walk from the symptom "
                f"settles on {_first(cands, 'walk_rank')}")
    return Ranking(cands, agree and strong, conf)


def _first(cands: list[Candidate], attr: str) -> str:
    return min(cands, key=lambda c: getattr(c, attr)).node


def _with_reason(c: Candidate) -> Candidate:
    bits = []
    if c.metrics:
        bits.append(c.metrics[0].text())
    else:
        bits.append("no metric past the threshold")
    if c.changes:
        ch = c.changes[0]
        bits.append(f"{ch.kind} change {ch.before_onset_s // 60} min before onset")
    if c.past_causes:
        bits.append("caused " + ", ".join(c.past_causes[:2]))
    if c.walk_rank == 1 and c.metrics:
        bits.append("the walk from the symptom settles on it")
    if not c.explains_symptom:
        bits.append("the symptom does not depend on it")
    return replace(c, reason="; ".join(bits))
