"""Runbook questions that say a symptom and ask who to page, or ask to do something a quote never does (issue 14).

Two mistakes of the other steps on runbook questions in the engineer's own words:

- "catalog db maxed out, who do I page", "ledger db ran out of space, who do I page": the paging step answers with
  the component's on-call rotation and drops the symptom. When the question names a symptom (not merely the
  component failing), and the component's runbook is about that symptom and holds every other word
  (`runbook_ask.answer_runbook_ask`, its *Escalation* section), that section is the answer; otherwise the paging
  step answers as before. "Who do I call and what do I check first" asks two things: the paging step's rotation
  answers one, so it does not answer (and neither does a single section).
- "how do we roll back the shipping service" quoted the checkout runbook's *Mitigation* section, which names the
  shipping service but rolls nothing back: a quote for an ask that names an action (`runbook_ask.ACTIONS`) must hold
  that action, or it is no answer.

Words and headings only; no estate's ids or words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from opsgraph.rag.answering import Answerer, Outcome
from opsgraph.rag.runbook_ask import ACTIONS, ASKS, RunbookAsk, answer_runbook_ask, ask_of, symptom_phrases
from opsgraph.retrieve.base import Hit

PAGE_ASK = re.compile(
    r"\b(who (?:do|should|can|must) (?:i|we) (?:page|call|ping|tell|notify|contact|escalate to|loop in|wake up)|"
    r"who to (?:page|call|ping|tell|notify|contact|escalate to)|who (?:gets|should get|do we) pag\w+|"
    r"who(?:'s| is) the (?:right )?(?:person|people|one|contact) to (?:page|call|ping|tell|notify|contact|escalate to))\b",
    re.I,
)
"""Asking who to page or tell: the on-call rotation (the graph) or the runbook's escalation section."""

_ESCALATION = next(heads for kind, _, heads in ASKS if kind == "escalation")


def other_asks(question: str) -> list[str]:
    """The runbook asks of `question` besides who to page ("... who do I call and what do I check first")."""
    rest = PAGE_ASK.sub(" ", question)
    return sorted({kind for kind, pattern, _ in ASKS if kind != "escalation" and pattern.search(rest)})


def escalation_for_symptom(question: str, answerer: Answerer, hits: Callable[[], Sequence[Hit]]) -> tuple[Outcome | None, str]:
    """The *Escalation* section of the runbook about what the question describes, when it asks who to page and names
    a symptom besides the component failing ("maxed out", "hangs", "ran out of space"; not "down" or "throwing
    errors", whose answer is the rotation); None (and why) otherwise, and the paging step answers. `hits`: the document search, asked only when several runbooks pass."""
    found = PAGE_ASK.search(question)
    if found is None:
        return None, ""
    if other_asks(question):
        return None, "symptom ask: the question asks who to page and another thing"
    ask = RunbookAsk("escalation", found.group(0), _ESCALATION)
    symptoms = symptom_phrases(question)
    specific = [said for said, holds in symptoms if not _plain_failure(holds)]
    if not specific:
        # "who do I page for checkout?", "redis-cart is down, who should I call?": the rotation answers it
        return None, ""
    out, why = answer_runbook_ask(question, answerer, (), asked=ask)
    if out is None and "ranks none" in why:
        out, why = answer_runbook_ask(question, answerer, hits(), asked=ask)
    return out, why


_PROCEDURE_NOUN = re.compile(r"\b(?:roll ?-?back|fail ?-?over|restart|workaround)\s+(?:procedure|plan|process|steps|policy)\b", re.I)
""""What's the rollback procedure for X" asks for X's procedure (its mitigation), not for a section that rolls back."""


def _plain_failure(holds: re.Pattern[str]) -> bool:
    """Whether a symptom is only the component failing ("down", "throwing errors"): who to page for a failing
    component is its rotation; a named symptom ("maxed out", "lagging") is what its runbook escalates."""
    return bool(holds.search("errors") or holds.search("unavailable"))


def action_unheld(question: str, quoted: Outcome, answerer: Answerer) -> str | None:
    """Why a quote is no answer to an ask naming an action ("how do I roll back X") that its sections never take,
    or None when it holds the action (or the ask names none)."""
    ask = ask_of(question)
    if ask is None or _PROCEDURE_NOUN.search(question):
        return None
    wanted = [holds for said, holds in ACTIONS if said.search(ask.phrase)]
    if not wanted:
        return None
    chunks = [str(c) for c in quoted.source_ids or []]
    rows = answerer.store.query("MATCH (c:Chunk) WHERE c.id IN $ids RETURN c.text AS t", {"ids": chunks}, limit=1000).rows if chunks else []
    text = "\n".join([quoted.rendered.text, *(str(r.get("t") or "") for r in rows)])
    if all(holds.search(text) for holds in wanted):
        return None
    return f"the section does not do what the question asks ('{ask.phrase}')"
