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
