"""Impact and dependency questions on the sample estate (real embedded store): the wordings `ask` abstained from
(issue 14's field aggregates: impact answered least) are answered right, and their near misses still abstained.

Why: "if redis goes down what else breaks?", "what does checkout need to work?", "what are the upstream callers of
the cart service?", "if kafka dies who is impacted?", "what sits downstream of the frontend?", "what would a currency
service outage take down?", "is the catalog service a dependency of checkout?" were all "I can't answer that"; a
generic noun ("redis") must cover every entity it names, never one picked silently; a failure of something the
graph does not hold ("stripe", "a load balancer") must be abstained from, not answered by a runbook that mentions
the words. The session's shared home (conftest.py); a hashing embedder stands in for MiniLM so the module stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opsgraph.app import OpsGraph
from opsgraph.app.ask import AskService
from opsgraph.rag.evaluate import load_questions, run_eval
from opsgraph.store.cypher_guard import is_read_only

SET = Path(__file__).resolve().parents[2] / "fixtures" / "dev" / "ops_questions_dev6_impact.yaml"


@pytest.fixture(scope="module")
def home(sample_graph: tuple[OpsGraph, AskService]) -> tuple[OpsGraph, AskService]:
    return sample_graph

@pytest.fixture(scope="module")
def ask(home: tuple[OpsGraph, AskService]) -> Any:
    og, asker = home
    schema = og.schema()
    return lambda q: asker.ask(q, schema, use_cache=False)


def ids(answer: Any) -> set[Any]:
    assert answer.kind == "rows" and not answer.abstained, answer.text
    return {r.get("id") for r in answer.rows or []}


CHECKOUT_CHAIN = {"checkoutservice", "frontend", "loadgenerator"}


def test_a_failure_in_ops_words_is_what_depends_on_it_through_others(ask: Any) -> None:
    assert ids(ask("what would a currency service outage take down?")) == CHECKOUT_CHAIN
    assert ids(ask("what's the blast radius if the payments ledger db falls over?")) == {"paymentservice", *CHECKOUT_CHAIN}
    assert ids(ask("who gets hurt if the ecb feed is unreachable?")) == {"currencyservice", *CHECKOUT_CHAIN}
    assert ids(ask("what is the impact of productcatalogservice being slow?")) == {"recommendationservice", *CHECKOUT_CHAIN}


def test_a_generic_noun_is_answered_for_every_entity_it_names(ask: Any) -> None:
    a = ask("if redis goes down what else breaks?")
    assert ids(a) == {"cartservice", "checkoutservice", "currencyservice", "fraud-detection", "frontend", "loadgenerator", "productcatalogservice", "recommendationservice"}
    # Every Redis is named in the answer, and each row says through which.
    for redis in ("redis-cart", "catalog-cache", "currency-rates-cache", "fraud-feature-store"):
        assert redis in a.text.splitlines()[0]
    assert {tuple(r["via"]) for r in a.rows if r["id"] == "cartservice"} == {("redis-cart",)}
    kafka = ask("if kafka dies who is impacted?")
    assert ids(kafka) == {"analytics-worker", "fraud-detection", "emailservice", "paymentservice", *CHECKOUT_CHAIN}


def test_upstream_downstream_callers_and_needs_fix_the_direction(ask: Any) -> None:
    assert ids(ask("what are the upstream callers of the cart service?")) == {"frontend", "checkoutservice"}
    assert ids(ask("what is upstream of the payment service?")) == CHECKOUT_CHAIN
    downstream = ids(ask("what sits downstream of the frontend?"))
    assert {"checkoutservice", "orders-db", "payment-gateway", "redis-cart"} <= downstream and "loadgenerator" not in downstream
    assert ids(ask("what does checkout need to work?")) == {
        "cartservice", "currencyservice", "emailservice", "paymentservice", "productcatalogservice", "shippingservice", "orders-db", "order-events"
    }  # fmt: skip
    assert ids(ask("what does fraud-detection require?")) == {"order-events", "payment-events", "fraud-feature-store", "fraud-alerts"}


def test_a_dependency_between_two_entities_is_a_yes_or_no_with_its_chain(ask: Any) -> None:
    yes = ask("is the catalog service a dependency of checkout?")
    assert yes.text.startswith("Yes") and {r.get("answer") for r in yes.rows} == {True}
    assert yes.rows == [{"id": "productcatalogservice", "path": ["checkoutservice", "productcatalogservice"], "answer": True}]
    through = ask("does the frontend depend on the cart redis?")
    assert through.text.startswith("Yes") and through.rows[0]["path"] == ["frontend", "cartservice", "redis-cart"]
    no = ask("does checkout depend on the ad service?")
    assert no.text.startswith("No") and no.rows == [{"answer": False}]
    path = ask("how does the frontend reach the orders db?")
    assert [r["id"] for r in path.rows] == ["frontend", "checkoutservice", "orders-db"]


def test_near_misses_are_abstained(ask: Any) -> None:
    # Nothing the graph holds fails: no runbook quote stands in for what it takes down.
    for q in ("who gets hurt if stripe is down?", "what would a load balancer failure take down?", "which services depend on the vault secrets store?"):
        a = ask(q)
        assert a.abstained, f"{q!r}: {a.text}"
    # "the database" is one of five, and which is not said: abstained, every candidate listed (none picked silently).
    one = ask("if the database goes down what breaks?")
    assert one.abstained and all(x in one.text for x in ("orders-db", "payments-ledger-db", "product-catalog-db", "redis-cart", "assistant-vector-db"))
    # A failure question asking for more than the dependents is not answered by them.
    assert ask("if the orders db falls over, how much revenue do we lose?").abstained


def test_the_impact_dev_set_gold_is_true_and_answers_are_right_or_abstained(home: tuple[OpsGraph, AskService]) -> None:
    """The looked-at impact set (tests/fixtures/dev/ops_questions_dev6_impact.yaml, written before these rules): its gold
    finds rows, and `ask` is held to the issue's bars on it (it was 0.48 answered, 0.80 right before)."""
    og, asker = home
    items = load_questions(SET)
    assert len(items) == 46 and sum(not q.answerable for q in items) == 6
    assert len({q.q for q in items}) == len(items), "a question appears twice"
    for item in items:
        if item.gold is not None:
            assert is_read_only(item.gold), item.q
            assert og.query(item.gold, limit=10_000).rows, f"{item.q}: the gold query finds nothing"
    report = run_eval(lambda q: asker.ask(q, og.schema(), use_cache=False), items, gold_query=lambda c: list(og.query(c, limit=10_000).rows))
    s = report.summary()
    print(f"\ndev6 impact set: {s}")
    assert s["errors"] == 0
    assert s["accuracy_of_answered"] >= 0.9
    assert s["answered_share"] >= 0.7
    assert s["abstention_on_unanswerable"] >= 0.9
