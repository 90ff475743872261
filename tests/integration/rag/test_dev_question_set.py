"""The development question set (`tests/fixtures/dev/ops_questions_dev.yaml`): its gold is true, and `ask` on the
sample estate is right or abstains on it.

Why: the verifier, the composed one-step queries and the quote rules were tuned on this set (never on the blind
sets); this holds them to it. The session's shared home (conftest.py) with the sample estate and its runbooks, in the real embedded
store (a hashing embedder stands in for MiniLM so the test stays fast: runbooks are found by full-text and vector
search all the same). The figures are printed; the bars are the issue's goals.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from opsgraph.app import OpsGraph
from opsgraph.app.ask import AskService
from opsgraph.rag.evaluate import load_questions, run_eval
from opsgraph.store.cypher_guard import is_read_only

QUESTIONS = Path(__file__).resolve().parents[2] / "fixtures" / "dev" / "ops_questions_dev.yaml"
ITEMS = load_questions(QUESTIONS)
# The second dev set (paging, blast radius, runbook steps, versions, incidents, owners, 10 unanswerable): written to
# find failure classes; its gold is checked and held to the same bars.
ITEMS2 = load_questions(QUESTIONS.with_name("ops_questions_dev2.yaml"))
# The third dev set (how to reach a team, triggers, "is X on call?", teams hit by a failure, risk, 10 unanswerable):
# written before the fixes it led to; held to the same bars.
ITEMS3 = load_questions(QUESTIONS.with_name("ops_questions_dev3.yaml"))


@pytest.fixture(scope="module")
def home(sample_graph: tuple[OpsGraph, AskService]) -> tuple[OpsGraph, AskService]:
    return sample_graph

def test_the_set_has_everyday_and_unanswerable_questions() -> None:
    answerable = [q for q in ITEMS if q.answerable]
    unanswerable = [q for q in ITEMS if not q.answerable]
    assert len(answerable) >= 60 and len(unanswerable) >= 10
    assert len({q.q for q in ITEMS}) == len(ITEMS), "a question appears twice"


def test_every_gold_query_is_read_only_and_runs(home: tuple[OpsGraph, AskService]) -> None:
    og, _ = home
    for item in ITEMS:
        if item.gold is None:
            continue
        assert is_read_only(item.gold), item.q
        rows = og.query(item.gold, limit=10_000).rows
        if item.rows is not None:
            assert [list(r.values()) for r in rows] == item.rows, item.q
        else:
            assert rows, f"{item.q}: the gold query finds nothing"


def test_every_gold_document_and_section_exists(home: tuple[OpsGraph, AskService]) -> None:
    og, _ = home
    for item in ITEMS:
        if item.source is None:
            continue
        doc = "docs/" + Path(item.source["document"]).name
        headings = [str(r["h"]) for r in og.query("MATCH (c:Chunk) WHERE c.doc_id = $d RETURN c.heading_path AS h", {"d": doc}).rows]
        assert headings, f"{item.q}: no document {doc}"
        if "section" in item.source:
            assert any(item.source["section"] in h for h in headings), f"{item.q}: no section {item.source['section']} in {doc}"


def test_answers_are_right_or_abstained(home: tuple[OpsGraph, AskService]) -> None:
    og, asker = home
    schema = og.schema()
    report = run_eval(lambda q: asker.ask(q, schema, use_cache=False), ITEMS, gold_query=lambda c: list(og.query(c, limit=10_000).rows))
    s = report.summary()
    print(f"\ndev set: {s}")
    assert s["errors"] == 0
    assert s["accuracy_of_answered"] >= 0.9
    assert s["answered_share"] >= 0.7
    assert s["abstention_on_unanswerable"] >= 0.9


def test_second_set_gold_is_true_and_answers_are_right_or_abstained(home: tuple[OpsGraph, AskService]) -> None:
    og, asker = home
    assert len(ITEMS2) >= 40 and sum(not q.answerable for q in ITEMS2) >= 10
    for item in ITEMS2:
        if item.gold is not None:
            assert is_read_only(item.gold), item.q
            assert og.query(item.gold, limit=10_000).rows, f"{item.q}: the gold query finds nothing"
    report = run_eval(lambda q: asker.ask(q, og.schema(), use_cache=False), ITEMS2, gold_query=lambda c: list(og.query(c, limit=10_000).rows))
    s = report.summary()
    print(f"\ndev2 set: {s}")
    assert s["errors"] == 0
    assert s["accuracy_of_answered"] >= 0.9
    assert s["answered_share"] >= 0.7
    assert s["abstention_on_unanswerable"] >= 0.9


def test_third_set_gold_is_true_and_answers_are_right_or_abstained(home: tuple[OpsGraph, AskService]) -> None:
    og, asker = home
    assert len(ITEMS3) >= 60 and sum(not q.answerable for q in ITEMS3) >= 10
    assert len({q.q for q in ITEMS3}) == len(ITEMS3), "a question appears twice"
    for item in ITEMS3:
        if item.gold is not None:
            assert is_read_only(item.gold), item.q
            assert og.query(item.gold, limit=10_000).rows, f"{item.q}: the gold query finds nothing"
    report = run_eval(lambda q: asker.ask(q, og.schema(), use_cache=False), ITEMS3, gold_query=lambda c: list(og.query(c, limit=10_000).rows))
    s = report.summary()
    print(f"\ndev3 set: {s}")
    assert s["errors"] == 0
    assert s["accuracy_of_answered"] >= 0.9
    assert s["answered_share"] >= 0.7
    assert s["abstention_on_unanswerable"] >= 0.9


# Sets whose gold is checked here; how `ask` does on them is for `opsgraph eval` to show, not held to the bars:
# - dev4: written by a helper from the estate's data alone, before any answer to it was looked at;
# - the second blind ops set (tests/fixtures/blind/ops_questions_b2.yaml): written by a helper from the estate's data
#   alone, never run through `ask` by its author; reported as aggregates only, nobody tunes on it;
# - dev5 (everyday wording: incidents by title words, greetings, "the most", yes/no about two entities, durations,
#   yes/no properties): written before the answering changes it led to;
# - dev7 (on-call): written by its helper before the rules of `rag/oncall.py` and then used to check them;
# - dev8 (a team by one bare word: "owned by payments", "the catalog folks"): written before `rag/contexted.py`;
# - dev11 (incidents by time and order: "the last incident on checkout", "in March", "this year"): written before
#   `rag/timed.py`; its "this year" golds hold while the system clock is in 2026 (the sample's incidents' year).
GOLD_SETS = {  # file (under tests/fixtures): (questions, unanswerable)
    "dev/ops_questions_dev4.yaml": (90, 10),
    "blind/ops_questions_b2.yaml": (80, 12),
    "blind/ops_questions_b3.yaml": (100, 14),
    "blind/ops_questions_b4.yaml": (100, 14),
    "dev/ops_questions_dev5.yaml": (30, 5),
    "dev/ops_questions_dev7_oncall.yaml": (46, 6),
    "dev/ops_questions_dev8_links.yaml": (20, 0),
    "dev/ops_questions_dev9_aggregates.yaml": (47, 7),
    "dev/ops_questions_dev10_words.yaml": (40, 6),
    "dev/ops_questions_dev11_time.yaml": (42, 7),
    "dev/ops_questions_dev12_runbooks.yaml": (45, 8),
    "dev/ops_questions_dev13_degree.yaml": (43, 6),
    "dev/ops_questions_dev14_vocab.yaml": (47, 7),
    "dev/ops_questions_dev15_runbooks_free.yaml": (51, 8),
    "dev/ops_questions_dev16_incidents.yaml": (44, 6),
    "dev/ops_questions_dev17_described.yaml": (31, 6),
    "dev/ops_questions_dev20_properties.yaml": (50, 7),
    "dev/ops_questions_dev18_people.yaml": (46, 6),
    "dev/ops_questions_dev21_symptoms.yaml": (48, 7),
    "dev/ops_questions_dev19_impact.yaml": (46, 6),
    "dev/ops_questions_dev25_chains.yaml": (46, 6),
    "dev/ops_questions_dev23_causes.yaml": (49, 6),
    "dev/ops_questions_dev22_risk.yaml": (47, 7),
    "dev/ops_questions_dev24_procedures.yaml": (63, 10),
    "dev/ops_questions_dev27_deps.yaml": (46, 6),
    "dev/ops_questions_dev26_incident_names.yaml": (53, 11),
    "dev/ops_questions_dev28_people.yaml": (50, 7),
}


@pytest.mark.parametrize("name", sorted(GOLD_SETS))
def test_gold_is_true_and_sections_exist(home: tuple[OpsGraph, AskService], name: str) -> None:
    og, _ = home
    items = load_questions(QUESTIONS.parents[1] / name)
    count, unanswerable = GOLD_SETS[name]
    assert len(items) == count and sum(not q.answerable for q in items) == unanswerable
    assert len({q.q for q in items}) == len(items), "a question appears twice"
    for item in items:
        assert item.answerable == (item.gold is not None or item.source is not None or item.risk), item.q
        for entity in item.entities:  # a risk gold names nodes of the estate
            assert og.query("MATCH (n) WHERE n.id = $id RETURN n.id AS id", {"id": entity}).rows, f"{item.q}: no node {entity}"
        if item.gold is not None:
            assert is_read_only(item.gold), item.q
            rows = og.query(item.gold, limit=10_000).rows
            # An empty answer ("services nobody owns": none) is gold only when the set says so with `rows: []`.
            assert rows or item.rows == [], f"{item.q}: the gold query finds nothing"
            assert all(v is not None for r in rows for v in r.values()), f"{item.q}: the gold has an empty value"
            if item.rows is not None:
                assert [list(r.values()) for r in rows] == item.rows, item.q
        if item.source is not None:
            doc = "docs/" + Path(item.source["document"]).name
            headings = [str(r["h"]) for r in og.query("MATCH (c:Chunk) WHERE c.doc_id = $d RETURN c.heading_path AS h", {"d": doc}).rows]
            assert headings, f"{item.q}: no document {doc}"
            if "section" in item.source:  # a document-only gold: any section of it is right
                assert any(item.source["section"] in h for h in headings), f"{item.q}: no section {item.source['section']} in {doc}"
