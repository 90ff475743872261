"""The procedure-question rules (`rag/procedure_ask.py`): the action verb after an asking phrase, a section's blocks,
where an action is held, and a runbook's section named with the runbook."""

from __future__ import annotations

import pytest

from opsgraph.rag.answering import Outcome
from opsgraph.rag.procedure_ask import _holds, asked_action, blocks, describes_instead, named_section
from opsgraph.rag.render import Rendered

MITIGATION = """## Mitigation

- **Carrier API slow:** turn on the flat-rate quote fallback in Shipping Service:
  `kubectl set env deploy/shippingservice QUOTE_FALLBACK=flat_rate`.
- **Poison message:** stop the consumer first:

  ```
  kubectl scale deploy/emailservice --replicas=0
  ```

- **Checkout CPU-bound:** `kubectl scale deploy/checkoutservice --replicas=10`.

Never delete or recreate the topic.
"""


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("how do we scale up the shipping service", "scale up"),
        ("steps to roll back a bad release", "roll back"),
        ("is it safe to restart the currency service?", "restart"),
        ("how do i just drain the queue", "drain"),
        ("kubectl command to fail over the db", "fail over"),
        ("can i raise max_connections mid incident", "raise"),
    ],
)
def test_the_action_after_the_asking_phrase(question: str, said: str) -> None:
    action = asked_action(question)
    assert action is not None and action.said == said


@pytest.mark.parametrize(
    "question",
    [
        "how do i check redis memory",  # a way of asking, not an action
        "how do i tell if the errors are ours",
        "is it ok to run FLUSHALL on redis?",  # "run" carries the action, FLUSHALL
        "who owns the cart service?",
        "what should I check first when rates are stale",
        "frontend throws 502s every deploy, how do we stop it?",  # the fix for the problem, not an action on a component
        "steps to clear kafka consumer lag",  # a verb on the problem itself: its fix
        "how do we bring down the 5xx errors on payments",
    ],
)
def test_no_action(question: str) -> None:
    assert asked_action(question) is None


def test_blocks_keep_a_list_item_with_its_code() -> None:
    found = blocks(MITIGATION)
    assert len(found) == 5  # the heading, three list items, the closing paragraph
    assert "emailservice" in found[2] and "Poison message" in found[2]
    assert found[-1].startswith("Never delete")


def test_an_action_is_held_by_stem_or_by_its_usual_words() -> None:
    scale, roll, restart = (asked_action(q) for q in ("how to scale up x", "steps to roll back x", "how do i restart x"))
    assert scale and roll and restart
    assert _holds(scale, "scaling out the deployment") and _holds(roll, "kubectl rollout undo deploy/x")
    assert not _holds(restart, MITIGATION)
    ship = [b for b in blocks(MITIGATION) if "shippingservice" in b]
    assert not any(_holds(scale, b) for b in ship)  # the shipping block scales nothing: "scale up shipping" is no answer


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("the mitigation part of the payments 5xx runbook pls", "mitigation"),
        ("frontend 502 runbook - what's the impact section say", "impact"),
        ("redis cart runbook, symptoms section", "symptoms"),
        ("escalation in the ledger playbook?", "escalation"),
    ],
)
def test_a_section_named_with_the_runbook(question: str, kind: str) -> None:
    ask = named_section(question)
    assert ask is not None and ask.kind == kind


@pytest.mark.parametrize(
    "question",
    [
        "the mitigation part of the payments outage",  # no runbook named
        "diagnosis and escalation of the cart runbook",  # two sections
        "which runbook covers payments",
    ],
)
def test_no_section_named(question: str) -> None:
    assert named_section(question) is None


def _quoted(section: str) -> Outcome:
    return Outcome(Rendered("..."), "quote", sections=[{"document": "docs/lag.md", "section": f"Consumer lag > {section}"}])


@pytest.mark.parametrize("question", ["how do we deal with the consumer lag", "how do I get rid of the lag on order events",
                                      "how do i just drain the queue"])
def test_a_section_describing_the_problem_is_no_answer_to_how_to_act(question: str) -> None:
    assert describes_instead(question, _quoted("Symptoms")) is not None
    assert describes_instead(question, _quoted("Impact")) is not None
    assert describes_instead(question, _quoted("Mitigation")) is None


@pytest.mark.parametrize("question", ["how do I tell if the consumers are lagging", "how can we spot a poison message", "what does lag look like",
                                      "which runbook should I use when checkout is slow"])
def test_finding_out_may_be_answered_by_the_symptoms(question: str) -> None:
    assert describes_instead(question, _quoted("Symptoms")) is None
