"""Shared numpy statistics: shrunk covariances, Mahalanobis distances, tail probabilities."""

from __future__ import annotations

import numpy as np


def shrunk_precision(samples: np.ndarray, shrinkage: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and inverse of ``(1 - s) * S + s * (tr(S) / d) * I + 1e-6 * I`` over axis -2.

    `samples` is [..., K, D]; returns mean [..., D] and precision [..., D, D].
    The shrinkage keeps the inverse stable when K is small or features are
    collinear (e.g. overlapping windows).
    """
    mean = samples.mean(axis=-2)
    centred = samples - mean[..., None, :]
    k = max(samples.shape[-2] - 1, 1)
    cov = np.einsum("...ki,...kj->...ij", centred, centred) / k
    d = cov.shape[-1]
    trace = np.trace(cov, axis1=-2, axis2=-1)[..., None, None] / d
    eye = np.eye(d)
    reg = (1 - shrinkage) * cov + shrinkage * trace * eye + 1e-6 * (1.0 + trace) * eye
    return mean, np.linalg.inv(reg)


def mahalanobis_sq(x: np.ndarray, mean: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """Squared distance of x [..., D] from mean [..., D] under precision [..., D, D]."""
    diff = x - mean
    return np.maximum(np.einsum("...i,...ij,...j->...", diff, precision, diff), 0.0)


def tail_probability(reference_sorted: np.ndarray, value: np.ndarray | float) -> np.ndarray:
    """Empirical ``(1 + #{ref >= v}) / (n + 1)`` against a sorted reference sample (a conformal p-value)."""
    ref = np.asarray(reference_sorted)
    n = ref.shape[-1]
    above = n - np.searchsorted(ref, np.asarray(value), side="left")
    return (1.0 + above) / (n + 1.0)


def conformal_threshold(calibration: np.ndarray, false_alarm_rate: float) -> float:
    """The smallest threshold whose empirical false-alarm rate on `calibration` is <= the target.

    Uses the finite-sample rank ``ceil((n + 1) (1 - a))``; with too few
    samples for the target rate it falls back to the largest value seen.
    """
    cal = np.sort(np.asarray(calibration, dtype=np.float64))
    if cal.size == 0:
        raise ValueError("no calibration values")
    rank = int(np.ceil((cal.size + 1) * (1 - false_alarm_rate)))
    return float(cal[min(rank, cal.size) - 1])
