"""On the sample estate (real embedded store): an impact question that says how a component fails ("disk filling
up", "consumer lag", "throwing errors") is answered as a failure of that component, and when a runbook about that
component has the section the question asks for ("Impact"), that section is quoted under the dependents.

Why: "ledger db disk filling up, what's the impact?" was abstained ('disk', 'filling' unexplained) although the graph
holds what depends on the ledger db and its runbook has an Impact section on exactly that symptom. A symptom with no
impact frame ("which services are throwing errors?") asks for telemetry, and stays abstained.
"""

from __future__ import annotations

from typing import Any

from opsgraph.app import OpsGraph
from opsgraph.app.ask import AskService
from opsgraph.rag.impact import plain_impact_words, symptom_named


def _dependents(og: OpsGraph, node: str) -> set[str]:
    rows = og.query("MATCH (x:Service)-[:DEPENDS_ON*1..6]->(a {id: $id}) RETURN DISTINCT x.id AS id", {"id": node}).rows
    return {r["id"] for r in rows}


def test_symptoms_read_as_failing_only_in_an_impact_question() -> None:
    assert symptom_named("orders db is throwing errors, what breaks?")
    assert "fails" in plain_impact_words("if the orders db is throwing errors, what breaks?")
    assert not symptom_named("which services are throwing errors?")
    assert "throwing" in plain_impact_words("which services are throwing errors?")


def test_a_symptom_with_a_runbook_section_gives_both(sample_graph: tuple[OpsGraph, AskService], ask: Any) -> None:
    og, _ = sample_graph
    a = ask("ledger db disk filling up, what's the impact?")
    assert not a.abstained and a.kind == "quote", a.text
    assert {r["id"] for r in a.rows} == _dependents(og, "payments-ledger-db")
    top = a.sections[0]
    assert top["document"].endswith("payments-ledger-db-disk-and-replication.md") and top["section"].endswith("Impact")


def test_a_symptom_without_such_a_section_gives_the_dependents(sample_graph: tuple[OpsGraph, AskService], ask: Any) -> None:
    og, _ = sample_graph
    a = ask("if the orders db is throwing errors, what breaks?")
    assert not a.abstained and {r["id"] for r in a.rows} == _dependents(og, "orders-db"), a.text


def test_a_symptom_without_an_impact_frame_is_not_answered_from_dependencies(ask: Any) -> None:
    a = ask("which services are throwing errors?")
    assert a.abstained and not a.rows
