"""The cache with the real embedder and the committed learned verifier: a reworded question is served, another
question within the distance (another number, entity, negation, or a wider question) is refused, each by the check
that names why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgraph.embed import SentenceTransformerEmbedder
from opsgraph.rag import EmbeddedSemanticCache
from opsgraph.rag.cache_scorer import PairScorer

THRESHOLD = float(PairScorer.load().meta["operating_point"]["max_distance"])
"""The distance of the verifier's calibrated operating point (cache_scorer.json), wider than the default 0.10."""


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSemanticCache]:
    embedder = SentenceTransformerEmbedder(threads=1)
    c = EmbeddedSemanticCache(embedder, Path(tmp_path_factory.mktemp("cache")), threshold=THRESHOLD)
    c.open()
    yield c
    c.close()
    embedder.close()


@pytest.mark.parametrize(
    ("cached", "asked"),
    [
        ("Which team owns paymentservice?", "Which team is the owner of paymentservice?"),
        ("What breaks if redis-cart is down?", "What breaks when redis-cart goes down?"),
        ("How do I restart checkoutservice?", "How can I restart checkoutservice?"),
        ("What is the best way to learn Python?", "What is the best way to learn python programming?"),
        ("How can I improve my English speaking?", "How do I improve my spoken English?"),
    ],
)
def test_a_reworded_question_is_served(cache: EmbeddedSemanticCache, cached: str, asked: str) -> None:
    cache.clear()
    cache.store(cached, "the answer")
    looked = cache.lookup(asked)
    assert looked.outcome == "hit", looked.candidates


@pytest.mark.parametrize(
    ("cached", "asked", "why"),
    [
        ("What major events happened in 2002?", "What major events happened in 1992?", "numbers"),
        ("How do I install Docker on Ubuntu?", "How do I install Docker on Windows?", "entities"),
        ("Which services depend on paymentservice?", "Which services do not depend on paymentservice?", "negation"),
        ("Which services depend on paymentservice?", "Which services does paymentservice depend on?", "order"),
        ("Who is on call for paymentservice?", "Who owns paymentservice?", "learned verifier"),
        ("How can I become a good programmer?", "How can I become a good programmer in a month while working full time?", "learned verifier"),
        ("What is the use of reactive power?", "What is reactive power and how is it measured in a power grid?", "learned verifier"),
    ],
)
def test_another_question_within_the_distance_is_refused(cache: EmbeddedSemanticCache, cached: str, asked: str, why: str) -> None:
    cache.clear()
    cache.store(cached, "the answer")
    looked = cache.lookup(asked)
    assert looked.outcome == "miss"
    assert looked.candidates, f"{asked!r} is not within {THRESHOLD} of {cached!r}: nothing was verified"
    assert why in looked.candidates[0]["why"], looked.candidates


@pytest.mark.xfail(strict=True, reason="known limit: neither the rules nor the learned scorer see an antonym")
@pytest.mark.parametrize(
    ("cached", "asked"),
    [
        ("Why do people hate Donald Trump?", "Why do people like Donald Trump?"),
        ("Which services are healthy?", "Which services are unhealthy?"),
    ],
)
def test_known_limit_antonyms(cache: EmbeddedSemanticCache, cached: str, asked: str) -> None:
    cache.clear()
    cache.store(cached, "the answer")
    assert cache.lookup(asked).outcome == "miss"
