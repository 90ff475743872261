"""Root-cause ranking from evidence: which node's change best explains a symptom?

Given telemetry around an incident (a `TelemetryFrame`, rows before the onset
and at or after it), the call graph ``(caller, callee)`` and the node where the
symptom was seen, rank every node as the likely root cause. Two rankers:

`rank_by_change` (a BARO-style baseline; Pham et al., FSE 2024)
    Each metric is robust-scaled by the median and interquartile range of its own
    pre-onset rows (a zero range scales by 1, as scikit-learn's RobustScaler
    does); a node's score is the largest absolute scaled value of any of its
    metrics after the onset. No graph.

`rank_root_causes` (evidence + graph position)
    1. *Change*: per node and metric, ``|mean(after) - median(before)| / s`` where
       the spread ``s`` comes from a separate normal recording when one is given
       (its dispersion only: its levels may differ, e.g. a recording made months
       apart), else from the pre-onset rows, floored at `rel_floor` x the
       metric's typical magnitude so that tiny pre-onset spreads (two rows!) do
       not explode. A node's anomaly is ``log1p`` of its largest change.
    2. *Position*: a personalised PageRank that restarts at the symptom and walks
       the call graph from callers to callees (against the direction failures
       travel), stepping to a callee in proportion to the callee's anomaly, back
       to a caller with `backward` times that weight, and staying put in
       proportion to the node's anomaly *not* explained by its most anomalous
       callee. Mass therefore settles on anomalous nodes whose dependencies look
       healthy.
    3. Nodes that can explain the symptom (the symptom and everything it calls,
       transitively) are ranked first, by visit probability; the rest follow.

Neither ranker learns from labelled incidents: nothing here knows which node
tended to be the cause before. Pure numpy; no I/O.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from opsgraph.errors import RiskError
from opsgraph.store.base import TelemetryFrame

LOAD_PREFIXES: tuple[str, ...] = ("requests", "workload")
"""Features that measure load, not health: left out of the evidence (load travels from callers to
callees, the opposite way to latency and errors, so it would point the walk the wrong way)."""


class RootCauseError(RiskError, ValueError):
    """The inputs cannot be ranked (unknown symptom, no rows on one side of the onset...)."""


@dataclass(frozen=True)
class RankedNode:
    """One node's place in a ranking."""

    node: str
    score: float
    """Ranking score (higher = more likely the root cause)."""
    anomaly: float
    """The node's change evidence (0 = none)."""
    explains_symptom: bool
    """The node is the symptom or something the symptom calls, transitively."""


@dataclass(frozen=True)
class RootCauseRanking:
    """Every node, most likely root cause first."""

    symptom: str
    onset: int
    method: str
    nodes: list[RankedNode]

    def top(self, k: int) -> list[str]:
        """The `k` most likely root causes."""
        return [r.node for r in self.nodes[:k]]

    def rank_of(self, node: str) -> int | None:
        """1-based rank of `node`, None if absent."""
        for i, r in enumerate(self.nodes, 1):
            if r.node == node:
                return i
        return None


def _split(frame: TelemetryFrame, onset: int) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(frame.values, dtype=np.float64)
    ts = np.asarray(frame.timestamps)
    before, after = values[ts < onset], values[ts >= onset]
    if before.shape[0] == 0 or after.shape[0] == 0:
        raise RootCauseError(f"need rows before and at/after the onset {onset}; got {before.shape[0]} and {after.shape[0]}")
    return before, after


def _quiet(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():  # all-NaN slices give NaN, handled by the callers
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


def baro_scores(frame: TelemetryFrame, onset: int) -> np.ndarray:
    """BARO-style score per node [N]: max over metrics and post-onset rows of |x - median| / IQR (pre-onset)."""
    before, after = _split(frame, onset)
    med = _quiet(np.nanmedian, before, axis=0)  # [N, F]
    q75, q25 = _quiet(np.nanpercentile, before, [75, 25], axis=0)
    iqr = q75 - q25
    iqr = np.where(np.isfinite(iqr) & (iqr > 0), iqr, 1.0)
    z = np.abs(after - med[None]) / iqr[None]  # [T_after, N, F]
    score = _quiet(np.nanmax, z.reshape(-1, z.shape[1] * z.shape[2]), axis=0).reshape(z.shape[1:])
    return np.nan_to_num(_quiet(np.nanmax, score, axis=1), nan=0.0)


def _change_stat(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(center [.., N, F], largest |after - center| [.., N, F]) with center the median of `before` (axis -3)."""
    center = _quiet(np.nanmedian, before, axis=-3)
    return center, _quiet(np.nanmax, np.abs(after - center[..., None, :, :]), axis=-3)


def baseline_noise(baseline: TelemetryFrame, n_before: int, n_after: int, quantile: float = 0.9) -> np.ndarray:
    """The `quantile` of the change statistic over every run of ``n_before + n_after`` rows of a normal
    recording [N, F] (NaN where it has too little data): how large a change is without an incident."""
    vals = np.asarray(baseline.values, dtype=np.float64)
    length = n_before + n_after
    if vals.shape[0] < length:
        return np.full(vals.shape[1:], np.nan)
    win = np.lib.stride_tricks.sliding_window_view(vals, length, axis=0)  # [K, N, F, L]
    win = np.moveaxis(win, -1, 1)  # [K, L, N, F]
    _, stat = _change_stat(win[:, :n_before], win[:, n_before:])
    return _quiet(np.nanquantile, stat, quantile, axis=0)


def _align(values: np.ndarray, src: TelemetryFrame, dst: TelemetryFrame) -> np.ndarray:
    """`values` [N_src, F_src] re-indexed to `dst`'s nodes and features (NaN where absent)."""
    out = np.full((len(dst.node_ids), len(dst.features)), np.nan)
    nodes = {n: i for i, n in enumerate(src.node_ids)}
    feats = {f: j for j, f in enumerate(src.features)}
    rows = np.array([nodes.get(n, -1) for n in dst.node_ids])
    cols = np.array([feats.get(f, -1) for f in dst.features])
    ok_r, ok_c = rows >= 0, cols >= 0
    out[np.ix_(ok_r, ok_c)] = values[np.ix_(rows[ok_r], cols[ok_c])]
    return out


def metric_changes(
    frame: TelemetryFrame, onset: int, *, baseline: TelemetryFrame | None = None, rel_floor: float = 0.1,
    baseline_floor: float = 0.01, quantile: float = 0.9,
) -> np.ndarray:
    """Change of each (node, metric) after the onset in units of its normal change: [N, F], NaN where unknown.

    The change is the largest ``|x - median(before)|`` after the onset. With a `baseline` recording it
    is divided by the `quantile` of the same statistic over the baseline's runs of rows (levels of
    the baseline never enter, only how much values move in it), floored at `baseline_floor` x the
    metric's level; without one (or where the baseline lacks the metric), by `rel_floor` x the level
    (the level is ``max(|median before|, typical |median| of that metric over nodes)``).
    """
    before, after = _split(frame, onset)
    center, stat = _change_stat(before, after)
    typical = _quiet(np.nanmedian, np.abs(center), axis=0)  # [F]
    typical = np.where(np.isfinite(typical) & (typical > 0), typical, 1.0)
    level = np.maximum(np.nan_to_num(np.abs(center), nan=0.0), typical[None, :])
    scale = rel_floor * level
    if baseline is not None:
        noise = _align(baseline_noise(baseline, before.shape[0], after.shape[0], quantile), baseline, frame)
        scale = np.where(np.isfinite(noise), np.maximum(noise, baseline_floor * level), scale)
    return stat / scale


def node_anomaly(changes: np.ndarray, use: np.ndarray | None = None) -> np.ndarray:
    """``log1p`` of each node's largest change [N] over the metrics `use` (bool [F]; default all); 0 where none."""
    if use is not None:
        changes = np.where(np.asarray(use, bool)[None, :], changes, np.nan)
    top = _quiet(np.nanmax, changes, axis=1)
    return np.log1p(np.nan_to_num(top, nan=0.0))


def reachable(node_ids: Sequence[str], calls: Sequence[tuple[str, str]], start: str) -> set[str]:
    """`start` and every node it calls, transitively."""
    out: dict[str, list[str]] = {}
    for a, b in calls:
        out.setdefault(a, []).append(b)
    seen, stack = {start}, [start]
    while stack:
        for nxt in out.get(stack.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen & set(node_ids)


def personalised_pagerank(
    anomaly: np.ndarray, calls: np.ndarray, start: int, *, restart: float = 0.15, backward: float = 0.2,
    iterations: int = 200, tol: float = 1e-10,
) -> np.ndarray:
    """Visit probabilities [N] of the anomaly-weighted walk described in the module docstring.

    `calls` is int [2, E]: row 0 callers, row 1 callees.
    """
    n = anomaly.size
    a = anomaly / anomaly.max() if anomaly.max() > 0 else np.zeros(n)
    w = np.zeros((n, n))
    if calls.size:
        src, dst = calls
        np.add.at(w, (src, dst), a[dst])  # towards dependencies
        np.add.at(w, (dst, src), backward * a[src])  # back to callers
        top_callee = np.zeros(n)
        np.maximum.at(top_callee, src, a[dst])
    else:
        top_callee = np.zeros(n)
    w[np.arange(n), np.arange(n)] += np.maximum(a - top_callee, 0.0)  # anomaly no callee explains
    rows = w.sum(axis=1)
    p = np.where(rows[:, None] > 0, w / np.where(rows > 0, rows, 1.0)[:, None], 0.0)
    p[rows == 0, start] = 1.0  # dead ends go back to the symptom
    e = np.zeros(n)
    e[start] = 1.0
    pi = e.copy()
    for _ in range(iterations):
        nxt = restart * e + (1 - restart) * pi @ p
        if np.abs(nxt - pi).sum() < tol:
            pi = nxt
            break
        pi = nxt
    # The restart mass sits on the symptom whatever the evidence: leave it out of the ranking.
    return pi - restart * e


def _edge_index(node_ids: Sequence[str], calls: Sequence[tuple[str, str]]) -> np.ndarray:
    index = {n: i for i, n in enumerate(node_ids)}
    pairs = [(index[a], index[b]) for a, b in calls if a in index and b in index and a != b]
    return np.array(pairs, dtype=np.int64).T.reshape(2, -1)


def rank_by_change(frame: TelemetryFrame, onset: int, *, symptom: str = "",
                   calls: Sequence[tuple[str, str]] = ()) -> RootCauseRanking:
    """The BARO-style baseline: nodes by their largest robust-scaled change (no graph in the score)."""
    scores = baro_scores(frame, onset)
    can = reachable(frame.node_ids, calls, symptom) if symptom else set()
    order = sorted(range(len(frame.node_ids)), key=lambda i: (-scores[i], frame.node_ids[i]))
    return RootCauseRanking(symptom, onset, "baro", [
        RankedNode(frame.node_ids[i], float(scores[i]), float(scores[i]), frame.node_ids[i] in can) for i in order])


def rank_root_causes(
    frame: TelemetryFrame,
    calls: Sequence[tuple[str, str]],
    symptom: str,
    onset: int,
    *,
    baseline: TelemetryFrame | None = None,
    load_prefixes: Sequence[str] = LOAD_PREFIXES,
    rel_floor: float = 0.1,
    restart: float = 0.15,
    backward: float = 0.2,
    changes: np.ndarray | None = None,
    anomaly: np.ndarray | None = None,
) -> RootCauseRanking:
    """Evidence ranker: metric change + an anomaly-weighted walk from the symptom (module docstring).

    `changes` [N, F] replaces `metric_changes` as the evidence when the caller calibrated it otherwise;
    `anomaly` [N] replaces the per-node anomaly drawn from it (a caller that weighs metric families itself).
    """
    ids = list(frame.node_ids)
    if symptom not in ids:
        raise RootCauseError(f"symptom {symptom!r} is not a node of the frame")
    perf = np.array([not f.startswith(tuple(load_prefixes)) for f in frame.features])
    if anomaly is None:
        if changes is None:
            changes = metric_changes(frame, onset, baseline=baseline, rel_floor=rel_floor)
        anomaly = node_anomaly(changes, perf)
    elif np.shape(anomaly) != (len(ids),):
        raise RootCauseError(f"anomaly has shape {np.shape(anomaly)}, expected ({len(ids)},): one value per node")
    pi = personalised_pagerank(anomaly, _edge_index(ids, calls), ids.index(symptom), restart=restart,
                               backward=backward)
    can = reachable(ids, calls, symptom)
    order = sorted(range(len(ids)), key=lambda i: (ids[i] not in can, -pi[i], -anomaly[i], ids[i]))
    return RootCauseRanking(symptom, onset, "evidence-ppr", [
        RankedNode(ids[i], float(pi[i]), float(anomaly[i]), ids[i] in can) for i in order])


def accuracy_at_k(rankings: Sequence[RootCauseRanking], truths: Sequence[str], k: int) -> float:
    """AC@k: share of incidents whose true root cause is among the top `k`."""
    if len(rankings) != len(truths):
        raise ValueError("one truth per ranking")
    if not rankings:
        return float("nan")
    return float(np.mean([truth in r.top(k) for r, truth in zip(rankings, truths, strict=True)]))
