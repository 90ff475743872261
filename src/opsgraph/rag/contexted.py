"""A bare word of one node's name, linked when the question's other words say which type it is: "owned by payments".

People shorten a team to one word of its name ("payments", "catalog"). The
linker matches whole names and aliases only, and such a word is often shared
with a node of another type (the "payments" team and the payment service's
alias "payments"), so it is left unlinked and the question abstains.
`ContextLinker` wraps the linker and adds one rule over the estate's own names
and schema:

- a word not covered by another link, that is a word of the name or aliases of
  some nodes (not a function word, not a type word such as "team");
- the question's words around it name the types it may be, each from a
  relation of the schema: "<owns>ed by X" → the relation's start types (an
  owner); "page/pager ... for X" → what the on-call relation reaches (a team)
  and what those types own; "X folks/people/team/squad" → what the on-call
  relation reaches; "X is failing/down/broken" → what an owner owns;
- with a people noun after it, the noun is part of the surface ("catalog folks", as the alias "catalog team");
- a one-word alias the base linked to a node of a type the context rules out gives way, when one allowed node has
  the word ("services owned by checkout": the team with the alias "checkout team", not the checkout service);
- "<uses/depends on/calls> ... X": a word after a dependency relation's word names an end of a dependency edge (a
  component, not the team of the same name: "the timeout checkout uses for payments");
- "is X ok?", "X healthy?", "X at risk": a component's health (what an owner owns), of several the one whose whole
  name or alias the word is;
- "the last outage on X", "incidents affecting X": a word after the incident type's word (or "outage") and a
  preposition names what incidents affect or are caused by (`schema.incidents`), not a team;
- with no such context, "what port does payments listen on?": the question's property words name the types it may
  be (those holding a property for each), and the word must be the whole name or alias of the one node linked
  ("triggered by a deploy" is no link to an incident titled "... during a rolling deploy");
- after a paging word, of several nodes the one team whose whole name the word is ("page for payments": the
  Payments team, whose rotation is paged, rather than nothing);
- the node is linked only when exactly one node of the types every context
  allows has that word: a word shared by nodes of two allowed types names neither, unless (after a dependency
  relation's word or an incident's) exactly one of them has the word as its whole name or alias ("uses for payments": the payment
  service, whose alias it is, not the payments ledger database).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from opsgraph.rag.lexicon import FILLER, build_lexicon, stem
from opsgraph.rag.shape import type_words
from opsgraph.retrieve.base import EntityLinker
from opsgraph.schema import GraphSchema

_TOKEN = re.compile(r"[A-Za-z0-9]+")
_PAGE = frozenset({"page", "paged", "pager", "paging"})
_PEOPLE = frozenset({"folks", "people", "team", "squad", "crew", "guys", "gang", "engineers", "devs"})
_FAILING = frozenset({"failing", "down", "broken", "erroring", "degraded", "flaky", "timing", "outage", "dying"})
_HEALTH = frozenset({"ok", "okay", "healthy", "fine", "alright", "unhealthy", "risky"})
_OWNED_PARTICIPLES = ("maintained", "run")
"""Everyday participles of owning ("maintained by", "run by"), as `lexicon.EVERYDAY_RELATION_PHRASES` reads them."""
_BETWEEN = frozenset({"for", "if", "about", "when", "duty", "the", "on", "whoever", "is", "are", "a"})
_INCIDENT_PREPOSITIONS = frozenset({"on", "in", "at", "of", "for", "with", "affecting", "involving"})
"""Words between an incident and what it hit ("the outage on X", "incidents affecting X")."""
_AFTER_RELATION = _BETWEEN | {"to", "with", "from", "of"}
"""Words between a dependency relation's word and the name it takes ("uses for payments", "talks to the cart")."""


@dataclass(frozen=True)
class ContextLink:
    """A node named by one word of its name, typed by the question's context (fits `LinkedEntity`)."""

    node_id: str
    node_type: str
    surface: str
    start: int
    end: int
    score: float = 0.8
    method: str = "context"


@dataclass(frozen=True)
class Contexts:
    """The types each context allows (read from the schema; empty when the schema has no such relation)."""

    owned_by: dict[str, frozenset[str]]  # participle ("owned") → owner types
    paged: frozenset[str]
    people: frozenset[str]
    failing: frozenset[str]
    depended: frozenset[str] = frozenset()
    """The types at either end of a dependency edge."""
    hit: frozenset[str] = frozenset()
    """The types an incident affects or is caused by."""


def contexts_of(schema: GraphSchema) -> Contexts:
    """The contexts of `schema`: owning relations by their participle, the on-call relation's ends."""
    owned_by: dict[str, frozenset[str]] = {}
    owned: set[str] = set()
    owners: set[str] = set()
    for name, edge in schema.edges.items():
        verb = name.lower()
        if "_" in verb or not verb.endswith("s"):
            continue
        owned_by[verb[:-1] + "ed"] = frozenset(edge.from_types)
        if verb == "owns":
            for participle in _OWNED_PARTICIPLES:  # "services maintained by payments", "run by fulfilment"
                owned_by.setdefault(participle, frozenset(edge.from_types))
        if verb == "owns":
            owned.update(edge.to_types)
            owners.update(edge.from_types)
    teams: set[str] = set()
    for name, edge in schema.edges.items():
        if name.lower().replace("_", "") == "oncallfor":
            teams.update(edge.to_types)
    paged = teams | (owned if teams & owners else set())
    depended = {t for e in schema.edges.values() if e.dependency for t in (*e.from_types, *e.to_types)}
    hit: set[str] = set()
    inc = schema.incidents
    if inc is not None:
        for incident_edge in (inc.affected, inc.caused_by):
            if incident_edge is not None and incident_edge in schema.edges:
                hit.update(schema.edges[incident_edge].to_types)
    return Contexts(owned_by, frozenset(paged), frozenset(teams), frozenset(owned), frozenset(depended), frozenset(hit))


def _norm(word: str) -> str:
    return stem(word.lower())


class ContextLinker:
    """`base`'s links, plus bare words of one node's name typed by their context (see the module docstring)."""

    def __init__(self, base: EntityLinker, named: Iterable[tuple[str, str, Sequence[str]]], schema: GraphSchema) -> None:
        """`named`: (node id, node type, its name and aliases) of the nodes a question may name."""
        self.base = base
        self.contexts = contexts_of(schema)
        skip = set(FILLER)
        for t in schema.nodes:
            for tw in type_words(t):
                skip.update(_norm(w) for w in tw.split())
        skip.update(_norm(w) for w in _PEOPLE)
        self._words: dict[str, set[tuple[str, str]]] = {}
        self._whole: dict[str, set[tuple[str, str]]] = {}  # a whole name or alias, lower case → its nodes
        self._lexicon = build_lexicon(schema)
        self._schema = schema
        self._dependency = frozenset(name for name, e in schema.edges.items() if e.dependency)
        inc = schema.incidents
        self._incident_words = frozenset(
            {*(stem(w) for w in " ".join(type_words(inc.type)).split()), "outage"} if inc is not None else ()
        )
        for node_id, node_type, names in named:
            for text in names:
                if text:
                    self._whole.setdefault(text.lower(), set()).add((node_id, node_type))
                for w in _TOKEN.findall(text or ""):
                    n = _norm(w)
                    if len(n) < 3 or n.isdigit() or n in skip or w.lower() in skip:
                        continue
                    self._words.setdefault(n, set()).add((node_id, node_type))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def link(self, text: str, **kwargs: Any) -> list[Any]:
        links = list(self.base.link(text, **kwargs))
        toks = list(_TOKEN.finditer(text))
        words = [t.group(0).lower() for t in toks]
        # A one-word alias the context rules out ("owned by checkout": the checkout service is owned, not an owner).
        links = [x for x in links if not self._ruled_out(x, toks, words)]
        covered = [(x.start, x.start + len(x.surface)) for x in links]
        added: list[ContextLink] = []
        for k, m in enumerate(toks):
            if any(a <= m.start() < b for a, b in covered):
                continue
            nodes = self._words.get(_norm(m.group(0)))
            if not nodes:
                continue
            allowed = self._allowed(words, k)
            whole_wins = allowed is not None and (
                self._after_dependency(words, k) or self._after_incident(words, k) or self._before_health(words, k)
            )
            whole_only = False
            if allowed is None:
                allowed = self._holding(words, k)  # "what port does payments listen on?": a type with a port
                whole_only = True  # ... and the word is that node's whole name or alias, not a word of a title
            if allowed is None:
                continue
            fits = {n for n in nodes if n[1] in allowed}
            if whole_only or (len(fits) > 1 and whole_wins):
                fits &= self._whole.get(m.group(0).lower(), set())
            if len(fits) > 1 and self._after_page(words, k):
                # "who do I page for payments?": the team whose whole name the word is (its rotation is paged).
                teams = {n for n in fits & self._whole.get(m.group(0).lower(), set()) if n[1] in self.contexts.people}
                fits = teams if len(teams) == 1 else fits
            if len(fits) != 1:
                continue
            node_id, node_type = next(iter(fits))
            if any(x.node_id == node_id for x in (*links, *added)):
                continue
            end = m.end()
            if k + 1 < len(toks) and toks[k + 1].group(0).lower() in _PEOPLE:
                end = toks[k + 1].end()  # "the catalog folks" names the team as "catalog team" does
            added.append(ContextLink(node_id, node_type, text[m.start() : end], m.start(), end))
        if not added:
            return links
        return sorted([*links, *added], key=lambda x: x.start)

    def _ruled_out(self, link: Any, toks: Sequence[re.Match[str]], words: Sequence[str]) -> bool:
        """Whether `link` is a one-word alias of a type its context does not allow, and one allowed node has the word."""
        if getattr(link, "method", "") != "alias":
            return False
        at = [k for k, t in enumerate(toks) if t.start() == link.start and t.end() == link.start + len(link.surface)]
        if len(at) != 1:
            return False
        allowed = self._allowed(words, at[0])
        if allowed is None or link.node_type in allowed:
            return False
        fits = {n for n in self._words.get(_norm(words[at[0]]), set()) if n[1] in allowed}
        return len(fits) == 1

    def _before_health(self, words: Sequence[str], k: int) -> bool:
        """Whether word `k` is followed by a health word ("payments ok", "cart healthy", "checkout at risk")."""
        after = words[k + 1 : k + 3]
        return bool(after) and (after[0] in _HEALTH or after[:2] == ["at", "risk"])

    def _after_page(self, words: Sequence[str], k: int) -> bool:
        """Whether word `k` follows a paging word across function words only ("page for X")."""
        j = k - 1
        while j >= 0 and words[j] in _BETWEEN:
            j -= 1
        return j >= 0 and words[j] in _PAGE

    def _after_dependency(self, words: Sequence[str], k: int) -> bool:
        """Whether word `k` follows a dependency relation's word across function words only ("uses for X")."""
        j = k - 1
        while j >= 0 and words[j] in _AFTER_RELATION:
            j -= 1
        return 0 <= j < k - 1 and self._names_dependency(words[j])

    def _holding(self, words: Sequence[str], k: int) -> frozenset[str] | None:
        """The types holding a property for every property word of the question besides word `k`; None without one."""
        others = [w for j, w in enumerate(words) if j != k and w not in FILLER]
        cues = [set(ps) for ps in self._lexicon.prop_cues(others).values()]
        if not cues:
            return None
        return frozenset(t for t, spec in self._schema.nodes.items() if all(cs & set(spec.properties) for cs in cues))

    def _after_incident(self, words: Sequence[str], k: int) -> bool:
        """Whether word `k` follows the incident type's word (or "outage") and a preposition ("outage on X")."""
        return k >= 2 and words[k - 1] in _INCIDENT_PREPOSITIONS and _norm(words[k - 2]) in self._incident_words

    def _names_dependency(self, word: str) -> bool:
        """Whether `word` is a relation word of dependency edges only ("uses", "calls", "talks")."""
        edges = {e for es in self._lexicon.edge_cues([word]).values() for e in es}
        return bool(edges) and edges <= self._dependency

    def _allowed(self, words: Sequence[str], k: int) -> frozenset[str] | None:
        """The types every context around word `k` allows; None when no context types it."""
        c = self.contexts
        sets: list[frozenset[str]] = []
        if k >= 2 and words[k - 1] == "by" and words[k - 2] in c.owned_by:
            sets.append(c.owned_by[words[k - 2]])
        if self._after_page(words, k):  # "page for X", "pager duty for X", "page if X"
            sets.append(c.paged)
        if c.depended and self._after_dependency(words, k):  # "uses for X", "talks to X"
            sets.append(c.depended)
        if c.hit and self._after_incident(words, k):  # "the last outage on X", "incidents at X"
            sets.append(c.hit)
        if k + 1 < len(words) and words[k + 1] in _PEOPLE:
            sets.append(c.people)
        after = words[k + 1 : k + 3]
        if after and (after[0] in _FAILING or (after[0] in {"is", "are"} and len(after) > 1 and after[1] in _FAILING)):
            sets.append(c.failing)
        if self._before_health(words, k):
            sets.append(c.failing)  # "is payments ok?": a component's health, as a failure is a component's
        sets = [s for s in sets if s]
        if not sets:
            return None
        out = sets[0]
        for s in sets[1:]:
            out = out & s
        return out
