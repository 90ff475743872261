import torch

from opsgraph.risk import SimulatedEstate, TrainedRiskModel, score_nodes

from ._sim import later


def test_scoring_sets_the_configured_thread_count(trained: TrainedRiskModel, estate: SimulatedEstate) -> None:
    assert trained.config.threads == 1
    torch.set_num_threads(2)
    try:
        score_nodes(trained, later(estate, 20, run_seed=14).to_frame())
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(1)
