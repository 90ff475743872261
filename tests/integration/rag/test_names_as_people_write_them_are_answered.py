"""Questions that name things the way people type them, asked of the sample estate in the real embedded store: values
of several words or of a property not indexed ("works out of New York"), short forms of values ("postgres", "node"),
a value next to its property's word over an entity's name ("the payments namespace"), a two-word type ("external
services"), a misspelt name ("chekout"); and the near misses, which abstain (a typo of several nodes' names says which).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.embed.fake import HashingEmbedder


@pytest.fixture(scope="module")
def asker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsGraph]:
    settings = Settings(home=tmp_path_factory.mktemp("words") / "home", embed={"provider": "none"}, cache={"backend": "none"}, memory={"backend": "none"})
    with OpsGraph(settings, embedder=HashingEmbedder(dims=256)) as og:
        og.ingest(sample_estate_path())
        yield og


@pytest.mark.parametrize(
    ("question", "ids", "cypher_has"),
    [
        ("who works out of New York?", {"hannah.lee", "marcus.bell", "david.cohen"}, "x.location ="),
        ("who are our engineering managers?", {"amara.okafor", "hannah.lee", "david.cohen"}, "x.role ="),
        ("which datastores run on postgres?", {"product-catalog-db", "orders-db", "payments-ledger-db"}, "x.engine ="),
        ("which services are written in node?", {"paymentservice", "currencyservice"}, "x.language ="),
        ("what's deployed in the payments namespace?", {"paymentservice", "currencyservice"}, "x.namespace ="),
        ("external services owned by the storefront team", {"gemini-api"}, ":ExternalService"),
        ("who owns chekout?", {"team-orders"}, ":OWNS"),
        ("which services run on go?", {"frontend", "checkoutservice", "productcatalogservice", "shippingservice"}, "x.language ="),
    ],
)
def test_a_thing_named_as_people_say_it_is_answered(asker: OpsGraph, question: str, ids: set[str], cypher_has: str) -> None:
    answer = asker.ask(question, use_cache=False)
    assert not answer.abstained, answer.text
    assert {str(r.get("id")) for r in answer.rows or []} == ids, answer.text
    assert answer.cypher is not None and cypher_has in answer.cypher


def test_the_entity_reading_stays_where_it_answers(asker: OpsGraph) -> None:
    # "payment" is one letter short of the namespace 'payments', but the question asks for the service's namespace.
    answer = asker.ask("Which namespace is the payment service in?", use_cache=False)
    assert [r.get("namespace") for r in answer.rows or []] == ["payments"], answer.text


@pytest.mark.parametrize("question", ["which datastores are on MySQL?", "which services run in the eu-west region?", "who owns the chekoutz?"])
def test_near_misses_abstain(asker: OpsGraph, question: str) -> None:
    assert asker.ask(question, use_cache=False).abstained


def test_a_typo_of_several_names_abstains_and_names_them(asker: OpsGraph) -> None:
    answer = asker.ask("who owns the shpping service?", use_cache=False)
    assert answer.abstained
    assert "'shpping' may be" in answer.text and "Shipping Service (shippingservice)" in answer.text, answer.text
    assert "Shopping Assistant Service" in answer.text
