"""The library estate (a public-library catalogue, not an operations estate) loads into the real
embedded store, re-ingests as a no-op, and every gold query of its question set is read-only and
returns exactly the rows written in `tests/fixtures/library_questions.yaml`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import norm
from opsgraph.app import OpsGraph, Settings
from opsgraph.ingest.pipeline import IngestReport
from opsgraph.store.cypher_guard import write_clauses

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ESTATE = FIXTURES / "library_estate"
QUESTIONS: list[dict[str, Any]] = yaml.safe_load((FIXTURES / "library_questions.yaml").read_text(encoding="utf-8"))["questions"]

EXPECTED_COUNTS = {
    "Book": 71,
    "Author": 35,
    "Genre": 16,
    "Publisher": 20,
    "Series": 9,
    "Branch": 5,
    "Staff": 10,
    "Member": 30,
    "WROTE": 72,
    "IN_GENRE": 108,
    "SUBGENRE_OF": 14,
    "PUBLISHED_BY": 71,
    "IN_SERIES": 20,
    "SEQUEL_OF": 11,
    "HOLDS": 118,
    "BORROWED": 119,
    "MEMBER_AT": 30,
    "WORKS_AT": 11,
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OpsGraph, IngestReport]]:
    """One store with the library estate loaded, shared by the module (the queries only read)."""
    home = tmp_path_factory.mktemp("library") / "home"
    with OpsGraph(Settings(home=home, embed={"provider": "none"})) as og:
        yield og, og.ingest(ESTATE)


def test_question_set_shape() -> None:
    assert len(QUESTIONS) >= 60
    patterns = Counter(q["pattern"] for q in QUESTIONS)
    assert len(patterns) >= 8, patterns
    assert all(4 <= n <= 8 for n in patterns.values()), patterns
    assert len({q["q"] for q in QUESTIONS}) == len(QUESTIONS), "questions repeat"
    for q in QUESTIONS:
        assert set(q) <= {"pattern", "q", "gold", "rows", "ordered"}, q
        assert 1 <= len(q["rows"]) <= 15, q["q"]
        assert all(isinstance(row, list) for row in q["rows"]), q["q"]


@pytest.mark.parametrize("question", QUESTIONS, ids=[f"{i:03d}-{q['pattern']}" for i, q in enumerate(QUESTIONS)])
def test_gold_query_returns_the_gold_rows(library: tuple[OpsGraph, IngestReport], question: dict[str, Any]) -> None:
    og, _ = library
    gold = question["gold"]
    assert write_clauses(gold) == [], f"gold query writes: {gold}"
    result = og.query(gold)
    assert not result.truncated
    got = [tuple(norm(row[c]) for c in result.columns) for row in result.rows]
    want = [tuple(norm(v) for v in row) for row in question["rows"]]
    assert all(len(row) == len(result.columns) for row in want), f"{question['q']}: columns {result.columns}"
    if question.get("ordered"):
        assert got == want, question["q"]
    else:
        assert len(got) == len(set(got)), f"{question['q']}: duplicate rows {got}"
        assert set(got) == set(want), question["q"]


def test_estate_loads_with_the_expected_counts(library: tuple[OpsGraph, IngestReport]) -> None:
    og, first = library
    counts = {t.name: t.count for t in og.describe()}
    assert {k: counts.get(k) for k in EXPECTED_COUNTS} == EXPECTED_COUNTS
    totals = first.totals()
    assert (totals.created, totals.updated, totals.duplicates) == (sum(EXPECTED_COUNTS.values()), 0, ())


def test_reingest_writes_nothing(library: tuple[OpsGraph, IngestReport]) -> None:
    og, first = library
    version = og.store.data_version()
    again = og.ingest(ESTATE)
    totals = again.totals()
    assert (totals.created, totals.updated, totals.unchanged) == (0, 0, first.totals().created)
    assert not again.changed()
    assert og.store.data_version() == version
