"""Metric evidence says which metric moved, by how much against what normal, since when; the ranker puts the
changed dependency first, says why, and abstains when nothing moved. A hand-built four-node frame."""

from __future__ import annotations

import math

import numpy as np
import pytest

from opsgraph.investigate._errors import InvestigationError
from opsgraph.investigate.changes import changes_before, classify
from opsgraph.investigate.evidence import detect_onset, merge_frames, metric_evidence
from opsgraph.investigate.paths import shortest_paths
from opsgraph.investigate.rank import rank_candidates
from opsgraph.investigate.similar import PastIncident, similar_incidents
from opsgraph.store.base import TelemetryFrame

NODES = ["frontend", "checkout", "payment", "email"]
FEATS = ["latency", "errors", "requests"]
EDGES = [("frontend", "checkout"), ("checkout", "payment"), ("checkout", "email")]
T0 = 1_767_225_600


def frame(steps: int = 40, fault_at: int = 30, *, fault: bool = True) -> TelemetryFrame:
    rng = np.random.default_rng(1)
    v = np.empty((steps, len(NODES), len(FEATS)), np.float32)
    v[..., 0] = 100 * (1 + 0.02 * rng.standard_normal((steps, len(NODES))))
    v[..., 1] = 0.01 * (1 + 0.05 * rng.standard_normal((steps, len(NODES))))
    v[..., 2] = 50 * (1 + 0.02 * rng.standard_normal((steps, len(NODES))))
    if fault:
        v[fault_at:, 2, 1] = 0.3  # payment's errors x30
        v[fault_at + 1:, 1, 0] = 600  # then checkout's latency
        v[fault_at + 2:, 0, 0] = 400  # then the frontend's
    ts = T0 + 60 * np.arange(steps, dtype=np.int64)
    return TelemetryFrame(list(NODES), list(FEATS), ts, v, np.full((steps, len(NODES)), -1, np.int8))


def test_metric_evidence_names_metric_factor_normal_and_since() -> None:
    f = frame()
    onset = int(f.timestamps[30])
    ev = metric_evidence(f, onset)
    top = ev["payment"][0]
    assert top.metric == "errors" and top.since == onset
    assert top.normal == pytest.approx(0.01, rel=0.1) and top.factor == pytest.approx(30, rel=0.15)
    assert top.z > 10 and "errors" in top.text() and "x" in top.text()
    assert ev["checkout"][0].metric == "latency" and ev["checkout"][0].since == int(f.timestamps[31])
    assert "email" not in ev  # nothing moved there


def test_onset_is_detected_at_the_symptoms_first_abnormal_step_and_refused_outside_the_data() -> None:
    f = frame()
    assert detect_onset(f, "checkout") == int(f.timestamps[31])
    assert detect_onset(frame(fault=False), "checkout") is None
    with pytest.raises(InvestigationError, match="before and after the onset"):
        metric_evidence(f, int(f.timestamps[0]))


def test_ranker_puts_the_changed_dependency_first_with_a_reason_and_abstains_without_change() -> None:
    f = frame()
    onset = int(f.timestamps[31])
    ranking = rank_candidates(f, EDGES, "checkout", onset, metrics=metric_evidence(f, onset))
    assert ranking.top(1) == ["payment"] and ranking.confident
    assert "errors" in ranking.candidates[0].reason
    assert not next(c for c in ranking.candidates if c.node == "frontend").explains_symptom  # checkout does not depend on it
    calm = frame(fault=False)
    quiet = rank_candidates(calm, EDGES, "checkout", onset, metrics=metric_evidence(calm, onset))
    assert not quiet.confident and quiet.confidence.startswith("no clear cause")


def test_a_recent_change_is_evidence_only_where_metrics_moved() -> None:
    f = frame()
    onset = int(f.timestamps[31])
    log = [{"time": onset - 300, "op": "update", "kind": "node", "type": "Service", "key": "email", "old": {"version": "1"},
            "new": {"version": "2"}, "text": "email: version 1 -> 2"},
           {"time": onset - 600, "op": "update", "kind": "node", "type": "Service", "key": "payment", "old": {"version": "4"},
            "new": {"version": "5"}, "text": "payment: version 4 -> 5"},
           {"time": onset - 99_999, "op": "update", "kind": "node", "type": "Service", "key": "payment", "old": {"replicas": 1},
            "new": {"replicas": 2}, "text": "too old"}]
    moved = changes_before(log, NODES, onset, 1800)
    assert [c.kind for c in moved["payment"]] == ["version"] and moved["payment"][0].before_onset_s == 600
    ranking = rank_candidates(f, EDGES, "checkout", onset, metrics=metric_evidence(f, onset), changes=moved)
    email = next(c for c in ranking.candidates if c.node == "email")
    assert ranking.top(1) == ["payment"] and "version change 10 min before onset" in ranking.candidates[0].reason
    assert email.changes and email.score < ranking.candidates[0].score  # changed but healthy: no bonus
    assert classify({"kind": "edge", "type": "OWNS", "op": "create"}) == "owner"
    assert classify({"kind": "edge", "type": "DEPENDS_ON", "op": "delete"}) == "dependency"


def test_paths_follow_dependencies_from_the_symptom_with_observed_calls() -> None:
    paths = shortest_paths(EDGES, "frontend", ["payment", "email", "nowhere"],
                           {("checkout", "payment"): {"calls": 120, "error_share": 0.25, "p95_ms": 900.0}})
    assert paths["payment"].nodes == ["frontend", "checkout", "payment"] and "nowhere" not in paths
    assert paths["payment"].hops[1].text() == "checkout -> payment (120 calls, 25.0% errors, p95 900 ms)"


def test_similar_incidents_share_components_and_words() -> None:
    past = [PastIncident("INC-1", "Payment errors after deploy", "payment returned 5xx after a bad release", 1, ("checkout",),
                         ("payment",), fix="rolled back"),
            PastIncident("INC-2", "Ad images missing", "cdn purge removed ad images", 1, ("ads",), ("cdn",))]
    found = similar_incidents(past, ["checkout", "payment"], "checkout payment errors release")
    assert [s.incident.id for s in found] == ["INC-1"] and "caused by payment" in found[0].why


def test_frames_of_two_types_merge_over_the_union_of_features() -> None:
    a = frame(5)
    b = TelemetryFrame(["db"], ["connections"], a.timestamps[2:], np.ones((3, 1, 1), np.float32), np.zeros((3, 1), np.int8))
    m = merge_frames([a, b])
    assert m.node_ids == [*NODES, "db"] and m.features == ["connections", "errors", "latency", "requests"]
    assert math.isnan(float(m.values[0, 4, 0])) and float(m.values[3, 4, 0]) == 1.0


def test_a_change_is_measured_in_units_of_the_metrics_own_spread_when_enough_rows_came_before() -> None:
    from opsgraph.investigate.evidence import SPREAD_FLOOR, calibrated_changes
    from opsgraph.risk.rca import metric_changes

    steps, fault_at = 40, 30
    swing = np.where(np.arange(steps) % 2 == 0, 1.0, -1.0)
    v = np.empty((steps, 2, 1), np.float32)
    v[:, 0, 0] = 100 + swing  # a quiet metric: +-1 around 100
    v[:, 1, 0] = 100 + 40 * swing  # a noisy one: +-40
    v[fault_at:, :, 0] += 15  # the same step up on both
    ts = T0 + 60 * np.arange(steps, dtype=np.int64)
    f = TelemetryFrame(["quiet", "noisy"], ["latency"], ts, v, np.full((steps, 2), -1, np.int8))
    change = calibrated_changes(f, int(ts[fault_at]))
    # Quiet: its spread (2) is under the floor, 5% of its level (5), so +16 at most is 3.2 units; noisy: its spread (80)
    # is the unit, so +55 at most is 0.69 units, within its normal swing.
    assert change[0, 0] == pytest.approx(16 / (SPREAD_FLOOR * 100), rel=0.02)
    assert change[1, 0] == pytest.approx(55 / 80, rel=0.02)
    # Two rows before the onset say nothing about spread: a tenth of the level is the unit (rca.metric_changes).
    short = TelemetryFrame(["quiet", "noisy"], ["latency"], ts[fault_at - 2:], v[fault_at - 2:], np.full((steps - fault_at + 2, 2), -1, np.int8))
    np.testing.assert_allclose(calibrated_changes(short, int(ts[fault_at])), metric_changes(short, int(ts[fault_at])))
