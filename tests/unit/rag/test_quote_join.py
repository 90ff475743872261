"""A section cut into chunks is quoted once: `quote.join_chunks` drops a chunk's opening lines that repeat the end of
the chunk before (the chunker's overlap), and nothing else."""

from __future__ import annotations

from opsgraph.ingest.chunking import chunk_recursive
from opsgraph.rag.quote import join_chunks

STEPS = "\n\n".join(f"{n}. Step number {n}: check the thing called part-{n} and write down what it says." for n in range(1, 13))


def test_the_chunkers_overlap_is_said_once() -> None:
    chunks = chunk_recursive(STEPS, 300, 120)
    assert len(chunks) > 2 and any(c.text.splitlines()[0] in chunks[i - 1].text for i, c in enumerate(chunks) if i)
    joined = join_chunks([c.text for c in chunks])
    assert joined == STEPS


def test_no_repeat_is_joined_with_a_newline_and_short_repeats_are_kept() -> None:
    assert join_chunks(["a line of text", "another line"]) == "a line of text\nanother line"
    # a closing fence then an opening one: the document's own, not an overlap
    assert join_chunks(["```\ncode\n```", "```\nmore\n```"]) == "```\ncode\n```\n```\nmore\n```"
    # a repeat must be whole lines at both ends
    assert join_chunks(["first: the same words here", "the same words here and on"]) == "first: the same words here\nthe same words here and on"
