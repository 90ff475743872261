"""Follow-ups made standalone by rules, and the embedded session history."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from opsgraph.llm import FakeLanguageModel
from opsgraph.rag import EmbeddedHistory, FollowUpRewriter, Scope, Turn, TurnEntity
from opsgraph.rag.rewrite import type_words
from opsgraph.schema import GraphSchema

SCHEMA = GraphSchema.model_validate(
    {
        "version": 1,
        "name": "shop",
        "nodes": {"Service": {"properties": {}}, "Team": {"properties": {}}, "Datastore": {"properties": {}}, "ExternalService": {"properties": {}}},
        "edges": {"DEPENDS_ON": {"from": "Service", "to": "Service"}, "OWNS": {"from": "Team", "to": "Service"}},
    }
)
TYPES = {"paymentservice": "Service", "cartservice": "Service", "checkoutservice": "Service", "frontend": "Service",
         "redis-cart": "Datastore", "team-payments": "Team"}  # fmt: skip


@dataclass(frozen=True)
class Link:
    node_id: str
    node_type: str
    start: int
    end: int


class IdLinker:
    """Links the known ids where they are written (the real linker also does names and aliases)."""

    def link(self, text: str) -> list[Link]:
        out = []
        for node_id, t in TYPES.items():
            for m in re.finditer(rf"(?<![\w-]){re.escape(node_id)}(?![\w-])", text, re.I):
                out.append(Link(node_id, t, m.start(), m.end()))
        return sorted(out, key=lambda x: x.start)


def turn(standalone: str, question_ids: list[str], answer_ids: list[str] = ()) -> Turn:  # type: ignore[assignment]
    ents = [TurnEntity(id=i, type=TYPES[i], source="question") for i in question_ids]
    ents += [TurnEntity(id=i, type=TYPES[i], source="answer") for i in answer_ids]
    return Turn(question=standalone, standalone=standalone, entities=ents)


DEPENDANTS = turn("Which services depend on cartservice?", ["cartservice"], ["checkoutservice", "frontend"])
REWRITER = FollowUpRewriter(type_words(SCHEMA), linker=IdLinker())


@pytest.mark.parametrize(
    ("question", "standalone", "rule"),
    [
        ("and who owns it?", "Who owns cartservice?", "reference"),
        ("Which team owns its datastore?", "Which team owns cartservice's datastore?", "reference"),
        ("who owns them?", "Who owns checkoutservice and frontend?", "reference"),
        ("And who is on call for those services?", "Who is on call for checkoutservice and frontend?", "reference"),
        ("which team owns that service?", "Which team owns cartservice?", "reference"),
        ("who owns that?", "Who owns cartservice?", "reference"),
        ("what about paymentservice?", "Which services depend on paymentservice?", "ellipsis"),
        ("and redis-cart?", "Which services depend on redis-cart?", "ellipsis"),
        ("And for the paymentservice service too?", "Which services depend on paymentservice?", "ellipsis"),
        ("and who owns paymentservice?", "and who owns paymentservice?", "none"),
        ("Which services depend on paymentservice?", "Which services depend on paymentservice?", "none"),
        ("Who is on call for the services that depend on paymentservice?", "Who is on call for the services that depend on paymentservice?", "none"),
    ],
)
def test_rules(question: str, standalone: str, rule: str) -> None:
    out = REWRITER.rewrite(question, [DEPENDANTS])
    assert (out.question, out.rule) == (standalone, rule)
    if rule != "none":
        assert out.turns_used == [{"question": DEPENDANTS.standalone, "entities": ["cartservice", "checkoutservice", "frontend"]}]


def test_the_type_word_picks_the_entity_of_that_type() -> None:
    owner = turn("Which team owns paymentservice?", ["paymentservice"], ["team-payments"])
    assert REWRITER.rewrite("who is on call for that team?", [owner]).question == "Who is on call for team-payments?"
    assert REWRITER.rewrite("what does the service depend on?", [owner]).question == "what does the service depend on?"  # not at the end
    assert REWRITER.rewrite("who is on call for the team?", [owner]).question == "Who is on call for team-payments?"


def test_a_single_answer_entity_stands_for_it_when_the_question_named_none() -> None:
    t = turn("Which datastore is most critical?", [], ["redis-cart"])
    assert REWRITER.rewrite("who owns it?", [t]).question == "Who owns redis-cart?"


def test_the_latest_turn_with_entities_is_used_within_the_window() -> None:
    chat = Turn(question="thanks", standalone="thanks")
    assert REWRITER.rewrite("who owns it?", [DEPENDANTS, chat]).question == "Who owns cartservice?"
    narrow = FollowUpRewriter(type_words(SCHEMA), linker=IdLinker(), window=1)
    assert narrow.rewrite("who owns it?", [DEPENDANTS, chat]).question == "who owns it?"


def test_nothing_to_resolve_from_leaves_the_question_and_says_so() -> None:
    out = REWRITER.rewrite("who owns it?", [])
    assert (out.question, out.rule) == ("who owns it?", "no history")
    t = turn("Which datastore is most critical?", [], ["redis-cart", "team-payments"])
    out = REWRITER.rewrite("who owns it?", [t])
    assert out.question == "who owns it?" and out.unresolved == ["it"]


def test_without_a_linker_ids_in_the_previous_question_are_found_literally() -> None:
    plain = FollowUpRewriter(type_words(SCHEMA))
    assert plain.rewrite("and who owns it?", [DEPENDANTS]).question == "Who owns cartservice?"


def test_the_model_is_asked_only_for_what_rules_leave_unresolved() -> None:
    llm = FakeLanguageModel("Who owns redis-cart and team-payments?")
    rewriter = FollowUpRewriter(type_words(SCHEMA), linker=IdLinker(), llm=llm)
    assert rewriter.rewrite("and who owns it?", [DEPENDANTS]).rule == "reference" and not llm.calls
    t = turn("Which datastore is most critical?", [], ["redis-cart", "team-payments"])
    out = rewriter.rewrite("who owns it?", [t])
    assert (out.question, out.rule) == ("Who owns redis-cart and team-payments?", "llm") and len(llm.calls) == 1


def test_history_is_per_scope_and_session_and_trimmed(tmp_path: object) -> None:
    history = EmbeddedHistory(None, max_turns=2)
    history.open()
    alice, bob = Scope(user="alice"), Scope(user="bob")
    for i in range(3):
        history.append(alice, "s1", Turn(question=f"q{i}", standalone=f"q{i}"))
    history.append(bob, "s1", Turn(question="bob's", standalone="bob's"))
    assert [t.question for t in history.recent(alice, "s1", 5)] == ["q1", "q2"]
    assert [t.question for t in history.recent(bob, "s1", 5)] == ["bob's"]
    assert history.recent(alice, "s2", 5) == []
    assert history.clear(alice) == 2 and history.recent(alice, "s1", 5) == []
    with pytest.raises(ValueError, match="session"):
        history.recent(alice, "bad session", 1)
