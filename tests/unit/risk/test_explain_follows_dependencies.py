from opsgraph.risk import SimulatedEstate, TrainedRiskModel, explain_node

from ._sim import later


def test_first_hop_is_a_real_dependency(trained: TrainedRiskModel, estate: SimulatedEstate) -> None:
    frame = later(estate, 40, run_seed=11).to_frame()
    for node in ("svc-000", "svc-001", "svc-005"):
        ex = explain_node(trained, frame, node)
        assert ex.path, node
        assert ex.path[0].dependant == node
        assert (node, ex.path[0].dependency) in estate.edges
        for a, b in zip(ex.path, ex.path[1:], strict=False):
            assert a.dependency == b.dependant and (b.dependant, b.dependency) in estate.edges
        assert all(0.0 <= hop.attention <= 1.0 for hop in ex.path)


def test_node_without_dependencies_has_an_empty_path(trained: TrainedRiskModel, estate: SimulatedEstate) -> None:
    leaf = next(n for n in estate.node_ids if not any(src == n for src, _ in estate.edges))
    ex = explain_node(trained, later(estate, 40, run_seed=11).to_frame(), leaf)
    assert ex.path == [] and ex.self_attention > 0.99
