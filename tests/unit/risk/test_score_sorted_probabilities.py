from opsgraph.risk import SimulatedEstate, TrainedRiskModel, score_nodes

from ._sim import later


def test_scores_every_node_riskiest_first(trained: TrainedRiskModel, estate: SimulatedEstate) -> None:
    fresh = later(estate, 30, run_seed=12)
    scores = score_nodes(trained, fresh.to_frame())
    probs = [r.probability for r in scores.nodes]
    assert sorted(r.node for r in scores.nodes) == sorted(estate.node_ids)
    assert probs == sorted(probs, reverse=True) and all(0.0 <= p <= 1.0 for p in probs)
    assert all(r.risky == (r.probability >= scores.threshold) for r in scores.nodes)
    assert scores.timestamp == int(fresh.timestamps[-1])
