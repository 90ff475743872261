"""The retraining policy: drift -> retrain on recent data -> challenger vs current -> promote if better.

Given recent labelled telemetry (oldest first) and a registry:

1. no current model: train one on all of it, store and promote it;
2. otherwise check drift of the most recent window against the current
   model's baseline; no drift (and not `force`): nothing happens;
3. on drift, split the recent data in time: the last `eval_fraction` of
   steps is the comparison set, everything before it trains a challenger
   (which makes its own train / validation / test split inside), from
   scratch or (`warm_start`, the default, when the network shapes match)
   from the current model's weights;
4. both models are scored on the comparison windows (their history may reach
   back before the cut: that is past data, not leakage) by the configured
   metric (AP or F1 of the risky class);
5. the challenger is always stored, and promoted only if it beats the current
   model by more than `min_gain`; a comparison that cannot be made (no
   failure in the comparison set) keeps the current model.

Returns a `MonitorReport` of what happened and why. No I/O beyond the registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from opsgraph.risk._threads import torch_threads
from opsgraph.risk.config import RiskConfig
from opsgraph.risk.dataset import EdgeSpans, slice_frame
from opsgraph.risk.drift import DriftReport
from opsgraph.risk.registry import ModelRegistry
from opsgraph.risk.train import ProgressCallback, TrainedRiskModel, train_model
from opsgraph.store.base import TelemetryFrame

Action = Literal["trained_first", "no_drift", "kept_current", "promoted"]


@dataclass(frozen=True)
class MonitorReport:
    """What one monitoring pass did."""

    action: Action
    """trained_first | no_drift | kept_current | promoted."""
    reason: str
    """One sentence for people."""
    drift: DriftReport | None
    """Drift verdict on the current model (None when there was no current model)."""
    previous_version: str | None
    """Current version before this pass."""
    current_version: str | None
    """Current version after this pass."""
    challenger_version: str | None = None
    """Version the challenger was stored as (None if none was trained)."""
    metric: str = "ap"
    """Metric compared."""
    current_score: float | None = None
    """Current model's metric on the comparison windows."""
    challenger_score: float | None = None
    """Challenger's metric on the comparison windows."""


_SHAPE_FIELDS = ("hidden_channels", "heads", "out_channels", "out_heads", "rnn", "rnn_hidden")


def _same_shape(a: RiskConfig, b: RiskConfig) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in _SHAPE_FIELDS)


def decide(current: float, challenger: float, min_gain: float) -> bool:
    """Promote only for a real, finite improvement."""
    return bool(np.isfinite(challenger) and (not np.isfinite(current) or challenger > current + min_gain))


@dataclass(frozen=True)
class Comparison:
    """A challenger scored against the current model on the same windows."""

    metric: str
    """The metric compared (`RiskConfig.compare_metric`)."""
    current: float
    challenger: float
    better: bool
    """True when the challenger should replace the current model (`decide`)."""


def compare(
    current: TrainedRiskModel,
    challenger: TrainedRiskModel,
    frame: TelemetryFrame,
    edges: Sequence[tuple[str, str]],
    *,
    first_end: int,
    config: RiskConfig,
    edge_spans: EdgeSpans | None = None,
) -> Comparison:
    """Score both models on the windows ending at or after `first_end` and decide; the one promotion rule.

    Both score sets are kept in the challenger's metrics as `comparison_current` /
    `comparison_challenger`. Raises `RiskModelError` when the current model cannot read `frame`.
    """
    cur_m = current.evaluate(frame, edges, first_end=first_end, edge_spans=edge_spans)
    ch_m = challenger.evaluate(frame, edges, first_end=first_end, edge_spans=edge_spans)
    challenger.metrics["comparison_current"] = cur_m
    challenger.metrics["comparison_challenger"] = ch_m
    metric = config.compare_metric
    return Comparison(metric, float(cur_m[metric]), float(ch_m[metric]), decide(cur_m[metric], ch_m[metric], config.min_gain))


def monitor(
    registry: ModelRegistry,
    frame: TelemetryFrame,
    edges: Sequence[tuple[str, str]],
    *,
    config: RiskConfig | None = None,
    eval_fraction: float = 0.25,
    force: bool = False,
    progress: ProgressCallback | None = None,
    node_type: str = "",
    schema_name: str = "",
    warm_start: bool = True,
    edge_spans: EdgeSpans | None = None,
) -> MonitorReport:
    """Run the policy once (see the module docstring)."""
    if not 0.0 < eval_fraction < 1.0:
        raise ValueError("eval_fraction must be in (0, 1)")
    previous = registry.current_version()
    if previous is None:
        cfg = config or RiskConfig()
        torch_threads(cfg.threads)
        model = train_model(frame, edges, cfg, progress=progress, node_type=node_type, schema_name=schema_name,
                            edge_spans=edge_spans)
        version = registry.save(model, promote=True)
        return MonitorReport("trained_first", "no current model: trained and promoted one", None, None, version,
                             challenger_version=version, metric=cfg.compare_metric)

    current = registry.load("current")
    cfg = config or current.config
    torch_threads(cfg.threads)
    drift = current.check_drift(frame) if current.drift is not None else None
    if drift is not None and not drift.drifted and not force:
        return MonitorReport("no_drift", f"drift score {drift.score:.2f} <= threshold {drift.threshold:.2f}",
                             drift, previous, previous, metric=cfg.compare_metric)

    t_len = len(frame.timestamps)
    cut = t_len - round(t_len * eval_fraction)
    challenger = train_model(slice_frame(frame, 0, cut), edges, cfg, progress=progress,
                             node_type=node_type or current.node_type,
                             schema_name=schema_name or current.schema_name,
                             init_from=current if warm_start and _same_shape(cfg, current.config) else None,
                             edge_spans=edge_spans)
    result = compare(current, challenger, frame, edges, first_end=cut, config=cfg, edge_spans=edge_spans)
    metric, cur, ch, better = result.metric, result.current, result.challenger, result.better
    version = registry.save(challenger, promote=better)
    why = "drift detected" if drift is not None and drift.drifted else ("forced" if force else "no drift baseline")
    if better:
        reason = f"{why}; challenger {metric} {ch:.3f} > current {cur:.3f}: promoted"
        action: Action = "promoted"
    elif not np.isfinite(ch):
        reason = f"{why}; no failure in the comparison window, cannot compare: kept current"
        action = "kept_current"
    else:
        reason = f"{why}; challenger {metric} {ch:.3f} not better than current {cur:.3f}: kept"
        action = "kept_current"
    return MonitorReport(action, reason, drift, previous, registry.current_version(), version, metric, cur, ch)
