"""Cache and memory settings, the scope the app builds, and the `rag` package's public names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import opsgraph.rag as rag
from opsgraph.app.build_cache import AskInputError, CacheAndMemory, answer_variant
from opsgraph.app.config import Settings, load_settings
from opsgraph.errors import ConfigError
from opsgraph.schema import GraphSchema


def test_all_is_pinned() -> None:
    assert rag.__all__ == [
        "DEFAULT_THRESHOLD", "Answer", "BaseSemanticCache", "CacheHit", "CacheLookup", "CacheStats", "Citation",
        "Conversation", "ConversationHistory", "EmbeddedHistory", "EmbeddedSemanticCache", "FollowUpRewriter",
        "Freshness", "FreshnessVerdict", "GraphRAG", "Rewrite", "Route", "Router", "Scope", "SemanticCache", "Stage",
        "StoreFreshness", "Trace", "Turn", "TurnEntity",
    ]  # fmt: skip
    for name in rag.__all__:
        assert getattr(rag, name) is not None


def test_importing_rag_loads_neither_redis_nor_redisvl() -> None:
    code = "import sys, opsgraph.rag, opsgraph.app; print(any(m.split('.')[0] in ('redis', 'redisvl') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_settings_defaults_env_and_checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    s = Settings()
    assert (s.cache.backend, s.cache.threshold, s.memory.backend, s.memory.llm_rewrite) == ("embedded", rag.DEFAULT_THRESHOLD, "embedded", False)
    with pytest.raises(ValueError, match="url"):
        Settings(cache={"backend": "redis"})
    monkeypatch.setenv("OPSGRAPH_CACHE", "redis")
    monkeypatch.setenv("OPSGRAPH_REDIS_URL", "redis://127.0.0.1:6390/0")
    loaded = load_settings(home=tmp_path)
    assert (loaded.cache.backend, loaded.cache.url) == ("redis", "redis://127.0.0.1:6390/0")
    monkeypatch.setenv("OPSGRAPH_CACHE", "memcached")
    with pytest.raises(ConfigError, match=r"cache\.backend"):
        load_settings(home=tmp_path)


def test_scope_comes_from_the_estate_and_the_user() -> None:
    schema = GraphSchema.model_validate({"version": 1, "name": "online boutique", "nodes": {"Service": {"properties": {}}}, "edges": {}})
    wiring = CacheAndMemory(Settings(), None, embedder=None, llm=None)  # type: ignore[arg-type]
    assert wiring.scope(None, schema).key == "online-boutique/anonymous"
    assert wiring.scope("alice@example.com", schema).user == "alice@example.com"
    with pytest.raises(AskInputError, match="user"):
        wiring.scope("alice smith", schema)
    pinned = CacheAndMemory(Settings(cache={"tenant": "acme"}), None, embedder=None, llm=None)  # type: ignore[arg-type]
    assert pinned.scope("bob", schema).key == "acme/bob"


def test_answer_settings_change_the_variant() -> None:
    assert answer_variant(Settings(), None) == answer_variant(Settings(), None)
    assert answer_variant(Settings(), None) != answer_variant(Settings(ask={"k": 4}), None)
    assert answer_variant(Settings(), None) != answer_variant(Settings(llm={"model": "gemma3-270m"}), None)
