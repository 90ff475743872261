"""`TitledLinker`: "the ledger disk full incident" names the one incident whose title holds those words; the links
inside that run ("redis-cart" of a title) give way to it; a plural, words two titles share, a single word, or words
all covered by another link name no title."""

from __future__ import annotations

from linking_fakes import SurfaceLinker
from opsgraph.rag.titled import TitledLinker

NAMED = [
    ("INC-2041", "Incident", "Carts emptied after redis-cart hit maxmemory and evicted keys"),
    ("INC-2075", "Incident", "Payments ledger DB disk full slowed card charges"),
    ("INC-2097", "Incident", "redis-cart latency spikes during RDB snapshot fork"),
    ("INC-2071", "Incident", "Frontend 502s during a rolling deploy"),
    ("redis-cart", "Datastore", "Cart Redis"),
]






def linked(text: str, surfaces: dict[str, tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    linker = TitledLinker(SurfaceLinker(surfaces or {}), NAMED)
    return [(x.node_id, x.surface) for x in linker.link(text)]


def test_words_of_one_title_and_the_type_word_name_that_node() -> None:
    assert linked("who was incident commander on the ledger disk full incident?") == [("INC-2075", "ledger disk full incident")]
    # Function words inside the run are words of the title too.
    assert linked("what did the frontend 502s during a rolling deploy incident affect?") == [
        ("INC-2071", "frontend 502s during a rolling deploy incident")
    ]


def test_a_link_inside_the_title_gives_way() -> None:
    got = linked("what caused the redis-cart maxmemory incident?", {"redis-cart": ("redis-cart", "Datastore")})
    assert got == [("INC-2041", "redis-cart maxmemory incident")]


def test_near_misses_name_no_title() -> None:
    redis = {"redis-cart": ("redis-cart", "Datastore")}
    # Words two titles share ("redis-cart"), all covered by another link: the datastore, not an incident.
    assert linked("what caused the redis-cart incident?", redis) == [("redis-cart", "redis-cart")]
    # A plural names several nodes; one word is no title; a word of no title stops the run.
    assert linked("what caused the ledger disk full incidents?") == []
    assert linked("what caused the maxmemory incident?") == []
    assert linked("what caused the maxmemory eviction incident?") == []
