"""Train, score and explain the temporal GAT risk model.

`train_model` builds a time-ordered dataset, trains with a class-weighted (or
focal) loss masked where targets are unknown, stops early on validation loss
keeping the best weights, picks the alarm threshold that maximises F1 on
validation windows, and reports F1 / AUROC / AP of the risky class on the test
windows. It also fits the drift baseline (on the training and validation
period, calibrated out-of-fold; see drift.py) and the per-node anomaly
baselines (normal steps of the training period).
Every entry point sets torch's thread count from `RiskConfig.threads` first;
torch is imported inside functions only. No environment access; files only in
`save_model` / `load_model` (one model's folder; `registry.py` keeps the versions).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from opsgraph.errors import RiskError
from opsgraph.risk._threads import torch_threads
from opsgraph.risk.anomaly import NodeAnomalyDetector
from opsgraph.risk.config import RiskConfig
from opsgraph.risk.dataset import FeatureScaler, RiskDataError, RiskDataset, build_dataset, impute, message_edge_index
from opsgraph.risk.drift import DriftDetector, DriftReport
from opsgraph.risk.errors import RegistryError
from opsgraph.risk.metrics import average_precision, best_f1_threshold, binary_metrics
from opsgraph.risk.simulate import failure_targets
from opsgraph.store.base import TelemetryFrame

if TYPE_CHECKING:
    import torch

    from opsgraph.risk.model import TemporalGAT

ProgressCallback = Callable[[int, int, dict[str, float]], None]
"""Called after every epoch with (epoch, max_epochs, metrics of that epoch)."""


class RiskModelError(RiskError, RuntimeError):
    """A trained model cannot do what was asked (missing baseline, unknown node...)."""


@dataclass(frozen=True)
class NodeRisk:
    """Risk of one node at the scored step."""

    node: str
    probability: float
    """Model probability of failing within the horizon."""
    risky: bool
    """probability >= the model's threshold."""
    anomaly: float = float("nan")
    """Label-free anomaly score of the node's recent telemetry (see anomaly.py)."""
    anomaly_p: float = float("nan")
    """Tail probability of that anomaly score."""


@dataclass(frozen=True)
class RiskScores:
    """Risk of every node at one step, riskiest first."""

    timestamp: int
    """Epoch seconds of the last step of the scored window."""
    threshold: float
    """Alarm threshold chosen on validation data."""
    horizon: int
    """Steps ahead the probabilities refer to."""
    nodes: list[NodeRisk]
    """Sorted by probability, descending."""
    mode: str = "model"
    """`model` (the trained GAT's probabilities) or `anomaly-only` (no failure labels: no probability, only the
    label-free anomaly score; `risky` then means its tail probability is under `threshold`)."""


@dataclass(frozen=True)
class ExplanationHop:
    """One step upstream: `dependant` depends on `dependency`."""

    dependant: str
    dependency: str
    attention: float
    """Attention the dependant paid to this dependency (mean over heads, layers and window steps)."""
    dependency_probability: float
    """The dependency's own risk probability."""


@dataclass(frozen=True)
class Explanation:
    """The upstream path that drives a node's risk."""

    node: str
    probability: float
    self_attention: float
    """Attention the node paid to its own state."""
    path: list[ExplanationHop]
    """Highest-attention incoming dependency at each hop, starting at `node`."""


@dataclass
class TrainedRiskModel:
    """A trained model with everything needed to score, explain, monitor and reload it."""

    config: RiskConfig
    module: TemporalGAT
    node_ids: list[str]
    features: list[str]
    edges: list[tuple[str, str]]
    """Dependency pairs (src depends on dst) of the training graph."""
    scaler: FeatureScaler
    threshold: float
    metrics: dict[str, dict[str, float]]
    """From `binary_metrics`: "val", "test", and "test_early" (test windows whose node is
    not failing yet at the last step: pure early warning)."""
    drift: DriftDetector | None
    anomaly: NodeAnomalyDetector | None
    data_start: int
    """Epoch seconds of the first training step."""
    data_end: int
    """Epoch seconds of the last step used (test period included)."""
    node_type: str = ""
    schema_name: str = ""
    history: list[dict[str, float]] = field(default_factory=list)
    created: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    # -- prediction -------------------------------------------------------------
    def _prepare(self, frame: TelemetryFrame, edges: Sequence[tuple[str, str]] | None) -> tuple[np.ndarray, np.ndarray]:
        if list(frame.features) != self.features:
            raise RiskModelError(f"telemetry features {list(frame.features)} differ from the model's {self.features}")
        x = impute(self.scaler.transform(frame.values, frame.node_ids, frame.features))
        ei, _ = message_edge_index(frame.node_ids, self.edges if edges is None else edges)
        return x, ei

    def _forward(self, x: np.ndarray, ei: np.ndarray, ends: np.ndarray, attention: bool = False) -> Any:
        torch = torch_threads(self.config.threads)
        self.module.eval()
        with torch.no_grad():
            return self.module(torch.from_numpy(x), torch.from_numpy(ei), torch.from_numpy(ends), attention)

    def probabilities(self, frame: TelemetryFrame, edges: Sequence[tuple[str, str]] | None = None,
                      ends: np.ndarray | None = None) -> np.ndarray:
        """Probabilities [B, N] for windows ending at `ends` (default: the last step)."""
        x, ei = self._prepare(frame, edges)
        if x.shape[0] < self.config.window:
            raise RiskModelError(f"need at least {self.config.window} steps of telemetry, got {x.shape[0]}")
        ends = np.array([x.shape[0] - 1]) if ends is None else np.asarray(ends, dtype=np.int64)
        return _predict(self, x, ei, ends)

    def score(self, frame: TelemetryFrame, edges: Sequence[tuple[str, str]] | None = None) -> RiskScores:
        """Risk of every node for the window ending at the frame's last step."""
        probs = self.probabilities(frame, edges)[0]
        anomalies = None
        if self.anomaly is not None:
            z = impute(self.scaler.transform(frame.values, frame.node_ids, frame.features))
            anomalies = self.anomaly.score(z, frame.node_ids)
        rows = []
        for i, node in enumerate(frame.node_ids):
            a = anomalies[i] if anomalies is not None else None
            rows.append(NodeRisk(node, float(probs[i]), bool(probs[i] >= self.threshold),
                                 a.score if a else float("nan"), a.p_value if a else float("nan")))
        rows.sort(key=lambda r: (-r.probability, r.node))
        return RiskScores(int(frame.timestamps[-1]), self.threshold, self.config.horizon, rows)

    def explain(self, frame: TelemetryFrame, node: str, edges: Sequence[tuple[str, str]] | None = None,
                *, max_hops: int = 5, min_attention: float = 0.0) -> Explanation:
        """Follow the highest-attention incoming dependency edges upstream from `node`."""
        if node not in frame.node_ids:
            raise RiskModelError(f"unknown node {node!r}")
        x, ei = self._prepare(frame, edges)
        if x.shape[0] < self.config.window:
            raise RiskModelError(f"need at least {self.config.window} steps of telemetry, got {x.shape[0]}")
        logits, att = self._forward(x, ei, np.array([x.shape[0] - 1]), attention=True)
        probs = 1.0 / (1.0 + np.exp(-logits[0].numpy().astype(np.float64)))
        # Mean over snapshots of the window, heads and both layers: [E'].
        weight = 0.5 * (att.alpha1.mean(dim=(0, 2)) + att.alpha2.mean(dim=(0, 2))).numpy()
        src, dst = att.edge_index.numpy()
        ids = list(frame.node_ids)
        at = ids.index(node)
        self_att = float(weight[(src == at) & (dst == at)].sum())
        path: list[ExplanationHop] = []
        visited = {at}
        for _ in range(max_hops):
            incoming = np.flatnonzero((dst == at) & (src != at))
            if incoming.size == 0:
                break
            best = incoming[np.argmax(weight[incoming])]
            nxt = int(src[best])
            if weight[best] < min_attention or nxt in visited:
                break
            path.append(ExplanationHop(ids[at], ids[nxt], float(weight[best]), float(probs[nxt])))
            visited.add(nxt)
            at = nxt
        return Explanation(node, float(probs[ids.index(node)]), self_att, path)

    def check_drift(self, frame: TelemetryFrame) -> DriftReport:
        """Drift verdict on the most recent `drift_window` steps of `frame`."""
        if self.drift is None:
            raise RiskModelError("this model has no drift baseline (too little training data)")
        x = impute(self.scaler.transform(frame.values, frame.node_ids, frame.features))
        if x.shape[0] < self.drift.length:
            raise RiskModelError(f"need at least {self.drift.length} steps for a drift check, got {x.shape[0]}")
        return self.drift.check(x)

    def evaluate(self, frame: TelemetryFrame, edges: Sequence[tuple[str, str]] | None = None,
                 first_end: int | None = None) -> dict[str, float]:
        """Metrics of the risky class on windows of `frame` ending at or after `first_end`."""
        x, ei = self._prepare(frame, edges)
        w = self.config.window
        ends = np.arange(max(w - 1, first_end or 0), x.shape[0], dtype=np.int64)
        if ends.size == 0:
            raise RiskModelError("no window to evaluate")
        probs = _predict(self, x, ei, ends)
        y = failure_targets(np.asarray(frame.labels, dtype=np.int8), self.config.horizon)[ends]
        known = y >= 0
        return binary_metrics(y[known], probs[known], self.threshold)

    # -- persistence --------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write `model.pt`, `manifest.json` and `anomaly.npz` into folder `path`."""
        return save_model(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> TrainedRiskModel:
        """Read a folder written by `save`."""
        return load_model(Path(path))


def build_module(config: RiskConfig, in_channels: int) -> TemporalGAT:
    """A freshly initialised `TemporalGAT` for `config` (seeded by `config.seed`)."""
    torch = torch_threads(config.threads)
    from opsgraph.risk.model import TemporalGAT

    torch.manual_seed(config.seed)
    return TemporalGAT(
        in_channels,
        window=config.window,
        hidden_channels=config.hidden_channels,
        heads=config.heads,
        out_channels=config.out_channels,
        out_heads=config.out_heads,
        rnn=config.rnn,
        rnn_hidden=config.rnn_hidden,
        dropout=config.dropout,
        attention_dropout=config.attention_dropout,
    )


def _predict(model: TrainedRiskModel, x: np.ndarray, ei: np.ndarray, ends: np.ndarray) -> np.ndarray:
    torch = torch_threads(model.config.threads)
    return probabilities(model.module, torch.from_numpy(x), torch.from_numpy(ei), ends, model.config.batch_size * 4)


def probabilities(module: torch.nn.Module, x: torch.Tensor, ei: torch.Tensor, ends: np.ndarray, chunk: int) -> np.ndarray:
    """Eval-mode probabilities [B, N] of the windows ending at `ends`, `chunk` windows per forward pass."""
    import torch

    module.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(ends), chunk):
            out.append(torch.sigmoid(module(x, ei, torch.from_numpy(ends[i : i + chunk]))).numpy())
    return np.concatenate(out).astype(np.float64)


def masked_loss(logits: torch.Tensor, y: torch.Tensor, pos_weight: float, config: RiskConfig) -> torch.Tensor:
    """Weighted BCE (or focal) over entries with a known target (y >= 0)."""
    import torch
    import torch.nn.functional as F

    mask = (y >= 0).to(logits.dtype)
    target = y.clamp(min=0)
    loss = F.binary_cross_entropy_with_logits(
        logits, target, pos_weight=torch.tensor(pos_weight, dtype=logits.dtype), reduction="none"
    )
    if config.loss == "focal":
        p = torch.sigmoid(logits)
        pt = torch.where(target > 0.5, p, 1 - p)
        loss = (1 - pt).pow(config.focal_gamma) * loss
    return (loss * mask).sum() / mask.sum().clamp(min=1.0)


def train_epoch(
    module: torch.nn.Module,
    x: torch.Tensor,
    edge_index: torch.Tensor,
    y: torch.Tensor,
    batches: Sequence[np.ndarray],
    optimizer: torch.optim.Optimizer,
    pos_weight: float,
    config: RiskConfig,
    forward: Callable[..., torch.Tensor] | None = None,
) -> float:
    """One pass over `batches` of window ends; `forward(module, x, edge_index, ends)` defaults to the module."""
    import torch

    module.train()
    total, count = 0.0, 0
    for ends in batches:
        ends_t = torch.from_numpy(ends)
        logits = module(x, edge_index, ends_t) if forward is None else forward(module, x, edge_index, ends_t)
        loss = masked_loss(logits, y[ends_t], pos_weight, config)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 5.0)
        optimizer.step()
        total += float(loss.detach()) * len(ends)
        count += len(ends)
    return total / max(count, 1)


def contiguous_batches(ends: np.ndarray, size: int) -> list[np.ndarray]:
    """Runs of consecutive window ends, so a batch's windows share most snapshots."""
    return [ends[i : i + size] for i in range(0, len(ends), size)]


def fit_windows(
    module: torch.nn.Module,
    ds: RiskDataset,
    config: RiskConfig,
    *,
    forward: Callable[..., torch.Tensor] | None = None,
    epochs: int | None = None,
    progress: ProgressCallback | None = None,
) -> list[dict[str, float]]:
    """The one training loop of every window model (the risk model and the benchmarks' baselines).

    Trains `module` on `ds`'s training windows (class-weighted masked loss,
    contiguous batches in shuffled order), scores the validation windows
    after each epoch, stops after `config.patience` epochs without a better
    validation loss, and leaves the best epoch's weights loaded (eval mode).
    `forward(module, x, edge_index, ends)` replaces the module's own call in
    training only; `epochs` caps `config.epochs`. Returns one row per epoch:
    epoch, train_loss, val_loss, val_ap, best_val_loss (`progress(epoch, total, row)` sees each).
    """
    import torch

    x = torch.from_numpy(ds.x)
    ei = torch.from_numpy(ds.edge_index)
    y = torch.from_numpy(ds.targets.astype(np.float32))
    train_y = ds.targets[ds.train_ends]
    pos, neg = int((train_y == 1).sum()), int((train_y == 0).sum())
    if pos == 0:
        raise RiskDataError("no failure in the training period: nothing to learn")
    pos_weight = config.pos_weight if config.pos_weight is not None else float(min(max(neg / pos, 1.0), 50.0))

    rng = np.random.default_rng(config.seed)
    optimizer = torch.optim.Adam(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    batches = contiguous_batches(ds.train_ends, config.batch_size)
    val_batches = contiguous_batches(ds.val_ends, config.batch_size * 4)
    val_y = ds.targets[ds.val_ends]
    known = val_y >= 0
    total = min(config.epochs, epochs or config.epochs)
    best_loss, best_state, stale = float("inf"), None, 0
    history: list[dict[str, float]] = []
    for epoch in range(1, total + 1):
        order = rng.permutation(len(batches))
        train_loss = train_epoch(module, x, ei, y, [batches[i] for i in order], optimizer, pos_weight, config, forward=forward)
        module.eval()
        with torch.no_grad():
            val_logits = torch.cat([module(x, ei, torch.from_numpy(b)) for b in val_batches])
            val_loss = float(masked_loss(val_logits, y[torch.from_numpy(ds.val_ends)], pos_weight, config))
        val_ap = average_precision(val_y[known], torch.sigmoid(val_logits).numpy()[known])
        if val_loss < best_loss - 1e-5:
            best_loss, stale = val_loss, 0
            best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
        else:
            stale += 1
        row = {"epoch": float(epoch), "train_loss": train_loss, "val_loss": val_loss, "val_ap": val_ap,
               "best_val_loss": best_loss}
        history.append(row)
        if progress is not None:
            progress(epoch, total, row)
        if stale >= config.patience:
            break
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    return history


def train_model(
    frame: TelemetryFrame,
    edges: Sequence[tuple[str, str]],
    config: RiskConfig | None = None,
    *,
    progress: ProgressCallback | None = None,
    node_type: str = "",
    schema_name: str = "",
    init_from: TrainedRiskModel | None = None,
) -> TrainedRiskModel:
    """Train a risk model on `frame` (time-ordered splits from `config`) and the dependency `edges`.

    `init_from` starts from another model's weights (warm start, e.g. a
    challenger fine-tuned from the current model); its shapes must match.
    """
    cfg = config or RiskConfig()
    torch = torch_threads(cfg.threads)
    ds = build_dataset(frame, edges, window=cfg.window, horizon=cfg.horizon, val_fraction=cfg.val_fraction,
                       test_fraction=cfg.test_fraction, scaling=cfg.scaling, clip=cfg.clip)
    module = build_module(cfg, len(ds.features))
    if init_from is not None:
        try:
            module.load_state_dict(init_from.module.state_dict())
        except RuntimeError as exc:
            raise RiskModelError(f"cannot warm-start from a model of another shape: {exc}") from exc
    history = fit_windows(module, ds, cfg, progress=progress)
    x = torch.from_numpy(ds.x)
    ei = torch.from_numpy(ds.edge_index)
    val_y = ds.targets[ds.val_ends]

    chunk = cfg.batch_size * 4
    val_p = probabilities(module, x, ei, ds.val_ends, chunk)
    known = val_y >= 0
    threshold = best_f1_threshold(val_y[known], val_p[known])
    metrics = {"val": binary_metrics(val_y[known], val_p[known], threshold)}
    if ds.test_ends.size:
        test_y = ds.targets[ds.test_ends]
        test_p = probabilities(module, x, ei, ds.test_ends, chunk)
        k = test_y >= 0
        metrics["test"] = binary_metrics(test_y[k], test_p[k], threshold)
        # Early warning only: nodes not failing yet at the window's last step.
        early = k & (ds.labels[ds.test_ends] == 0)
        metrics["test_early"] = binary_metrics(test_y[early], test_p[early], threshold)

    t1, t2 = ds.split_steps
    try:
        drift: DriftDetector | None = DriftDetector.fit(
            ds.x[:t2], length=cfg.drift_window, false_alarm_rate=cfg.drift_false_alarm_rate,
            shrinkage=cfg.drift_shrinkage,
        )
    except ValueError:
        drift = None  # too little data for a baseline; check_drift will say so
    anomaly = NodeAnomalyDetector.fit(ds.x[:t1], ds.node_ids, ds.labels[:t1], length=cfg.anomaly_window)
    return TrainedRiskModel(
        config=cfg, module=module, node_ids=ds.node_ids, features=ds.features, edges=ds.edges,
        scaler=ds.scaler, threshold=threshold, metrics=metrics, drift=drift, anomaly=anomaly,
        data_start=int(ds.timestamps[0]), data_end=int(ds.timestamps[-1]), node_type=node_type,
        schema_name=schema_name, history=history,
    )


def score_nodes(model: TrainedRiskModel, frame: TelemetryFrame,
                edges: Sequence[tuple[str, str]] | None = None) -> RiskScores:
    """Risk per node for the window ending at the frame's last step, riskiest first."""
    return model.score(frame, edges)


def explain_node(model: TrainedRiskModel, frame: TelemetryFrame, node: str,
                 edges: Sequence[tuple[str, str]] | None = None, *, max_hops: int = 5) -> Explanation:
    """The upstream dependency path that drives `node`'s risk (attention-weighted)."""
    return model.explain(frame, node, edges, max_hops=max_hops)


def check_drift(model: TrainedRiskModel, frame: TelemetryFrame) -> DriftReport:
    """Has recent telemetry drifted from the model's training distribution?"""
    return model.check_drift(frame)


# -- the on-disk form of one model (the registry keeps versions of it) ---------------

MANIFEST_FORMAT = 1
"""Version of the manifest layout `save_model` writes."""


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    # NaN is not JSON; metrics may hold it (e.g. AUROC with one class).
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in d.items()}


def save_model(model: TrainedRiskModel, folder: Path) -> Path:
    """Write a `TrainedRiskModel` into `folder` (created; must not exist or be empty)."""
    torch = torch_threads(model.config.threads)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(model.module.state_dict(), folder / "model.pt")
    if model.anomaly is not None:
        a = model.anomaly
        np.savez(folder / "anomaly.npz", node_ids=np.array(a.node_ids), mean=a.mean, precision=a.precision,
                 reference=a.reference, length=np.array(a.length))
    manifest = {
        "format": MANIFEST_FORMAT,
        "created": model.created,
        "data_window": {"start": _iso(model.data_start), "end": _iso(model.data_end),
                        "start_epoch": model.data_start, "end_epoch": model.data_end},
        "node_type": model.node_type,
        "schema_name": model.schema_name,
        "features": model.features,
        "node_ids": model.node_ids,
        "edges": [list(e) for e in model.edges],
        "scaler": model.scaler.to_dict(),
        "hyper_parameters": model.config.model_dump(mode="json"),
        "threshold": model.threshold,
        "metrics": {k: _jsonable(v) for k, v in model.metrics.items()},
        "drift_baseline": None if model.drift is None else model.drift.to_dict(),
        "history": [_jsonable(h) for h in model.history],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return folder


def load_model(folder: Path) -> TrainedRiskModel:
    """Read a folder written by `save_model` into a `TrainedRiskModel`."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RegistryError(f"no model in {folder}") from exc
    if manifest.get("format") != MANIFEST_FORMAT:
        raise RegistryError(f"unsupported manifest format {manifest.get('format')!r} in {folder}")
    config = RiskConfig.model_validate(manifest["hyper_parameters"])
    torch = torch_threads(config.threads)
    module = build_module(config, len(manifest["features"]))
    module.load_state_dict(torch.load(folder / "model.pt", weights_only=True))
    module.eval()
    anomaly = None
    if (folder / "anomaly.npz").exists():
        with np.load(folder / "anomaly.npz", allow_pickle=False) as z:
            anomaly = NodeAnomalyDetector(tuple(str(s) for s in z["node_ids"]), z["mean"], z["precision"],
                                          z["reference"], int(z["length"]))

    def nan(d: dict[str, Any]) -> dict[str, float]:
        return {k: float("nan") if v is None else v for k, v in d.items()}

    window = manifest["data_window"]
    return TrainedRiskModel(
        config=config,
        module=module,
        node_ids=list(manifest["node_ids"]),
        features=list(manifest["features"]),
        edges=[(str(a), str(b)) for a, b in manifest["edges"]],
        scaler=FeatureScaler.from_dict(manifest["scaler"]),
        threshold=float(manifest["threshold"]),
        metrics={k: nan(v) for k, v in manifest["metrics"].items()},
        drift=None if manifest["drift_baseline"] is None else DriftDetector.from_dict(manifest["drift_baseline"]),
        anomaly=anomaly,
        data_start=int(window["start_epoch"]),
        data_end=int(window["end_epoch"]),
        node_type=manifest["node_type"],
        schema_name=manifest["schema_name"],
        history=[nan(h) for h in manifest["history"]],
        created=manifest["created"],
    )
