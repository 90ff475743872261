"""A folder of model versions with a movable "current" pointer.

Layout::

    <root>/
      current.json          {"current": "v0002", "history": ["v0001", "v0002"]}
      v0001/ model.pt       state_dict of the TemporalGAT (torch.save, loaded weights_only)
             manifest.json  created, data window, node type, schema name, features,
                            nodes, edges, scaler, hyper-parameters, threshold,
                            metrics, drift baseline, history
             anomaly.npz    per-node anomaly baselines (arrays too big for JSON)
      v0002/ ...

A version is written into a hidden temporary folder and renamed into place,
and `current.json` is replaced atomically (`opsgraph._files.VersionedFolder`),
so a crash never leaves a half-written version or pointer. `promote` appends to the
history; `rollback` returns to the previously promoted version. The folder
is given by the caller: this module reads no configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from opsgraph._files import VERSION_NAME, VersionedFolder
from opsgraph.errors import RiskError
from opsgraph.risk._threads import torch_threads
from opsgraph.risk.anomaly import NodeAnomalyDetector
from opsgraph.risk.config import RiskConfig
from opsgraph.risk.dataset import FeatureScaler
from opsgraph.risk.drift import DriftDetector

if TYPE_CHECKING:
    from opsgraph.risk.train import TrainedRiskModel

MANIFEST_FORMAT = 1
"""Version of the manifest layout written by this module."""
_POINTER = "current.json"


class RegistryError(RiskError, RuntimeError):
    """A version does not exist, or there is nothing to roll back to."""


@dataclass(frozen=True)
class VersionInfo:
    """One registered version."""

    version: str
    created: str
    metrics: dict[str, Any]
    current: bool
    """True for the version the pointer names."""


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
    from opsgraph.risk.train import TrainedRiskModel, build_module

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


class ModelRegistry:
    """Versions of trained risk models in one folder (see the module docstring)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)  # no I/O here: folders are created on first save
        self._folder = VersionedFolder(self.root, manifest="manifest.json", pointer=_POINTER)

    # -- pointer ---------------------------------------------------------------
    def _pointer(self) -> dict[str, Any]:
        data = self._folder.read_pointer()
        if data is None:
            return {"current": None, "history": []}
        return {"current": data.get("current"), "history": list(data.get("history", []))}

    def _write_pointer(self, history: list[str]) -> None:
        data = {"current": history[-1], "history": history, "updated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        try:
            self._folder.promote(history[-1], data)
        except FileNotFoundError as exc:
            raise RegistryError(str(exc)) from exc

    def current_version(self) -> str | None:
        """The promoted version, or None before any promotion."""
        return self._pointer()["current"]

    # -- versions ----------------------------------------------------------------
    def _versions(self) -> list[str]:
        return self._folder.versions()

    def _check(self, version: str) -> str:
        if not VERSION_NAME.match(version) or not self._folder.exists(version):
            raise RegistryError(f"no version {version!r} in {self.root}")
        return version

    def list_versions(self) -> list[VersionInfo]:
        """Every version, oldest first."""
        current = self.current_version()
        out = []
        for v in self._versions():
            m = self.manifest(v)
            out.append(VersionInfo(v, m.get("created", ""), m.get("metrics", {}), v == current))
        return out

    def manifest(self, version: str = "current") -> dict[str, Any]:
        """The manifest of a version (or of the current one)."""
        v = self._resolve(version)
        return dict(json.loads((self.root / v / "manifest.json").read_text(encoding="utf-8")))

    def save(self, model: TrainedRiskModel, *, promote: bool = False) -> str:
        """Store a `TrainedRiskModel` as the next version; optionally promote it. Returns the version."""
        name = self._folder.new(lambda staging: save_model(model, staging))
        if promote:
            self.promote(name)
        return name

    def promote(self, version: str) -> None:
        """Make `version` current (remembering the previous one for `rollback`)."""
        self._check(version)
        history = self._pointer()["history"]
        if history and history[-1] == version:
            return
        self._write_pointer([*history, version])

    def rollback(self) -> str:
        """Return to the previously promoted version; returns it."""
        history = self._pointer()["history"]
        if len(history) < 2:
            raise RegistryError("no previous version to roll back to")
        self._write_pointer(history[:-1])
        return history[-2]

    def _resolve(self, version: str) -> str:
        if version == "current":
            current = self.current_version()
            if current is None:
                raise RegistryError(f"no version promoted in {self.root}")
            return self._check(current)
        return self._check(version)

    def load(self, version: str = "current") -> TrainedRiskModel:
        """Load a version (or the current one) as a `TrainedRiskModel`."""
        return load_model(self.root / self._resolve(version))
