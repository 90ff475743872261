"""Call-edge evidence: a delay on one node's network shows as latency its callers see and it does not, on the calls it
takes part in; the ranker then blames that node although its own server metrics stay flat. A slow callee (both ends
see it) and a single noisy call of a busy node are not blamed on the network. Hand-built frames of a small estate."""

from __future__ import annotations

import numpy as np
import pytest

from opsgraph.investigate import InvestigationError
from opsgraph.investigate.calls import call_changes, edge_changes
from opsgraph.investigate.evidence import metric_evidence
from opsgraph.investigate.rank import rank_candidates
from opsgraph.store.base import TelemetryFrame

NODES = ["frontend", "checkout", "cart", "email"]
EDGES = [("frontend", "checkout"), ("frontend", "cart"), ("checkout", "cart"), ("checkout", "email")]
FEATS = ["server_latency", "cpu"]
T0 = 1_767_225_600
STEPS, FAULT = 40, 30


def latencies(delayed: str | None = None, slow: str | None = None, noisy: tuple[str, str] | None = None,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each edge's caller-side and callee-side latency (seconds, 2% noise): from `FAULT` on, 0.3 s more on the caller's
    side of every call `delayed` takes part in (its network), or on both sides of every call into `slow` (a slow
    server), or on the caller's side of the one call `noisy` only."""
    rng = np.random.default_rng(3)
    server = 0.003 * (1 + 0.02 * rng.standard_normal((STEPS, len(EDGES))))
    client = server + 0.001 * (1 + 0.02 * rng.standard_normal((STEPS, len(EDGES))))
    for k, (a, b) in enumerate(EDGES):
        if delayed in (a, b) or (a, b) == noisy:
            client[FAULT:, k] += 0.3
        if slow == b:
            client[FAULT:, k] += 0.3
            server[FAULT:, k] += 0.3
    return T0 + 60 * np.arange(STEPS, dtype=np.int64), client, server


def frame() -> TelemetryFrame:
    """The nodes' own metrics: quiet, except the symptom's latency (its pages wait on whatever is wrong)."""
    rng = np.random.default_rng(5)
    v = np.empty((STEPS, len(NODES), len(FEATS)), np.float32)
    v[...] = np.array([0.1, 30.0], np.float32)
    v *= 1 + 0.01 * rng.standard_normal(v.shape).astype(np.float32)
    v[FAULT:, 0, 0] *= 4
    return TelemetryFrame(list(NODES), list(FEATS), T0 + 60 * np.arange(STEPS, dtype=np.int64), v,
                          np.full((STEPS, len(NODES)), -1, np.int8))


def test_the_node_whose_calls_all_slowed_on_the_callers_side_is_blamed() -> None:
    ts, client, server = latencies(delayed="cart")
    onset = int(ts[FAULT])
    edges = {(e.caller, e.callee): e for e in edge_changes(EDGES, ts, client, server, onset)}
    assert edges["frontend", "cart"].change > 10 and edges["checkout", "cart"].change > 10
    assert edges["frontend", "checkout"].change == 0 and edges["checkout", "email"].change == 0
    assert edges["frontend", "cart"].peak == pytest.approx(0.301, abs=0.01)  # the time in between, in the input's unit
    by_node = call_changes(list(edges.values()))
    assert max(by_node, key=lambda n: by_node[n].change) == "cart"
    assert "checkout" not in by_node  # one of its three calls moved: its median did not
    assert "rose on 2 of its 2 calls" in by_node["cart"].text()

    f = frame()
    before = rank_candidates(f, EDGES, "frontend", onset, metrics=metric_evidence(f, onset))
    after = rank_candidates(f, EDGES, "frontend", onset, metrics=metric_evidence(f, onset), calls=by_node)
    assert before.top(1) == ["frontend"]  # cart's own metrics are flat: without its calls it is not found
    assert after.top(1) == ["cart"]
    top = after.candidates[0]
    assert top.call is not None and "calls: time between caller and callee rose on 2 of its 2 calls" in top.reason
    assert top.as_dict()["call"]["change"] == pytest.approx(by_node["cart"].change)


def test_a_slow_callee_is_not_a_network_delay() -> None:
    ts, client, server = latencies(slow="cart")
    changes = edge_changes(EDGES, ts, client, server, int(ts[FAULT]))
    assert all(e.change < 0.5 for e in changes)  # both ends moved alike: no excess on the caller's side
    assert all(c.change < 0.5 for c in call_changes(changes).values())


def test_one_delayed_call_of_a_busy_node_blames_its_single_call_partner_not_it() -> None:
    ts, client, server = latencies(noisy=("checkout", "email"))
    by_node = call_changes(edge_changes(EDGES, ts, client, server, int(ts[FAULT])))
    assert set(by_node) == {"email"}  # email's only call moved; checkout's other two did not


def test_edges_without_both_ends_before_and_after_are_left_out_and_shapes_are_checked() -> None:
    ts, client, server = latencies(delayed="cart")
    server[:FAULT, 1] = np.nan  # frontend->cart: no callee-side figure before the onset
    kept = {(e.caller, e.callee) for e in edge_changes(EDGES, ts, client, server, int(ts[FAULT]))}
    assert ("frontend", "cart") not in kept and len(kept) == 3
    with pytest.raises(InvestigationError, match=r"\[timestamps, edges\] = \[40, 4\]"):
        edge_changes(EDGES, ts, client[:, :3], server[:, :3], int(ts[FAULT]))


def test_spans_give_each_call_edge_its_client_and_server_latency_per_step() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class S:
        trace_id: str
        span_id: str
        parent_id: str | None
        service: str
        start_ns: int
        end_ns: int
        error: bool | None = None

    ms, t = 1_000_000, T0 * 1_000_000_000
    spans = [S("a", "h", None, "frontend", t, t + 50 * ms),  # the handler: two children, not a client span
             S("a", "c", "h", "frontend", t + ms, t + 21 * ms), S("a", "s", "c", "cart", t + 3 * ms, t + 13 * ms),
             S("a", "c2", "h", "frontend", t + 30 * ms, t + 40 * ms), S("a", "s2", "c2", "checkout", t + 31 * ms, t + 39 * ms),
             S("b", "c", None, "frontend", t + 61_000 * ms, t + 61_030 * ms),
             S("b", "s", "c", "cart", t + 61_001 * ms, t + 61_011 * ms)]
    from opsgraph.investigate.calls import span_call_latencies

    edges, ts, client, server = span_call_latencies(spans, 60)
    assert edges == [("frontend", "cart"), ("frontend", "checkout")]
    assert ts.tolist() == [T0, T0 + 60]
    assert client[:, 0] == pytest.approx([0.020, 0.030]) and server[:, 0] == pytest.approx([0.010, 0.010])
    assert client[0, 1] == pytest.approx(0.010) and np.isnan(client[1, 1])
    with pytest.raises(InvestigationError, match="time step must be positive"):
        span_call_latencies(spans, 0)
