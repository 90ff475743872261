"""Risk and health questions in everyday words, on the sample estate in the real embedded store, answered from given
risk scores (`rag/risk_ask.py`): one component's score for a question about one, the first N, the type and the value
named, the healthy ones when those are asked for, the data's age always, and a refusal for what the scores do not hold."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from opsgraph.app import OpsGraph
from opsgraph.app.ask import AskService
from opsgraph.errors import OpsGraphError
from opsgraph.rag.answering import RiskRow, RiskView
from opsgraph.rag.pipeline import Answer
from opsgraph.rag.risk_ask import MovedMetric, RiskWhy

_SCORES = [("checkoutservice", 0.97, True), ("frontend", 0.95, True), ("loadgenerator", 0.67, False), ("paymentservice", 0.01, False),
           ("cartservice", 0.002, False), ("shippingservice", 0.001, False), ("adservice", 0.0, False)]
_UNTIL = int(time.time()) - 3 * 86400


@pytest.fixture(scope="module")
def risk_ask(sample_graph: tuple[OpsGraph, AskService]) -> Iterator[Callable[[str], Answer]]:
    og, asker = sample_graph
    view = RiskView([RiskRow(n, p, r) for n, p, r in _SCORES], 0.88, 5, "v0007", data_until=_UNTIL)
    scored = AskService(og.store, asker.settings, embedder=og.embedder, llm=None, risk=lambda: view)
    schema = og.schema()
    try:
        yield lambda q: scored.ask(q, schema, use_cache=False)
    finally:
        scored.close()


def _ids(a: Answer) -> list[str]:
    return [str(r["id"]) for r in a.rows or []]


def test_one_component_is_answered_with_its_own_score_and_the_datas_age(risk_ask: Any) -> None:
    for q, node, state in [("is checkout ok?", "checkoutservice", "is at risk"), ("should I worry about the cart?", "cartservice", "is not at risk"),
                           ("is the shipping service healthy right now", "shippingservice", "is not at risk")]:
        a = risk_ask(q)
        assert a.kind == "risk" and _ids(a) == [node], q
        assert state in a.text and "3 days old" in a.text, a.text


def test_the_estate_the_top_n_and_a_value_named(risk_ask: Any) -> None:
    assert _ids(risk_ask("anything about to fall over?")) == ["checkoutservice", "frontend"]
    assert _ids(risk_ask("top 3 riskiest services")) == ["checkoutservice", "frontend", "loadgenerator"]
    assert _ids(risk_ask("what's the riskiest service?")) == ["checkoutservice"]
    # tier 'critical': checkout, frontend, payments, cart are critical; the load generator is not.
    assert _ids(risk_ask("which critical services are the riskiest?")) == ["checkoutservice", "frontend"]
    assert _ids(risk_ask("top 3 critical services most likely to fail")) == ["checkoutservice", "frontend", "paymentservice"]
    healthy = _ids(risk_ask("which services are healthy?"))
    assert "checkoutservice" not in healthy and "adservice" in healthy


@pytest.mark.parametrize(
    "q", ["which datastore looks worst?", "is redis-cart at risk?", "will checkout be healthy on black friday?", "is the billing service healthy?",
          "what's the risk of a data breach in the fraud service?", "which service is least likely to fail?", "which services are not at risk?"]
)
def test_what_the_scores_do_not_hold_is_refused(risk_ask: Any, q: str) -> None:
    assert risk_ask(q).abstained, q


def test_the_named_ones_own_type_word_asks_nothing_more(risk_ask: Any) -> None:
    for q in ["is the checkout service ok?", "how's the frontend service looking", "is cart service healthy?"]:
        a = risk_ask(q)
        assert a.kind == "risk" and len(_ids(a)) == 1 and not a.abstained, (q, a.text)


def _explained(sample_graph: tuple[OpsGraph, AskService], explain: Callable[[str], RiskWhy]) -> Callable[[str], Answer]:
    og, asker = sample_graph
    view = RiskView([RiskRow(n, p, r) for n, p, r in _SCORES], 0.88, 5, "v0007", data_until=_UNTIL, explain=explain)
    scored = AskService(og.store, asker.settings, embedder=og.embedder, llm=None, risk=lambda: view)
    schema = og.schema()
    return lambda q: scored.ask(q, schema, use_cache=False)


def test_why_one_component_is_at_risk_shows_what_moved_and_the_attention_path(sample_graph: tuple[OpsGraph, AskService]) -> None:
    asked: list[str] = []

    def explain(node: str) -> RiskWhy:
        asked.append(node)
        return RiskWhy([MovedMetric("paymentservice", "error_rate", 0.004, 0.34, _UNTIL - 600)],
                       [("checkoutservice", "paymentservice", 0.61)], "the last 10 steps against the 60 before")

    ask = _explained(sample_graph, explain)
    a = ask("what's driving checkout's risk?")
    assert asked == ["checkoutservice"] and a.kind == "risk" and not a.abstained
    assert "Payment Service (paymentservice): error_rate 0.004 -> 0.34, x85" in a.text, a.text
    assert "Checkout Service (checkoutservice) <- Payment Service (paymentservice) (attention 0.61)" in a.text
    assert (a.rows or [])[0]["attention_path"] == [{"dependant": "checkoutservice", "dependency": "paymentservice", "attention": 0.61}]
    assert "3 days old" in a.text
    # "why" over many components has no one explanation: refused, not answered with a list.
    assert ask("why are so many services at risk?").abstained


def test_why_without_an_explanation_says_where_to_look(sample_graph: tuple[OpsGraph, AskService]) -> None:
    def explain(node: str) -> RiskWhy:
        raise OpsGraphError(f"{node} has no telemetry in the store")

    a = _explained(sample_graph, explain)("why is checkout flagged?")
    assert not a.abstained and "opsgraph risk explain" in a.text and "at risk" in a.text
