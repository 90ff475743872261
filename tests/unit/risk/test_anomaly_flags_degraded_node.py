import numpy as np

from opsgraph.risk import SimulatedEstate, TrainedRiskModel, score_nodes
from opsgraph.store.base import TelemetryFrame

from ._sim import later


def test_a_degrading_node_gets_the_highest_anomaly_score(trained: TrainedRiskModel, estate: SimulatedEstate) -> None:
    fresh = later(estate, 30, run_seed=21)
    values = fresh.values.copy()
    values[-5:, 3, fresh.features.index("latency_p95_ms")] *= 4.0  # no labels needed
    frame = TelemetryFrame(fresh.node_ids, fresh.features, fresh.timestamps, values, np.zeros_like(fresh.labels))
    rows = {r.node: r for r in score_nodes(trained, frame).nodes}
    worst = max(rows.values(), key=lambda r: r.anomaly)
    assert worst.node == "svc-003"
    assert worst.anomaly_p < 0.01
