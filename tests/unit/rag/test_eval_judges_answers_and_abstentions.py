"""`opsgraph eval`'s judging and figures: rows, sources, abstentions, risk; clear errors for bad question files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opsgraph.rag import Answer, Route, Trace
from opsgraph.rag.evaluate import EvalFileError, load_questions, rows_right, run_eval


def answer(kind: str = "rows", rows: list[dict[str, Any]] | None = None, abstained: bool = False, sections: list[dict[str, Any]] | None = None) -> Answer:
    return Answer("q", "text", [], [], Route(True, False, "x"), Trace(), rows=rows, kind=kind, abstained=abstained, sections=sections)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "q.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_compare_by_one_column_and_counts_by_listing() -> None:
    assert rows_right("Which?", [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}], [["a"], ["b"]], ordered=False)
    assert not rows_right("Which?", [{"id": "a"}], [["a"], ["b"]], ordered=False)
    assert rows_right("Which, in order?", [{"id": "b"}, {"id": "a"}], [["b"], ["a"]], ordered=True)
    assert not rows_right("Which, in order?", [{"id": "a"}, {"id": "b"}], [["b"], ["a"]], ordered=True)
    assert rows_right("How many services depend on x?", [{"id": "a"}, {"id": "b"}], [[2]], ordered=False)
    assert rows_right("How many services depend on x?", [{"n": 2.0}], [[2]], ordered=False)
    assert not rows_right("What port does x use?", [{"id": "a"}, {"id": "b"}], [[2]], ordered=False)


def test_figures_over_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, """
questions:
  - {q: "Which services depend on p?", pattern: deps, gold: "MATCH ...", rows: [[a], [b]]}
  - {q: "Which team owns p?", pattern: own, rows: [[t]]}
  - {q: "How do I fix p?", source: {document: docs/p.md, section: Mitigation}}
  - {q: "What is the AWS account of p?", answerable: false}
  - {q: "Is p healthy?", answer: risk, entities: [p]}
""")
    items = load_questions(path)
    replies = {
        "Which services depend on p?": answer(rows=[{"id": "a"}, {"id": "b"}]),
        "Which team owns p?": answer(rows=[{"id": "wrong"}]),
        "How do I fix p?": answer("quote", sections=[{"document": "docs/p.md", "section": "P > Mitigation"}]),
        "What is the AWS account of p?": answer("abstain", abstained=True),
        "Is p healthy?": answer("risk", abstained=True),
    }
    report = run_eval(lambda q: replies[q], items)
    s = report.summary()
    assert s["total"] == 5 and s["answerable"] == 4
    assert s["answered_share"] == 0.75
    assert s["accuracy_of_answered"] == round(2 / 3, 4)
    assert s["accuracy_overall"] == 0.6
    assert s["abstention_on_unanswerable"] == 1.0
    assert report.by_pattern()["deps"]["accuracy_overall"] == 1.0


def test_gold_rows_are_computed_from_gold_cypher_when_missing(tmp_path: Path) -> None:
    items = load_questions(write(tmp_path, '- {q: "Which?", gold: "MATCH (n) RETURN n.id AS id"}\n'))
    ran: list[str] = []

    def gold(cypher: str) -> list[dict[str, Any]]:
        ran.append(cypher)
        return [{"id": "a"}]

    report = run_eval(lambda q: answer(rows=[{"id": "a"}]), items, gold_query=gold)
    assert ran == ["MATCH (n) RETURN n.id AS id"] and report.summary()["accuracy_overall"] == 1.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("questions: [{pattern: x}]", "question 0: field `q`"),
        ('questions: [{q: "a?", rows: [[1]]}, {q: "b?"}]', "question 1: give a gold"),
        ('- {q: "a?", source: {section: x}}', "question 0: field `source`"),
        ("just text", "expected a list of questions"),
    ],
)
def test_bad_files_name_the_question_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(EvalFileError, match=message):
        load_questions(write(tmp_path, text))
