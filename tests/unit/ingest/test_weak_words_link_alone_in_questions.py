"""In a question, a weak word that only one node goes by links without a cue; documents keep the stricter rule.

Why: on-call questions name things tersely ("Which datastores does checkout write to?", "Who's on call for the
ledger?"); with the document rule they linked nothing and were abstained from. Words of property names never link
alone ("What is Rachel Kim's email address?" asks for an address, not about the email service), and a word several
nodes go by still needs a cue.
"""

from __future__ import annotations

from opsgraph.app import sample_estate_path
from opsgraph.app.ask import property_words
from opsgraph.ingest.linking import Entity, EntityLinker, link_settings
from opsgraph.schema import load_schema

SCHEMA = load_schema(sample_estate_path() / "schema.yaml")
ENTITIES = [
    Entity("checkoutservice", "Service", "Checkout Service", ("checkout",)),
    Entity("emailservice", "Service", "Email Service", ("email",)),
    Entity("paymentservice", "Service", "Payment Service", ("payments",)),
    Entity("team-payments", "Team", "Payments", ()),
    Entity("payments-ledger-db", "Datastore", "Payments ledger database", ("ledger",)),
]


def _ids(settings: object, text: str) -> list[str]:
    return [x.node_id for x in EntityLinker(ENTITIES, settings=settings).link(text)]  # type: ignore[arg-type]


def test_a_weak_word_of_one_node_links_alone_in_a_question_only() -> None:
    question = link_settings(SCHEMA, fuzzy_threshold=None, weak_alone=True, not_alone=property_words(SCHEMA))
    document = link_settings(SCHEMA, fuzzy_threshold=None)
    assert _ids(question, "Which datastores does checkout write to?") == ["checkoutservice"]
    assert _ids(question, "Who is on call for the ledger?") == ["payments-ledger-db"]
    assert _ids(document, "Which datastores does checkout write to?") == []


def test_property_words_and_shared_words_do_not_link_alone() -> None:
    question = link_settings(SCHEMA, fuzzy_threshold=None, weak_alone=True, not_alone=property_words(SCHEMA))
    assert "email" in property_words(SCHEMA) and "based" in property_words(SCHEMA)
    assert _ids(question, "What is the email address of the on-call?") == []
    # "payments" is the team's name and the service's alias: the casing decides, as before ("Payments" → the team).
    assert _ids(question, "Which services call payments now?") == []
