"""Runbook questions in the engineer's own words on the sample estate (real embedded store, `rag/runbook_ask.py`):
the symptom described and the ask in everyday verbs get the component's runbook section for that ask, quoted
verbatim; a component without such a runbook, a symptom its runbook is not about, or a word no runbook holds gets
no quote.

Why: issue 14. "The cart cache fell over, what do I do" shares too few words with any section for the word-overlap
quote, though its component (linked, with a runbook through RUNBOOK_FOR), its symptom and its ask are all clear. The
session's shared sample home (conftest.py); a hashing embedder stands in for MiniLM.
"""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.app import sample_estate_path


@pytest.mark.parametrize(
    ("question", "document", "section"),
    [
        ("the cart cache fell over, what do I do", "docs/cart-service-redis-cart-unavailable.md", "Mitigation"),
        ("rates look old, what do I check first", "docs/currency-service-stale-rates.md", "Diagnosis"),
        ("orders piling up in kafka, what do I do", "docs/kafka-order-events-consumer-lag.md", "Mitigation"),
        ("fraud scoring is way behind on orders, who do I tell", "docs/kafka-order-events-consumer-lag.md", "Escalation"),
        ("analytics worker is behind on order events, how bad is that", "docs/kafka-order-events-consumer-lag.md", "Impact"),
        # The word-overlap quote opened the runbook's first section; the ask ("how bad") is its Impact section.
        ("how bad is it if the fx rates are a day old", "docs/currency-service-stale-rates.md", "Impact"),
    ],
)
def test_the_asked_section_of_the_components_runbook_is_quoted(ask: Any, question: str, document: str, section: str) -> None:
    answer = ask(question)
    assert answer.kind == "quote" and not answer.abstained, answer.text
    top = answer.sections[0]
    assert top["document"] == document and top["section"].endswith(f"> {section}"), top
    source = (sample_estate_path() / document).read_text()
    quoted = [ln for ln in answer.text.splitlines()[1:] if ln.strip() and not ln.startswith(("See also: ", "[... the section"))]
    assert quoted and all(ln in source for ln in quoted)


@pytest.mark.parametrize(
    "question",
    [
        "ad service is throwing 500s, what do I do",  # no runbook is for the ad service
        "the fraud redis fell over, how do I fix it",  # nor for the fraud feature store
        "shipping labels aren't printing, how do I fix it",  # the runbook covering shipping never speaks of printing
        "checkout is completely down, what do I do",  # checkout's runbook is about latency, not an outage
        "payment-events consumers are way behind, how do I fix it",  # the lag runbook is another topic's
    ],
)
def test_no_quote_when_the_component_symptom_or_words_do_not_fit(ask: Any, question: str) -> None:
    answer = ask(question)
    assert answer.kind != "quote", answer.text
