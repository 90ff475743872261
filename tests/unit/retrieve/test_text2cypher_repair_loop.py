"""Text-to-Cypher's generate ▸ check ▸ run ▸ repair loop, with a scripted model and a scripted store."""

from __future__ import annotations

import re
from typing import Any

from memory_store import MemoryStore
from opsgraph.errors import QueryError
from opsgraph.llm import FakeLanguageModel
from opsgraph.retrieve import Text2CypherRetriever
from opsgraph.store.base import QueryResult

BROKEN = "```cypher\nMATCH (s:Service RETURN s.id AS id\n```"
VALID = "Here it is:\n```cypher\nMATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: 'paymentservice'}) RETURN s.id AS id\n```"


def scripted_store(rows: list[dict[str, Any]]) -> MemoryStore:
    """Runs nothing: refuses queries that look broken with the engine's kind of message, answers the rest with `rows`."""
    def broken(_: re.Match[str], __: Any) -> QueryResult:
        raise QueryError("Invalid input 'RETURN': expected ')' (line 1, column 18)\nJava stack ...", cypher="")

    return MemoryStore().answer(r"\(s:Service RETURN", broken).answer(r"", lambda _m, _p: QueryResult(columns=["id"], rows=list(rows)))


def retriever(model: FakeLanguageModel, store: MemoryStore, **kw: Any) -> Text2CypherRetriever:
    return Text2CypherRetriever(store, model, "Node types: (:Service) {id}\nRelationships: (:Service)-[:DEPENDS_ON]->(:Service)", **kw)  # type: ignore[arg-type]


def test_an_engine_error_goes_back_to_the_model_and_the_fix_runs() -> None:
    model = FakeLanguageModel([BROKEN, VALID])
    store = scripted_store([{"id": "checkoutservice"}])
    result = retriever(model, store, max_attempts=3, row_limit=20, timeout_ms=1234).retrieve("Which services depend on paymentservice?", 10)

    assert [h.detail["row"] for h in result.hits] == [{"id": "checkoutservice"}]
    attempts = result.detail["attempts"]
    assert len(attempts) == 2 and len(model.calls) == 2
    assert attempts[0]["error"].startswith("Invalid input 'RETURN'") and "Java stack" not in attempts[0]["error"]
    assert attempts[1]["error"] is None and attempts[1]["rows"] == 1
    # The second prompt carries the failed query and the engine's first error line, then asks for a fix.
    second = [m.content for m in model.calls[1].messages]
    assert "MATCH (s:Service RETURN s.id AS id" in second[-2]
    assert "That query failed: Invalid input 'RETURN'" in second[-1] and "corrected" in second[-1]
    # What ran was bounded (a LIMIT added), read-only, with the time limit.
    ran = store.calls[-1]
    assert ran["cypher"].endswith("LIMIT 20") and ran["read_only"] and ran["timeout_ms"] == 1234
    assert result.detail["cypher"] == ran["cypher"]


def test_one_attempt_means_no_repair() -> None:
    model = FakeLanguageModel([BROKEN, VALID])
    result = retriever(model, scripted_store([{"id": "x"}]), max_attempts=1).retrieve("q?", 10)
    assert result.hits == [] and result.detail["cypher"] is None
    assert len(model.calls) == 1 and len(result.detail["attempts"]) == 1


def test_a_write_is_refused_before_the_store_and_repaired() -> None:
    model = FakeLanguageModel(["```cypher\nMATCH (n) DETACH DELETE n RETURN count(n)\n```", VALID])
    store = scripted_store([{"id": "checkoutservice"}])
    result = retriever(model, store, max_attempts=2).retrieve("delete everything", 10)
    assert len(result.hits) == 1
    first = result.detail["attempts"][0]
    assert "writes (DETACH, DELETE)" in first["error"]
    assert all("DELETE" not in c["cypher"] for c in store.calls), "the write never reached the store"


def test_prose_and_exhausted_attempts_give_no_rows_and_every_error() -> None:
    model = FakeLanguageModel(["The services are checkout and frontend.", BROKEN, "MATCH (n:Service)"])
    store = scripted_store([])
    result = retriever(model, store, max_attempts=3).retrieve("q?", 10)
    assert result.hits == [] and result.detail["cypher"] is None
    errors = [a["error"] for a in result.detail["attempts"]]
    assert errors[0].startswith("no Cypher query found")
    assert errors[1].startswith("Invalid input")
    assert errors[2] == "the query has no RETURN clause"
    assert len(store.calls) == 1, "only the statically valid query reached the store"
    assert all(a["tokens"] > 0 for a in result.detail["attempts"])


def test_a_statement_that_starts_with_a_write_is_extracted_whole_and_refused() -> None:
    from opsgraph.retrieve import check_cypher, extract_cypher

    for text in ("CREATE (n:Service {id: 'x'}) RETURN n.id", "merge (n:Service {id: 'x'}) RETURN n"):
        cypher = extract_cypher(text)
        assert cypher == text, "not cut down to its harmless RETURN"
        try:
            check_cypher(cypher, row_limit=10)
        except ValueError as exc:
            assert "only read-only queries are allowed" in str(exc)
        else:
            raise AssertionError("a write passed the check")
    # Prose that merely says "create" is not taken for a query.
    assert extract_cypher("I will create the query: MATCH (s:Service) RETURN s.id") == "MATCH (s:Service) RETURN s.id"
