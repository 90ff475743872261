"""Incident shorthand ("outages", "IC", "sev") is written as the schema's words, from the schema's `incidents:` section
and the stored values only; a conditional outage, an everyday two-letter word and a schema without incidents are left
as they are (`rag/incident_words.py`)."""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.rag.compose import ValueHit
from opsgraph.rag.incident_words import incident_word, initialisms, numbered_prefixes, plain_incident_words
from opsgraph.schema import GraphSchema

SCHEMA: dict[str, Any] = {
    "version": 1,
    "name": "tiny-incidents",
    "nodes": {
        "Service": {"properties": {"name": "string"}},
        "Person": {"properties": {"name": "string"}},
        "PostMortem": {"name_property": "title", "properties": {"title": "string", "priority": "string", "opened": "datetime"}},
    },
    "edges": {
        "HIT": {"from": "PostMortem", "to": "Service"},
        "WORKED_ON": {"from": "Person", "to": "PostMortem", "properties": {"role": "string"}},
    },
    "incidents": {"type": "PostMortem", "affected": "HIT", "caused_by": None, "start": "opened", "end": None},
}


def _index(*hits: ValueHit) -> dict[str, list[ValueHit]]:
    out: dict[str, list[ValueHit]] = {}
    for h in hits:
        out.setdefault(h.value.lower(), []).append(h)
    return out


VALUES = _index(
    ValueHit("PostMortem", "priority", "prio1"),
    ValueHit("PostMortem", "priority", "prio2"),
    ValueHit("WORKED_ON", "role", "lead-investigator", on_edge=True),
    ValueHit("WORKED_ON", "role", "communications", on_edge=True),
    ValueHit("WORKED_ON", "role", "helper", on_edge=True),
)


@pytest.fixture
def schema() -> GraphSchema:
    return GraphSchema.model_validate(SCHEMA)


def test_outages_are_the_incident_types_word(schema: GraphSchema) -> None:
    assert incident_word(schema) == "post mortem"
    assert plain_incident_words("which outages hit checkout?", schema, VALUES) == "which post mortems hit checkout?"
    assert plain_incident_words("how long did the checkout outage last?", schema, VALUES) == "how long did the checkout post mortem last?"


def test_an_outage_that_may_happen_is_a_failure_not_an_incident(schema: GraphSchema) -> None:
    for q in ("if redis has an outage, what breaks?", "blast radius of a cart outage?", "what would an outage of checkout take down?",
              "what happens on an outage of payments?"):  # fmt: skip
        assert plain_incident_words(q, schema, VALUES) == q
    # "an outage" (no definite word) is no incident either, even after one ("the impact of an outage of X").
    assert plain_incident_words("what is the impact of an outage of kafka?", schema, VALUES) == "what is the impact of an outage of kafka?"
    assert plain_incident_words("is there an outage right now?", schema, VALUES) == "is there an outage right now?"


def test_no_incidents_section_no_outage_words(schema: GraphSchema) -> None:
    bare = GraphSchema.model_validate({k: v for k, v in SCHEMA.items() if k != "incidents"})
    assert incident_word(bare) is None
    assert plain_incident_words("which outages hit checkout?", bare, {}) == "which outages hit checkout?"


def test_initials_of_a_stored_value_are_its_words(schema: GraphSchema) -> None:
    assert initialisms(VALUES) == {"li": "lead investigator"}
    assert plain_incident_words("who was LI on the outage?", schema, VALUES) == "who was lead investigator on the post mortem?"
    assert plain_incident_words("who was li for PM-1?", schema, VALUES) == "who was lead investigator for PM-1?"


def test_initials_are_not_read_when_ambiguous_or_an_everyday_word(schema: GraphSchema) -> None:
    values = _index(ValueHit("WORKED_ON", "role", "in-charge", on_edge=True), ValueHit("WORKED_ON", "role", "on-site", on_edge=True),
                    ValueHit("WORKED_ON", "role", "on-sight", on_edge=True))  # fmt: skip
    assert initialisms(values) == {"ic": "in charge"}  # 'on-site' and 'on-sight' share "os"
    assert plain_incident_words("who was on site? anything in PM-1", schema, values) == "who was on site? anything in PM-1"
    values = _index(ValueHit("WORKED_ON", "role", "in-charge", on_edge=True), ValueHit("WORKED_ON", "role", "ic", on_edge=True))
    assert initialisms(values) == {}  # "ic" is itself a stored value


def test_letters_every_value_starts_with_name_the_property(schema: GraphSchema) -> None:
    assert numbered_prefixes(VALUES) == {"prio": "priority"}
    assert plain_incident_words("what prio was PM-1?", schema, VALUES) == "what priority was PM-1?"
    assert plain_incident_words("any prio1s?", schema, VALUES) == "any prio1s?"  # a value is left as written
    mixed = _index(ValueHit("PostMortem", "priority", "prio1"), ValueHit("PostMortem", "priority", "urgent"))
    assert numbered_prefixes(mixed) == {}


def test_a_clipping_is_written_out_only_when_the_full_word_is_a_value(schema: GraphSchema) -> None:
    assert plain_incident_words("who ran comms for PM-1?", schema, VALUES) == "who ran communications for PM-1?"
    assert plain_incident_words("is it infra?", schema, VALUES) == "is it infra?"


def test_a_kind_of_trouble_is_that_kind_of_incident(schema: GraphSchema) -> None:
    values = {**VALUES, "deploy": [ValueHit("PostMortem", "cause_kind", "deploy")], "blue": [ValueHit("Service", "colour", "blue")]}
    assert plain_incident_words("any deploy issues?", schema, values) == "any deploy post mortems?"
    assert plain_incident_words("how many were deploy problems?", schema, values) == "how many were deploy post mortems?"
    assert plain_incident_words("any blue issues?", schema, values) == "any blue issues?"  # not a value of the incident type
    assert plain_incident_words("did checkout ever have an outage?", schema, VALUES) == "did checkout ever have an outage?"
    assert plain_incident_words("did checkout ever have a post mortem?", schema, VALUES) == "did checkout have a post mortem?"
    assert plain_incident_words("have we ever had a prio1?", schema, VALUES) == "have we had a prio1?"


def test_an_outage_now_or_ranked_by_an_unmeasured_word_is_left_alone(schema: GraphSchema) -> None:
    for q in ("are there any outages right now?", "any outages currently open?", "what was the worst outage?", "biggest outages this year?",
              "is there an ongoing outage?"):  # fmt: skip
        assert plain_incident_words(q, schema, VALUES) == q


def test_incidents_now_are_the_open_ones(schema: GraphSchema) -> None:
    assert plain_incident_words("any ongoing post mortems?", schema, VALUES) == "any open post mortems?"
    assert plain_incident_words("are there any post mortems right now?", schema, VALUES) == "are there any post mortems open?"
    assert plain_incident_words("any post mortems at the moment?", schema, VALUES) == "any post mortems open?"
    assert plain_incident_words("who is on call right now?", schema, VALUES) == "who is on call right now?"
