"""Procedure questions name an action and a component: the quoted section must take that action on that component.

"How do we scale up the shipping service" quoted the checkout runbook's *Mitigation* section: the runbook is also
for the shipping service, and the section scales something out -- the checkout service. "How do I restart the kafka
brokers" quoted the consumer-lag runbook's *Mitigation*, which restarts nothing: the asking verb counted as held
because *Mitigation* is where runbooks put what to do (`quote_gate.py`). Both are confident wrong answers. So, for a
question whose asking phrase is followed by a verb ("how do I <verb>", "steps to <verb>", "is it safe to <verb>",
"command to <verb>"; the verb being an action, not a way of asking such as "check", "see", "find"):

- the section (every chunk of it, not only the quoted one) must hold the verb (by stem, or the words
  `runbook_ask.ACTIONS` gives for it: "roll back" is held by "rollout undo"), or it is no answer;
- when the question names the entity the action is taken on (right after the verb: "scale up the shipping
  service") and the runbook's title does not name it, the verb must stand in the same block of the section (a list
  item with its code, or a paragraph) as a mention of it (its id or the words that named it, compared without case,
  spaces or dashes): the action is taken on *that* component. An entity named elsewhere ("ecb feed fetch failing,
  how do I load the rates by hand") is what fails, not what the action is taken on: no block is asked of it.

Words, headings, titles and the linker's entities only; no estate's ids or words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from opsgraph.rag.answering import Answerer, Outcome
from opsgraph.rag.quote import documents_of, quote_sections, section_dict
from opsgraph.rag.quote_gate import _FUNCTION, _same, _stem, content_words, uncovered
from opsgraph.rag.runbook_ask import _FILLER, ACTIONS, REMEDY_OF_PROBLEM, RunbookAsk, _read, _section, answer_runbook_ask, ask_of
from opsgraph.retrieve.base import Hit

_ASK_VERB = re.compile(
    r"\b(?:how (?:do|can|should|would|could|does) (?:i|we|you|one)|how to|steps? (?:to|for)|(?:command|cmd|way|procedure) (?:to|for)|"
    r"(?:safe|ok|okay|fine|alright|allowed) to|(?:can|should|could|may) (?:i|we)|(?:need|want|have) to)"
    r"\s+(?:just\s+|safely\s+|quickly\s+|manually\s+)?([a-z][a-z-]+)(?:\s+(up|out|down|back|over|off|on))?\b",
    re.I,
)
"""An asking phrase and the verb after it (with its particle: "scale up", "roll back", "fail over")."""

_NOT_ACTIONS = frozenset(
    """tell know find figure work confirm understand decide spot identify determine recognise recognize learn read
    run use try call execute apply do be get go find out reach contact page ping notify escalate ask
    is are was were has have had""".split()
)
"""Verbs that ask (or carry another verb's object, "run FLUSHALL") rather than name an action a section takes."""

_ON_THE_PROBLEM = re.compile(r"\s+(?:it|this|that|them|these|those)\b", re.I)
"""An action taken on "it" ("how do we stop it?") is the problem's fix, asked of a section as any mitigation is."""
_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s")
_NORM = re.compile(r"[^a-z0-9]+")
_WORDS = re.compile(r"[a-z0-9]+", re.I)


@dataclass(frozen=True)
class Action:
    """The action a procedure question names: the verb as written (with particle), the words that hold it, and where
    the verb phrase ends in the question (its object follows)."""

    said: str
    verb: str
    holds: tuple[re.Pattern[str], ...]
    end: int = 0


def asked_action(question: str) -> Action | None:
    """The action verb after the question's asking phrase, or None when it names none (or only a way of asking)."""
    found = _ASK_VERB.search(question)
    if found is None:
        return None
    verb = found.group(1).lower()
    if verb in _FUNCTION or verb in _NOT_ACTIONS or _ON_THE_PROBLEM.match(question, found.end()):
        return None
    if re.compile(REMEDY_OF_PROBLEM, re.I).match(question, found.start(1)):
        return None  # "how do I clear the consumer lag": the lag's fix, not a clearing step
    said = " ".join(x for x in (verb, (found.group(2) or "").lower()) if x)
    holds = tuple(h for s, h in ACTIONS if s.search(said))
    return Action(said, verb, holds, found.end())


def _holds(action: Action, text: str) -> bool:
    """Whether `text` holds the action: its verb by stem (or with its particle written as one word), or an ACTIONS word."""
    if any(h.search(text) for h in action.holds):
        return True
    stem = _stem(action.verb)
    words = re.findall(r"[a-z0-9]+", text.lower())
    joined = _stem(_NORM.sub("", action.said))
    return any(_same(stem, _stem(w)) or (" " in action.said and _stem(w) == joined) for w in words)


def blocks(body: str) -> list[str]:
    """The section's blocks: each top-level list item with what is indented under it (its code), each paragraph."""
    out: list[list[str]] = [[]]
    fenced, blank = False, True
    for line in body.splitlines():
        stripped = line.strip()
        top = bool(stripped) and not line[:1].isspace()
        if top and stripped.startswith("```"):
            fenced = not fenced
        elif top and not fenced and (_ITEM.match(stripped) or blank):
            out.append([])
        if stripped:
            out[-1].append(line)
        blank = not stripped
    return ["\n".join(b) for b in out if b]


def _names(text: str, forms: Sequence[str]) -> bool:
    flat = _NORM.sub("", text.lower())
    return any(f and f in flat for f in forms)


def _section_text(answerer: Answerer, quoted: Outcome) -> tuple[str, str]:
    """(document title, text of every chunk of the quoted section) for the quote's first section."""
    top = (quoted.sections or [{}])[0]
    doc, heading = str(top.get("document") or ""), str(top.get("section") or "")
    rows = answerer.store.query(
        "MATCH (c:Chunk) WHERE c.doc_id = $doc AND c.heading_path = $heading RETURN c.text AS t, c.position AS pos ORDER BY pos",
        {"doc": doc, "heading": heading},
        limit=500,
    ).rows
    text = "\n\n".join(str(r.get("t") or "") for r in rows) or quoted.rendered.text
    return str(top.get("title") or ""), text


def action_elsewhere(question: str, quoted: Outcome, answerer: Answerer) -> str | None:
    """Why the quoted section does not take the question's action on the question's component (see the module
    docstring), or None when it does or the question names no action."""
    action = asked_action(question)
    if action is None or quoted.kind != "quote" or not quoted.sections:
        return None
    title, text = _section_text(answerer, quoted)
    if not _holds(action, text):
        return f"the section never does what the question asks ('{action.said}')"
    # the entities the action is taken on: named right after the verb ("scale up the shipping service"), not the
    # one the question says is failing ("ecb feed fetch failing, how do I load the rates by hand")
    links = [x for x in answerer.links(question) if x.start >= action.end and len(_WORDS.findall(question[action.end : x.start])) <= 2]
    forms = [f for f in dict.fromkeys(_NORM.sub("", s.lower()) for x in links for s in (x.node_id, x.surface)) if len(f) >= 4]
    if not forms or _names(title, forms):
        return None
    if any(_holds(action, b) and _names(b, forms) for b in blocks(text)):
        return None
    return f"the section does '{action.said}' to something else than what the question names"


_SECTION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mitigation", ("mitigation", "remediation", "resolution", "recovery", "workaround", "actions")),
    ("diagnosis", ("diagnosis", "investigation", "troubleshooting", "debugging", "checks")),
    ("escalation", ("escalation", "contacts")),
    ("impact", ("impact",)),
    ("symptoms", ("symptoms", "signs", "alerts")),
)
"""The conventional runbook headings a question may name ("the mitigation part of X's runbook") and their variants."""
_RUNBOOK_WORD = re.compile(r"\b(?:run ?books?|play ?books?|rb)\b", re.I)
_PART = re.compile(r"\b(?:part|parts|bit|bits|section|sections|bullet|bullets|piece|chapter|step|steps|stuff)\b", re.I)


def named_section(question: str) -> RunbookAsk | None:
    """The section a question names by its conventional heading together with the word "runbook" ("the mitigation part
    of the payments 5xx runbook", "redis cart runbook, symptoms section"), or None (none, or several)."""
    if not _RUNBOOK_WORD.search(question):
        return None
    found = []
    for kind, heads in _SECTION_WORDS:
        for w in re.findall(r"[a-z]+", question.lower()):
            if len(w) >= 5 and any(w.startswith(h[:6]) and h.startswith(w[:6]) for h in heads):
                found.append((kind, w, heads))
    if len({k for k, _, _ in found}) != 1:
        return None
    kind, word, heads = found[0]
    return RunbookAsk(kind, word, heads)


def title_names_it(question: str, quoted: Outcome, answerer: Answerer, ask: RunbookAsk) -> str | None:
    """Why a quote is not from the runbook a question names by its component and title words ("the payments 5xx
    runbook"): the quoted document's title must name one of the entities as the question wrote it (or its id) and
    hold every other content word of the question besides the section's name; None when it does."""
    top = (quoted.sections or [{}])[0]
    title = str(top.get("title") or "")
    links = answerer.links(question)
    if str(top.get("document") or "") in named_documents(question, answerer):
        return None
    mentions = [x.surface for x in links]
    forms = [f for f in dict.fromkeys(_NORM.sub("", s.lower()) for x in links for s in (x.node_id, x.surface)) if len(f) >= 4]
    if forms and not _names(title, forms):
        return f"the question names a runbook by its component; '{title}' does not name it"
    rest = _PART.sub(" ", _RUNBOOK_WORD.sub(" ", re.sub(rf"\b{re.escape(ask.phrase)}\w*", " ", question, flags=re.I)))
    words = [w for w in content_words(rest, mentions) if w not in _FILLER]
    missing = uncovered(" ".join(words), title, mentions) if words else []
    if missing or not (forms or words):
        return f"the runbook's title '{title}' does not hold {', '.join(missing) or 'what names it'}"
    return None


def named_documents(question: str, answerer: Answerer) -> list[str]:
    """The documents the question names itself: of a linked node (not a fuzzy link) that points at its own document
    (a runbook linked by its title, "the payments 5xx runbook")."""
    links = [x for x in answerer.links(question) if getattr(x, "method", "fuzzy") != "fuzzy"]
    return documents_of(answerer.store, list(dict.fromkeys((x.node_id, x.node_type) for x in links))) if links else []


def _quote_named(question: str, answerer: Answerer, ask: RunbookAsk, doc_id: str) -> tuple[Outcome | None, str]:
    """The section `ask` names of the document the question names, when it holds the question's other words."""
    docs = _read(answerer, [doc_id])
    if not docs:
        return None, "runbook ask: the runbook named has no text"
    doc = docs[0]
    mentions = [x.surface for x in answerer.links(question)]
    rest = _PART.sub(" ", _RUNBOOK_WORD.sub(" ", re.sub(rf"\b{re.escape(ask.phrase)}\w*", " ", question, flags=re.I)))
    words = [w for w in content_words(rest, mentions) if w not in _FILLER]
    missing = uncovered(" ".join(words), doc.text, mentions) if words else []
    if missing:
        return None, f"runbook ask: {doc_id} does not hold {', '.join(missing)}"
    found = _section(doc, ask)
    if found is None:
        return None, f"runbook ask: {doc_id} has no {ask.kind} section"
    chunk, heading = found
    quoted = quote_sections(question, [Hit(source_id=chunk, score=0.0, text="", kind="chunk", found_by="graph")], answerer.store, min_overlap=0)
    if quoted is None or not quoted[1] or quoted[1][0].heading != heading:
        return None, "runbook ask: the section named could not be quoted from its start"
    rendered, sections = quoted
    return Outcome(rendered, "quote", sections=[section_dict(x) for x in sections], source_ids=[x.chunk_id for x in sections]), ""


def answer_named_section(question: str, answerer: Answerer, hits: Sequence[Hit]) -> tuple[Outcome | None, str]:
    """The section a question names with its runbook ("the impact section of the frontend 502 runbook"), quoted from
    its start: of the runbook the question names by its title (the linker's), or of the named component's runbook
    whose title names what the question calls it (`title_names_it`); else None and why."""
    ask = named_section(question)
    if ask is None:
        return None, ""
    named = named_documents(question, answerer)
    if len(named) == 1:
        return _quote_named(question, answerer, ask, named[0])
    if named:
        return None, f"runbook ask: the question names {len(named)} runbooks"
    out, why = answer_runbook_ask(_PART.sub(" ", question), answerer, hits, asked=ask)
    if out is None:
        return None, why
    wrong = title_names_it(question, out, answerer, ask)
    return (None, f"runbook ask: {wrong}") if wrong else (out, "")


_KNOWING = frozenset("tell know find figure spot identify determine recognise recognize learn confirm check see notice detect verify".split())
"""Verbs of finding out ("how do I tell if X lags"): a section that describes the problem may answer them."""
_DESCRIBING = re.compile(r"\b(?:symptoms?|impact|overview|background|context|summary|signs)\s*$", re.I)


def describes_instead(question: str, quoted: Outcome) -> str | None:
    """Why a section that describes the problem (*Symptoms*, *Impact*) is no answer to a question asking how to act on
    it ("how do we deal with the consumer lag" quoted *Symptoms*: the words matched, the ask did not), or None."""
    if quoted.kind != "quote" or not quoted.sections:
        return None
    asks = ask_of(question)
    if asks is not None and asks.kind == "mitigation":
        said = asks.phrase
    else:
        found = _ASK_VERB.search(question)
        if found is None:
            return None
        said = found.group(1).lower()
        if said in _KNOWING or said in _NOT_ACTIONS or said in _FUNCTION:
            return None  # "which runbook should I use": a way of asking, not an action asked
    heading = str((quoted.sections or [{}])[0].get("section") or "").split(">")[-1].strip()
    if _DESCRIBING.search(heading):
        return f"the question asks how to act ('{said}'); the section quoted ({heading}) describes the problem"
    return None


def quote_refused(question: str, quoted: Outcome, answerer: Answerer) -> str | None:
    """Why a quote passed by the other gates is still no answer to a procedure question (its action taken elsewhere,
    a section that only describes the problem, or a runbook named by title that is not the quoted one), or None."""
    why = action_elsewhere(question, quoted, answerer) or describes_instead(question, quoted)
    ask = named_section(question)
    if why is None and ask is not None:
        why = title_names_it(question, quoted, answerer, ask)
    return why
