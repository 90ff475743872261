"""Who is on call at the end of a chain, on the real sample estate (`rag/chain_page.py`): the people on call for the
teams that own what the chain reaches, never the paging list of the entity named; a chain no verified query reads is
refused, and the plain paging question is still the paging answer."""

from __future__ import annotations

from typing import Any


def _people(answer: Any) -> set[str]:
    return {str(r.get("person") or r.get("id")) for r in answer.rows}


def _gold(og: Any, cypher: str) -> set[str]:
    rows = og.query(cypher).rows
    assert rows
    return {str(r["id"]) for r in rows}


def test_on_call_for_what_a_named_service_uses(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    a = ask("who's on call for the db the cart uses?")
    assert not a.abstained and a.kind == "rows", a.text
    assert _people(a) == _gold(
        og,
        "MATCH (:Service {id: 'cartservice'})-[:DEPENDS_ON]->(:Datastore)<-[:OWNS]-(:Team)<-[:ON_CALL_FOR]-(p:Person) RETURN DISTINCT p.id AS id",
    )
    # The cache the currency service reads is owned by the currency service's team here: the answer must still say
    # it walked to the cache, not paged for the service.
    c = ask("who's on call for the cache the currency service reads?")
    assert not c.abstained and "Currency rates cache" in c.text and not c.text.startswith("Page "), c.text


def test_on_call_for_everything_reached_and_a_count(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    a = ask("who is on call for the stuff that checkout depends on?")
    assert not a.abstained, a.text
    assert _people(a) == _gold(
        og, "MATCH (:Service {id: 'checkoutservice'})-[:DEPENDS_ON]->()<-[:OWNS]-(:Team)<-[:ON_CALL_FOR]-(p:Person) RETURN DISTINCT p.id AS id"
    )
    n = ask("how many people are on call for services that use the payment gateway?")
    assert not n.abstained and n.text.startswith("2: "), n.text
    p = ask("who's primary on call for whatever caused INC-2093?")
    assert not p.abstained and {r.get("rotation") for r in p.rows} == {"primary"}, p.text
    assert _people(p) == _gold(
        og,
        "MATCH (:Incident {id: 'INC-2093'})-[:CAUSED_BY]->()<-[:OWNS]-(:Team)<-[:ON_CALL_FOR {rotation: 'primary'}]-(p:Person) RETURN p.id AS id",
    )


def test_a_chain_no_query_reads_is_not_paged_for_the_entity_named(ask: Any) -> None:
    a = ask("who do I page if the thing behind recommendations dies?")
    assert a.abstained or "lena.fischer" not in _people(a) | {str(r.get("id")) for r in a.rows or []}, a.text
    assert ask("who's actually on call for the db the cart uses?").abstained


def test_the_plain_paging_question_is_still_the_paging_answer(ask: Any) -> None:
    a = ask("who's on call for checkout?")
    assert a.kind == "page" and "marcus.bell" in _people(a), a.text
    b = ask("who's primary on call for the team that owns the payment gateway?")
    assert b.kind == "page" and _people(b) == {"rachel.kim"}, b.text
