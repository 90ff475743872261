"""On-call, ownership and contact questions in everyday words: the phrase they mean, before any step reads them.

People ask "who's covering checkout?", "who's on the hook for the cart?", "redis-cart is looked after by whom?",
"which team should I ping about fraud-alerts?", "what channel do I use to reach payments?". The words of those
phrases alone mean something else ("covering" a runbook covers, "after" is a time word, "ping" pages someone), so
each phrase is replaced, as a whole and only where its context says which it is, by the plain words the graph steps
already read: being "on call for", "owned by", "owns", "the contact of". Nothing is answered here: the rewritten
question still goes through linking and the explained-words check (`verify.py`), so a phrase read wrongly abstains.

- covering: "who's covering X", "is anyone covering X", "which team is Sam covering?" is being on call for X (not
  in a question about runbooks or documents, which "cover" a topic);
- on the hook: "who's on the hook for X" is being on call for X; "who covers X", "who is X covered by" too;
- passives: "looked after by", "taken care of by", "covered by" (a team asked for), "the responsibility of" are
  "owned by" ("looks after" in the active is read by `lexicon.EVERYDAY_RELATION_PHRASES`);
- go-to / point of contact: "the go-to team for X", "the point of contact for X" is the owner of X;
- which team to ask: "which team should I ping about X" asks which team owns X;
- how to reach a team: "what channel do I use to reach X" is X's channel ("how do I reach X" is read elsewhere);
- working on a team: "who works on the payments team" asks for its members;
- touched: what an incident "touched" is what it affected (only with an incident named).
Replacements are padded to the phrase's length when they are shorter, so offsets stay where they were.
It must not run queries or read configuration.
"""

from __future__ import annotations

import functools
import re

_DOCS = re.compile(r"\b(?:runbooks?|playbooks?|docs?|documents?|documentation|procedures?|sections?|guides?|wiki|steps|postmortems?)\b", re.I)
"""Words of a question about documents: there "covers" is what a text is about, not who is on call."""

_ASK_VERBS = (
    r"(?:ping|contact|ask|talk to|speak to|reach out to|reach|message|tell|notify|bug|loop in|go to|escalate to)"
)

ON_CALL_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "who's on the hook for the cart service?", "who is on point for checkout": on call for it.
    (re.compile(r"\bon (?:the )?hook\b(\s+for\b)?", re.I), r"on call\1"),
    # "who's covering for payments this week?", "anyone covering the ledger db?", "which team is Sam covering?".
    # "who's covering?" asks who is on call; "which team is Sam covering?" what Sam is on call for.
    (re.compile(r"^(\s*(?:which|what)\b.*)\bcovering(?:\s+for)?\b(?=\s*(?:[?.!,;]|$))", re.I), r"\1on call for"),
    (re.compile(r"\bcovering(?:\s+for)?\b(?=\s*(?:[?.!,;]|$))", re.I), "on call"),
    (re.compile(r"\bcovering(?:\s+for)?\b", re.I), "on call for"),
    # "who covers checkout?", "who covers for payments?" (a runbook "covers" a topic: not asked with "who").
    (re.compile(r"\bwho(?:'s| is| are)?\s+(?:currently\s+)?covers?(?:\s+for)?\b", re.I), "who is on call for"),
)
"""Being on call in everyday words; "covering" only outside questions about documents (`_DOCS`)."""

OWNER_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "redis-cart is looked after by whom?", "taken care of by", "covered by" (a team asked for, below).
    (re.compile(r"\b(?:looked|looking) after by\b", re.I), "owned by"),
    (re.compile(r"\b(?:taken|took) care of by\b", re.I), "owned by"),
    # "who's accountable for the payment gateway?": who is responsible for it, an ownership word.
    (re.compile(r"\baccountable for\b", re.I), "responsible for"),
    # "X is the responsibility of which team?", "queues that are the responsibility of risk".
    (re.compile(r"\bthe (?:sole |main |direct )?responsibility of\b", re.I), "owned by"),
    # "who's the go-to team for the orders db?": the team that owns it.
    (re.compile(r"\b(?:the )?go[- ]?to (team|squad|group|folks|people)\s+(?:for|on)\b", re.I), r"the \1 that owns"),
    # "who is the point of contact for the ECB rates feed?", "main contact for": its owner.
    (re.compile(r"\b(?:the )?(?:main |primary |best )?(?:point of contact|poc|contact team|contact person)\s+(?:for|on)\b", re.I), "the owner of"),
    # "which team covers the catalog cache?": which team owns it (a team is not a runbook; no question about documents).
    (re.compile(r"\b((?:which|what) (?:team|squad|group)s?)\s+(?:covers?|is covering|are covering)\b(?!.*\b(?:runbooks?|playbooks?|docs?)\b)", re.I), r"\1 owns"),
    # "which team should I ping about X?": which team owns X ("who should I ping" pages someone, `shape.py`).
    (re.compile(rf"\b((?:which|what) (?:team|squad|group)s?)\s+(?:should|do|can|would|must|could) (?:i|we) {_ASK_VERBS}\s+(?:about|for|re|regarding|with|over)\b", re.I), r"\1 owns"),
)
"""Owning in everyday words, as the passive or the noun phrase the graph steps read ("owned by", "the owner of")."""

_COVERED_BY_TEAM = re.compile(r"^\s*(?:which|what) (?:team|squad|group)s?\b[^?.!]*?\bcovered by\b|\bcovered by (?:which|what) (?:team|squad|group)s?\b", re.I)
_COVERED_BY = re.compile(r"\bcovered by\b", re.I)
COVERED_BY_WHOM: tuple[tuple[re.Pattern[str], str], ...] = (
    # "who is the orders db covered by?", "the orders db is covered by whom?": who is on call for it.
    (re.compile(r"^\s*who(?:'s| is| are)\s+(?P<x>.+?)\s+covered by\s*(?P<end>[?.!]*)\s*$", re.I), r"who is on call for \g<x>\g<end>"),
    (re.compile(r"^\s*(?P<x>.+?)\s+(?:is|are)\s+covered by (?:whom|who)\s*(?P<end>[?.!]*)\s*$", re.I), r"who is on call for \g<x>\g<end>"),
)
"""The passive of being on call, asking for people: the active question, in the words `shape.py` pages for."""

MEMBER_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "who works on the payments team?", "who is working in the catalog squad?": its members.
    (re.compile(r"\bworks?\s+(?:on|in|for|with)\b(?=(?:\s+the)?(?:\s+[\w&'-]+){1,4}?\s+(?:team|squad)s?\b)", re.I), "is member of"),
    (re.compile(r"\bworking\s+(?:on|in|for|with)\b(?=(?:\s+the)?(?:\s+[\w&'-]+){1,4}?\s+(?:team|squad)s?\b)", re.I), "member of"),
)
"""Working on a team is being a member of it (working on an incident is responding, `lexicon.py`)."""

CONTACT_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "what channel do I use to reach the payments team?", "which channel should we use for contacting catalog?".
    (re.compile(rf"\b(?:do|should|can|could|would|must) (?:i|we) use (?:to|for) {_ASK_VERBS}(?:ing)?\b", re.I), "of"),
    (re.compile(r"\b(channel|email|address|list|handle)\s+(?:to|for) (?:reach(?:ing)?|contact(?:ing)?|get(?:ting)? hold of|get(?:ting)? in touch with)\b", re.I), r"\1 of"),
)
"""How to reach a team or a person: its contact property ("the channel of X", "the contact of X")."""


_INCIDENT = re.compile(r"\b(?:incidents?|outages?|inc-\d+)\b", re.I)
TOUCHED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\btouched\b", re.I), "affected"),
    (re.compile(r"\btouches\b", re.I), "affects"),
    (re.compile(r"\btouch\b", re.I), "affect"),
)
"""What an incident "touched" is what it affected; without an incident named ("who last touched the config?") the
word is kept (and abstained on)."""


def plain_people_words(text: str) -> str:
    """`text` with each everyday on-call, ownership and contact phrase replaced by the plain words it means."""
    if not _DOCS.search(text):
        for pattern, word in ON_CALL_PHRASES:
            text = pattern.sub(functools.partial(_replaced, word), text)
    if _COVERED_BY_TEAM.search(text):
        text = _COVERED_BY.sub(functools.partial(_replaced, "owned by"), text)
    elif not _DOCS.search(text):
        for pattern, word in COVERED_BY_WHOM:
            text = pattern.sub(word, text)
    if _INCIDENT.search(text):
        for pattern, word in TOUCHED:
            text = pattern.sub(functools.partial(_replaced, word), text)
    for pattern, word in (*OWNER_PHRASES, *CONTACT_PHRASES, *MEMBER_PHRASES):
        text = pattern.sub(functools.partial(_replaced, word), text)
    return text


def _replaced(word: str, m: re.Match[str]) -> str:
    return m.expand(word).ljust(len(m.group(0)))
