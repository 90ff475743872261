"""`RiskConfig`: every knob of the risk layer in one validated, serialisable record.

The record is stored in each model version's manifest, so a version can be
rebuilt and retrained exactly. It must not read files or the environment: the
`app` layer builds it from configuration and passes it in.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RiskConfig(BaseModel):
    """Hyper-parameters and policies of the temporal GAT risk model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # -- data -----------------------------------------------------------------
    window: int = Field(8, ge=1)
    """Time steps per window (the sequence each node's recurrent layer reads)."""
    horizon: int = Field(5, ge=0)
    """A node is risky at step t if it is failing at some step in (t, t + horizon].
    0 uses the telemetry label at t itself as the target."""
    val_fraction: float = Field(0.15, gt=0.0, lt=0.5)
    """Share of time steps (after training) used for early stopping and the threshold."""
    test_fraction: float = Field(0.15, ge=0.0, lt=0.5)
    """Share of the most recent time steps held out for the reported metrics."""
    scaling: Literal["node", "global"] = "node"
    """Robust scaling per (node, feature), or per feature over all nodes."""
    clip: float = Field(10.0, gt=0.0)
    """Scaled values are clipped to [-clip, clip]."""

    # -- model ----------------------------------------------------------------
    hidden_channels: int = Field(16, ge=1)
    """Channels per head of the first GATv2 layer."""
    heads: int = Field(4, ge=1)
    """Heads of the first GATv2 layer (concatenated)."""
    out_channels: int = Field(16, ge=1)
    """Channels per head of the second GATv2 layer."""
    out_heads: int = Field(2, ge=1)
    """Heads of the second GATv2 layer (concatenated)."""
    rnn: Literal["lstm", "gru"] = "lstm"
    """Recurrent cell run over each node's sequence of snapshot embeddings."""
    rnn_hidden: int = Field(32, ge=1)
    """Hidden size of the recurrent layer."""
    dropout: float = Field(0.2, ge=0.0, lt=1.0)
    """Dropout on embeddings and before the classifier."""
    attention_dropout: float = Field(0.0, ge=0.0, lt=1.0)
    """Dropout on attention coefficients."""

    # -- training -------------------------------------------------------------
    epochs: int = Field(60, ge=1)
    """Maximum training epochs."""
    patience: int = Field(8, ge=1)
    """Epochs without a better validation loss before stopping."""
    batch_size: int = Field(32, ge=1)
    """Windows per optimisation step (consecutive windows, so snapshots are shared)."""
    lr: float = Field(3e-3, gt=0.0)
    """Adam learning rate."""
    weight_decay: float = Field(1e-4, ge=0.0)
    """Adam weight decay."""
    loss: Literal["bce", "focal"] = "bce"
    """Weighted binary cross-entropy, or focal loss (also weighted)."""
    pos_weight: float | None = Field(None, gt=0.0)
    """Weight of the risky class; None: negatives / positives in training, capped at 50."""
    focal_gamma: float = Field(2.0, ge=0.0)
    """Focusing parameter of the focal loss."""
    seed: int = 0
    """Seed for weights, dropout and batch order."""
    threads: int = Field(1, ge=1)
    """torch threads for training and scoring (1 is safest on a shared machine)."""

    # -- drift, anomaly, retraining --------------------------------------------
    drift_window: int = Field(24, ge=2)
    """Time steps summarised into one drift observation."""
    drift_false_alarm_rate: float = Field(0.01, gt=0.0, lt=0.5)
    """Target share of normal windows that raise a drift alarm."""
    drift_shrinkage: float = Field(0.1, ge=0.0, le=1.0)
    """Shrinkage of the drift covariance towards a scaled identity."""
    anomaly_window: int = Field(5, ge=1)
    """Recent steps averaged into a node's anomaly score."""
    compare_metric: Literal["ap", "f1"] = "ap"
    """Metric a challenger must improve to be promoted."""
    min_gain: float = Field(0.0, ge=0.0)
    """Promote only if challenger metric > current metric + min_gain."""

    @model_validator(mode="after")
    def _fractions(self) -> RiskConfig:
        if self.val_fraction + self.test_fraction >= 0.8:
            raise ValueError("val_fraction + test_fraction must leave at least 20 % for training")
        return self
