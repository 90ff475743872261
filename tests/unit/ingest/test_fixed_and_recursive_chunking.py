"""Sizes and overlap of the fixed and recursive chunkers."""

from __future__ import annotations

import itertools

import pytest

from opsgraph.ingest.chunking import ChunkingError, chunk_fixed, chunk_recursive, chunk_text
from opsgraph.schema import ChunkingSettings

WORDS = " ".join(f"w{i:03d}" for i in range(300))  # 1,499 characters, words of 4


def test_fixed_windows_respect_size_and_cut_on_whitespace() -> None:
    chunks = chunk_fixed(WORDS, 100, 20)
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(c.text.split()[0] in WORDS.split() and c.text.split()[-1] in WORDS.split() for c in chunks)
    assert all(len(c.text) >= 90 for c in chunks[:-1])  # full windows but for the last


def test_fixed_windows_overlap_by_at_most_overlap() -> None:
    chunks = chunk_fixed(WORDS, 100, 20)
    for a, b in itertools.pairwise(chunks):
        shared = a.end - b.start
        assert 0 < shared <= 20
        assert WORDS[b.start : a.end] in a.text and b.text.startswith(WORDS[b.start : a.end])


def test_fixed_without_overlap_tiles_the_text() -> None:
    chunks = chunk_fixed(WORDS, 100, 0)
    assert all(b.start > a.end for a, b in itertools.pairwise(chunks))
    assert " ".join(c.text for c in chunks) == WORDS


def test_a_word_longer_than_size_is_cut_hard() -> None:
    chunks = chunk_fixed("x" * 250, 100, 10)
    assert [len(c.text) for c in chunks][:2] == [100, 100]


def test_recursive_prefers_paragraphs_then_lines_then_sentences() -> None:
    para = "First sentence here. Second sentence here. Third one."
    text = "\n\n".join([para] * 6)
    chunks = chunk_recursive(text, len(para) * 2 + 2, 0)
    assert all(c.text.startswith("First") and c.text.endswith("one.") for c in chunks), "cut between paragraphs"
    small = chunk_recursive(para, 25, 0)
    assert [c.text for c in small] == ["First sentence here.", "Second sentence here.", "Third one."]


def test_recursive_overlap_repeats_whole_trailing_pieces() -> None:
    text = "\n".join(f"line {i} of the log" for i in range(40))  # lines of 15-16 characters
    chunks = chunk_recursive(text, 80, 40)
    assert all(len(c.text) <= 80 for c in chunks)
    for a, b in itertools.pairwise(chunks):
        shared = a.end - b.start
        assert 0 < shared <= 40
        assert b.text.startswith("line "), "the overlap starts at a line, not mid-line"


def test_settings_are_checked() -> None:
    with pytest.raises(ChunkingError, match="overlap must be in"):
        chunk_fixed("abc", 10, 10)
    with pytest.raises(ChunkingError, match="needs an embedder"):
        chunk_text("abc", ChunkingSettings(strategy="semantic"))


def test_plain_text_under_the_markdown_strategy_is_split_recursively() -> None:
    text = "# not a heading in a .txt file\n\n" + "body " * 100
    settings = ChunkingSettings(strategy="markdown", size=120, overlap=0)
    assert all(c.heading_path == "" for c in chunk_text(text, settings, markdown=False))
    assert chunk_text(text, settings, markdown=True)[0].heading_path == "not a heading in a .txt file"
