"""On the sample estate (real embedded store): "who is primary for payments (this week)?" names the team by one bare
word next to a rotation, and is answered with that rotation only, as "who is on call for payments?" is.

Why: the team named by a bare word was found only when every other word was a paging word; "primary" (a value of
the on-call edge's rotation) and "this week" (the current rota) were left over, and the question was abstained.
"""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.app import OpsGraph
from opsgraph.app.ask import AskService


def _rota(og: OpsGraph, team: str, rotation: str) -> set[str]:
    cypher = "MATCH (p:Person)-[r:ON_CALL_FOR {rotation: $rot}]->(:Team {id: $team}) RETURN p.id AS id"
    return {r["id"] for r in og.query(cypher, {"rot": rotation, "team": team}).rows}


@pytest.mark.parametrize(
    ("question", "team", "rotation"),
    [
        ("who is primary for payments?", "team-payments", "primary"),
        ("who is primary for payments this week?", "team-payments", "primary"),
        ("who's secondary for catalog?", "team-catalog", "secondary"),
    ],
)
def test_a_rotation_and_a_bare_team_word_are_answered(sample_graph: tuple[OpsGraph, AskService], ask: Any, question: str, team: str, rotation: str) -> None:
    og, _ = sample_graph
    a = ask(question)
    assert not a.abstained, a.text
    assert {r["person"] for r in a.rows} == _rota(og, team, rotation) and {r["rotation"] for r in a.rows} == {rotation}


def test_a_rotation_without_a_team_is_still_abstained(ask: Any) -> None:
    assert ask("who is primary?").abstained
