"""On the sample estate (real embedded store): a property named by a word of its description or an everyday ops word
("the hostname of the orders db" is its `endpoint`, "how critical" its `tier`, "git url" a service's `repo`) is
answered with that property; a word no description gives to one property ("region", "git branch"), a word of a
number property another type holds too ("instances" of a database), and an everyday word for a property the estate
holds no value of (a service's image "tag") are still abstained.

Why: the lexicon read only names and declared synonyms, so these were abstained as words "the schema has no
property for" (rag/described.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.app import OpsGraph
from opsgraph.app.ask import AskService


@pytest.mark.parametrize(
    ("question", "label", "node", "prop"),
    [
        ("what's the hostname of the orders db?", "Datastore", "orders-db", "endpoint"),
        ("how critical is the shipping service?", "Service", "shippingservice", "tier"),
        ("git url for the frontend?", "Service", "frontend", "repo"),
        ("where's the source code for the currency service?", "Service", "currencyservice", "repo"),
        ("what's the connection limit on the catalog db?", "Datastore", "product-catalog-db", "max_connections"),
        ("where's the write-up for INC-2047?", "Incident", "INC-2047", "postmortem_url"),
        ("what's Priya Raman's job title?", "Person", "priya.raman", "role"),
    ],
)
def test_a_description_word_names_the_property_read(
    sample_graph: tuple[OpsGraph, AskService], ask: Any, question: str, label: str, node: str, prop: str
) -> None:
    og, _ = sample_graph
    a = ask(question)
    assert not a.abstained, a.text
    gold = og.query(f"MATCH (n:{label} {{id: $id}}) RETURN n.{prop} AS v", {"id": node}).rows[0]["v"]
    assert gold is not None and [list(r.values()) for r in a.rows] == [[gold]], (a.cypher, a.rows)


@pytest.mark.parametrize(
    "question",
    [
        "what region is the catalog db hosted in?",
        "which git branch is deployed for the frontend?",
        "what tag is the checkout service running?",
        "how many messages are in order-events?",
        "what's the url of the frontend?",  # its website? Only "git url", "repo link" name the repository
        "how many instances does the orders db have?",  # "pods"/"instances" are a service's replicas, not a database's
    ],
)
def test_a_word_no_description_gives_one_property_is_abstained(ask: Any, question: str) -> None:
    a = ask(question)
    assert a.abstained, (a.cypher, a.rows)
