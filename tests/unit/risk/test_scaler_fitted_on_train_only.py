import numpy as np

from opsgraph.risk import build_dataset, simulate_estate
from opsgraph.store.base import TelemetryFrame


def _frame(values: np.ndarray, labels: np.ndarray, e) -> TelemetryFrame:  # type: ignore[no-untyped-def]
    return TelemetryFrame(e.node_ids, e.features, e.timestamps, values, labels)


def test_changing_later_data_does_not_change_the_scaler() -> None:
    e = simulate_estate(5, 200, seed=0)
    a = build_dataset(e.to_frame(), e.edges, window=4, horizon=2)
    t1, _ = a.split_steps
    shifted = e.values.copy()
    shifted[t1:] *= 100.0
    b = build_dataset(_frame(shifted, e.labels, e), e.edges, window=4, horizon=2)
    np.testing.assert_array_equal(a.scaler.center, b.scaler.center)
    np.testing.assert_array_equal(a.scaler.node_center, b.scaler.node_center)
    np.testing.assert_array_equal(a.x[:t1], b.x[:t1])


def test_scaler_centre_is_the_training_median_per_node() -> None:
    e = simulate_estate(5, 200, seed=0)
    ds = build_dataset(e.to_frame(), e.edges, window=4, horizon=2, scaling="node")
    t1, _ = ds.split_steps
    assert ds.scaler.node_center is not None
    np.testing.assert_allclose(ds.scaler.node_center, np.median(e.values[:t1], axis=0), rtol=1e-6)


def test_scaling_ignores_missing_values() -> None:
    e = simulate_estate(4, 200, seed=0, missing_rate=0.1)
    ds = build_dataset(e.to_frame(), e.edges, window=4, horizon=2)
    assert ds.scaler.node_center is not None
    assert np.isfinite(ds.scaler.node_center).all() and np.isfinite(ds.x).all()
