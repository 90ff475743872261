"""Runbook questions in the engineer's own words: the symptom described, the ask in everyday verbs (issue 14).

"The cart cache fell over, what do I do", "rates look old, what do I check first", "catalog db maxed out, who do I
page": no runbook section holds these words, so the word-overlap quote (`quote.py`, gated by `quote_gate.py`) finds
nothing. Yet the question says three things a runbook is organised by:

- the component: an entity the question names (linked), whose runbooks are the documents of the nodes next to it (a
  runbook's COVERS / RUNBOOK_FOR edge and its `path`). With no entity named, the one document whose *title* holds
  one of the question's words and every symptom it describes ("orders piling up in kafka" and the document titled
  "... kafka ... lag"); two such documents, or none: no answer;
- the symptom, in everyday words (`SYMPTOMS`; the failure phrases of `impact.py` are read as one too): each must be
  what the document is about (its title, its opening or its symptoms section hold a word of that symptom), or no
  answer ("checkout is down" is not what a runbook about checkout *latency* is for);
- the ask (`ASKS`): what to do, what to check first, who to tell, how bad it is; exactly one, matched to the section
  heading runbooks put it under (*Mitigation*, *Diagnosis*, *Escalation*, *Impact*).

Every other content word of the question must be in the document (by stem): "shipping labels aren't printing" names
the shipping service, which the checkout runbook covers, but it never speaks of printing: no quote. A quote from the
wrong section is a confident wrong answer, so when the component, the ask or the document is unclear this abstains.
Among several documents that pass, the one the document search (vector and full-text, fused) ranks first wins; none
ranked: no answer. The rules read words, headings, titles and the graph's links only: no estate ids or words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from opsgraph.rag.answering import Answerer, Outcome
from opsgraph.rag.impact import FAILURE_VOCABULARY, SYMPTOM_VOCABULARY
from opsgraph.rag.lexicon import FAILURE
from opsgraph.rag.quote import quote_sections, section_dict
from opsgraph.rag.quote_gate import content_words, uncovered
from opsgraph.retrieve.base import Hit

_WORD = re.compile(r"[a-z0-9]+")

REMEDY_OF_PROBLEM = (
    r"(?:clear|drain|reduce|lower|bring down|burn down|get down|catch up on|work off)"
    r"(?=(?:\s+[\w-]+){0,4}?\s+(?:lag\w*|backlogs?|errors?|5xxs?|timeouts?|latency|spikes?)\b)"
)
"""A verb that acts on the problem itself ("clear the consumer lag", "bring the 5xx down"): the problem's fix is
asked, as by "how do I fix it"; "clear the cache" names an action of its own (`procedure_ask.asked_action`)."""

ASKS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    (
        "mitigation",
        re.compile(
            r"\b(what (?:do|should|can|must) (?:i|we) (?:usually |normally |typically |generally )?do(?: now| next| about it)?|what now|what next|"
            r"(?:procedure|playbook|process|remedy|fix) (?:for|when|if)|"
            r"how (?:do|can|should) (?:i|we) (?:fix|stop|mitigate|resolve|recover|unstick|unblock|get (?:it|them|this) (?:back|moving|going)|"
            r"deal with|handle|get rid of|sort(?: out)?|tackle)"
            r"(?: (?:it|them|this|that))?|(?:how|steps?) to (?:fix|stop|mitigate|resolve|recover|deal with|handle|get rid of|sort out|tackle)|"
            rf"(?:how (?:do|can|should) (?:i|we)|how|steps?) to {REMEDY_OF_PROBLEM}|(?:how (?:do|can|should) (?:i|we)) {REMEDY_OF_PROBLEM}|"
            r"(?:^|[,.!;:]\s*|\s-\s*)(?:pls |please )?help(?: me| us)?(?: pls| please)?\s*[?!.]*$|\bneed help (?:with|fixing)\b|"
            r"work ?around(?: it| this)?|is it (?:safe|ok|okay|fine) to (?:re-?start|bounce|restart|roll ?back|fail ?over|scale)|"
            r"(?:can|should) (?:i|we) (?:just )?(?:re-?start|bounce|roll ?back|fail ?over|scale|bump|raise|increase|delete|drop|truncate)|"
            r"roll(?:ing)? ?(?:it |them |this )?back|revert(?: it| this)?|undo (?:it|this)|unstick(?: it)?|"
            r"switch (?:over|to)|fail ?over)\b",
            re.I,
        ),
        ("mitigation", "remediation", "resolution", "recovery", "workaround", "actions"),
    ),
    (
        "diagnosis",
        re.compile(
            r"\b((?:the )?first thing(?:s)? to (?:check|look at)|(?:check|look) first|"
            r"what (?:do|should|can|must) (?:i|we) (?:check|look at|verify)(?: first)?|what to (?:check|look at)|"
            r"where (?:do|should|can) (?:i|we) (?:start|begin|look)(?: looking| first)?|where to (?:start|look)|"
            r"how (?:do|can|should) (?:i|we) (?:debug|diagnose|troubleshoot|investigate)(?: it| this| them)?)\b",
            re.I,
        ),
        ("diagnosis", "investigation", "troubleshooting", "debugging", "checks"),
    ),
    (
        "escalation",
        re.compile(
            r"\b(who (?:do|should|can|must) (?:i|we) (?:tell|call|ping|notify|contact|escalate to|loop in)|"
            r"who to (?:tell|call|ping|notify|contact|escalate to)|how (?:do|should) (?:i|we) escalate(?: it| this)?|"
            r"who(?:'s| is) the (?:right )?(?:person|people|one|contact) to (?:tell|call|ping|notify|contact|escalate to)|"
            r"escalate to whom|escalation path)\b",
            re.I,
        ),
        ("escalation", "contacts"),
    ),
    (
        "impact",
        re.compile(r"\b(how bad is (?:it|that|this)|how serious is (?:it|that|this)|what(?:'s| is) the (?:customer |user )?(?:impact|damage)|"
                   r"what (?:do|would|will|does) (?:the )?(?:customers?|users?|shoppers?) (?:lose|see|notice|feel|get))\b", re.I),
        ("impact",),
    ),
)
"""What the question asks (kind, the phrase, the section headings runbooks conventionally put the answer under). "Who
do I page?" is not here: it asks who is on call now, which the graph answers (`oncall.py`), not a runbook."""

ACTIONS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"\broll(?:ing)? ?(?:it |them |this )?back|revert|undo\b", re.I), re.compile(r"\b(roll ?back|rollout undo|undo|revert\w*)\b", re.I)),
    (re.compile(r"\bre-?start|bounce\b", re.I), re.compile(r"\b(re-?start\w*)\b", re.I)),
    (re.compile(r"\bfail ?over\b", re.I), re.compile(r"\b(fail ?over\w*)\b", re.I)),
    (re.compile(r"\bswitch\b", re.I), re.compile(r"\b(switch\w*)\b", re.I)),
    (re.compile(r"\bscale\b", re.I), re.compile(r"\b(scal\w*)\b", re.I)),
    (re.compile(r"\bwork ?around\b", re.I), re.compile(r"\b(workaround|fallback|fall back|instead)\b", re.I)),
    (re.compile(r"\bunstick|unblock|get (?:it|them|this) (?:moving|going)\b", re.I), re.compile(r"\b(skip\w*|reset\w*|stuck)\b", re.I)),
    (re.compile(r"\b(?:bump|raise|increase)\b", re.I), re.compile(r"\b(rais\w*|increas\w*|bump\w*|grow\w*)\b", re.I)),
    (re.compile(r"\b(?:delete|drop|truncate)\b", re.I), re.compile(r"\b(delet\w*|drop\w*|truncat\w*)\b", re.I)),
)
"""An action the ask names ("how do I roll back", "is it safe to restart") and the words the section must hold for it:
"steps to fail over the ledger db" is not answered by a *Mitigation* section that never fails anything over."""

SYMPTOMS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    # (the symptom in the question, the words a document about that symptom holds)
    (re.compile(r"\b(slow(?:ly|ness)?|sluggish|crawl\w*|takes? (?:ages|forever)|spin(?:s|ning|ner)?|latency|laggy|hang(?:s|ing)?|hung|"
                r"tak(?:es?|ing) (?:like |about |around |over |almost |nearly )?\d+ ?(?:s|secs?|seconds?|mins?|minutes?)|hold(?:s|ing)? (?:\w+ )?up|"
                r"dragg(?:ing|s)?(?:\s+[\w-]+){0,2}\s+down|dragg(?:ing|s))\b", re.I),
     re.compile(r"\b(latency|slow\w*|spin\w*|p9\d)\b", re.I)),
    (re.compile(r"\b(5\d\d(?:s|ing)?|5xxs?|errors?|erroring|throwing|failing|fails|failed)\b", re.I),
     re.compile(r"\b(5\d\d|5xx|errors?|fail\w*)\b", re.I)),
    (re.compile(r"\b(tim(?:ing|es|ed) out|timeouts?)\b", re.I), re.compile(r"\b(timeouts?|tim(?:ing|ed) out|deadline\w*)\b", re.I)),
    (re.compile(r"\b(lag\w*|behind|piling up|piled up|backlog\w*|backed up|late)\b", re.I), re.compile(r"\b(lag\w*|behind|late)\b", re.I)),
    (re.compile(r"\b((?:(?:ran|run|runs|running) )?out of (?:disk|space|storage)(?: space)?|(?:disk|space|storage)(?: (?:fill(?:s|ing|ed)? up|"
                r"(?:is |was )?full))?)\b", re.I),
     re.compile(r"\b(disk|space|storage)\b", re.I)),
    (re.compile(r"\b(out of memory|oom\w*|memory)\b", re.I), re.compile(r"\b(memory|evict\w*)\b", re.I)),
    (re.compile(r"\b(maxed out|too many clients|(?:(?:running|runs?|ran) )?out of connections|exhaust\w* connections|connections)\b", re.I),
     re.compile(r"\b(connections?|clients)\b", re.I)),
    (re.compile(r"\b(old|stale|outdated|out of date|not updat\w*|(?:haven'?t|hasn'?t|didn'?t) (?:been )?updat\w*)\b", re.I),
     re.compile(r"\b(stale|old)\b", re.I)),
    (re.compile(r"\b(stuck|won'?t (?:move|budge)|not moving|frozen|wedged)\b", re.I), re.compile(r"\b(stuck)\b", re.I)),
    (re.compile(r"\b(hammer\w*|flood\w*|storm\w*|spamm\w*)\b", re.I), re.compile(r"\b(storm\w*|traffic|load)\b", re.I)),
    (re.compile(r"\b(quota|429s?|rate[- ]limit\w*|throttl\w*)\b", re.I), re.compile(r"\b(quota|429)\b", re.I)),
    (re.compile(r"\b((?:goes|go|going|gone|went|is|are|was|were) down|down|dead|dies|broken|fell over|falls? over|unavailable|"
                r"unreachable|outage|crash\w*|died)\b", re.I),
     re.compile(r"\b(unavailable|down|outage|unreachable|5xx|5\d\d|errors?)\b", re.I)),
)
"""Everyday symptom words and the words a runbook about that symptom uses (generic ops words, no estate's)."""

_FAILING = re.compile(r"\b(unavailable|down|outage|unreachable|5xx|5\d\d|errors?|fail\w*)\b", re.I)
"""A document about a component failing: what a failure phrase with no `SYMPTOMS` class of its own asks of it."""
_FILLER = frozenset(
    """super way totally completely basically literally forever ages now right again still new old yet since
    someone anyone everyone everything nothing them it's its im i'm ive i've we're were they're whats thats
    safe okay ok fine bad worse customers customer users people folks shoppers yesterday today tonight tomorrow
    morning evening night middle weekend like just really very pretty kinda tons lots loads bunch heaps whole themselves
    itself usual usually normally typical typically standard commonly generally""".split()
)
"""Everyday intensifiers, pronouns, who reported it and when: not what a runbook question is about."""
_SAME_AS = {"build": ("release", "rollout"), "deploy": ("rollout", "release"), "deployment": ("rollout", "release"), "release": ("rollout",)}
"""Everyday words for a change shipped, and the words runbooks use for it."""
_DURATION = re.compile(r"\b(?:for|over|since) (?:the )?(?:last |past )?(?:\d+|a few|few|an?|half an?) ?(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|days?)(?: now)?\b", re.I)
"""How long it has been going on ("for 40 minutes now"): not what the runbook must hold."""
_ABOUT_HEADINGS = ("symptom", "alert", "signs", "when to use", "overview", "summary")
"""Section headings that say what a runbook is for (besides its title and opening)."""


@dataclass(frozen=True)
class RunbookAsk:
    """What a question asks of a runbook: the kind, the phrase, the headings it goes under."""

    kind: str
    phrase: str
    headings: tuple[str, ...]


def ask_of(question: str) -> RunbookAsk | None:
    """The one thing the question asks (`ASKS`), or None when it asks none or more than one kind."""
    found = [(kind, m.group(0), heads) for kind, pattern, heads in ASKS for m in pattern.finditer(question)]
    kinds = {k for k, _, _ in found}
    if len(kinds) != 1:
        return None
    kind, phrase, heads = found[0]
    return RunbookAsk(kind, phrase, heads)


def symptom_phrases(question: str) -> list[tuple[str, re.Pattern[str]]]:
    """The symptom phrases of `question` with the words a document about each holds: `SYMPTOMS`, and the failure
    phrases `impact.py` knows (read as a component failing) when no `SYMPTOMS` class covers them."""
    found: list[tuple[str, re.Pattern[str]]] = []
    spans: list[tuple[int, int]] = []
    for said, holds in SYMPTOMS:
        for m in said.finditer(question):
            if not any(a <= m.start() < b for a, b in spans):
                found.append((m.group(0), holds))
                spans.append(m.span())
    others = [FAILURE, *(p for p, _ in FAILURE_VOCABULARY), *(p for p, _ in SYMPTOM_VOCABULARY)]
    for pattern in others:
        for m in pattern.finditer(question):
            if not any(a < m.end() and m.start() < b for a, b in spans):
                found.append((m.group(0), _FAILING))
                spans.append(m.span())
    return found


@dataclass(frozen=True)
class _Doc:
    doc_id: str
    title: str
    about: str
    text: str
    sections: tuple[tuple[str, str, int], ...]  # (chunk id, heading path, position)
    bodies: tuple[tuple[str, str], ...]  # (heading path, text) per chunk


def _read(answerer: Answerer, doc_ids: Sequence[str]) -> list[_Doc]:
    rows = answerer.store.query(
        "MATCH (c:Chunk) WHERE c.doc_id IN $ids RETURN c.id AS id, c.doc_id AS doc, c.heading_path AS h, c.position AS pos, c.text AS text",
        {"ids": list(doc_ids)},
        limit=10_000,
    ).rows
    titles = {
        str(r["id"]): str(r.get("title") or "")
        for r in answerer.store.query("MATCH (d:Document) WHERE d.id IN $ids RETURN d.id AS id, d.title AS title", {"ids": list(doc_ids)}, limit=1000).rows
    }
    docs = []
    for doc in doc_ids:
        mine = sorted((r for r in rows if str(r.get("doc")) == doc), key=lambda r: int(r.get("pos") or 0))
        if not mine:
            continue
        title = titles.get(doc, "")
        about = [title] + [
            str(r.get("text") or "")
            for n, r in enumerate(mine)
            if n == 0 or any(a in str(r.get("h") or "").split(">")[-1].lower() for a in _ABOUT_HEADINGS)
        ]
        text = "\n".join([title, *(f"{r.get('h') or ''}\n{r.get('text') or ''}" for r in mine)])
        sections = tuple((str(r["id"]), str(r.get("h") or ""), int(r.get("pos") or 0)) for r in mine)
        bodies = tuple((str(r.get("h") or ""), str(r.get("text") or "")) for r in mine)
        docs.append(_Doc(doc, title, "\n".join(about), text, sections, bodies))
    return docs


def _all_documents(answerer: Answerer) -> list[str]:
    return [str(r["id"]) for r in answerer.store.query("MATCH (d:Document) RETURN d.id AS id", {}, limit=10_000).rows]


def _residue(question: str, ask: RunbookAsk, symptoms: Sequence[tuple[str, re.Pattern[str]]], mentions: Sequence[str]) -> list[str]:
    """The question's content words besides the ask, the symptoms, the entities' mentions and filler."""
    text = _DURATION.sub(" ", question.replace("’", "'"))
    for phrase in sorted([ask.phrase, *(s for s, _ in symptoms)], key=len, reverse=True):
        text = text.replace(phrase, " ")
    return [w for w in content_words(text, mentions) if w not in _FILLER]


def _why_not(doc: _Doc, question: str, words: Sequence[str], symptoms: Sequence[tuple[str, re.Pattern[str]]], mentions: Sequence[str]) -> str | None:
    for said, holds in symptoms:
        if not holds.search(doc.about):
            return f"{doc.doc_id} is not about '{said}'"
    missing = [w for w in uncovered(" ".join(words), doc.text, mentions) if not any(not uncovered(a, doc.text) for a in _SAME_AS.get(w, ()))]
    if missing:
        return f"{doc.doc_id} does not hold {', '.join(missing)}"
    return None


def _section(doc: _Doc, ask: RunbookAsk) -> tuple[str, str] | None:
    """The first chunk of the document's section for the ask, when that section holds the action the ask names."""
    for chunk, heading, _ in doc.sections:
        if _under(heading, ask):
            body = "\n".join(t for h, t in doc.bodies if h == heading)
            if all(holds.search(body) for said, holds in ACTIONS if said.search(ask.phrase)):
                return chunk, heading
            return None
    return None


def answer_runbook_ask(question: str, answerer: Answerer, hits: Sequence[Hit] = (), *, asked: RunbookAsk | None = None) -> tuple[Outcome | None, str]:
    """The section of the component's runbook that the question's ask goes under, quoted verbatim, or None and why
    not (see the module docstring). `hits`: the fused document hits, the tie-break between documents that pass.
    `asked`: the ask when the caller read it (`symptom_ask.py`: "who do I page" said with a symptom)."""
    ask = asked or ask_of(question)
    if ask is None:
        return None, "runbook ask: the question asks no one thing a runbook section answers"
    links = answerer.links(question)
    mentions = [x.surface for x in links]
    symptoms = symptom_phrases(question)
    words = _residue(question, ask, symptoms, mentions)
    if links:
        docs = _read(answerer, answerer.entity_documents(question))
        if not docs:
            return None, "runbook ask: no runbook is for the entities the question names"
    else:
        if not symptoms:
            return None, "runbook ask: the question names no component and no symptom"
        everything = _read(answerer, _all_documents(answerer))
        titled = [d for d in everything if words and len(uncovered(" ".join(words), d.title)) < len(words)]
        docs = [d for d in titled if all(h.search(d.about) for _, h in symptoms)]
        if len(docs) != 1:
            return None, f"runbook ask: {len(docs)} document titles hold the question's words and symptoms (one needed)"
    passing, why = [], []
    for d in docs:
        reason = _why_not(d, question, words, symptoms, mentions)
        if reason is None and _section(d, ask) is None:
            reason = f"{d.doc_id} has no {ask.kind} section (holding what it asks to do)"
        (why.append(reason) if reason else passing.append(d))
    if not passing:
        return None, "runbook ask: " + "; ".join(why)
    if len(passing) > 1:
        order = [h.source_id for h in hits if h.kind == "chunk"]

        def rank(d: _Doc) -> int:
            return min((order.index(c) for c, _, _ in d.sections if c in order), default=len(order))

        ranked = sorted((d for d in passing if rank(d) < len(order)), key=rank)
        if not ranked:
            return None, f"runbook ask: {len(passing)} runbooks fit and the document search ranks none of them"
        passing = ranked[:1]
    doc = passing[0]
    found = _section(doc, ask)
    assert found is not None
    chunk, heading = found
    quoted = quote_sections(question, [Hit(source_id=chunk, score=0.0, text="", kind="chunk", found_by="graph")], answerer.store, min_overlap=0)
    if quoted is None:
        return None, "runbook ask: the section could not be read"
    rendered, sections = quoted
    if not sections or sections[0].heading != heading:
        return None, "runbook ask: the quote would open another section than the one asked for"
    return Outcome(rendered, "quote", sections=[section_dict(s) for s in sections], source_ids=[s.chunk_id for s in sections]), ""


def _under(heading: str, ask: RunbookAsk) -> bool:
    """Whether the section (heading path) is one runbooks put the ask's answer under (its last heading, by stem)."""
    last = [w for w in _WORD.findall(heading.split(">")[-1].lower()) if len(w) >= 5] if ">" in heading else []
    return any(w.startswith(h[:6]) for w in last for h in ask.headings)


def prefer_asked_section(question: str, quoted: Outcome, answerer: Answerer, hits: Sequence[Hit] = ()) -> Outcome:
    """`quoted` (a gated word-overlap quote), or the section of the same document that the question's ask goes
    under when `quoted` opens another one and the rules here answer with it ("how bad is it if the fx rates are a day
    old" quoted the runbook's opening; its *Impact* section is what was asked)."""
    ask = ask_of(question)
    top = (quoted.sections or [{}])[0]
    if ask is None or _under(str(top.get("section") or ""), ask):
        return quoted
    mine, _ = answer_runbook_ask(question, answerer, hits)
    if mine is not None and (mine.sections or [{}])[0].get("document") == top.get("document"):
        return mine
    return quoted
