"""A numeronym ("k8s", "i18n") is explained only by the word it shortens in the description of a property the query
reads; next to any other property, or where no description holds such a word, the question is still abstained."""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.numeronym import described_word_explained, expands_to, numeronym_explained
from opsgraph.schema import GraphSchema

SCHEMA: dict[str, Any] = {
    "version": 1,
    "name": "tiny",
    "nodes": {
        "Service": {
            "properties": {
                "name": "string",
                "namespace": {"type": "string", "description": "Kubernetes namespace the service runs in."},
                "version": {"type": "string", "description": "Deployed image tag."},
            }
        },
        "Book": {"properties": {"title": "string", "locale": {"type": "string", "description": "Internationalization locale of the edition."}}},
    },
    "edges": {},
}


@pytest.fixture
def schema() -> GraphSchema:
    return GraphSchema.model_validate(SCHEMA)


def left(question: str, cypher: str, schema: GraphSchema, params: dict[str, Any], surfaces: tuple[str, ...]) -> list[str]:
    return unexplained_words(question, QueryFacts.of(cypher, params, schema), schema, surfaces=surfaces)


def test_a_numeronym_expands_only_to_a_word_of_its_letters_and_length() -> None:
    assert expands_to("k8s", "kubernetes")
    assert expands_to("i18n", "internationalization")
    assert not expands_to("k8s", "kubectl")
    assert not expands_to("k8s", "kubernete")
    assert not expands_to("k1s", "kas")  # one letter between is no numeronym
    assert not expands_to("svc", "service")


def test_a_numeronym_is_explained_by_the_description_of_a_property_read(schema: GraphSchema) -> None:
    ns = "MATCH (n:Service {id: $id}) RETURN n.namespace AS namespace"
    assert left("which k8s namespace is shipping in?", ns, schema, {"id": "shipping"}, ("shipping",)) == []
    assert numeronym_explained("i18n", {"locale"}, {"Book"}, (), schema)


def test_near_miss_a_numeronym_next_to_another_property_is_still_unexplained(schema: GraphSchema) -> None:
    version = "MATCH (n:Service {id: $id}) RETURN n.version AS version"
    assert left("which k8s version is shipping on?", version, schema, {"id": "shipping"}, ("shipping",)) == ["k8s"]
    assert not numeronym_explained("k8s", {"locale"}, {"Book"}, (), schema)
    assert not numeronym_explained("k8s", set(), {"Service"}, (), schema)


def test_the_word_that_qualifies_a_property_in_its_description_is_explained_by_a_read_of_it(schema: GraphSchema) -> None:
    ns = "MATCH (n:Service {id: $id}) RETURN n.namespace AS namespace"
    assert left("which kubernetes namespace is shipping in?", ns, schema, {"id": "shipping"}, ("shipping",)) == []
    assert described_word_explained("k8s", {"namespace"}, {"Service"}, (), schema)


def test_near_miss_another_word_of_the_description_explains_nothing(schema: GraphSchema) -> None:
    hosted = GraphSchema.model_validate(
        {"version": 1, "name": "h", "nodes": {"Store": {"properties": {"managed": {"type": "boolean", "description": "true for a cloud-managed instance; false for one we run in Kubernetes."}}}}}
    )
    filtered = "MATCH (x:Store) WHERE x.managed = true RETURN x.id AS id"
    assert left("which kubernetes stores are there?", filtered, hosted, {}, ()) == ["kubernetes"]
    assert left("which k8s stores are there?", filtered, hosted, {}, ()) == ["k8s"]
    assert described_word_explained("cloud", {"managed"}, {"Store"}, (), hosted)
    ns = "MATCH (n:Service {id: $id}) RETURN n.namespace AS namespace"
    assert left("which service namespace is shipping in?", ns, schema, {"id": "shipping"}, ("shipping",)) == []
    assert left("which production namespace is shipping in?", ns, schema, {"id": "shipping"}, ("shipping",)) == ["production"]
