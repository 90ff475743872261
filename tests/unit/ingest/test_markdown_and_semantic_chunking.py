"""Markdown chunks keep their heading paths; semantic chunks break where the topic changes."""

from __future__ import annotations

from opsgraph.app import sample_estate_path
from opsgraph.embed import HashingEmbedder
from opsgraph.ingest.chunking import chunk_markdown, chunk_semantic, markdown_sections

PAYMENT = (sample_estate_path() / "docs" / "payment-service-elevated-5xx.md").read_text(encoding="utf-8")


def test_runbook_sections_carry_their_heading_path() -> None:
    chunks = chunk_markdown(PAYMENT, 800, 100)
    paths = [c.heading_path for c in chunks]
    assert paths[0] == "Payment service: elevated 5xx"
    for section in ("Symptoms", "Impact", "Diagnosis", "Mitigation", "Escalation"):
        assert f"Payment service: elevated 5xx > {section}" in paths
    assert all(len(c.text) <= 800 for c in chunks)


def test_a_long_section_is_split_and_every_piece_keeps_the_path() -> None:
    chunks = chunk_markdown(PAYMENT, 800, 100)
    diagnosis = [c for c in chunks if c.heading_path.endswith("> Diagnosis")]
    assert len(diagnosis) >= 2
    assert diagnosis[0].text.startswith("## Diagnosis") and not diagnosis[1].text.startswith("##")


def test_nested_headings_and_fenced_code() -> None:
    text = "# Top\nintro\n## A\na body\n### A1\n```\n# comment, not a heading\n```\n## B\nb body\n# Other\nx\n"
    paths = [s.heading_path for s in markdown_sections(text)]
    assert paths == ["Top", "Top > A", "Top > A > A1", "Top > B", "Other"]


def test_a_heading_without_body_joins_the_next_section() -> None:
    text = "# Title\n\n## First\nbody one\n\n## Second\nbody two\n"
    chunks = chunk_markdown(text, 500, 0)
    assert [(c.heading_path, c.text.splitlines()[0]) for c in chunks] == [("Title > First", "# Title"), ("Title > Second", "## Second")]


def test_text_before_the_first_heading_has_an_empty_path() -> None:
    chunks = chunk_markdown("preface line\n\n# Title\nbody\n", 500, 0)
    assert [(c.heading_path, c.text) for c in chunks] == [("", "preface line"), ("Title", "# Title\nbody")]


def test_semantic_breaks_between_topics() -> None:
    cats = " ".join(f"The cat number {i} sleeps on the warm cat mat." for i in range(6))
    rockets = " ".join(f"Rocket engine {i} burns liquid rocket fuel loudly." for i in range(6))
    text = f"{cats}\n\n{rockets}"
    chunks = chunk_semantic(text, 2000, HashingEmbedder(256), percentile=90, markdown=False)
    assert len(chunks) == 2
    assert "Rocket" not in chunks[0].text and "cat" not in chunks[1].text


def test_semantic_groups_longer_than_size_are_split() -> None:
    text = " ".join(f"Same words in sentence {i} again." for i in range(60))
    chunks = chunk_semantic(text, 300, HashingEmbedder(64))
    assert len(chunks) > 1 and all(len(c.text) <= 300 for c in chunks)


def test_semantic_chunks_take_the_heading_path_where_they_start() -> None:
    chunks = chunk_semantic(PAYMENT, 800, HashingEmbedder(64))
    assert chunks[0].heading_path == "Payment service: elevated 5xx"
    assert any(c.heading_path.endswith("> Mitigation") for c in chunks)
