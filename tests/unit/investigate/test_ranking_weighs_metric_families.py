"""The ranker scores a node by its own health beyond its load: a callee driven by its caller's extra load, or a node whose
only change is the latency it sees as a client, is not blamed; the symptom is blamed when no dependency moved; and
"clear" needs the top candidate to stand apart. Hand-built frames of a three-node chain."""

from __future__ import annotations

import numpy as np
import pytest

from opsgraph.investigate.evidence import metric_evidence
from opsgraph.investigate.rank import metric_role, node_evidence, rank_candidates
from opsgraph.risk.rca import RootCauseError, rank_root_causes
from opsgraph.store.base import TelemetryFrame

NODES = ["frontend", "api", "db"]
FEATS = ["server_latency", "client_latency", "errors", "net_rx_bytes", "requests"]
EDGES = [("frontend", "api"), ("api", "db")]
T0 = 1_767_225_600
FAULT = 30


def frame(change) -> TelemetryFrame:  # type: ignore[no-untyped-def]
    """40 quiet steps (1% noise) of every node and metric; `change(values)` edits the rows from `FAULT` on."""
    rng = np.random.default_rng(7)
    v = np.empty((40, len(NODES), len(FEATS)), np.float32)
    v[...] = np.array([100.0, 100.0, 0.01, 1e6, 50.0], np.float32)
    v *= 1 + 0.01 * rng.standard_normal(v.shape).astype(np.float32)
    change(v[FAULT:])
    ts = T0 + 60 * np.arange(40, dtype=np.int64)
    return TelemetryFrame(list(NODES), list(FEATS), ts, v, np.full((40, len(NODES)), -1, np.int8))


def col(name: str) -> int:
    return FEATS.index(name)


def rank(f: TelemetryFrame):  # type: ignore[no-untyped-def]
    onset = int(f.timestamps[FAULT])
    return rank_candidates(f, EDGES, "frontend", onset, metrics=metric_evidence(f, onset))


def test_metric_roles_follow_the_name() -> None:
    assert [metric_role(f) for f in FEATS] == ["health", "outbound", "health", "volume", "load"]
    assert metric_role("workload_ops") == "load" and metric_role("syscall_read") == "volume"
    assert metric_role("latency:p99") == "health" and metric_role("availability:Average") == "health"


def test_a_callee_whose_latency_rose_with_its_load_is_not_blamed_over_the_caller_that_sent_it() -> None:
    def retry_storm(v: np.ndarray) -> None:
        v[:, 1, col("server_latency")] *= 3  # api slows down and retries: it is the cause
        v[:, 0, col("server_latency")] *= 3  # the frontend waits for it
        v[:, 2, col("requests")] *= 6  # db gets six times the queries...
        v[:, 2, col("server_latency")] *= 4  # ...and slows down under them: the loudest change, driven by api

    f = frame(retry_storm)
    ev = node_evidence(np.asarray(_changes(f)), f.features, 0)
    db, api = NODES.index("db"), NODES.index("api")
    assert ev.health[db] > ev.health[api]  # by health alone db would be blamed
    assert ev.anomaly[db] < ev.anomaly[api]  # its latency is no more than its load explains
    assert rank(f).top(1) == ["api"]


def test_latency_seen_as_a_client_is_cited_but_not_scored() -> None:
    def slow_db(v: np.ndarray) -> None:
        v[:, 2, col("server_latency")] *= 3  # db serves slowly: the cause
        v[:, 1, col("client_latency")] *= 40  # api waits for it (its own serving is fine)
        v[:, 0, col("server_latency")] *= 2

    ranking = rank(frame(slow_db))
    api = next(c for c in ranking.candidates if c.node == "api")
    assert ranking.top(1) == ["db"]
    assert api.metrics and api.metrics[0].metric == "client_latency"  # still shown as evidence
    assert api.anomaly == 0.0


def test_the_symptom_is_the_cause_when_no_dependency_moved_but_the_answer_is_not_clear() -> None:
    def frontend_only(v: np.ndarray) -> None:
        v[:, 0, col("errors")] *= 1.1  # a faint change on the symptom itself, under the threshold

    ranking = rank(frame(frontend_only))
    assert ranking.top(1) == ["frontend"]
    assert not ranking.confident and ranking.confidence.startswith("no clear cause")


def test_clear_needs_the_top_candidate_to_stand_apart() -> None:
    def one(v: np.ndarray) -> None:
        v[:, 2, col("errors")] *= 30
        v[:, 1, col("server_latency")] *= 1.5

    def two(v: np.ndarray) -> None:
        v[:, 2, col("errors")] *= 30
        v[:, 1, col("errors")] *= 25  # a second dependency almost as far from normal

    alone, pair = rank(frame(one)), rank(frame(two))
    assert alone.top(1) == ["db"] and alone.confident and alone.confidence.startswith("clear")
    assert pair.top(2) == ["db", "api"] and not pair.confident and "moved about as much" in pair.confidence


def test_the_walk_takes_a_per_node_anomaly_of_the_right_shape() -> None:
    f = frame(lambda v: None)
    onset = int(f.timestamps[FAULT])
    walk = rank_root_causes(f, EDGES, "frontend", onset, anomaly=np.array([0.0, 1.0, 3.0]))
    assert walk.top(1) == ["db"]
    with pytest.raises(RootCauseError, match="one value per node"):
        rank_root_causes(f, EDGES, "frontend", onset, anomaly=np.zeros(2))


def _changes(f: TelemetryFrame) -> np.ndarray:
    from opsgraph.investigate.evidence import calibrated_changes

    return calibrated_changes(f, int(f.timestamps[FAULT]))
