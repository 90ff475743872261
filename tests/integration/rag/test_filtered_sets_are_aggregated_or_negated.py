"""On the sample estate (real embedded store): averages, totals and extremes of a number property over a filtered set,
a comparison with a filter, a value negated and a relation lacked are answered, and the header says what was filtered
on; an aggregate over nodes some of which hold no value, a figure per group, a negation whose words go on beyond what
is read, and an average of something the graph does not hold are abstained from (never answered positively).
One module-scoped home; a hashing embedder stands in for MiniLM so the module stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.app.ask import AskService
from opsgraph.embed.fake import HashingEmbedder


@pytest.fixture(scope="module")
def ask(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings = Settings(home=tmp_path_factory.mktemp("filtered") / "home", embed={"provider": "none"}, cache={"backend": "none"}, memory={"backend": "none"})
    with OpsGraph(settings, embedder=HashingEmbedder(dims=256)) as og:
        og.ingest(sample_estate_path())
        asker = AskService(og.store, settings, embedder=og.embedder, llm=None)
        schema = og.schema()
        yield lambda q: asker.ask(q, schema, use_cache=False)
        asker.close()


def test_an_aggregate_over_a_filtered_set_is_answered(ask: Any) -> None:
    sev2 = ask("average incident duration for sev2s?")
    assert not sev2.abstained and sev2.rows == [{"avg_duration_minutes": 62.5}], sev2.text
    owned = ask("total partitions across topics owned by the Orders team")
    assert owned.rows == [{"sum_partitions": 13}] and "Orders" in owned.text, owned.text
    lowest = ask("what's the minimum SLA among our vendors?")
    assert [(r["id"], r["sla_availability"]) for r in lowest.rows] == [("ecb-rates-feed", 99.0)], lowest.text


def test_how_long_on_average_reads_the_declared_phrase(ask: Any) -> None:
    # `duration_minutes` declares "how long"; its description names the two times it is computed from.
    sev1 = ask("how long do sev1 incidents last on average?")
    assert sev1.rows == [{"avg_duration_minutes": 46}], sev1.text
    sev2 = ask("what's the average time to resolve a sev2?")
    assert sev2.rows == [{"avg_duration_minutes": 62.5}], sev2.text


def test_a_comparison_with_a_filter_is_answered(ask: Any) -> None:
    go = ask("which Go services have an SLO of at least 99.95?")  # "Go" is a filter, not a short word to skip
    assert {r["id"] for r in go.rows} == {"checkoutservice", "frontend", "productcatalogservice"}, go.text
    long = ask("sev2 incidents that lasted more than 60 minutes")
    assert {r["id"] for r in long.rows} == {"INC-2041", "INC-2089"}, long.text
    assert "severity sev2" in long.text and "duration_minutes > 60" in long.text


def test_a_negation_is_answered_and_said(ask: Any) -> None:
    bare = ask("which services have no runbook?")
    assert {r["id"] for r in bare.rows} == {"adservice", "loadgenerator", "recommendationservice"}, bare.text
    assert "no RUNBOOK_FOR" in bare.text
    not_go = ask("which services are not written in Go?")
    assert len(not_go.rows) == 10 and "language not Go" in not_go.text, not_go.text
    people = ask("who hasn't responded to any incident?")
    assert {r["id"] for r in people.rows} == {"ben.carter", "nadia.haddad"}, people.text
    none = ask("critical services without a runbook")
    assert not none.abstained and none.rows == [], none.text  # an empty answer to a negation is the answer


def test_values_of_the_other_end_of_one_relation_filter_the_set(ask: Any) -> None:
    hit = ask("which services were affected by sev1 incidents?")
    assert {r["id"] for r in hit.rows} == {"cartservice", "checkoutservice", "frontend", "paymentservice"}, hit.text
    owners = ask("which teams own critical services?")
    assert {r["id"] for r in owners.rows} == {"team-catalog", "team-orders", "team-payments", "team-storefront"}, owners.text


@pytest.mark.parametrize(
    "question",
    [
        "which services depend on critical services?",  # 'critical' may describe either end
        "what's the average replica count of the payments team's services?",  # replicas are not in the graph
        "average SLO per team",  # one figure per team
        "which incidents were not caused by a deploy?",  # the negation may be the value's
        "services with no incidents last month",  # a time the graph does not hold
        "average time to acknowledge a page for Platform SRE",  # no such number; nobody to page
        "which services are not owned by the payments team?",  # the relation lacked is the one to the entity named
    ],
)
def test_what_cannot_be_expressed_is_abstained(ask: Any, question: str) -> None:
    got = ask(question)
    assert got.abstained, got.text
