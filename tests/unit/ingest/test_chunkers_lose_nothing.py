"""Every chunker returns in-order spans of the source that cover all of its non-whitespace text."""

from __future__ import annotations

import pytest

from opsgraph.app import sample_estate_path
from opsgraph.embed import HashingEmbedder
from opsgraph.ingest.chunking import TextChunk, chunk_fixed, chunk_markdown, chunk_recursive, chunk_semantic, chunk_text
from opsgraph.schema import ChunkingSettings

RUNBOOKS = sorted((sample_estate_path() / "docs").glob("*.md"))


def assert_covers(source: str, chunks: list[TextChunk], size: int | None = None) -> None:
    covered = [False] * len(source)
    last_start = -1
    for c in chunks:
        assert c.text == source[c.start : c.end]
        assert c.text == c.text.strip() and c.text
        assert c.start > last_start, "chunks are in order and each starts later than the one before"
        last_start = c.start
        if size is not None:
            assert len(c.text) <= size
        for i in range(c.start, c.end):
            covered[i] = True
    lost = [i for i, ch in enumerate(source) if not ch.isspace() and not covered[i]]
    assert not lost, f"lost text at {lost[:5]}: {source[lost[0] : lost[0] + 40]!r}"


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.stem)
@pytest.mark.parametrize("strategy", ["fixed", "recursive", "markdown"])
def test_runbooks_are_covered_within_size(path, strategy: str) -> None:  # type: ignore[no-untyped-def]
    text = path.read_text(encoding="utf-8")
    chunks = chunk_text(text, ChunkingSettings(strategy=strategy, size=400, overlap=60))  # type: ignore[arg-type]
    assert len(chunks) > 3
    assert_covers(text, chunks, size=400)


@pytest.mark.parametrize("path", RUNBOOKS[:3], ids=lambda p: p.stem)
def test_semantic_chunks_cover_runbooks(path) -> None:  # type: ignore[no-untyped-def]
    text = path.read_text(encoding="utf-8")
    chunks = chunk_text(text, ChunkingSettings(strategy="semantic", size=600, overlap=0), embedder=HashingEmbedder(64))
    assert_covers(text, chunks, size=600)


@pytest.mark.parametrize(
    "text",
    ["", "   \n\n  ", "one", "x" * 2500, "word " * 500, "a\n\n\n\nb", "# Only a heading", "# A\n## B\n### C\n", "```\n# not a heading\n```"],
    ids=["empty", "blank", "one-word", "no-whitespace", "many-words", "blank-lines", "heading-only", "nested-empty", "fenced"],
)
def test_edge_cases_are_covered(text: str) -> None:
    for chunks in (chunk_fixed(text, 100, 20), chunk_recursive(text, 100, 20), chunk_markdown(text, 100, 20)):
        assert_covers(text, chunks, size=100)
    assert_covers(text, chunk_semantic(text, 100, HashingEmbedder(16)), size=100)
