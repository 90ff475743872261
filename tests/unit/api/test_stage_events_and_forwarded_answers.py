"""Stage events seen while a question is answered, and answers rebuilt from JSON for CLI forwarding."""

from __future__ import annotations

from opsgraph.app.events import Stage, observe_stages
from opsgraph.rag import Answer, Citation, Route, Trace


def test_observer_sees_each_stage_start_and_end_in_its_context_only() -> None:
    seen: list[tuple[str, bool]] = []
    trace = Trace()
    with observe_stages(lambda s, done: seen.append((s.name, done))):
        with trace.stage("route") as st:
            st.detail = {"graph": True}
        with trace.stage("fuse"):
            pass
    with trace.stage("outside"):
        pass
    assert seen == [("route", False), ("route", True), ("fuse", False), ("fuse", True)]
    assert [s.name for s in trace.stages] == ["route", "fuse", "outside"]


def test_answers_survive_the_round_trip_through_json() -> None:
    cite = Citation(1, "docs/x.md#0", "chunk", "text", "vector")
    answer = Answer("q?", "see [1]", [cite], [cite, Citation(2, "frontend", "node", "t", "fulltext")], Route(False, True, "docs"),
                    Trace([Stage("route", 0.1, 0, {"graph": False})]), notes=["a note"])
    payload = {**answer.to_dict(), "context": [c.__dict__ for c in answer.context]}
    again = Answer.from_dict(payload)
    assert again.text == answer.text and again.citations == answer.citations and again.context == answer.context
    assert again.route == answer.route and again.notes == ["a note"] and again.trace.stages[0].name == "route"
