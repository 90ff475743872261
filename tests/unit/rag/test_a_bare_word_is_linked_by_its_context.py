"""`ContextLinker`: a bare word of one node's name is linked when the question's other words say its type ("owned by
payments" → an owner, "pager duty for X" → a team or what teams own, "the catalog folks" → a team, "X is failing" → what
teams own); with no such context, or with a word that nodes of two allowed types share, nothing is linked."""

from __future__ import annotations

from linking_fakes import SurfaceLinker
from opsgraph.app import sample_estate_path
from opsgraph.rag.contexted import ContextLinker
from opsgraph.schema import load_schema

SCHEMA = load_schema(sample_estate_path() / "schema.yaml")
NAMED: list[tuple[str, str, tuple[str, ...]]] = [
    ("team-payments", "Team", ("Payments", "payments team", "payments squad")),
    ("team-orders", "Team", ("Orders & Fulfilment", "orders team", "fulfilment team", "checkout team")),
    ("checkoutservice", "Service", ("Checkout Service", "checkout")),
    ("team-catalog", "Team", ("Catalog", "catalog team")),
    ("paymentservice", "Service", ("Payment Service", "payments", "card charging")),
    ("productcatalogservice", "Service", ("Product Catalog Service", "catalog")),
    ("order-events", "Queue", ("order-events", "orders topic")),
    ("payments-ledger-db", "Datastore", ("Payments ledger database", "ledger")),
    ("amara.okafor", "Person", ("Amara Okafor", "Amara")),
]






def linked(text: str, surfaces: dict[str, tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    linker = ContextLinker(SurfaceLinker(surfaces or {}), NAMED, SCHEMA)
    return [(x.node_id, x.surface) for x in linker.link(text)]


def test_owned_by_a_bare_word_links_the_one_owner_with_that_word() -> None:
    assert linked("critical services owned by payments") == [("team-payments", "payments")]
    assert linked("which services are owned by fulfilment?") == [("team-orders", "fulfilment")]
    # Near miss: no owner has the word "ledger" (only a datastore), so nothing is linked.
    assert linked("services owned by ledger") == []


def test_a_bare_word_without_a_context_is_left_unlinked() -> None:
    assert linked("tell me about payments") == []
    assert linked("what does fulfilment look like?") == []


def test_paging_for_a_word_of_one_team_links_it() -> None:
    assert linked("who has pager duty for fulfilment?") == [("team-orders", "fulfilment")]
    # Near miss: "orders" is a word of a team and of a topic that teams own; paging allows both, so neither.
    assert linked("who has pager duty for orders?") == []


def test_a_people_noun_after_the_word_links_a_team() -> None:
    # The people noun is part of the surface, as in the alias "catalog team".
    assert linked("who are the catalog folks?") == [("team-catalog", "catalog folks")]
    # Near miss: "catalog" names a team and a service; with no context, neither.
    assert linked("tell me about catalog") == []


def test_failing_and_paging_together_still_need_one_node() -> None:
    # "payments" is a word of the payment service and of the ledger database, both things teams own: neither.
    assert linked("who do I page if payments are failing?") == []
    assert linked("who do I page if charging is failing?") == [("paymentservice", "charging")]


def test_a_word_already_linked_is_left_to_its_link() -> None:
    got = linked("services owned by the payments team", {"payments team": ("team-payments", "Team")})
    assert got == [("team-payments", "payments team")]


def test_a_one_word_alias_the_context_rules_out_gives_way() -> None:
    alias = {"checkout": ("checkoutservice", "Service")}
    # "owned by" wants an owner: the team with the alias "checkout team", not the checkout service.
    assert linked("services owned by checkout", alias) == [("team-orders", "checkout")]
    # Near miss: paging allows the service, so its link stays; "who owns" is no "owned by" context.
    assert linked("who do I page for checkout?", alias) == [("checkoutservice", "checkout")]
    assert linked("who owns checkout?", alias) == [("checkoutservice", "checkout")]


def test_after_a_dependency_word_the_whole_alias_names_the_component() -> None:
    # "payments" is the payments team's name, the payment service's alias and a word of the ledger database's name;
    # after "uses for" only components fit, and of those only the service has the whole word as a name.
    assert linked("what's the timeout checkout uses for payments?", {"checkout": ("checkoutservice", "Service")}) == [
        ("checkoutservice", "checkout"),
        ("paymentservice", "payments"),
    ]
    # Near miss: no dependency word before it, so the word still names neither.
    assert linked("what's the timeout checkout has for payments?", {"checkout": ("checkoutservice", "Service")}) == [
        ("checkoutservice", "checkout"),
    ]
    # "call" also names the observed CALLS edge, which is no dependency: no dependency context there.
    assert linked("what does checkout call for payments?", {"checkout": ("checkoutservice", "Service")}) == [
        ("checkoutservice", "checkout"),
    ]


def test_after_an_incident_word_the_whole_alias_names_what_incidents_hit() -> None:
    # Incidents affect components (the schema's `incidents:` edges), not teams: "payments" is the service's alias.
    assert linked("what's the last outage on payments?") == [("paymentservice", "payments")]
    assert linked("any incidents affecting payments?") == [("paymentservice", "payments")]
    # Near miss: no incident word before it (and no other context): neither.
    assert linked("anything on payments?") == []


def test_a_property_word_types_the_bare_word() -> None:
    # A port is a component's: of the nodes with the word, the service whose alias it is (not the ledger database).
    assert linked("what port does payments listen on?") == [("paymentservice", "payments")]
    # Near miss: no property or relation word around it: neither.
    assert linked("tell me about payments") == []


def test_a_property_word_links_only_a_whole_name() -> None:
    named = [*NAMED, ("INC-2071", "Incident", ("Frontend 502s during a rolling deploy",))]
    linker = ContextLinker(SurfaceLinker({}), named, SCHEMA)
    # "triggered" names the incidents' `trigger`, but "deploy" is a word of a title, not a name: no link.
    assert [(x.node_id, x.surface) for x in linker.link("which incidents were triggered by a deploy?")] == []


def test_after_a_paging_word_the_team_of_that_whole_name() -> None:
    # "payments" is the team's name and the service's alias: paging goes to a team's rotation, so the team.
    assert linked("who do I page for payments if the primary doesn't answer?") == [("team-payments", "payments")]
    # Near miss: "failing" rules the team out, and two components keep the word: neither.
    assert linked("who do I page if payments are failing?") == []


def test_before_a_health_word_the_component_of_that_whole_name() -> None:
    assert linked("is payments ok?") == [("paymentservice", "payments")]
    assert linked("payments at risk?") == [("paymentservice", "payments")]
    # "catalog" names a team and a service: health is a component's, the service whose alias it is.
    assert linked("is catalog healthy?") == [("productcatalogservice", "catalog")]
