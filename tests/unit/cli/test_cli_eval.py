"""`opsgraph eval`: the table, --json, and a non-zero exit below --min-accuracy / --min-answered (facade faked)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import opsgraph.cli.main as cli
from opsgraph.rag import Answer, Route, Trace
from opsgraph.rag.evaluate import load_questions, run_eval

runner = CliRunner()
QUESTIONS = """
- {q: "Which services depend on p?", pattern: deps, rows: [[a]]}
- {q: "Which team owns p?", pattern: own, rows: [[t]]}
- {q: "What is the AWS account of p?", answerable: false}
- {q: "Who is on call for p right now?", pattern: oncall, rows: [[u]]}
"""


class FakeGraph:
    def evaluate(self, path: Path, *, limit: int | None = None, progress: Any = None) -> Any:
        replies = {
            "Which services depend on p?": Answer("q", "1 service", [], [], Route(True, False, "x"), Trace(), rows=[{"id": "a"}], kind="rows"),
            "Which team owns p?": Answer("q", "1 team", [], [], Route(True, False, "x"), Trace(), rows=[{"id": "x"}], kind="rows"),
            "What is the AWS account of p?": Answer("q", "I can't", [], [], Route(True, False, "x"), Trace(), kind="abstain", abstained=True),
            "Who is on call for p right now?": Answer(
                "q", "I can't\nWhy: lookup: the query explains no part of the question's 'right now'", [], [], Route(True, False, "x"), Trace(),
                kind="abstain", abstained=True,
            ),
        }
        return run_eval(lambda q: replies[q], load_questions(path)[: limit or None], progress=progress)

    def close(self) -> None:
        pass


@pytest.fixture
def questions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(cli, "_open", lambda home: FakeGraph())
    path = tmp_path / "q.yaml"
    path.write_text(QUESTIONS, encoding="utf-8")
    return path


def test_json_report(questions: Path) -> None:
    result = runner.invoke(cli.app, ["eval", str(questions), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["answered_share"] == pytest.approx(2 / 3, abs=1e-3) and summary["accuracy_of_answered"] == 0.5
    assert summary["abstention_on_unanswerable"] == 1.0


def test_the_table_says_why_questions_were_abstained_without_their_words(questions: Path) -> None:
    result = runner.invoke(cli.app, ["eval", str(questions)])
    assert result.exit_code == 0, result.output
    assert "why answerable questions were abstained" in result.output
    assert "lookup: the query explains no part of the question" in result.output and "right now" not in result.output


def test_below_the_bar_exits_non_zero(questions: Path) -> None:
    assert runner.invoke(cli.app, ["eval", str(questions), "--min-accuracy", "0.5"]).exit_code == 0
    failed = runner.invoke(cli.app, ["eval", str(questions), "--min-accuracy", "0.9"])
    assert failed.exit_code == 1 and "accuracy of answered 0.5 < 0.9" in failed.output
    assert runner.invoke(cli.app, ["eval", str(questions), "--min-answered", "0.6"]).exit_code == 0
    assert runner.invoke(cli.app, ["eval", str(questions), "--min-answered", "0.7"]).exit_code == 1
