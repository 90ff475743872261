"""Scoring telemetry as it arrives: the watch loop's risk step, and the label-free score when there are no labels.

`LiveScorer` keeps one `ModelStepper` (each node's ring of W snapshot encodings
and its last seen values) between watch cycles. Given the recent telemetry and
the index of the first step not scored yet, it encodes only the new steps when
its state continues exactly where the last cycle stopped (same model version,
same nodes and edges, and its last step is the one just before the new ones).
Otherwise it says why (no state yet, model changed, nodes changed, state
stale) and rebuilds the state from the stored history: one encoding per step
of the last window, the same work as a full score, with the same numbers.

`anomaly_only_scores` is the risk board of an estate with no failure labels:
per node, how far its last steps are from its own normal (`NodeAnomalyDetector`
fitted on the steps before them), with no probability, marked `anomaly-only`.

Torch is imported only when a model is scored. No store access here: the
caller reads the telemetry and writes alerts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from opsgraph.risk.anomaly import NodeAnomalyDetector
from opsgraph.risk.dataset import FeatureScaler, RiskDataError, impute
from opsgraph.risk.train import NodeRisk, RiskScores, TrainedRiskModel
from opsgraph.store.base import TelemetryFrame

if TYPE_CHECKING:
    from opsgraph.risk.incremental import ModelStepper

ANOMALY_ONLY = "anomaly-only"
"""The mode name every shell shows next to a score computed without failure labels."""
ANOMALY_ALPHA = 0.01
"""Anomaly-only mode: a node is flagged when its anomaly score's tail probability is under this."""


@dataclass
class LiveResult:
    """What one call of `LiveScorer.score` did."""

    how: str
    """`incremental` (only new steps encoded) or `full` (state rebuilt from the window)."""
    reason: str
    """Why it was full ("" when incremental)."""
    steps: list[tuple[int, np.ndarray]] = field(default_factory=list)
    """(epoch seconds, probabilities [N] in `node_ids` order) per scored step, oldest first."""
    node_ids: list[str] = field(default_factory=list)
    scores: RiskScores | None = None
    """The board at the last scored step (with anomaly scores), None when no step could be scored."""


class LiveScorer:
    """Carries a model's recurrent state from one watch cycle to the next (see the module docstring)."""

    def __init__(self) -> None:
        self._stepper: ModelStepper | None = None
        self._key: tuple[object, ...] | None = None

    def reset(self) -> None:
        """Forget the state (the next call scores in full)."""
        self._stepper, self._key = None, None

    @property
    def last_step(self) -> int | None:
        """Epoch seconds of the last step the state has seen."""
        return None if self._stepper is None else self._stepper.timestamp

    def _why_full(self, key: tuple[object, ...], before: int | None) -> str:
        if self._stepper is None or self._key is None:
            return "no state yet"
        if self._key[0] != key[0]:
            return f"model changed ({self._key[0]} -> {key[0]})"
        if self._key[1:] != key[1:]:
            return "nodes or dependencies changed"
        if before is None or self._stepper.timestamp != before:
            return f"state stale (it ends at {self._stepper.timestamp}, the new steps follow {before})"
        return ""

    def score(self, model: TrainedRiskModel, version: str, frame: TelemetryFrame, edges: Sequence[tuple[str, str]],
              first_new: int) -> LiveResult:
        """Score the steps `frame.timestamps[first_new:]` with `model`; `frame` holds the history before them."""
        from opsgraph.risk.incremental import ModelStepper

        ts = np.asarray(frame.timestamps, dtype=np.int64)
        if list(frame.features) != model.features:
            raise RiskDataError(f"telemetry features {list(frame.features)} differ from the model's {model.features}")
        key = (version, tuple(frame.node_ids), tuple(sorted(edges)))
        before = int(ts[first_new - 1]) if first_new > 0 else None
        why = self._why_full(key, before)
        if why:
            self._stepper = ModelStepper(model, frame.node_ids, edges)
            self._key = key
            if first_new > 0:
                history = impute(model.scaler.transform(frame.values[:first_new], frame.node_ids, frame.features))
                self._prime(history, int(ts[first_new - 1]))
        result = LiveResult("full" if why else "incremental", why, node_ids=list(frame.node_ids))
        stepper = self._stepper
        assert stepper is not None
        for t in range(first_new, len(ts)):
            probs = stepper.step(frame.values[t], int(ts[t]))
            if probs is not None:
                result.steps.append((int(ts[t]), probs))
        if result.steps:
            result.scores = _board(model, frame, result.steps[-1])
        return result

    def _prime(self, history: np.ndarray, last_ts: int) -> None:
        """Seed the state with imputed, scaled history [T, N, F] (its last W-1 snapshots encoded)."""
        import torch

        stepper = self._stepper
        assert stepper is not None
        w = stepper.scorer.window
        stepper._last = history[-1].astype(np.float32).copy()
        stepper.timestamp = last_ts
        tail = history[-(w - 1):] if w > 1 else history[:0]
        stepper.scorer.prime(torch.from_numpy(np.ascontiguousarray(tail)))


def _board(model: TrainedRiskModel, frame: TelemetryFrame, last: tuple[int, np.ndarray]) -> RiskScores:
    ts, probs = last
    anomalies = None
    if model.anomaly is not None:
        z = impute(model.scaler.transform(frame.values[-model.anomaly.length:], frame.node_ids, frame.features))
        anomalies = model.anomaly.score(z, frame.node_ids)
    rows = []
    for i, node in enumerate(frame.node_ids):
        a = anomalies[i] if anomalies is not None else None
        p = float(probs[i])
        rows.append(NodeRisk(node, p, bool(p >= model.threshold), a.score if a else float("nan"), a.p_value if a else float("nan")))
    rows.sort(key=lambda r: (-r.probability, r.node))
    return RiskScores(int(ts), model.threshold, model.config.horizon, rows)


def anomaly_only_scores(frame: TelemetryFrame, *, length: int = 5, alpha: float = ANOMALY_ALPHA, min_history: int = 20) -> RiskScores:
    """The label-free board: each node's last `length` steps against its own normal (the steps before them).

    `probability` is NaN (nothing was learnt about failures); `risky` is "anomaly p-value < `alpha`";
    rows are sorted by anomaly score, highest first. Needs `min_history` steps before the scored ones.
    """
    t_len = len(frame.timestamps)
    if t_len < length + min_history:
        raise RiskDataError(f"anomaly-only scoring needs at least {length + min_history} steps of telemetry, got {t_len}")
    values = np.asarray(frame.values, dtype=np.float64)
    past = values[:-length]
    scaler = FeatureScaler.fit(past, frame.features, frame.node_ids)
    z = impute(scaler.transform(values, frame.node_ids, frame.features))
    detector = NodeAnomalyDetector.fit(z[:-length], frame.node_ids, None, length=length)
    found = detector.score(z, frame.node_ids)
    rows = [NodeRisk(a.node, float("nan"), bool(np.isfinite(a.p_value) and a.p_value < alpha), a.score, a.p_value) for a in found]
    rows.sort(key=lambda r: (-(r.anomaly if np.isfinite(r.anomaly) else -1.0), r.node))
    return RiskScores(int(frame.timestamps[-1]), alpha, 0, rows, mode=ANOMALY_ONLY)
