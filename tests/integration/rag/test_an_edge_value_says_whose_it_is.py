"""A property of the edge between two named components says which edge it is of, and a bare word after a dependency
word names the component whose alias it is (`contexted.py`), on the real sample estate."""

from __future__ import annotations

from typing import Any


def test_the_timeout_checkout_uses_for_payments(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    gold = og.query(
        "MATCH (:Service {id: 'checkoutservice'})-[r:DEPENDS_ON]->(:Service {id: 'paymentservice'}) RETURN r.timeout_ms AS t"
    ).rows
    for q in ("whats the timeout checkout uses for payments", "what's the timeout checkout uses for the payment service?"):
        a = ask(q)
        assert not a.abstained, (q, a.text)
        assert a.kind == "rows" and a.cypher and "DEPENDS_ON" in a.cypher, (q, a.kind, a.text)
        assert a.text.startswith("Checkout Service (checkoutservice) depends on Payment Service (paymentservice): timeout_ms = ")
        assert gold and str(gold[0]["t"]) in a.text
