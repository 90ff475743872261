"""A property is named by the head phrase of its description and by everyday ops words whose anchor its name or
description holds ("hostname" for a "Host name clients connect to."), never by a word ambiguous on one type, a generic
word, a value the schema quotes, nor over a name or a declared synonym; a query reading it explains those words."""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.rag.described import head_phrase
from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.lexicon import build_lexicon
from opsgraph.schema import GraphSchema

SCHEMA: dict[str, Any] = {
    "version": 1,
    "name": "tiny",
    "nodes": {
        "Service": {
            "properties": {
                "name": "string",
                "tier": {"type": "string", "description": "Business criticality: 'critical', 'high' or 'low'."},
                "repo": {"type": "string", "description": "URL of the source repository."},
                "replicas": {"type": "integer", "description": "Desired number of pods (replicas) of the deployment."},
                "image": {"type": "string", "description": "Container image the deployment runs, e.g. 'shop/frontend:v1'."},
                "port": {"type": "integer", "description": "Container port the service listens on."},
                "version": {"type": "string", "description": "Deployed version: the image tag, e.g. 'v0.10.2'."},
                "description": {"type": "string", "embed": True, "description": "What the service does and what messages it sends."},
            }
        },
        "Datastore": {
            "properties": {
                "name": "string",
                "endpoint": {"type": "string", "description": "Host name clients connect to."},
                "port": {"type": "integer", "description": "TCP port clients connect to."},
                "managed": {"type": "boolean", "description": "true for a cloud-managed instance; false otherwise."},
                "owner_email": {"type": "string", "description": "Main contact of the owner.", "synonyms": ["contact"]},
            }
        },
        "Queue": {
            "properties": {
                "name": "string",
                "retention_hours": {"type": "integer", "description": "How long messages are kept, in hours."},
                "description": {"type": "string", "embed": True, "description": "What messages flow through it."},
            }
        },
        "Incident": {
            "name_property": "title",
            "properties": {
                "title": "string",
                "customer_impact": {"type": "string", "description": "What shoppers experienced."},
                "postmortem_url": {"type": "string", "description": "Link to the postmortem document."},
            },
        },
    },
    "edges": {"DEPENDS_ON": {"from": "Service", "to": ["Service", "Datastore", "Queue"]}},
}


@pytest.fixture
def schema() -> GraphSchema:
    return GraphSchema.model_validate(SCHEMA)


def cue(schema: GraphSchema, word: str) -> set[str]:
    return set(build_lexicon(schema).prop_cues([word]).get(word, ()))


def phrase(schema: GraphSchema, text: str) -> set[str]:
    found, _ = build_lexicon(schema).phrase_cues(text)
    return {p for ps in found.values() for p in ps}


def test_the_head_phrase_ends_at_a_clause_a_preposition_or_punctuation() -> None:
    assert head_phrase("URL of the source repository.") == ["url", "of", "the", "source", "repository"]
    assert head_phrase("Container image the deployment runs, e.g. 'x'.") == ["container", "image"]
    assert head_phrase("Availability SLO target in percent over 28 days.") == ["availability", "slo", "target"]
    assert head_phrase("Environment variable that holds the address.") == ["environment", "variable"]
    assert head_phrase("Host name clients connect to.") == ["host", "name"]
    assert head_phrase("Average rating members gave the book.", {"members"}) == ["average", "rating"]
    assert head_phrase("'sev1' (worst) to 'sev4' (minor).") == []  # a list of values: no head phrase


def test_description_words_and_everyday_words_name_the_property(schema: GraphSchema) -> None:
    assert cue(schema, "hostname") == {"endpoint"}  # "Host name" read as one word
    assert phrase(schema, "what's the host name of the orders db?") == {"endpoint"}
    assert cue(schema, "criticality") == {"tier"}
    assert phrase(schema, "how critical is checkout?") == {"tier"}
    assert cue(schema, "git") == cue(schema, "repository") == {"repo"}
    assert phrase(schema, "where is the source code of X") == {"repo"}
    assert cue(schema, "pods") == cue(schema, "instances") == {"replicas"}
    assert cue(schema, "tag") == {"version"}
    assert cue(schema, "tcp") == set()  # "TCP port" of a database only, but services have a (number) `port` too
    assert cue(schema, "shoppers") == cue(schema, "experience") == {"customer_impact"}
    assert cue(schema, "writeup") == {"postmortem_url"}


def test_a_word_of_another_propertys_name_in_the_head_phrase_names_this_one_next_to_its_words(schema: GraphSchema) -> None:
    # "URL of the source repository": "git url", "repo link" name `repo`; "url" alone stays the postmortem's (its
    # name), so "the URL of the frontend" (its website?) is not answered with the repository.
    assert cue(schema, "url") == {"postmortem_url"}
    assert phrase(schema, "git url for the frontend?") == {"repo"}
    assert phrase(schema, "repo link for checkout") == {"repo"}


def test_an_ambiguous_generic_or_quoted_word_names_nothing(schema: GraphSchema) -> None:
    assert cue(schema, "container") == set()  # container image and container port, both on Service
    assert cue(schema, "connect") == set()  # endpoint and port, both on Datastore
    assert cue(schema, "messages") == set()  # retention and the free-text description of Queue
    assert cue(schema, "clients") == set()
    assert cue(schema, "number") == set()
    assert cue(schema, "instance") == {"replicas"}  # not `managed`: a flag's condition names nothing
    assert cue(schema, "cloud") == set()
    assert cue(schema, "high") == set()  # a quoted value of tier


def test_an_average_stays_an_operation() -> None:
    library = GraphSchema.model_validate(
        {
            "version": 1,
            "name": "lib",
            "nodes": {"Book": {"properties": {"title": "string", "rating": {"type": "float", "description": "Average rating readers gave the book."}}}},
            "edges": {},
        }
    )
    assert phrase(library, "which book has the lowest average rating?") == set()  # "average" is left to the aggregate


def test_a_name_or_declared_synonym_is_never_overridden(schema: GraphSchema) -> None:
    assert cue(schema, "contact") == {"owner_email"}  # declared, although "Main contact" is a description word too
    assert cue(schema, "image") == {"image"}
    assert cue(schema, "port") == {"port"}


def test_a_description_cue_matches_the_word_itself_not_a_longer_one(schema: GraphSchema) -> None:
    assert cue(schema, "host") == {"endpoint"}
    assert cue(schema, "hosted") == set()  # "where is it hosted?" does not ask for the host name
    assert cue(schema, "shopping") == set()


def test_the_query_reading_the_property_explains_the_everyday_words(schema: GraphSchema) -> None:
    endpoint = QueryFacts.of("MATCH (n:Datastore {id: $id}) RETURN n.endpoint AS endpoint", {"id": "orders-db"}, schema)
    assert unexplained_words("what's the hostname of the orders db?", endpoint, schema, surfaces=("orders db",)) == []
    port = QueryFacts.of("MATCH (n:Datastore {id: $id}) RETURN n.port AS port", {"id": "orders-db"}, schema)
    assert unexplained_words("what's the hostname of the orders db?", port, schema, surfaces=("orders db",)) == ["hostname"]
    repo = QueryFacts.of("MATCH (n:Service {id: $id}) RETURN n.repo AS repo", {"id": "frontend"}, schema)
    assert unexplained_words("git url for the frontend?", repo, schema, surfaces=("frontend",)) == []
    assert unexplained_words("which git branch is the frontend on?", repo, schema, surfaces=("frontend",)) == ["branch"]
