import numpy as np
import pytest

from opsgraph.risk.metrics import auroc, average_precision, best_f1_threshold, binary_metrics

Y = np.array([0, 0, 1, 1])
S = np.array([0.1, 0.4, 0.35, 0.8])


def test_auroc_counts_correctly_ordered_pairs() -> None:
    assert auroc(Y, S) == pytest.approx(0.75)
    assert auroc(np.array([0, 1]), np.array([0.5, 0.5])) == pytest.approx(0.5)  # ties count half


def test_average_precision_is_the_step_area_under_precision_recall() -> None:
    assert average_precision(Y, S) == pytest.approx((1.0 + 2 / 3) / 2)


def test_threshold_maximises_f1_and_metrics_use_it() -> None:
    thr = best_f1_threshold(Y, S)
    assert thr == pytest.approx(0.35)
    m = binary_metrics(Y, S, thr)
    assert m["f1"] == pytest.approx(0.8) and m["recall"] == 1.0 and m["precision"] == pytest.approx(2 / 3)


def test_metrics_without_positives_are_nan() -> None:
    assert np.isnan(auroc(np.zeros(3), np.ones(3)))
    assert np.isnan(average_precision(np.zeros(3), np.ones(3)))
