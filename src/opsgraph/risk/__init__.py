"""Failure risk of services: a temporal GATv2 over the dependency graph.

Public API (everything else is private)::

    simulate_estate(...) -> SimulatedEstate          seeded estates with predictable failures
    load_from_store(store, schema, node_type) -> EstateTelemetry
    train_model(frame, edges, RiskConfig(), progress=cb) -> TrainedRiskModel
    score_nodes(model, frame) -> RiskScores          riskiest first, with anomaly scores
    explain_node(model, frame, node) -> Explanation  upstream path by attention
    check_drift(model, frame) -> DriftReport         calibrated Mahalanobis drift
    monitor(registry, frame, edges) -> MonitorReport drift -> retrain -> promote if better
    ModelRegistry(root)                              versions, promote, rollback, load

Importing this package does not import torch: training and scoring import it
and set its thread count (`RiskConfig.threads`). `TemporalGAT` (the
`torch.nn.Module`) is loaded on first access. May import only
`opsgraph.schema` and `opsgraph.store`; reads no configuration or
environment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opsgraph.risk.config import RiskConfig
from opsgraph.risk.dataset import EstateTelemetry, FeatureScaler, RiskDataError, build_dataset, load_from_store
from opsgraph.risk.drift import DriftReport
from opsgraph.risk.monitor import MonitorReport, monitor
from opsgraph.risk.registry import ModelRegistry, RegistryError
from opsgraph.risk.simulate import SimulatedEstate, simulate_estate, write_telemetry_csv
from opsgraph.risk.train import (
    Explanation,
    ExplanationHop,
    NodeRisk,
    ProgressCallback,
    RiskModelError,
    RiskScores,
    TrainedRiskModel,
    check_drift,
    explain_node,
    score_nodes,
    train_model,
)

if TYPE_CHECKING:
    from opsgraph.risk.model import TemporalGAT

__all__ = [
    "DriftReport",
    "EstateTelemetry",
    "Explanation",
    "ExplanationHop",
    "FeatureScaler",
    "ModelRegistry",
    "MonitorReport",
    "NodeRisk",
    "ProgressCallback",
    "RegistryError",
    "RiskConfig",
    "RiskDataError",
    "RiskModelError",
    "RiskScores",
    "SimulatedEstate",
    "TemporalGAT",
    "TrainedRiskModel",
    "build_dataset",
    "check_drift",
    "explain_node",
    "load_from_store",
    "monitor",
    "score_nodes",
    "simulate_estate",
    "train_model",
    "write_telemetry_csv",
]


def __getattr__(name: str) -> Any:
    if name == "TemporalGAT":  # importing it imports torch: only on demand
        from opsgraph.risk.model import TemporalGAT

        return TemporalGAT
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
