import numpy as np
from _risk_baselines import MEAN_SHIFT_THRESHOLD, mean_shift_score


def test_mean_absolute_difference_of_feature_means() -> None:
    train = np.zeros((10, 3, 2))
    recent = np.zeros((4, 3, 2))
    recent[..., 0] = 0.2  # feature 0 moved by 0.2, feature 1 not
    assert mean_shift_score(train, train) == 0.0
    assert np.isclose(mean_shift_score(train, recent), 0.1)
    assert mean_shift_score(train, recent) > MEAN_SHIFT_THRESHOLD == 0.05
