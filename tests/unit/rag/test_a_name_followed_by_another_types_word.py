"""`TypedLinker`: "the cart db" names the cart's datastore, not the cart service; a type word the linked node already
has, a person or incident word, or a type no single node fits, never re-links to a guess."""

from __future__ import annotations

from linking_fakes import SurfaceLinker
from opsgraph.app import sample_estate_path
from opsgraph.rag.typed_name import TypedLinker
from opsgraph.schema import load_schema

SCHEMA = load_schema(sample_estate_path() / "schema.yaml")
NAMED: list[tuple[str, str, tuple[str, ...]]] = [
    ("cartservice", "Service", ("Cart Service", "cart")),
    ("redis-cart", "Datastore", ("Cart Redis", "cart cache")),
    ("checkoutservice", "Service", ("Checkout Service", "checkout")),
    ("paymentservice", "Service", ("Payment Service", "payments")),
    ("payments-ledger-db", "Datastore", ("Payments ledger database", "ledger")),
    ("payments-archive-db", "Datastore", ("Payments archive database",)),
    ("product-catalog-db", "Datastore", ("Product catalog database", "catalog db")),
    ("catalog-cache", "Datastore", ("Catalog cache", "product cache")),
    ("productcatalogservice", "Service", ("Product Catalog Service", "product catalog")),
    ("team-payments", "Team", ("Payments", "payments team")),
]






def _linked(words: dict[str, tuple[str, str]], text: str) -> list[tuple[str, str]]:
    return [(x.node_id, x.surface) for x in TypedLinker(SurfaceLinker(words), NAMED, SCHEMA).link(text)]  # type: ignore[arg-type]


def test_the_cart_db_is_the_carts_datastore() -> None:
    cart = {"cart": ("cartservice", "Service")}
    assert _linked(cart, "who do I page if the cart db goes down?") == [("redis-cart", "cart db")]
    assert _linked(cart, "what engine does the cart's database run?") == [("redis-cart", "cart's database")]
    catalog = {"product catalog": ("productcatalogservice", "Service")}
    assert _linked(catalog, "who do I wake up about the product catalog DB?") == [("product-catalog-db", "product catalog DB")]


def test_its_own_type_word_and_other_kinds_keep_the_link() -> None:
    cart = {"cart": ("cartservice", "Service")}
    assert _linked(cart, "who owns the cart service?") == [("cartservice", "cart")]
    assert _linked(cart, "who owns cart?") == [("cartservice", "cart")]
    team = {"payments": ("team-payments", "Team")}
    assert _linked(team, "who are the payments people?") == [("team-payments", "payments")]


def test_no_single_node_of_the_type_said_drops_the_link() -> None:
    # Two datastores have "payments": neither is guessed; no queue is checkout's: the service is not answered for it.
    assert _linked({"payments": ("paymentservice", "Service")}, "who owns the payments db?") == []
    assert _linked({"checkout": ("checkoutservice", "Service")}, "what reads the checkout queue?") == []
