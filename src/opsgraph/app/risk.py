"""`RiskService`: the risk engine (`opsgraph.risk`) wired to the store, the stored schema and settings.

What it does: reads telemetry and dependency edges from the store through
`opsgraph.risk.load_from_store` (never from files), trains, scores, explains,
checks drift and runs the retraining policy with the model versions in the
registry folder from settings, and turns the risk layer's errors into
`RiskError`s (an `OpsGraphError`, so every shell reports them the same way).

Threads: torch's thread count comes from `settings.risk.threads` and is set
before torch is loaded or used, in every entry point here, and also when a
stored model is loaded (a manifest records the threads it was trained with;
settings win). ENGINE-NOTES.md explains why this matters next to the JVM.

It does no I/O in `__init__`: the facade builds one on every `og.risk`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from opsgraph.app.config import Settings
from opsgraph.errors import RiskError
from opsgraph.risk import (
    DriftReport,
    EstateTelemetry,
    Explanation,
    ModelRegistry,
    MonitorReport,
    ProgressCallback,
    RegistryError,
    RiskConfig,
    RiskDataError,
    RiskModelError,
    RiskScores,
    TrainedRiskModel,
    load_from_store,
    monitor,
    train_model,
)
from opsgraph.risk._threads import torch_threads
from opsgraph.risk.labels import LabelReport, incident_windows, resolve_labels
from opsgraph.risk.live import ANOMALY_ONLY, anomaly_only_scores
from opsgraph.risk.monitor import compare
from opsgraph.schema import GraphSchema
from opsgraph.store.base import GraphStore, TelemetryFrame

__all__ = [
    "DEMO_OVERRIDES",
    "NoModelError",
    "NoTelemetryError",
    "RiskError",
    "RiskService",
    "UnknownNodeError",
]

DEMO_OVERRIDES: dict[str, Any] = {"epochs": 15, "patience": 4}
"""RiskConfig overrides `opsgraph demo` trains with: on the sample telemetry (14 services,
2,160 steps) validation AP levels off after ~10 epochs, and 15 epochs take ~8 s on one thread."""

_HISTORY_STEPS = 60
"""Steps of history read before the scored window, so imputation has recent values to carry."""


class NoTelemetryError(RiskError):
    """The store holds no usable telemetry for the risk model's node type."""

    code = "no_telemetry"
    status = 409


class NoModelError(RiskError):
    """No model has been trained and promoted yet."""

    code = "no_model"
    status = 409


class UnknownNodeError(RiskError):
    """The node does not exist, is of another type, or has no telemetry."""

    code = "unknown_node"
    status = 404


class _Registry(ModelRegistry):
    """A registry whose loaded models use the thread count from settings, not the one in their manifest."""

    def __init__(self, root: Path, threads: int) -> None:
        super().__init__(root)
        self.threads = threads

    def load(self, version: str = "current") -> TrainedRiskModel:
        model = super().load(version)
        if model.config.threads != self.threads:
            model.config = model.config.model_copy(update={"threads": self.threads})
        return model


def _recent(frame: TelemetryFrame, steps: int) -> TelemetryFrame:
    """The last `steps` time steps of a frame."""
    if len(frame.timestamps) <= steps:
        return frame
    return TelemetryFrame(list(frame.node_ids), list(frame.features), np.asarray(frame.timestamps)[-steps:],
                          np.asarray(frame.values)[-steps:], np.asarray(frame.labels)[-steps:])


class RiskService:
    """Train, score, explain, monitor and version the failure-risk model of one estate."""

    def __init__(self, store: GraphStore, schema: Callable[[], GraphSchema | None], settings: Settings) -> None:
        """`schema` returns the schema last applied to the store (called when needed, not here)."""
        self.store = store
        self._schema = schema
        self.settings = settings
        self._live: tuple[int, str | None, RiskScores] | None = None

    # -- wiring ------------------------------------------------------------------
    @property
    def node_type(self) -> str:
        return self.settings.risk.node_type

    @property
    def registry(self) -> ModelRegistry:
        """The model versions folder (`settings.risk_registry_path`)."""
        return _Registry(self.settings.risk_registry_path, self.settings.risk.threads)

    def config(self, overrides: Mapping[str, Any] | None = None) -> RiskConfig:
        """`RiskConfig` from settings, then `overrides`; threads always from settings."""
        values = {**self.settings.risk.config, **(overrides or {}), "threads": self.settings.risk.threads}
        try:
            return RiskConfig.model_validate(values)
        except ValueError as exc:
            raise RiskError(f"invalid risk settings: {exc}") from exc

    def _use_threads(self) -> None:
        n = self.settings.risk.threads
        if n > 1 and "torch" not in sys.modules:
            # Passive waiting must be in place before torch (and its OpenMP runtime) loads.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        torch_threads(n)

    # -- data --------------------------------------------------------------------
    def telemetry(self) -> EstateTelemetry:
        """Telemetry of `node_type` and the dependency edges among its nodes, read from the store."""
        schema = self._schema()
        if schema is None:
            raise NoTelemetryError("the store holds no estate yet: run `opsgraph ingest DIR` first")
        try:
            data = load_from_store(self.store, schema, self.node_type)
        except RiskDataError as exc:
            # With no telemetry at all the frame has no features, which load_from_store reports
            # as missing features; say what the user has to do instead.
            if self.node_type in schema.nodes and len(self.store.read_telemetry(self.node_type).timestamps) == 0:
                raise self._no_telemetry() from exc
            raise RiskError(f"cannot read {self.node_type} telemetry: {exc}") from exc
        if len(data.frame.timestamps) == 0:
            raise self._no_telemetry()
        return data

    def labelled_telemetry(self) -> tuple[EstateTelemetry, LabelReport]:
        """`telemetry()` with the failure labels training uses: the label column, else incidents, else SLO rules."""
        data = self.telemetry()
        schema = self._schema()
        if schema is None:  # telemetry() refuses a store without one; kept for the type checker
            raise self._no_telemetry()
        frame, report = resolve_labels(data.frame, incidents=incident_windows(self.store, schema),
                                       rules=schema.nodes[self.node_type].slo)
        return EstateTelemetry(frame=frame, edges=data.edges, node_type=data.node_type, schema_name=data.schema_name), report

    def _no_telemetry(self) -> NoTelemetryError:
        return NoTelemetryError(f"no {self.node_type} telemetry in the store: ingest an estate whose telemetry/ folder has some")

    def current_model(self) -> TrainedRiskModel:
        """The promoted model, loaded (`NoModelError` when there is none)."""
        return self._current()

    def current_version(self) -> str | None:
        """The promoted model version, or None."""
        return self.registry.current_version()

    def _current(self) -> TrainedRiskModel:
        registry = self.registry
        if registry.current_version() is None:
            raise NoModelError(f"no trained risk model in {registry.root}: run `opsgraph risk train` first")
        self._use_threads()
        try:
            return registry.load("current")
        except RegistryError as exc:
            raise RiskError(str(exc)) from exc

    # -- training ----------------------------------------------------------------
    def train(
        self,
        progress: ProgressCallback | None = None,
        *,
        overrides: Mapping[str, Any] | None = None,
        promote: bool | None = None,
    ) -> tuple[str, dict[str, dict[str, float]]]:
        """Train on all stored telemetry, store the model as a new version; return (version, metrics).

        `promote=None` promotes when there is no current model, when the
        current one cannot read this telemetry (other features), or when the
        new model beats it by `compare_metric` (+ `min_gain`) on the new
        model's test windows; both scores are kept in the metrics as
        `comparison_current` / `comparison_challenger`. True / False force it.
        """
        data, labels = self.labelled_telemetry()
        if labels.anomaly_only:
            raise RiskError(f"cannot train the risk model: {labels.describe()}. Record failures as incidents "
                            f"(AFFECTED edges with start/end times), declare `slo:` rules on {self.node_type} in the schema, "
                            f"or add a `label` column to the telemetry")
        cfg = self.config(overrides)
        self._use_threads()
        try:
            model = train_model(data.frame, data.edges, cfg, progress=progress, node_type=data.node_type,
                                schema_name=data.schema_name)
        except (RiskDataError, RiskModelError) as exc:
            raise RiskError(f"cannot train on the stored {self.node_type} telemetry: {exc}") from exc
        if promote is None:
            promote = self._beats_current(model, data, cfg)
        try:
            version = self.registry.save(model, promote=promote)
        except RegistryError as exc:
            raise RiskError(str(exc)) from exc
        return version, model.metrics

    def _beats_current(self, model: TrainedRiskModel, data: EstateTelemetry, cfg: RiskConfig) -> bool:
        if self.registry.current_version() is None:
            return True
        if cfg.test_fraction == 0:
            return False  # nothing was held out that both models could be compared on
        current = self._current()
        t_len = len(data.frame.timestamps)
        first_test = t_len - round(t_len * cfg.test_fraction)  # the new model's test windows
        try:
            return compare(current, model, data.frame, data.edges, first_end=first_test, config=cfg).better
        except RiskModelError:
            return True  # the current model cannot read this telemetry at all

    # -- using the current model -------------------------------------------------
    def _recent_data(self, model: TrainedRiskModel) -> EstateTelemetry:
        data = self.telemetry()
        c = model.config
        steps = max(c.window, c.anomaly_window, c.drift_window) + _HISTORY_STEPS
        return EstateTelemetry(_recent(data.frame, steps), data.edges, data.node_type, data.schema_name)

    def remember(self, scores: RiskScores, version: str | None) -> None:
        """Keep scores the watch loop computed for the data as stored now: `scores()` returns them until the
        data or the current model changes (the board then shows them without scoring again)."""
        self._live = (self.store.data_version(), version, scores)

    def scores(self) -> RiskScores:
        """Risk of every node at the latest stored step (current model), riskiest first.

        With no model and no failure labels at all (no label column, incident or SLO rule), the label-free
        anomaly score of every node instead, marked `mode="anomaly-only"` (see `opsgraph.risk.live`).
        """
        live = self._live
        if live is not None and live[0] == self.store.data_version() and live[1] == self.current_version():
            return live[2]
        if self.current_version() is None:
            return self._anomaly_only_or_refuse()
        model = self._current()
        data = self._recent_data(model)
        try:
            return model.score(data.frame, data.edges)
        except RiskModelError as exc:
            raise RiskError(str(exc)) from exc

    def _anomaly_only_or_refuse(self) -> RiskScores:
        try:
            data, labels = self.labelled_telemetry()
        except NoTelemetryError:
            self._current()  # no model and nothing to score either: say what to do first (train)
            raise
        if not labels.anomaly_only:
            self._current()  # raises NoModelError: there are labels, so a model can be trained
        return self.anomaly_only(data)

    def anomaly_only(self, data: EstateTelemetry | None = None) -> RiskScores:
        """The label-free board (`mode="anomaly-only"`) over the most recent `monitor_steps` of stored telemetry."""
        data = data or self.telemetry()
        steps = self.settings.risk.monitor_steps
        frame = data.frame if steps is None else _recent(data.frame, steps)
        try:
            return anomaly_only_scores(frame, length=self.config().anomaly_window)
        except RiskDataError as exc:
            raise RiskError(f"cannot score {self.node_type} telemetry ({ANOMALY_ONLY}): {exc}") from exc

    def mode(self) -> tuple[str, str]:
        """(`model` or `anomaly-only`, one line on what scores are based on)."""
        version = self.current_version()
        if version is not None:
            return "model", f"model {version}, trained on failure labels"
        _, labels = self.labelled_telemetry()
        return (ANOMALY_ONLY if labels.anomaly_only else "model"), labels.describe()

    def explain(self, node: str, *, max_hops: int = 5) -> Explanation:
        """The upstream dependency path, by attention, that drives `node`'s risk at the latest step."""
        model = self._current()
        data = self._recent_data(model)
        if node not in data.frame.node_ids:
            found = self.store.node_types([node]).get(node)
            if found is None:
                raise UnknownNodeError(f"no node {node!r} in the store")
            if found != self.node_type:
                raise UnknownNodeError(f"{node!r} is a {found}; the risk model covers {self.node_type} nodes")
            raise UnknownNodeError(f"{node!r} has no telemetry in the store")
        try:
            return model.explain(data.frame, node, data.edges, max_hops=max_hops)
        except RiskModelError as exc:
            raise RiskError(str(exc)) from exc

    def drift(self) -> DriftReport:
        """Has the latest stored telemetry drifted from the current model's training data?"""
        model = self._current()
        data = self._recent_data(model)
        try:
            return model.check_drift(data.frame)
        except RiskModelError as exc:
            raise RiskError(str(exc)) from exc

    def monitor(self, force: bool = False, progress: ProgressCallback | None = None) -> MonitorReport:
        """One pass of the retraining policy (see `opsgraph.risk.monitor`) over the most recent
        `settings.risk.monitor_steps` of stored telemetry."""
        data = self.telemetry()
        steps = self.settings.risk.monitor_steps
        frame = data.frame if steps is None else _recent(data.frame, steps)
        cfg = self.config()
        self._use_threads()
        try:
            return monitor(self.registry, frame, data.edges, config=cfg, force=force, progress=progress,
                           node_type=data.node_type, schema_name=data.schema_name)
        except (RiskDataError, RiskModelError, RegistryError) as exc:
            raise RiskError(f"monitoring failed: {exc}") from exc

    # -- registry ----------------------------------------------------------------
    def models(self) -> list[dict[str, Any]]:
        """Every stored version's manifest, oldest first, with `version` and `current` added."""
        registry = self.registry
        out = []
        for info in registry.list_versions():
            manifest = registry.manifest(info.version)
            manifest.update(version=info.version, current=info.current)
            out.append(manifest)
        return out

    def promote(self, version: str) -> None:
        """Make `version` the current model."""
        try:
            self.registry.promote(version)
        except RegistryError as exc:
            known = ", ".join(v["version"] for v in self.models()) or "none"
            raise RiskError(f"{exc} (versions: {known})") from exc

    def rollback(self) -> str:
        """Return to the previously promoted version; returns it."""
        try:
            return self.registry.rollback()
        except RegistryError as exc:
            raise RiskError(str(exc)) from exc
