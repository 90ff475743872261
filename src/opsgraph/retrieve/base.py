"""One result type for every retriever, and the base class that guarantees it.

A `Hit` says what was found (a node, a chunk, a query row), how well it
matched, the text a prompt will show, and which retriever found it and how.
`BaseRetriever.retrieve` validates input, times the call, stamps `found_by`
and sorts; a retriever only writes `_retrieve`. Retrievers keep no state
between calls.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

HitKind = Literal["chunk", "node", "row"]


class LinkedEntity(Protocol):
    """An estate entity a text names, with where and how surely (`opsgraph.ingest.linking.Link` fits)."""

    @property
    def node_id(self) -> str: ...
    @property
    def node_type(self) -> str: ...
    @property
    def surface(self) -> str:
        """The text that named it, as written."""
    @property
    def start(self) -> int:
        """Offset of `surface` in the text."""
    @property
    def end(self) -> int: ...
    @property
    def score(self) -> float: ...


class EntityLinker(Protocol):
    """Finds the estate entities a text names: the one linker protocol of retrieval, rewriting and slot finding.

    The app passes `opsgraph.ingest.linking.EntityLinker`; a protocol, so the
    layers above `ingest` need no import from it.
    """

    def link(self, text: str) -> Sequence[LinkedEntity]:
        """Entities named in `text`, in order of appearance."""


@dataclass(frozen=True)
class Hit:
    """One retrieved item."""

    source_id: str
    """Node id, chunk id, or `cypher#<n>` for a query row."""
    kind: HitKind
    """What the source is."""
    score: float
    """The retriever's own score, higher is better (comparable within one retriever only)."""
    text: str
    """What a prompt shows for this item."""
    found_by: str = ""
    """Name of the retriever that produced it."""
    detail: dict[str, Any] = field(default_factory=dict)
    """How it was found: the index, the Cypher, the entity and hop count, the document and heading."""


@dataclass(frozen=True)
class Retrieval:
    """What one retriever returned, and what it cost."""

    retriever: str
    hits: list[Hit]
    elapsed_ms: float
    detail: dict[str, Any] = field(default_factory=dict)
    """Retriever-specific trace: the Cypher that ran, attempts, errors, linked entities."""


class Retriever(Protocol):
    """Anything that turns a question into hits."""

    name: str

    def retrieve(self, query: str, k: int = 10, filters: Mapping[str, Any] | None = None) -> Retrieval:
        """Return at most `k` hits for `query`, best first."""


class BaseRetriever(ABC):
    """Validation, timing and labelling around one `_retrieve`."""

    name = "base"

    def retrieve(self, query: str, k: int = 10, filters: Mapping[str, Any] | None = None) -> Retrieval:
        if not query or not query.strip():
            raise ValueError("the query is empty")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        began = time.perf_counter()
        hits, detail = self._retrieve(query.strip(), k, dict(filters or {}))
        elapsed = (time.perf_counter() - began) * 1000
        labelled = [replace(h, found_by=self.name) for h in hits]
        labelled.sort(key=lambda h: -h.score)
        return Retrieval(self.name, labelled[:k], elapsed, detail)

    @abstractmethod
    def _retrieve(self, query: str, k: int, filters: dict[str, Any]) -> tuple[list[Hit], dict[str, Any]]:
        """Hits (any order) and a trace dict."""


def node_text(node_type: str, props: Mapping[str, Any], *, skip: Sequence[str] = ()) -> str:
    """A node as one line a prompt can read: `Service paymentservice: name=Payment Service; tier=critical`."""
    parts = []
    for key, value in props.items():
        if key in ("id", "_hash", "_type", *skip) or value is None or value == "" or value == []:
            continue
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        text = str(value)
        parts.append(f"{key}={text[:300]}")
    return f"{node_type} {props.get('id')}: " + "; ".join(parts)
