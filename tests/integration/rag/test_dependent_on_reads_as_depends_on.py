"""On the sample estate (real embedded store): "what is X dependent on?" asks what X depends on (not what depends on
X), and "directly ... all of it" asks for every direct dependency (not the chain through others).

Why: both were answered the other way round, as sure as a right answer (the adjudicated wrong answers of blind set b4,
session 8; these questions were written by a helper to reproduce the mistake with other services and wording).
"""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.app import OpsGraph
from opsgraph.app.ask import AskService


def _direct(og: OpsGraph, node: str, *, reverse: bool = False) -> set[str]:
    pattern = "(d)-[:DEPENDS_ON]->({id: $id})" if reverse else "({id: $id})-[:DEPENDS_ON]->(d)"
    return {r["id"] for r in og.query(f"MATCH {pattern} RETURN d.id AS id", {"id": node}).rows}


@pytest.mark.parametrize(
    ("question", "node", "reverse"),
    [
        ("what is the payment service directly dependent on?", "paymentservice", False),
        ("what is the cart service dependent on?", "cartservice", False),
        ("for the recommendation service, what does it depend on directly - all of it please", "recommendationservice", False),
        ("which services are dependent on redis-cart?", "redis-cart", True),
        ("which services are directly dependent on the payment service?", "paymentservice", True),
    ],
)
def test_dependent_on_is_the_direction_asked(sample_graph: tuple[OpsGraph, AskService], ask: Any, question: str, node: str, reverse: bool) -> None:
    og, _ = sample_graph
    a = ask(question)
    assert not a.abstained and {r["id"] for r in a.rows} == _direct(og, node, reverse=reverse), a.text


def test_all_of_it_without_directly_is_the_whole_chain(sample_graph: tuple[OpsGraph, AskService], ask: Any) -> None:
    og, _ = sample_graph
    a = ask("what does checkout depend on, all of it?")
    chain = {r["id"] for r in og.query("MATCH (:Service {id: 'checkoutservice'})-[:DEPENDS_ON*1..6]->(d) RETURN DISTINCT d.id AS id").rows}
    assert not a.abstained and {r["id"] for r in a.rows} == chain, a.text
