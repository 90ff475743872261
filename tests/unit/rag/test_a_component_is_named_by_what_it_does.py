"""`DepictedLinker`: "the <type word | thing> that <what it does>" links the one component whose description holds
every content word of the phrase (the phrase is the surface, replacing a link inside it to the same node); a phrase
two descriptions fit, a word no description holds, a type of no component, or a name of another node inside the
phrase links nothing."""

from __future__ import annotations

from linking_fakes import SurfaceLinker
from opsgraph.app import sample_estate_path
from opsgraph.rag.depicted import DepictedLinker, component_types, described_nodes, description_properties
from opsgraph.schema import load_schema

SCHEMA = load_schema(sample_estate_path() / "schema.yaml")
ROWS: list[tuple[str, str, list[str], list[str]]] = [
    ("emailservice", "Service", ["Sends order confirmation e-mails when checkout calls it, and notifications."], ["Email Service", "emails"]),
    ("checkoutservice", "Service", ["Places orders: reads the cart, charges the card and publishes an order event."], ["Checkout Service"]),
    ("frontend", "Service", ["Serves the website and fans out to render pages and place orders."], ["Frontend"]),
    ("paymentservice", "Service", ["Charges the card through the payment gateway and publishes payment events."], ["Payment Service", "payment"]),
    ("orders-db", "Datastore", ["Postgres holding placed orders and shipment tracking ids."], ["Orders database"]),
    ("payment-events", "Queue", ["Topic of payment authorisations, captures and declines."], ["payment-events"]),
    ("ecb-feed", "ExternalService", ["Daily XML feed of exchange rates, published on working days."], ["ECB feed"]),
    ("analytics-worker", "Service", ["Loads events into the warehouse for dashboards."], ["Analytics Worker"]),
    ("frontend-lb", "Service", ["Serves pages behind the external HTTPS load balancer."], ["Web"]),
    ("team-orders", "Team", ["Owns checkout and sends order e-mails."], ["Orders"]),
]






def linked(text: str, surfaces: dict[str, tuple[str, str]] | None = None) -> list[tuple[str, str, str]]:
    linker = DepictedLinker(SurfaceLinker(surfaces or {}), described_nodes(ROWS), SCHEMA)  # type: ignore[arg-type]
    return [(x.node_id, x.surface, x.method) for x in linker.link(text)]


def test_the_schema_says_which_types_are_components_and_which_property_describes_them() -> None:
    assert component_types(SCHEMA) >= {"Service", "Datastore", "Queue", "ExternalService"}
    assert "Team" not in component_types(SCHEMA) and "Incident" not in component_types(SCHEMA)
    assert description_properties(SCHEMA, "Service") == ["description"]


def test_one_description_holding_every_word_links_with_the_whole_phrase() -> None:
    assert linked("who owns the thing that sends the order confirmation emails?") == [
        ("emailservice", "thing that sends the order confirmation emails", "description")
    ]
    assert linked("who's on call for the db that holds the placed orders?") == [("orders-db", "db that holds the placed orders", "description")]


def test_words_after_the_phrase_are_left_for_the_pipeline() -> None:
    assert linked("what depends on the daily XML feed of exchange rates we call?") == [("ecb-feed", "daily XML feed of exchange rates", "description")]


def test_a_link_inside_the_phrase_to_the_same_node_is_replaced() -> None:
    got = linked("who owns the service that sends order emails?", {"emails": ("emailservice", "Service")})
    assert got == [("emailservice", "service that sends order emails", "description")]


def test_an_alias_of_a_type_the_phrase_rules_out_gives_way() -> None:
    got = linked("what reads the topic of payment authorisations and declines?", {"payment": ("paymentservice", "Service")})
    assert got == [("payment-events", "topic of payment authorisations and declines", "description")]


def test_a_name_of_another_node_inside_the_phrase_keeps_the_phrase_unlinked() -> None:
    got = linked("who owns the thing that charges the card through the payment gateway?", {"payment gateway": ("pgw", "ExternalService")})
    assert got == [("pgw", "payment gateway", "alias")]


def test_two_fitting_descriptions_link_neither() -> None:
    assert linked("what language is the service that publishes events written in?") == []
    assert linked("what does the service that places orders depend on?") == []  # checkout and the frontend


def test_a_word_no_description_holds_links_nothing() -> None:
    assert linked("who owns the service that sends SMS notifications?") == []
    assert linked("who owns the thing that sends notifications to customers?") == [("emailservice", "thing that sends notifications", "description")]


def test_inflections_match_but_a_different_word_with_the_same_stem_does_not() -> None:
    # "worker" is no form of "working"; the worker's own description does not say "feeds".
    assert linked("who is on call for the worker that feeds the dashboards?") == []


def test_a_type_of_no_component_or_one_content_word_is_no_description() -> None:
    assert linked("who is in the team that sends order e-mails?") == []
    assert linked("who owns the thing that sends?") == []


def test_a_bare_noun_phrase_is_a_name_not_a_description() -> None:
    # The words of "load balancer" are in one description, as something the node sits behind: no connector, no link.
    assert linked("what would a load balancer failure take down?") == []
    assert linked("what depends on the daily XML feed?") == []
