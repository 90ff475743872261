"""Risk questions in everyday words are read for what they ask of the scores (`rag/risk_ask.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from opsgraph.rag.answering import RiskRow, RiskView
from opsgraph.rag.compose import ValueHit
from opsgraph.rag.risk_ask import asks_risk, data_age, read_risk_ask
from opsgraph.schema import GraphSchema

VALUES = {"critical": [ValueHit("Service", "tier", "critical")], "primary": [ValueHit("ON_CALL_FOR", "rotation", "primary", on_edge=True)]}


@dataclass
class _Link:
    node_id: str
    node_type: str
    surface: str
    start: int = 0


class _Linking:
    """Links the names given (the answerer's `links` is all `asks_risk` reads)."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def links(self, question: str) -> list[Any]:
        return [_Link(node, "Service", surface) for surface, node in self.names.items() if surface in question.lower()]


def _read(schema: GraphSchema, q: str, named: dict[str, str] | None = None) -> Any:
    named = named or {}
    return read_risk_ask(q, list(named.values()), list(named), schema, VALUES)


@pytest.mark.parametrize(
    "q", ["is checkout ok?", "how's checkout looking", "is checkout about to fall over?", "should I worry about checkout?", "why is checkout flagged?",
          "anything about to fall over?", "is anything red?", "why is checkout red?", "why does checkout look so risky?",
          "is checkout struggling?", "is anything looking shaky right now?", "is anything struggling?", "are we in good shape?", "which services are unhealthy", "which is riskier, checkout or frontend?"]
)
def test_everyday_risk_wording_is_a_risk_question(q: str) -> None:
    assert asks_risk(q, _Linking({"checkout": "checkoutservice", "frontend": "frontend"}))  # type: ignore[arg-type]


@pytest.mark.parametrize("q", ["is it ok to restart checkout?", "what does checkout depend on?", "is the billing thing ok?", "who owns checkout?"])
def test_other_questions_are_not_risk_questions(q: str) -> None:
    assert not asks_risk(q, _Linking({"checkout": "checkoutservice"}))  # type: ignore[arg-type]


def test_top_n_the_riskiest_one_and_plural_lists(schema: GraphSchema) -> None:
    assert _read(schema, "top 3 riskiest services").top == 3
    assert _read(schema, "give me the top two services most likely to fail").top == 2
    assert _read(schema, "what's the riskiest service?").top == 1
    assert _read(schema, "what's most likely to break next").top == 1
    assert _read(schema, "which services are the riskiest?").top is None  # those at risk, not one


def test_types_and_values_are_read_to_filter_on(schema: GraphSchema) -> None:
    ask = _read(schema, "which critical services are at risk?")
    assert ask.types == ["Service"] and ask.values == ["critical"] and not ask.unknown
    assert _read(schema, "which datastore looks worst?").types == ["Datastore"]


def test_healthy_listing_is_not_read_as_the_risky_ones(schema: GraphSchema) -> None:
    assert _read(schema, "which services are healthy?").healthy_list
    assert not _read(schema, "which services are unhealthy?").healthy_list
    assert not _read(schema, "is checkout healthy?", {"checkout": "checkoutservice"}).healthy_list


@pytest.mark.parametrize(
    "q", ["will checkout be healthy on black friday?", "what's the risk of a data breach in checkout?", "is the billing service healthy?",
          "which service is least likely to fail?", "which services are not at risk?", "is the primary checkout ok?",
          "which services that checkout depends on are at risk?"]
)
def test_words_the_scores_do_not_explain_refuse(schema: GraphSchema, q: str) -> None:
    assert _read(schema, q, {"checkout": "checkoutservice"}).unknown


def test_every_answer_says_how_old_its_data_is() -> None:
    view = RiskView([RiskRow("a", 0.9, True)], 0.5, 5, "v1", data_until=1_000_000)
    assert data_age(view, now=1_000_000 + 3 * 86400) == "computed on telemetry up to 1970-01-12T13:46:40Z, 3 days old"
    assert "unknown" in data_age(RiskView([], 0.5, 5))


@pytest.mark.parametrize("q", ["what is likely to break if checkout goes down?", "checkout is in trouble, what should I check?", "what will fail in the next 24 hours?"])
def test_what_a_failure_affects_or_an_action_is_no_risk_score(schema: GraphSchema, q: str) -> None:
    assert _read(schema, q, {"checkout": "checkoutservice"}).unknown
    assert not asks_risk("what is likely to break if checkout goes down?", _Linking({"checkout": "checkoutservice"}))  # type: ignore[arg-type]


def test_a_chat_marker_check_is_no_word_asked(schema: GraphSchema) -> None:
    assert not _read(schema, "quick check - is checkout healthy?", {"checkout": "checkoutservice"}).unknown
    assert _read(schema, "the 5 riskiest services").top == 5


def test_high_risk_is_risky_not_a_tier_and_low_risk_is_refused() -> None:
    schema = GraphSchema.model_validate({"version": 1, "name": "t", "nodes": {"Service": {"properties": {"tier": "string"}}}, "edges": {}})
    values = {"high": [ValueHit("Service", "tier", "high")], "low": [ValueHit("Service", "tier", "low")]}
    ask = read_risk_ask("which services are high risk?", [], [], schema, values)
    assert ask.values == [] and not ask.unknown
    assert read_risk_ask("which services are low risk?", [], [], schema, values).unknown


@pytest.mark.parametrize(
    "q", ["why is checkout at risk?", "what's driving checkout's risk score", "where does checkout's risk come from?", "what is behind checkout's risk?"]
)
def test_why_a_score_is_read_as_asking_for_its_drivers(schema: GraphSchema, q: str) -> None:
    ask = _read(schema, q, {"checkout": "checkoutservice"})
    assert ask.why and not ask.unknown and ask.named == ["checkoutservice"]


def test_behind_is_no_why_when_it_names_dependencies(schema: GraphSchema) -> None:
    ask = _read(schema, "which services behind checkout are at risk?", {"checkout": "checkoutservice"})
    assert not ask.why and ask.unknown == ["behind"]
