"""A light typo of a name: "who owns chekout?", "the shiping service", "on call for the frontned".

The linker matches names and aliases exactly (and, with an embedder, phrases
made of words that occur in names), so a misspelt name links nothing and the
question abstains on the unknown word. `SpelledLinker` wraps the linker and
adds one rule over the estate's own words:

- a word of the question that no part of the estate or its schema uses (not a
  word of a name, alias, id, type, property, description or synonym, nor an
  inflection of one, nor a function word), of at least `MIN_LETTERS` letters;
- one edit away (a letter added, dropped, changed, or two neighbours swapped)
  from words of the names, aliases or ids of the nodes, with the same first
  letter and, unless two neighbours are swapped, the same last two letters (most
  English words one edit from a name differ there: "victor", "recommended",
  "acquired"), and not an English doubled-consonant form ("slipping");
- the question is linked again with the word spelt as the estate spells it;
  the link is kept only when it covers the corrected word, with the word as
  written as part of its surface (so the question's words stay explained by it).

A word one edit from two name words that lead to different nodes names neither
("paymens": the payments team or the payment service?): nothing is linked, and
`misspelt(text)` says which nodes it could be, for the abstention to name them.
Short words are left alone: "card" is one letter from "cart", and English has
many such pairs among short words; so are people's names ("Marius" is no typo of
"Marcus": names a letter apart are other people's).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from opsgraph.rag.lexicon import FILLER, build_lexicon, inflections, stem
from opsgraph.rag.shape import person_type, type_words
from opsgraph.retrieve.base import EntityLinker
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import TYPE_SYNONYMS
from opsgraph.store.base import GraphStore

_TOKEN = re.compile(r"[A-Za-z0-9]+")
_ALPHA = re.compile(r"[a-z]+")
MIN_LETTERS = 6
_NAME_WORDS = 3
_ENGLISH_ENDING = re.compile(r"[aeiou]([bdgklmnprt])\1(?:ing|ed|er|est)$")
"""A doubled consonant before an English ending ("slipping", "skipped"): a word of its own, not a typo."""
"""Shortest word read as a typo: below this, one edit turns many English words into a name word ("card", "cart")."""


@dataclass(frozen=True)
class SpeltLink:
    """A link found in the question as corrected, placed on the question as written (fits `LinkedEntity`)."""

    node_id: str
    node_type: str
    surface: str
    start: int
    end: int
    score: float
    method: str


@dataclass(frozen=True)
class Misspelt:
    """A word of the question that is one edit from the names of several nodes: which it could be is not guessed."""

    word: str
    candidates: tuple[str, ...]
    """Node ids, sorted."""


def one_edit(a: str, b: str) -> bool:
    """True when `a` and `b` differ by exactly one inserted, deleted or changed letter, or two swapped neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def typo_of(word: str, name: str) -> bool:
    """Whether `word` may be a typo of `name`: one edit away, the same first letter, and the same last two letters unless
    two neighbours are swapped ("frontned"). Other words one edit from a name are mostly English words of their own:
    "victor"/"vector", "recommended"/"recommender", "acquired"/"acquirer", "fronted"/"frontend"."""
    if not one_edit(word, name) or word[0] != name[0]:
        return False
    swapped = len(word) == len(name) and sorted(word) == sorted(name)
    return swapped or word[-2:] == name[-2:]


def schema_words(schema: GraphSchema) -> set[str]:
    """Every word the schema uses: type and property names, descriptions, synonyms, values' declared words."""
    texts: list[str] = [schema.description or "", schema.name or ""]
    for holder in [*schema.nodes.items(), *schema.edges.items()]:
        name, spec = holder
        texts += [name.replace("_", " "), *(type_words(name) if name in schema.nodes else []), spec.description or ""]
        texts += [str(s) for s in getattr(spec, "synonyms", None) or []]
        for prop, p in spec.properties.items():
            texts += [prop.replace("_", " "), p.description or "", *(str(s) for s in p.synonyms or ())]
            for value, words in p.value_synonyms.items():
                texts += [value, *words]
    texts += [w for words in TYPE_SYNONYMS.values() for w in words]
    return {w.lower() for t in texts for w in _TOKEN.findall(t)}


class SpelledLinker:
    """`base`'s links, plus names written one letter off (see the module docstring)."""

    def __init__(self, base: EntityLinker, named: Iterable[tuple[str, str, Sequence[str]]], schema: GraphSchema, known: Iterable[str] = ()) -> None:
        """`named`: (node id, node type, its name and aliases) of the nodes a question may name; `known`: further words
        the estate uses (its descriptions and values), which are never read as typos."""
        self.base = base
        self._names: dict[str, set[str]] = {}  # name word -> node ids
        person = person_type(schema)
        for node_id, node_type, names in named:
            if node_type == person:
                continue  # "Marius" is not a typo of "Marcus": people's names differ by a letter and are other people
            # Words of names and aliases of a few words, and a one-word id: a long title describes rather than names.
            words = [w for text in names if len(_TOKEN.findall(text or "")) <= _NAME_WORDS for w in _ALPHA.findall((text or "").lower())]
            if node_id.isalpha():
                words.append(node_id.lower())
            for w in words:
                if len(w) >= MIN_LETTERS:
                    self._names.setdefault(w, set()).add(node_id)
        lexicon = build_lexicon(schema)
        self._known = set(FILLER) | schema_words(schema) | {w.lower() for w in known} | set(self._names)
        self._known |= {w for text in (str(n) for _, _, ns in named for n in ns) for w in _ALPHA.findall(text.lower())}
        self._stems = set(lexicon.edges) | set(lexicon.props)
        self._by_length: dict[int, list[str]] = {}
        for w in self._names:
            self._by_length.setdefault(len(w), []).append(w)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def _unknown(self, word: str) -> bool:
        w = word.lower()
        if len(w) < MIN_LETTERS or not w.isalpha() or w in self._known or stem(w) in self._stems:
            return False
        return not any(x in self._known for x in inflections(w) if len(x) >= MIN_LETTERS)

    def _corrections(self, word: str) -> list[str]:
        """Name words one edit from `word` that it may be a typo of (`typo_of`)."""
        w = word.lower()
        if _ENGLISH_ENDING.search(w):
            return []  # "slipping", "skipped": an English word's doubled consonant, not a slip of the keys
        near = [c for n in (len(w) - 1, len(w), len(w) + 1) for c in self._by_length.get(n, ()) if typo_of(w, c)]
        return sorted(near)

    def _read(self, text: str) -> tuple[dict[int, str], list[Misspelt]]:
        """Token index → the one name word it is a typo of; and the words that could be several nodes' names."""
        fixes: dict[int, str] = {}
        unclear: list[Misspelt] = []
        for k, m in enumerate(_TOKEN.finditer(text)):
            if not self._unknown(m.group(0)):
                continue
            near = self._corrections(m.group(0))
            nodes = {n for c in near for n in self._names[c]}
            if len(near) == 1 or (near and len(nodes) == 1):
                fixes[k] = near[0]
            elif near:
                unclear.append(Misspelt(m.group(0), tuple(sorted(nodes))))
        return fixes, unclear

    def misspelt(self, text: str) -> list[Misspelt]:
        """Words of `text` one edit from the names of several nodes: the abstention names the candidates."""
        return self._read(text)[1]

    def link(self, text: str, **kwargs: Any) -> list[Any]:
        fixes, _ = self._read(text)
        if not fixes:
            return list(self.base.link(text, **kwargs))
        toks = list(_TOKEN.finditer(text))
        while fixes:
            corrected, spans = _corrected(text, toks, fixes)
            links = list(self.base.link(corrected, **kwargs))
            uncovered = [k for k, (_, _, s, e) in spans.items() if not any(x.start <= s and e <= x.start + len(x.surface) for x in links)]
            if not uncovered:
                return [_placed(x, text, spans) for x in links]
            fixes = {k: v for k, v in fixes.items() if k not in uncovered}
        return list(self.base.link(text, **kwargs))


def estate_words(store: GraphStore, schema: GraphSchema, limit: int = 5000) -> set[str]:
    """Words of the estate's string values (descriptions, titles, roles...): words it uses are never read as typos."""
    found: set[str] = set()
    for name, spec in schema.nodes.items():
        props = [p for p, ps in spec.properties.items() if ps.type.value in ("string", "string_list") and p != "id"]
        if not props:
            continue
        try:
            rows = store.query(f"MATCH (n:{name}) RETURN " + ", ".join(f"n.{p} AS {p}" for p in props), limit=limit).rows
        except Exception:  # a declared type not created yet holds no values
            continue
        for r in rows:
            for v in r.values():
                for text in v if isinstance(v, list) else [v]:
                    if isinstance(text, str):
                        found.update(w.lower() for w in _ALPHA.findall(text.lower()))
    return found


def misspelt(linker: Any, text: str) -> list[Misspelt]:
    """The words of `text` that `linker` (a `SpelledLinker`, or one wrapping none) reads as a typo of several nodes' names."""
    found = getattr(linker, "misspelt", None)
    return list(found(text)) if callable(found) else []


def _corrected(text: str, toks: Sequence[re.Match[str]], fixes: dict[int, str]) -> tuple[str, dict[int, tuple[int, int, int, int]]]:
    """`text` with the fixed tokens spelt right; token index → (start, end as written, start, end as corrected)."""
    out: list[str] = []
    spans: dict[int, tuple[int, int, int, int]] = {}
    pos = 0
    length = 0
    for k, m in enumerate(toks):
        if k not in fixes:
            continue
        out.append(text[pos : m.start()])
        length += m.start() - pos
        spans[k] = (m.start(), m.end(), length, length + len(fixes[k]))
        out.append(fixes[k])
        length += len(fixes[k])
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), spans


def _placed(link: Any, text: str, spans: dict[int, tuple[int, int, int, int]]) -> Any:
    """`link`, found in the corrected text, with its offsets and surface in `text` as written."""
    end = link.start + len(link.surface)

    def back(pos: int, at_end: bool) -> int:
        shift = 0
        for s0, e0, s1, e1 in spans.values():
            if s1 <= pos < e1 or (at_end and s1 < pos <= e1):
                return e0 if at_end else s0
            if pos >= e1:
                shift = e0 - e1
        return pos + shift

    touched = any(link.start < e1 and s1 < end for _, _, s1, e1 in spans.values())
    if not touched and not spans:
        return link
    start, stop = back(link.start, False), back(end, True)
    method = "spelling" if touched else str(getattr(link, "method", ""))
    score = float(getattr(link, "score", 1.0)) * (0.9 if touched else 1.0)
    return SpeltLink(link.node_id, link.node_type, text[start:stop], start, stop, score, method)
