"""The runbook ask rules (`rag/runbook_ask.py`): one ask kind per question, everyday symptom words, and the words a
runbook must still hold once the ask, the symptoms, the entities and the filler are set aside."""

from __future__ import annotations

import pytest

from opsgraph.rag.runbook_ask import _FAILING, _residue, ask_of, symptom_phrases


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("the cart cache fell over, what do I do", "mitigation"),
        ("new cartservice build is leaking connections, how do I roll back", "mitigation"),
        ("fx cache is empty, is it safe to restart currencyservice?", "mitigation"),
        ("the carrier api is dragging checkout down, how do I work around it", "mitigation"),
        ("rates look old, what do I check first", "diagnosis"),
        ("customers say their basket is empty, first thing to check?", "diagnosis"),
        ("bad gateway since the rollout, where do I start looking", "diagnosis"),
        ("catalog db maxed out, who do I call", "escalation"),
        ("fraud scoring is way behind on orders, who do I tell", "escalation"),
        ("analytics worker is behind on order events, how bad is that", "impact"),
        ("how do we deal with kafka consumer lag", "mitigation"),
        ("how do I get rid of the consumer lag", "mitigation"),
        ("steps to clear the backlog on order-events", "mitigation"),
        ("the cart is throwing redis errors, help", "mitigation"),
        ("what do we normally do when payments throws 5xx", "mitigation"),
        ("what's the standard procedure when the ledger disk fills up", "mitigation"),
        ("what do customers lose if the currency service is down", "impact"),
        ("how bad is it if redis-cart goes down", "impact"),
    ],
)
def test_one_ask_is_read(question: str, kind: str) -> None:
    ask = ask_of(question)
    assert ask is not None and ask.kind == kind, ask


@pytest.mark.parametrize(
    "question",
    [
        "my shift starts tomorrow, what do I go through with the outgoing on call",  # no ask a section answers
        "what do I check first and what do I do after that",  # two kinds: which section is unclear
        "who owns the cart service?",
        "payments are failing, who do I page",  # who is on call now: the graph's answer, not a runbook's
        "how do I clear the cache for cart",  # an action of its own, not the problem's fix
        "can you help me find the owner of cart",
    ],
)
def test_no_ask_or_two_asks_is_none(question: str) -> None:
    assert ask_of(question) is None


def test_everyday_symptoms_map_to_runbook_words() -> None:
    said = dict(symptom_phrases("orders piling up in kafka"))
    assert said["piling up"].search("consumer lag") and not said["piling up"].search("disk usage")
    said = dict(symptom_phrases("rates look old"))
    assert said["old"].search("Currency service stale rates")
    said = dict(symptom_phrases("catalog postgres is running out of connections"))
    assert said["running out of connections"].search("connection exhaustion")
    # A failure phrase `impact.py` knows and no symptom class covers reads as the component failing.
    found = symptom_phrases("the ledger is wedged")
    assert found and all(h.pattern in (_FAILING.pattern, r"\b(stuck)\b") for _, h in found)
    assert symptom_phrases("who owns the cart service") == []


def test_the_residue_keeps_what_the_runbook_must_hold() -> None:
    q = "shipping labels aren't printing, how do I fix it"
    ask = ask_of(q)
    assert ask is not None
    assert _residue(q, ask, symptom_phrases(q), ["shipping"]) == ["labels", "arent", "printing"]
    q = "checkout p95 has been over 2s for 40 minutes now, who do I escalate to"
    ask = ask_of(q)
    assert ask is not None and "40" not in _residue(q, ask, symptom_phrases(q), ["checkout"])
    q = "customers say their basket is empty in the middle of the night, first thing to check?"
    ask = ask_of(q)
    assert ask is not None and _residue(q, ask, symptom_phrases(q), ["basket"]) == ["empty"]


def test_an_action_the_ask_names_must_be_in_the_section() -> None:
    from opsgraph.rag.runbook_ask import _Doc, _section

    def doc(mitigation: str) -> _Doc:
        h = "T > Mitigation"
        return _Doc("d", "T", "T", mitigation, (("d#0", "T > Intro", 0), ("d#1", h, 1)), (("T > Intro", "x"), (h, mitigation)))

    ask = ask_of("steps to fail over the ledger db, how do I fail over")
    assert ask is not None and ask.kind == "mitigation"
    assert _section(doc("Grow the disk first."), ask) is None
    assert _section(doc("Force a failover through Sentinel."), ask) == ("d#1", "T > Mitigation")
    ask = ask_of("bad release, how do I roll back")
    assert ask is not None and _section(doc("kubectl rollout undo deploy/x"), ask) is not None
