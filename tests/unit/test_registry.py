"""A backend is picked by name from one small registry; its module loads only when chosen; a missing extra names what to install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from opsgraph._registry import Registry
from opsgraph.app.build import CACHES, HISTORIES
from opsgraph.embed import EMBEDDERS, HashingEmbedder
from opsgraph.errors import ConfigError
from opsgraph.llm import LANGUAGE_MODELS, OpenAICompatibleModel, create_language_model
from opsgraph.store import BACKENDS


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A backend module on the path that no one has imported yet."""
    (tmp_path / "og_registry_plugin.py").write_text(
        "class Backend:\n    def __init__(self, url, *, size=1):\n        self.url, self.size = url, size\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "og_registry_plugin", raising=False)
    return "og_registry_plugin"


def test_a_new_backend_is_one_line_and_loads_only_when_chosen(plugin: str) -> None:
    reg: Registry[object] = Registry("widget backend", {"memory": "collections:OrderedDict"})
    reg.register("mine", f"{plugin}:Backend")
    assert plugin not in sys.modules
    built = reg.create("mine", "redis://x", size=3)
    assert (type(built).__name__, built.url, built.size) == ("Backend", "redis://x", 3)  # type: ignore[attr-defined]
    assert list(reg) == ["memory", "mine"] and len(reg) == 2 and reg["mine"] == f"{plugin}:Backend" and "mine" in reg


def test_unknown_names_list_the_known_ones() -> None:
    reg: Registry[object] = Registry("widget backend", {"a": "json:loads", "b": "json:dumps"})
    with pytest.raises(ConfigError, match=r"unknown widget backend 'c'; choose one of: a, b"):
        reg.create("c")


def test_a_missing_optional_dependency_names_the_extra() -> None:
    reg: Registry[object] = Registry("cache backend", {"redis": "og_no_such_module_xyz:Cache"}, extras={"redis": "pip install 'opsgraph[redis]'"})
    with pytest.raises(ConfigError, match=r"the redis cache backend cannot be loaded .*install it with pip install 'opsgraph\[redis\]'"):
        reg.factory("redis")


@pytest.mark.parametrize("target", ["no-colon", "mod:", ":Cls", "mod:not an identifier"])
def test_registrations_must_name_module_and_factory(target: str) -> None:
    with pytest.raises(ValueError, match="module:factory"):
        Registry("x", {"name": target})


def test_store_embed_llm_cache_and_history_share_the_registry() -> None:
    for reg in (BACKENDS, EMBEDDERS, LANGUAGE_MODELS, CACHES, HISTORIES):
        assert isinstance(reg, Registry)
        for name in reg:
            assert callable(reg.factory(name)), f"{reg.what} {name}"
    assert EMBEDDERS.create("hashing", dims=8).dims == 8 and isinstance(EMBEDDERS.factory("hashing")(dims=4), HashingEmbedder)
    model = create_language_model("openai", base_url="http://127.0.0.1:9/v1", model="m")
    assert isinstance(model, OpenAICompatibleModel) and model.model == "m"
    with pytest.raises(ConfigError, match=r"unknown llm provider 'nope'; choose one of: llamacpp, openai"):
        create_language_model("nope")
