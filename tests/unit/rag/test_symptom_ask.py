"""The symptom ask rules (`rag/symptom_ask.py`) and the everyday words `rag/runbook_ask.py` reads for them: who to
page said with a symptom, a second ask beside it, the actions an ask names, symptoms in the engineer's words."""

from __future__ import annotations

import pytest

from opsgraph.rag.runbook_ask import ACTIONS, _residue, ask_of, symptom_phrases
from opsgraph.rag.symptom_ask import PAGE_ASK, other_asks


@pytest.mark.parametrize(
    "question",
    [
        "catalog db maxed out, who do I page",
        "ledger db ran out of space, who should we call",
        "place order hangs for ages, who gets paged",
        "who's the person to call when redis-cart is down",
        "every consumer group is lagging, who to ping",
    ],
)
def test_who_to_page_is_read(question: str) -> None:
    assert PAGE_ASK.search(question)


@pytest.mark.parametrize("question", ["who owns the cart service?", "who is on call for checkout this week?", "who was paged for INC-2041?"])
def test_no_page_ask(question: str) -> None:
    assert PAGE_ASK.search(question) is None


def test_another_ask_beside_who_to_page() -> None:
    assert other_asks("fraud detection is flagging every order, who do I call and what do I check first") == ["diagnosis"]
    assert other_asks("catalog db maxed out, who do I page") == []
    assert other_asks("checkout p95 over 2s, who do I escalate to") == []


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("can I just bump max_connections on the catalog db", "mitigation"),
        ("can I delete old rows in the ledger to free up disk", "mitigation"),
        ("who's the person to call when redis-cart is down", "escalation"),
    ],
)
def test_everyday_asks(question: str, kind: str) -> None:
    ask = ask_of(question)
    assert ask is not None and ask.kind == kind


def test_an_action_the_ask_names_is_what_the_section_must_hold() -> None:
    ask = ask_of("can I just bump max_connections on the catalog db")
    assert ask is not None
    wanted = [holds for said, holds in ACTIONS if said.search(ask.phrase)]
    assert wanted and wanted[0].search("Do not raise max_connections during the incident")
    assert not any(h.search("restart the pods one by one") for h in wanted)


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("checkout taking like 5 seconds, where do I start", "taking like 5 seconds"),
        ("place order hangs for ages, who do I page", "hangs"),
        ("shipping quotes are slow and holding up checkout", "slow"),
        ("ledger db ran out of space, who do I page", "ran out of space"),
    ],
)
def test_symptoms_in_everyday_words(question: str, said: str) -> None:
    assert said in [s for s, _ in symptom_phrases(question)]


def test_filler_is_not_asked_of_the_runbook() -> None:
    question = "ledger replication slot is holding tons of WAL, how do I fix it"
    ask = ask_of(question)
    assert ask is not None
    words = _residue(question, ask, symptom_phrases(question), ["ledger"])
    assert "tons" not in words and "wal" in words


def test_a_procedure_asked_for_by_name_is_not_an_action() -> None:
    from opsgraph.rag.symptom_ask import _PROCEDURE_NOUN

    assert _PROCEDURE_NOUN.search("what's the rollback procedure for currency rates")
    assert not _PROCEDURE_NOUN.search("how do we roll back the shipping service")
