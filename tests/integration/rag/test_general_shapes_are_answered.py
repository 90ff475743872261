"""Question shapes `ask` used to abstain from on the dev4 set, on the sample estate (real embedded store), now answered
right, each by a query that explains every word: an either-way idiom ("directly or not") read as a walk through
others, the asker's "do I use for" read away from the dependency edge, a question over a whole type with no entity
named, a dependency followed to a target type ("end up relying on"), a value naming its type ("the sev1s"), a property
of one entity's edges ("shift end"). The session's shared home (conftest.py); a hashing embedder stands in for MiniLM."""

from __future__ import annotations

from typing import Any


def _ids(answer: Any) -> set[Any]:
    return {r.get("id") for r in answer.rows or []}


def test_directly_or_not_counts_the_dependents_through_others(ask: Any) -> None:
    a = ask("how many services depend on productcatalogservice, directly or not?")
    assert not a.abstained and a.rows == [{"n": 4}] and "*1.." in (a.cypher or "")


def test_the_slack_channel_used_for_a_team_is_its_property(ask: Any) -> None:
    a = ask("which Slack channel do I use for the Payments team?")
    assert not a.abstained and a.rows == [{"slack_channel": "#team-payments"}]


def test_everyone_on_call_and_the_sev1s_are_whole_types(ask: Any) -> None:
    everyone = ask("list everyone currently on call")
    assert not everyone.abstained and {"rachel.kim", "marcus.bell"} <= _ids(everyone) and "priya.raman" not in _ids(everyone)
    sev1 = ask("list the sev1s")
    assert not sev1.abstained and _ids(sev1) == {"INC-2047", "INC-2066"}


def test_what_the_frontend_ends_up_relying_on_is_the_chain(ask: Any) -> None:
    a = ask("which datastores does the frontend end up relying on?")
    direct = ask("which datastores does the frontend rely on?")
    assert not a.abstained and "redis-cart" in _ids(a) and _ids(direct) < _ids(a)


def test_an_on_call_shift_end_is_a_property_of_the_persons_edges(ask: Any) -> None:
    a = ask("when does Marcus's on-call shift end?")
    # The value, with the team the shift is for (a bare time does not say whose shift it is).
    assert not a.abstained and [set(r) for r in a.rows] == [{"team", "shift_end"}] and a.rows[0]["shift_end"]


def test_who_owns_the_kafka_topics_is_the_owning_teams(ask: Any) -> None:
    a = ask("who owns the Kafka topics?")
    assert not a.abstained and _ids(a) and all(str(i).startswith("team-") for i in _ids(a)) and "o.broker" in (a.cypher or "")
