"""On the real embedded store: "which X have more than N Y" (a threshold on the number of neighbours over one relation)
is answered from the schema, on the sample estate and on the library catalogue (a schema the answering code was not
built around), as a list with each node's count, a count, or a yes/no; none passing is an answer ("No", 0). Questions
whose counted thing the graph does not hold, passive wording over an edge with one type at both ends, or a filter
with nothing found are abstained from.
The session's shared homes (conftest.py); a hashing embedder stands in for MiniLM so the module stays fast.
"""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.app import OpsGraph
from opsgraph.app.ask import AskService


def _asker(graph: tuple[OpsGraph, AskService]) -> Any:
    og, asker = graph
    schema = og.schema()
    return lambda q: asker.ask(q, schema, use_cache=False)


@pytest.fixture(scope="module")
def ask(sample_graph: tuple[OpsGraph, AskService]) -> Any:
    return _asker(sample_graph)


@pytest.fixture(scope="module")
def ask_library(library_graph: tuple[OpsGraph, AskService]) -> Any:
    return _asker(library_graph)


def test_a_list_with_each_count(ask: Any) -> None:
    got = ask("which services have more than 2 dependencies?")
    assert not got.abstained, got.text
    assert {r["id"]: r["n"] for r in got.rows} == {
        "checkoutservice": 8, "frontend": 8, "analytics-worker": 4, "fraud-detection": 4, "emailservice": 3, "paymentservice": 3,
    }  # fmt: skip
    assert "more than 2 DEPENDS_ON" in got.text and "(n: 8)" in got.text
    owners = ask("teams that own at least three services")
    assert {r["id"] for r in owners.rows} == {"team-orders", "team-storefront"}, owners.text
    # Zero neighbours pass "at most one": the service with no dependency is listed with 0.
    few = ask("which services have at most one dependency?")
    assert {r["id"]: r["n"] for r in few.rows} == {
        "adservice": 0, "cartservice": 1, "loadgenerator": 1, "recommendationservice": 1, "shippingservice": 1,
    }, few.text  # fmt: skip
    # "Others" are services; "used by" from a datastore's or topic's side.
    others = ask("which services depend on over 5 others?")
    assert {r["id"] for r in others.rows} == {"frontend", "checkoutservice"}, others.text
    topics = ask("which topics are used by more than 2 services?")
    assert {r["id"] for r in topics.rows} == {"order-events", "payment-events"}, topics.text


def test_a_count_and_a_yes_no(ask: Any) -> None:
    many = ask("how many services depend on more than 3 others?")
    assert not many.abstained and many.rows == [{"n": 2}], many.text
    none = ask("how many services have more than 10 dependencies?")
    assert not none.abstained and none.rows == [{"n": 0}], none.text
    no = ask("does any team own more than 5 services?")
    assert not no.abstained and no.rows == [{"answer": False}] and no.text.startswith("No"), no.text
    # "On call" asks for people, not whom to page for one team: everyone is on call for one team at most.
    paged = ask("who is on call for more than one team?")
    assert not paged.abstained and paged.rows == [], paged.text
    yes = ask("is there a team with more than 3 services?")
    assert not yes.abstained and {r["id"] for r in yes.rows} == {"team-orders", "team-storefront"}, yes.text
    assert all(r["answer"] is True for r in yes.rows) and yes.text.startswith("Yes")


def test_a_filter_is_kept_and_shown(ask: Any) -> None:
    got = ask("sev1 incidents that affected more than 2 services")
    assert {r["id"] for r in got.rows} == {"INC-2047", "INC-2066"}, got.text
    assert "severity sev1" in got.text


def test_the_library_catalogue(ask_library: Any) -> None:
    authors = ask_library("which authors wrote more than 3 books?")
    assert {r["id"]: r["n"] for r in authors.rows} == {"le-guin": 5, "tolkien": 5, "asimov": 4, "gaiman": 4, "pratchett": 4}, authors.text
    branches = ask_library("branches that hold at least 20 books")
    assert [r["id"] for r in branches.rows] == ["central-library"], branches.text
    one = ask_library("how many authors wrote exactly one book?")
    assert one.rows == [{"n": 14}], one.text


def test_near_misses_are_abstained(ask: Any) -> None:
    for q in (
        "which services have more than 2 open pull requests?",
        "which services had more than 5 deploys this month?",
        "which services are used by more than 2 services?",  # services at both ends: which end is counted is not read
        "critical services with more than 20 dependencies",  # a filter, and nothing found
        "which datastores have more than 100 tables?",
    ):
        got = ask(q)
        assert got.abstained, f"{q}: {got.text}"
