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
from typing import Any

from opsgraph._files import VERSION_NAME, VersionedFolder
from opsgraph.risk.errors import RegistryError
from opsgraph.risk.train import TrainedRiskModel, load_model, save_model

_POINTER = "current.json"


@dataclass(frozen=True)
class VersionInfo:
    """One registered version."""

    version: str
    created: str
    metrics: dict[str, Any]
    current: bool
    """True for the version the pointer names."""


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
