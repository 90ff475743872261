"""Incident causes, fixes and customer impact asked in everyday words ("at fault", "what broke prod last time", "ever
caused an outage", "what happened in", "what did customers see") are answered right on the real sample estate, and
a kind of cause the incident did not have, or an incident the estate lacks, is abstained (`rag/cause_words.py`)."""

from __future__ import annotations

from typing import Any


def _values(answer: Any, column: str) -> list[Any]:
    return [r.get(column) for r in answer.rows]


def test_at_fault_and_to_blame_are_the_cause(ask: Any) -> None:
    a = ask("which datastore was to blame for INC-2075?")
    assert not a.abstained, a.text
    assert _values(a, "id") == ["payments-ledger-db"]
    a = ask("which component was at fault in INC-2097?")
    assert not a.abstained, a.text
    assert _values(a, "id") == ["redis-cart"]


def test_a_kind_of_cause_the_incident_did_not_have_is_not_answered(ask: Any) -> None:
    # INC-2075 was caused by a datastore: "which service" must not be answered with it (nor with "none").
    a = ask("which service was at fault in INC-2075?")
    assert a.abstained, a.text
    a = ask("which component was at fault in INC-3000?")
    assert a.abstained, a.text


def test_what_broke_prod_last_time_is_the_cause_of_the_newest_incident(ask: Any) -> None:
    a = ask("what took down production last time?")
    assert not a.abstained, a.text
    assert _values(a, "cause") == ["fraud-detection"]
    a = ask("what failed in the last sev1?")
    assert not a.abstained, a.text
    assert _values(a, "cause") == ["redis-cart"]


def test_ever_caused_an_outage_is_yes_or_no_on_the_cause_edge(ask: Any) -> None:
    a = ask("has redis-cart ever caused an outage?")
    assert not a.abstained and a.text.startswith("Yes"), a.text
    a = ask("has checkout ever caused an outage?")  # hit by seven incidents, the cause of none
    assert not a.abstained and a.text.startswith("No"), a.text


def test_what_happened_and_what_customers_saw_are_the_incident_texts(ask: Any) -> None:
    a = ask("what happened in the fraud model rollout incident?")
    assert not a.abstained, a.text
    assert "renamed feature" in str(_values(a, "summary")[0])
    a = ask("what did customers see during INC-2075?")
    assert not a.abstained, a.text
    assert "15% of orders" in str(_values(a, "customer_impact")[0])


def test_why_it_went_down_in_an_incident_is_its_cause(ask: Any, sample_graph: Any) -> None:
    og = sample_graph[0]
    cause = og.query("MATCH (:Incident {id: 'INC-2101'})-[:CAUSED_BY]->(c) RETURN c.id AS id").rows
    a = ask("why did checkout go down in INC-2101")
    assert not a.abstained and cause and all(r["id"] in a.text for r in cause), a.text
    b = ask("why did INC-2041 happen?")
    assert not b.abstained and "Cart Redis (redis-cart)" in b.text, b.text
