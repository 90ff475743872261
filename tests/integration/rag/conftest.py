"""One home per estate for the answer tests that only read: the sample estate (with its runbooks) and the library
catalogue, each ingested once per test session into the real embedded store.

Why: eight modules each ingested the same estate into a module-scoped home (a few seconds each, the same code eight
times). The askers here have no cache, no conversation memory and no model (`llm=None`), so one question cannot change
another's answer; a module that writes, trains or needs another configuration makes its own home. A hashing embedder
stands in for MiniLM: runbooks are still found by full-text and vector search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.app.ask import AskService
from opsgraph.embed.fake import HashingEmbedder
from opsgraph.rag.pipeline import Answer

LIBRARY_ESTATE = Path(__file__).resolve().parents[2] / "fixtures" / "library_estate"


def _home(tmp_path_factory: pytest.TempPathFactory, name: str, estate: Path) -> Iterator[tuple[OpsGraph, AskService]]:
    settings = Settings(home=tmp_path_factory.mktemp(name) / "home", embed={"provider": "none"}, cache={"backend": "none"}, memory={"backend": "none"})
    with OpsGraph(settings, embedder=HashingEmbedder(dims=256)) as og:
        og.ingest(estate)
        asker = AskService(og.store, settings, embedder=og.embedder, llm=None)
        try:
            yield og, asker
        finally:
            asker.close()


@pytest.fixture(scope="session")
def sample_graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OpsGraph, AskService]]:
    """The sample estate and its runbooks, with an asker that answers without a model or a cache. Read only."""
    yield from _home(tmp_path_factory, "sample", sample_estate_path())


@pytest.fixture(scope="session")
def library_graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OpsGraph, AskService]]:
    """The library catalogue (`tests/fixtures/library_estate`), likewise. Read only."""
    yield from _home(tmp_path_factory, "library", LIBRARY_ESTATE)


def _asking(graph: tuple[OpsGraph, AskService]) -> Callable[[str], Answer]:
    og, asker = graph
    schema = og.schema()
    return lambda q: asker.ask(q, schema, use_cache=False)


@pytest.fixture(scope="session")
def ask(sample_graph: tuple[OpsGraph, AskService]) -> Callable[[str], Answer]:
    """`ask("question")` on the sample estate, without the cache. A module that needs another home defines its own `ask`."""
    return _asking(sample_graph)


@pytest.fixture(scope="session")
def library_ask(library_graph: tuple[OpsGraph, AskService]) -> Callable[[str], Answer]:
    """`library_ask("question")` on the library catalogue, likewise."""
    return _asking(library_graph)
