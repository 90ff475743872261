"""What kind of answer a question asks for: its *shape* and the type of thing it wants back.

The renderer picks a template by shape (a list, a count, a person to page, a
path, a yes/no, a single value, a risk ranking) and the verifier checks that a
query's rows have the wanted type ("who" wants people, "how many" a number,
"which services" services). Rules over the question's words and the schema's
own type names, no model: the rule that fired is kept for the trace. Words of
type names and their plurals come from `opsgraph.schema.words`.
It must not run queries or read configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from opsgraph.schema import GraphSchema
from opsgraph.schema.words import TYPE_SYNONYMS, plural, words_of

Shape = Literal["page", "risk", "count", "yesno", "path", "person", "value", "list"]

PERSON_HINTS = ("person", "people", "user", "engineer", "member", "employee", "human", "staff", "author")
"""Substrings of a node type's name that make it the answer type of "who"."""

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_PAGE = re.compile(
    r"\b(page|paged|paging|pager|escalate to|wake up|call out(?! to\b)|who(?:'s| is| are)? (?:currently )?on[- ]?call|who(?:'s| is| are)? (?:currently )?on (?:point|duty)|on[- ]?call (?:for|person|engineer)|"
    r"who (?:should|do|can|must|would) (?:i|we) (?:call|ring|ping|contact|notify|alert|reach out to|reach)|who to (?:call|ring|ping|contact|notify|alert))\b",
    re.I,
)
_PAGE_NOUN = re.compile(
    r"\b(?:every|each|the|a|an|this|that|any|one|home|status|landing|web|error|product|checkout|cart|login|search|main|"
    r"front|whole|blank|settings|account|order|wiki|confluence)\s+pages?\b|\bpages?\s+(?:loads?|views?|titles?|sizes?)\b|\bpages\b",
    re.I,
)
"""A page of a site or a document ("502 on every page", "the status page of the gateway", "page loads"): no paging."""
_RISK = re.compile(
    r"\b(at risk|risk(?:iest|y)?|healthy|health|about to fail|likely to fail|going to fail|failure risk|in danger|degrad\w* soon|"
    r"(?:go(?:es|ing)? down|fail\w*|break\w*|crash\w*) (?:soon|next|in the next))\b",
    re.I,
)
_RISK_NAME = re.compile(
    r"\b(?:of|by|for|from|to|with|on|in|ask|ping|tell)\s+(?:the\s+)?risk\s*[?.!]*\s*$|"
    r"\brisk\s+(?:(?:team|folks|people|squad|crew|guys|engineers|on[- ]?call)\b|&|and\s+data\b)",
    re.I,
)
""""risk" as a team's name ("queues that are the responsibility of risk", "the risk team"): not a question about
failure risk."""
_COUNT = re.compile(r"\b(how many|number of|count of|count the|how much)\b", re.I)
_YESNO = re.compile(r"^\s*(is|are|does|do|did|can|has|have|was|were|will|should)\b", re.I)
_PATH = re.compile(r"\b(path|route|how is .+ connected to|how does .+ reach|chain from|connect\w* .+ (?:to|and|with))\b", re.I)
_VALUE = re.compile(
    r"^\s*(what(?:'s| is| are| was)?|which) (?:the |its |their )?([a-z_ -]+?) (?:of|for|does|do|is|on)\b|^\s*(when|where)\b", re.I
)


RISK_WORDS = frozenset(
    "risk risks risky riskiest health healthy unhealthy danger fail fails failing failure failures likely soon about going "
    "chance chances probability score scores anything something everything any most top highest next hour hours minutes "
    "today now currently estate overall trouble worry worried down go goes break breaking outage alarm alarms threshold "
    "predicted predict expected might may".split()
)
"""Words of a risk question that name no component ("is anything about to fail soon?")."""


def without_paging_words(text: str) -> str:
    """`text` with its paging phrases blanked ("who should I call", "on call for"): what is left names the thing to page
    for, and any further relation it asks about."""
    return _PAGE.sub(" ", text)


@dataclass(frozen=True)
class QuestionShape:
    """The shape of a question and the node type it wants back."""

    shape: Shape
    wants_type: str | None
    """Node type named as the answer ("which services" → Service; "who" → the person-like type), or None."""
    wants_number: bool
    """True for counts and other aggregates ("how many", "average", "total")."""
    reason: str
    """The rule that fired, for the trace."""
    wants_value: bool = False
    """True for "when", "what year", "how long", "how old": a value, not nodes."""


def type_words(name: str) -> list[str]:
    """Words people use for a type name: `ExternalService` → ["external service", "externalservice", "service"]."""
    parts = words_of(name)
    out = [" ".join(parts), name.lower()]
    if len(parts) > 1:
        out.append(parts[-1])
    return list(dict.fromkeys(out))


def person_type(schema: GraphSchema) -> str | None:
    """The node type "who" asks for."""
    for name in schema.nodes:
        if any(h in name.lower() for h in PERSON_HINTS):
            return name
    return None


def named_type(question: str, schema: GraphSchema) -> str | None:
    """The node type the question asks for after "which/what/list/how many" ("which services" → Service)."""
    text = question.lower()
    best: tuple[int, int, str] | None = None
    for name in schema.nodes:
        # The type's own words first, then the ops words for it ("topics" for Queue, "vendors" for ExternalService).
        for i, word in enumerate([*type_words(name), *TYPE_SYNONYMS.get(name.lower(), ())]):
            for form in (plural(word), word):
                pattern = rf"\b(?:which|what|list(?: all)?(?: the)?|how many|any|all|show(?: me)?(?: the)?|name the|count(?: the)?)\s+(?:of (?:our|the) )?(?:[a-z0-9-]+\s+)?{re.escape(form)}\b"
                m = re.search(pattern, text)
                if m is not None:
                    # Prefer the earliest mention, then the more specific type word (index 0 = full name).
                    key = (m.start(), i, name)
                    if best is None or key < best:
                        best = key
    return best[2] if best else None


def question_shape(question: str, schema: GraphSchema) -> QuestionShape:
    """Classify `question` (rules, in priority order: paging, risk, count, path, yes/no, who, single value, list)."""
    q = " ".join(question.split())
    wants = named_type(q, schema)
    person = person_type(schema)
    paging = _PAGE.search(_PAGE_NOUN.sub(lambda m: " " * len(m.group(0)), q))
    if paging and person is not None and not (wants is not None and wants != person and re.match(r"^\s*(which|what|list|how many)\b", q, re.I)):
        # "Which teams is Tomasz on call for?" asks for teams, not for someone to page.
        return QuestionShape("page", person, False, f"paging words: {paging.group(0)!r}")
    risky = _RISK.search(_RISK_NAME.sub(lambda m: " " * len(m.group(0)), q))
    if risky:
        return QuestionShape("risk", wants, False, f"risk words: {risky.group(0)!r}")
    if _COUNT.search(q):
        return QuestionShape("count", wants, True, f"count words: {_COUNT.search(q).group(0)!r}")  # type: ignore[union-attr]
    if re.search(r"\b(average|mean|total|sum of|maximum|minimum|max|min)\b", q, re.I):
        return QuestionShape("value", wants, True, "aggregate words")
    if _PATH.search(q):
        return QuestionShape("path", wants, False, "path words")
    if _YESNO.match(q):
        return QuestionShape("yesno", wants, False, f"starts with {_YESNO.match(q).group(1)!r}")  # type: ignore[union-attr]
    if re.match(r"^\s*who\b", q, re.I) or re.search(r"\b(whom|which (?:person|people|engineers?))\b", q, re.I):
        return QuestionShape("person", wants or person, False, "who")
    if re.match(r"^\s*(when|what (?:year|date|time|day)|how (?:long|old|big|large))\b", q, re.I):
        return QuestionShape("value", None, False, "when/how long: a value", wants_value=True)
    if wants is None and _VALUE.search(q):
        return QuestionShape("value", None, False, "what/when/where of one thing")
    return QuestionShape("list", wants, False, "which/what/list" if wants else "default")
