"""Kinds of confident wrong answers found in session 10 (by probes and by adjudicating a blind set's wrong answers,
without its questions), each now answered right or abstained on the real sample estate."""

from __future__ import annotations

from typing import Any


def test_a_dependency_asked_from_its_subject_is_not_answered_with_its_callers(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    a = ask("what services does currency depend on?")
    callers = {r["id"] for r in og.query("MATCH (x:Service)-[:DEPENDS_ON]->(:Service {id: 'currencyservice'}) RETURN x.id AS id").rows}
    assert a.abstained or not ({str(r.get("id")) for r in a.rows or []} & callers), a.text


def test_a_yes_no_answered_by_a_value_says_what_the_value_decides(ask: Any) -> None:
    a = ask("does the payments ledger db have any replicas?")
    assert not a.abstained, a.text
    assert a.rows and a.rows[0].get("answer") is True and "replicas = 1" in a.text
    b = ask("is the cart redis replicated?")  # a count is no answer to "replicated?" without "any"
    assert b.abstained or (b.rows and "answer" in b.rows[0]), b.text


def test_two_teams_named_are_not_paged_as_one(ask: Any) -> None:
    a = ask("is anyone from payments on call for the orders team?")
    assert a.abstained or a.kind != "page", a.text


def test_purpose_and_call_out_to_are_no_value_and_no_paging(ask: Any) -> None:
    a = ask("what does the frontend need in order to run?")
    assert "orders" not in str(a.cypher or "") and "namespace" not in (a.text.splitlines()[0] if a.text else ""), a.text
    b = ask("what does the recommendation service call out to?")
    assert b.kind != "page", b.text


def test_who_else_is_not_answered_with_everyone(ask: Any) -> None:
    a = ask("who else is on call for payments besides Rachel?")
    assert a.abstained or "rachel.kim" not in {str(r.get("person") or r.get("id")) for r in a.rows or []}, a.text


def test_directly_asked_of_a_failure_is_one_step(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    a = ask("if redis-cart dies what is directly affected?")
    assert not a.abstained, a.text
    direct = {r["id"] for r in og.query("MATCH (x)-[:DEPENDS_ON]->(:Datastore {id: 'redis-cart'}) RETURN x.id AS id").rows}
    assert {str(r.get("id")) for r in a.rows or []} == direct and "*1.." not in (a.cypher or "")
    b = ask("what breaks directly or indirectly if redis-cart goes down?")
    assert not b.abstained and "*1.." in (b.cypher or ""), b.text
