"""Incident questions with a time or an order, on the sample estate (real embedded store): "the last incident on
checkout", "the most recent sev1", "the longest incident", "incidents in March 2026", "what happened before the ledger
incident", "who handled the last sev1" are answered from the schema's timeline (`rag/timed.py`), ties kept and the
window stated; a window outside the stored incidents, a change the store holds no history of, or a time not read is
abstained from.

Why: issue 14's everyday questions about incidents over time were all abstained, or answered with every incident of
the component (the order word explained by an `ORDER BY id`). The session's shared sample home (conftest.py); a
hashing embedder stands in for MiniLM. Relative windows ("this year", "last week") are asked of an `Answerer` with a
fixed clock, so the test does not depend on the day it runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from opsgraph.app import OpsGraph
from opsgraph.app.ask import AskService
from opsgraph.ingest.documents import DOCUMENT_TYPES
from opsgraph.rag.answering import Answerer, Outcome
from opsgraph.rag.trace import Trace

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def home(sample_graph: tuple[OpsGraph, AskService]) -> tuple[Any, Any]:
    og, asker = sample_graph
    schema = og.schema()
    answerer = Answerer(og.store, schema, linker=asker.current_linker(schema), skip_types=tuple(DOCUMENT_TYPES), clock=lambda: NOW)

    def at_now(q: str) -> Outcome | None:
        return answerer.compose(q, answerer.shape(q), Trace())

    return (lambda q: asker.ask(q, schema, use_cache=False)), at_now


def _ids(answer: Any) -> list[Any]:
    return sorted(r.get("id") for r in answer.rows or [])


def test_the_latest_and_the_first_incident_of_a_component_or_a_severity(home: tuple[Any, Any]) -> None:
    ask, _ = home
    last = ask("what was the last incident on checkout?")
    assert not last.abstained and _ids(last) == ["INC-2101"], last.text
    assert last.text.startswith("The most recent incident that affected Checkout Service (checkoutservice):")
    assert _ids(ask("most recent sev1?")) == ["INC-2066"]
    assert _ids(ask("earliest incident on redis-cart?")) == ["INC-2041"]
    when = ask("when did the payment gateway last have an incident?")
    assert [r["started_at"] for r in when.rows or []] == ["2026-01-19T14:03:00Z"], when.text


def test_the_longest_by_the_duration_the_schema_describes_from_the_start(home: tuple[Any, Any]) -> None:
    ask, _ = home
    longest = ask("longest incident?")
    assert _ids(longest) == ["INC-2053"] and longest.rows[0]["duration_minutes"] == 1595, longest.text
    assert _ids(ask("which was the longest sev2?")) == ["INC-2089"]


def test_a_month_with_its_year_and_a_count_in_it(home: tuple[Any, Any]) -> None:
    ask, _ = home
    march = ask("incidents in March 2026")
    assert _ids(march) == ["INC-2071", "INC-2075", "INC-2080", "INC-2084"], march.text
    assert "in March 2026" in march.text.splitlines()[0]
    assert ask("how many incidents did we have in April 2026?").rows == [{"n": 4}]


def test_before_and_after_another_incident_and_who_handled_it(home: tuple[Any, Any]) -> None:
    ask, _ = home
    assert _ids(ask("what happened before the ledger incident?")) == ["INC-2071"]
    assert _ids(ask("what was the incident before INC-2089?")) == ["INC-2084"]
    after = ask("which incidents happened after INC-2089?")
    assert _ids(after) == ["INC-2093", "INC-2097", "INC-2101", "INC-2106"], after.text
    people = ask("who handled the last sev1?")
    assert _ids(people) == ["fatima.benali", "hannah.lee", "sofia.costa", "tomasz.nowak"], people.text
    commander = ask("who was the incident commander on the most recent checkout incident?")
    assert _ids(commander) == ["sam.taylor"], commander.text
    cause = ask("what caused the last checkout incident?")
    assert [r.get("cause") for r in cause.rows or []] == ["order-events"], cause.text


def test_relative_windows_are_read_against_the_clock_and_stated(home: tuple[Any, Any]) -> None:
    _, at_now = home
    year = at_now("how many incidents hit the payment service this year?")
    assert year is not None and year.rows == [{"n": 2}]
    assert "this year (2026-01-01 to 2026-12-05); today is 2026-12-05 by the system clock" in year.rendered.header
    week = at_now("anything happen last week?")
    assert week is not None and week.abstained
    assert any("last week (2026-11-23 to 2026-11-29) is outside them" in line for line in week.rendered.lines), week.rendered.text


@pytest.mark.parametrize(
    "question",
    [
        "incidents in November 2026?",
        "how many incidents did we have in 2025?",
        "what changed on checkout recently?",
        "when did checkout's version last change?",
        "what got deployed to the cart service yesterday?",
        "when was the last postmortem review for INC-2047?",
        "what had the most incidents in March 2026?",
        "the last time checkout was the root cause",
    ],
)
def test_what_the_store_holds_no_time_or_history_for_is_abstained(home: tuple[Any, Any], question: str) -> None:
    ask, _ = home
    assert ask(question).abstained, question
