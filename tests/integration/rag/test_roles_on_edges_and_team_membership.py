"""People asked for by a role stored on an edge, and being on a team in everyday words, on the real sample estate and
the library catalogue (`opsgraph.rag.edge_roles`, `opsgraph.rag.member_words`): answered with the holders of that role
only, and abstained where a word is left over or the role is not what is asked."""

from __future__ import annotations

from typing import Any

import pytest


def _ids(answer: Any) -> set[str]:
    return {str(r["id"]) for r in answer.rows or []}


@pytest.mark.parametrize(
    ("question", "ids"),
    [
        ("which SREs are on the platform team?", {"tomasz.nowak", "wei.zhang", "jordan.price", "fatima.benali"}),
        ("who are the managers?", {"amara.okafor", "hannah.lee", "david.cohen", "sam.taylor"}),
        ("who are all the tech leads", {"diego.ramirez", "priya.raman", "olu.adeyemi", "arjun.mehta", "emma.johansson"}),
        ("any embedded SREs in the orders team?", {"tomasz.nowak"}),
        ("who's Lena's manager?", {"amara.okafor"}),
        ("who's the lead of the team that owns fraud detection?", {"emma.johansson"}),
        ("who manages the team behind the cart service?", {"hannah.lee"}),
    ],
)
def test_the_holders_of_a_role_are_answered(ask: Any, question: str, ids: set[str]) -> None:
    a = ask(question)
    assert not a.abstained, a.text
    assert _ids(a) == ids, a.text


def test_a_role_is_counted(ask: Any) -> None:
    a = ask("how many SREs does platform have?")
    assert not a.abstained and a.rows == [{"n": 4}], a.text
    assert "sre" in a.text  # the count says which role it counted, not "members of Platform SRE" (five)


@pytest.mark.parametrize(
    "question",
    [
        "which SREs are not on the platform team?",  # a negation
        "who was the manager of the payments team last year?",  # another time
        "who manages Lena?",  # a person named without "'s": whose manager is not said
        "is Sam Taylor an engineer?",  # yes or no, not "who"
        "which engines do the datastores run?",  # "engine" is no 'engineer'
        "who responded to INC-2041?",  # the edge's own verb, not its 'responder' role (everyone who responded)
    ],
)
def test_other_questions_are_not_read_as_a_role(ask: Any, question: str) -> None:
    a = ask(question)
    assert a.abstained or "edge roles" not in [s.name for s in a.trace.stages], a.text


@pytest.mark.parametrize(
    ("question", "ids"),
    [
        ("list everyone on the catalog team pls", {"arjun.mehta", "chloe.martin", "ben.carter"}),
        ("what team does Priya work in?", {"team-orders"}),
    ],
)
def test_being_on_a_team_is_answered_as_membership(ask: Any, question: str, ids: set[str]) -> None:
    a = ask(question)
    assert not a.abstained, a.text
    assert _ids(a) == ids, a.text


@pytest.mark.parametrize(("question", "yes"), [("is Ben on the catalog team?", True), ("is Ben on the payments team?", False)])
def test_being_on_a_team_is_asked_yes_or_no(ask: Any, question: str, yes: bool) -> None:
    a = ask(question)
    assert not a.abstained, a.text
    assert a.text.startswith("Yes" if yes else "No"), a.text


def test_a_role_of_another_schema_is_read_and_its_type_is_no_role(library_ask: Any) -> None:
    a = library_ask("who are the co-authors of Good Omens?")
    assert not a.abstained and _ids(a) == {"gaiman", "pratchett"}, a.text
    # "authors" are every author, not the ones whose role is 'co-author'.
    every = library_ask("who are the authors?")
    assert "edge roles" not in [s.name for s in every.trace.stages], every.text


@pytest.mark.parametrize(
    ("question", "prop", "value"),
    [
        ("what timezone is the secondary on call for risk & data in?", "timezone", "Europe/Berlin"),
        ("what's the location of the primary on call for payments?", "location", "San Francisco"),
    ],
)
def test_a_property_of_the_person_on_call_is_shown(ask: Any, question: str, prop: str, value: str) -> None:
    # Before, the paging answer went without the property asked for (a right-looking answer to another question).
    a = ask(question)
    assert not a.abstained, a.text
    assert [r.get(prop) for r in a.rows] == [value], a.text


def test_who_as_a_verbs_subject_is_not_what_the_team_owns(ask: Any) -> None:
    # "Who runs the payments team?" asks for a person; what the team owns (its objects) is no answer to "who".
    a = ask("who runs the payments team?")
    assert a.abstained or not _ids(a) & {"paymentservice", "currencyservice"}, a.text
    owner = ask("who owns checkout?")  # the subject asked for, with the anchor the object: the owning team
    assert not owner.abstained and _ids(owner) == {"team-orders"}, owner.text
