"""Per-node anomaly scores that need no labels, shown next to the risk score.

For each node, the mean and shrunk covariance of its scaled feature vector
at normal training steps (label 0, or all steps when unlabelled) define its
own normal. A node's score over its last L steps is
``sqrt(mean_t d_t^2)`` with ``d_t`` the Mahalanobis distance of step t; the
tail probability compares it with the same statistic on that node's normal
training windows (in-sample, so slightly optimistic). Pure numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from opsgraph.risk._stats import mahalanobis_sq, shrunk_precision, tail_probability

_MAX_REFERENCE = 256


@dataclass(frozen=True)
class NodeAnomaly:
    """One node's anomaly score."""

    node: str
    score: float
    """Root mean squared Mahalanobis distance over the recent steps (NaN for unknown nodes)."""
    p_value: float
    """Tail probability among the node's normal training windows (NaN for unknown nodes)."""


@dataclass(frozen=True)
class NodeAnomalyDetector:
    """Per-node normal baselines."""

    node_ids: tuple[str, ...]
    mean: np.ndarray
    """[N, F]."""
    precision: np.ndarray
    """[N, F, F]."""
    reference: np.ndarray
    """[N, K] sorted normal-window scores per node (quantiles when subsampled)."""
    length: int
    """Recent steps averaged."""

    @classmethod
    def fit(
        cls, x: np.ndarray, node_ids: Sequence[str], labels: np.ndarray | None = None,
        *, length: int = 5, shrinkage: float = 0.1,
    ) -> NodeAnomalyDetector:
        """Fit on scaled telemetry [T, N, F] (training period) and failure labels [T, N]."""
        x = np.asarray(x, dtype=np.float64)
        t_len, n, f = x.shape
        normal = np.ones((t_len, n), bool) if labels is None else np.asarray(labels) == 0
        means = np.zeros((n, f))
        precs = np.zeros((n, f, f))
        for i in range(n):
            rows = x[normal[:, i], i]
            if rows.shape[0] < 2:
                rows = x[:, i]
            means[i], precs[i] = shrunk_precision(rows, shrinkage)
        d2 = mahalanobis_sq(x, means[None], precs[None])  # [T, N]
        d2 = np.where(normal, d2, np.nan)
        ref = _rolling_rms(d2, length)  # [T - L + 1, N], NaN where a window touches a failure
        k = min(_MAX_REFERENCE, ref.shape[0])
        qs = np.linspace(0, 1, k)
        reference = np.empty((n, k))
        for i in range(n):
            vals = ref[:, i][np.isfinite(ref[:, i])]
            reference[i] = np.quantile(vals, qs) if vals.size else np.full(k, np.inf)
        return cls(tuple(node_ids), means, precs, reference, length)

    def score(self, x: np.ndarray, node_ids: Sequence[str]) -> list[NodeAnomaly]:
        """Scores of the last `length` steps of scaled telemetry [T, N, F], in `node_ids` order."""
        x = np.asarray(x, dtype=np.float64)[-self.length :]
        known = {nid: i for i, nid in enumerate(self.node_ids)}
        out = []
        for j, nid in enumerate(node_ids):
            i = known.get(nid)
            if i is None:
                out.append(NodeAnomaly(nid, float("nan"), float("nan")))
                continue
            s = float(np.sqrt(mahalanobis_sq(x[:, j], self.mean[i], self.precision[i]).mean()))
            out.append(NodeAnomaly(nid, s, float(tail_probability(self.reference[i], s))))
        return out


def _rolling_rms(d2: np.ndarray, length: int) -> np.ndarray:
    """sqrt of the mean over each run of `length` steps; NaN if any step is NaN."""
    t_len = d2.shape[0]
    if t_len < length:
        return np.full((0, d2.shape[1]), np.nan)
    zero = np.zeros((1, d2.shape[1]))
    c = np.concatenate([zero, np.cumsum(np.nan_to_num(d2, nan=0.0), axis=0)])
    bad = np.concatenate([zero, np.cumsum(np.isnan(d2), axis=0)])
    total = c[length:] - c[:-length]
    nbad = bad[length:] - bad[:-length]
    return np.where(nbad > 0, np.nan, np.sqrt(total / length))
