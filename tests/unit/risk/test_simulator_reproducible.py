import numpy as np

from opsgraph.risk import simulate_estate


def test_same_seed_gives_identical_estate() -> None:
    a = simulate_estate(9, 120, seed=3)
    b = simulate_estate(9, 120, seed=3)
    assert a.edges == b.edges
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.labels, b.labels)


def test_other_run_seed_keeps_the_estate_but_not_the_telemetry() -> None:
    a = simulate_estate(9, 120, seed=3)
    b = simulate_estate(9, 120, seed=3, run_seed=4)
    assert a.edges == b.edges
    assert not np.array_equal(a.values, b.values)


def test_output_types_and_shapes() -> None:
    e = simulate_estate(7, 50, seed=1, features=["cpu", "latency_p95_ms", "queue_depth"], interval_seconds=30)
    assert e.values.shape == (50, 7, 3) and e.values.dtype == np.float32
    assert e.labels.shape == (50, 7) and e.labels.dtype == np.int8
    assert e.timestamps.dtype == np.int64 and set(np.diff(e.timestamps)) == {30}
    assert np.isfinite(e.values).all()


def test_explicit_edge_list_is_used() -> None:
    edges = [("web", "api"), ("api", "db"), ("worker", "db")]
    e = simulate_estate(n_steps=40, edges=edges, node_ids=["web", "api", "db", "worker"], seed=0)
    assert e.node_ids == ["web", "api", "db", "worker"]
    assert sorted(e.edges) == sorted(edges)
