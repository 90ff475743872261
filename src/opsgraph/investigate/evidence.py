"""Metric evidence around an incident's onset, read from stored telemetry: what changed, how much, since when.

For every node and metric the evidence is the calibrated change of `calibrated_changes`
(largest ``|x - median(before)|`` after the onset, in units of that metric's normal movement),
made readable: the normal level (median before the onset), the peak after it, the factor
(peak / normal), a robust z (``(peak - median) / (1.4826 MAD)``, the spread of the rows before)
and *since when*: the first step at or after the onset where the metric is past the threshold.

`detect_onset` finds the first step where the symptom's own metrics leave their trailing
normal, for a target given without a time. `read_window` reads the telemetry of every node
type that declares telemetry into one frame (features unioned, NaN where a type lacks one)
with the dependency edges among them (declared `dependency: true` edges and observed CALLS).
Nothing here writes to the store.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from opsgraph.investigate._errors import InvestigationError
from opsgraph.risk.rca import LOAD_PREFIXES, metric_changes, reachable
from opsgraph.schema import GraphSchema
from opsgraph.store.base import GraphStore, TelemetryFrame

MAD_SCALE = 1.4826
"""MAD x this estimates the standard deviation of normal data."""


@dataclass(frozen=True)
class MetricChange:
    """One metric of one node that moved past the threshold after the onset."""

    node: str
    metric: str
    normal: float
    """Median before the onset."""
    peak: float
    """The value furthest from normal at or after the onset."""
    change: float
    """Calibrated change (units of the metric's normal movement; `calibrated_changes`)."""
    z: float
    """Robust z of the peak against the rows before the onset (inf when they never moved)."""
    since: int
    """Epoch seconds of the first step at or after the onset past the threshold."""
    load: bool = False
    """A load metric (requests, workload): reported, never counted as a cause."""

    @property
    def factor(self) -> float | None:
        """peak / normal (None when normal is 0)."""
        return self.peak / self.normal if self.normal else None

    @property
    def direction(self) -> str:
        return "up" if self.peak >= self.normal else "down"

    def text(self) -> str:
        """'error_rate 0.0021 -> 0.094 (x45, z 31) since 10:42'."""
        f = self.factor
        how = f"x{f:.3g}" if f is not None and f > 0 and math.isfinite(f) else self.direction
        z = "z inf" if not math.isfinite(self.z) else f"z {self.z:.3g}"
        when = datetime.fromtimestamp(self.since, tz=UTC).strftime("%H:%M")
        return f"{self.metric} {self.normal:.4g} -> {self.peak:.4g} ({how}, {z}) since {when}"

    def as_dict(self) -> dict[str, object]:
        return {"node": self.node, "metric": self.metric, "normal": self.normal, "peak": self.peak, "factor": self.factor,
                "change": self.change, "z": None if not math.isfinite(self.z) else self.z, "since": self.since,
                "load": self.load, "text": self.text()}


@dataclass(frozen=True)
class TelemetryWindow:
    """Telemetry of the estate around an onset and the dependency edges among its nodes."""

    frame: TelemetryFrame
    edges: list[tuple[str, str]]
    """(caller, callee): the caller depends on the callee (declared dependencies and observed calls)."""
    node_types: dict[str, str]
    """Node id -> its type."""


def _quiet(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


def is_load(feature: str, load_prefixes: Sequence[str] = LOAD_PREFIXES) -> bool:
    return feature.startswith(tuple(load_prefixes))


def telemetry_types(schema: GraphSchema) -> list[str]:
    """Node types that declare telemetry features."""
    return [name for name, t in schema.nodes.items() if getattr(t, "telemetry", None)]


def dependency_edge_types(schema: GraphSchema) -> list[str]:
    """Edge types along which failures travel: declared `dependency: true`, plus observed CALLS when the schema has it."""
    out = [name for name, e in schema.edges.items() if getattr(e, "dependency", False)]
    if "CALLS" in schema.edges and "CALLS" not in out:
        out.append("CALLS")
    return out


def read_edges(store: GraphStore, schema: GraphSchema) -> list[tuple[str, str]]:
    """Every (caller, callee) pair of a dependency edge type, de-duplicated and sorted."""
    pairs: set[tuple[str, str]] = set()
    for et in dependency_edge_types(schema):
        # The type name comes from the validated schema (identifier pattern), never from input.
        rows = store.query(f"MATCH (a)-[:`{et}`]->(b) RETURN a.id AS a, b.id AS b", limit=1_000_000).rows
        pairs.update((str(r["a"]), str(r["b"])) for r in rows if r.get("a") and r.get("b"))
    return sorted(pairs)


def merge_frames(frames: Sequence[TelemetryFrame]) -> TelemetryFrame:
    """One frame over the union of nodes, features and timestamps (NaN where a frame lacks a value)."""
    frames = [f for f in frames if len(f.timestamps) and len(f.node_ids)]
    if not frames:
        return TelemetryFrame([], [], np.zeros(0, np.int64), np.zeros((0, 0, 0), np.float32), np.zeros((0, 0), np.int8))
    if len(frames) == 1:
        return frames[0]
    ts = np.unique(np.concatenate([np.asarray(f.timestamps, np.int64) for f in frames]))
    nodes = [n for f in frames for n in f.node_ids]
    feats = sorted({x for f in frames for x in f.features})
    values = np.full((len(ts), len(nodes), len(feats)), np.nan, np.float32)
    labels = np.full((len(ts), len(nodes)), -1, np.int8)
    col = 0
    for f in frames:
        rows = np.searchsorted(ts, np.asarray(f.timestamps, np.int64))
        cols = [feats.index(x) for x in f.features]
        block = values[:, col:col + len(f.node_ids)]
        for j, c in enumerate(cols):
            block[rows, :, c] = np.asarray(f.values)[:, :, j]
        labels[rows, col:col + len(f.node_ids)] = np.asarray(f.labels)
        col += len(f.node_ids)
    return TelemetryFrame(nodes, feats, ts, values, labels)


def read_window(store: GraphStore, schema: GraphSchema, start: int | None = None, end: int | None = None) -> TelemetryWindow:
    """Telemetry of every telemetry-carrying node type in [start, end) and the dependency edges among them."""
    frames, types = [], {}
    for nt in telemetry_types(schema):
        f = store.read_telemetry(nt, None, start, end)
        frames.append(f)
        types.update({n: nt for n in f.node_ids})
    frame = merge_frames(frames)
    known = set(frame.node_ids)
    edges = [(a, b) for a, b in read_edges(store, schema) if a in known and b in known and a != b]
    return TelemetryWindow(frame, edges, types)


def node_series(store: GraphStore, schema: GraphSchema, node: str) -> TelemetryFrame:
    """All stored telemetry of one node (every telemetry type it could be), rows where it has a value."""
    frames = [f for f in (store.read_telemetry(nt, [node]) for nt in telemetry_types(schema)) if len(f.timestamps)]
    frame = merge_frames(frames)
    if not len(frame.timestamps):
        return frame
    vals = np.asarray(frame.values)
    ok = ~np.all(np.isnan(vals.reshape(vals.shape[0], -1)), axis=1)
    return TelemetryFrame(frame.node_ids, frame.features, np.asarray(frame.timestamps)[ok], vals[ok], np.asarray(frame.labels)[ok])


def telemetry_span(series: TelemetryFrame) -> tuple[int, int] | None:
    """(first, last) timestamp of a frame; None when it is empty."""
    ts = np.asarray(series.timestamps)
    return (int(ts.min()), int(ts.max())) if len(ts) else None


def detect_onset(frame: TelemetryFrame, node: str, *, threshold: float = 4.0, history: int = 10, persist: int = 2,
                 load_prefixes: Sequence[str] = LOAD_PREFIXES, start_after: int | None = None, latest: bool = True) -> int | None:
    """Epoch seconds of the first step where one of `node`'s health metrics leaves its trailing normal.

    A step counts when a metric's robust z against the `history` steps before it reaches `threshold`
    and stays there for `persist` steps. The spread is floored at 5% of the metric's level so a flat
    history does not make every wobble an onset. With `latest` the start of the most recent such
    episode (the incident under way), else the first one. None when nothing moved.
    """
    if node not in frame.node_ids:
        return None
    x = np.asarray(frame.values, np.float64)[:, frame.node_ids.index(node), :]
    use = np.array([not is_load(f, load_prefixes) for f in frame.features])
    x = x[:, use]
    ts = np.asarray(frame.timestamps, np.int64)
    if x.shape[1] == 0 or len(ts) <= history:
        return None
    win = np.lib.stride_tricks.sliding_window_view(x[:-1], history, axis=0)  # [T-history, F, history]
    med = _quiet(np.nanmedian, win, axis=-1)
    mad = _quiet(np.nanmedian, np.abs(win - med[..., None]), axis=-1) * MAD_SCALE
    scale = np.maximum(np.nan_to_num(mad), 0.05 * np.abs(np.nan_to_num(med)))
    scale = np.where(scale > 0, scale, 1e-9)
    z = np.abs(x[history:] - med) / scale  # row i is step history + i
    hit = (np.nan_to_num(z) >= threshold).any(axis=1)
    starts = [i for i in range(len(hit) - persist + 1) if hit[i:i + persist].all()
              and (start_after is None or int(ts[history + i]) >= start_after)]
    if not starts:
        return None
    if not latest:
        return int(ts[history + starts[0]])
    i = starts[-1]
    while i > 0 and hit[i - 1]:  # back to the start of the latest episode
        i -= 1
    return int(ts[history + i])


SPREAD_ROWS = 10
"""Rows before the onset needed to measure a metric's own normal spread (fewer: the spread is guessed from its level)."""
SPREAD_FLOOR = 0.05
"""The spread is floored at this share of the metric's level (the floor `detect_onset` uses)."""


def calibrated_changes(frame: TelemetryFrame, onset: int, *, baseline: TelemetryFrame | None = None) -> np.ndarray:
    """Each (node, metric)'s largest ``|x - median(before)|`` after the onset in units of its normal movement [N, F].

    The unit, by what is known about normal: a separate normal recording gives it (`rca.metric_changes`
    with `baseline`); else, with at least `SPREAD_ROWS` rows before the onset, the metric's own spread
    in the earlier half of them (the larger of 1.4826 MAD and the interquartile range, floored at
    `SPREAD_FLOOR` x its level; the later rows may already hold the incident's precursors, which would
    hide the cause's change in its own noise); else a tenth of its level (`rca.metric_changes`): one
    or two rows say nothing about spread.
    """
    ts = np.asarray(frame.timestamps, np.int64)
    values = np.asarray(frame.values, np.float64)
    before, after = values[ts < onset], values[ts >= onset]
    if baseline is not None or len(before) < SPREAD_ROWS or not len(after):
        return metric_changes(frame, onset, baseline=baseline)
    center = _quiet(np.nanmedian, before, axis=0)
    early = before[: max(SPREAD_ROWS, len(before) // 2)]  # the rows just before an onset may hold its precursors
    early_center = _quiet(np.nanmedian, early, axis=0)
    mad = _quiet(np.nanmedian, np.abs(early - early_center[None]), axis=0) * MAD_SCALE
    q75, q25 = _quiet(np.nanpercentile, early, [75, 25], axis=0)
    spread = np.maximum(np.nan_to_num(mad), np.nan_to_num(q75 - q25))
    typical = _quiet(np.nanmedian, np.abs(center), axis=0)  # [F]: a metric near zero on one node is measured by its peers' level
    typical = np.where(np.isfinite(typical) & (typical > 0), typical, 1.0)
    level = np.maximum(np.nan_to_num(np.abs(center)), typical[None, :])
    return _quiet(np.nanmax, np.abs(after - center[None]), axis=0) / np.maximum(spread, SPREAD_FLOOR * level)


def metric_evidence(
    frame: TelemetryFrame, onset: int, *, threshold: float = 3.0, baseline: TelemetryFrame | None = None,
    load_prefixes: Sequence[str] = LOAD_PREFIXES, calibrated: np.ndarray | None = None,
) -> dict[str, list[MetricChange]]:
    """Per node, its metrics past `threshold` (calibrated change; `calibrated` [N, F] when the caller has it) after `onset`,
    largest first."""
    ts = np.asarray(frame.timestamps, np.int64)
    values = np.asarray(frame.values, np.float64)
    before, after = values[ts < onset], values[ts >= onset]
    if not len(before) or not len(after):
        raise InvestigationError(f"need telemetry before and after the onset: {len(before)} step(s) before, {len(after)} at or after")
    change = calibrated_changes(frame, onset, baseline=baseline) if calibrated is None else calibrated
    center = _quiet(np.nanmedian, before, axis=0)
    mad = _quiet(np.nanmedian, np.abs(before - center[None]), axis=0) * MAD_SCALE
    dev = np.abs(after - center[None])  # [Ta, N, F]
    peak_idx = np.argmax(np.nan_to_num(dev, nan=-1.0), axis=0)  # [N, F]
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = _quiet(np.nanmax, dev, axis=0) / change if change.size else change  # the change's scale per metric
    out: dict[str, list[MetricChange]] = {}
    ts_after = ts[ts >= onset]
    for n, node in enumerate(frame.node_ids):
        found = []
        for f, metric in enumerate(frame.features):
            c = change[n, f]
            if not np.isfinite(c) or c < threshold:
                continue
            peak = float(after[peak_idx[n, f], n, f])
            past = np.nonzero(np.nan_to_num(dev[:, n, f]) >= threshold * unit[n, f])[0]
            since = int(ts_after[past[0]]) if len(past) else int(ts_after[peak_idx[n, f]])
            spread = mad[n, f]
            z = abs(peak - center[n, f]) / spread if np.isfinite(spread) and spread > 0 else math.inf
            found.append(MetricChange(node, metric, float(center[n, f]), peak, float(c), float(z), since,
                                      is_load(metric, load_prefixes)))
        if found:
            out[node] = sorted(found, key=lambda m: (m.load, -m.change, m.metric))
    return out


def recent_drivers(frame: TelemetryFrame, edges: Sequence[tuple[str, str]], node: str, *, recent_steps: int = 10,
                   threshold: float = 3.0) -> list[MetricChange]:
    """Metric changes of the last `recent_steps` against the rows before them, for `node` and everything it depends on
    (transitively): what moves a risk score, largest first (load metrics last)."""
    ts = np.asarray(frame.timestamps)
    if node not in frame.node_ids or len(ts) <= recent_steps + 2:
        return []
    ev = metric_evidence(frame, int(ts[-recent_steps]), threshold=threshold)
    deps = reachable(frame.node_ids, edges, node)
    out = [m for n in deps for m in ev.get(n, [])]
    return sorted(out, key=lambda m: (m.load, m.node != node, -m.change, m.node, m.metric))
