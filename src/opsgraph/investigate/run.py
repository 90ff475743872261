"""Run an investigation on the store: target -> onset -> telemetry window -> evidence -> ranking -> report.

TARGET is a node id (the symptom; onset given or detected) or an incident id (its AFFECTED
components, the first with telemetry as the symptom, and its `started_at` as the onset). The
estate's change log comes in as plain data (`changes`), read by `app`. Reads only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from opsgraph._time import age_text
from opsgraph.embed.base import Embedder
from opsgraph.investigate._errors import InvestigationError
from opsgraph.investigate.calls import call_changes, edge_changes, span_call_latencies
from opsgraph.investigate.changes import changes_before
from opsgraph.investigate.evidence import detect_onset, metric_evidence, node_series, read_window, telemetry_span, telemetry_types
from opsgraph.investigate.logs import LogLike, log_changes
from opsgraph.investigate.paths import observed_calls, shortest_paths
from opsgraph.investigate.rank import rank_candidates
from opsgraph.investigate.report import Investigation, TimelineEvent, iso
from opsgraph.investigate.runbooks import runbooks_for
from opsgraph.investigate.similar import _epoch, past_incidents, similar_incidents
from opsgraph.investigate.spans import SpanLike, split_at, thin, trace_changes
from opsgraph.schema import GraphSchema
from opsgraph.store.base import GraphStore

Progress = Callable[[str, float], None]
MIN_BEFORE_STEPS = 3


def _incident_target(store: GraphStore, schema: GraphSchema, target: str) -> tuple[list[str], int | None] | None:
    inc = schema.incidents
    if inc is None or inc.type not in schema.nodes:
        return None
    rows = store.query(f"MATCH (i:`{inc.type}` {{id: $id}}) OPTIONAL MATCH (i)-[:`{inc.affected}`]->(n) "
                       f"RETURN i.`{inc.start}` AS start, collect(n.id) AS nodes", {"id": target}).rows
    if not rows:
        return None
    return [str(n) for n in rows[0].get("nodes") or [] if n], _epoch(rows[0].get("start"))


def investigate(
    store: GraphStore, schema: GraphSchema, target: str, *, at: int | None = None, window_s: int = 1800,
    changes: Sequence[Mapping[str, Any]] = (), embedder: Embedder | None = None, now: float | None = None,
    progress: Progress | None = None, k: int = 5, spans: Iterable[SpanLike] = (), logs: Iterable[LogLike] = (),
) -> Investigation:
    """Investigate `target` (module docstring); raises `InvestigationError` with what to do when it cannot.

    `spans` (plain records, e.g. from `sources.traces.read_spans`, passed in by `app` like `changes`): those within
    the window are split at the onset and each service's own time per span and failed spans are weighed as
    evidence (`spans.trace_changes`), and each call edge's latency seen by its caller and by its callee
    (`calls.span_call_latencies`, one step of the telemetry each) gives the nodes whose calls slowed only on the
    caller's side (`calls.call_changes`); `logs` (e.g. `sources.logs.read_logs`) likewise give each service's error log
    lines per second (`logs.log_changes`).
    """
    began = time.perf_counter()
    say = progress or (lambda _msg, _frac: None)
    if window_s <= 0:
        raise InvestigationError(f"the window must be positive, got {window_s} s")
    if not telemetry_types(schema):
        raise InvestigationError("the schema declares no telemetry for any node type: nothing to investigate from")
    say("target", 0.05)
    incident_id, symptom, onset_source = None, target, "given"
    found = _incident_target(store, schema, target)
    if found is not None:
        nodes, started = found
        incident_id = target
        with_data = [n for n in nodes if telemetry_span(node_series(store, schema, n)) is not None]
        if not with_data:
            raise InvestigationError(f"incident {target} affected {', '.join(nodes) or 'no recorded component'}: "
                                     "none of them has stored telemetry")
        symptom = with_data[0]
        if at is None:
            if started is None:
                raise InvestigationError(f"incident {target} has no start time: give one with --at")
            at, onset_source = started, "incident"
    elif not store.node_types([target]):
        raise InvestigationError(f"no node or incident with id {target!r} in the store")
    series = node_series(store, schema, symptom)
    span = telemetry_span(series)
    if span is None:
        raise InvestigationError(f"{symptom} has no stored telemetry: nothing to measure the symptom by "
                                 "(ingest its telemetry, or investigate a component that has some)")
    if at is None:
        at = detect_onset(series, symptom)
        if at is None:
            raise InvestigationError(f"none of {symptom}'s metrics left its normal range in the stored telemetry "
                                     f"({iso(span[0])} to {iso(span[1])}): give the onset with --at")
        onset_source = "detected"
    if not (span[0] < at <= span[1]):
        raise InvestigationError(f"the onset {iso(at)} is outside {symptom}'s stored telemetry ({iso(span[0])} to {iso(span[1])})")
    say("telemetry", 0.2)
    win = read_window(store, schema, at - window_s, at + window_s + 1)
    frame = win.frame
    ts = np.asarray(frame.timestamps)
    if int((ts < at).sum()) < MIN_BEFORE_STEPS:
        raise InvestigationError(f"only {int((ts < at).sum())} step(s) of telemetry before the onset {iso(at)} in a "
                                 f"{window_s // 60} min window: widen --window or pick a later onset")
    say("evidence", 0.4)
    metrics = metric_evidence(frame, at)
    ids = list(frame.node_ids)
    moved = changes_before(changes, ids, at, window_s)
    incidents = [i for i in past_incidents(store, schema) if i.id != incident_id and (i.started_at or 0) < at]
    touched = {symptom}
    memory: dict[str, list[str]] = {}
    for past in incidents:
        if touched & (set(past.affected) | set(past.causes)):
            for cause in past.causes:
                memory.setdefault(cause, []).append(past.id)
    say("ranking", 0.6)
    lo, hi = (at - window_s) * 1_000_000_000, (at + window_s + 1) * 1_000_000_000
    window = thin([s for s in spans if lo <= s.start_ns < hi])
    before, after = split_at(window, at)
    traces = trace_changes(before, after) if before and after else {}
    step = int(np.median(np.diff(ts))) if ts.size > 1 else 60
    calls = call_changes(edge_changes(*span_call_latencies(window, max(step, 1)), at)) if before and after else {}
    said = log_changes(logs, at, at - window_s, at + window_s + 1)
    ranking = rank_candidates(frame, win.edges, symptom, at, metrics=metrics, changes=moved, memory=memory, traces=traces,
                              logs=said, calls=calls)
    top = ranking.top(k)
    paths = shortest_paths(win.edges, symptom, top, observed_calls(store, schema))
    say("incidents and runbooks", 0.8)
    metric_words = " ".join(m.metric.replace("_", " ") for c in ranking.candidates[:3] for m in c.metrics[:2])
    text = f"{symptom} {' '.join(top[:3])} {metric_words} " + " ".join(ch.kind for c in ranking.candidates[:3] for ch in c.changes)
    similar = similar_incidents(incidents, [symptom, *top[:3]], text, embedder=embedder, exclude=[incident_id] if incident_id else ())
    hints = [m.metric.replace("_", " ") for c in ranking.candidates[:3] for m in c.metrics[:2]]
    books = runbooks_for(store, schema, top[:3], hints=hints)
    timeline = [TimelineEvent(at, symptom, "onset", f"onset of the symptom on {symptom} ({onset_source})")]
    for cand in ranking.candidates[:k]:
        timeline += [TimelineEvent(m.since, cand.node, "metric", m.text()) for m in cand.metrics[:2]]
        timeline += [TimelineEvent(ch.at, cand.node, "change", ch.text) for ch in cand.changes]
        if cand.trace is not None:  # the spans after the onset against before: one event at the onset
            timeline.append(TimelineEvent(at, cand.node, "trace", cand.trace.text()))
        if cand.log is not None:
            timeline.append(TimelineEvent(at, cand.node, "log", cand.log.text()))
        if cand.call is not None:
            timeline.append(TimelineEvent(at, cand.node, "calls", cand.call.text()))
    for sim in similar:  # past incidents like this one, at their start: what they were, what caused and fixed them
        past = sim.incident
        if past.started_at is not None:
            blame = f"; cause {', '.join(past.causes)}" if past.causes else ""
            timeline.append(TimelineEvent(past.started_at, (past.causes or past.affected or (past.id,))[0], "incident",
                                          f"{past.id} {past.title}{blame}" + (f"; fix: {past.fix}" if past.fix else "")))
    timeline.sort(key=lambda e: (e.at, e.kind != "change", e.node))
    data_until = int(max(span[1], int(ts.max())))
    return Investigation(
        target=target, symptom=symptom, onset=int(at), onset_source=onset_source, window_s=window_s, data_until=data_until,
        data_age=f"computed on telemetry up to {iso(data_until)}, {age_text(data_until, now)}", candidates=ranking.candidates,
        confident=ranking.confident, confidence=ranking.confidence, evidence=metrics, paths=paths, timeline=timeline,
        similar=similar, runbooks=books, incident=incident_id, seconds=time.perf_counter() - began,
    )
