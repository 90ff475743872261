"""The watch loop's scorer: incremental while its state continues, a full score (same numbers) when the state is
missing, stale, or the model or the nodes changed; and the label-free anomaly-only board."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from opsgraph.risk import RiskDataError, SimulatedEstate, TrainedRiskModel
from opsgraph.risk.live import ANOMALY_ONLY, LiveScorer, anomaly_only_scores
from opsgraph.store.base import TelemetryFrame


def _upto(frame: TelemetryFrame, stop: int, start: int = 0) -> TelemetryFrame:
    return replace(frame, timestamps=np.asarray(frame.timestamps)[start:stop], values=np.asarray(frame.values)[start:stop],
                   labels=np.asarray(frame.labels)[start:stop])


def test_incremental_while_the_state_continues_full_otherwise_and_the_same_numbers(
    trained: TrainedRiskModel, estate: SimulatedEstate
) -> None:
    frame = estate.to_frame()
    ref = trained.probabilities(_upto(frame, 120), ends=np.arange(90, 120))  # [30, N]
    live = LiveScorer()

    first = live.score(trained, "v1", _upto(frame, 100, 40), estate.edges, first_new=50)  # steps 90..99
    assert first.how == "full" and first.reason == "no state yet"
    assert [t for t, _ in first.steps] == [int(t) for t in frame.timestamps[90:100]]
    np.testing.assert_allclose(np.stack([p for _, p in first.steps]), ref[:10], atol=1e-5)

    second = live.score(trained, "v1", _upto(frame, 110, 50), estate.edges, first_new=50)  # steps 100..109
    assert second.how == "incremental" and second.reason == ""
    np.testing.assert_allclose(np.stack([p for _, p in second.steps]), ref[10:20], atol=1e-5)
    assert second.scores is not None and second.scores.timestamp == int(frame.timestamps[109])
    assert second.scores.mode == "model"
    board = {r.node: r.probability for r in second.scores.nodes}
    assert [board[n] for n in frame.node_ids] == pytest.approx(ref[19].tolist(), abs=1e-5)

    stale = live.score(trained, "v1", _upto(frame, 120, 50), estate.edges, first_new=65)  # skips 110..114
    assert stale.how == "full" and stale.reason.startswith("state stale")
    np.testing.assert_allclose(np.stack([p for _, p in stale.steps]), ref[25:30], atol=1e-5)

    changed = live.score(trained, "v2", _upto(frame, 121, 50), estate.edges, first_new=70)
    assert changed.how == "full" and changed.reason == "model changed (v1 -> v2)"

    fewer = replace(_upto(frame, 122, 50), node_ids=frame.node_ids[:-1], values=np.asarray(frame.values)[50:122, :-1])
    edges = [e for e in estate.edges if frame.node_ids[-1] not in e]
    dropped = live.score(trained, "v2", fewer, edges, first_new=71)
    assert dropped.how == "full" and dropped.reason == "nodes or dependencies changed"


def test_anomaly_only_flags_the_node_far_off_its_own_normal(estate: SimulatedEstate) -> None:
    frame = estate.to_frame()
    values = np.array(frame.values[:200], dtype=np.float32)
    values[-5:, 3, :] += 50 * np.nanstd(values[:, 3, :], axis=0)  # node 3 leaves its normal in the last 5 steps
    wild = replace(_upto(frame, 200), values=values)
    scores = anomaly_only_scores(wild, length=5)
    assert scores.mode == ANOMALY_ONLY and scores.threshold == 0.01
    assert scores.nodes[0].node == frame.node_ids[3] and scores.nodes[0].risky and scores.nodes[0].anomaly_p < 0.01
    assert all(math.isnan(r.probability) for r in scores.nodes), "no failure probability without labels"
    assert scores.timestamp == int(frame.timestamps[199])
    with pytest.raises(RiskDataError, match="needs at least 25 steps"):
        anomaly_only_scores(_upto(frame, 10), length=5)
