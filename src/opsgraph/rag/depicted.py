"""A component named by what it does ("the thing that sends the order emails"), linked when one description fits.

New users don't know the estate's names: "who owns the service that quotes shipping costs?", "what depends on the
db that holds the placed orders?". The linker matches names and aliases only, so such a question links nothing and
abstains. `DepictedLinker` wraps the linker and adds one rule over the nodes' own descriptions (the string properties
the schema marks `embed: true`) and names:

- a phrase starts after "the"/"a"/"an": "service that quotes shipping costs"; a link inside it must name the node
  it fits (or be an alias of another type than the one the phrase names), and none may straddle its ends;
- it has a connector after its head ("that", "which", "where", "of", "for", "with", "we") and a content word after
  that: a bare noun phrase ("a load balancer failure") is a name, not a description;
- its words are function words, words of one node type (the schema's type words: "service", "db", "topic", which
  then restrict the candidates to that type) or a generic head ("thing", "one", "component"), or content words;
- candidates are the nodes of the types the schema's dependency relations join (the components), or of the one
  type the phrase names; a node fits when every content word is a word (stem) of its description, name or aliases
  and at least two of them are words of its description;
- the longest such phrase from a start decides: it is linked only when exactly one node fits (a phrase two
  descriptions fit names neither: "the service that publishes events"); a word no description holds ("sends SMS
  notifications") leaves the phrase shorter than two content words, so nothing links;
- the whole phrase is the link's surface, so its words count as explained; words after it stay for the rest of
  the pipeline to explain ("... written in").

Schema-generic: the types, type words and descriptions come from the schema and the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from opsgraph.rag.lexicon import FILLER
from opsgraph.retrieve.base import EntityLinker
from opsgraph.schema import GraphSchema, PropertyType
from opsgraph.schema.words import type_words, words_of

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_DETERMINERS = frozenset({"the", "a", "an"})
_GENERIC = frozenset({"thing", "things", "one", "component", "components", "bit", "piece", "stuff", "part", "system"})
_FUNCTION = frozenset(
    "about into onto per via where when while whose then so just also only one ones which that who we you they our your their".split()
)
_MAX_WORDS = 14
_MIN_DESCRIBED = 2
_CONNECTORS = frozenset({"that", "which", "where", "who", "whose", "of", "for", "with", "we"})
"""Words that open what the head does or holds: "the service *that* quotes ...", "the topic *of* orders flagged ...".
A bare noun phrase ("a load balancer failure") is a name, not a description: its words may be a description's
mention of something else ("behind the external HTTPS load balancer")."""


@dataclass(frozen=True)
class DepictedLink:
    """A node named by a phrase its description fits (fits `LinkedEntity`)."""

    node_id: str
    node_type: str
    surface: str
    start: int
    end: int
    score: float = 0.75
    method: str = "description"


@dataclass(frozen=True)
class Described:
    """One node's word stems: those of its description, and those of its name and aliases."""

    node_id: str
    node_type: str
    described: frozenset[str]
    named: frozenset[str]


def _forms(word: str) -> set[str]:
    """A word and its forms without an inflection ("holds"/"holding" → hold, "used" → use, "currencies" → currency).

    Narrower than `lexicon.stem` on purpose: "worker" and "working" must not meet."""
    w = word.lower()
    out = {w}
    if len(w) > 4 and w.endswith("ies"):
        out.add(w[:-3] + "y")
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        out.add(w[:-1])
        if w.endswith("es"):
            out.add(w[:-2])
    for suffix in ("ed", "ing"):
        if len(w) - len(suffix) >= 3 and w.endswith(suffix):
            base = w[: -len(suffix)]
            out.update({base, base + "e"})
            if len(base) > 3 and base[-1] == base[-2]:
                out.add(base[:-1])  # "flagged" → flag
    return out


def _stems(text: str) -> set[str]:
    """Forms of `text`'s words; a hyphenated word gives its parts and the joined form ("e-mails": e, mails, emails)."""
    out: set[str] = set()
    for m in _TOKEN.finditer(text or ""):
        word = m.group(0).lower()
        parts = word.split("-")
        for p in parts:
            if p:
                out |= _forms(p)
        if len(parts) > 1:
            out |= _forms("".join(parts))
    return out


def description_properties(schema: GraphSchema, node_type: str) -> list[str]:
    """The string properties of `node_type` the schema marks for embedding (its descriptions)."""
    spec = schema.nodes.get(node_type)
    if spec is None:
        return []
    return [p for p, s in spec.properties.items() if s.embed and s.type is PropertyType.STRING]


def component_types(schema: GraphSchema) -> frozenset[str]:
    """Node types the schema's dependency relations join (the components a generic "thing" may be)."""
    out: set[str] = set()
    for name in schema.dependency_edges():
        edge = schema.edges[name]
        out.update(edge.from_types)
        out.update(edge.to_types)
    return frozenset(out)


def described_nodes(rows: Iterable[tuple[str, str, Sequence[str], Sequence[str]]]) -> list[Described]:
    """`rows`: (node id, node type, its description texts, its name and aliases)."""
    out = []
    for node_id, node_type, texts, names in rows:
        described = set().union(*(_stems(t) for t in texts)) if texts else set()
        named = set().union(*(_stems(n) for n in names)) if names else set()
        named |= _stems(node_id)
        if described:
            out.append(Described(node_id, node_type, frozenset(described), frozenset(named)))
    return out


def _word_types(schema: GraphSchema) -> dict[str, str]:
    """Word → node type: the schema's type words, and each word of a type's name only one type has ("external")."""
    out = {w: t for w, t in type_words(schema).items() if " " not in w}
    seen: dict[str, set[str]] = {}
    for name in schema.nodes:
        for w in words_of(name):
            seen.setdefault(w, set()).add(name)
    for w, types in seen.items():
        if len(types) == 1:
            out.setdefault(w, next(iter(types)))
    return out


class DepictedLinker:
    """`base`'s links, plus a component named by a phrase exactly one description fits (see the module docstring)."""

    def __init__(self, base: EntityLinker, nodes: Iterable[Described], schema: GraphSchema) -> None:
        self.base = base
        self.components = component_types(schema)
        self.word_types = _word_types(schema)
        self.nodes = [n for n in nodes if n.node_type in self.components]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def link(self, text: str, **kwargs: Any) -> list[Any]:
        links = list(self.base.link(text, **kwargs))
        toks = list(_TOKEN.finditer(text))
        added: list[DepictedLink] = []
        k = 0
        while k < len(toks):
            if toks[k].group(0).lower() not in _DETERMINERS:
                k += 1
                continue
            found = self._phrase(text, toks, k + 1, links)
            if found is None:
                k += 1
                continue
            # Links inside the phrase name the same node ("shipping" in "the service that quotes shipping costs"), or
            # are aliases of a type the phrase rules out: the phrase replaces them, so all its words are explained.
            links = [x for x in links if not (found.start <= x.start and x.start + len(x.surface) <= found.end)]
            added.append(found)
            k = next((j for j, t in enumerate(toks) if t.start() >= found.end), len(toks))
        if not added:
            return links
        return sorted([*links, *added], key=lambda x: x.start)

    def fits(self, words: Sequence[str]) -> list[Described] | None:
        """The nodes a phrase's words fit; None when the words are no description (a type of no component, too few)."""
        return self._fits(words)[1]

    def _fits(self, words: Sequence[str]) -> tuple[str | None, list[Described] | None]:
        """The type the phrase names (None when none) and the nodes its words fit (see `fits`)."""
        wanted: str | None = None
        content: list[set[str]] = []
        head = True  # before the connector ("that", "of", ...); a phrase with no described words after one is a name
        after = 0
        for k, word in enumerate(words):
            w = word.lower()
            if k > 0 and w in _CONNECTORS:
                head = False
            if w in FILLER or w in _FUNCTION or w in _GENERIC or w in _DETERMINERS:
                continue
            t = self.word_types.get(w)
            if t is not None:
                if wanted is not None and wanted != t:
                    return None, None
                wanted = t
                continue
            content.append(_stems(w))
            after += not head
        if len(content) < _MIN_DESCRIBED or not after or (wanted is not None and wanted not in self.components):
            return wanted, None
        out = []
        for node in self.nodes:
            if wanted is not None and node.node_type != wanted:
                continue
            known = node.described | node.named
            if not all(self._has(forms, known) for forms in content):
                continue
            if sum(self._has(forms, node.described) for forms in content) < _MIN_DESCRIBED:
                continue
            out.append(node)
        return wanted, out

    @staticmethod
    def _has(forms: set[str], known: frozenset[str]) -> bool:
        return bool(forms & known)

    def _phrase(self, text: str, toks: Sequence[re.Match[str]], start: int, links: Sequence[Any]) -> DepictedLink | None:
        """The longest phrase from token `start` that some description fits, linked when exactly one node fits and
        every link inside the phrase names that node (none may straddle its ends)."""
        words = [t.group(0) for t in toks[start : start + _MAX_WORDS]]
        for end in range(len(words), 0, -1):
            tail = words[end - 1].lower()
            if tail in FILLER or tail in _FUNCTION or tail in _DETERMINERS:
                continue
            wanted, fits = self._fits(words[:end])
            if not fits:
                continue
            if len(fits) != 1:
                return None  # two descriptions fit the longest phrase: it names neither
            node = fits[0]
            a, b = toks[start].start(), toks[start + end - 1].end()
            for x in links:
                xa, xb = x.start, x.start + len(x.surface)
                if not (xa < b and a < xb) or (x.node_id == node.node_id and a <= xa and xb <= b):
                    continue
                if wanted is not None and x.node_type != wanted and a <= xa and xb <= b and getattr(x, "method", "") == "alias":
                    continue  # an alias of another type inside a phrase that names its type ("the topic of payment ...")
                return None  # the phrase crosses a name of another node, or only part of one
            if any(x.node_id == node.node_id and (x.start + len(x.surface) <= a or x.start >= b) for x in links):
                return None  # the node is named elsewhere already
            return DepictedLink(node.node_id, node.node_type, text[a:b], a, b)
        return None


def described_from_store(store: Any, schema: GraphSchema, named: Iterable[tuple[str, str, Sequence[str]]]) -> list[Described]:
    """The components' description stems as stored now (one read per type); `named`: (id, type, name and aliases)."""
    names = {(node_id, node_type): list(n) for node_id, node_type, n in named}
    rows: list[tuple[str, str, Sequence[str], Sequence[str]]] = []
    for node_type in sorted(component_types(schema)):
        props = description_properties(schema, node_type)
        if not props:
            continue
        # Type and property names come from a validated schema (plain identifiers); they cannot be parameters.
        cols = ", ".join(f"n.{p} AS d{i}" for i, p in enumerate(props))
        for r in store.query(f"MATCH (n:{node_type}) RETURN n.id AS id, {cols}", limit=1_000_000).rows:
            texts = [str(r[f"d{i}"]) for i in range(len(props)) if r.get(f"d{i}")]
            rows.append((str(r["id"]), node_type, texts, [x for x in names.get((str(r["id"]), node_type), []) if x]))
    return described_nodes(rows)
