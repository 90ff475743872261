"""Everyday wordings read on the real sample estate: a verb's subject whose type can only be the edge's target is
not answered the other way; "what engine does X use" is X's property; contact asks go to the graph; a bare word
typed by the question's property or incident words."""

from __future__ import annotations

from typing import Any


def test_what_a_datastore_uses_is_not_what_uses_it(ask: Any) -> None:
    for q in ("what does the orders db use", "what does redis-cart depend on"):
        a = ask(q)
        assert a.abstained, (q, a.text)
    # Near miss: asked the way the edge goes.
    b = ask("what uses the orders db?")
    assert not b.abstained and "Checkout Service" in b.text, b.text


def test_a_property_asked_with_a_trailing_verb(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    engine = og.query("MATCH (d:Datastore {id: 'orders-db'}) RETURN d.engine AS e").rows[0]["e"]
    a = ask("what engine does the orders db use?")
    assert not a.abstained and f"engine = {engine}" in a.text, a.text


def test_contact_asks_and_typed_bare_words(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    team = og.query("MATCH (t:Team {id: 'team-payments'}) RETURN t.email AS e, t.slack_channel AS s").rows[0]
    a = ask("how do I get hold of the payments folks?")
    assert not a.abstained and team["e"] in a.text and team["s"] in a.text and a.text.startswith("Payments (team-payments)"), a.text
    port = og.query("MATCH (s:Service {id: 'paymentservice'}) RETURN s.port AS p").rows[0]["p"]
    b = ask("what port does payments listen on")
    assert not b.abstained and b.text == f"Payment Service (paymentservice): port = {port}", b.text
    last = og.query(
        "MATCH (i:Incident)-[:AFFECTED]->(:Service {id: 'paymentservice'}) RETURN i.id AS id ORDER BY i.started_at DESC LIMIT 1"
    ).rows[0]["id"]
    c = ask("what's the most recent outage on payments")
    assert not c.abstained and f"({last})" in c.text and "Payment Service (paymentservice)" in c.text, c.text


def test_the_runbook_for_a_slow_component_is_its_own(ask: Any) -> None:
    # Not the runbooks of what depends on checkout (a failure spreads to owners and people, not to runbooks).
    a = ask("which runbook should I use when checkout is slow")
    assert not a.abstained, a.text
    assert "Checkout latency SLO burn" in a.text and "Frontend 502s" not in a.text, a.text


def test_in_the_blast_radius_is_a_dependency_through_others(ask: Any) -> None:
    a = ask("is checkout in the blast radius of redis-cart?")
    assert not a.abstained and a.text.startswith("Yes: Checkout Service (checkoutservice) depends on Cart Redis (redis-cart)"), a.text
    b = ask("is cart affected if payments goes down")
    assert not b.abstained and b.text.startswith("No:"), b.text


def test_after_the_primary_is_the_next_rotation(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    secondary = og.query(
        "MATCH (:Team)-[:OWNS]->(:Service {id: 'cartservice'}) MATCH (p:Person)-[r:ON_CALL_FOR]->(:Team)-[:OWNS]->(:Service {id: 'cartservice'}) "
        "WHERE r.rotation = 'secondary' RETURN DISTINCT p.id AS id"
    ).rows
    a = ask("who should I escalate to for cart after the primary")
    assert not a.abstained and a.kind == "page", a.text
    people = {str(r.get("person")) for r in a.rows}
    assert secondary and people == {r["id"] for r in secondary}, a.text
