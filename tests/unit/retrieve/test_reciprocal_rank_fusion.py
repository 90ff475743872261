"""Reciprocal rank fusion: agreement rewarded, provenance kept, ties deterministic."""

from __future__ import annotations

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
