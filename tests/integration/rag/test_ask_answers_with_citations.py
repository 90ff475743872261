"""`ask` end to end on the sample estate: real store, real MiniLM embeddings, real SmolLM2.

One module-scoped home is filled once (nodes, edges, runbooks chunked,
embedded and linked); each test asks one question and checks the answer
against the graph itself, not against hand-written expectations alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgraph.app import OpsGraph, Settings, sample_estate_path


@pytest.fixture(scope="module")
def og(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsGraph]:
    home = tmp_path_factory.mktemp("ask") / "home"
    settings = Settings(home=home, embed={"provider": "sentence-transformers"}, llm={"provider": "llamacpp", "threads": 2, "max_tokens": 120})
    with OpsGraph(settings) as graph:
        graph.ingest(sample_estate_path())
        yield graph


def ids(rows: list[dict]) -> set[str]:
    return {r["id"] for r in rows}


def test_dependants_come_from_a_checked_query(og: OpsGraph) -> None:
    answer = og.ask("Which services depend on paymentservice?")
    truth = og.query("MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: 'paymentservice'}) RETURN s.id AS id").rows
    assert answer.rows is not None and ids(answer.rows) == ids(truth)
    assert answer.cypher and "$anchor" in answer.cypher  # the entity went in as a parameter
    assert {c.source_id for c in answer.citations} == ids(truth)


def test_impact_question_follows_dependencies_transitively(og: OpsGraph) -> None:
    answer = og.ask("What breaks if redis-cart is down?")
    truth = og.query("MATCH (s:Service)-[:DEPENDS_ON*1..6]->(:Datastore {id: 'redis-cart'}) RETURN DISTINCT s.id AS id").rows
    assert answer.rows is not None and ids(answer.rows) == ids(truth)
    assert {"cartservice", "checkoutservice", "frontend"} <= ids(answer.rows)


def test_multi_hop_on_call_question(og: OpsGraph) -> None:
    answer = og.ask("Who is on call for the services that depend on paymentservice?")
    truth = og.query(
        "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: 'paymentservice'}) MATCH (t:Team)-[:OWNS]->(s) "
        "MATCH (p:Person)-[:ON_CALL_FOR]->(t) RETURN DISTINCT p.id AS id"
    ).rows
    assert answer.rows is not None and ids(answer.rows) == ids(truth) and truth


def test_runbook_question_is_quoted_from_the_runbook(og: OpsGraph) -> None:
    # Default `llm.answers: extractive`: the best-matching section verbatim, no generation.
    answer = og.ask("How do I mitigate redis-cart evictions?")
    assert not answer.route.graph and answer.route.docs
    assert answer.kind == "quote" and answer.sections
    assert answer.sections[0]["document"] == "docs/cart-service-redis-cart-unavailable.md"
    context_ids = {c.source_id for c in answer.context}
    assert {c.source_id for c in answer.citations} <= context_ids
    names = [s.name for s in answer.trace.stages]
    assert {"retrieve:vector", "retrieve:fulltext", "fuse", "quote"} <= set(names)
    assert "generate" not in names


def test_unknown_entity_is_abstained(og: OpsGraph) -> None:
    answer = og.ask("Which services depend on the moon base?")
    assert answer.rows is None and answer.abstained
    # The one-step query built for it is refused (the words it leaves unexplained are named), and not run.
    refused = [s for s in answer.trace.stages if s.name == "compose"]
    assert refused and "'moon'" in str(refused[0].detail["refused"]) and "rows" not in refused[0].detail
    pipeline = [s.name for s in answer.trace.stages if s.name not in ("memory", "cache", "cache store", "compose")]
    assert pipeline[:3] == ["route", "shape", "retrieve:schema_path"]
    assert "moon" in answer.text  # the abstention says which words the graph could not explain


def test_empty_home_gives_a_clear_error(tmp_path: Path) -> None:
    from opsgraph.app.ask import NothingIngestedError

    with OpsGraph(Settings(home=tmp_path / "empty", embed={"provider": "none"}, llm={"provider": "none"})) as empty:
        with pytest.raises(NothingIngestedError, match="opsgraph ingest"):
            empty.ask("anything?")
