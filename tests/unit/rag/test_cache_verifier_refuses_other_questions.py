"""The cache verifier refuses a near neighbour that is another question: numbers, negation, entities, comparison
words, type words, shape; and serves a paraphrase."""

from __future__ import annotations

import pytest

from opsgraph.rag.cache_verify import DEFAULT_RULES, RULES, same_question, shape_of


@pytest.mark.parametrize(
    ("a", "b", "rule"),
    [
        ("What major events happened in 2002?", "What major events happened in 1992?", "numbers"),
        ("Which services have two replicas?", "Which services have 3 replicas?", "numbers"),
        ("Which services depend on paymentservice?", "Which services do not depend on paymentservice?", "negation"),
        ("Which services don't have an owner?", "Which services have an owner?", "negation"),
        ("How do I learn Python fast?", "How do I learn Java fast?", "entities"),
        ("Which services were deployed before the incident?", "Which services were deployed after the incident?", "comparison"),
        ("What is the most critical service?", "What is the least critical service?", "comparison"),
        ("Which services depend on paymentservice?", "Which services does paymentservice depend on?", "order"),
        ("Does cartservice call redis-cart?", "Does redis-cart call cartservice?", "order"),
    ],
)
def test_other_questions_are_refused(a: str, b: str, rule: str) -> None:
    verdict = same_question(a, b, rules=RULES)
    assert not verdict.ok and verdict.rule == rule


def test_linked_entities_and_type_words_decide_for_the_estate() -> None:
    a, b = "Which services depend on paymentservice?", "Which services depend on cartservice?"
    assert not same_question(a, b, entities_a=["paymentservice"], entities_b=["cartservice"]).ok
    types = ("service", "team", "datastore")
    verdict = same_question("Which services own redis-cart?", "Which teams own redis-cart?", type_words=types)
    assert not verdict.ok and verdict.rule == "types"


def test_shape_rule_when_asked_for() -> None:
    assert shape_of("Why is the sky blue?") == "why" and shape_of("How many moons has Mars?") == "count"
    verdict = same_question("Why did checkout fail?", "When did checkout fail?", rules=["shape"])
    assert not verdict.ok and verdict.rule == "shape"


def test_paraphrases_are_served() -> None:
    for a, b in [
        ("Which services depend on paymentservice?", "What services are dependent on paymentservice?"),
        ("How can I lose weight quickly?", "How do I lose weight fast?"),
        ("What is Quora for?", "what is quora used for?"),
        ("Which team owns paymentservice?", "Which team is the owner of paymentservice?"),
        ("Tell me about redis-cart", "Tell me about redis-cart."),
    ]:
        assert same_question(a, b, entities_a=[], entities_b=[]).ok, (a, b)


def test_unknown_rule_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown cache-verifier rules"):
        same_question("a", "b", rules=["spelling"])
    assert DEFAULT_RULES <= set(RULES)


def test_the_cache_refuses_a_near_neighbour_that_is_another_question() -> None:
    from opsgraph.embed.fake import HashingEmbedder
    from opsgraph.rag import EmbeddedSemanticCache

    cache = EmbeddedSemanticCache(HashingEmbedder(dims=64), None, threshold=0.9)
    cache.open()
    try:
        cache.store("Which services have 2 replicas?", "two")
        refused = cache.lookup("Which services have 3 replicas?")
        assert refused.hit is None and "another question (numbers" in refused.candidates[0]["why"]
        assert cache.lookup("Which services have 2 replicas?").hit is not None
        cache.verify_rules = frozenset()
        assert cache.lookup("Which services have 3 replicas?").hit is not None  # distance alone would serve it
    finally:
        cache.close()
