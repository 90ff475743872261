import numpy as np

from opsgraph.risk.simulate import failure_targets


def test_target_is_failure_within_the_next_horizon_steps() -> None:
    labels = np.array([[0], [0], [0], [1], [0], [0], [0]], dtype=np.int8)
    got = failure_targets(labels, 2)[:, 0].tolist()
    # t=1,2 see the failure at t=3 within (t, t+2]; the last two steps run past the data.
    assert got == [0, 1, 1, 0, 0, -1, -1]


def test_unknown_future_label_makes_the_target_unknown() -> None:
    labels = np.array([[0], [-1], [0], [0]], dtype=np.int8)
    assert failure_targets(labels, 1)[:, 0].tolist() == [-1, 0, 0, -1]


def test_horizon_zero_keeps_the_labels() -> None:
    labels = np.array([[0, 1], [1, 0]], dtype=np.int8)
    np.testing.assert_array_equal(failure_targets(labels, 0), labels)
