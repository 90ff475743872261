"""An incident named the way people remember it: "the gemini quota thing", "the one where carts emptied", "the catalog
retry storm".

`titled.py` links a node named by words of its title followed by its type word ("the ledger disk full incident").
People just as often put a placeholder where the type word goes, or no word at all. `RememberedLinker` wraps a linker
and adds, over the estate's own titles only:

- a run of title words before a placeholder for an event ("thing", "one", "outage", "issue", "problem", "mess") or
  after "the one / thing / outage" and "where / when / with ..." ("the one where carts emptied", "the outage with
  the rdb snapshot fork"): the node of the schema's incident type (`schema.incidents.type`) whose title holds every
  word of the run;
- a bare run after "the", "that" or "this" ("who led the response to the cart connection leak?"): the incident
  whose title holds it when no node of any other titled type's does, with at least three words in the run and two
  that no other link covers ("the redis-cart maxmemory" is the datastore), so a runbook titled with the same words
  as an incident ("frontend 502s during deploy") names neither, and a runbook is never named this way ("the payments
  ledger replication slot" is the ledger, whose runbook is titled "... and replication slots").

Nothing is linked in a conditional ("if the gemini quota problem persists"): a problem that may happen or goes on
is no past incident.

Every reading needs exactly one node: words shared by the titles of two incidents ("the cart redis thing") name
none, and the question keeps its other links (and is then answered or abstained as before). The run must hold at
least two words and one content word no other link covers ("the payment gateway thing" is the gateway); the links
inside the run are dropped, and the surface covers the placeholder, so the placeholder is explained by the link.
No word of an estate is here: the titles come from the store, the incident type from the schema.

`fronted_as_named` reads "the checkout outage in march, what caused it?" as "what caused the checkout outage in
march?": the thing named first, then asked about as "it".

`answer_which_named` answers "which incident was the rdb snapshot fork one?" with that one incident (id and title)
when the question asks nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opsgraph.rag.lexicon import FILLER, stem
from opsgraph.retrieve.base import EntityLinker, LinkedEntity
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import singular, words_of

if TYPE_CHECKING:
    from opsgraph.rag.answering import Answerer, Outcome
    from opsgraph.rag.trace import Trace

_TOKEN = re.compile(r"[A-Za-z0-9]+")
PLACEHOLDERS = frozenset("thing one outage issue problem mess".split())
"""Words that stand for 'the incident' in everyday speech ("the gemini quota thing")."""
_AFTER = frozenset("where when with in that about".split())
"""A placeholder followed by one of these is described by the words after it ("the one where carts emptied")."""
_DESCRIBED = frozenset("one thing outage".split())
"""The placeholders described by the words after them, after "the" or "that" only ("the one where ..."; "any problem
with the maxmemory?" asks about now, not about a past incident)."""
_DETERMINERS = frozenset("the that this".split())
_CONDITIONAL = re.compile(r"\b(?:if|would|could|should|might|whenever|unless|persists?|keeps?)\b", re.I)
"""A problem that may happen or goes on ("if the gemini quota problem persists") is no past incident remembered."""
_MIN_RUN = 2
_MIN_BARE_RUN = 3


@dataclass(frozen=True)
class RememberedLink:
    """A node named by words of its title, a placeholder, or both (fits `LinkedEntity`)."""

    node_id: str
    node_type: str
    surface: str
    start: int
    end: int
    score: float = 0.85
    method: str = "remembered"


Title = tuple[str, str, frozenset[str]]
"""(node id, node type, stems of the title's words)."""


def _norm(word: str) -> str:
    """ "rates" and "rate" alike (the stem alone makes 'rat' of one and 'rate' of the other), "slowness" and "slow"."""
    w = singular(word.lower())
    return stem(w[:-4] if w.endswith("ness") and len(w) > 7 else w)


def _content(run: Sequence[re.Match[str]]) -> list[re.Match[str]]:
    return [t for t in run if t.group(0).lower() not in FILLER]


def _fits(run: Sequence[re.Match[str]], titles: Sequence[Title]) -> list[Title]:
    """The titles holding every content word of `run` (function words may differ: "during the rolling deploy")."""
    words = {_norm(t.group(0)) for t in _content(run)}
    return [t for t in titles if words <= t[2]]


def _own(run: Sequence[re.Match[str]], covered: Sequence[tuple[int, int]]) -> int:
    """How many content words of the run no other link covers."""
    return sum(t.group(0).lower() not in FILLER and not any(a <= t.start() < b for a, b in covered) for t in run)


def _trim(run: list[re.Match[str]]) -> list[re.Match[str]]:
    while run and run[0].group(0).lower() in FILLER:
        run = run[1:]
    while run and run[-1].group(0).lower() in FILLER:
        run = run[:-1]
    return run


def _back(toks: Sequence[re.Match[str]], k: int, titles: Sequence[Title]) -> list[re.Match[str]]:
    """The longest run of words before token `k` that some title holds."""
    j = k
    while j > 0 and _fits(toks[j - 1 : k], titles):
        j -= 1
    return _trim(list(toks[j:k]))


def _forward(toks: Sequence[re.Match[str]], k: int, titles: Sequence[Title]) -> list[re.Match[str]]:
    """The longest run of words from token `k` on that some title holds, up to a verb of state ("the ECB rates feed
    is stale" says something of the feed now, it names no incident)."""
    j = k
    while j < len(toks) and not _STATED.fullmatch(toks[j].group(0)) and _fits(toks[k : j + 1], titles):
        j += 1
    return _trim(list(toks[k:j]))


def _ends_phrase(text: str, toks: Sequence[re.Match[str]], k: int) -> bool:
    """Whether token `k` ends its phrase: "the rdb snapshot fork one?" names, "stuck on one partition" counts."""
    if k + 1 >= len(toks):
        return True
    between = text[toks[k].end() : toks[k + 1].start()]
    return bool(between.strip()) or toks[k + 1].group(0).lower() in FILLER


def remembered_links(
    text: str, incidents: Sequence[Title], titles: Sequence[Title], links: Sequence[LinkedEntity] = ()
) -> list[RememberedLink]:
    """Nodes `text` names by words of their title around a placeholder, or by a bare run of them (module docstring)."""
    if _CONDITIONAL.search(text):
        return []
    toks = list(_TOKEN.finditer(text))
    covered = [(x.start, x.start + len(x.surface)) for x in links]
    linked = {x.node_id for x in links}
    out: list[RememberedLink] = []
    incident_type = incidents[0][1] if incidents else None

    def take(run: Sequence[re.Match[str]], pool: Sequence[Title], lo: int, hi: int, min_run: int) -> bool:
        if len(_content(run)) < min_run or _own(run, covered) < min_run - 1:
            return False
        fits = _fits(run, pool)
        if len(fits) != 1 or fits[0][1] != incident_type or fits[0][0] in linked or any(o.node_id == fits[0][0] for o in out):
            return False
        out.append(RememberedLink(fits[0][0], fits[0][1], text[lo:hi], lo, hi))
        return True

    for k, m in enumerate(toks):
        word = m.group(0).lower()
        if word in PLACEHOLDERS and incidents:
            run = _back(toks, k, incidents) if word != "one" or _ends_phrase(text, toks, k) else []
            if run and take(run, incidents, run[0].start(), m.end(), _MIN_RUN):
                continue
            if (
                word in _DESCRIBED
                and k > 0
                and toks[k - 1].group(0).lower() in _DETERMINERS
                and k + 2 < len(toks)
                and toks[k + 1].group(0).lower() in _AFTER
            ):
                start = k + 2
                while start < len(toks) - 1 and toks[start].group(0).lower() in FILLER:
                    start += 1
                run = _forward(toks, start, incidents)
                if run:
                    take(run, incidents, m.start(), run[-1].end(), _MIN_RUN)
        elif word in _DETERMINERS and k + 1 < len(toks) and not any(o.start <= m.start() < o.end for o in out):
            run = _forward(toks, k + 1, titles)
            nxt = toks[k + 1 + len(run)].group(0).lower() if k + 1 + len(run) < len(toks) else ""
            if run and run[0] is toks[k + 1] and nxt not in PLACEHOLDERS:
                take(run, titles, run[0].start(), run[-1].end(), _MIN_BARE_RUN)
    return out


class RememberedLinker:
    """`base`'s links, plus incidents named by remembered title words (see the module docstring)."""

    def __init__(self, base: EntityLinker, named: Iterable[tuple[str, str, str | None]], schema: GraphSchema) -> None:
        """`named`: (node id, node type, display name) of the nodes a question may name."""
        self.base = base
        inc = schema.incidents
        incident_type = inc.type if inc is not None else None
        self._titles: list[Title] = []
        for node_id, node_type, name in named:
            words = frozenset(_norm(w) for w in _TOKEN.findall(name or ""))
            if len(words) > _MIN_RUN:
                self._titles.append((node_id, node_type, words))
        self._incidents = [t for t in self._titles if t[1] == incident_type]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def link(self, text: str, **kwargs: Any) -> list[Any]:
        links = list(self.base.link(text, **kwargs))
        found = remembered_links(text, self._incidents, self._titles, links)
        if not found:
            return links
        kept = [x for x in links if not any(f.start <= x.start and x.start + len(x.surface) <= f.end for f in found)]
        kept = [x for x in kept if x.node_id not in {f.node_id for f in found}]
        return sorted([*kept, *found], key=lambda x: x.start)


_WHICH = re.compile(r"^\s*(?:which|what)\s+(?P<type>[a-z][\w ]*?)\s+(?:was|is)\s+(?:it\s+)?(?P<rest>.+?)\s*\??\s*$", re.I)


def answer_which_named(answerer: Answerer, question: str, trace: Trace, refusals: list[str] | None = None) -> Outcome | None:
    """ "which incident was the rdb snapshot fork one?": the one incident the rest of the question names by its
    remembered title words, with its id; None unless the question is only that and the link is exactly one incident."""
    m = _WHICH.match(question)
    inc = answerer.schema.incidents
    if m is None or inc is None or " ".join(words_of(inc.type)) != singular(m.group("type").lower()):
        return None
    links = [x for x in answerer.links(question) if x.start >= m.start("rest")]
    if len({x.node_id for x in links}) != 1 or links[0].node_type != inc.type:
        return None
    rest = question[m.start("rest") : m.end("rest")]
    left = rest.lower().replace(links[0].surface.lower(), " ")
    if any(w not in FILLER for w in _TOKEN.findall(left.lower())):
        return None  # "which incident was the rdb snapshot fork one worst for?": more is asked than which one
    name = answerer.schema.nodes[inc.type].name_property or "id"
    cypher = f"MATCH (n:{inc.type} {{id: $id}}) RETURN n.id AS id, n.{name} AS name"
    params = {"id": links[0].node_id}
    if answerer._refused("which named", question, cypher, params, links, trace, refusals):
        return None
    with trace.stage("which named") as stage:
        rows = list(answerer.store.query(cypher, params, limit=1, timeout_ms=5_000).rows)
        stage.detail = {"cypher": cypher, "params": params, "rows": len(rows)}
    if not rows:
        return None
    return answerer.render(answerer.shape(question), rows, cypher, params)


_FRONTED = re.compile(
    r"^\s*(?P<np>(?:the|that|this)\s+[^,:;?!]+?)\s*(?:,|:|;|\s[-\u2013\u2014]+)\s*"
    r"(?P<ask>(?:what|who|whom|when|how|which|why|where|was|is|did|were|has|had)\b[^?]*)(?P<end>\??)\s*$",
    re.I,
)
_STATED = re.compile(r"\b(?:is|are|was|were|has|have|had|keeps?|kept|seems?|looks?|went|goes)\b", re.I)
"""A name that states something ("the ECB rates feed is stale, who is on call for it?") is not moved into the ask."""
_IT = re.compile(r"\bit\b(?!')", re.I)
_ASKING = re.compile(r"\b(?:what|who|whom|when|how|which|why|where)\b", re.I)


def fronted_as_named(question: str) -> str:
    """ "the checkout outage in march, what caused it?" → "what caused the checkout outage in march?": a thing named
    first and then asked about as "it" (exactly one "it", and the name itself asks nothing); else unchanged."""
    m = _FRONTED.match(question)
    if m is None or _ASKING.search(m.group("np")) or _STATED.search(m.group("np")):
        return question
    ask = m.group("ask")
    if len(_IT.findall(ask)) != 1:
        return question
    return _IT.sub(lambda _: m.group("np"), ask) + m.group("end")
