"""Property questions in everyday words ("written in", "tier 1", "golang", "self-hosted", "how bad", "is X java?",
"is A's SLO higher than B's?") are answered right on the real sample estate; what it does not hold is still abstained,
and the library catalogue's membership tier is no criticality (`rag/property_words.py`, `rag/property_yesno.py`,
`rag/property_compare.py`)."""

from __future__ import annotations

from typing import Any


def _ids(answer: Any) -> set[str]:
    return {str(r.get("id")) for r in answer.rows}


def _values(answer: Any) -> list[Any]:
    return [v for r in answer.rows for v in r.values()]


def test_everyday_words_for_a_property(ask: Any) -> None:
    for q, want in (("what's the cart service written in?", ["C#"]), ("which stack is the currency service on?", ["Node.js"]),
                    ("how bad was INC-2053?", ["sev3"]), ("what set off INC-2093?", ["deploy"]),
                    ("what flavour of db is the payments ledger?", ["postgresql"])):  # fmt: skip
        a = ask(q)
        assert not a.abstained, (q, a.text)
        assert _values(a) == want, (q, a.rows)


def test_loose_values_tier_n_and_self_hosting(ask: Any) -> None:
    a = ask("anything written in golang?")
    assert not a.abstained, a.text
    assert _ids(a) == {"checkoutservice", "frontend", "productcatalogservice", "shippingservice"}
    a = ask("which tier 1 services are in Go?")
    assert not a.abstained, a.text
    assert _ids(a) == {"checkoutservice", "frontend", "productcatalogservice"}
    a = ask("which dbs do we host ourselves?")
    assert not a.abstained, a.text
    assert _ids(a) == {"analytics-warehouse", "currency-rates-cache", "redis-cart"}


def test_yes_no_on_one_value_and_on_a_comparison(ask: Any) -> None:
    for q, yes in (("is the ad service java?", True), ("is the ad service python?", False),
                   ("is the recommendation service critical?", False), ("is INC-2101 still open?", False),
                   ("is the checkout SLO higher than the ad service's?", True),
                   ("is the ad service's slo higher than checkout's?", False)):  # fmt: skip
        a = ask(q)
        assert not a.abstained, (q, a.text)
        assert _values(a) == [yes], (q, a.rows)
        assert a.text.startswith("Yes" if yes else "No"), (q, a.text)


def test_what_the_estate_does_not_hold_is_abstained(ask: Any) -> None:
    for q in ("what version of the frontend is running in prod?", "anything still on python 3.8?", "which region is the orders db in?",
              "is the ad service not java?", "is the checkout SLO higher than 99.9 and lower than the frontend's?"):  # fmt: skip
        a = ask(q)
        assert a.abstained, (q, a.text)


def test_a_membership_tier_is_no_criticality_and_not_written_in_is_a_filter(ask: Any, library_ask: Any) -> None:
    a = library_ask("which members are tier 1?")
    assert a.abstained, a.text
    a = ask("which services are not written in Go?")
    assert not a.abstained, a.text
    assert len(a.rows) == 10 and "language not Go" in a.text, a.text
