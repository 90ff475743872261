"""One word module: names split into words, English number both ways, type words and schema synonyms."""

from __future__ import annotations

import pytest

from opsgraph.schema import parse_schema
from opsgraph.schema.words import declared_values, looks_plural, plural, schema_synonyms, singular, type_words, words_of

NOUNS = "service category person index box batch cache database class status bus dish child policy key query address entity size".split()


@pytest.mark.parametrize(("name", "words"), [
    ("ExternalService", ["external", "service"]),
    ("HTTPServer", ["http", "server"]),
    ("DEPENDS_ON", ["depends", "on"]),
    ("on-call_for", ["on", "call", "for"]),
    ("p95Latency", ["p95", "latency"]),
])
def test_names_split_into_words(name: str, words: list[str]) -> None:
    assert words_of(name) == words


def test_plural_and_singular_undo_each_other() -> None:
    assert [plural(n) for n in ("service", "category", "person", "box", "external service")] == [
        "services", "categories", "people", "boxes", "external services"]
    for noun in NOUNS:
        assert singular(plural(noun)) == noun, noun
        assert looks_plural(plural(noun)), noun
    assert [singular(w) for w in ("caches", "status", "class", "external services")] == ["cache", "status", "class", "external service"]
    assert not any(looks_plural(w) for w in ("class", "status", "analysis", "service"))


SCHEMA = """
version: 1
name: shop
nodes:
  Service: {synonyms: [cart, checkout], properties: {name: string}}
  ExternalService: {properties: {name: string}}
  Person: {properties: {name: string}}
edges:
  CALLS: {from: Service, to: [Service, ExternalService], synonyms: [calls out to]}
"""


def test_type_words_read_types_out_of_questions() -> None:
    words = type_words(parse_schema(SCHEMA))
    assert words["external services"] == words["externalservice"] == words["vendors"] == "ExternalService"
    assert words["people"] == words["person"] == words["engineers"] == "Person"
    assert words["svc"] == words["services"] == "Service"
    assert type_words(None) == {}


def test_schema_synonyms_are_declared_per_type_and_validated() -> None:
    assert schema_synonyms(parse_schema(SCHEMA)) == {"cart", "checkout", "calls out to"}
    with pytest.raises(ValueError, match="synonym"):
        parse_schema(SCHEMA.replace("[cart, checkout]", "['', checkout]"))


def test_declared_values_are_an_enumeration_before_any_example() -> None:
    assert declared_values("'resolved' or 'open'.") == ["resolved", "open"]
    assert declared_values("'sev1' (worst) to 'sev4' (minor).") == ["sev1", "sev4"]
    assert declared_values("Deployed version, e.g. 'v0.10.2'.") == []
    assert declared_values("One of 'a' or 'b', e.g. 'a'; like 'c' and 'd'") == ["a", "b"]
    assert declared_values("Only 'one' value quoted.") == []
    assert declared_values(None) == []
