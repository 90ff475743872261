"""Sources, sync, history and "as of", wired from settings for the facade (no policy here: `ingest` decides).

Builds what the `ingest` layer needs (the schema, the configured sources, a temporary store
for a past state) and hands it over; the CLI and API reach this only through `OpsGraph`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from opsgraph.app.config import Settings
from opsgraph.errors import ConfigError
from opsgraph.ingest import ingest_estate
from opsgraph.ingest.history import Change, change_lines, list_changes, materialize_as_of, parse_when
from opsgraph.ingest.reconcile import ReconcileReport, reconcile
from opsgraph.ingest.source_sync import sync_source
from opsgraph.ingest.sync import SyncPlan, source_status, state_from_facts, sync_state
from opsgraph.ingest.telemetry_pull import PullReport, data_age
from opsgraph.schema import GraphSchema, load_schema
from opsgraph.sources import Facts, SourceConfig
from opsgraph.store import GraphStore, create_store

Progress = Callable[[str, int, int], None]
TELEMETRY_KINDS = ("prometheus",)
"""Source kinds that pull telemetry into the store instead of planning nodes and edges."""


def default_schema() -> GraphSchema:
    """The bundled sample estate's schema (Service, Team, DEPENDS_ON, OWNS, ...): used until an estate brings its own."""
    return load_schema(Path(str(resources.files("opsgraph").joinpath("data", "sample_estate", "schema.yaml"))))


class SyncService:
    """Sync configured sources into a store, and read its history."""

    def __init__(self, store: GraphStore, settings: Settings, schema: GraphSchema | None) -> None:
        self.store = store
        self.settings = settings
        self.schema = schema

    def _config(self, name: str) -> SourceConfig:
        for s in self.settings.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.settings.sources) or "none configured"
        raise ConfigError(f"no source named {name!r} in opsgraph.yaml `sources:` ({known})")

    def precedence(self) -> dict[str, int]:
        return {s.name: s.precedence for s in self.settings.sources}

    def sources(self) -> list[dict[str, Any]]:
        """Each configured source (and each source that synced before but is no longer configured) with its status."""
        out = []
        for s in self.settings.sources:
            status = source_status(self.store, s.name) or {}
            out.append({"name": s.name, "kind": s.kind, "location": str(s.path) if s.path else "", "precedence": s.precedence, "configured": True,
                        "last_synced": status.get("last_synced"), "nodes": status.get("nodes"), "edges": status.get("edges"), "run": status.get("run")})  # fmt: skip
            if s.kind in TELEMETRY_KINDS:
                out[-1].update(location=s.prometheus.url if s.prometheus else "", **data_age(status), last_steps=status.get("last_steps") or {})
        configured = {s.name for s in self.settings.sources}
        for name in self._synced_names():
            if name not in configured:
                status = source_status(self.store, name) or {}
                out.append({"name": name, "kind": status.get("kind"), "location": status.get("location"), "precedence": None, "configured": False,
                            "last_synced": status.get("last_synced"), "nodes": status.get("nodes"), "edges": status.get("edges"), "run": status.get("run")})  # fmt: skip
        return out

    def _synced_names(self) -> list[str]:
        from opsgraph.store.arcadedb import META_TYPE

        rows = self.store.read_records(META_TYPE)
        return sorted(str(r["key"])[len("source:") :] for r in rows if str(r.get("key", "")).startswith("source:"))

    def sync(self, names: Sequence[str] | None = None, *, dry_run: bool = False, progress: Progress | None = None) -> list[SyncPlan]:
        """Sync each named source (default: all configured), each all-or-nothing, in the order given."""
        chosen = [self._config(n) for n in names] if names else list(self.settings.sources)
        if not chosen:
            raise ConfigError("no sources configured: add `sources:` to opsgraph.yaml (see README, 'Your estate in 15 minutes')")
        plans = []
        for config in chosen:
            plans.append(self.sync_one(config, dry_run=dry_run, progress=progress))
        return plans

    def sync_one(self, config: SourceConfig, *, dry_run: bool = False, progress: Progress | None = None) -> SyncPlan:
        if config.kind in TELEMETRY_KINDS:
            pulled = self.pull(config, dry_run=dry_run, progress=progress)
            return SyncPlan(config.name, config.kind, pulled.location, applied=pulled.applied, seconds=pulled.seconds,
                            data_version=self.store.data_version(), telemetry=pulled.as_dict())  # fmt: skip
        if config.kind == "estate":
            if config.path is None:
                raise ConfigError(f"source {config.name!r} (estate) needs a `path`")
            report = ingest_estate(self.store, config.path, source=config.name, precedence=config.precedence, others=self.precedence(), dry_run=dry_run, progress=progress)
            assert report.sync is not None
            self.schema = self.store_schema() or self.schema
            return report.sync
        schema = self.schema or default_schema()
        # Unchanged files are not parsed again and only claims that differ are read (`ingest/source_sync.py`).
        return sync_source(self.store, schema, config, cache_dir=self.settings.home / "cache" / "sources", dry_run=dry_run,
                           precedence=self.precedence(), progress=progress)  # fmt: skip

    def sync_facts(self, config: SourceConfig, facts: Facts, *, dry_run: bool = False, progress: Progress | None = None) -> SyncPlan:
        """Plan and apply facts a source produced some other way (the OTLP receiver's call edges), all-or-nothing."""
        schema = self.schema or default_schema()
        state = state_from_facts(facts, precedence=config.precedence, location=str(config.path or ""))
        if not dry_run:
            self.store.ensure_schema(schema)
        return sync_state(self.store, schema, state, dry_run=dry_run, precedence=self.precedence(), progress=progress)

    # -- telemetry sources (pulled, not planned) ---------------------------------------------
    def pull(self, config: SourceConfig | str, *, now: float | None = None, dry_run: bool = False, progress: Progress | None = None,
             transport: Any = None) -> PullReport:  # fmt: skip
        """Pull a `kind: prometheus` source from its last stored step to `now` (all or nothing)."""
        from opsgraph.ingest.telemetry_pull import pull_source
        from opsgraph.sources.prometheus import PrometheusClient

        config = self._config(config) if isinstance(config, str) else config
        settings = config.prometheus
        if config.kind not in TELEMETRY_KINDS or settings is None:
            raise ConfigError(f"source {config.name!r} is a {config.kind} source, not a telemetry source (kind: prometheus)")
        schema = self.schema or self.store_schema() or default_schema()
        token = _secret(config.name, "bearer_token_env", settings.bearer_token_env)
        password = _secret(config.name, "basic_password_env", settings.basic_password_env)
        if not dry_run:
            self.store.ensure_schema(schema)
        with PrometheusClient(settings, token=token, password=password, transport=transport) as client:
            return pull_source(self.store, schema, client, settings, source=config.name, kind=config.kind, now=now, dry_run=dry_run, progress=progress)

    def store_schema(self) -> GraphSchema | None:
        getter = getattr(self.store, "stored_schema", None)
        return getter() if getter else None

    # -- history ---------------------------------------------------------------------------
    def changes(self, *, since: str | float | None = None, node: str | None = None, provenance: bool = False) -> list[dict[str, Any]]:
        """What changed, newest first, each with its words (`text`); `provenance` adds changes of only who asserts a fact."""
        start = parse_when(since) if since is not None else None
        found: list[Change] = list_changes(self.store, since=start, node=node, provenance=provenance)
        return [{**c.as_dict(), "text": text} for c, text in change_lines(found)]

    @contextmanager
    def as_of(self, when: str | float, *, progress: Progress | None = None) -> Iterator[tuple[GraphStore, float]]:
        """A temporary store holding the estate as it was at `when` (removed when the block ends)."""
        at = parse_when(when)
        schema = self.schema or self.store_schema()
        if schema is None:
            raise ConfigError("nothing is ingested in this home yet: there is no past to read")
        folder = Path(tempfile.mkdtemp(prefix="asof-", dir=self.settings.home))
        past = create_store(self.settings.store.backend if self.settings.store.backend == "arcadedb-embedded" else "arcadedb-embedded", path=folder / "store")
        try:
            past.open()
            materialize_as_of(self.store, past, schema, at, progress=progress)
            yield past, at
        finally:
            past.close()
            shutil.rmtree(folder, ignore_errors=True)

    def reconcile(self) -> ReconcileReport:
        schema = self.schema or self.store_schema()
        if schema is None:
            raise ConfigError("nothing is ingested in this home yet: nothing to reconcile")
        return reconcile(self.store, schema)


def _secret(source: str, field: str, env_name: str | None) -> str | None:
    """The secret held by the environment variable a source's config names (never the config itself)."""
    if env_name is None:
        return None
    value = os.environ.get(env_name)
    if not value:
        raise ConfigError(f"source {source!r}: prometheus.{field} names the environment variable {env_name}, which is not set")
    return value


def plan_json(plans: Sequence[SyncPlan]) -> str:
    return json.dumps([p.as_dict() for p in plans], indent=2, default=str)
