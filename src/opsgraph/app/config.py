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
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from opsgraph.app.tenancy import TenantSettings, all_tenants, read_token, tenant_database, tenant_home, tenant_redis_name, unique_tenants
from opsgraph.errors import ConfigError
from opsgraph.sources import SourceConfig


class StoreSettings(BaseModel):
    """Which graph store to use and how."""

    model_config = ConfigDict(extra="forbid")
    backend: str = "arcadedb-embedded"
    """A name from `opsgraph.store.BACKENDS`."""
    batch_size: int = Field(1000, gt=0)
    """Rows per write transaction."""
    heap: str = "2g"
    """Maximum JVM heap for the embedded engine."""
    query_timeout_ms: int = Field(30_000, ge=100)
    """Time limit of one query: the engine stops it and `QueryTimeoutError` says so."""
    url: str | list[str] | None = None
    """`arcadedb-server`: the server's URL, or several (reads go to any healthy one, writes to the first/leader).
    Default: the server `opsgraph server start` runs for this home."""
    database: str = "opsgraph"
    """`arcadedb-server`: the database holding this estate (one per estate or tenant)."""
    user: str = "root"
    """`arcadedb-server`: the account (its password comes from OPSGRAPH_SERVER_PASSWORD or `password_file`)."""
    password_file: Path | None = None
    """`arcadedb-server`: a file (mode 0600) holding the password. Default: the one `opsgraph server start` wrote."""
    tls_verify: bool = True
    """`arcadedb-server` over https: check the server's certificate."""
    ca_file: Path | None = None
    """`arcadedb-server` over https: a CA bundle to check the certificate against (a private CA)."""

    @model_validator(mode="before")
    @classmethod
    def _no_password_in_clear(cls, value: Any) -> Any:
        if isinstance(value, dict) and "password" in value:
            raise ValueError("a password is never read from opsgraph.yaml: set OPSGRAPH_SERVER_PASSWORD or store.password_file (mode 0600)")
        return value


class RiskSettings(BaseModel):
    """The failure-risk model: threads, where its versions live, what it covers, hyper-parameters."""

    model_config = ConfigDict(extra="forbid")
    threads: int = Field(1, ge=1)
    """torch threads for training and scoring. 1 is safest next to the engine's JVM: torch's
    OpenMP threads spin while they wait (ENGINE-NOTES.md); above 1, `OMP_WAIT_POLICY=PASSIVE`
    is set before torch loads unless the environment says otherwise."""
    registry: Path | None = None
    """Folder of model versions; default `<home>/models/risk`."""
    node_type: str = "Service"
    """Node type whose telemetry the model reads (it must declare telemetry features)."""
    monitor_steps: int | None = Field(1440, ge=100)
    """Most recent time steps `monitor` works on (drift check, challenger training, comparison);
    None: all stored telemetry. Too long a history hides a drift from the challenger."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Overrides of `opsgraph.risk.RiskConfig` fields, e.g. `{epochs: 30, horizon: 10}`."""

    @field_validator("config")
    @classmethod
    def _known_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        from opsgraph.risk.config import RiskConfig  # pydantic only; torch stays unloaded

        if "threads" in value:
            raise ValueError("set risk.threads, not risk.config.threads")
        RiskConfig.model_validate(value)  # unknown names and bad values fail here, at load time
        return value


class EmbedSettings(BaseModel):
    """The embedder for document chunks: a local model (default) or an OpenAI-compatible endpoint."""

    model_config = ConfigDict(extra="forbid")
    provider: str = "sentence-transformers"
    """A name from `opsgraph.embed.EMBEDDERS`, or "none" to skip documents at ingest."""
    threads: int = Field(1, ge=1)
    """torch threads for the local model (1 is safest next to the engine's JVM: ENGINE-NOTES.md)."""
    device: str = "cpu"
    """torch device for the local model."""
    batch_size: int = Field(32, gt=0)
    """Texts per model call or request."""
    base_url: str | None = None
    """OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (provider "openai")."""
    model: str | None = None
    """Model name at that endpoint (provider "openai")."""
    api_key: SecretStr | None = None
    """From `OPSGRAPH_EMBED_API_KEY`; keep keys out of the file."""
    cache: bool = True
    """Keep vectors in `<home>/cache/embeddings` (sqlite) so re-runs and restarts do not re-embed."""

    @model_validator(mode="after")
    def _endpoint_complete(self) -> EmbedSettings:
        if self.provider == "openai" and not (self.base_url and self.model):
            raise ValueError("the openai provider needs base_url and model")
        return self


class LLMSettings(BaseModel):
    """Which language model answers, and how it samples."""

    model_config = ConfigDict(extra="forbid")
    provider: str = "llamacpp"
    """`llamacpp` (embedded, offline), `openai` (any OpenAI-compatible server: vLLM, Ollama, llama.cpp server) or `none`."""
    model: str = "smollm2-135m-instruct"
    """A bundled model name, a .gguf path (llamacpp), or the server's model name (openai)."""
    base_url: str | None = None
    """Server URL for `openai`, e.g. http://127.0.0.1:8000/v1."""
    api_key: SecretStr | None = None
    """Bearer token for `openai`; also read from OPSGRAPH_LLM_API_KEY."""
    threads: int = Field(2, ge=1)
    """llama.cpp threads."""
    n_ctx: int = Field(4096, ge=512)
    """Context window for the embedded model."""
    max_tokens: int = Field(200, ge=1)
    """Most tokens in an answer."""
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    """0 is greedy and reproducible."""
    answers: Literal["extractive", "generate"] = "extractive"
    """`extractive` (default): graph answers are rows rendered by templates, document answers quoted sections; no model
    writes prose. `generate`: the model writes document answers (repetition guard, `answer_budget_s`, citation check);
    configure it with a capable model (the bundled 135M one repeats itself and invents)."""
    answer_budget_s: float = Field(20.0, gt=0)
    """Seconds a generated answer may take; a slower one is replaced by the extractive answer."""

    @field_validator("n_ctx")
    @classmethod
    def _ctx_multiple_of_256(cls, value: int) -> int:
        # llama-cpp-python 0.3.36 crashes on prompts between the asked size and what llama.cpp allocates.
        if value % 256:
            raise ValueError("n_ctx must be a multiple of 256 (e.g. 2048, 4096)")
        return value

    @model_validator(mode="after")
    def _endpoint_complete(self) -> LLMSettings:
        if self.provider == "openai" and not self.base_url:
            raise ValueError("the openai provider needs base_url")
        return self


class AskSettings(BaseModel):
    """How questions are answered."""

    model_config = ConfigDict(extra="forbid")
    k: int = Field(8, ge=1, le=50)
    """Context items given to the model."""
    hops: int = Field(1, ge=0, le=3)
    """Neighbourhood depth of graph expansion."""
    text2cypher: bool | Literal["auto"] = "auto"
    """Let the model write Cypher (checked, read-only, bounded) when the schema planner finds no path. `auto`: only
    once `opsgraph tune` has prepared this estate (slots, retrieved examples, grammar, adapter); untuned, the bundled
    models write no correct Cypher (0 of 21 and 0 of 18 in the note of issue 4). `true` also uses the untuned prompt."""


class CypherSettings(BaseModel):
    """How the model writes Cypher for this estate, and how `opsgraph tune` prepares it."""

    model_config = ConfigDict(extra="forbid")
    examples: bool = True
    """Show the nearest tuned (question, Cypher) pairs as examples (after `opsgraph tune`)."""
    grammar: bool = True
    """Constrain decoding by the estate's read-only Cypher grammar (llama.cpp models; servers that accept GBNF)."""
    adapter: bool = True
    """Use the estate's active LoRA adapter for writing Cypher when `opsgraph tune` trained one."""
    reuse: bool = True
    """Before the model writes, reuse the nearest tuned pair's query when its parameters' kinds and types and its numbers
    fit the question (measured best on both hand-written sets by bench/text2cypher.py); the model writes the rest."""
    max_attempts: int = Field(2, ge=1, le=5)
    """Generations per question: the first, then repairs with the engine's error."""
    pairs: int = Field(6000, ge=50)
    """Most training pairs `tune` generates from the schema and the data."""
    held_out_sample: int = Field(16, ge=5)
    """Held-out pairs each prompt style (and the adapter) is measured on when `tune` chooses."""
    train_steps: int = Field(150, ge=1)
    """LoRA optimiser steps `tune` runs (batch 8)."""
    first_rung: int = Field(4, ge=1)
    """Held-out pairs every prompt style answers before `tune` drops the worse half (successive halving; the rest answer
    twice as many, and so on, the chosen style all of them). `held_out_sample` or more: every style answers every pair."""
    seed: int = 0
    """Seed of pair sampling, the split and training: the same seed gives the same pairs and adapter."""
    tune_attempts: int = Field(1, ge=1, le=5)
    """Generations per held-out question while `tune` measures prompt styles (and the adapter): repairs matter to the
    writer that answers later (`max_attempts`), not to the choice, and each costs a generation."""


class CacheSettings(BaseModel):
    """The semantic cache of answers (`ask`): where it lives, when a question counts as the same, how long answers live."""

    model_config = ConfigDict(extra="forbid")
    backend: Literal["embedded", "redis", "none"] = "embedded"
    """`embedded` (numpy + sqlite in `<home>/cache/`, no server), `redis` (Redis Stack / Redis 8 through RedisVL) or `none`."""
    url: str | None = None
    """Redis URL for `redis`, e.g. redis://127.0.0.1:6379/0; also from OPSGRAPH_REDIS_URL."""
    threshold: float = Field(0.1, ge=0.0, le=2.0)
    """Cosine distance under which a cached question counts as the same (chosen by bench/cache.py)."""
    ttl: int | None = Field(86_400, ge=1)
    """Seconds a cached answer lives (None: until the data it used changes)."""
    tenant: str | None = None
    """Scope tenant; default the estate's name (set one per estate when several share one Redis)."""
    name: str = "opsgraph"
    """Prefix of the Redis index and keys."""

    @model_validator(mode="after")
    def _url_for_redis(self) -> CacheSettings:
        if self.backend == "redis" and not self.url:
            raise ValueError("the redis cache needs url (or OPSGRAPH_REDIS_URL)")
        return self


class MemorySettings(BaseModel):
    """Conversation memory: per-user session history and follow-up rewriting."""

    model_config = ConfigDict(extra="forbid")
    backend: Literal["embedded", "redis", "none"] = "embedded"
    """`embedded` (sqlite in `<home>/cache/`), `redis` (RedisVL MessageHistory, at `cache.url` unless `url` is set) or `none`."""
    url: str | None = None
    """Redis URL for `redis`; default `cache.url`."""
    window: int = Field(3, ge=1, le=20)
    """Most recent turns searched for what "it", "they", "that service" refer to."""
    max_turns: int = Field(50, ge=1)
    """Turns kept per session."""
    llm_rewrite: bool = False
    """Ask the language model to rewrite a follow-up the rules could not resolve. Off by default:
    the bundled 135M model rewrites unreliably; turn it on with a capable OpenAI-compatible endpoint."""


class ServeSettings(BaseModel):
    """`opsgraph serve` (HTTP API, web page, MCP over HTTP) and `opsgraph mcp`."""

    model_config = ConfigDict(extra="forbid")
    host: str = "127.0.0.1"
    """Address to bind. Anything but a loopback address needs `token`."""
    port: int = Field(8765, ge=0, le=65535)
    """Port to bind; 0 picks a free one (the URL printed and written to `<home>/serve.json` tells which)."""
    token: SecretStr | None = None
    """Bearer token every API call must carry; from `OPSGRAPH_TOKEN`. Keep it out of the file."""
    threads: int = Field(8, ge=1, le=64)
    """Worker threads running facade calls (the facade is synchronous), per pool: one pool answers questions, one
    serves everything else, so questions queued for the model never block queries. Writes run one at a time on their own thread."""
    ingest_roots: list[Path] = Field(default_factory=list)
    """If set, `POST /v1/ingest` accepts only folders under one of these (the path is on the server)."""
    otlp_flush_seconds: float = Field(60.0, gt=0)
    """How often spans received at `POST /v1/traces` are written to the store as CALLS edges (and once at shutdown)."""
    graph_limit: int = Field(2000, ge=1)
    """Most nodes `GET /v1/graph` returns (the web page draws them all)."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """Host names (`name` or `name:port`) the server answers to besides its bound address's own (127.0.0.1, localhost,
    [::1] on a loopback bind); any other `Host` header gets 421 (DNS rebinding). `*` answers any (behind a proxy that checks)."""
    max_body_bytes: int = Field(1_000_000, ge=1024)
    """Largest request body; a larger one gets 413 (checked on Content-Length and while it streams)."""
    max_param_items: int = Field(10_000, ge=1)
    """Most query parameters, and most items in one list parameter (413 beyond)."""
    heavy_queries: int = Field(8, ge=1, le=64)
    """Queries, searches and graph reads running at once; health, schema and cheap reads have their own threads."""
    heavy_wait_s: float = Field(0.5, ge=0)
    """How long a heavy request waits for a free slot before it gets 503 `busy` (with Retry-After)."""
    watch: bool = False
    """Run the watch loop (`opsgraph watch`, settings in `watch:`) inside the server, so the risk board stays current."""


class WatchSettings(BaseModel):
    """`opsgraph watch` (and the same loop in `opsgraph serve` with `serve.watch: true`)."""

    model_config = ConfigDict(extra="forbid")
    every: float = Field(60.0, gt=0)
    """Seconds between cycles (pull new telemetry, score the new steps, check drift, record alerts)."""
    sources: list[str] | None = None
    """Telemetry sources (`kind: prometheus`) to pull each cycle; default: every one configured."""
    monitor: bool = True
    """Check drift each cycle, and retrain by the retraining policy when it drifted (see `risk monitor`)."""
    retrain_cooldown: float = Field(6 * 3600.0, ge=0)
    """Least seconds between two retrainings started by the watch loop (a drift that persists does not retrain every cycle)."""
    max_catchup_steps: int = Field(60, ge=1)
    """Most new steps scored one by one in a cycle (for alerts); older new steps are skipped (said in the cycle's report)."""


class IngestSettings(BaseModel):
    """Limits on what one ingest may read: a document over them is refused with its path and size before any write."""

    model_config = ConfigDict(extra="forbid")
    max_document_bytes: int = Field(10_000_000, ge=1)
    """Largest document file (bytes)."""
    max_documents_bytes: int = Field(200_000_000, ge=1)
    """Largest total of an estate's document files (bytes)."""
    max_chunks_per_document: int = Field(5_000, ge=1)
    """Most chunks one document may make."""


class Settings(BaseModel):
    """Everything the facade needs to build opsgraph's objects."""

    model_config = ConfigDict(extra="forbid")
    home: Path = Field(default_factory=lambda: Path.home() / ".opsgraph")
    """Folder holding the store, models and caches."""
    store: StoreSettings = Field(default_factory=StoreSettings)
    """Graph store settings."""
    risk: RiskSettings = Field(default_factory=RiskSettings)
    """Failure-risk model settings."""
    embed: EmbedSettings = Field(default_factory=EmbedSettings)
    """Embedder settings (documents, questions, examples)."""
    llm: LLMSettings = Field(default_factory=LLMSettings)
    ask: AskSettings = Field(default_factory=AskSettings)
    """How questions are answered."""
    cypher: CypherSettings = Field(default_factory=CypherSettings)
    """Text-to-Cypher: examples, grammar, adapter, and what `opsgraph tune` does."""
    serve: ServeSettings = Field(default_factory=ServeSettings)
    """HTTP API / MCP server settings."""
    cache: CacheSettings = Field(default_factory=CacheSettings)
    """Semantic cache of answers."""
    memory: MemorySettings = Field(default_factory=MemorySettings)
    """Conversation memory."""
    sources: list[SourceConfig] = Field(default_factory=list)
    """Where the estate lives: named sources (`estate`, `kubernetes`, `compose`, `backstage`) that `opsgraph sync` reads.
    A relative `path` is resolved against the folder of the config file."""

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, value: list[SourceConfig]) -> list[SourceConfig]:
        names = [s.name for s in value]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"source names must be unique; repeated: {', '.join(repeated)}")
        return value
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    """Limits on documents read by an ingest."""
    watch: WatchSettings = Field(default_factory=WatchSettings)
    """The watch loop: schedule, sources, drift and retraining, alert catch-up."""
    tenants: list[TenantSettings] = Field(default_factory=list)
    """Estates kept apart on this home, each with its bearer token's source (`app/tenancy.py`); `opsgraph tenant add`
    makes more without editing this file. With tenants, `opsgraph serve` serves each one behind its own token."""
    tenant: str | None = None
    """The tenant these settings are scoped to (set by `for_tenant`, i.e. `--tenant` / `OPSGRAPH_TENANT`); None: the root home."""

    @field_validator("tenants")
    @classmethod
    def _unique_tenants(cls, value: list[TenantSettings]) -> list[TenantSettings]:
        return unique_tenants(value)

    @property
    def store_path(self) -> Path:
        return self.home / "store"

    @property
    def risk_registry_path(self) -> Path:
        return (self.risk.registry or self.home / "models" / "risk").expanduser()

    def all_tenants(self) -> list[TenantSettings]:
        """Configured tenants, then those `opsgraph tenant add` made (a sub-home with a token file)."""
        return all_tenants(self.home, self.tenants)

    def for_tenant(self, name: str) -> Settings:
        """These settings scoped to tenant `name`: its sub-home (store, caches, journal, models), its own Redis index and
        key prefix and cache scope, its database on a server backend, its token as `serve.token`, no shared sources."""
        if self.tenant is not None:
            raise ConfigError(f"these settings are already scoped to tenant {self.tenant}")
        entry = next((t for t in self.all_tenants() if t.name == name), None)
        if entry is None:
            raise ConfigError(f"no tenant {name!r} in {self.home}: add it with `opsgraph tenant add {name}` or under tenants: in opsgraph.yaml")
        try:
            token: SecretStr | None = SecretStr(read_token(self.home, entry))
        except ConfigError:  # only serving needs it; `opsgraph serve --tenant` says why it is missing
            token = None
        store = self.store
        if "database" in StoreSettings.model_fields:  # the server backend's `store.database`
            base = getattr(self.store, "database", None) or "opsgraph"
            store = store.model_copy(update={"database": entry.database or tenant_database(name, base)})
        registry = self.risk.registry / TENANTS_SUBDIR / name if self.risk.registry is not None else None
        return self.model_copy(update={
            "home": tenant_home(self.home, name),
            "store": store,
            "risk": self.risk.model_copy(update={"registry": registry}),
            "cache": self.cache.model_copy(update={"name": tenant_redis_name(self.cache.name, name), "tenant": name}),
            "serve": self.serve.model_copy(update={"token": token, "ingest_roots": list(entry.ingest_roots)}),
            "sources": [],
            "tenants": [],
            "tenant": name,
        })


TENANTS_SUBDIR = "tenants"
"""A configured `risk.registry` holds each tenant's models in `<registry>/tenants/<name>`."""


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


def load_settings(*, home: str | Path | None = None, config_file: str | Path | None = None, tenant: str | None = None) -> Settings:
    """Build settings from arguments, environment and the config file; scoped to `tenant` (default `$OPSGRAPH_TENANT`;
    "" for the root home) when one is named."""
    data: dict[str, Any] = {}
    path = _config_file(config_file)
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a mapping of settings")
        if "tenant" in loaded:
            raise ConfigError(f"{path}: tenant: choose a tenant with --tenant NAME or OPSGRAPH_TENANT; declare tenants under tenants:")
        data.update(loaded)
    if os.environ.get("OPSGRAPH_HOME"):
        data["home"] = os.environ["OPSGRAPH_HOME"]
    if os.environ.get("OPSGRAPH_STORE"):
        data.setdefault("store", {})["backend"] = os.environ["OPSGRAPH_STORE"]
    if os.environ.get("OPSGRAPH_EMBEDDER"):
        data.setdefault("embed", {})["provider"] = os.environ["OPSGRAPH_EMBEDDER"]
    if os.environ.get("OPSGRAPH_EMBED_API_KEY"):
        data.setdefault("embed", {})["api_key"] = os.environ["OPSGRAPH_EMBED_API_KEY"]
    if os.environ.get("OPSGRAPH_LLM"):
        data.setdefault("llm", {})["provider"] = os.environ["OPSGRAPH_LLM"]
    if os.environ.get("OPSGRAPH_LLM_API_KEY"):
        data.setdefault("llm", {})["api_key"] = os.environ["OPSGRAPH_LLM_API_KEY"]
    if os.environ.get("OPSGRAPH_TOKEN"):
        data.setdefault("serve", {})["token"] = os.environ["OPSGRAPH_TOKEN"]
    if os.environ.get("OPSGRAPH_STORE_URL"):
        urls = [u.strip() for u in os.environ["OPSGRAPH_STORE_URL"].split(",") if u.strip()]
        data.setdefault("store", {})["url"] = urls[0] if len(urls) == 1 else urls
    if os.environ.get("OPSGRAPH_STORE_DATABASE"):
        data.setdefault("store", {})["database"] = os.environ["OPSGRAPH_STORE_DATABASE"]
    if os.environ.get("OPSGRAPH_CACHE"):
        data.setdefault("cache", {})["backend"] = os.environ["OPSGRAPH_CACHE"]
    if os.environ.get("OPSGRAPH_REDIS_URL"):
        data.setdefault("cache", {})["url"] = os.environ["OPSGRAPH_REDIS_URL"]
    if home is not None:
        data["home"] = str(home)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        where = str(path) if path else "environment"
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{where}: {problems}") from exc
    settings.home = settings.home.expanduser()
    base = path.resolve().parent if path is not None else Path.cwd()
    for source in settings.sources:
        if source.path is not None:
            source.path = source.path.expanduser()
            if not source.path.is_absolute():
                source.path = Path(os.path.normpath(base / source.path))
    for entry in settings.tenants:
        if entry.token_file is not None and not entry.token_file.expanduser().is_absolute():
            entry.token_file = Path(os.path.normpath(base / entry.token_file.expanduser()))
        entry.ingest_roots = [r if r.is_absolute() else Path(os.path.normpath(base / r)) for r in (p.expanduser() for p in entry.ingest_roots)]
    tenant = os.environ.get("OPSGRAPH_TENANT", "") if tenant is None else tenant
    return settings.for_tenant(tenant) if tenant else settings
