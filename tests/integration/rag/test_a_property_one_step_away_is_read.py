"""A property the named component lacks is read from the one neighbour type that holds it, on the real sample estate
(`rag/neighbour_property.py`): "the slack channel for checkout" is its owning team's; the answer names the team."""

from __future__ import annotations

from typing import Any


def test_a_services_slack_channel_is_its_owning_teams(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    gold = og.query(
        "MATCH (t:Team)-[:OWNS]->(:Service {id: 'checkoutservice'}) RETURN t.id AS id, t.slack_channel AS channel"
    ).rows
    a = ask("what's the slack channel for checkout?")
    assert not a.abstained, a.text
    assert gold and all(r["channel"] in a.text for r in gold)
    assert "team that owns Checkout Service" in a.text


def test_contact_words_and_a_relation_word_naming_the_step(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    gold = og.query("MATCH (t:Team)-[:OWNS]->(:Service {id: 'cartservice'}) RETURN t.email AS email").rows
    a = ask("email for whoever owns cart")
    assert not a.abstained, a.text
    assert gold and all(r["email"] in a.text for r in gold)
    b = ask("contact for the currency service")
    assert not b.abstained, b.text
    assert "@" in b.text and "#" in b.text


def test_ambiguous_or_dependency_steps_abstain(ask: Any) -> None:
    # A person is both a member of and on call for a team; a status page belongs to what payments calls.
    for q in ("what's the timezone of the payments team?", "what is the status page for the payment service?"):
        a = ask(q)
        assert a.abstained, (q, a.text)
