"""LoRA training gets its own base model without keeping a second one: a fresh parse is not cached, a cached parse is copied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsgraph.llm.adapters import train


class Parsed:
    """Stands for a parsed model: counts parses, and copies are new objects."""

    parses = 0

    def __init__(self) -> None:
        Parsed.parses += 1


@pytest.fixture
def gguf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "base.gguf"
    path.write_bytes(b"GGUF")
    Parsed.parses = 0
    monkeypatch.setattr(train, "_read_base", lambda p: (Parsed(), "tokenizer"))
    train.clear_base_cache()
    yield path
    train.clear_base_cache()


def test_a_fresh_parse_for_training_is_not_kept(gguf: Path) -> None:
    first, _ = train._base_for_training(gguf, sha256=None)
    second, _ = train._base_for_training(gguf, sha256=None)
    assert Parsed.parses == 2 and first is not second
    assert train._load_base_cached.cache_info().currsize == 0  # nothing held after training


def test_a_base_parsed_by_load_base_is_copied_not_parsed_again(gguf: Path) -> None:
    kept, _ = train.load_base(gguf)
    a: Any = train._base_for_training(gguf, sha256=None)[0]
    b: Any = train._base_for_training(gguf, sha256=None)[0]
    assert Parsed.parses == 1 and len({id(kept), id(a), id(b)}) == 3


def test_a_changed_file_is_parsed_again(gguf: Path) -> None:
    train.load_base(gguf)
    gguf.write_bytes(b"GGUF v2")
    train._base_for_training(gguf, sha256=None)
    assert Parsed.parses == 2


def test_a_wrong_hash_is_refused_before_parsing(gguf: Path) -> None:
    with pytest.raises(train.ModelIntegrityError):
        train._base_for_training(gguf, sha256="0" * 64)
    assert Parsed.parses == 0


def test_bounding_the_heap_is_harmless_to_call_again() -> None:
    train._bound_heap_growth()
    train._bound_heap_growth()
    train._trim_heap()
