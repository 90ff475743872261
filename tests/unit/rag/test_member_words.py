"""Being on a team in everyday words (`opsgraph.rag.member_words`): rewritten as the membership the graph steps read,
and left alone where the words mean something else."""

from __future__ import annotations

import pytest

from opsgraph.rag.member_words import plain_member_words


@pytest.mark.parametrize(
    ("everyday", "plain"),
    [
        ("list everyone on the catalog team pls", "who is in the catalog team pls"),
        ("who is everybody in the storefront team", "who is in the storefront team"),
        ("is Ben on the catalog team?", "is Ben a member of the catalog team?"),
        ("is Chloe in the payments squad too?", "is Chloe a member of the payments squad too?"),
        ("what team does Priya work in?", "what team is Priya a member of?"),
        ("which team does Olu belong to?", "which team is Olu a member of?"),
        ("which team is Marcus on?", "which team is Marcus a member of?"),
    ],
)
def test_being_on_a_team_is_a_membership(everyday: str, plain: str) -> None:
    assert plain_member_words(everyday) == plain


@pytest.mark.parametrize(
    "question",
    [
        "is Ben on call for the catalog team?",  # paging, not membership
        "who's on the payments rota this week?",
        "is Ben on the catalog db?",  # no team word: what "on" means is not said
        "list everyone who responded to INC-2041",
        "what does Priya work on?",
    ],
)
def test_other_words_are_left_alone(question: str) -> None:
    assert plain_member_words(question) == question
