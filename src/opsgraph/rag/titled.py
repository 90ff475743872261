"""A node named by words of its title and its type word: "the ledger disk full incident", "the Gemini quota incident".

People name an incident (or any node whose display name is a long title) by a
few words of that title followed by the type's word, not by its id. The
linker matches whole names and aliases only, so "the redis-cart maxmemory
incident" links the datastore redis-cart and leaves the incident unnamed.
`TitledLinker` wraps the linker and adds one rule over the estate's own names:

- a singular type word ("incident") preceded by a run of words that all occur
  in the display name of exactly one node of that type (function words inside
  the run too: "frontend 502s during a rolling deploy incident");
- at least two words of the run, and one content word of it that no other link
  covers ("the Gemini quota incident": 'quota'; "the payment gateway incident"
  is the gateway, not a title);
- the node is linked with the run and the type word as its surface; the links
  inside that surface (the "redis-cart" of the title) are dropped.

A plural ("the redis-cart incidents") names several nodes, so no title; words
shared by the titles of two nodes name neither.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from opsgraph.rag.lexicon import FILLER, stem
from opsgraph.rag.shape import type_words
from opsgraph.retrieve.base import EntityLinker, LinkedEntity

_TOKEN = re.compile(r"[A-Za-z0-9]+")
_MIN_RUN = 2


@dataclass(frozen=True)
class TitleLink:
    """A node named by words of its title (fits `LinkedEntity`)."""

    node_id: str
    node_type: str
    surface: str
    start: int
    end: int
    score: float = 0.9
    method: str = "title"


def _norm(word: str) -> str:
    return stem(word.lower())


class TitledLinker:
    """`base`'s links, plus nodes named by words of their title and their type word (see the module docstring)."""

    def __init__(self, base: EntityLinker, named: Iterable[tuple[str, str, str | None]]) -> None:
        """`named`: (node id, node type, display name) of the nodes a question may name."""
        self.base = base
        self._titles: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for node_id, node_type, name in named:
            words = frozenset(_norm(w) for w in _TOKEN.findall(name or ""))
            if len(words) > _MIN_RUN:
                self._titles.setdefault(node_type, []).append((node_id, words))
        self._type_words: dict[str, list[str]] = {}
        for t in self._titles:
            for tw in type_words(t):
                if " " not in tw:
                    self._type_words.setdefault(_norm(tw), []).append(t)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def link(self, text: str, **kwargs: Any) -> list[Any]:
        links = list(self.base.link(text, **kwargs))
        titled = title_links(text, self._titles, self._type_words, links)
        if not titled:
            return links
        kept = [x for x in links if not any(t.start <= x.start and x.start + len(x.surface) <= t.end and x.node_id != t.node_id for t in titled)]
        kept = [x for x in kept if x.node_id not in {t.node_id for t in titled}]
        return sorted([*kept, *titled], key=lambda x: x.start)


def title_links(
    text: str,
    titles: dict[str, list[tuple[str, frozenset[str]]]],
    type_words_: dict[str, list[str]],
    links: Sequence[LinkedEntity] = (),
) -> list[TitleLink]:
    """Nodes `text` names by words of their title followed by their (singular) type word."""
    toks = list(_TOKEN.finditer(text))
    covered = [(x.start, x.start + len(x.surface)) for x in links]
    out: list[TitleLink] = []
    for k, m in enumerate(toks):
        word = m.group(0).lower()
        if word.endswith("s") and _norm(word) != word:
            continue  # a plural ("incidents") names several nodes
        for node_type in type_words_.get(_norm(word), []):
            found = _titled(toks, k, titles[node_type], covered, links)
            if found is not None:
                start, end = toks[found[1]].start(), m.end()
                out.append(TitleLink(found[0], node_type, text[start:end], start, end))
    return out


def _titled(
    toks: Sequence[re.Match[str]], k: int, titles: Sequence[tuple[str, frozenset[str]]], covered: Sequence[tuple[int, int]], links: Sequence[LinkedEntity]
) -> tuple[str, int] | None:
    """(node id, index of the run's first token) of the one node whose title holds the words before token `k`."""
    candidates = list(titles)
    j = k
    while j > 0:
        w = _norm(toks[j - 1].group(0))
        narrowed = [c for c in candidates if w in c[1]]
        if not narrowed:
            break
        candidates, j = narrowed, j - 1
    while j < k and toks[j].group(0).lower() in FILLER:
        j += 1  # "the", "by the": not words of the title named
    run = toks[j:k]
    if len(run) < _MIN_RUN:
        return None
    # Candidates were narrowed from the type word back; leading function words dropped may leave more than one.
    words = {_norm(t.group(0)) for t in run}
    fits = [c for c in titles if words <= c[1]]
    own = [t for t in run if t.group(0).lower() not in FILLER and not any(a <= t.start() < b for a, b in covered)]
    if len(fits) != 1 or not own or any(x.node_id == fits[0][0] for x in links):
        return None
    return fits[0][0], j
