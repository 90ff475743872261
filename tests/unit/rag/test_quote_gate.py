"""A quoted section answers only when it is about the question's component and holds what the question asks about."""

from __future__ import annotations

from opsgraph.rag.quote_gate import better_document, content_words, unanswered, uncovered

MITIGATION = """- **Memory full:** raise maxmemory (`redis-cli config set maxmemory 8gb`) and confirm `noeviction`.
- **Failover in progress:** wait for the replica, then restart the cart pods."""
DEPLOY = """# Frontend 502s during deploy
Use when the load balancer returns 502s while the rollout is behind schedule."""


def test_asking_and_function_words_are_not_content() -> None:
    assert content_words("what was behind INC-2041?", ["INC-2041"]) == []
    assert content_words("how do I check consumer lag on order events", ["order events"]) == ["consumer", "lag"]
    assert content_words("what do I do when the cart redis is out of memory", ["cart redis"]) == ["memory"]


def test_words_are_held_by_stem() -> None:
    assert uncovered("fraud detection is lagging behind", "consumer lag per partition", ["fraud detection"]) == []
    assert uncovered("redis-cart keeps evicting keys", "any eviction means lost carts", ["redis-cart"]) == ["keys"]
    assert uncovered("frontend throwing 502s", "returns 502 for the website", ["frontend"]) == []


def test_a_runbook_that_merely_holds_a_word_is_no_answer() -> None:
    why = unanswered("what was behind INC-2041?", document="docs/deploy.md", heading="Frontend 502s during deploy", body=DEPLOY,
                     mentions=["INC-2041"], documents=[])  # fmt: skip
    assert why is not None and "names entities" in why


def test_a_runbook_about_another_component_is_no_answer() -> None:
    why = unanswered("steps to restart the recommendation service", document="docs/catalog.md", heading="Catalog > Mitigation",
                     body="roll back recommendationservice first", mentions=["recommendation service"], documents=["docs/other.md"])  # fmt: skip
    assert why is not None


def test_the_components_runbook_holding_the_words_answers() -> None:
    assert unanswered("what do I do when the cart redis is out of memory", document="docs/cart.md", heading="Cart > Mitigation",
                      body=MITIGATION, mentions=["cart redis"], documents=["docs/cart.md"]) is None  # fmt: skip


def test_one_missing_word_is_forgiven_only_with_two_held_and_not_for_a_person() -> None:
    kw = {"document": "docs/cart.md", "heading": "Cart > Mitigation", "body": MITIGATION, "documents": ["docs/cart.md"]}
    # the component (1) and "memory" (2) are held; "flush" alone is missing
    assert unanswered("redis-cart memory full, can I flush it", mentions=["redis-cart"], **kw) is None
    # only the component is held: "rotate" and "password" missing
    assert unanswered("how do I rotate the redis-cart password", mentions=["redis-cart"], **kw) is not None
    # the component alone and one missing word is not enough
    assert unanswered("steps to fail over the redis-cart", mentions=["redis-cart"], **kw) is None  # "failover" is held
    assert unanswered("steps to resize the redis-cart", mentions=["redis-cart"], **kw) is not None
    # a question for a person: every word must be held
    assert unanswered("who maintains the runbook for redis-cart memory?", mentions=["redis-cart"], **kw) is not None


def test_without_named_entities_the_words_decide() -> None:
    kw = {"document": "docs/cart.md", "heading": "Cart > Mitigation", "body": MITIGATION, "mentions": [], "documents": None}
    assert unanswered("how do I raise maxmemory", **kw) is None
    assert unanswered("how do I rebuild the search index", **kw) is not None


def test_what_is_asked_to_do_is_held_by_the_section_runbooks_put_it_under() -> None:
    kw = {"document": "docs/cart.md", "body": MITIGATION, "documents": ["docs/cart.md"], "mentions": ["redis-cart"]}
    assert unanswered("how do I roll back redis-cart?", heading="Cart > Mitigation", **kw) is None
    assert unanswered("how do I roll back redis-cart?", heading="Cart > Symptoms", **kw) is not None
    # the component and the asked mitigation are held: one word ("unreachable") may be missing
    assert unanswered("redis-cart unreachable, how do I mitigate?", heading="Cart > Mitigation", **kw) is None
    assert unanswered("redis-cart unreachable and slow, how do I mitigate?", heading="Cart > Mitigation", **kw) is not None


def test_a_question_for_a_time_is_read_before_its_asking_phrase_is_taken_out() -> None:
    kw = {"document": "d", "heading": "Payment service: elevated 5xx > Mitigation", "body": "switch to the secondary region", "documents": None}
    # "what should I do" is held by the Mitigation section; "when" that follows is no question for a time
    assert unanswered("What should I do when payments return 5xx errors?", mentions=[], **kw) is None
    assert unanswered("when do payments return 5xx errors?", mentions=[], **kw) is not None


def test_the_runbook_titled_after_the_question_is_preferred_among_the_entitys_runbooks() -> None:
    titles = {"docs/5xx.md": "Payment service: elevated 5xx", "docs/ledger.md": "Payments ledger DB disk and replication slots"}
    q = "payments ledger replication slot lagging, what do I check?"
    assert better_document(q, "docs/5xx.md", titles, ["payments ledger"]) == "docs/ledger.md"
    assert better_document(q, "docs/ledger.md", titles, ["payments ledger"]) is None
    assert better_document("ledger is slow, what do I check?", "docs/5xx.md", titles, ["ledger"]) is None
    # a runbook named by its component as the title writes it ("the ledger db runbook")
    assert better_document("diagnosis steps in the ledger db runbook", "docs/5xx.md", titles, ["ledger db"]) == "docs/ledger.md"
