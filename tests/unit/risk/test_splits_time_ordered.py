import numpy as np

from opsgraph.risk import build_dataset, simulate_estate


def test_train_then_validation_then_test_without_label_leakage() -> None:
    e = simulate_estate(6, 300, seed=1)
    ds = build_dataset(e.to_frame(), e.edges, window=8, horizon=5, val_fraction=0.2, test_fraction=0.2)
    t1, t2 = ds.split_steps
    assert (t1, t2) == (180, 240)
    for ends in (ds.train_ends, ds.val_ends, ds.test_ends):
        assert np.all(np.diff(ends) == 1)  # in time order, no shuffling
    assert ds.train_ends[0] == 7  # first full window
    # Targets look `horizon` steps ahead: they must not read the next split's labels.
    assert ds.train_ends[-1] + ds.horizon < t1 <= ds.val_ends[0]
    assert ds.val_ends[-1] + ds.horizon < t2 <= ds.test_ends[0]
    assert ds.test_ends[-1] == 299


def test_message_edges_point_from_dependency_to_dependant() -> None:
    e = simulate_estate(n_steps=60, edges=[("web", "api"), ("api", "db")], node_ids=["web", "api", "db"], seed=0)
    ds = build_dataset(e.to_frame(), [*e.edges, ("web", "unknown")], window=4, horizon=1)
    assert ds.edge_index.tolist() == [[1, 2], [0, 1]]  # api -> web, db -> api
    assert ds.edges == [("web", "api"), ("api", "db")]
