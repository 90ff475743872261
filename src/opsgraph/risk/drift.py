"""Data drift: how far recent telemetry windows sit from the training distribution.

Each window of `length` steps of *scaled* telemetry [L, N, F] is summarised by
a vector of 3F numbers: for every feature, the mean over nodes of each node's
time-mean, the mean over nodes of each node's time-standard-deviation, and the
90th percentile over nodes of the time-means (a few nodes moving far). The
score of a window is the Mahalanobis distance of its summary from the mean of
training summaries under a shrunk covariance
``(1 - s) S + s tr(S)/d I``.

The alarm threshold is calibrated, not fixed: distances of held-out normal
windows are collected out-of-fold (time blocks; each block scored by a fit on
the others, with a gap of `length` steps so no window straddles), and the
threshold is their conformal ``1 - false_alarm_rate`` quantile. A report also
gives the empirical tail probability of the score among those calibration
distances (small = unusual). Consecutive windows overlap, so alarms on them
are correlated; the rate holds per window, not per independent test.

Pure numpy; no torch, no I/O.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from opsgraph.risk._stats import conformal_threshold, mahalanobis_sq, shrunk_precision, tail_probability


def window_summaries(x: np.ndarray, length: int, stride: int = 1) -> np.ndarray:
    """Summaries [K, 3F] of the windows of `length` steps ending at the last step and every
    `stride` steps before it, oldest first."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"x must be [T, N, F], got {x.shape}")
    t_len = x.shape[0]
    if t_len < length:
        raise ValueError(f"need at least {length} steps, got {t_len}")
    ends = np.arange(t_len - 1, length - 2, -stride)[::-1]
    zero = np.zeros((1, *x.shape[1:]))
    c1 = np.concatenate([zero, np.cumsum(x, axis=0)])
    c2 = np.concatenate([zero, np.cumsum(x * x, axis=0)])
    out = []
    for chunk in np.array_split(ends, max(1, len(ends) // 64)):  # bounded memory on big estates
        mean = (c1[chunk + 1] - c1[chunk + 1 - length]) / length  # [k, N, F]
        var = (c2[chunk + 1] - c2[chunk + 1 - length]) / length - mean**2
        sd = np.sqrt(np.maximum(var, 0.0))
        out.append(np.concatenate([mean.mean(1), sd.mean(1), np.quantile(mean, 0.9, axis=1)], axis=-1))
    return np.concatenate(out)


@dataclass(frozen=True)
class DriftReport:
    """The drift verdict on the most recent window."""

    score: float
    """Mahalanobis distance of the recent window's summary."""
    threshold: float
    """Calibrated alarm threshold."""
    p_value: float
    """Share of calibration windows at least as far (with +1 smoothing)."""
    drifted: bool
    """score > threshold."""
    false_alarm_rate: float
    """Target rate the threshold was calibrated to."""
    window_steps: int
    """Steps in the window scored."""


@dataclass(frozen=True)
class DriftDetector:
    """A fitted drift baseline (see the module docstring)."""

    length: int
    """Steps per window."""
    mean: np.ndarray
    """[D] mean training summary."""
    precision: np.ndarray
    """[D, D] inverse of the shrunk covariance."""
    calibration: np.ndarray
    """Sorted out-of-fold distances of normal windows."""
    threshold: float
    """Alarm threshold."""
    false_alarm_rate: float
    """Target false-alarm rate."""
    shrinkage: float
    """Covariance shrinkage used."""

    @classmethod
    def fit(
        cls, x: np.ndarray, *, length: int = 24, false_alarm_rate: float = 0.01,
        shrinkage: float = 0.1, folds: int = 5,
    ) -> DriftDetector:
        """Fit on scaled telemetry [T, N, F] of a normal period and calibrate out-of-fold."""
        s = window_summaries(x, length)
        k = s.shape[0]
        if k < 2 * folds:
            raise ValueError(f"{x.shape[0]} steps are too few for drift windows of {length} steps")
        ends = np.arange(length - 1, x.shape[0])
        bounds = np.linspace(0, x.shape[0], folds + 1).astype(int)
        cal = []
        for lo, hi in itertools.pairwise(bounds):
            held = (ends - length + 1 >= lo) & (ends < hi)
            # Training windows must not touch the held-out block.
            train = (ends < lo) | (ends - length + 1 >= hi)
            if held.sum() == 0 or train.sum() < 2:
                continue
            mean, prec = shrunk_precision(s[train], shrinkage)
            cal.append(np.sqrt(mahalanobis_sq(s[held], mean, prec)))
        calibration = np.sort(np.concatenate(cal))
        mean, prec = shrunk_precision(s, shrinkage)
        return cls(length, mean, prec, calibration, conformal_threshold(calibration, false_alarm_rate),
                   false_alarm_rate, shrinkage)

    def distances(self, x: np.ndarray, stride: int = 1) -> np.ndarray:
        """Distance of every window (oldest first) of scaled telemetry [T, N, F]."""
        return np.sqrt(mahalanobis_sq(window_summaries(x, self.length, stride), self.mean, self.precision))

    def check(self, x: np.ndarray) -> DriftReport:
        """Score the most recent window of scaled telemetry [T >= length, N, F]."""
        d = float(self.distances(x[-self.length :])[-1])
        return DriftReport(
            score=d,
            threshold=self.threshold,
            p_value=float(tail_probability(self.calibration, d)),
            drifted=d > self.threshold,
            false_alarm_rate=self.false_alarm_rate,
            window_steps=self.length,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready baseline."""
        return {
            "length": self.length,
            "mean": self.mean.tolist(),
            "precision": self.precision.tolist(),
            "calibration": self.calibration.tolist(),
            "threshold": self.threshold,
            "false_alarm_rate": self.false_alarm_rate,
            "shrinkage": self.shrinkage,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DriftDetector:
        """Inverse of `to_dict`."""
        return cls(
            int(d["length"]),
            np.asarray(d["mean"], dtype=np.float64),
            np.asarray(d["precision"], dtype=np.float64),
            np.asarray(d["calibration"], dtype=np.float64),
            float(d["threshold"]),
            float(d["false_alarm_rate"]),
            float(d["shrinkage"]),
        )
