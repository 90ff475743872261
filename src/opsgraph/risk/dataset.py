"""Risk datasets: telemetry frames + dependency edges -> scaled windows with targets.

What it does: reads telemetry and dependency edges from a `GraphStore`
(`load_from_store`), fits a robust per-feature scaler on the *training* period
only, imputes missing values, derives the prediction targets from the failure
labels, and cuts time-ordered train / validation / test windows. It must not
read files or the environment, and it never shuffles across time.

Conventions
    `edges` are dependency pairs ``(a, b)``: *a depends on b*. Failures travel
    from b to a, so the message-passing graph has the edge ``b -> a``:
    `edge_index[0]` holds message sources (dependencies), `edge_index[1]`
    targets (dependants).

    A window ending at step e covers steps ``e - window + 1 .. e`` and is
    labelled with `targets[e]` (see `failure_targets`: failing in
    ``(e, e + horizon]``).

    Topology over time: `edge_spans` (from the store's change log, see
    `opsgraph.store.history.edge_intervals`) say when each dependency was
    true. The dataset then holds every edge true at some step and an
    `edge_mask` [T, E]: edge e exists in the snapshot of step t iff it was true
    at `timestamps[t]`. With no change inside the frame the mask is None and
    everything is exactly as with a static edge list.

Splits (T steps, fractions of time)
    train steps ``[0, t1)``, validation ``[t1, t2)``, test ``[t2, T)``. Window
    ends are assigned by the step they end at; ends of training and
    validation windows stop `horizon` steps before their period ends, so no
    target peeks at labels of a later split. Windows may read earlier steps as
    history (that is the past, not leakage). The scaler sees steps ``[0, t1)``
    only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from opsgraph.errors import RiskError
from opsgraph.risk.simulate import failure_targets
from opsgraph.schema import GraphSchema
from opsgraph.store.base import GraphStore, TelemetryFrame
from opsgraph.store.history import ALL_ROWS, Interval, edge_intervals

EdgeSpans = dict[tuple[str, str], list[Interval]]
"""(src, dst) -> [start, end) intervals (epoch seconds, None = open) in which `src` depended on `dst`."""

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class RiskDataError(RiskError, ValueError):
    """Telemetry or edges cannot make a risk dataset."""


@dataclass(frozen=True)
class EstateTelemetry:
    """Telemetry of one node type plus the dependency edges among its nodes."""

    frame: TelemetryFrame
    """Dense telemetry."""
    edges: list[tuple[str, str]]
    """(src, dst): src depends on dst; both ends are in `frame.node_ids`."""
    node_type: str = ""
    """Node type the telemetry belongs to."""
    schema_name: str = ""
    """Name of the estate's schema."""
    edge_spans: EdgeSpans | None = None
    """When each dependency among these nodes was true (edges removed since included); None: no history read."""


@dataclass(frozen=True)
class FeatureScaler:
    """Robust scaling ``z = clip((x - center) / scale, -clip, clip)``.

    `center` is the NaN-aware median and `scale` the interquartile range / 1.349
    (falling back to the standard deviation, then 1) of training data. With
    `per_node`, statistics are per (node, feature) and nodes unknown at fit
    time use the global ones.
    """

    features: tuple[str, ...]
    """Feature names, in order."""
    center: np.ndarray
    """float64 [F], global."""
    scale: np.ndarray
    """float64 [F], global, > 0."""
    node_ids: tuple[str, ...] = ()
    """Nodes with their own statistics (empty unless per node)."""
    node_center: np.ndarray | None = None
    """float64 [N, F] or None."""
    node_scale: np.ndarray | None = None
    """float64 [N, F] or None."""
    clip: float = 10.0
    """Scaled values are clipped to [-clip, clip]."""

    @staticmethod
    def _stats(x: np.ndarray, axis: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        import warnings

        with warnings.catch_warnings():  # all-NaN slices are handled below
            warnings.simplefilter("ignore", RuntimeWarning)
            q25, med, q75 = np.nanpercentile(x, [25, 50, 75], axis=axis)
            std = np.nanstd(x, axis=axis)
        scale = (q75 - q25) / 1.349
        scale = np.where(np.isfinite(scale) & (scale > 1e-9), scale, std)
        scale = np.where(np.isfinite(scale) & (scale > 1e-9), scale, 1.0)
        return np.nan_to_num(med, nan=0.0), scale

    @classmethod
    def fit(
        cls, values: np.ndarray, features: Sequence[str], node_ids: Sequence[str] | None = None,
        *, clip: float = 10.0,
    ) -> FeatureScaler:
        """Fit on `values` [T, N, F]; per node when `node_ids` is given."""
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 3 or values.shape[2] != len(features):
            raise RiskDataError(f"values must be [T, N, {len(features)}], got {values.shape}")
        center, scale = cls._stats(values, (0, 1))
        if node_ids is None:
            return cls(tuple(features), center, scale, clip=clip)
        if len(node_ids) != values.shape[1]:
            raise RiskDataError("node_ids do not match axis 1 of values")
        nc, ns = cls._stats(values, (0,))
        # Nodes with no data at all fall back to the global statistics.
        empty = np.all(np.isnan(values), axis=0)
        nc = np.where(empty, center[None, :], nc)
        ns = np.where(empty, scale[None, :], ns)
        return cls(tuple(features), center, scale, tuple(node_ids), nc, ns, clip)

    def transform(self, values: np.ndarray, node_ids: Sequence[str], features: Sequence[str]) -> np.ndarray:
        """Scale `values` [T, N, F] of `node_ids`; NaN stays NaN. float32."""
        if list(features) != list(self.features):
            raise RiskDataError(f"features {list(features)} differ from the fitted {list(self.features)}")
        values = np.asarray(values, dtype=np.float64)
        center = np.broadcast_to(self.center, (len(node_ids), len(self.features))).copy()
        scale = np.broadcast_to(self.scale, (len(node_ids), len(self.features))).copy()
        if self.node_center is not None and self.node_scale is not None:
            known = {nid: i for i, nid in enumerate(self.node_ids)}
            rows = np.array([known.get(nid, -1) for nid in node_ids], dtype=np.int64)
            hit = rows >= 0
            center[hit] = self.node_center[rows[hit]]
            scale[hit] = self.node_scale[rows[hit]]
        z = (values - center[None]) / scale[None]
        return np.clip(z, -self.clip, self.clip).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {
            "features": list(self.features),
            "center": self.center.tolist(),
            "scale": self.scale.tolist(),
            "node_ids": list(self.node_ids),
            "node_center": None if self.node_center is None else self.node_center.tolist(),
            "node_scale": None if self.node_scale is None else self.node_scale.tolist(),
            "clip": self.clip,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureScaler:
        """Inverse of `to_dict`."""
        nc, ns = d.get("node_center"), d.get("node_scale")
        return cls(
            tuple(d["features"]),
            np.asarray(d["center"], dtype=np.float64),
            np.asarray(d["scale"], dtype=np.float64),
            tuple(d.get("node_ids", ())),
            None if nc is None else np.asarray(nc, dtype=np.float64),
            None if ns is None else np.asarray(ns, dtype=np.float64),
            float(d.get("clip", 10.0)),
        )


def impute(z: np.ndarray) -> np.ndarray:
    """Fill NaN in scaled values [T, N, F]: last value seen for that node and feature, else 0 (the median)."""
    z = np.asarray(z, dtype=np.float32)
    missing = np.isnan(z)
    if not missing.any():
        return z.copy()
    t = np.arange(z.shape[0]).reshape(-1, *([1] * (z.ndim - 1)))
    last = np.where(missing, -1, t)
    last = np.maximum.accumulate(last, axis=0)
    filled = np.take_along_axis(z, np.maximum(last, 0), axis=0)
    filled = np.where(last >= 0, filled, 0.0)
    return np.nan_to_num(filled, nan=0.0).astype(np.float32)


def message_edge_index(
    node_ids: Sequence[str], edges: Sequence[tuple[str, str]]
) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Message-passing edges for dependency pairs.

    Returns `edge_index` int64 [2, E] with row 0 = dependency (message source)
    and row 1 = dependant, and the dependency pairs kept: both ends known,
    no self-loops, no repeats, in input order.
    """
    index = {nid: i for i, nid in enumerate(node_ids)}
    kept: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for src, dst in edges:
        pair = (str(src), str(dst))
        if pair[0] == pair[1] or pair in seen or pair[0] not in index or pair[1] not in index:
            continue
        seen.add(pair)
        kept.append(pair)
    if not kept:
        return np.zeros((2, 0), dtype=np.int64), kept
    ei = np.array([[index[d] for _, d in kept], [index[s] for s, _ in kept]], dtype=np.int64)
    return ei, kept


def timed_edges(
    edges: Sequence[tuple[str, str]], edge_spans: EdgeSpans | None
) -> list[tuple[str, str]]:
    """`edges` (the current ones) followed by edges of `edge_spans` no longer current, sorted."""
    out = [(str(a), str(b)) for a, b in edges]
    if edge_spans:
        seen = set(out)
        out.extend(sorted(k for k in edge_spans if k not in seen))
    return out


def edge_step_mask(
    timestamps: np.ndarray, pairs: Sequence[tuple[str, str]], edge_spans: EdgeSpans | None
) -> np.ndarray | None:
    """bool [T, E]: pair e was true at `timestamps[t]`; None when every pair held at every step.

    A pair without spans is taken as true throughout (an edge written before any history).
    """
    if not edge_spans or not len(pairs):
        return None
    ts = np.asarray(timestamps, dtype=np.float64)
    mask = np.ones((ts.shape[0], len(pairs)), dtype=bool)
    for col, pair in enumerate(pairs):
        spans = edge_spans.get(pair)
        if spans is None:
            continue
        held = np.zeros(ts.shape[0], dtype=bool)
        for start, end in spans:
            held |= (ts >= (-np.inf if start is None else start)) & (ts < (np.inf if end is None else end))
        mask[:, col] = held
    return None if mask.all() else mask


@dataclass(frozen=True)
class RiskDataset:
    """Scaled, imputed telemetry with targets, graph and time-ordered splits."""

    node_ids: list[str]
    """Node ids, axis 1."""
    features: list[str]
    """Feature names, axis 2."""
    timestamps: np.ndarray
    """int64 [T]."""
    x: np.ndarray
    """float32 [T, N, F], scaled and imputed."""
    targets: np.ndarray
    """int8 [T, N]: 1 risky, 0 not, -1 unknown (masked)."""
    labels: np.ndarray
    """int8 [T, N]: the failure labels the targets came from."""
    edges: list[tuple[str, str]]
    """Dependency pairs kept (src depends on dst)."""
    edge_index: np.ndarray
    """int64 [2, E] message direction: dependency -> dependant."""
    scaler: FeatureScaler
    """Fitted on training steps only."""
    window: int
    """Steps per window."""
    horizon: int
    """Target horizon in steps."""
    train_ends: np.ndarray
    """int64 window end steps for training."""
    val_ends: np.ndarray
    """int64 window end steps for validation."""
    test_ends: np.ndarray
    """int64 window end steps for testing."""
    split_steps: tuple[int, int]
    """(t1, t2): first validation step and first test step."""
    edge_mask: np.ndarray | None = None
    """bool [T, E] aligned with `edge_index` columns: the edge existed at that step; None: every edge at every step."""


def split_steps(n_steps: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """(t1, t2) boundaries of train [0, t1), validation [t1, t2), test [t2, T)."""
    t2 = n_steps - round(n_steps * test_fraction)
    t1 = t2 - round(n_steps * val_fraction)
    return t1, t2


def build_dataset(
    frame: TelemetryFrame,
    edges: Sequence[tuple[str, str]],
    *,
    window: int = 8,
    horizon: int = 5,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    scaling: Literal["node", "global"] = "node",
    clip: float = 10.0,
    scaler: FeatureScaler | None = None,
    edge_spans: EdgeSpans | None = None,
) -> RiskDataset:
    """Build a dataset from a frame; fit the scaler on training steps unless one is given.

    With `edge_spans`, each step's snapshot holds only the dependencies true at its time (`edge_mask`).
    """
    values = np.asarray(frame.values)
    t_len = values.shape[0] if values.ndim == 3 else 0
    if values.ndim != 3 or values.shape[1:] != (len(frame.node_ids), len(frame.features)):
        raise RiskDataError(
            f"values must be [T, {len(frame.node_ids)}, {len(frame.features)}], got {values.shape}"
        )
    if np.asarray(frame.labels).shape != values.shape[:2]:
        raise RiskDataError("labels must be [T, N]")
    if window < 1:
        raise RiskDataError("window must be >= 1")
    t1, t2 = split_steps(t_len, val_fraction, test_fraction)
    first = window - 1
    train_ends = np.arange(first, t1 - horizon, dtype=np.int64)
    val_ends = np.arange(max(first, t1), t2 - horizon if test_fraction > 0 else t2, dtype=np.int64)
    test_ends = np.arange(max(first, t2), t_len, dtype=np.int64)
    if train_ends.size == 0 or val_ends.size == 0:
        raise RiskDataError(
            f"{t_len} steps are too few for window {window}, horizon {horizon} and these fractions"
        )
    if scaler is None:
        scaler = FeatureScaler.fit(
            values[:t1], frame.features, frame.node_ids if scaling == "node" else None, clip=clip
        )
    x = impute(scaler.transform(values, frame.node_ids, frame.features))
    labels = np.asarray(frame.labels, dtype=np.int8)
    ei, kept = message_edge_index(frame.node_ids, timed_edges(edges, edge_spans))
    mask = edge_step_mask(frame.timestamps, kept, edge_spans)
    return RiskDataset(
        node_ids=list(frame.node_ids),
        features=list(frame.features),
        timestamps=np.asarray(frame.timestamps, dtype=np.int64),
        x=x,
        targets=failure_targets(labels, horizon),
        labels=labels,
        edges=kept,
        edge_index=ei,
        scaler=scaler,
        window=window,
        horizon=horizon,
        train_ends=train_ends,
        val_ends=val_ends,
        test_ends=test_ends,
        split_steps=(t1, t2),
        edge_mask=mask,
    )


def slice_frame(frame: TelemetryFrame, start: int | None = None, stop: int | None = None) -> TelemetryFrame:
    """Time steps [start, stop) of a frame (Python slice semantics)."""
    sl = slice(start, stop)
    return TelemetryFrame(
        node_ids=list(frame.node_ids),
        features=list(frame.features),
        timestamps=np.asarray(frame.timestamps)[sl].copy(),
        values=np.asarray(frame.values)[sl].copy(),
        labels=np.asarray(frame.labels)[sl].copy(),
    )


def dependency_query(edge_type: str) -> str:
    """The Cypher reading one dependency edge type; `edge_type` must be a schema name."""
    if not _NAME.match(edge_type):
        raise RiskDataError(f"edge type {edge_type!r} is not a valid type name")
    return f"MATCH (a)-[r:{edge_type}]->(b) RETURN a.id AS src, b.id AS dst"


def load_from_store(
    store: GraphStore,
    schema: GraphSchema,
    node_type: str,
    *,
    node_ids: Sequence[str] | None = None,
    start: int | None = None,
    end: int | None = None,
) -> EstateTelemetry:
    """Read telemetry of `node_type` in [start, end) and the dependency edges among its nodes.

    Edge types are the schema's dependency edges; only their names (validated
    by the schema) ever reach the Cypher text. Edges with an end outside the
    telemetry's nodes are dropped. `edge_spans` holds when each edge among
    these nodes was true, from the store's change log (None when the log
    records no dependency change, so the topology is the same at every step).
    An edge from a source's first sync (its initial load) counts as true since
    before history began: that sync says when opsgraph learnt of it, not when
    it began, and telemetry from before it must not lose the edge.
    """
    if node_type not in schema.nodes:
        raise RiskDataError(f"unknown node type {node_type!r} (declared: {', '.join(sorted(schema.nodes))})")
    declared = schema.nodes[node_type].telemetry
    if not declared:
        raise RiskDataError(f"node type {node_type!r} declares no telemetry features")
    frame = store.read_telemetry(node_type, node_ids, start, end)
    missing = [f for f in declared if f not in frame.features]
    if missing:
        raise RiskDataError(f"telemetry lacks declared features {missing}")
    known = set(frame.node_ids)
    edges: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    current: dict[str, list[tuple[str, str]]] = {}
    for edge_type in schema.dependency_edges():
        if edge_type not in schema.edges:  # defensive: the name must come from the schema
            raise RiskDataError(f"unknown edge type {edge_type!r}")
        result = store.query(dependency_query(edge_type), limit=ALL_ROWS)
        for row in result.rows:
            pair = (str(row["src"]), str(row["dst"]))
            current.setdefault(edge_type, []).append(pair)
            if pair[0] in known and pair[1] in known and pair[0] != pair[1] and pair not in seen:
                seen.add(pair)
                edges.append(pair)
    spans: EdgeSpans = {}
    for (_, a, b), intervals in edge_intervals(
        store, list(schema.dependency_edges()), current, first_load_open=True,
        since=float(frame.timestamps[0]) if len(frame.timestamps) else None,
    ).items():
        if a in known and b in known and a != b:
            spans.setdefault((a, b), []).extend(intervals)
    changed = any(s is not None or e is not None for intervals in spans.values() for s, e in intervals)
    return EstateTelemetry(frame=frame, edges=edges, node_type=node_type, schema_name=schema.name,
                           edge_spans=spans if changed else None)
