"""Settings: the one place that reads `opsgraph.yaml` and environment variables.

Precedence, highest first: explicit arguments, environment variables
(`OPSGRAPH_HOME`, `OPSGRAPH_STORE`, `OPSGRAPH_CONFIG`), the config file, defaults.
The config file is `$OPSGRAPH_CONFIG`, else `./opsgraph.yaml`, else
`$OPSGRAPH_HOME/opsgraph.yaml`. Layers below `app` receive objects built
from these settings and never read them themselves.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opsgraph.errors import ConfigError


class StoreSettings(BaseModel):
    """Which graph store to use and how."""

    model_config = ConfigDict(extra="forbid")
    backend: str = "arcadedb-embedded"
    """A name from `opsgraph.store.BACKENDS`."""
    batch_size: int = Field(1000, gt=0)
    """Rows per write transaction."""
    heap: str = "2g"
    """Maximum JVM heap for the embedded engine."""


class Settings(BaseModel):
    """Everything the facade needs to build opsgraph's objects."""

    model_config = ConfigDict(extra="forbid")
    home: Path = Field(default_factory=lambda: Path.home() / ".opsgraph")
    """Folder holding the store, models and caches."""
    store: StoreSettings = Field(default_factory=StoreSettings)
    """Graph store settings."""

    @property
    def store_path(self) -> Path:
        return self.home / "store"


def _config_file(explicit: str | Path | None) -> Path | None:
    named = explicit or os.environ.get("OPSGRAPH_CONFIG")
    if named:
        if not Path(named).is_file():
            raise ConfigError(f"config file {named} does not exist")
        return Path(named)
    candidates = [Path("opsgraph.yaml")]
    if os.environ.get("OPSGRAPH_HOME"):
        candidates.append(Path(os.environ["OPSGRAPH_HOME"]) / "opsgraph.yaml")
    return next((c for c in candidates if c.is_file()), None)


def load_settings(*, home: str | Path | None = None, config_file: str | Path | None = None) -> Settings:
    """Build settings from arguments, environment and the config file."""
    data: dict[str, Any] = {}
    path = _config_file(config_file)
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a mapping of settings")
        data.update(loaded)
    if os.environ.get("OPSGRAPH_HOME"):
        data["home"] = os.environ["OPSGRAPH_HOME"]
    if os.environ.get("OPSGRAPH_STORE"):
        data.setdefault("store", {})["backend"] = os.environ["OPSGRAPH_STORE"]
    if home is not None:
        data["home"] = str(home)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        where = str(path) if path else "environment"
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{where}: {problems}") from exc
    settings.home = settings.home.expanduser()
    return settings
