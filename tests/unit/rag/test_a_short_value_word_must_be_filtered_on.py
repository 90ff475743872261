"""`unexplained_words`: a word of one or two letters asks nothing of the graph by itself, unless it is a value of the
estate ("Go services"): then only a query filtering on that value explains it (a comparison of the SLO of every
service answered "which Go services have an SLO of at least 99.95?" with C# and Node.js services in it)."""

from __future__ import annotations

from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.lexicon import Lexicon
from opsgraph.schema import GraphSchema

VALUES = {"go": ["go"], "critical": ["critical"]}


def test_a_short_value_word_is_explained_only_by_its_filter(schema: GraphSchema, lexicon: Lexicon) -> None:
    question = "Which Go services are critical?"
    every = QueryFacts.of("MATCH (x:Service) WHERE x.tier = $t RETURN x.id AS id", {"t": "critical"}, schema)
    filtered = QueryFacts.of("MATCH (x:Service) WHERE x.tier = $t AND x.language = $l RETURN x.id AS id", {"t": "critical", "l": "Go"}, schema)
    assert unexplained_words(question, every, schema, lexicon=lexicon, values=VALUES) == ["go"]
    assert unexplained_words(question, filtered, schema, lexicon=lexicon, values=VALUES) == []


def test_a_short_word_that_names_no_value_asks_nothing(schema: GraphSchema, lexicon: Lexicon) -> None:
    facts = QueryFacts.of("MATCH (x:Service) WHERE x.tier = $t RETURN x.id AS id", {"t": "critical"}, schema)
    assert unexplained_words("Which services are critical, if any?", facts, schema, lexicon=lexicon, values=VALUES) == []
