"""On the real sample estate, "the cart db" is Cart Redis, not the cart service: paging, ownership and a property
question are answered about the datastore (`rag/typed_name.py`)."""

from __future__ import annotations

from typing import Any


def test_the_cart_db_is_paged_and_read_as_the_datastore(ask: Any) -> None:
    a = ask("who do I page if the cart db goes down?")
    assert not a.abstained, a.text
    assert "Cart Redis (redis-cart)" in a.text and "Cart Service" not in a.text
    assert ":Datastore {id: $id}" in (a.cypher or "")
    owner = ask("who owns the cart db?")
    assert not owner.abstained and [r.get("id") for r in owner.rows] == ["team-orders"] and "Cart Redis" in owner.text, owner.text
    engine = ask("what engine does the cart database run?")
    assert not engine.abstained and engine.rows and engine.rows[0].get("engine") == "redis", engine.text
