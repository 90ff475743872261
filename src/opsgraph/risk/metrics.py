"""Metrics of the risky class in plain numpy (scikit-learn is not a dependency).

Accuracy is useless here: most nodes are healthy most of the time, so a model
that never raises an alarm scores ~95 %. We report, for the positive (risky)
class only: precision, recall and F1 at a threshold chosen on validation data,
AUROC (rank statistic) and average precision (area under the step-wise
precision-recall curve, as scikit-learn defines it).
"""

from __future__ import annotations

import numpy as np


def _check(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y).ravel()
    s = np.asarray(s, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in size: {y.shape} vs {s.shape}")
    return (y == 1).astype(np.int64), s


def auroc(y: np.ndarray, s: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties); NaN if one class is absent."""
    y, s = _check(y, s)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    sorted_s = s[order]
    ranks = np.empty(s.size, dtype=np.float64)
    # Average rank of each run of equal scores.
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    u = ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def _pr_points(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True and false positives at each distinct threshold, highest threshold first."""
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    tp = np.cumsum(y_sorted)
    fp = np.cumsum(1 - y_sorted)
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), s_sorted.size - 1]
    return tp[last], fp[last], s_sorted[last]


def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """Sum over thresholds of (recall step) x precision; NaN without positives."""
    y, s = _check(y, s)
    n_pos = int(y.sum())
    if n_pos == 0:
        return float("nan")
    tp, fp, _ = _pr_points(y, s)
    precision = tp / (tp + fp)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def best_f1_threshold(y: np.ndarray, s: np.ndarray) -> float:
    """The score threshold (predict risky when score >= it) that maximises F1; 0.5 without positives."""
    y, s = _check(y, s)
    n_pos = int(y.sum())
    if n_pos == 0 or s.size == 0:
        return 0.5
    tp, fp, thr = _pr_points(y, s)
    f1 = 2 * tp / (2 * tp + fp + (n_pos - tp))
    return float(thr[int(np.argmax(f1))])


def binary_metrics(y: np.ndarray, s: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall, F1 at `threshold`, AUROC, AP and counts for the risky class."""
    y, s = _check(y, s)
    pred = s >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "f1": f1,
        "precision": precision,
        "recall": recall,
        "auroc": auroc(y, s),
        "ap": average_precision(y, s),
        "threshold": float(threshold),
        "positives": int(y.sum()),
        "count": int(y.size),
    }
