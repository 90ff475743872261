"""Spans as root-cause evidence: a service is blamed for its own (exclusive) time per span and its failed spans, not for
the time it waits on its callees; small moves and a handful of failures do not count; and the ranker weighs a traced
change as the node's own health. Hand-built traces of a three-service chain (frontend -> api -> db)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from opsgraph.investigate.evidence import metric_evidence
from opsgraph.investigate.rank import rank_candidates
from opsgraph.investigate.spans import OWN_FACTOR, service_spans, split_at, thin, trace_changes
from opsgraph.store.base import TelemetryFrame

MS = 1_000_000
T0 = 1_767_225_600


@dataclass(frozen=True)
class S:
    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    start_ns: int
    end_ns: int
    error: bool | None = None


def chain(n: int, *, start_s: int, fe_ms: float = 2.0, api_ms: float = 3.0, db_ms: float = 5.0, db_errors: int = 0,
          status: bool = False, jitter: float = 0.05, seed: int = 0) -> list[S]:
    """`n` requests frontend -> api -> db; each service's own time (ms) given, the callers wait on their callee."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        t = (start_s + i * 0.01) * 1e9
        own = [x * (1 + jitter * rng.standard_normal()) for x in (fe_ms, api_ms, db_ms)]
        db_start = t + (own[0] / 2 + own[1] / 2) * MS
        db_end = db_start + own[2] * MS
        api_start, api_end = t + own[0] / 2 * MS, db_end + own[1] / 2 * MS
        fail = (i < db_errors) if status else None
        tid = f"t{start_s}-{i}"
        out += [S(tid, "f", None, "frontend", int(t), int(api_end + own[0] / 2 * MS), fail if status else None),
                S(tid, "a", "f", "api", int(api_start), int(api_end), fail if status else None),
                S(tid, "d", "a", "db", int(db_start), int(db_end), fail)]
    return out


def test_exclusive_time_subtracts_the_union_of_child_spans() -> None:
    spans = [S("t", "p", None, "api", 0, 100 * MS), S("t", "c1", "p", "db", 10 * MS, 50 * MS),
             S("t", "c2", "p", "db", 30 * MS, 70 * MS), S("t", "c3", "p", "cache", 90 * MS, 150 * MS)]
    own = service_spans(spans)
    # children cover 10-70 and 90-100 (clipped): 70 ms of the parent's 100; the db spans have no children
    assert own["api"].own_ms.tolist() == [30.0]
    assert sorted(own["db"].own_ms.tolist()) == [40.0, 40.0]
    assert own["api"].errors is None


def test_the_slow_service_is_blamed_not_its_waiting_callers() -> None:
    before, after = chain(600, start_s=T0), chain(600, start_s=T0 + 60, db_ms=40.0)
    ch = trace_changes(before, after)
    assert ch["db"].own_change > 0 and ch["db"].own_factor is not None and ch["db"].own_factor > 7
    # api and frontend spans got 35 ms longer, all of it waiting on db: their own time did not move
    assert ch["api"].change == 0 and ch["frontend"].change == 0
    assert "own time per span" in ch["db"].text() and "x8" in ch["db"].text()


def test_a_move_under_a_doubling_does_not_count() -> None:
    ch = trace_changes(chain(600, start_s=T0), chain(600, start_s=T0 + 60, db_ms=5.0 * OWN_FACTOR * 0.8))
    assert ch["db"].change == 0


def test_failed_spans_count_only_past_a_handful_and_a_doubling() -> None:
    base = chain(1000, start_s=T0, status=True, db_errors=2)
    many = trace_changes(base, chain(1000, start_s=T0 + 60, status=True, db_errors=60))
    few = trace_changes(base, chain(1000, start_s=T0 + 60, status=True, db_errors=3))
    assert many["db"].error_change > 3 and "failed spans 2/1000 -> 60/1000" in many["db"].text()
    assert few["db"].error_change == 0
    no_status = trace_changes(chain(100, start_s=T0), chain(100, start_s=T0 + 60))
    assert no_status["db"].errors_after is None and no_status["db"].error_change == 0


def test_spans_split_at_the_onset() -> None:
    spans = chain(10, start_s=T0) + chain(10, start_s=T0 + 60)
    before, after = split_at(spans, T0 + 30)
    assert len(before) == len(after) == 30 and all(s.start_ns < (T0 + 30) * 1e9 for s in before)


def _quiet_frame() -> TelemetryFrame:
    """Metrics that do not point at db: api's server latency rises a little (it waits on db), db's metrics stay flat."""
    rng = np.random.default_rng(3)
    nodes, feats = ["frontend", "api", "db"], ["server_latency", "requests"]
    v = np.empty((40, 3, 2), np.float32)
    v[...] = np.array([100.0, 50.0], np.float32)
    v *= 1 + 0.01 * rng.standard_normal(v.shape).astype(np.float32)
    v[30:, 1, 0] *= 1.3
    v[30:, 0, 0] *= 1.3
    ts = T0 + 60 * np.arange(40, dtype=np.int64)
    return TelemetryFrame(nodes, feats, ts, v, np.full((40, 3), -1, np.int8))


def test_the_ranker_weighs_a_traced_change_as_the_nodes_own_health() -> None:
    f = _quiet_frame()
    onset = int(f.timestamps[30])
    edges = [("frontend", "api"), ("api", "db")]
    metrics = metric_evidence(f, onset)
    blind = rank_candidates(f, edges, "frontend", onset, metrics=metrics)
    assert blind.top(1) != ["db"]
    traces = trace_changes(chain(600, start_s=onset - 600), chain(600, start_s=onset + 60, db_ms=40.0))
    seen = rank_candidates(f, edges, "frontend", onset, metrics=metrics, traces=traces)
    top = seen.candidates[0]
    assert top.node == "db" and top.trace is not None and "traces: own time per span" in top.reason
    assert seen.candidates[0].as_dict()["trace"]["service"] == "db"
    # callers whose spans only waited carry no trace evidence
    assert all(c.trace is None for c in seen.candidates if c.node != "db")


def test_a_busy_window_is_thinned_to_whole_traces_and_keeps_its_evidence() -> None:
    before, after = chain(3000, start_s=T0), chain(3000, start_s=T0 + 60, db_ms=40.0)
    kept = thin(before + after, cap=3000)
    assert 2000 < len(kept) < 4000
    by_trace: dict[str, int] = {}
    for s in kept:
        by_trace[s.trace_id] = by_trace.get(s.trace_id, 0) + 1
    assert set(by_trace.values()) == {3}  # whole traces only: exclusive times stay exact
    b, a = split_at(kept, T0 + 60)
    ch = trace_changes(b, a)
    assert ch["db"].own_change > 0 and ch["api"].change == 0
    assert thin(before, cap=len(before)) == before
