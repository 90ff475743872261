"""`SpelledLinker`: a word one edit from the name words of one node ("chekout", "shiping service", "frontned") is linked
as the estate spells it, with the word as written in the surface; a word the estate or schema uses, a short word, or a
word one edit from several nodes' names is not (the last is reported by `misspelt`, for the abstention to name)."""

from __future__ import annotations

from dataclasses import dataclass

from opsgraph.app import sample_estate_path
from opsgraph.rag.spelled import SpelledLinker, misspelt, one_edit, typo_of
from opsgraph.schema import load_schema

SCHEMA = load_schema(sample_estate_path() / "schema.yaml")
NAMED: list[tuple[str, str, tuple[str, ...]]] = [
    ("checkoutservice", "Service", ("Checkout Service", "checkout")),
    ("shippingservice", "Service", ("Shipping Service", "shipping")),
    ("frontend", "Service", ("Frontend", "web frontend")),
    ("cartservice", "Service", ("Cart Service", "cart")),
    ("paymentservice", "Service", ("Payment Service", "payment", "payments")),
    ("team-payments", "Team", ("Payments", "payments team")),
    ("INC-1", "Incident", ("Checkout latency spike after the payment deploy",)),
    ("recommendationservice", "Service", ("Recommendation Service", "recommender")),
    ("marcus.bell", "Person", ("Marcus Bell", "Marcus")),
    ("shoppingassistantservice", "Service", ("Shopping Assistant Service", "shopping assistant")),
]


@dataclass(frozen=True)
class Found:
    node_id: str
    node_type: str
    surface: str
    start: int
    end: int
    score: float = 1.0
    method: str = "alias"


class NameLinker:
    """Links whole surfaces (longest first), as the real linker's exact matches do for these texts."""

    def __init__(self, surfaces: dict[str, str]) -> None:
        self.surfaces = surfaces

    def link(self, text: str) -> list[Found]:
        out: list[Found] = []
        for surface, node_id in sorted(self.surfaces.items(), key=lambda x: -len(x[0])):
            at = text.lower().find(surface)
            if at >= 0 and not any(x.start <= at < x.end for x in out):
                out.append(Found(node_id, "Service", text[at : at + len(surface)], at, at + len(surface)))
        return sorted(out, key=lambda x: x.start)


SURFACES = {"recommender": "recommendationservice", "marcus": "marcus.bell", "checkout": "checkoutservice", "shipping service": "shippingservice", "frontend": "frontend", "cart": "cartservice"}


def linked(text: str) -> list[tuple[str, str, str]]:
    linker = SpelledLinker(NameLinker(SURFACES), NAMED, SCHEMA, known={"leader", "charter"})
    return [(x.node_id, x.surface, x.method) for x in linker.link(text)]


def test_one_edit_is_one_letter_added_dropped_changed_or_two_swapped() -> None:
    assert one_edit("chekout", "checkout") and one_edit("checkoutt", "checkout") and one_edit("chackout", "checkout")
    assert one_edit("frontned", "frontend")
    assert not one_edit("checkout", "checkout") and not one_edit("chkout", "checkout") and not one_edit("frnotned", "frontend")


def test_a_name_one_letter_off_is_linked_with_the_word_as_written() -> None:
    assert linked("who owns chekout?") == [("checkoutservice", "chekout", "spelling")]
    assert linked("what language is the shiping service written in?") == [("shippingservice", "shiping service", "spelling")]
    assert linked("who's on call for the frontned?") == [("frontend", "frontned", "spelling")]


def test_other_links_keep_their_place_around_a_corrected_word() -> None:
    text = "does chekout depend on the cart?"
    got = SpelledLinker(NameLinker(SURFACES), NAMED, SCHEMA).link(text)
    assert [(x.node_id, text[x.start : x.end], x.method) for x in got] == [("checkoutservice", "chekout", "spelling"), ("cartservice", "cart", "alias")]


def test_known_words_short_words_and_title_words_are_not_typos() -> None:
    # 'card' is one letter from 'cart' but short; 'leader' and 'charter' are words the estate uses (known).
    assert linked("which services handle card payments?") == []
    assert linked("who is the leader of the charter?") == []
    # 'latency' is a word of an incident's title only: a long title describes rather than names.
    assert linked("why is latancy high?") == []


def test_english_words_one_edit_from_a_name_are_not_typos() -> None:
    assert typo_of("frontned", "frontend") and typo_of("chekout", "checkout")
    # Another first letter, another ending, a doubled consonant of an English form: words of their own.
    assert not typo_of("sector", "vector") and not typo_of("recommended", "recommender") and not typo_of("fronted", "frontend")
    assert linked("which services are recommended?") == []
    assert linked("which services are slipping?") == []


def test_people_names_a_letter_apart_are_other_people() -> None:
    assert linked("what does Marius work on?") == []


def test_a_word_one_edit_from_several_nodes_names_none_and_says_which() -> None:
    linker = SpelledLinker(NameLinker(SURFACES), NAMED, SCHEMA)
    assert linker.link("who owns the shpping service?") == []
    [found] = misspelt(linker, "who owns the shpping service?")
    assert found.word == "shpping" and found.candidates == ("shippingservice", "shoppingassistantservice")
    assert misspelt(NameLinker({}), "who owns the shpping service?") == []


def test_one_correction_leaves_the_choice_between_nodes_to_the_linker() -> None:
    # "paymants" is one edit from the one word "payments"; which node "payments" names is the base linker's call.
    linker = SpelledLinker(NameLinker({"payments": "team-payments"}), NAMED, SCHEMA)
    assert [(x.node_id, x.surface) for x in linker.link("who owns paymants?")] == [("team-payments", "paymants")]


def test_a_correction_no_link_covers_is_dropped() -> None:
    # 'shiping' alone is 'shipping', which the base links only as "shipping service": nothing is linked.
    assert linked("who owns shiping?") == []
