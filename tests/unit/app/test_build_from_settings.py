"""Settings become backends in one place (`opsgraph.app.build`): each section's values reach the backend it names, unopened."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsgraph.app.build import build_cache, build_embedder, build_history, build_llm, build_store
from opsgraph.app.config import Settings
from opsgraph.embed import HashingEmbedder
from opsgraph.errors import ConfigError
from opsgraph.llm import OpenAICompatibleModel
from opsgraph.rag.cache.embedded import EmbeddedSemanticCache
from opsgraph.rag.cache.freshness import StoreFreshness
from opsgraph.rag.history.embedded import EmbeddedHistory
from opsgraph.store import MockTransport
from opsgraph.store.arcadedb import ArcadeDBStore
from opsgraph.store.transport import EmbeddedTransport


def _settings(tmp_path: Path, **sections: object) -> Settings:
    return Settings.model_validate({"home": str(tmp_path), **sections})


def test_the_store_gets_its_folder_batch_timeout_and_heap(tmp_path: Path) -> None:
    store = build_store(_settings(tmp_path, store={"batch_size": 7, "query_timeout_ms": 1234, "heap": "384m"}))
    assert isinstance(store, ArcadeDBStore) and isinstance(store.transport, EmbeddedTransport)
    assert (store.batch_size, store.timeout_ms) == (7, 1234)
    assert (store.transport.path, store.transport.heap) == (tmp_path / "store", "384m")
    assert not (tmp_path / "store").exists()  # built, not opened


def test_an_unknown_store_backend_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown store backend 'nope'; choose one of: arcadedb-embedded"):
        build_store(_settings(tmp_path, store={"backend": "nope"}))


def test_the_embedder_gets_its_batch_size_and_disk_cache(tmp_path: Path) -> None:
    assert build_embedder(_settings(tmp_path, embed={"provider": "none"})) is None
    embedder = build_embedder(_settings(tmp_path, embed={"provider": "hashing", "batch_size": 5}))
    assert isinstance(embedder, HashingEmbedder) and embedder.batch_size == 5
    assert embedder.cache.folder == tmp_path / "cache" / "embeddings"
    uncached = build_embedder(_settings(tmp_path, embed={"provider": "hashing", "cache": False}))
    assert uncached is not None and uncached.cache.folder is None


def test_the_language_model_is_none_or_the_named_endpoint(tmp_path: Path) -> None:
    assert build_llm(_settings(tmp_path, llm={"provider": "none"})) is None
    model = build_llm(_settings(tmp_path, llm={"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key": "k"}))
    assert isinstance(model, OpenAICompatibleModel)
    assert (model.base_url, model.model, model._api_key) == ("http://127.0.0.1:9/v1", "m", "k")


def test_cache_and_history_are_built_in_the_home_or_not_at_all(tmp_path: Path) -> None:
    freshness = StoreFreshness(ArcadeDBStore(transport=MockTransport()))
    embedder = HashingEmbedder(dims=8)
    settings = _settings(tmp_path, cache={"threshold": 0.05, "ttl": 60})
    cache = build_cache(settings, embedder, freshness)
    assert isinstance(cache, EmbeddedSemanticCache)
    assert (cache.folder, cache.threshold, cache.ttl) == (tmp_path / "cache" / "answers", 0.05, 60)
    assert build_cache(settings, None, freshness) is None  # nothing to compare questions with
    assert build_cache(_settings(tmp_path, cache={"backend": "none"}), embedder, freshness) is None
    history = build_history(_settings(tmp_path, memory={"max_turns": 3}))
    assert isinstance(history, EmbeddedHistory) and (history.folder, history.max_turns) == (tmp_path / "cache" / "memory", 3)
    assert build_history(_settings(tmp_path, memory={"backend": "none"})) is None
    with pytest.raises(ConfigError, match=r"memory\.backend redis needs memory\.url or cache\.url"):
        build_history(_settings(tmp_path, memory={"backend": "redis"}))
