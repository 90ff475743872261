"""The records of the semantic cache: who may see an entry, what an answer depended on, what a lookup found.

Plain pydantic models and dataclasses shared by the cache backends, the
freshness check and the conversation history (`Scope`); no behaviour beyond
validation and the entry id.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_THRESHOLD = 0.1
"""Cosine distance under which a cached question counts as the same question.

Chosen by `bench/cache.py` with all-MiniLM-L6-v2: the best F0.5 on 3,000
labelled Quora pairs (0.10 and 0.15 tie; the stricter wins). There, 0.10 gives
precision 0.65 (0.76 counting only hits on the pair's own, labelled question)
at recall 0.40; 0.20 gives 0.56 at 0.68. Quora's negatives are near misses by
construction, so these are pessimistic; on operations questions about the
sample estate 0.10 served 240 of 256 paraphrases, and the entity guard refused
the 2 of 960 entity-swapped questions that came within it."""

Outcome = Literal["hit", "miss", "stale"]
_SCOPE_PART = re.compile(r"^[A-Za-z0-9_.@+\-]{1,128}$")


class Scope(BaseModel):
    """Whose cache entries a lookup may see: exactly those stored with the same tenant and user."""

    model_config = ConfigDict(frozen=True)
    tenant: str = "default"
    """The estate or organisation; entries of one tenant are never served to another."""
    user: str = "anonymous"
    """The user; entries are private to one user (give a team one user name to share answers)."""

    @field_validator("tenant", "user")
    @classmethod
    def _plain(cls, value: str) -> str:
        if not _SCOPE_PART.match(value):
            raise ValueError(f"{value!r}: use 1-128 letters, digits and _ . @ + - (it becomes a filter value)")
        return value

    @property
    def key(self) -> str:
        """`tenant/user`: the one string a backend partitions by."""
        return f"{self.tenant}/{self.user}"

    def allows(self, entry_scope: Scope) -> bool:
        """Whether a lookup in this scope may see an entry stored in `entry_scope`."""
        return self.tenant == entry_scope.tenant and self.user == entry_scope.user


class Freshness(BaseModel):
    """What a cached answer depended on, recorded when it was stored."""

    data_version: int
    """The store's `data_version()` when the answer was made."""
    sources: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Node type → {node id → fingerprint} for every node and chunk the answer was given."""
    query: str | None = None
    """The read-only Cypher whose rows *are* the answer, re-run to check them."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Its parameters."""
    rows_hash: str | None = None
    """Hash of its rows when the answer was made."""
    variant: str = ""
    """Hash of the settings that shape answers (model, k, hops); a different value is a different answer."""
    store: str = ""
    """Which store instance `data_version` counts in (versions of two stores are not comparable)."""


class FreshnessVerdict(BaseModel):
    """Whether a cached answer still holds, and why."""

    fresh: bool
    reason: str
    ms: float = 0.0
    """Time spent checking."""
    restamp: Freshness | None = None
    """An updated record to store with the entry (same fingerprints, newer data version), so the next check is fast."""


class CacheHit(BaseModel):
    """A cached answer served for a lookup."""

    entry_id: str
    """Cache entry identifier."""
    prompt: str
    """The question the entry was stored for."""
    answer: str
    """The cached answer text."""
    distance: float
    """Cosine distance between the lookup's question and `prompt`."""
    created_at: float
    """Epoch seconds when the entry was stored."""
    age_s: float
    """Seconds since it was stored."""
    expires_at: float | None = None
    """Epoch seconds when it expires; None: never (until stale or cleared)."""
    scope: Scope
    """The scope it was stored in (always equal to the lookup's)."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """What the caller stored with it (opsgraph keeps the full answer here)."""
    entities: list[str] = Field(default_factory=list)
    """Entity ids its question linked to."""
    freshness: Freshness | None = None
    """What it depended on."""
    verdict: str = ""
    """Why it was judged fresh."""


class StoredEntry(BaseModel):
    """A backend's record of one entry (what `_search` returns and `_put` receives)."""

    entry_id: str
    prompt: str
    answer: str
    scope: Scope
    created_at: float
    expires_at: float | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    entities: list[str] = Field(default_factory=list)
    freshness: Freshness | None = None
    distance: float = 0.0
    """Filled by `_search`: distance to the lookup vector."""


@dataclass
class CacheStats:
    """Counts since the cache object was opened."""

    hits: int = 0
    """Lookups served from the cache."""
    misses: int = 0
    """Lookups with no usable entry within the threshold."""
    stale: int = 0
    """Lookups whose best entries were no longer true of the estate (not served, dropped)."""
    stores: int = 0
    """Entries written."""
    guarded: int = 0
    """Entries refused because their question named other entities (counted inside misses)."""

    def as_dict(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "stale": self.stale, "stores": self.stores, "guarded": self.guarded}


@dataclass
class CacheLookup:
    """Everything one lookup found: the outcome, the hit if any, and what was passed over."""

    outcome: Outcome
    hit: CacheHit | None = None
    nearest_distance: float | None = None
    """Distance of the nearest entry in scope within the threshold (served or not)."""
    threshold: float = DEFAULT_THRESHOLD
    candidates: list[dict[str, Any]] = field(default_factory=list)
    """The entries considered: id, distance, and why each was passed over."""
    ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"outcome": self.outcome, "threshold": self.threshold, "ms": round(self.ms, 2)}
        if self.nearest_distance is not None:
            out["nearest_distance"] = round(self.nearest_distance, 4)
        if self.hit is not None:
            out.update(entry_id=self.hit.entry_id, distance=round(self.hit.distance, 4), age_s=round(self.hit.age_s, 1), matched=self.hit.prompt)
            out["freshness"] = self.hit.verdict
        if self.candidates:
            out["passed_over"] = self.candidates
        return out


def entry_id(prompt: str, scope: Scope) -> str:
    """Stable id of (scope, prompt): storing the same question again replaces its entry."""
    return hashlib.blake2b(f"{scope.key}\n{prompt}".encode(), digest_size=12).hexdigest()
