"""`chain_page.read_target`: a paging question whose target is more than the entity it names is read as a list
question of its own; the plain paging question ("who's on call for checkout?") is left to the paging query."""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsgraph.rag.chain_page import read_target
from opsgraph.rag.lexicon import Lexicon
from opsgraph.rag.oncall import OnCallEdge
from opsgraph.schema import GraphSchema

_NAMES = {
    "checkout": ("checkoutservice", "Service"),
    "the cart": ("cartservice", "Service"),
    "payments": ("team-payments", "Team"),
    "INC-2047": ("INC-2047", "Incident"),
}


@dataclass(frozen=True)
class _Link:
    node_id: str
    node_type: str
    surface: str


class _Answerer:
    """What `read_target` reads of an Answerer: links by surface, the on-call edge, the schema and its lexicon."""

    def __init__(self, schema: GraphSchema, lexicon: Lexicon) -> None:
        self.schema, self.lexicon = schema, lexicon

    def links(self, text: str) -> list[_Link]:
        return [_Link(i, t, s) for s, (i, t) in _NAMES.items() if re.search(re.escape(s), text, re.I)]

    def oncall_edge(self) -> OnCallEdge:
        return OnCallEdge("ON_CALL_FOR", "Person", "Team", "rotation")


def test_a_target_with_a_type_and_a_relation_is_a_list_question(schema: GraphSchema, lexicon: Lexicon) -> None:
    a = _Answerer(schema, lexicon)
    got = read_target("who's on call for the datastores the cart uses?", a)  # type: ignore[arg-type]
    assert got is not None and got.sub_question == "list the datastores the cart uses" and not got.count
    got = read_target("how many people are on call for services that depend on checkout?", a)  # type: ignore[arg-type]
    assert got is not None and got.sub_question == "list services that depend on checkout" and got.count


def test_a_target_naming_no_type_is_everything_it_reaches(schema: GraphSchema, lexicon: Lexicon) -> None:
    a = _Answerer(schema, lexicon)
    got = read_target("who is on call for the stuff that checkout depends on?", a)  # type: ignore[arg-type]
    assert got is not None and got.sub_question == "list everything that checkout depends on"
    got = read_target("who do I page if whatever caused INC-2047 dies?", a)  # type: ignore[arg-type]
    assert got is not None and got.sub_question == "list everything that caused INC-2047"  # the failure is paging for it


def test_the_plain_paging_question_is_left_to_the_paging_query(schema: GraphSchema, lexicon: Lexicon) -> None:
    a = _Answerer(schema, lexicon)
    for q in (
        "who's on call for checkout?",
        "who do I page if checkout dies?",
        "who's on call for the checkout service?",  # the entity's own type word is part of its name
        "who's on call for the team that owns checkout?",  # the team and its ownership are the paging query's own walk
        "which services depend on checkout?",  # no paging lead
    ):
        assert read_target(q, a) is None, q  # type: ignore[arg-type]


def test_a_word_before_on_call_is_kept_as_the_rotation_asked(schema: GraphSchema, lexicon: Lexicon) -> None:
    got = read_target("who's primary on call for the services checkout calls?", _Answerer(schema, lexicon))  # type: ignore[arg-type]
    assert got is not None and got.rotation == "primary" and got.sub_question == "list the services checkout calls"
