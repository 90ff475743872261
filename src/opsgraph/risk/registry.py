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
and `current.json` is replaced atomically (write, fsync, `os.replace`), so a
crash never leaves a half-written version or pointer. `promote` appends to the
history; `rollback` returns to the previously promoted version. The folder
is given by the caller: this module reads no configuration.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opsgraph.risk.errors import RegistryError
from opsgraph.risk.train import TrainedRiskModel, load_model, save_model

_VERSION = re.compile(r"^v(\d{4,})$")
_POINTER = "current.json"


@dataclass(frozen=True)
class VersionInfo:
    """One registered version."""

    version: str
    created: str
    metrics: dict[str, Any]
    current: bool
    """True for the version the pointer names."""


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ModelRegistry:
    """Versions of trained risk models in one folder (see the module docstring)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)  # no I/O here: folders are created on first save

    # -- pointer ---------------------------------------------------------------
    def _pointer(self) -> dict[str, Any]:
        try:
            data = json.loads((self.root / _POINTER).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"current": None, "history": []}
        return {"current": data.get("current"), "history": list(data.get("history", []))}

    def _write_pointer(self, history: list[str]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        data = {"current": history[-1] if history else None, "history": history,
                "updated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        _atomic_write(self.root / _POINTER, json.dumps(data, indent=1))

    def current_version(self) -> str | None:
        """The promoted version, or None before any promotion."""
        return self._pointer()["current"]

    # -- versions ----------------------------------------------------------------
    def _versions(self) -> list[str]:
        if not self.root.is_dir():
            return []
        names = [p.name for p in self.root.iterdir() if p.is_dir() and _VERSION.match(p.name)]
        return sorted(names, key=lambda v: int(v[1:]))

    def _check(self, version: str) -> str:
        if not _VERSION.match(version) or not (self.root / version / "manifest.json").is_file():
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
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=".incoming-"))
        try:
            save_model(model, tmp)
            while True:
                existing = self._versions()
                number = int(existing[-1][1:]) + 1 if existing else 1
                target = self.root / f"v{number:04d}"
                try:
                    target.mkdir()  # claims the number; a concurrent writer gets the next one
                except FileExistsError:
                    continue
                os.replace(tmp, target)  # onto the empty claimed folder
                break
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if promote:
            self.promote(target.name)
        return target.name

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
