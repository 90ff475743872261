"""Procedure questions that name a component and an action, and runbook sections named with their runbook, on the
sample estate (real embedded store, `rag/procedure_ask.py`): "how do we scale up the shipping service" is not
answered by the checkout runbook's *Mitigation* (which scales checkout out), "how do I restart the kafka-prod
brokers" not by a section that restarts nothing; "the mitigation part of the payments 5xx runbook" is that section,
from its start; a section of a runbook that does not exist is no answer.

Why: issue 14 (session 11, dev24_procedures). The quote gates counted the asked verb as held because *Mitigation* is
where runbooks put what to do, and a component a runbook is also for as its subject.
The session's shared sample home (conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    "question",
    [
        "how do we scale up the shipping service",
        "how do i restart the kafka-prod brokers",
        "the impact section of the ad service runbook",  # the ad service has no runbook
        "the checkout latency runbook rollback section",
    ],
)
def test_no_answer_when_the_action_or_the_runbook_is_elsewhere(ask: Any, question: str) -> None:
    answer = ask(question)
    assert answer.abstained, answer.text


@pytest.mark.parametrize(
    ("question", "document", "section"),
    [
        ("how do we scale up fraud-detection when it lags", "docs/kafka-order-events-consumer-lag.md", "Mitigation"),
        ("is it safe to restart currencyservice when the rates cache is empty?", "docs/currency-service-stale-rates.md", "Mitigation"),
        ("the mitigation part of the payments 5xx runbook pls", "docs/payment-service-elevated-5xx.md", "Mitigation"),
        ("frontend 502 runbook - what's the impact section say", "docs/frontend-502s-during-deploy.md", "Impact"),
        ("diagnosis steps in the ledger db runbook", "docs/payments-ledger-db-disk-and-replication.md", "Diagnosis"),
        # how to act on the problem itself: its runbook's *Mitigation*, never the *Symptoms* its words match best
        ("how do we deal with kafka consumer lag", "docs/kafka-order-events-consumer-lag.md", "Mitigation"),
        ("how do I get rid of the consumer lag on order events", "docs/kafka-order-events-consumer-lag.md", "Mitigation"),
        ("steps to clear kafka consumer lag", "docs/kafka-order-events-consumer-lag.md", "Mitigation"),
        ("the cart is throwing redis errors, help", "docs/cart-service-redis-cart-unavailable.md", "Mitigation"),
        # "usual", "normally", "standard procedure": how it is usually done is what the runbook says to do
        ("what's the usual fix when the product catalog db runs out of connections", "docs/product-catalog-db-connection-exhaustion.md", "Mitigation"),
        ("what do we normally do when payments throws 5xx", "docs/payment-service-elevated-5xx.md", "Mitigation"),
        ("what's the standard procedure when the ledger disk fills up", "docs/payments-ledger-db-disk-and-replication.md", "Mitigation"),
        # how bad a failure is: the component's runbook's *Impact* ("goes down" is the failure, not a word to find)
        ("how bad is it if redis-cart goes down", "docs/cart-service-redis-cart-unavailable.md", "Impact"),
        ("what do customers lose if the cart redis goes down", "docs/cart-service-redis-cart-unavailable.md", "Impact"),
        # routed to the graph ('impact'), two runbooks are the ledger's: the document search ranks them
        ("what's the impact if the ledger disk fills up", "docs/payments-ledger-db-disk-and-replication.md", "Impact"),
    ],
)
def test_the_section_that_takes_the_action_or_is_named(ask: Any, question: str, document: str, section: str) -> None:
    answer = ask(question)
    assert answer.kind == "quote" and not answer.abstained, answer.text
    top = answer.sections[0]
    assert top["document"] == document and top["section"].endswith(f"> {section}"), top


def test_a_named_section_is_quoted_from_its_start(ask: Any) -> None:
    answer = ask("the mitigation part of the payments 5xx runbook pls")
    assert "## Mitigation" in answer.text, answer.text


def test_library_procedure_without_a_runbook_is_abstained(library_ask: Any) -> None:
    answer = library_ask("how do we scale up the catalogue search, runbook mitigation section")
    assert answer.abstained, answer.text
