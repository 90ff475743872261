"""The schema-built read-only Cypher grammar: what it admits, what it refuses, and that llama.cpp reads the same language."""

from __future__ import annotations

import ctypes
import importlib.util
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsgraph.app import sample_estate_path
from opsgraph.ingest.documents import with_document_types
from opsgraph.llm.gbnf import gbnf_to_regex
from opsgraph.retrieve.text2cypher import CypherGrammar, cypher_grammar
from opsgraph.schema.loader import load_schema
from opsgraph.schema.model import GraphSchema
from opsgraph.store.cypher_guard import write_clauses

ROOT = Path(__file__).resolve().parents[3]
RAG_QUESTIONS = ROOT / "bench" / "rag_questions.yaml"
LIBRARY_QUESTIONS = ROOT / "tests" / "fixtures" / "library_questions.yaml"
LIBRARY_SCHEMA = ROOT / "tests" / "fixtures" / "library_estate" / "schema.yaml"


@pytest.fixture(scope="module")
def schema() -> GraphSchema:
    return with_document_types(load_schema(sample_estate_path() / "schema.yaml"), 384)


@pytest.fixture(scope="module")
def g(schema: GraphSchema) -> CypherGrammar:
    return cypher_grammar(schema, params=["p0", "p1"])


def _gold(path: Path, key: str) -> list[str]:
    return [item["gold"] for item in yaml.safe_load(path.read_text(encoding="utf-8"))[key]]


# Read queries beyond the bench's gold, one per feature of the language.
READS = [
    "MATCH (:Service {id: $p0})-[:DEPENDS_ON]->(d) RETURN DISTINCT d.id AS id",
    "MATCH (s:Service) WHERE s.id IN $p1 RETURN s.name",
    "OPTIONAL MATCH (s:Service {id: 'x'}) RETURN s",
    "MATCH (s {id: 'frontend'}) RETURN s",
    "MATCH (n) RETURN n LIMIT 1000",
    "MATCH (s:Service {id: 'it\\'s', name: \"x\"}) RETURN s.id",
    "MATCH (a)-->(b)<--(c)--(d) RETURN a, b",
    "MATCH (s:Service)\nWHERE s.tier = 'critical'\nRETURN s.id",
    "MATCH (s:Service),(d:Datastore) WHERE s.tier = d.tier RETURN s.id, d.id",
    "MATCH (s:Service)-[r:DEPENDS_ON|OWNS]->(x) RETURN type(r), labels(x)[0] AS kind, count(*) AS n",
    "MATCH (s:Service)-[:DEPENDS_ON*2]->(x) RETURN count(DISTINCT x) AS n",
    "MATCH (s:Service) WHERE s.tier IN ['critical', 'high'] RETURN s.id AS id ORDER BY id LIMIT 10",
    "MATCH (s:Service) WHERE toLower(s.name) CONTAINS 'pay' RETURN s.id",
    "MATCH (s:Service) WHERE toLower(s.name) CONTAINS toLower($p0) RETURN s.id",
    "MATCH (s:Service) WHERE s.name STARTS WITH 'Pay' AND NOT s.tier = 'low' RETURN s.id",
    "MATCH (s:Service) WHERE s.name ENDS WITH 'service' OR s.port <> 80 RETURN s.id",
    "MATCH (s:Service) WHERE NOT (s)-[:DEPENDS_ON]->() RETURN s.id",
    "MATCH (s:Service) WHERE NOT (s)<-[:OWNS]-(:Team {id: 'team-payments'}) RETURN s.id",
    "MATCH (s:Service) WHERE EXISTS { MATCH (s)-[:DEPENDS_ON]->(d:Datastore) WHERE d.tier = 'critical' } RETURN s.id",
    "MATCH (s:Service) WHERE (s.tier = 'critical' OR s.tier = 'high') AND s.port > 8000 RETURN s.id, s.port ORDER BY s.port DESC SKIP 1 LIMIT 5",
    "MATCH (s:Service) WHERE s.slo_availability >= 99.9 AND s.namespace IS NOT NULL RETURN avg(s.port), max(s.port), collect(DISTINCT s.language) AS langs",
    "MATCH (s:Service) WHERE 'payment' IN s.aliases RETURN s.id",
    "MATCH (i:Incident) WHERE i.started_at >= '2026-01-01' AND i.resolved_at IS NULL RETURN i.id, i.title ORDER BY i.started_at",
    "MATCH (t:Team)-[:OWNS]->(x) WITH t, count(x) AS n WHERE n > 2 RETURN t.id AS team, n ORDER BY n DESC",
    "MATCH (t:Team)-[:OWNS]->(x) WITH t, count(*) AS n ORDER BY n DESC LIMIT 1 MATCH (p:Person)-[:MEMBER_OF]->(t) RETURN p.id",
    "MATCH p = shortestPath((a:Service {id: 'frontend'})-[:DEPENDS_ON*..6]-(b:Datastore {id: 'redis-cart'})) "
    "RETURN length(p) AS hops, [n IN nodes(p) | n.id] AS path",
    "MATCH (c:Chunk)-[m:MENTIONS]->(s:Service {id: 'cartservice'}) WHERE m.score >= 0.5 RETURN c.doc_id, m.method",
]

WRITES = [
    "CREATE (n:Service {id: 'x'}) RETURN n",
    "MERGE (n:Service {id: 'x'}) RETURN n",
    "MATCH (n:Service) SET n.tier = 'low' RETURN n",
    "MATCH (n:Service) DELETE n",
    "MATCH (n:Service) DETACH DELETE n",
    "MATCH (n:Service) REMOVE n.tier RETURN n",
    "CALL db.labels()",
    "MATCH (n) CALL db.labels() YIELD label RETURN label",
    "MATCH (n) RETURN n; MATCH (m) RETURN m",
    "MATCH (n) RETURN n;",
    "MATCH (n) RETURN n; CREATE (m:Service {id: 'x'})",
    "LOAD CSV FROM 'file:///x.csv' AS row RETURN row",
    "MATCH (s:Service) FOREACH (x IN [1] | SET s.tier = 'low') RETURN s",
    "MATCH (s:Service) WITH s CREATE (t:Team {id: 'x'}) RETURN t",
]

REFUSED = [
    "MATCH (x:Spaceship) RETURN x",  # unknown label
    "MATCH (s:Service)-[:FLIES_TO]->(b) RETURN b",  # unknown relationship type
    "MATCH (s:Service)-[:DEPENDS_ON|FLIES_TO]->(b) RETURN b",
    "MATCH (s:Service {colour: 'red'}) RETURN s",  # no such property anywhere
    "MATCH (s:Service {engine: 'redis'}) RETURN s",  # a Datastore property, not a Service one
    "MATCH (s:Service {id: 'a', engine: 'redis'}) RETURN s",
    "MATCH (s:Service) WHERE s.colour = 'red' RETURN s",
    "MATCH (s:Service) RETURN s.colour",
    "The answer is 1.",
    "",
    "MATCH (s:Service)",  # no RETURN
    "RETURN 1",
    "match (s:Service) return s",  # keywords are upper case
    "MATCH (s:Service) RETURN s ",  # exact text: strip before asking
    "```cypher\nMATCH (s:Service) RETURN s\n```",
    "MATCH (s:Service)\n\nRETURN s",  # no blank lines
    "MATCH (s:Service)-[:DEPENDS_ON*1..7]->(x) RETURN x",  # past max_hops
    "MATCH (s:Service) RETURN s LIMIT 10000",  # more digits than max_limit
    "MATCH (s:Service) WHERE s.name = 'unterminated RETURN s",
    "MATCH (s:Service) WITH s WITH s WITH s RETURN s",  # at most two WITH
    "MATCH (c:Chunk) RETURN c.embedding",  # vectors are not for answers
]


def test_every_bench_gold_query_is_admitted(g: CypherGrammar) -> None:
    golds = _gold(RAG_QUESTIONS, "graph")
    assert len(golds) > 50
    assert [q for q in golds if not g.accepts(q)] == []


@pytest.mark.parametrize("cypher", READS)
def test_read_forms_are_admitted(g: CypherGrammar, cypher: str) -> None:
    assert g.accepts(cypher)
    assert write_clauses(cypher) == []


@pytest.mark.parametrize("cypher", WRITES)
def test_writes_are_refused(g: CypherGrammar, cypher: str) -> None:
    assert not g.accepts(cypher)


@pytest.mark.parametrize("cypher", REFUSED)
def test_unknown_names_prose_and_out_of_bounds_are_refused(g: CypherGrammar, cypher: str) -> None:
    assert not g.accepts(cypher)


def test_parameters_are_only_the_given_names(schema: GraphSchema) -> None:
    query = "MATCH (:Service {id: $p0})-[:DEPENDS_ON]->(d) RETURN DISTINCT d.id AS id"
    with_p0 = cypher_grammar(schema, params=["p0"])
    assert with_p0.params == ("p0",)
    assert with_p0.accepts(query)
    assert not with_p0.accepts(query.replace("$p0", "$p9"))
    assert not with_p0.accepts("MATCH (s:Service) WHERE s.tier = $p1 RETURN s.id")
    assert not cypher_grammar(schema).accepts(query)
    with pytest.raises(ValueError, match="parameter name"):
        cypher_grammar(schema, params=["p-0"])


def test_bounds_follow_the_options(schema: GraphSchema) -> None:
    deep = "MATCH (s:Service)-[:DEPENDS_ON*1..8]->(x) RETURN x.id"
    assert not cypher_grammar(schema).accepts(deep)
    assert cypher_grammar(schema, max_hops=8).accepts(deep)
    assert not cypher_grammar(schema, max_limit=99).accepts("MATCH (s:Service) RETURN s LIMIT 100")
    assert cypher_grammar(schema, max_limit=99).accepts("MATCH (s:Service) RETURN s LIMIT 50")
    with pytest.raises(ValueError):
        cypher_grammar(schema, max_hops=0)


def test_names_come_from_the_schema_and_building_is_memoised(schema: GraphSchema, g: CypherGrammar) -> None:
    assert g.labels == tuple(schema.nodes) and "Chunk" in g.labels
    assert g.rel_types == tuple(schema.edges) and "MENTIONS" in g.rel_types
    again = with_document_types(load_schema(sample_estate_path() / "schema.yaml"), 384)
    assert cypher_grammar(again, params=("p0", "p1")) is g
    assert cypher_grammar(schema, params=["p1"]) is not g


def test_grammar_is_small_and_shaped_for_llama_cpp(g: CypherGrammar) -> None:
    rules = re.findall(r"^([a-zA-Z0-9-]+) ::= ", g.gbnf, re.M)
    assert rules[0] == "root" and len(rules) == len(set(rules))
    assert len(rules) < 150 and len(g.gbnf) < 20_000
    # One rule per line: llama.cpp ends a rule at a newline outside parentheses.
    assert all(" ::= " in line for line in g.gbnf.splitlines())
    # One node-map rule per label, with that label's keys.
    assert '"slo_availability"' in next(line for line in g.gbnf.splitlines() if line.startswith("key-service ::="))
    assert '"engine"' not in next(line for line in g.gbnf.splitlines() if line.startswith("key-service ::="))


def test_library_gold_queries_are_admitted_under_the_library_schema() -> None:
    if not LIBRARY_QUESTIONS.is_file():
        pytest.skip(f"{LIBRARY_QUESTIONS.relative_to(ROOT)} does not exist (written by the library-estate work)")
    library = cypher_grammar(load_schema(LIBRARY_SCHEMA))
    golds = _gold(LIBRARY_QUESTIONS, "questions")
    assert golds
    assert [q for q in golds if not library.accepts(q)] == []
    assert not library.accepts("MATCH (s:Service) RETURN s.id")  # another estate's label


# -- gbnf_to_regex --------------------------------------------------------------------


def test_gbnf_to_regex_inlines_rules() -> None:
    gbnf = 'root ::= greet ws name ("!" | "?")*\ngreet ::= "hi" | "hello"  # a comment\nname ::= [A-Z] [a-z]{1,3}\nws ::= [ \\t]+\n'
    pattern = gbnf_to_regex(gbnf)
    assert pattern.fullmatch("hello Bob!?") and pattern.fullmatch("hi  Al")
    assert not pattern.fullmatch("hello bob") and not pattern.fullmatch("hi Alfred")
    escapes = gbnf_to_regex('root ::= "a\\"b\\\\" [^\\n\\]] "\\x41\\u00e9"')
    assert escapes.fullmatch('a"b\\xAé')
    assert not escapes.fullmatch('a"b\\]Aé') and not escapes.fullmatch('a"b\\\nAé')
    nested = gbnf_to_regex('root ::= ("a" "b"?)* | "c"{2}')
    assert nested.fullmatch("aab") and nested.fullmatch("cc") and nested.fullmatch("")


@pytest.mark.parametrize(
    ("gbnf", "message"),
    [
        ('root ::= "(" root ")" | "x"', "recursive"),
        ('root ::= a\na ::= "x" b\nb ::= "y" a?', "recursive"),
        ('root ::= "x" missing', "not defined"),
        ('start ::= "x"', "no 'root'"),
        ('root ::= "unterminated', "unterminated"),
        ("root ::= <[1234]>", "not supported"),
    ],
)
def test_gbnf_to_regex_refuses_what_a_regex_cannot_hold(gbnf: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gbnf_to_regex(gbnf)


# -- llama.cpp reads the same language ----------------------------------------------


@pytest.fixture(scope="module")
def vocab_model() -> Iterator[Any]:
    """The bundled SmolLM2's tokenizer only (vocab_only: no weights), for llama.cpp's grammar parser."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed: pip install 'opsgraph[llm]'")
    import llama_cpp

    from opsgraph.llm.errors import LLMSetupError
    from opsgraph.llm.models import resolve_model

    try:
        path = resolve_model("smollm2-135m-instruct").path
    except LLMSetupError as exc:
        pytest.skip(f"the bundled SmolLM2 is not installed: {exc}")
    model = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    try:
        yield model
    finally:
        model.close()


def _llama_accepts(model: Any, gbnf: str, text: str) -> bool:
    """Feed `text` token by token through llama.cpp's grammar sampler; True when every token and then EOS is allowed."""
    import llama_cpp

    vocab = model._model.vocab
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode(), b"root")
    assert sampler, "llama.cpp could not parse the grammar"
    try:
        eos = llama_cpp.llama_vocab_eos(vocab)
        for token in [*model.tokenize(text.encode(), add_bos=False, special=False), eos]:
            cell = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 0.0, 0.0))
            candidates = llama_cpp.llama_token_data_array(cell, 1, -1, False)
            llama_cpp.llama_sampler_apply(sampler, ctypes.byref(candidates))
            if math.isinf(cell[0].logit):
                return False
            if token != eos:
                llama_cpp.llama_sampler_accept(sampler, token)
        return True
    finally:
        llama_cpp.llama_sampler_free(sampler)


def test_llama_cpp_parses_the_grammar(g: CypherGrammar, vocab_model: Any) -> None:
    import llama_cpp

    # from_string only stores the text in llama-cpp-python 0.3; the parse happens when a sampler is built.
    assert llama_cpp.LlamaGrammar.from_string(g.gbnf, verbose=False) is not None
    vocab = vocab_model._model.vocab
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, g.gbnf.encode(), b"root")
    assert sampler, "llama.cpp refused the grammar"
    llama_cpp.llama_sampler_free(sampler)
    assert not llama_cpp.llama_sampler_init_grammar(vocab, b'root ::= "x" missing', b"root")


def test_llama_cpp_and_the_regex_agree(g: CypherGrammar, vocab_model: Any) -> None:
    samples = READS + WRITES + REFUSED + _gold(RAG_QUESTIONS, "graph")[::6]
    disagreements = [q for q in samples if q and _llama_accepts(vocab_model, g.gbnf, q) != g.accepts(q)]
    assert disagreements == []
