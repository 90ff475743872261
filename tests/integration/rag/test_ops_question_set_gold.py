"""The blind on-call question set (`tests/fixtures/blind/ops_questions.yaml`) is well formed and its gold is true.

Why: `opsgraph eval` judges answers against that file, so a stale gold row or a runbook heading that no longer
exists would mark right answers wrong (or wrong ones right). This test checks the file against the real sample
estate in the real embedded store, loaded once for the module: every gold query is read-only, runs, and returns
exactly its `rows` (numbers compared as numbers, rows as a multiset unless `ordered`); every runbook source exists
and has that heading; risk entities exist; ids are unique; the mix per pattern is the declared one with exactly
30 unanswerable questions. It reads only the fixture and the estate, never the code that answers questions.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import norm
from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.store.cypher_guard import is_read_only

QUESTIONS = Path(__file__).resolve().parents[2] / "fixtures" / "blind" / "ops_questions.yaml"

DECLARED = {
    "on-call": 25,
    "ownership": 15,
    "contact": 10,
    "impact": 25,
    "dependencies": 20,
    "incidents": 15,
    "causes": 10,
    "runbooks": 20,
    "versions": 10,
    "inventory": 10,
    "risk": 10,
    "unanswerable": 30,
}
ANSWER_TYPES = {"people", "services", "components", "teams", "number", "yes-no", "path", "text", "document", "risk"}
GRAPH_KEYS = {"id", "pattern", "q", "answer", "gold", "rows", "ordered"}
DOCUMENT_KEYS = {"id", "pattern", "q", "answer", "source"}
RISK_KEYS = {"id", "pattern", "q", "answer", "entities"}
UNANSWERABLE_KEYS = {"id", "pattern", "q", "answerable"}

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def _load() -> dict[str, Any]:
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{QUESTIONS}: expected a mapping at the top"
    return data


DATA = _load()
ITEMS: list[dict[str, Any]] = DATA["questions"]
GRAPH = [q for q in ITEMS if "gold" in q]
DOCUMENTS = [q for q in ITEMS if "source" in q]
RISKS = [q for q in ITEMS if "entities" in q]


def _headings(markdown: str) -> list[str]:
    """Markdown ATX headings outside fenced code blocks (a `# comment` in a shell block is not a heading)."""
    found, fenced = [], False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        m = None if fenced else _HEADING.match(line)
        if m:
            found.append(m.group(2))
    return found


def _canon(rows: list[list[Any]], ordered: bool) -> Any:
    cells = [tuple(norm(v) for v in row) for row in rows]
    return cells if ordered else Counter(cells)


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsGraph]:
    """The shipped sample estate's graph in one real store for the module.

    The gold is graph-only, so documents are not embedded and the 30k telemetry rows, which no gold query reads,
    are left out of the copy (about a quarter of the load time); nodes, edges and schema are the shipped ones.
    """
    work = tmp_path_factory.mktemp("ops-questions")
    estate = Path(shutil.copytree(sample_estate_path(), work / "estate", ignore=shutil.ignore_patterns("telemetry")))
    with OpsGraph(Settings(home=work / "home", embed={"provider": "none"})) as og:
        og.ingest(estate, documents=False)
        yield og


def test_the_set_is_about_the_sample_estate_with_unique_ids_and_the_declared_mix() -> None:
    assert DATA.get("estate") == "sample"
    ids = [q.get("id") for q in ITEMS]
    duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
    assert not duplicates, f"duplicate ids: {duplicates}"
    assert all(isinstance(i, str) and i for i in ids)
    assert Counter(q.get("pattern") for q in ITEMS) == Counter(DECLARED)
    assert len(ITEMS) == sum(DECLARED.values()) == 200
    assert sum(1 for q in ITEMS if q.get("answerable") is False) == 30


@pytest.mark.parametrize("item", ITEMS, ids=[q["id"] for q in ITEMS])
def test_each_question_has_exactly_the_fields_of_its_kind(item: dict[str, Any]) -> None:
    assert isinstance(item["q"], str) and item["q"].strip()
    if item["pattern"] == "unanswerable":
        assert set(item) == UNANSWERABLE_KEYS and item["answerable"] is False
        return
    assert item["answer"] in ANSWER_TYPES
    if item["pattern"] == "runbooks":
        assert set(item) == DOCUMENT_KEYS and item["answer"] == "document"
    elif item["pattern"] == "risk":
        assert set(item) == RISK_KEYS and item["answer"] == "risk"
        assert item["entities"] and all(isinstance(e, str) for e in item["entities"])
    else:
        assert set(item) == GRAPH_KEYS
        assert isinstance(item["ordered"], bool)
        assert isinstance(item["rows"], list) and item["rows"], "an answerable graph question needs non-empty gold rows"
        assert all(isinstance(row, list) and row for row in item["rows"])


@pytest.mark.parametrize("item", GRAPH, ids=[q["id"] for q in GRAPH])
def test_gold_query_is_read_only_and_returns_exactly_its_rows(graph: OpsGraph, item: dict[str, Any]) -> None:
    gold = item["gold"]
    assert is_read_only(gold), f"{item['id']}: gold query writes"
    assert "$" not in gold, f"{item['id']}: gold must use literal values, not parameters"
    result = graph.query(gold)
    assert not result.truncated
    got = [[row[c] for c in result.columns] for row in result.rows]
    assert _canon(got, item["ordered"]) == _canon(item["rows"], item["ordered"]), f"{item['id']}: {got!r}"


@pytest.mark.parametrize("item", DOCUMENTS, ids=[q["id"] for q in DOCUMENTS])
def test_runbook_source_exists_and_has_the_heading(item: dict[str, Any]) -> None:
    source = item["source"]
    assert set(source) == {"document", "section"}
    path = sample_estate_path() / source["document"]
    assert path.is_file(), f"{item['id']}: no document {source['document']}"
    assert source["section"] in _headings(path.read_text(encoding="utf-8")), f"{item['id']}: no heading {source['section']!r}"


def test_risk_entities_are_nodes_with_telemetry(graph: OpsGraph) -> None:
    named = sorted({e for q in RISKS for e in q["entities"]})
    found = graph.query("MATCH (n) WHERE n.id IN $ids RETURN n.id AS id", {"ids": named}).rows
    assert sorted(r["id"] for r in found) == named
    telemetry = sample_estate_path() / "telemetry" / "services.csv"
    measured = {line.split(",")[1] for line in telemetry.read_text(encoding="utf-8").splitlines()[1:] if line}
    assert set(named) <= measured, f"risk entities without telemetry: {sorted(set(named) - measured)}"


def test_canonical_rows_compare_numbers_by_value_and_order_only_when_asked() -> None:
    assert _canon([[4.0]], False) == _canon([[4]], False)
    assert _canon([["a"], ["b"]], False) == _canon([["b"], ["a"]], False)
    assert _canon([["a"], ["b"]], True) != _canon([["b"], ["a"]], True)
    assert _canon([["a"]], False) != _canon([["a"], ["a"]], False)
    assert _canon([[["x", "y"]]], True) != _canon([[["y", "x"]]], True)
