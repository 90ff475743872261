"""Fuzzy links need a similarity at the threshold and a clear margin over the runner-up."""

from __future__ import annotations

import numpy as np
import pytest

from opsgraph.embed import BaseEmbedder
from opsgraph.ingest.linking import Entity, EntityLinker, LinkSettings


class Table(BaseEmbedder):
    """Hand-set vectors for known texts; any other text points away from all of them."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        super().__init__()
        self.table = table
        self.seen: list[str] = []

    @property
    def name(self) -> str:
        return "table"

    @property
    def dims(self) -> int:
        return 4

    def _embed(self, batch: list[str]) -> np.ndarray:
        self.seen.extend(batch)
        return np.array([self.table.get(t, [0.0, 0.0, 0.0, 1.0]) for t in batch], dtype=np.float32)


ENTITIES = [Entity("ledger-db", "Datastore", "Ledger Database"), Entity("orders-db", "Datastore", "Orders Database")]
TARGETS = {"ledger database": [1.0, 0.0, 0.0, 0.0], "orders database": [0.0, 1.0, 0.0, 0.0]}


def linker(candidate: list[float], threshold: float, margin: float = 0.05) -> tuple[EntityLinker, Table]:
    emb = Table({**TARGETS, "database ledger": candidate})
    return EntityLinker(ENTITIES, embedder=emb, settings=LinkSettings(fuzzy_threshold=threshold, fuzzy_margin=margin)), emb


CLEAR = [0.85, 0.0, float(np.sqrt(1 - 0.85**2)), 0.0]  # cosine 0.85 to the ledger, 0 to orders
CLOSE = [0.70, 0.68, float(np.sqrt(1 - 0.70**2 - 0.68**2)), 0.0]  # 0.70 vs 0.68


def test_links_above_the_threshold() -> None:
    lk, _ = linker(CLEAR, 0.8)
    (link,) = lk.link("The database ledger is full.")
    assert (link.node_id, link.method, link.surface) == ("ledger-db", "fuzzy", "database ledger")
    assert link.score == pytest.approx(0.85, abs=1e-3)


def test_nothing_below_the_threshold() -> None:
    lk, _ = linker(CLEAR, 0.9)
    assert lk.link("The database ledger is full.") == []


def test_runner_up_too_close_means_no_link() -> None:
    lk, _ = linker(CLOSE, 0.6, margin=0.05)
    assert lk.link("The database ledger is full.") == []
    lk, _ = linker(CLOSE, 0.6, margin=0.01)
    assert [x.node_id for x in lk.link("The database ledger is full.")] == ["ledger-db"]


def test_only_name_like_ngrams_are_embedded() -> None:
    lk, emb = linker(CLEAR, 0.8)
    lk.link("Yesterday the database ledger was full again.")
    phrases = [t for t in emb.seen if t not in TARGETS]
    assert phrases == ["database ledger"], "words that occur in no name are never candidates"


def test_abbreviations_are_spelled_out_before_embedding() -> None:
    emb = Table({**TARGETS})
    lk = EntityLinker(ENTITIES, embedder=emb, settings=LinkSettings(fuzzy_threshold=0.8))
    (link,) = lk.link("the ledger db is full")
    assert (link.node_id, link.method, link.surface) == ("ledger-db", "fuzzy", "ledger db")
    assert "ledger database" in emb.seen


def test_no_embedder_no_fuzzy() -> None:
    lk = EntityLinker(ENTITIES, settings=LinkSettings(fuzzy_threshold=0.5))
    assert not lk.fuzzy_enabled and lk.link("the database ledger") == []


def test_names_are_embedded_lazily() -> None:
    lk, emb = linker(CLEAR, 0.8)
    lk.fingerprint()
    lk.link("Ledger Database is fine.")  # an exact match leaves nothing to embed
    assert emb.seen == []
