"""Runbook questions that say a symptom and ask who to page, or name an action, on the sample estate (real embedded
store, `rag/symptom_ask.py`): "catalog db maxed out, who do I page" gets the runbook's *Escalation* section, not only
the component's on-call rotation; "who do I page for checkout" still gets the rotation; a quote that never takes the
action asked for ("how do we roll back the shipping service") is no answer, and neither is the rotation for a
question that also asks what to check.

Why: issue 14 (session 10). The paging step answered symptom questions with the rotation and dropped the symptom
("catalog db maxed out, who do I page"); a quote that named the service but rolled nothing back was shown.
The session's shared sample home (conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    ("question", "document"),
    [
        ("catalog db maxed out, who do I page", "docs/product-catalog-db-connection-exhaustion.md"),
        ("ledger db ran out of space, who do I page", "docs/payments-ledger-db-disk-and-replication.md"),
        ("place order hangs for ages, who do I page", "docs/checkout-latency-slo-burn.md"),
    ],
)
def test_who_to_page_for_a_symptom_is_the_runbooks_escalation(ask: Any, question: str, document: str) -> None:
    answer = ask(question)
    assert answer.kind == "quote" and not answer.abstained, answer.text
    top = answer.sections[0]
    assert top["document"] == document and top["section"].endswith("> Escalation"), top


@pytest.mark.parametrize("question", ["who do I page for checkout?", "redis-cart is down, who should I call?"])
def test_who_to_page_for_a_component_failing_is_still_the_rotation(ask: Any, question: str) -> None:
    answer = ask(question)
    assert answer.kind == "page" and not answer.abstained, answer.text


@pytest.mark.parametrize(
    "question",
    [
        "how do we roll back the shipping service",  # the checkout runbook names shipping but rolls nothing back
        "fraud detection is flagging every order as risky, who do I call and what do I check first",  # two asks
    ],
)
def test_no_answer_that_leaves_the_ask_out(ask: Any, question: str) -> None:
    answer = ask(question)
    assert answer.abstained, answer.text


def test_an_action_asked_gets_the_section_that_takes_it(ask: Any) -> None:
    answer = ask("can I just bump max_connections on the catalog db")
    assert answer.kind == "quote" and answer.sections[0]["section"].endswith("> Mitigation"), answer.sections
