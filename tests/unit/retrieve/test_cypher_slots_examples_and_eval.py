"""Slots, retrieved examples, execution accuracy and the writer's prompt, with no store and no model."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from memory_store import MemoryStore
from opsgraph.errors import QueryError
from opsgraph.llm import FakeLanguageModel
from opsgraph.retrieve.text2cypher import (
    CypherPair,
    CypherWriter,
    EvalItem,
    ExampleIndex,
    PromptStyle,
    Slot,
    SlotFinder,
    evaluate,
    is_ordered,
    normalise,
    rows_match,
)
from opsgraph.schema.words import plural
from opsgraph.store.base import QueryResult


@dataclass
class FakeLink:
    node_id: str
    node_type: str
    surface: str
    start: int
    end: int
    score: float = 1.0


class FakeLinker:
    """Links every known id or name found in the text (what the real linker does for exact mentions)."""

    def __init__(self, names: dict[str, tuple[str, str]]) -> None:
        self.names = names

    def link(self, text: str) -> list[FakeLink]:
        out = []
        for surface, (node_id, node_type) in self.names.items():
            at = text.find(surface)
            if at >= 0:
                out.append(FakeLink(node_id, node_type, surface, at, at + len(surface)))
        return out


FINDER = SlotFinder(
    FakeLinker({"checkoutservice": ("checkoutservice", "Service"), "Payment Service": ("paymentservice", "Service")}),
    {"critical": (("Datastore.tier", "critical"), ("Service.tier", "critical")), "go": (("Service.language", "Go"),)},
    {"service": "Service", "services": "Service", "datastores": "Datastore"},
)


def pair(template: str, cypher: str, slots: tuple[Slot, ...], pattern: str = "hop1-out") -> CypherPair:
    question = template
    for s in slots:
        question = question.replace(f"${s.name}", s.surface)
    return CypherPair(
        question=question, template=template, cypher=cypher, params={s.name: s.value for s in slots}, slots=slots,
        pattern=pattern, shape=f"{pattern}:x", phrasing=f"{pattern}/0", rows=1,
    )  # fmt: skip


def entity(name: str, label: str, value: str) -> Slot:
    return Slot(name=name, kind="entity", label=label, value=value, surface=value)


DEPS = pair("What does $p0 depend on?", "MATCH (:Service {id: $p0})-[:DEPENDS_ON]->(d) RETURN d.id AS id", (entity("p0", "Service", "cartservice"),))
OWNER = pair("Which team owns $p0?", "MATCH (t:Team)-[:OWNS]->(:Service {id: $p0}) RETURN t.id AS id", (entity("p0", "Service", "cartservice"),), "hop1-in")
CRIT = pair(
    "Which services are $p0?",
    "MATCH (s:Service) WHERE s.tier = $p0 RETURN s.id AS id",
    (Slot(name="p0", kind="value", label="Service.tier", value="critical", surface="critical"),),
    "filter",
)


def test_entities_and_values_become_numbered_parameters_in_order() -> None:
    q = FINDER.find("Which critical services does Payment Service call, and are any written in go?")
    assert q.template == "Which $p0 services does $p1 call, and are any written in $p2?"
    assert q.params == {"p0": "critical", "p1": "paymentservice", "p2": "Go"}, "stored spellings, not the question's"
    assert q.signature == ("value:Service.tier", "entity:Service", "value:Service.language")
    assert FINDER.find("Which datastores are critical?").slots[0].label == "Datastore.tier", "the type the question names wins"
    assert FINDER.find("nothing to see").template == "nothing to see"
    # A value inside a longer word or an id is not a slot.
    assert FINDER.find("Does goservice exist?").slots == ()


def test_plurals() -> None:
    assert [plural(w) for w in ("service", "category", "person", "external service", "box")] == [
        "services", "categories", "people", "external services", "boxes",
    ]  # fmt: skip


def test_nearest_examples_prefer_same_slot_types_and_show_distinct_queries() -> None:
    index = ExampleIndex([DEPS, OWNER, CRIT, DEPS])
    got = index.nearest("What does $p0 depend on?", ("entity:Service",), k=3)
    assert got[0] is DEPS and len({p.cypher for p in got}) == len(got) == 3
    assert index.nearest("Which services are $p0?", ("value:Service.tier",), k=1) == [CRIT]
    assert index.nearest("anything", (), k=0) == []


def test_rows_match_ignores_aliases_and_normalises_numbers_but_respects_order() -> None:
    assert rows_match([{"id": "a"}, {"x": "b"}], [["b"], ["a"]])
    assert rows_match([{"n": 6.0}], [[6]]) and normalise(True) == "true" and normalise([1.0, "a"]) == "[1,a]"
    assert not rows_match([{"id": "a"}], [["a"], ["b"]])
    assert not rows_match([{"id": "b"}, {"id": "a"}], [["a"], ["b"]], ordered=True)
    assert is_ordered("MATCH (n) RETURN n ORDER BY n.x DESC LIMIT 3") and not is_ordered("MATCH (n) RETURN n")


def engine_error(_: re.Match[str], __: Any) -> QueryResult:
    raise QueryError("Invalid input", cypher="")


def deps_store() -> MemoryStore:
    """Answers one known query; anything else is an engine error."""
    def deps(_: re.Match[str], params: Mapping[str, Any]) -> QueryResult:
        return QueryResult(columns=["id"], rows=[{"id": "redis-cart"}] if dict(params) == {"p0": "checkoutservice"} else [])

    return MemoryStore().answer(r"^MATCH \(:Service \{id: \$p0\}\)-\[:DEPENDS_ON\]->\(d\) RETURN d\.id AS id", deps).answer(r"", engine_error)


def test_the_writer_passes_slots_as_parameters_shows_examples_and_sends_the_grammar() -> None:
    model = FakeLanguageModel(["MATCH (:Service {id: $p0})-[:DEPENDS_ON]->(d) RETURN d.id AS id"])
    store = deps_store()
    grammars: list[tuple[str, ...]] = []

    def grammar(params: tuple[str, ...]) -> str:
        grammars.append(params)
        return 'root ::= "MATCH"'

    writer = CypherWriter(store, model, "schema", slots=FINDER, examples=ExampleIndex([DEPS, OWNER, CRIT]), grammar=grammar, style=PromptStyle(k=2))  # type: ignore[arg-type]
    out = writer.write("What does checkoutservice depend on?")
    assert out.ok and out.rows == [{"id": "redis-cart"}] and out.source == "model"
    assert store.calls[-1]["params"] == {"p0": "checkoutservice"}, "the value reached the store as a parameter"
    assert grammars == [("p0",)] and model.calls[0].settings.grammar == 'root ::= "MATCH"'
    turns = [m.content for m in model.calls[0].messages]
    assert turns[1] == "Question: What does $p0 depend on?\nParameters:\n$p0: the id of a Service", "the nearest example comes first"
    assert turns[-1] == turns[1], "the question is asked in the same form"
    assert "checkoutservice" not in "".join(turns), "the model never sees the value it must not re-type"
    assert out.trace()["slots"] == [{"name": "p0", "kind": "entity", "label": "Service", "surface": "checkoutservice"}]


def test_a_parameter_the_question_does_not_have_is_refused_and_repaired() -> None:
    model = FakeLanguageModel(["MATCH (s:Service {id: $p3}) RETURN s.id AS id", "MATCH (:Service {id: $p0})-[:DEPENDS_ON]->(d) RETURN d.id AS id"])
    writer = CypherWriter(deps_store(), model, "schema", slots=FINDER, examples=ExampleIndex([DEPS]), style=PromptStyle(k=1, grammar=False))  # type: ignore[arg-type]
    out = writer.write("What does checkoutservice depend on?")
    assert out.ok and out.attempts[0].error is not None and "unknown parameters $p3" in out.attempts[0].error


def test_without_a_model_the_nearest_same_shaped_example_is_reused() -> None:
    writer = CypherWriter(deps_store(), None, "schema", slots=FINDER, examples=ExampleIndex([OWNER, DEPS]), style=PromptStyle(k=3))  # type: ignore[arg-type]
    out = writer.write("What does checkoutservice depend on?")
    assert out.ok and out.source == "example" and out.rows == [{"id": "redis-cart"}]
    assert not writer.write("Which services are critical?").ok, "no example with that signature: no query"


def test_evaluate_counts_right_ran_and_patterns() -> None:
    writer = CypherWriter(deps_store(), None, "schema", slots=FINDER, examples=ExampleIndex([DEPS]), style=PromptStyle(k=1))  # type: ignore[arg-type]
    items = [
        EvalItem("What does checkoutservice depend on?", [["redis-cart"]], pattern="deps"),
        EvalItem("What does checkoutservice depend on?", [["other"]], pattern="deps"),
        EvalItem("Which services are critical?", [["x"]], pattern="filter"),
    ]
    rep = evaluate(writer.write, items)
    assert (rep.correct, rep.ran, rep.total) == (1, 2, 3)
    assert rep.by_pattern == {"deps": [1, 2], "filter": [0, 1]} and rep.accuracy == pytest.approx(1 / 3)
