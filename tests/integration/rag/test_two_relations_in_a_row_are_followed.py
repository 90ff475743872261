"""Two relations in a row from one named entity are followed, on the real sample estate (`rag/chain.py`): the answer
names both steps, and what the two steps cannot say is still refused."""

from __future__ import annotations

from typing import Any


def _ids(answer: Any) -> set[str]:
    return {str(r.get("id")) for r in answer.rows}


def test_who_owns_what_checkout_depends_on(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    a = ask("who owns the services that checkout depends on?")
    assert not a.abstained, a.text
    gold = og.query(
        "MATCH (t:Team)-[:OWNS]->(s:Service)<-[:DEPENDS_ON]-(:Service {id: 'checkoutservice'}) RETURN DISTINCT t.id AS id"
    ).rows
    assert _ids(a) == {r["id"] for r in gold} and gold
    assert "teams that own services that Checkout Service (checkoutservice) depends on" in a.text


def test_a_passive_second_step_and_a_count(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    a = ask("which incidents affected services owned by the storefront team?")
    assert not a.abstained, a.text
    gold = og.query(
        "MATCH (i:Incident)-[:AFFECTED]->(s:Service)<-[:OWNS]-(:Team {id: 'team-storefront'}) RETURN DISTINCT i.id AS id"
    ).rows
    assert _ids(a) == {r["id"] for r in gold} and gold
    n = ask("how many incidents hit services the payments team owns?")
    assert not n.abstained, n.text
    gold_n = og.query(
        "MATCH (i:Incident)-[:AFFECTED]->(s:Service)<-[:OWNS]-(:Team {id: 'team-payments'}) RETURN count(DISTINCT i) AS n"
    ).rows
    assert [r.get("n") for r in n.rows] == [gold_n[0]["n"]]


def test_something_in_the_middle_is_any_type_both_steps_join(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    a = ask("which teams own stuff that the frontend talks to?")
    assert not a.abstained, a.text
    gold = og.query("MATCH (t:Team)-[:OWNS]->(m)<-[:DEPENDS_ON]-(:Service {id: 'frontend'}) RETURN DISTINCT t.id AS id").rows
    assert _ids(a) == {r["id"] for r in gold} and gold


def test_same_type_steps_read_by_word_order(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    a = ask("which services depend on services that depend on redis-cart?")
    assert not a.abstained, a.text
    gold = og.query(
        "MATCH (x:Service)-[:DEPENDS_ON]->(m:Service)-[:DEPENDS_ON]->(:Datastore {id: 'redis-cart'}) RETURN DISTINCT x.id AS id"
    ).rows
    assert _ids(a) == {r["id"] for r in gold}


def test_what_two_steps_cannot_say_is_not_answered_by_them(ask: Any) -> None:
    for q in (
        "which teams own services that checkout does not depend on?",  # a negation
        "which team owns the most services that checkout depends on?",  # an order
    ):
        a = ask(q)
        assert a.abstained or "MATCH (x:Team)-[:OWNS]->(m:Service)<-[:DEPENDS_ON]" not in (a.cypher or ""), (q, a.text)
