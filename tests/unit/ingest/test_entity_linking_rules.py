"""Exact and alias linking: whole tokens, longest match, weak aliases, ambiguity, code."""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.app import sample_estate_path
from opsgraph.ingest.linking import GENERIC_WORDS, Entity, EntityLinker, LinkSettings, entities_from_rows, link_settings
from opsgraph.schema import load_schema, parse_schema

# The web shop's own ordinary words ("cart", "payments", "ad") come from its schema's type synonyms.
SHOP = link_settings(load_schema(sample_estate_path() / "schema.yaml"), fuzzy_threshold=None)

ENTITIES = [
    Entity("paymentservice", "Service", "Payment Service", ("payment", "payments", "payment-service")),
    Entity("team-payments", "Team", "Payments", ("payments team",)),
    Entity("cartservice", "Service", "Cart Service", ("cart", "cart-service")),
    Entity("redis-cart", "Datastore", "Cart Redis", ("cart redis",)),
    Entity("analytics-warehouse", "Datastore", "Analytics warehouse", ("warehouse", "clickhouse")),
    Entity("olu.adeyemi", "Person", "Oluwaseun Adeyemi", ("Olu", "@olu")),
    Entity("adservice", "Service", "Ad Service", ("ad",)),
    Entity("team-orders", "Team", "Orders & Fulfilment", ()),
    Entity("INC-2047", "Incident", "Checkout failing: payment gateway authorisation timeouts", ()),
]


@pytest.fixture
def linker() -> EntityLinker:
    return EntityLinker(ENTITIES, settings=SHOP)


def ids(linker: EntityLinker, text: str, document: str | None = None) -> list[str]:
    return [link.node_id for link in linker.link(text, document=document)]


def test_names_and_ids_link_exactly(linker: EntityLinker) -> None:
    (link,) = linker.link("Restart the Payment Service first.")
    assert (link.node_id, link.node_type, link.method, link.score, link.surface) == ("paymentservice", "Service", "exact", 1.0, "Payment Service")
    assert "Restart the Payment Service first."[link.start : link.end] == "Payment Service"
    assert ids(linker, "see INC-2047 and redis-cart") == ["INC-2047", "redis-cart"]


def test_matching_ignores_case_and_line_breaks(linker: EntityLinker) -> None:
    assert ids(linker, "the PAYMENT\n   service is down") == ["paymentservice"]


def test_whole_tokens_only(linker: EntityLinker) -> None:
    assert ids(linker, "cartography and cartservices are not carts") == []
    assert ids(linker, "the redis-cart pod restarted") == ["redis-cart"], "cart inside redis-cart is no mention of the cart service"
    assert ids(linker, "set CART_SERVICE_ADDR and PAYMENT_SERVICE_ADDR") == []
    assert ids(linker, "deploy/redis-cart-0 crashed") == [], "a longer hyphenated token is another name"


def test_longest_match_wins(linker: EntityLinker) -> None:
    assert ids(linker, "the Cart Redis is full") == ["redis-cart"]
    assert ids(linker, "Orders & Fulfilment on call") == ["team-orders"]


def test_aliases_link_with_method_alias(linker: EntityLinker) -> None:
    (link,) = linker.link("we paged the payment-service owners")
    assert (link.node_id, link.method, link.score) == ("paymentservice", "alias", 0.9)
    assert ids(linker, "ping @olu about it") == ["olu.adeyemi"]


def test_short_aliases_are_ignored_but_ids_are_not(linker: EntityLinker) -> None:
    assert ids(linker, "an ad banner") == []
    assert ids(linker, "adservice is out of memory") == ["adservice"]


def test_weak_aliases_need_evidence(linker: EntityLinker) -> None:
    sentence = "The warehouse ships orders before they are scored."
    assert ids(linker, sentence) == [], "an ordinary word alone names nothing"
    (link,) = linker.link(sentence, document="Loads go to analytics-warehouse nightly. " + sentence)
    assert (link.node_id, link.method, link.score) == ("analytics-warehouse", "alias", 0.7)


def test_a_type_word_nearby_is_evidence(linker: EntityLinker) -> None:
    assert ids(linker, "restart the cart service pods") == ["cartservice"]  # the name itself
    assert ids(linker, "the cart pods are crash-looping") == ["cartservice"]  # weak alias + cue "pods"


def test_ambiguous_surface_resolved_by_type_cue(linker: EntityLinker) -> None:
    assert ids(linker, "ask payments on call") == ["team-payments"]
    assert ids(linker, "payments pods restarted") == ["paymentservice"]


def test_ambiguous_surface_resolved_by_casing(linker: EntityLinker) -> None:
    document = "The Payment Service is owned by the payments team."
    assert ids(linker, "hand them to Payments for reversal", document) == ["team-payments"]
    assert ids(linker, 'often just "payments"', document) == ["paymentservice"]


def test_unresolvable_ambiguity_links_nothing(linker: EntityLinker) -> None:
    assert ids(linker, "payments look slow") == []


def test_plain_words_in_code_are_not_mentions(linker: EntityLinker) -> None:
    document = "The Payment Service is owned by the payments team."
    text = "Run `kubectl -n payments get pods` then\n```\nkubectl -n payments logs deploy/paymentservice\n```"
    assert ids(linker, text, document) == ["paymentservice"]


def test_one_link_per_node_with_its_best_score(linker: EntityLinker) -> None:
    links = linker.link("payment pods, then the Payment Service again")
    assert [(x.node_id, x.score, x.surface) for x in links] == [("paymentservice", 1.0, "Payment Service")]


def test_fingerprint_follows_entities_and_settings() -> None:
    a = EntityLinker(ENTITIES, settings=SHOP).fingerprint()
    assert a == EntityLinker(list(reversed(ENTITIES)), settings=SHOP).fingerprint()
    more = [*ENTITIES[:-1], Entity("INC-2047", "Incident", "Checkout failing", ("gateway outage",))]
    assert a != EntityLinker(more, settings=SHOP).fingerprint()
    assert a != EntityLinker(ENTITIES, settings=LinkSettings(fuzzy_threshold=None, generic_words=SHOP.generic_words, cue_window=1)).fingerprint()
    assert a != EntityLinker(ENTITIES, settings=LinkSettings(fuzzy_threshold=None)).fingerprint(), "the schema's synonyms are part of it"


def test_schema_synonyms_are_ordinary_words_for_the_linker() -> None:
    entities = [*ENTITIES, Entity("shopfront", "Service", "Shop Front", ("basket",))]
    generic = EntityLinker(entities, settings=LinkSettings(fuzzy_threshold=None))
    shop = EntityLinker(entities, settings=SHOP)
    # Without the web shop's synonyms "basket" is a distinctive alias; with them it needs a cue.
    assert ids(generic, "the basket looks slow") == ["shopfront"]
    assert ids(shop, "the basket looks slow") == []
    assert ids(shop, "the basket pods look slow") == ["shopfront"]
    assert "cart" not in GENERIC_WORDS and "cart" in SHOP.generic_words and GENERIC_WORDS < SHOP.generic_words


def test_entities_from_rows_use_the_schema_properties() -> None:
    schema = parse_schema(
        "version: 1\nname: t\nnodes:\n  Service:\n    name_property: title\n    aliases_property: aka\n"
        "    properties: {title: string, aka: string_list}\n  Team:\n    properties: {name: string}\n"
    )
    rows: dict[str, list[dict[str, Any]]] = {"Service": [{"id": "api", "title": "API", "aka": ["gateway api"]}], "Team": [{"id": "core", "name": "Core"}]}
    assert entities_from_rows(schema, rows) == [Entity("api", "Service", "API", ("gateway api",)), Entity("core", "Team", "Core", ())]


def test_one_token_written_another_way_links_by_its_compact_form() -> None:
    from opsgraph.ingest.linking import Entity, EntityLinker, compact_form

    assert compact_form("productcatalog-service") == compact_form("productcatalogsvc") == compact_form("ProductCatalogService")
    assert compact_form("orders_database") == compact_form("orders-db")
    linker = EntityLinker(
        [Entity("productcatalogservice", "Service", "Product Catalog Service", ()), Entity("orders-db", "Datastore", "Orders database", ())]
    )
    for text, node in (
        ("what port does productcatalog-service listen on?", "productcatalogservice"),
        ("is productcatalogsvc critical", "productcatalogservice"),
        ("who runs orders_database", "orders-db"),
    ):
        assert [link.node_id for link in linker.link(text)] == [node], text


def test_a_compact_form_two_nodes_share_names_neither() -> None:
    from opsgraph.ingest.linking import Entity, EntityLinker

    linker = EntityLinker([Entity("cart-service", "Service", "Cart", ()), Entity("cartsvc", "Service", "Cart v2", ())])
    assert [link.node_id for link in linker.link("who owns cart_service?")] == []
    assert [link.node_id for link in linker.link("who owns cartsvc?")] == ["cartsvc"]  # an exact id still links
