"""A caller's measurement of a call (an X-Ray ``_remote`` node: a load balancer, an external API) ranks after the
components that moved, and keeps its place when none did. Hand-built frames: a site calling a search service
directly and through its load balancer, which the graph shows as a leaf, as X-Ray draws it."""

from __future__ import annotations

import numpy as np

from opsgraph.investigate.evidence import metric_evidence
from opsgraph.investigate.rank import caller_side_nodes, rank_candidates
from opsgraph.store.base import TelemetryFrame

LB = "search-lb.elb.amazonaws.com_remote"
NODES = ["site", "search", LB, "db"]
FEATS = ["latency", "errors", "requests"]
EDGES = [("site", "search"), ("site", LB), ("search", "db")]
T0 = 1_767_225_600
FAULT = 30


def frame(change) -> TelemetryFrame:  # type: ignore[no-untyped-def]
    """40 quiet steps (1% noise) of every node and metric; `change(values)` edits the rows from `FAULT` on."""
    rng = np.random.default_rng(11)
    v = np.empty((40, len(NODES), len(FEATS)), np.float32)
    v[...] = np.array([100.0, 0.01, 50.0], np.float32)
    v *= 1 + 0.01 * rng.standard_normal(v.shape).astype(np.float32)
    change(v[FAULT:])
    ts = T0 + 60 * np.arange(40, dtype=np.int64)
    return TelemetryFrame(list(NODES), list(FEATS), ts, v, np.full((40, len(NODES)), -1, np.int8))


def rank(f: TelemetryFrame, **kw):  # type: ignore[no-untyped-def]
    onset = int(f.timestamps[FAULT])
    return rank_candidates(f, EDGES, "site", onset, metrics=metric_evidence(f, onset), **kw)


def slow_search(v: np.ndarray) -> None:
    v[:, 1, 0] *= 5  # search serves slowly: the cause
    v[:, 2, 0] *= 12  # the site's view of its calls through the balancer: louder (queueing in front)
    v[:, 0, 0] *= 2  # the site waits


def test_remote_nodes_are_named_by_the_xray_suffix() -> None:
    assert caller_side_nodes([*NODES, "PetSearch_client", "remote_db"]) == {LB}


def test_a_balancer_seen_from_the_caller_ranks_after_the_component_behind_it() -> None:
    f = frame(slow_search)
    assert rank(f, caller_side=()).top(1) == [LB]  # ranked as a component, the louder caller-side view wins
    ranking = rank(f)
    assert ranking.top(1) == ["search"] and LB in ranking.top(3)  # after the site too: it moved, in its own metrics
    lb = next(c for c in ranking.candidates if c.node == LB)
    assert "caller's view of a call" in lb.reason and lb.metrics  # still cited with its evidence
    assert "caller's view" not in ranking.candidates[0].reason


def test_a_remote_node_keeps_its_place_when_no_component_moved() -> None:
    def slow_external_api(v: np.ndarray) -> None:
        v[:, 2, 0] *= 12  # only the call out of the estate slows down
        v[:, 0, 0] *= 2

    ranking = rank(frame(slow_external_api))
    assert ranking.top(1) == [LB]
    assert "caller's view" not in ranking.candidates[0].reason
