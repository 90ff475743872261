"""Failure labels a real estate already has: incidents in the graph and SLO rules in the schema.

The risk model learns from failure labels ``labels[t, n]`` (1 failing, 0
healthy, -1 unknown). Few estates record them by hand. This module derives
them from what an estate does keep, in this order:

1. **explicit**: the telemetry's own label column, when it marks any failure;
2. **incidents**: every component an incident AFFECTED (the schema's
   `incidents` section names the types and properties) is failing from the
   incident's start to its end (an open incident: to the last step);
3. **slo**: a node type's `slo` rules (e.g. ``error_rate above 0.02 for 3
   steps``): the steps of a breach that lasted `for_steps` steps or longer.

Incidents and SLO breaches are combined (a step failing by either is
failing); steps neither marks are healthy (0). With none of the three the
source is ``none`` and the risk engine has nothing to learn from: it runs in
anomaly-only mode and must say so wherever it shows a score.

It reads the store only through `incident_windows` (one parameter-free
query whose type and property names come from the validated schema).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

import numpy as np

from opsgraph.schema import GraphSchema, SloRule
from opsgraph.store.base import GraphStore, TelemetryFrame

LabelSource = Literal["explicit", "incidents", "slo", "incidents+slo", "none"]


@dataclass(frozen=True)
class IncidentWindow:
    """One incident: the components it affected and when."""

    incident: str
    """Incident id."""
    nodes: tuple[str, ...]
    """Ids of the components it AFFECTED."""
    start: int
    """Epoch seconds impact began."""
    end: int | None
    """Epoch seconds impact ended; None while open."""


@dataclass(frozen=True)
class LabelReport:
    """Where the labels came from and how many failing steps each source gave."""

    source: LabelSource
    """What the labels used for training came from; ``none`` means anomaly-only."""
    failing_steps: int = 0
    """Node-steps labelled failing."""
    incidents_used: tuple[str, ...] = ()
    """Incidents that overlapped the telemetry and labelled something."""
    slo_breaches: dict[str, int] = field(default_factory=dict)
    """Failing node-steps per rule (``feature>bound``)."""

    @property
    def anomaly_only(self) -> bool:
        """True when there is nothing to learn failures from."""
        return self.source == "none"

    def describe(self) -> str:
        """One line for people: what the risk scores are trained on."""
        if self.source == "none":
            return "no failure labels (no labelled telemetry, incident or SLO breach): anomaly-only mode"
        parts = {"explicit": "the telemetry's label column", "incidents": f"{len(self.incidents_used)} incident(s) in the graph",
                 "slo": "the schema's SLO rules"}
        used = " and ".join(parts[p] for p in self.source.split("+"))
        return f"failure labels from {used} ({self.failing_steps} failing node-steps)"


def _epoch(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def incident_windows(store: GraphStore, schema: GraphSchema) -> list[IncidentWindow]:
    """Incidents in the store with the components they affected (empty when the schema declares no incidents)."""
    inc = schema.incidents
    if inc is None:
        return []
    # Names come from the validated schema (identifier pattern), never from input.
    end = f"i.`{inc.end}`" if inc.end else "null"
    cypher = (f"MATCH (i:`{inc.type}`)-[:`{inc.affected}`]->(n) "
              f"RETURN i.id AS incident, i.`{inc.start}` AS start, {end} AS end, collect(DISTINCT n.id) AS nodes")
    out: list[IncidentWindow] = []
    for row in store.query(cypher).rows:
        start = _epoch(row.get("start"))
        if start is None:
            continue  # an incident without a start cannot label steps
        out.append(IncidentWindow(str(row["incident"]), tuple(sorted(str(n) for n in row.get("nodes") or [])), start, _epoch(row.get("end"))))
    return sorted(out, key=lambda w: (w.start, w.incident))


def incident_labels(frame: TelemetryFrame, windows: Iterable[IncidentWindow]) -> tuple[np.ndarray, tuple[str, ...]]:
    """[T, N] int8: 1 where an affected node is inside its incident's window, else 0; and the incidents that labelled anything."""
    ts = np.asarray(frame.timestamps, dtype=np.int64)
    labels = np.zeros((len(ts), len(frame.node_ids)), dtype=np.int8)
    index = {n: i for i, n in enumerate(frame.node_ids)}
    used: list[str] = []
    for w in windows:
        cols = [index[n] for n in w.nodes if n in index]
        if not cols or len(ts) == 0:
            continue
        end = w.end if w.end is not None else int(ts[-1])
        rows = (ts >= w.start) & (ts <= end)
        if rows.any():
            labels[np.ix_(rows, np.asarray(cols, dtype=np.intp))] = 1
            used.append(w.incident)
    return labels, tuple(used)


def _breach_runs(breached: np.ndarray, length: int) -> np.ndarray:
    """Per column, True on steps of breach runs at least `length` long, from the run's `length`-th step on."""
    out = np.zeros_like(breached, dtype=bool)
    run = np.zeros(breached.shape[1], dtype=np.int64)
    for t in range(breached.shape[0]):
        run = np.where(breached[t], run + 1, 0)
        out[t] = run >= length
    return out


def slo_labels(frame: TelemetryFrame, rules: Sequence[SloRule]) -> tuple[np.ndarray, dict[str, int]]:
    """[T, N] int8: 1 on steps where any rule has been breached for its `for_steps`; failing node-steps per rule."""
    values = np.asarray(frame.values, dtype=np.float64)
    labels = np.zeros(values.shape[:2], dtype=np.int8)
    counts: dict[str, int] = {}
    for rule in rules:
        if rule.feature not in frame.features:
            continue
        col = values[:, :, frame.features.index(rule.feature)]
        with np.errstate(invalid="ignore"):
            breached = col > rule.above if rule.above is not None else col < float(rule.below)  # type: ignore[arg-type]
        breached &= ~np.isnan(col)
        hit = _breach_runs(breached, rule.for_steps)
        name = f"{rule.feature}>{rule.above}" if rule.above is not None else f"{rule.feature}<{rule.below}"
        counts[name] = int(hit.sum())
        labels[hit] = 1
    return labels, counts


def resolve_labels(frame: TelemetryFrame, *, incidents: Sequence[IncidentWindow] = (), rules: Sequence[SloRule] = ()) -> tuple[TelemetryFrame, LabelReport]:
    """The frame with the labels training should use, and where they came from (see the module docstring)."""
    explicit = np.asarray(frame.labels, dtype=np.int8)
    if explicit.size and (explicit == 1).any():
        return frame, LabelReport("explicit", int((explicit == 1).sum()))
    inc, used = incident_labels(frame, incidents)
    slo, counts = slo_labels(frame, rules)
    sources = [name for name, arr in (("incidents", inc), ("slo", slo)) if arr.any()]
    if not sources:
        return frame, LabelReport("none")
    labels = np.maximum(inc, slo).astype(np.int8)
    source: LabelSource = "incidents+slo" if len(sources) == 2 else sources[0]  # type: ignore[assignment]
    return replace(frame, labels=labels), LabelReport(source, int(labels.sum()), used if inc.any() else (), counts if slo.any() else {})
