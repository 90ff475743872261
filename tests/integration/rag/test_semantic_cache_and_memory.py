"""`ask` with the semantic cache and conversation memory, on the embedded backend and on a real Redis Stack.

The sample estate's nodes and edges are loaded once (no documents, no
language model: graph questions are answered by checked queries, so each
test is fast and its truth comes from the graph itself), then copied into
one home per backend. Every test runs against both backends.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.app.build import CACHES, HISTORIES
from opsgraph.embed import Embedder, create_embedder
from opsgraph.rag import Answer, Scope

BACKENDS = ["embedded", "redis"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("seed") / "home"
    off = Settings(home=home, embed={"provider": "none"}, llm={"provider": "none"}, cache={"backend": "none"}, memory={"backend": "none"})
    with OpsGraph(off) as og:
        og.ingest(sample_estate_path(), documents=False)
    return home


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    e = create_embedder("sentence-transformers", threads=1)
    yield e
    e.close()  # type: ignore[attr-defined]


def _options(backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    if backend == "embedded":
        return {"backend": "embedded"}
    # A fresh index prefix per module: runs never see each other's entries.
    return {"backend": "redis", "url": request.getfixturevalue("redis_url"), "name": f"t{uuid.uuid4().hex[:8]}"}


@pytest.fixture(scope="module", params=BACKENDS)
def og(request: pytest.FixtureRequest, seeded: Path, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsGraph]:
    home = tmp_path_factory.mktemp(request.param) / "home"
    shutil.copytree(seeded / "store", home / "store")
    cache = {**_options(request.param, request), "ttl": 3600}
    settings = Settings(home=home, embed={"provider": "sentence-transformers"}, llm={"provider": "none"}, cache=cache, memory={"backend": request.param})
    with OpsGraph(settings, embedder=embedder) as graph:
        yield graph


def cache_stage(answer: Answer) -> dict[str, Any]:
    return next(s.detail for s in answer.trace.stages if s.name == "cache")


def ids(rows: list[dict[str, Any]] | None) -> set[str]:
    return {r["id"] for r in rows or []}


def test_paraphrase_hits_unrelated_and_other_entity_miss(og: OpsGraph) -> None:
    user = "para"
    first = og.ask("Which services depend on paymentservice?", user=user)
    assert cache_stage(first)["outcome"] == "miss" and first.cached is None
    again = og.ask("Which services are dependent on paymentservice?", user=user)
    stage = cache_stage(again)
    assert stage["outcome"] == "hit" and 0 < stage["distance"] <= 0.1 and stage["age_s"] >= 0
    assert again.cached is not None and again.cached["matched"] == "Which services depend on paymentservice?"
    assert ids(again.rows) == ids(first.rows) == {"checkoutservice"}
    assert [s.name for s in again.trace.stages] == ["cache"]  # nothing was retrieved or generated
    assert cache_stage(og.ask("How do I restart the frontend after a bad deploy?", user=user))["outcome"] == "miss"
    # A near miss: close in embedding space, about another service. The entity guard refuses it.
    other = og.ask("Which services depend on cartservice?", user=user)
    assert cache_stage(other)["outcome"] == "miss" and other.cached is None
    truth = og.query("MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: 'cartservice'}) RETURN s.id AS id").rows
    assert ids(other.rows) == ids(truth)


def test_users_never_receive_each_others_answers(og: OpsGraph) -> None:
    question = "What breaks if redis-cart is down?"
    assert cache_stage(og.ask(question, user="alice@example.com"))["outcome"] == "miss"
    bob = og.ask(question, user="bob")
    assert cache_stage(bob)["outcome"] == "miss" and bob.cached is None
    assert cache_stage(og.ask(question, user="alice@example.com"))["outcome"] == "hit"
    assert cache_stage(og.ask(question, user="bob"))["outcome"] == "hit"


def test_stale_after_a_cited_node_changes_fresh_after_an_unrelated_change(og: OpsGraph) -> None:
    user = "fresh"
    rows_q, card_q = "Which services depend on paymentservice?", "Tell me about paymentservice"
    for q in (rows_q, card_q):
        og.ask(q, user=user)
    person = og.query("MATCH (p:Person {id: 'rachel.kim'}) RETURN properties(p) AS p").rows[0]["p"]
    og.store.upsert_nodes("Person", [{**person, "timezone": "Asia/Tokyo"}])  # what ingest does per batch
    for q in (rows_q, card_q):
        stage = cache_stage(og.ask(q, user=user))
        assert stage["outcome"] == "hit" and stage["freshness"].startswith("data changed"), stage
    service = og.query("MATCH (s:Service {id: 'checkoutservice'}) RETURN properties(s) AS p").rows[0]["p"]
    og.store.upsert_nodes("Service", [{**service, "name": "Checkout (v2)"}])
    try:
        rows = og.ask(rows_q, user=user)
        assert cache_stage(rows)["outcome"] == "stale" and "other rows" in cache_stage(rows)["passed_over"][0]["why"]
        assert "Checkout (v2)" in rows.text  # answered again from the graph
        card = og.ask(card_q, user=user)
        assert cache_stage(card)["outcome"] == "stale" and "checkoutservice changed" in cache_stage(card)["passed_over"][0]["why"]
        assert cache_stage(og.ask(rows_q, user=user))["outcome"] == "hit"  # the new answer was cached
    finally:
        og.store.upsert_nodes("Service", [service])


def test_a_follow_up_is_rewritten_from_the_session(og: OpsGraph) -> None:
    user = "chat"
    og.ask("Which services depend on paymentservice?", user=user, session="s1")
    follow = og.ask("And which team owns it?", user=user, session="s1")
    assert follow.standalone == "Which team owns paymentservice?"
    memory = next(s.detail for s in follow.trace.stages if s.name == "memory")
    assert memory["rule"] == "reference" and memory["resolved"] == {"it": "paymentservice"}
    assert memory["history"][0]["question"] == "Which services depend on paymentservice?"
    truth = og.query("MATCH (t:Team)-[:OWNS]->(:Service {id: 'paymentservice'}) RETURN t.id AS id").rows
    assert ids(follow.rows) == ids(truth) and truth
    other = og.ask("what about cartservice?", user=user, session="s1")
    assert other.standalone == "Which team owns cartservice?"
    assert ids(other.rows) == ids(og.query("MATCH (t:Team)-[:OWNS]->(:Service {id: 'cartservice'}) RETURN t.id AS id").rows)
    # Another session, or another user's session of the same name, has no history to resolve "it" from.
    assert og.ask("And which team owns it?", user=user, session="s2").standalone is None
    assert og.ask("And which team owns it?", user="someone-else", session="s1").standalone is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_entries_expire_after_their_ttl(backend: str, embedder: Embedder, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    opts = _options(backend, request)
    kind = opts.pop("backend")
    if kind == "embedded":
        opts["folder"] = tmp_path
    cache = CACHES[kind].split(":")
    factory = getattr(__import__(cache[0], fromlist=[cache[1]]), cache[1])
    c = factory(embedder, **opts)
    c.open()
    try:
        scope = Scope(tenant="ttl", user="u")
        c.store("Who is on call for paymentservice?", "rachel.kim", ttl=1, scope=scope)
        c.store("Which team owns paymentservice?", "team-payments", ttl=60, scope=scope)
        assert c.check("Who is on call for paymentservice?", scope=scope) is not None
        time.sleep(1.3)
        assert c.check("Who is on call for paymentservice?", scope=scope) is None
        assert c.check("Which team owns paymentservice?", scope=scope) is not None
        assert c.clear(scope) == 1
    finally:
        c.close()


def test_redis_history_keeps_turns_per_user_and_session(redis_url: str) -> None:
    module, attr = HISTORIES["redis"].split(":")
    history = getattr(__import__(module, fromlist=[attr]), attr)(redis_url, name=f"h{uuid.uuid4().hex[:8]}", max_turns=2)
    history.open()
    try:
        from opsgraph.rag import Turn

        alice, bob = Scope(user="alice@example.com"), Scope(user="bob")
        for i in range(3):
            history.append(alice, "s1", Turn(question=f"q{i}", standalone=f"q{i}", answer=f"a{i}"))
        history.append(bob, "s1", Turn(question="bob's", standalone="bob's"))
        assert [t.question for t in history.recent(alice, "s1", 5)] == ["q1", "q2"]
        assert [t.question for t in history.recent(bob, "s1", 5)] == ["bob's"]
        assert history.clear(alice) == 2 and history.recent(alice, "s1", 5) == []
        assert [t.question for t in history.recent(bob, "s1", 5)] == ["bob's"]
    finally:
        history.close()
