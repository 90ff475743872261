"""A versioned registry of LoRA adapters on disk, one line of versions per (estate, task).

Layout::

    <root>/<estate>/<task>/v0001/adapter.gguf     the llama.cpp adapter
    <root>/<estate>/<task>/v0001/manifest.json    what it is and how it was made
    <root>/<estate>/<task>/active.json            {"version": "v0001", ...}: the one to serve

A version appears atomically: `register` builds it in a hidden temporary folder
beside the others and renames the folder into place, so a reader never sees an
adapter without its manifest, and two writers racing for the same number end
with two distinct versions. `active.json` is replaced atomically too (both
through `opsgraph._files.VersionedFolder`).

The manifest records the base model (name + sha256: an adapter only fits the
exact weights it was trained on), the training data's sha256, the estate
schema's hash, every hyper-parameter, the metrics, and time/steps. An adapter
is *stale* when the schema it was trained against has changed (or the base
model has); `is_stale` says so, and callers route to the base model instead.

Imports nothing heavy (no torch, no gguf): the app can list and route adapters
without the training extra.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsgraph._files import VERSION_NAME, VersionedFolder, atomic_write_text
from opsgraph.llm.adapters.errors import AdapterError, AdapterManifestError
from opsgraph.llm.errors import ModelIntegrityError

if TYPE_CHECKING:
    from opsgraph.llm.adapters.train import LoraSettings, TrainResult

MANIFEST_FORMAT = 1
"""Version of the manifest layout; bumped when a key changes meaning."""
ADAPTER_FILE = "adapter.gguf"
MANIFEST_FILE = "manifest.json"
ACTIVE_FILE = "active.json"
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_REQUIRED = ("format", "estate", "task", "version", "created", "base_model", "adapter", "data", "schema_hash", "hyperparameters", "training", "metrics")


@dataclass(frozen=True)
class AdapterVersion:
    """One registered adapter: its version name, the `adapter.gguf` path, and its manifest."""

    version: str
    """`v0001`, `v0002`, ..."""
    path: Path
    """The llama.cpp adapter file (`lora_path`)."""
    manifest: dict[str, Any]
    """The parsed `manifest.json` (see the module docstring)."""

    @property
    def number(self) -> int:
        """The version as an integer (1 for `v0001`)."""
        return int(self.version[1:])

    @property
    def folder(self) -> Path:
        """The version's folder."""
        return self.path.parent

    @property
    def schema_hash(self) -> str:
        """Hash of the estate schema the adapter was trained against."""
        return str(self.manifest["schema_hash"])

    @property
    def base_sha256(self) -> str:
        """sha256 of the base GGUF the adapter was trained on (it only fits those weights)."""
        return str(self.manifest["base_model"]["sha256"])

    def is_stale(self, schema_hash: str, base_sha256: str | None = None) -> bool:
        """True when the schema changed since training (or, if given, the base model differs)."""
        return is_stale(self, schema_hash, base_sha256)

    def verify(self) -> None:
        """Hash `adapter.gguf` and compare with the manifest; `ModelIntegrityError` when they differ."""
        expected = str(self.manifest["adapter"]["sha256"])
        actual = _sha256(self.path)
        if actual != expected:
            raise ModelIntegrityError(str(self.path), expected, actual)


def is_stale(version: AdapterVersion, schema_hash: str, base_sha256: str | None = None) -> bool:
    """True when `version` was trained for another schema (or, when `base_sha256` is given, another base model)."""
    if version.schema_hash != schema_hash:
        return True
    return base_sha256 is not None and version.base_sha256 != base_sha256.lower()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AdapterManifestError(path, f"the {what} is missing") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AdapterManifestError(path, f"the {what} is not valid JSON ({exc}); fix or delete the file") from exc
    if not isinstance(data, dict):
        raise AdapterManifestError(path, f"the {what} must be a JSON object, found {type(data).__name__}")
    return data


def _segment(value: str, what: str) -> str:
    if not isinstance(value, str) or not _SEGMENT.fullmatch(value) or value in (".", ".."):
        raise AdapterError(f"{what} must be 1-128 letters, digits, '.', '_' or '-' (not starting with a symbol), got {value!r}")
    return value


def _version_name(version: str | int) -> str:
    if isinstance(version, int) and not isinstance(version, bool) and version >= 1:
        return f"v{version:04d}"
    if isinstance(version, str):
        text = version.strip()
        if text.isdigit() and int(text) >= 1:
            return f"v{int(text):04d}"
        if VERSION_NAME.fullmatch(text) and int(text[1:]) >= 1:
            return f"v{int(text[1:]):04d}"
    raise AdapterError(f"a version is a name like 'v0001' or a positive number, got {version!r}")


class AdapterRegistry:
    """Versioned LoRA adapters under `root`, per estate and task (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser()

    def _task_dir(self, estate: str, task: str) -> Path:
        return self.root / _segment(estate, "estate") / _segment(task, "task")

    @staticmethod
    def _folder(task_dir: Path) -> VersionedFolder:
        return VersionedFolder(task_dir, manifest=MANIFEST_FILE, pointer=ACTIVE_FILE)

    def register(
        self,
        result: TrainResult,
        *,
        estate: str,
        task: str,
        base_model: str,
        base_sha256: str,
        schema_hash: str,
        settings: LoraSettings,
        metrics: dict[str, float],
        extra: dict[str, Any] | None = None,
        promote: bool = False,
    ) -> AdapterVersion:
        """Copy `result.adapter_gguf` in as the next version, with its manifest; optionally make it the active one."""
        task_dir = self._task_dir(estate, task)
        source = Path(result.adapter_gguf)
        if not source.is_file():
            raise AdapterError(f"the trained adapter {source} does not exist")
        if not re.fullmatch(r"[0-9a-fA-F]{64}", base_sha256 or ""):
            raise AdapterError(f"base_sha256 must be 64 hex digits, got {base_sha256!r}")
        if not isinstance(schema_hash, str) or not schema_hash:
            raise AdapterError("schema_hash must be a non-empty string")
        bad = {k: v for k, v in metrics.items() if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)}
        if bad:
            raise AdapterError(f"metrics must map names to finite numbers; refused {bad!r}")
        losses = [float(x) for x in result.losses]
        body: dict[str, Any] = {
            "format": MANIFEST_FORMAT,
            "estate": estate,
            "task": task,
            "created": _now(),
            "base_model": {"name": base_model, "sha256": base_sha256.lower()},
            "adapter": {"file": ADAPTER_FILE, "sha256": _sha256(source), "bytes": source.stat().st_size},
            "data": {"sha256": result.data_sha256, "examples": int(result.examples)},
            "schema_hash": schema_hash,
            "hyperparameters": settings.to_json(),
            "training": {
                "steps": int(result.steps),
                "seconds": round(float(result.seconds), 3),
                "seconds_per_step": round(float(result.seconds) / result.steps, 4) if result.steps else 0.0,
                "tokens": int(getattr(result, "tokens", 0)),
                "first_loss": losses[0] if losses else None,
                "final_loss": losses[-1] if losses else None,
                "losses": losses,
            },
            "metrics": {k: float(v) for k, v in metrics.items()},
            "extra": dict(extra or {}),
        }
        try:
            json.dumps(body, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise AdapterError(f"the manifest must be plain JSON (check `extra` and the losses): {exc}") from exc

        manifest: dict[str, Any] = {}

        def stamp(staging: Path, name: str) -> None:
            manifest.clear()
            manifest.update(json.loads(json.dumps({**body, "version": name})))
            atomic_write_text(staging / MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True, allow_nan=False) + "\n")

        name = self._folder(task_dir).new(lambda staging: shutil.copyfile(source, staging / ADAPTER_FILE), stamp=stamp)
        version = AdapterVersion(name, task_dir / name / ADAPTER_FILE, manifest)
        if promote:
            self.promote(estate, task, name)
        return version

    def _load(self, task_dir: Path, name: str) -> AdapterVersion:
        folder = task_dir / name
        manifest_path = folder / MANIFEST_FILE
        manifest = _read_json(manifest_path, "adapter manifest")
        missing = [k for k in _REQUIRED if k not in manifest]
        if missing:
            raise AdapterManifestError(manifest_path, f"the adapter manifest lacks {', '.join(missing)}")
        if manifest["version"] != name:
            raise AdapterManifestError(manifest_path, f"the manifest says version {manifest['version']!r} but sits in folder {name!r}")
        if not isinstance(manifest["base_model"], dict) or "sha256" not in manifest["base_model"]:
            raise AdapterManifestError(manifest_path, "base_model must be an object with name and sha256")
        if not isinstance(manifest["adapter"], dict) or "sha256" not in manifest["adapter"]:
            raise AdapterManifestError(manifest_path, "adapter must be an object with file and sha256")
        path = folder / ADAPTER_FILE
        if not path.is_file():
            raise AdapterManifestError(manifest_path, f"the adapter file {path} it describes is missing")
        return AdapterVersion(name, path, manifest)

    def versions(self, estate: str, task: str) -> list[AdapterVersion]:
        """Every registered version, oldest first (empty when none)."""
        task_dir = self._task_dir(estate, task)
        return [self._load(task_dir, n) for n in self._folder(task_dir).versions()]

    def get(self, estate: str, task: str, version: str | int) -> AdapterVersion:
        """One version by name (`v0003`) or number (3); `AdapterError` listing the known ones when absent."""
        task_dir = self._task_dir(estate, task)
        name = _version_name(version)
        if not (task_dir / name).is_dir():
            known = self._folder(task_dir).versions()
            raise AdapterError(f"no adapter {name} for {estate}/{task} under {self.root}; known: {', '.join(known) or 'none'}")
        return self._load(task_dir, name)

    def latest(self, estate: str, task: str) -> AdapterVersion | None:
        """The newest version, active or not."""
        found = self.versions(estate, task)
        return found[-1] if found else None

    def promote(self, estate: str, task: str, version: str | int) -> AdapterVersion:
        """Make `version` the active one (atomically replaces `active.json`); returns it."""
        chosen = self.get(estate, task, version)
        self._folder(chosen.folder.parent).promote(chosen.version, {"version": chosen.version, "promoted": _now()})
        return chosen

    def active(self, estate: str, task: str) -> AdapterVersion | None:
        """The promoted version, or `None` when none was promoted."""
        path = self._task_dir(estate, task) / ACTIVE_FILE
        if not path.exists():
            return None
        pointer = _read_json(path, "active-version pointer")
        name = pointer.get("version")
        if not isinstance(name, str) or not VERSION_NAME.fullmatch(name):
            raise AdapterManifestError(path, f"'version' must name a version like 'v0001', found {name!r}")
        if not (path.parent / name).is_dir():
            raise AdapterManifestError(path, f"the active version {name} does not exist in {path.parent}")
        return self._load(path.parent, name)
