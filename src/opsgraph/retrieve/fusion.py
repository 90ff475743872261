"""Reciprocal rank fusion: merge ranked lists whose scores are not comparable.

Vector distances, full-text relevance and graph hop counts live on different
scales; RRF uses ranks only (score = Σ 1 / (k + rank)), so no retriever's
scale dominates. `k = 60` is the value from Cormack et al. (SIGIR 2009).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from opsgraph.retrieve.base import Hit

RRF_K = 60


def reciprocal_rank_fusion(lists: Sequence[Sequence[Hit]], *, k: int = RRF_K, limit: int | None = None) -> list[Hit]:
    """Fuse ranked hit lists by source id; the fused hit keeps the best-ranked copy and notes every retriever."""
    scores: dict[str, float] = {}
    best: dict[str, tuple[int, Hit]] = {}
    found: dict[str, list[str]] = {}
    for hits in lists:
        for rank, hit in enumerate(hits, start=1):
            key = hit.source_id
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
            found.setdefault(key, [])
            if hit.found_by and hit.found_by not in found[key]:
                found[key].append(hit.found_by)
            if key not in best or rank < best[key][0]:
                best[key] = (rank, hit)
    fused = [
        replace(best[key][1], score=scores[key], found_by="+".join(found[key]) or best[key][1].found_by)
        for key in sorted(scores, key=lambda s: (-scores[s], s))
    ]
    return fused[:limit] if limit is not None else fused
