"""SmolLM2 sampled under the schema's Cypher grammar writes only admitted, read-only queries; prints the cost of the grammar.

Run with `-s` to see the figures: grammar build, regex and llama.cpp compile
times, and tokens/s with and without the grammar on the same prompts.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest

from opsgraph.app import sample_estate_path
from opsgraph.ingest.documents import with_document_types
from opsgraph.llm import ModelFile
from opsgraph.llm.gbnf import gbnf_to_regex
from opsgraph.retrieve.text2cypher import CypherGrammar, cypher_grammar
from opsgraph.schema.loader import load_schema
from opsgraph.schema.model import GraphSchema
from opsgraph.store.cypher_guard import write_clauses

QUESTIONS = ["What does checkoutservice depend on?", "Which services are critical?", "Who responded to INC-2047?"]
SYSTEM = (
    "You write one read-only Cypher query that answers the question. Use only the labels, "
    "relationship types and properties of the schema. Answer with the query only."
)
SHOTS = [
    ("Which team owns redis-cart?", "MATCH (t:Team)-[:OWNS]->(:Datastore {id: 'redis-cart'}) RETURN t.id AS id"),
    ("Which services are written in Go?", "MATCH (s:Service) WHERE s.language = 'Go' RETURN s.id AS id"),
]
HIDDEN = {"Document", "Chunk", "HAS_CHUNK", "MENTIONS"}


def _schema_text(schema: GraphSchema) -> str:
    lines = ["Node labels and properties:"]
    for name, node in schema.nodes.items():
        if name not in HIDDEN:
            props = [k for k in node.properties if k not in ("aliases", "description")]
            lines.append(f"(:{name}) " + ", ".join(["id", *props]))
    lines.append("Relationships:")
    for name, edge in schema.edges.items():
        if name not in HIDDEN:
            lines.append(f"(:{'|'.join(edge.from_types)})-[:{name}]->(:{'|'.join(edge.to_types)})")
    return "\n".join(lines)


def _messages(schema: GraphSchema, question: str) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": f"{SYSTEM}\n\nSchema:\n{_schema_text(schema)}"}]
    for q, cypher in SHOTS:
        messages += [{"role": "user", "content": q}, {"role": "assistant", "content": cypher}]
    return [*messages, {"role": "user", "content": question}]


@pytest.fixture(scope="module")
def schema() -> GraphSchema:
    return with_document_types(load_schema(sample_estate_path() / "schema.yaml"), 384)


@pytest.fixture(scope="module")
def llm(smollm2_file: ModelFile) -> Iterator[Any]:
    import llama_cpp

    model = llama_cpp.Llama(model_path=str(smollm2_file.path), n_ctx=1024, n_threads=1, n_threads_batch=1, seed=0, verbose=False)
    try:
        yield model
    finally:
        model.close()


def _run(llm: Any, messages: list[dict[str, str]], grammar: Any) -> tuple[str, str, int, float]:
    extra = {"grammar": grammar} if grammar is not None else {}
    started = time.perf_counter()
    out = llm.create_chat_completion(messages=messages, max_tokens=120, temperature=0, **extra)
    seconds = time.perf_counter() - started
    choice = out["choices"][0]
    return choice["message"]["content"], choice["finish_reason"], int(out["usage"]["completion_tokens"]), seconds


def test_constrained_output_is_admitted_and_read_only(schema: GraphSchema, llm: Any) -> None:
    import llama_cpp

    started = time.perf_counter()
    cold = cypher_grammar(schema, params=["grammar_timing_probe"])  # a key no other test builds: a cold build
    build_ms = (time.perf_counter() - started) * 1000
    g: CypherGrammar = cypher_grammar(schema)
    re.purge()  # `re` caches compiled patterns: time a cold compile
    started = time.perf_counter()
    pattern = gbnf_to_regex(g.gbnf)
    regex_ms = (time.perf_counter() - started) * 1000
    compile_ms = []
    for _ in range(5):
        started = time.perf_counter()
        sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, g.gbnf.encode(), b"root")
        compile_ms.append((time.perf_counter() - started) * 1000)
        assert sampler, "llama.cpp refused the grammar"
        llama_cpp.llama_sampler_free(sampler)
    rules = sum(1 for line in g.gbnf.splitlines() if " ::= " in line)
    print(f"\ngrammar: {rules} rules, {len(g.gbnf)} chars; cold build {build_ms:.1f} ms ({len(cold.gbnf)} chars)")
    print(f"llama.cpp grammar compile (llama_sampler_init_grammar): median {statistics.median(compile_ms):.2f} ms of 5")
    print(f"Python recogniser (gbnf_to_regex, regex of {len(pattern.pattern)} chars): {regex_ms:.0f} ms")

    totals = {"free": [0, 0.0], "grammar": [0, 0.0]}
    for question in QUESTIONS:
        messages = _messages(schema, question)
        llm.create_chat_completion(messages=messages, max_tokens=1, temperature=0)  # the prompt is in the KV cache now
        free_text, _, free_tokens, free_s = _run(llm, messages, None)
        text, finish, tokens, seconds = _run(llm, messages, llama_cpp.LlamaGrammar.from_string(g.gbnf, verbose=False))
        totals["free"][0] += free_tokens
        totals["free"][1] += free_s
        totals["grammar"][0] += tokens
        totals["grammar"][1] += seconds
        print(f"Q: {question}")
        print(f"  free    {free_tokens / free_s:6.1f} tok/s ({free_tokens} tokens) admitted={g.accepts(free_text)!s:5} {free_text!r}")
        print(f"  grammar {tokens / seconds:6.1f} tok/s ({tokens} tokens) admitted={g.accepts(text)!s:5} {text!r}")
        assert finish == "stop", f"the model did not finish within 120 tokens: {text!r}"
        assert g.accepts(text), text
        assert write_clauses(text) == []
    free_rate = totals["free"][0] / totals["free"][1]
    grammar_rate = totals["grammar"][0] / totals["grammar"][1]
    print(f"overall: {free_rate:.1f} tok/s without the grammar, {grammar_rate:.1f} tok/s with it (n_threads=1)")
