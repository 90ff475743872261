"""Successive halving: choose among prompt styles without measuring every style on every held-out pair.

`tune` used to run every candidate style on the whole held-out sample; most of
its time went into styles that were clearly behind after a few questions.
Here all candidates answer a first rung of items, the better half goes on to a
rung twice as long, and so on until one is left; the survivor always answers
every item, so the chosen style's accuracy is over the whole sample (the same
figure the exhaustive search reports for it). A dropped candidate's figures are
over the items it answered (`EvalReport.total` says how many).

Items arrive in a pattern-balanced round-robin order (`held_out_items`), so each
rung's prefix covers the patterns about as evenly as the whole sample does.

A candidate whose answers are already known (`free`: the first race's winner in
the race against its grammar-off twin) is never dropped: keeping it costs
nothing, and dropping it on a short prefix once chose a style 0.15 worse on
the whole sample than the one it dropped (bench/tune.py, 216-node estate).
Against a free candidate, a costly one goes on only while it is strictly more
accurate: on a tie, latency alone (noise on a shared machine, and the grammar-off
twin is always a little faster) kept the twin answering to the end.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from opsgraph.retrieve.text2cypher.eval import EvalItem, EvalReport

__all__ = ["Raced", "rank_key", "rungs", "successive_halving", "winner"]

C = TypeVar("C")


@dataclass
class Raced(Generic[C]):
    """One candidate's figures after the race."""

    candidate: C
    report: EvalReport
    """Merged over every item the candidate answered."""
    dropped_at: int | None = None
    """Items answered when it was dropped (None: it survived to the end)."""


def rank_key(report: EvalReport) -> tuple[float, float]:
    """Better first when sorted descending: accuracy, then the lower median latency."""
    return (report.accuracy, -report.percentile(50))


def rungs(n_items: int, first: int) -> list[int]:
    """Cumulative item counts at which candidates are compared: first, 2*first, 4*first, ... and always n_items last."""
    if n_items <= 0:
        return []
    out: list[int] = []
    size = max(1, first)
    while size < n_items:
        out.append(size)
        size *= 2
    out.append(n_items)
    return out


def successive_halving(
    candidates: Sequence[C],
    items: Sequence[EvalItem],
    measure: Callable[[C, Sequence[EvalItem]], EvalReport],
    *,
    first: int,
    free: Sequence[C] = (),
) -> list[Raced[C]]:
    """Race `candidates` on `items`; return every candidate's figures in the given order, the winner first-ranked by `rank_key`.

    `measure(candidate, items)` evaluates one candidate on some items (only new items: reports are merged here). After
    each rung the better ceil(half) of the survivors go on (ties keep the earlier candidate); once one is left it
    answers the remaining items alone. With `first >= len(items)` this is the exhaustive search. Candidates in `free`
    (their answers are known, so measuring them costs nothing) stay in the race even when they rank in the worse half.
    """
    if not candidates:
        raise ValueError("successive_halving needs at least one candidate")
    raced = [Raced(c, EvalReport()) for c in candidates]
    alive = list(range(len(raced)))
    done = 0
    for upto in rungs(len(items), first):
        chunk = items[done:upto]
        for i in alive:
            raced[i].report = raced[i].report.merged(measure(raced[i].candidate, chunk))
        done = upto
        if len(alive) > 1 and upto < len(items):
            # stable: ties keep the earlier one; on equal accuracy a free candidate ranks before a costly one
            ranked = sorted(alive, key=lambda i: _cut_key(raced[i], free), reverse=True)
            keep = set(ranked[: math.ceil(len(alive) / 2)]) | {i for i in alive if raced[i].candidate in free}
            for i in alive:
                if i not in keep:
                    raced[i].dropped_at = upto
            alive = [i for i in alive if i in keep]
    return raced


def _cut_key(raced: Raced[C], free: Sequence[C]) -> tuple[float, bool, float]:
    accuracy, speed = rank_key(raced.report)
    return (accuracy, raced.candidate in free, speed)


def winner(raced: Sequence[Raced[C]]) -> Raced[C]:
    """The best survivor (among those that answered every item) by `rank_key`; ties go to the earlier candidate."""
    full = [r for r in raced if r.dropped_at is None]
    return max(full or raced, key=lambda r: rank_key(r.report))
