"""The semantic cache's shared rules on the embedded backend, with a model-free embedder and a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from opsgraph.embed import HashingEmbedder
from opsgraph.rag import EmbeddedSemanticCache, Freshness, FreshnessVerdict, Scope

ALICE = Scope(tenant="shop", user="alice@example.com")
BOB = Scope(tenant="shop", user="bob")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Verdicts:
    """A freshness check that answers from a dict keyed by the recorded data version."""

    def __init__(self, fresh: dict[int, bool]) -> None:
        self.fresh = fresh
        self.calls = 0

    def check(self, recorded: Freshness) -> FreshnessVerdict:
        self.calls += 1
        ok = self.fresh.get(recorded.data_version, True)
        return FreshnessVerdict(fresh=ok, reason="ok" if ok else f"version {recorded.data_version} changed")


def make(tmp_path: Path | None = None, **kw: object) -> EmbeddedSemanticCache:
    cache = EmbeddedSemanticCache(HashingEmbedder(256), tmp_path, **kw)  # type: ignore[arg-type]
    cache.open()
    return cache


@pytest.mark.parametrize("bad", ["", "two words", "a*", "x{y}", "é", "a" * 129])
def test_scope_parts_are_plain_tokens(bad: str) -> None:
    with pytest.raises(ValidationError):
        Scope(tenant="t", user=bad)


def test_scope_allows_only_its_own_tenant_and_user() -> None:
    assert ALICE.allows(Scope(tenant="shop", user="alice@example.com"))
    assert not ALICE.allows(BOB)
    assert not ALICE.allows(Scope(tenant="other", user="alice@example.com"))
    assert ALICE.key == "shop/alice@example.com"


def test_one_users_entry_is_never_served_to_another_even_at_distance_zero() -> None:
    cache = make()
    cache.store("Which services depend on payment?", "checkout", scope=ALICE)
    assert cache.check("Which services depend on payment?", scope=BOB) is None
    assert cache.check("Which services depend on payment?", scope=Scope(tenant="other", user="alice@example.com")) is None
    hit = cache.check("Which services depend on payment?", scope=ALICE)
    assert hit is not None and hit.answer == "checkout" and hit.distance == pytest.approx(0.0, abs=1e-6)
    assert cache.stats.as_dict() == {"hits": 1, "misses": 2, "stale": 0, "stores": 1, "guarded": 0}


def test_threshold_decides_what_counts_as_the_same_question() -> None:
    cache = make(threshold=0.05)
    cache.store("which services depend on payment", "checkout", scope=ALICE)
    near = cache.lookup("which services depend on payments", scope=ALICE)
    assert near.outcome == "miss" and near.nearest_distance is None
    loose = cache.lookup("which services depend on payments", scope=ALICE, threshold=0.6)
    assert loose.outcome == "hit" and loose.hit is not None and 0.0 < loose.hit.distance <= 0.6
    with pytest.raises(ValueError, match="cosine distance"):
        cache.check("x", threshold=2.5)


def test_entity_guard_refuses_an_entry_about_another_entity() -> None:
    cache = make()
    cache.store("Which team owns paymentservice?", "payments", scope=ALICE, entities=["paymentservice"])
    refused = cache.lookup("Which team owns paymentservice?", scope=ALICE, entities=["cartservice"])
    assert refused.outcome == "miss" and refused.candidates[0]["why"].startswith("names ['paymentservice']")
    assert cache.lookup("Which team owns paymentservice?", scope=ALICE, entities=["paymentservice"]).outcome == "hit"
    assert cache.stats.guarded == 1


def test_ttl_counts_from_the_store_and_a_hit_does_not_extend_it() -> None:
    clock = Clock()
    cache = make(ttl=60, clock=clock)
    cache.store("who is on call for payments", "rachel", scope=ALICE)
    cache.store("who is on call for orders", "marcus", scope=ALICE, ttl=600)
    clock.now += 59
    hit = cache.check("who is on call for payments", scope=ALICE)
    assert hit is not None and hit.age_s == pytest.approx(59) and hit.expires_at == pytest.approx(clock.now + 1)
    clock.now += 2
    assert cache.check("who is on call for payments", scope=ALICE) is None
    assert cache.check("who is on call for orders", scope=ALICE) is not None


def test_stale_entries_are_not_served_counted_and_dropped() -> None:
    check = Verdicts({1: False})
    cache = make(freshness=check)
    cache.store("what breaks if redis-cart is down", "cart, checkout", scope=ALICE, freshness=Freshness(data_version=1))
    first = cache.lookup("what breaks if redis-cart is down", scope=ALICE)
    assert first.outcome == "stale" and "version 1 changed" in first.candidates[0]["why"]
    assert len(cache) == 0  # dropped: it can only get staler
    assert cache.lookup("what breaks if redis-cart is down", scope=ALICE).outcome == "miss"
    assert (cache.stats.stale, cache.stats.misses) == (1, 1)


def test_a_stale_nearest_entry_does_not_hide_a_fresh_one() -> None:
    cache = make(freshness=Verdicts({1: False, 2: True}), threshold=0.5)
    cache.store("what breaks if redis-cart is down", "old", scope=ALICE, freshness=Freshness(data_version=1))
    cache.store("what breaks when redis-cart is down", "new", scope=ALICE, freshness=Freshness(data_version=2))
    found = cache.lookup("what breaks if redis-cart is down", scope=ALICE)
    assert found.outcome == "hit" and found.hit is not None and found.hit.answer == "new"


def test_clear_drops_one_scope_or_everything() -> None:
    cache = make()
    for scope in (ALICE, BOB):
        cache.store("q one", "a", scope=scope)
        cache.store("q two", "b", scope=scope)
    assert cache.clear(ALICE) == 2
    assert cache.check("q one", scope=ALICE) is None and cache.check("q one", scope=BOB) is not None
    assert cache.clear() == 2 and len(cache) == 0


def test_entries_survive_a_restart_and_the_same_question_replaces_its_entry(tmp_path: Path) -> None:
    cache = make(tmp_path)
    first = cache.store("who owns cartservice", "orders", scope=ALICE, metadata={"n": 1})
    again = cache.store("who  owns cartservice", "orders team", scope=ALICE, metadata={"n": 2})
    assert first == again and len(cache) == 1
    cache.close()
    reopened = make(tmp_path)
    hit = reopened.check("who owns cartservice", scope=ALICE)
    assert hit is not None and hit.answer == "orders team" and hit.metadata == {"n": 2}


def test_vectors_of_another_model_are_dropped_on_open(tmp_path: Path) -> None:
    cache = make(tmp_path)
    cache.store("who owns cartservice", "orders", scope=ALICE)
    cache.close()
    other = EmbeddedSemanticCache(HashingEmbedder(256, name="other"), tmp_path)
    other.open()
    assert len(other) == 0 and other.check("who owns cartservice", scope=ALICE) is None


def test_inputs_are_checked() -> None:
    cache = make()
    with pytest.raises(ValueError, match="empty"):
        cache.check("   ")
    with pytest.raises(TypeError):
        cache.store("q", 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ttl"):
        cache.store("q", "a", ttl=0)
    with pytest.raises(RuntimeError, match="not open"):
        EmbeddedSemanticCache(HashingEmbedder(8)).check("q")
