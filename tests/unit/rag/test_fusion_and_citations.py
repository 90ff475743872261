"""Reciprocal rank fusion and citation checking."""

from __future__ import annotations

from opsgraph.rag.pipeline import _citations, _invented_numbers, _strip_citations
from opsgraph.retrieve.base import Hit
from opsgraph.retrieve.fusion import reciprocal_rank_fusion


def hits(ids: list[str], by: str) -> list[Hit]:
    return [Hit(i, "node", 1.0, i, found_by=by) for i in ids]


def test_rrf_rewards_agreement_and_keeps_provenance() -> None:
    fused = reciprocal_rank_fusion([hits(["a", "b", "c"], "vector"), hits(["b", "d"], "fulltext")])
    assert [h.source_id for h in fused][:2] == ["b", "a"]
    assert fused[0].found_by == "vector+fulltext"
    assert fused[0].score == 1 / 62 + 1 / 61


def test_rrf_limit_and_ties_are_deterministic() -> None:
    fused = reciprocal_rank_fusion([hits(["x", "y"], "a"), hits(["y", "x"], "b")], limit=1)
    assert [h.source_id for h in fused] == ["x"]


def test_citations_outside_the_context_are_dropped() -> None:
    valid, dropped = _citations("Payment depends on the gateway [1][3, 9] and ledger [12].", 4)
    assert valid == [1, 3]
    assert dropped == [9, 12]
    assert _strip_citations("a [3, 9] b [12].", dropped) == "a [3] b ."


def test_invented_numbers_are_found() -> None:
    rows = "[1] Service checkoutservice\n[2] Service frontend"
    assert _invented_numbers("2 services depend on payment.", rows, 2) == []
    assert _invented_numbers("5 services depend on payment.", rows, 2) == ["5"]
