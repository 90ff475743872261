"""The blind question sets (`tests/fixtures/blind/`) are well formed and their gold is right: each
set loads its estate into the real embedded store once, and every gold query is read-only and
returns exactly the rows written in the file. The sets cover every query pattern, and a
shortest-path question that returns the path's nodes has exactly one shortest path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import norm
from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.store.cypher_guard import write_clauses

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BLIND = FIXTURES / "blind"
ESTATES = {"sample": sample_estate_path(), "library": FIXTURES / "library_estate"}
PATTERNS = {
    "lookup",
    "filter",
    "range",
    "count",
    "aggregate",
    "top-k",
    "hop-out",
    "hop-in",
    "multi-hop",
    "transitive",
    "negation",
    "shortest-path",
    "hop-filter",
    "hop-count",
}


def load(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((BLIND / f"{name}_questions.yaml").read_text(encoding="utf-8"))["questions"]


SETS = {name: load(name) for name in ESTATES}
# Cases are named by set, position and pattern only: the question text stays out of test ids and
# failure messages, so that running the test does not show the questions.
CASES = [(f"{name}-{i:03d}-{q['pattern']}", name, q) for name, questions in SETS.items() for i, q in enumerate(questions)]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, OpsGraph]]:
    """One store per estate, each loaded once and shared by the module (the queries only read)."""
    with ExitStack() as stack:
        opened: dict[str, OpsGraph] = {}
        for name, path in ESTATES.items():
            home = tmp_path_factory.mktemp(f"blind-{name}") / "home"
            og = stack.enter_context(OpsGraph(Settings(home=home, embed={"provider": "none"})))
            og.ingest(path, documents=False)
            opened[name] = og
        yield opened


@pytest.mark.parametrize("name", list(SETS))
def test_question_set_shape(name: str) -> None:
    questions = SETS[name]
    assert len(questions) >= 50, len(questions)
    patterns = Counter(q["pattern"] for q in questions)
    assert set(patterns) <= PATTERNS, set(patterns) - PATTERNS
    assert set(patterns) == PATTERNS, PATTERNS - set(patterns)
    assert all(n >= 3 for n in patterns.values()), patterns
    assert len({q["q"] for q in questions}) == len(questions), "questions repeat"
    assert len({q["gold"] for q in questions}) == len(questions), "gold queries repeat"
    for i, q in enumerate(questions):
        assert set(q) <= {"pattern", "q", "gold", "rows", "ordered"}, f"{name}-{i:03d}: keys {sorted(q)}"
        assert {"pattern", "q", "gold", "rows"} <= set(q), f"{name}-{i:03d}: keys {sorted(q)}"
        assert q["rows"], f"{name}-{i:03d}: no gold rows"
        assert all(isinstance(row, list) for row in q["rows"]), f"{name}-{i:03d}: rows are not lists"


@pytest.mark.parametrize(("case", "name", "question"), CASES, ids=[case for case, _, _ in CASES])
def test_gold_query_returns_the_gold_rows(stores: dict[str, OpsGraph], case: str, name: str, question: dict[str, Any]) -> None:
    og = stores[name]
    gold = question["gold"]
    assert write_clauses(gold) == [], f"{case}: gold query writes"
    result = og.query(gold)
    assert not result.truncated, case
    got = [tuple(norm(row[c]) for c in result.columns) for row in result.rows]
    want = [tuple(norm(v) for v in row) for row in question["rows"]]
    assert got, f"{case}: empty result"
    assert all(len(row) == len(result.columns) for row in want), f"{case}: columns {result.columns}"
    if question.get("ordered"):
        assert got == want, case
    else:
        assert len(got) == len(set(got)), f"{case}: duplicate rows"
        assert set(got) == set(want), case


SHORTEST_PATH_NODES = [
    (case, name, q)
    for case, name, q in CASES
    if q["pattern"] == "shortest-path" and any(isinstance(v, list) for row in q["rows"] for v in row)
]


@pytest.mark.parametrize(("case", "name", "question"), SHORTEST_PATH_NODES, ids=[case for case, _, _ in SHORTEST_PATH_NODES])
def test_shortest_paths_returning_nodes_are_unique(stores: dict[str, OpsGraph], case: str, name: str, question: dict[str, Any]) -> None:
    gold = question["gold"]
    assert "shortestPath(" in gold, case
    every = stores[name].query(gold.replace("shortestPath(", "allShortestPaths("))
    assert len(every.rows) == 1, f"{case}: {len(every.rows)} shortest paths"
