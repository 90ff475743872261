"""The record of one text-to-Cypher training pair, and of a generated set of them.

Plain frozen data: the generator makes them, `split` keeps them on disk, the
example index and the writer read them. Nothing here knows how a pair is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsgraph.retrieve.text2cypher.slots import Slot

__all__ = ["CypherPair", "PairSet", "Slot"]


@dataclass(frozen=True)
class CypherPair:
    """One training pair."""

    question: str
    """The question, filled in: "What does Checkout Service depend on?"."""
    template: str
    """The question with every slot's surface replaced by `$<name>`: "What does $p0 depend on?"."""
    cypher: str
    """Parameterised Cypher; slots appear only as `$p0`, `$p1`, ..."""
    params: dict[str, Any]
    """Slot name → value."""
    slots: tuple[Slot, ...]
    """The slots, in order of appearance."""
    pattern: str
    """Family: lookup, filter, range, count, aggregate, group-count, top-k, hop1-out, hop1-in, hop2, ..."""
    shape: str
    """The pattern instance's structure without values, e.g. "hop1-in:Service-DEPENDS_ON->Service"."""
    phrasing: str
    """Which phrasing template, e.g. "hop1-in/2"."""
    rows: int
    """Rows the query returned when it was validated."""


@dataclass(frozen=True)
class PairSet:
    """Generated pairs and what happened on the way."""

    pairs: list[CypherPair]
    stats: dict[str, Any]
    """generated / ran / kept / rejected (by reason) / per_pattern / shapes / errors / seconds."""
