"""`ask` on the sample estate (real store): the four wrong answers of issue 14 are now right or abstained, and no
model prose reaches a default answer even when a model is configured (it writes garbage here and must not be called).

One module-scoped home: the sample estate with its runbooks (a hashing embedder stands in for MiniLM: the
documents are found by full-text and vector search all the same, and the test stays fast).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.app.ask import AskService
from opsgraph.embed.fake import HashingEmbedder
from opsgraph.llm.fake import FakeLanguageModel
from opsgraph.rag import Answer
from opsgraph.rag.answering import ABSTAIN

GARBAGE = "Zanzibar flamingos billing-billing-billing. Zanzibar flamingos billing-billing-billing."


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OpsGraph, AskService, FakeLanguageModel]]:
    settings = Settings(home=tmp_path_factory.mktemp("answers") / "home", embed={"provider": "none"}, cache={"backend": "none"}, memory={"backend": "none"})
    with OpsGraph(settings, embedder=HashingEmbedder(dims=256)) as og:
        og.ingest(sample_estate_path())
        model = FakeLanguageModel(GARBAGE)
        asker = AskService(og.store, settings, embedder=og.embedder, llm=model)
        yield og, asker, model
        asker.close()


def ask(home: tuple[OpsGraph, AskService, FakeLanguageModel], question: str) -> Answer:
    og, asker, _ = home
    return asker.ask(question, og.schema())


def vocabulary(og: OpsGraph) -> set[str]:
    """Every word the store holds (node properties, chunk texts, document titles), the schema's names."""
    words: set[str] = set()
    for row in og.query("MATCH (n) RETURN properties(n) AS p", limit=100_000).rows:
        for key, value in row["p"].items():
            if key != "embedding":
                # Letter runs, as the answer's words are read below ("/v3" in a quoted command holds the word "v").
                words |= set(re.findall(r"\w+", f"{key} {value}".lower())) | set(re.findall(r"[a-z]+", f"{key} {value}".lower()))
    for row in og.query("MATCH ()-[r]->() RETURN type(r) AS t, properties(r) AS p", limit=100_000).rows:
        words |= set(re.findall(r"\w+", f"{row['t']} {row['p']}".lower()))
    return words


TEMPLATE_WORDS = set(
    "page first for owned by that depend depends on own owns the number of nodes node results result directly or through others "
    "is are a an yes no from see also why what graph holds about entities named i can t answer that rotation via "
    "people person services service teams team datastores incidents runbooks queues on call caused responded to and more "
    "query does not use uses which means read names asked returns values schema_path text2cypher none found nothing".split()
)
"""Words the templates of render.py, answering.py and quote.py use (lower case)."""


QUESTIONS = [
    "Who is on call for checkoutservice?",
    "Which services have no owner?",
    "Who should I page if the payment gateway is failing?",
    "How do I mitigate elevated 5xx on the payment service?",
    "Which services depend on paymentservice?",
    "What breaks if redis-cart is down?",
    "What language is paymentservice written in?",
    "Which team owns redis-cart?",
]


def test_on_call_is_people_primary_first_never_dependencies(home: tuple[OpsGraph, AskService, FakeLanguageModel]) -> None:
    og = home[0]
    answer = ask(home, "Who is on call for checkoutservice?")
    truth = og.query(
        "MATCH (t:Team)-[:OWNS]->(:Service {id: 'checkoutservice'}) MATCH (p:Person)-[r:ON_CALL_FOR]->(t) RETURN p.id AS id, r.rotation AS rotation"
    ).rows
    assert answer.kind == "page" and answer.rows is not None
    assert [r["person"] for r in answer.rows] == [r["id"] for r in sorted(truth, key=lambda r: r["rotation"] != "primary")]
    deps = {r["id"] for r in og.query("MATCH (:Service {id: 'checkoutservice'})-[:DEPENDS_ON]->(d) RETURN d.id AS id").rows}
    assert not deps & {str(v) for r in answer.rows for v in r.values()}
    assert answer.text.splitlines()[0].startswith("Page Marcus Bell (marcus.bell) first for Checkout Service (checkoutservice)")


def test_no_owner_is_right_or_abstained(home: tuple[OpsGraph, AskService, FakeLanguageModel]) -> None:
    og = home[0]
    answer = ask(home, "Which services have no owner?")
    truth = {r["id"] for r in og.query("MATCH (s:Service) WHERE NOT ()-[:OWNS]->(s) RETURN s.id AS id").rows}
    unreferenced = {r["id"] for r in og.query("MATCH (s:Service) WHERE NOT ()-[:DEPENDS_ON]->(s) RETURN s.id AS id").rows}
    if answer.abstained:
        assert answer.text.startswith(ABSTAIN)
    else:
        assert answer.rows is not None and {str(r.get("id")) for r in answer.rows} == truth
    assert not (unreferenced - truth) & set(re.findall(r"\(([\w.-]+)\)", answer.text))


def test_page_for_the_gateway_is_a_person_not_a_url(home: tuple[OpsGraph, AskService, FakeLanguageModel]) -> None:
    og = home[0]
    answer = ask(home, "Who should I page if the payment gateway is failing?")
    assert answer.kind == "page" and answer.rows
    people = {r["id"] for r in og.query("MATCH (p:Person) RETURN p.id AS id", limit=1000).rows}
    assert {r["person"] for r in answer.rows} <= people
    assert answer.rows[0]["rotation"] == "primary"
    assert "status" not in answer.text and "http" not in answer.text


def test_runbook_question_is_quoted_verbatim_once(home: tuple[OpsGraph, AskService, FakeLanguageModel]) -> None:
    og = home[0]
    answer = ask(home, "How do I mitigate elevated 5xx on the payment service?")
    assert answer.kind == "quote" and answer.sections
    assert answer.sections[0]["document"] == "docs/payment-service-elevated-5xx.md"
    chunks = [r["t"] for r in og.query("MATCH (c:Chunk) RETURN c.text AS t", limit=10_000).rows]
    header, *body = answer.text.splitlines()
    assert header.startswith('From "Payment service: elevated 5xx"') and "docs/payment-service-elevated-5xx.md" in header
    quoted = [line for line in body if line.strip() and not line.startswith("See also: ")]
    assert quoted and all(any(line in c for c in chunks) for line in quoted)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", answer.text) if len(s) > 30]
    assert len(sentences) == len(set(sentences))


def test_no_model_prose_in_default_answers(home: tuple[OpsGraph, AskService, FakeLanguageModel]) -> None:
    og, _, model = home
    allowed = vocabulary(og) | TEMPLATE_WORDS
    for question in QUESTIONS:
        answer = ask(home, question)
        words = set(re.findall(r"[a-z]+", answer.text.lower()))
        foreign = words - allowed - set(re.findall(r"[a-z]+", question.lower()))
        assert not foreign, f"{question!r}: words from neither the rows, the sources nor the templates: {sorted(foreign)}\n{answer.text}"
        assert "zanzibar" not in answer.text.lower()
    assert model.calls == []


def test_the_linker_and_pipeline_are_built_once_per_data_version(home: tuple[OpsGraph, AskService, FakeLanguageModel], tmp_path: Path) -> None:
    og, asker, _ = home
    built: list[str] = []
    real = asker.pipeline

    def counting(schema, linker=None):  # type: ignore[no-untyped-def]
        built.append("pipeline")
        return real(schema, linker)

    asker.pipeline = counting  # type: ignore[method-assign]
    asker._built = None
    try:
        ask(home, "Which services depend on paymentservice?")
        ask(home, "Which team owns redis-cart?")
        assert built == ["pipeline"]
        og.query("MATCH (s:Service {id: 'adservice'}) SET s.port = 9556", write=True)
        ask(home, "Which services depend on paymentservice?")
        assert built == ["pipeline", "pipeline"]
    finally:
        del asker.pipeline
