"""Build the backends from settings: the one place where configuration becomes a store, an embedder, a model, a cache.

Every builder picks its backend by name through one `opsgraph._registry.Registry`
(`opsgraph.store.BACKENDS`, `opsgraph.embed.EMBEDDERS`, `opsgraph.llm.LANGUAGE_MODELS`,
`CACHES` and `HISTORIES` here) and translates the settings section into that
backend's keywords. Nothing is opened here (no I/O, no model loads): the
facade opens and closes what it builds. Builders take `Settings` and return an
object or None (a provider of "none"); they hold no state and no policy.
"""

from __future__ import annotations

from typing import Any

from opsgraph._registry import Registry
from opsgraph.app.config import Settings
from opsgraph.embed import EMBEDDERS, Embedder
from opsgraph.errors import ConfigError
from opsgraph.llm import LANGUAGE_MODELS, LanguageModel
from opsgraph.rag.cache import BaseSemanticCache
from opsgraph.rag.cache.freshness import StoreFreshness
from opsgraph.rag.history import ConversationHistory
from opsgraph.store import BACKENDS, GraphStore

__all__ = ["CACHES", "HISTORIES", "build_cache", "build_embedder", "build_history", "build_llm", "build_store"]

_REDIS_EXTRA = "pip install 'opsgraph[redis]' (RedisVL)"
CACHES: Registry[BaseSemanticCache] = Registry("cache backend", {
    "embedded": "opsgraph.rag.cache.embedded:EmbeddedSemanticCache",
    "redis": "opsgraph.rag.cache.redis:RedisSemanticCache",
}, extras={"redis": _REDIS_EXTRA})
"""Cache backend name → `module:factory`."""
HISTORIES: Registry[ConversationHistory] = Registry("history backend", {
    "embedded": "opsgraph.rag.history.embedded:EmbeddedHistory",
    "redis": "opsgraph.rag.history.redis:RedisHistory",
}, extras={"redis": _REDIS_EXTRA})
"""History backend name → `module:factory`."""


def build_store(settings: Settings) -> GraphStore:
    """The configured graph store, unopened (`store.backend` from `opsgraph.store.BACKENDS`)."""
    s = settings.store
    opts: dict[str, Any] = {"batch_size": s.batch_size}
    if s.backend == "arcadedb-embedded":
        opts.update(path=settings.store_path, timeout_ms=s.query_timeout_ms, heap=s.heap)
    elif s.backend == "arcadedb-server":
        from opsgraph.app.server import server_store_settings  # URL(s), database, TLS, the password from env or file

        opts.update(server_store_settings(settings))
    return BACKENDS.create(s.backend, **opts)


def build_embedder(settings: Settings) -> Embedder | None:
    """The configured embedder, unloaded (the model loads on the first `embed`); None for provider "none"."""
    e = settings.embed
    if e.provider == "none":
        return None
    opts: dict[str, Any] = {"batch_size": e.batch_size}
    if e.cache:
        opts["cache_dir"] = settings.home / "cache" / "embeddings"
    if e.provider == "sentence-transformers":
        opts.update(threads=e.threads, device=e.device)
    elif e.provider == "openai":
        opts.update(base_url=e.base_url, model=e.model, api_key=e.api_key.get_secret_value() if e.api_key else None)
    return EMBEDDERS.create(e.provider, **opts)


def build_llm(settings: Settings) -> LanguageModel | None:
    """The configured language model, unopened (no I/O); None for provider "none"."""
    cfg = settings.llm
    if cfg.provider == "none":
        return None
    if cfg.provider == "llamacpp":
        return LANGUAGE_MODELS.create(
            "llamacpp", model=cfg.model, cache_dir=settings.home / "models", n_ctx=cfg.n_ctx, n_threads=cfg.threads
        )
    key = cfg.api_key.get_secret_value() if cfg.api_key else None
    return LANGUAGE_MODELS.create(cfg.provider, base_url=str(cfg.base_url), model=cfg.model, api_key=key)


def build_cache(settings: Settings, embedder: Embedder | None, freshness: StoreFreshness) -> BaseSemanticCache | None:
    """The configured semantic cache, unopened; None for backend "none" or without an embedder to compare questions."""
    c = settings.cache
    if c.backend == "none" or embedder is None:
        return None
    opts: dict[str, Any] = {"threshold": c.threshold, "ttl": c.ttl, "freshness": freshness}
    if c.backend == "embedded":
        opts["folder"] = settings.home / "cache" / "answers"
    else:
        opts.update(url=c.url, name=c.name)
    return CACHES.create(c.backend, embedder, **opts)


def build_history(settings: Settings) -> ConversationHistory | None:
    """The configured conversation history, unopened; None for backend "none"."""
    m, c = settings.memory, settings.cache
    if m.backend == "none":
        return None
    if m.backend == "embedded":
        return HISTORIES.create("embedded", settings.home / "cache" / "memory", max_turns=m.max_turns)
    url = m.url or c.url
    if not url:
        raise ConfigError("memory.backend redis needs memory.url or cache.url (or OPSGRAPH_REDIS_URL)")
    return HISTORIES.create(m.backend, url, name=f"{c.name}-history", max_turns=m.max_turns)
