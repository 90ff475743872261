"""Whether a quoted runbook section answers the question, not merely shares a word with it (issue 14 item 1).

A quote is shown as the answer only when the section is about what was asked:

- its component: when the question names entities (linked), the quoted
  document must be one of theirs (a document a named node, or a node next to
  it, points at: a runbook's `path` through its RUNBOOK_FOR edge). "What was
  behind INC-2041?" names an incident, which no runbook is for: a runbook that
  merely holds the word "behind" is no answer. "Steps to restart the
  recommendation service" names a service without a runbook: no quote;
- its content: every content word the question has besides the entities'
  mentions, its question and asking words ("what", "how do I", "steps",
  "check") and function words ("behind", "the") must be in the section, its
  continuation or its heading path (title included), by stem. "Who maintains
  the runbook for the frontend 502s?" quotes the frontend runbook but nothing in
  it says who maintains it: no quote. One word may be missing when at least
  two things the question asks about are held (a named component whose runbook
  it is counts as one), unless the question asks for a person, a time or a
  number ("who", "when", "how many"): "redis-cart keeps evicting keys" is
  answered by the redis-cart runbook that speaks of eviction. A phrase asking
  to do something ("roll back", "mitigate", "fix", "debug") is held by the
  section runbooks put it under (*Mitigation*, *Diagnosis*: `quote._INTENTS`),
  and counts as one thing held.

When the named entities have several runbooks and another's title holds more
of the question's words than the quoted one's ("payments ledger replication
slot lagging" names the ledger, which the payment 5xx runbook is also for), that
runbook's best section is quoted instead, and gated the same way.

Otherwise the pipeline abstains (a graph answer was tried first). The rules
read words and the graph's links only: no estate ids or words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import pairwise

from opsgraph.rag.answering import Answerer, Outcome
from opsgraph.rag.quote import documents_of, intent_phrases, quote_documents, section_dict
from opsgraph.retrieve.base import Hit

_WORD = re.compile(r"[a-z0-9]+")
_ASKING = re.compile(
    r"\b(how (?:do|can|should|would|could|does|to)(?: (?:i|we|you|one))?|what (?:do|should|can|must|does) (?:i|we|you|one)"
    r"(?: (?:do|check|look at|verify|try))?|what now|what next|where (?:do|should|can) (?:i|we) (?:start|begin|look)|"
    r"what to (?:do|check)|look at|is there|are there|got|where'?s|where is|which|what'?s|what is|what are|whats)\b",
    re.I,
)
"""Phrases that ask (for steps, a check, a link) and say nothing about the subject."""
_FUNCTION = frozenset(
    """a an the of to in on for and or nor but is are was were be been being am do does did done doing has have had i we
    you he she they it its it's me us my our your their this that these those there here with without from by at as
    if then than so can could would will shall should may might must what when where which who whom whose why how
    whats wheres hows there's about above across after against along among around before behind below beneath
    beside between beyond during inside into near off onto out outside over past since through throughout till
    toward towards under until upon via within up down just still also again now next first last very really please
    pls plz thanks hey hi quick q btw send give tell show me any some all one same mid keeps keep getting get got
    runbook runbooks playbook playbooks doc docs document documentation procedure procedures process step steps
    instructions guide page section do handle deal fix fixing mitigate mitigation resolve resolving troubleshoot
    troubleshooting debug debugging diagnose diagnosing diagnosis investigate check checking look looking verify
    start begin happen happens happening going wrong problem problems issue issues thing things stuff way ways too many
    much say says saying see seeing show shows showing throw throws throwing return returns returning cant can't won't
    doesnt don't isnt almost nearly cover covers covering covered because every anything something besides
    take taking took make making made put putting usual usually normally typical typically standard commonly generally
    run runs running ran""".split()
)
"""Function words, question words and asking words: not what a question is about."""
_FACT = re.compile(r"\s*(?:\w+[,:]\s+)?(who|whom|whose|when|how (?:many|much|long|often|old))\b", re.I)
"""Questions for a person, a time or a number: a quote answers them only when it holds every word they ask about."""
_RUNBOOK_NAMED = re.compile(r"\b(?:run ?books?|play ?books?)\b", re.I)
"""A question that names a runbook ("the ledger db runbook")."""
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ed", "es", "er", "ly", "e", "s")


def _stem(word: str) -> str:
    if word[:1].isdigit():
        return word.rstrip("s")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            return stem[:-1] if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "aeiou" else stem  # lagging → lag
    return word


def _same(a: str, b: str) -> bool:
    """One word by stem, or one a prefix of the other down to five letters ("evicting" / "eviction")."""
    if a == b:
        return True
    n = min(len(a), len(b))
    return n >= 5 and a[:5] == b[:5] and (a.startswith(b[: n - 1]) or b.startswith(a[: n - 1]))


def content_words(question: str, mentions: Sequence[str] = ()) -> list[str]:
    """The question's words a section must hold: without the entities' mentions, asking phrases and function words."""
    text = question.lower().replace("’", "'")
    for m in sorted(mentions, key=len, reverse=True):
        if m:
            text = text.replace(m.lower(), " ")
    text = _ASKING.sub(" ", text)
    words = [w for w in _WORD.findall(text.replace("'", "")) if w not in _FUNCTION and len(w) > 1]
    return list(dict.fromkeys(words))


def uncovered(question: str, text: str, mentions: Sequence[str] = ()) -> list[str]:
    """Content words of `question` that `text` does not hold (by stem)."""
    have = {_stem(w) for w in _WORD.findall(text.lower())}
    raw = _WORD.findall(question.lower())
    joined = {w for a, b in pairwise(raw) if _stem(a + b) in have for w in (a, b)}  # "fail over" / "failover"
    return [w for w in content_words(question, mentions) if w not in joined and not any(_same(_stem(w), h) for h in have)]


def unanswered(
    question: str, *, document: str, heading: str, body: str, mentions: Sequence[str], documents: Sequence[str] | None
) -> str | None:
    """Why the section (`heading` path, `body`) of `document` does not answer `question`, or None when it does.
    `mentions`: the text of the entities the question names; `documents`: their documents (None: it names none)."""
    if documents is not None and document not in documents:
        return f"the question names entities whose documents are {list(documents) or 'none'}, not {document}"
    # "How do I roll back X?" quoted from X's *Mitigation*: the section is where runbooks put what was asked to do.
    last = [h for h in _WORD.findall(heading.split(">")[-1].lower()) if len(h) >= 5] if ">" in heading else []
    done = [p for p, heads in intent_phrases(question) if any(h.startswith(i[:6]) for h in last for i in heads)]
    asked = question
    for phrase in done:
        asked = asked.replace(phrase, " ")
    words = content_words(asked, mentions)
    missing = uncovered(asked, f"{heading}\n{body}", mentions)
    held = len(words) - len(missing) + (1 if documents else 0) + (1 if done else 0)
    if not missing or (len(missing) == 1 and held >= 2 and not _FACT.match(question)):
        return None
    return f"the section does not hold what the question asks about: {', '.join(missing)}"


def _quoted_body(outcome: Outcome) -> str:
    """The quoted lines (without "See also" and the cut note)."""
    lines = []
    for line in outcome.rendered.lines:
        if line.startswith("See also: ") or line.startswith("[... the section goes on"):
            break
        lines.append(line)
    return "\n".join(lines)


def better_document(question: str, document: str, titles: Mapping[str, str], mentions: Sequence[str]) -> str | None:
    """Another of the named entities' documents (`titles`: id → title) whose title holds more of the question's content
    words (or, when it says "runbook", names more of the question's mentions as written) than `document`'s ("payments ledger replication slot
    lagging" names the ledger, which two runbooks are for: the one titled "... replication slots" is about it; so is
    "diagnosis steps in the ledger db runbook", whose title says "ledger DB"), or None."""
    words = content_words(question, mentions)
    # "the ledger db runbook": a runbook named by its component as its title writes it
    named = [f for f in dict.fromkeys(re.sub(r"[^a-z0-9]+", "", m.lower()) for m in mentions) if len(f) >= 4] if _RUNBOOK_NAMED.search(question) else []

    def held(doc: str) -> int:
        # the words, and the mentions a title names as written ("the ledger db runbook": "Payments ledger DB ...")
        title = titles.get(doc, "")
        flat = re.sub(r"[^a-z0-9]+", "", title.lower())
        return len(words) - len(uncovered(question, title, mentions)) + sum(f in flat for f in named)

    mine = held(document)
    best = max((d for d in titles if d != document), key=held, default=None)
    return best if best is not None and held(best) > mine else None


def gate_quote(question: str, outcome: Outcome, answerer: Answerer, hits: Sequence[Hit]) -> tuple[Outcome | None, str | None]:
    """The quote (`Answerer.quote`) when it answers `question`, or the section of a better-titled runbook of the same
    named entities when that one does; else None and why not (see the module docstring)."""
    top = (outcome.sections or [{}])[0]
    document = str(top.get("document") or "")
    links = answerer.links(question)
    mentions = [x.surface for x in links]
    documents: list[str] | None = None
    if links:
        pairs = list(dict.fromkeys((x.node_id, x.node_type) for x in links))
        documents = list(dict.fromkeys([*documents_of(answerer.store, pairs), *answerer.entity_documents(question)]))
    if documents and document in documents and len(documents) > 1:
        rows = answerer.store.query("MATCH (d:Document) WHERE d.id IN $ids RETURN d.id AS id, d.title AS title", {"ids": documents}, limit=100).rows
        other = better_document(question, document, {str(r["id"]): str(r.get("title") or "") for r in rows}, mentions)
        requoted = quote_documents(question, [other], hits, answerer.store) if other else None
        if requoted is not None:
            rendered, sections = requoted
            outcome = Outcome(rendered, "quote", sections=[section_dict(x) for x in sections], source_ids=[x.chunk_id for x in sections])
            top, document = outcome.sections[0] if outcome.sections else {}, str(other)
    heading = f"{top.get('title') or ''} > {top.get('section') or ''}"
    why = unanswered(question, document=document, heading=heading, body=_quoted_body(outcome), mentions=mentions, documents=documents)
    return (None, why) if why is not None else (outcome, None)
