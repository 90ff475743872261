import numpy as np

from opsgraph.risk.dataset import impute


def test_missing_values_take_the_last_seen_value_else_zero() -> None:
    z = np.array([np.nan, 1.0, np.nan, np.nan, 2.0], dtype=np.float32).reshape(5, 1, 1)
    assert impute(z).ravel().tolist() == [0.0, 1.0, 1.0, 1.0, 2.0]
