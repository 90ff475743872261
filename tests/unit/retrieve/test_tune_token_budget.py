"""`tune` measures each prompt style with a token budget sized on the training queries, so a runaway generation stops early."""

from __future__ import annotations

from dataclasses import replace

from opsgraph.retrieve.text2cypher import CypherPair, Slot
from opsgraph.retrieve.text2cypher.tune import QUERY_TOKENS, query_token_budget

PAIR = CypherPair(
    question="What does checkout depend on?",
    template="What does $p0 depend on?",
    cypher="MATCH (s:Service {id: $p0})-[:DEPENDS_ON]->(t) RETURN t.id AS id",
    params={"p0": "checkout"},
    slots=(Slot("p0", "entity", "Service", "checkout", "checkout"),),
    pattern="hop1-out",
    shape="hop1-out:Service-DEPENDS_ON->Service",
    phrasing="hop1-out/0",
    rows=2,
)


def test_the_budget_follows_the_longest_training_query() -> None:
    short = replace(PAIR, cypher="MATCH (s:Service) RETURN s.id AS id")
    assert query_token_budget([short]) == (len(short.cypher) + 1) // 2 + 24
    # The longest query sets it, whatever the order; every query fits at 2 characters a token.
    budget = query_token_budget([short, PAIR])
    assert budget == query_token_budget([PAIR, short]) == (len(PAIR.cypher) + 1) // 2 + 24
    assert budget * 2 >= len(PAIR.cypher) and budget < QUERY_TOKENS


def test_the_budget_never_exceeds_the_writers_limit() -> None:
    long = replace(PAIR, cypher="MATCH (s:Service) WHERE " + " OR ".join(f"s.id = 'service-{i}'" for i in range(40)) + " RETURN s.id AS id")
    assert query_token_budget([long]) == QUERY_TOKENS
    assert query_token_budget([]) == QUERY_TOKENS


def test_a_measured_answer_may_run_about_as_long_as_its_gold_query() -> None:
    from opsgraph.retrieve.text2cypher.tune import answer_token_budget

    assert answer_token_budget(PAIR.cypher, QUERY_TOKENS) == (len(PAIR.cypher) + 1) // 2 + 24 < QUERY_TOKENS
    # the gold query (and ~48 more characters) fits at 2 characters a token
    assert answer_token_budget(PAIR.cypher, QUERY_TOKENS) * 2 >= len(PAIR.cypher) + 48
    assert answer_token_budget(PAIR.cypher, 30) == 30  # never above the training budget
    assert answer_token_budget("", 77) == 77  # no gold query: the training budget
