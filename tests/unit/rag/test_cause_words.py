"""Everyday cause, fix and impact phrases about an incident are written as the schema's words (`rag/cause_words.py`),
from the schema's `incidents:` section, its types and property descriptions and the linked entities only; a phrase
about no incident, a word for a kind of thing no type has, and a schema without incidents are left as they are."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opsgraph.rag.cause_words import plain_cause_words
from opsgraph.schema import GraphSchema

SCHEMA: dict[str, Any] = {
    "version": 1,
    "name": "tiny-postmortems",
    "nodes": {
        "Service": {"properties": {"name": "string"}},
        "Datastore": {"properties": {"name": "string"}},
        "PostMortem": {
            "name_property": "title",
            "properties": {
                "title": {"type": "string", "description": "One line."},
                "trigger": {"type": "string", "description": "Kind of trigger."},
                "story": {"type": "string", "description": "What happened and how it was fixed."},
                "buyer_effect": {"type": "string", "description": "What buyers experienced."},
                "opened": {"type": "datetime", "description": "When it began."},
            },
        },
    },
    "edges": {
        "HIT": {"from": "PostMortem", "to": ["Service", "Datastore"]},
        "ROOTED_IN": {"from": "PostMortem", "to": ["Service", "Datastore"]},
    },
    "incidents": {"type": "PostMortem", "affected": "HIT", "caused_by": "ROOTED_IN", "start": "opened", "end": None},
}


@dataclass(frozen=True)
class Link:
    node_id: str
    node_type: str
    surface: str
    start: int
    end: int
    score: float = 1.0


def _linker(*named: tuple[str, str, str]) -> Any:
    """A linker finding each (surface, id, type) where its surface is written."""

    def links(text: str) -> Sequence[Link]:
        out = []
        for surface, node_id, node_type in named:
            m = re.search(re.escape(surface), text)
            if m:
                out.append(Link(node_id, node_type, surface, m.start(), m.end()))
        return out

    return links


PM = _linker(("PM-7", "PM-7", "PostMortem"), ("orders", "orders", "Service"))


def _plain(q: str, links: Any = PM, schema: dict[str, Any] = SCHEMA) -> str:
    return plain_cause_words(q, GraphSchema.model_validate(schema), links)


def test_fault_and_culprit_of_an_incident_ask_its_cause() -> None:
    assert _plain("which component was at fault in PM-7?") == "what caused PM-7?"
    assert _plain("what was the culprit in PM-7") == "what caused PM-7"
    assert _plain("what failed in PM-7?") == "what caused PM-7?"
    assert _plain("what failed in the last postmortem?") == "what caused the last postmortem?"
    # A type's word is kept, so the cause is filtered to it (a datastore is never given as "the service").
    assert _plain("which service was to blame for PM-7?") == "which service caused PM-7?"


def test_near_miss_fault_of_no_incident_or_of_an_unknown_kind_is_left_alone() -> None:
    for q in ("which component was at fault in orders?", "what failed in orders yesterday?", "which team was at fault in PM-7?"):
        assert _plain(q) == q


def test_broke_prod_last_time_is_the_cause_of_the_most_recent_incident() -> None:
    assert _plain("what broke prod last time?") == "what caused the most recent post mortem?"
    assert _plain("what took down production most recently") == "what caused the most recent post mortem"
    assert _plain("what broke prod?") == "what broke prod?"  # no order: which incident is not said


def test_ever_caused_an_outage_asks_for_any_incident_caused() -> None:
    assert _plain("has orders ever caused an outage?") == "has orders caused any post mortems?"


def test_kind_of_a_property_is_the_property() -> None:
    assert _plain("what kind of trigger was PM-7?") == "what trigger was PM-7?"
    assert _plain("what kind of database is orders?") == "what kind of database is orders?"


def test_fix_and_happened_read_the_property_whose_description_says_so() -> None:
    assert _plain("how did they fix PM-7?") == "what was the story of PM-7?"
    assert _plain("what happened in PM-7?") == "what was the story of PM-7?"
    assert _plain("what happened in orders?") == "what happened in orders?"  # no incident named


def test_what_people_saw_reads_the_property_naming_them() -> None:
    assert _plain("what did buyers see during PM-7?") == "what was the buyer effect of PM-7?"
    assert _plain("what did engineers see during PM-7?") == "what did engineers see during PM-7?"  # no property names them


def test_a_schema_without_incidents_is_left_alone() -> None:
    schema = {**SCHEMA, "incidents": None}
    for q in ("which component was at fault in PM-7?", "how did they fix PM-7?", "what broke prod last time?"):
        assert _plain(q, schema=schema) == q


def test_why_a_component_went_down_in_an_incident_asks_its_cause() -> None:
    assert _plain("why did orders go down in PM-7?") == "what caused PM-7?"
    assert _plain("why was orders slow during the last postmortem") == "what caused the last postmortem"
    assert _plain("why did PM-7 happen?") == "what caused PM-7?"
    # Near misses: no incident named after "in", or no incident at all.
    assert _plain("why did orders go down in the morning?") == "why did orders go down in the morning?"
    assert _plain("why did orders go down?") == "why did orders go down?"
