"""`opsgraph eval` counts why answerable questions were abstained, with the questions' own words masked.

A blind set's figures may be read, its questions not: the reasons must carry the refusal's shape (which step, which
check) and none of the words, names or numbers the question used.
"""

from __future__ import annotations

from opsgraph.rag import Answer, Route, Trace
from opsgraph.rag.evaluate import EvalQuestion, reason_of, run_eval
from opsgraph.rag.trace import Stage

WHY = (
    "I can't answer that from the graph.\n"
    "Why: compose: the one-step query 'MATCH (a:Person {id: $anchor})-[r:ON_CALL_FOR]->(x:Team) RETURN x.id AS id' "
    "explains no part of the question's 'moment', 'rotation'; schema_path: 'pager schedule' names pager_schedule, "
    "which the query does not read\nWhat the graph holds about the entities named:\nPerson rachel.kim: name=Rachel Kim"
)


def test_a_reason_keeps_the_check_and_masks_the_question() -> None:
    q = "Is Rachel Kim on call at the moment, and what is her pager schedule rotation for 2026?"
    reasons = reason_of(q, WHY)
    assert reasons == (
        "compose: the one-step query '…' explains no part of the question '…' (2 words)",
        "schema_path: '…' names ‹schema›, which the query does not read",
    )
    text = " ".join(reasons).lower()
    for word in ("rachel", "kim", "moment", "rotation", "pager", "schedule", "2026", "person", "on_call_for"):
        assert word not in text


def test_question_words_outside_quotes_are_masked_too() -> None:
    (reason,) = reason_of("what breaks when the ledger goes down", "Why: impact: nothing depends on ledger here")
    assert reason == "impact: nothing depends on … here"


def test_without_a_why_line_the_last_stages_are_the_reason() -> None:
    assert reason_of("q", "I can't answer that from the graph.", ["cache", "route", "fuse", "quote"]) == (
        "(no reason given; last stages: fuse > quote)",
    )


def _answer(text: str, kind: str, rows: list[dict[str, str]] | None = None) -> Answer:
    trace = Trace([Stage("route"), Stage("compose")])
    return Answer("q", text, [], [], Route(True, False, "x"), trace, rows=rows, kind=kind, abstained=kind == "abstain")


def test_the_report_counts_reasons_of_answerable_abstentions_and_kinds_of_wrong_answers() -> None:
    items = [
        EvalQuestion("who owns cart?", rows=[["team-a"]], pattern="own"),
        EvalQuestion("who owns checkout?", rows=[["team-b"]], pattern="own"),
        EvalQuestion("who owns ads?", rows=[["team-c"]], pattern="own"),
        EvalQuestion("what is the AWS bill?", answerable=False, pattern="none"),
    ]
    replies = {
        "who owns cart?": _answer("I can't answer that.\nWhy: lookup: no edge for 'owns'", "abstain"),
        "who owns checkout?": _answer("I can't answer that.", "abstain"),
        "who owns ads?": _answer("team-x", "rows", rows=[{"id": "team-x"}]),
        "what is the AWS bill?": _answer("I can't answer that.\nWhy: lookup: no property", "abstain"),
    }
    data = run_eval(replies.__getitem__, items).to_dict()
    assert data["why_abstained"] == {"lookup: no edge for '…'": 1, "(no reason given; last stages: route > compose)": 1}
    assert data["wrong_kinds"] == {"own: rows": 1}
