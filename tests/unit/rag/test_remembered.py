"""`RememberedLinker`: an incident named by remembered title words around a placeholder ("the gemini quota thing",
"the one where carts emptied") or by a bare run of three title words ("the cart connection leak"); exactly one node
must hold the words, and one content word must be the run's own."""

from __future__ import annotations

from linking_fakes import SurfaceLinker
from opsgraph.rag.remembered import RememberedLinker, fronted_as_named
from opsgraph.schema import GraphSchema

SCHEMA = GraphSchema.model_validate(
    {
        "version": 1,
        "name": "remembered",
        "nodes": {
            "Datastore": {"properties": {"name": "string"}},
            "Incident": {"name_property": "title", "properties": {"title": "string", "started_at": "datetime", "resolved_at": "datetime"}},
            "Runbook": {"name_property": "title", "properties": {"title": "string"}},
        },
        "edges": {"CAUSED_BY": {"from": "Incident", "to": "Datastore"}, "AFFECTED": {"from": "Incident", "to": "Datastore"}},
        "incidents": {"type": "Incident", "caused_by": "CAUSED_BY"},
    }
)
NAMED = [
    ("INC-2041", "Incident", "Carts emptied after redis-cart hit maxmemory and evicted keys"),
    ("INC-2084", "Incident", "Shopping assistant errors: Gemini API quota exceeded"),
    ("INC-2093", "Incident", "Cart Service connection leak exhausted redis-cart clients"),
    ("INC-2097", "Incident", "redis-cart latency spikes during RDB snapshot fork"),
    ("INC-2071", "Incident", "Frontend 502s during a rolling deploy"),
    ("INC-2089", "Incident", "Checkout latency SLO burn from slow shipping carrier API"),
    ("rb-assistant-quota", "Runbook", "Shopping assistant: Gemini quota and errors"),
    ("rb-frontend-502", "Runbook", "Frontend 502s during deploy"),
    ("redis-cart", "Datastore", "Cart Redis"),
]
REDIS = {"redis-cart": ("redis-cart", "Datastore"), "cart redis": ("redis-cart", "Datastore")}


def linked(text: str, surfaces: dict[str, tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    linker = RememberedLinker(SurfaceLinker(surfaces or {}), NAMED, SCHEMA)  # type: ignore[arg-type]
    return [(x.node_id, x.surface) for x in linker.link(text)]


def test_title_words_before_a_placeholder_name_the_one_incident() -> None:
    assert linked("what caused the gemini quota thing?") == [("INC-2084", "gemini quota thing")]
    assert linked("which incident was the rdb snapshot fork one?") == [("INC-2097", "rdb snapshot fork one")]
    # Only incidents are named by a placeholder: the runbook holding the same words is no rival.
    assert linked("how long was the frontend 502s outage") == [("INC-2071", "frontend 502s outage")]


def test_title_words_after_a_placeholder_name_the_one_incident() -> None:
    got = linked("the one where carts emptied - how long did it last?", {"carts": ("cartservice", "Service")})
    assert got == [("INC-2041", "one where carts emptied")]
    assert linked("the outage with the rdb snapshot fork, who was IC?") == [("INC-2097", "outage with the rdb snapshot fork")]


def test_a_bare_run_of_three_title_words_names_the_one_node_of_any_type() -> None:
    assert linked("who led the response to the cart connection leak?") == [("INC-2093", "cart connection leak")]
    # Two words are not enough without a placeholder; words a runbook's title holds too name neither.
    assert linked("who led the response to the connection leak?") == []
    assert linked("what do we do about the frontend 502s during deploy?") == []


def test_words_several_incidents_share_name_none() -> None:
    # "cart redis" is in the titles of three incidents: the datastore stays linked, no incident is picked.
    assert linked("what caused the cart redis thing?", REDIS) == [("redis-cart", "cart redis")]
    assert linked("the redis-cart one, how long was it?", REDIS) == [("redis-cart", "redis-cart")]


def test_words_all_covered_by_another_link_or_a_single_word_name_no_incident() -> None:
    assert linked("what caused the gemini thing?") == []
    # "a problem with ..." is no past incident described.
    assert linked("any problem with the redis-cart maxmemory?", REDIS) == [("redis-cart", "redis-cart")]


def test_function_words_of_the_run_need_not_be_the_titles() -> None:
    got = linked("root cause of the frontend 502s during the rolling deploy?", {"frontend": ("frontend", "Service")})
    assert got == [("INC-2071", "frontend 502s during the rolling deploy")]
    # "slowness" is a word of a title saying "slow"; "rate" of one saying "rates".
    assert linked("customer impact of the shipping carrier api slowness outage?") == [("INC-2089", "shipping carrier api slowness outage")]


def test_a_thing_named_first_and_asked_about_as_it() -> None:
    assert fronted_as_named("the checkout outage in march, what caused it?") == "what caused the checkout outage in march?"
    assert fronted_as_named("that payment timeout outage - how long did it last") == "how long did that payment timeout outage last"
    # No "it", two of them, or a name that asks something itself: unchanged.
    for q in (
        "the ledger db, who owns the checkout?",
        "the ledger incident, was it worse than it looked?",
        "the one that broke what, who fixed it?",
    ):
        assert fronted_as_named(q) == q


def test_a_runbook_or_a_problem_that_may_happen_is_not_named_so() -> None:
    # "one" before a noun is a number, not a placeholder.
    assert linked("redis-cart latency spikes on one node, what now?") == []
    assert linked("how do I check the shopping assistant gemini quota?") == []
    assert linked("who do I escalate to if the gemini quota problem persists?") == []
