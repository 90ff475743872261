"""Entity linking: find the estate nodes a chunk of text names.

Three ways a chunk can name a node, tried in this order:

1. **exact** - the node's id or its `name_property` value;
2. **alias** - one of its `aliases_property` values;
3. **fuzzy** - an n-gram of the chunk that looks like a name and whose
   embedding is close to one of the node's names ("payment svc" →
   paymentservice), when an embedder is given and `fuzzy_threshold` is set.

Exact and alias matching is case-insensitive and works on whole tokens: a
token is a run of word characters that may be joined by hyphens (`redis-cart`,
`payment-service`, `INC-2047` are one token each) and may start with `@`
(chat handles). So "cart" never matches inside "cartservice" or
"redis-cart", `PAYMENT_GATEWAY_URL` names nothing, and `redis-cart` matches
as a unit. Multi-word names match across any whitespace (line breaks too)
but their punctuation must agree ("Orders & Fulfilment"). At each position
the longest surface wins and matches do not overlap, so "payments ledger
database" is one mention of the database, not "payments" plus "ledger".

How false links are kept out:

- **Weak surfaces need evidence.** A one-word, purely alphabetic name or alias
  is *weak* when it is an ordinary word (the `generic_words` stop-list:
  "warehouse", "gateway", ..., plus the schema's type `synonyms`, such as the
  sample web shop's "payments", "cart", "checkout"), a piece of the
  node's own longer name ("ledger" of "Payments ledger database", "Gemini" of
  "Gemini API", a person's first name; a node's own one-word *name* is not a
  short form), or shared by several nodes.
  Ids are never weak. A weak mention links only when the context supports it:
  a word next to it (within `cue_window` tokens) names the node's type
  ("Payments *on call*" → the Team, "the cart *service*" → the Service), or
  the document names the node unambiguously elsewhere (a *strong* mention:
  its id, a multi-word name, a distinctive alias). "The warehouse ships
  orders" in a Kafka runbook that never names the analytics warehouse links
  nothing.
- **Ambiguity rule.** When one surface belongs to several nodes ("Payments"
  is the Payments team's name and an alias of paymentservice), the type cue
  decides; failing that, the candidates the document supports; failing
  that, the casing as written in the estate when it matches exactly one
  candidate (matching ignores case, disambiguation does not: "Payments" is
  the team's name, "payments" an alias of the service); failing that, the
  one for which the surface is its *name* rather than an alias.
  If that still leaves more than one, nothing is linked: a missed link costs
  less than a wrong one, and the same chunk usually names the node another way.
- **Code is not prose.** Inside fenced code blocks and `inline code`, only
  ids and strong identifier-shaped surfaces (several words, hyphens, digits)
  link: `kubectl -n payments` or `-n storefront` name a namespace, not a
  team, while `deploy/paymentservice` does name the service.
- **One token written another way.** A single token no surface matches is
  compared by its compact form (lower case, separators dropped, a trailing
  "service"/"srv" read as "svc" and "database" as "db") with the compact
  forms of the one-token ids, names and aliases: "productcatalog-service",
  "productcatalogsvc" and "email_service" name `productcatalogservice` and
  `emailservice`. A compact form two nodes share names neither.
- **Minimum length.** Names and aliases shorter than `min_surface_len`
  (default 3) characters are ignored, except ids.
- **Fuzzy needs a clear winner.** Only n-grams (up to `max_ngram` tokens)
  made of words that occur in some node name, plus service-ish abbreviations
  ("svc", "db", ...), and not inside code, are candidates, and only names of
  at most `max_ngram` tokens are targets (not ids, which are matched
  exactly, and not long titles, which describe rather than name); an n-gram
  that is itself a known
  surface is left to the rules above (a weak alias cannot sneak back in as a
  fuzzy match). A candidate links when its best node's similarity is at
  least `fuzzy_threshold` and beats the best *other* node by `fuzzy_margin`.
  Spans of strong links are not considered again; a fuzzy match may cover
  a weak link and then replaces it ("the shipping carrier" is the carrier
  API, not the shipping service that "shipping" alone would suggest).

`bench/linking.py` measures precision and recall on labelled runbook
sentences and chose `DEFAULT_FUZZY_THRESHOLD`. Nothing here writes to the
store; `entities_from_store` only reads.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from opsgraph.embed.base import Embedder
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import schema_synonyms, singular, words_of
from opsgraph.store.base import GraphStore

LINKER_VERSION = "1"
"""Bump when the rules change, so stored links are rebuilt (it is part of `fingerprint`)."""

DEFAULT_FUZZY_THRESHOLD: float | None = 0.8
"""Chosen by `bench/linking.py`: see the figures in its docstring."""

Method = Literal["exact", "alias", "fuzzy"]

STRONG_SCORE = 0.9
"""Scores of strong exact/alias links; weak ones (resolved by cue, casing or support) score below."""

TOKEN = re.compile(r"@?\w+(?:-\w+)*")

GENERIC_WORDS = frozenset(
    """
    alert alerts analytics api app cache cluster customer data database db events feed gateway ledger mail notifications
    order orders platform queue rates risk search service site store topic warehouse web website worker
    """.split()
)
"""Ordinary words that estates often use as one-word aliases; as such they are weak (see the module docstring).
An estate adds its own domain words as `synonyms` of its schema's types (`link_settings`)."""

TYPE_CUES: Mapping[str, frozenset[str]] = {
    "team": frozenset({"team", "squad", "on-call", "oncall", "on call", "lead", "manager", "rotation", "owner", "owners"}),
    "service": frozenset({"service", "svc", "pod", "pods", "deployment", "microservice"}),
    "datastore": frozenset({"database", "db", "cache", "redis", "postgres", "postgresql", "replica"}),
    "queue": frozenset({"topic", "queue", "consumer", "consumers", "partition", "partitions"}),
    "incident": frozenset({"incident"}),
    "runbook": frozenset({"runbook"}),
}
"""Words near a mention that suggest a node type, keyed by a lower-case word of the type's name."""

FUZZY_EXTRA_WORDS = frozenset({"svc", "srv", "service", "db", "database", "api", "team", "topic", "queue", "cache", "pg", "server", "worker", "app"})
"""Words allowed in a fuzzy candidate besides those of node names."""

ABBREVIATIONS: Mapping[str, str] = {"svc": "service", "srv": "service", "db": "database", "pg": "postgres", "k8s": "kubernetes"}
"""Expanded before fuzzy phrases and names are embedded: the model does not know that "svc" means service."""

_STOP = frozenset("a an and the of to in on at by for with from or is are be it its this that our your via as into".split())


@dataclass(frozen=True)
class Entity:
    """A node that text may name."""

    id: str
    """The node's stable id."""
    type: str
    """Its node type."""
    name: str | None = None
    """Value of its `name_property`."""
    aliases: tuple[str, ...] = ()
    """Values of its `aliases_property`."""


@dataclass(frozen=True)
class Link:
    """One node named in a text."""

    node_id: str
    """The node's id."""
    node_type: str
    """The node's type."""
    method: Method
    """exact (id or name), alias, or fuzzy (embedding similarity)."""
    score: float
    """Confidence in [0, 1]: 1 for an exact strong match, lower for weak or fuzzy ones (fuzzy: the cosine similarity)."""
    surface: str
    """The text that matched, as written."""
    start: int
    """Offset of the surface in the text."""
    end: int
    """Offset after the surface."""


@dataclass(frozen=True)
class LinkSettings:
    """Tuning of `EntityLinker`; every field is part of the linker's fingerprint."""

    fuzzy_threshold: float | None = DEFAULT_FUZZY_THRESHOLD
    """Minimum cosine similarity of a fuzzy match; None turns fuzzy matching off."""
    fuzzy_margin: float = 0.05
    """How much the best node must beat the runner-up node by."""
    max_ngram: int = 3
    """Longest fuzzy candidate, in tokens."""
    min_surface_len: int = 3
    """Shorter names and aliases are ignored (ids never are)."""
    cue_window: int = 3
    """Tokens on each side of a weak mention searched for a type cue."""
    generic_words: frozenset[str] = GENERIC_WORDS
    """One-word aliases that are ordinary words (weak)."""
    type_cues: Mapping[str, frozenset[str]] = field(default_factory=lambda: dict(TYPE_CUES))
    """Type word → cue words (see `TYPE_CUES`)."""
    weak_alone: bool = False
    """A weak surface only one node has links without a cue or support: for questions, which name things tersely
    ("Which datastores does checkout write to?") and are about the estate; documents keep the stricter rule."""
    not_alone: frozenset[str] = frozenset()
    """Words that never link alone even with `weak_alone`: words of property names ("email" asks for an address, not
    for the email service)."""


def link_settings(schema: GraphSchema | None, **overrides: Any) -> LinkSettings:
    """`LinkSettings` for an estate: `GENERIC_WORDS` plus its schema's type `synonyms` are weak; `overrides` set other fields."""
    return LinkSettings(**{"generic_words": GENERIC_WORDS | schema_synonyms(schema), **overrides})


@dataclass(frozen=True)
class _Token:
    text: str
    """Case-folded."""
    start: int
    end: int


@dataclass(frozen=True)
class _Candidate:
    entity: int
    kind: Literal["id", "name", "alias"]
    weak: bool
    forms: tuple[str, ...] = ()
    """The surface as written in the estate (casing kept), for the casing tie-break."""


@dataclass(frozen=True)
class _Mention:
    first: int
    last: int
    """Token indexes, inclusive."""
    start: int
    end: int
    candidates: tuple[_Candidate, ...]


_CODE = re.compile(r"^[ \t]*(```|~~~).*?(?:^[ \t]*\1[^\n]*$|\Z)|`[^`\n]+`", re.S | re.M)


def code_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of fenced code blocks and inline code spans (an unclosed fence runs to the end)."""
    return [(m.start(), m.end()) for m in _CODE.finditer(text)]


def tokenize(text: str) -> list[_Token]:
    """Tokens with their offsets (see the module docstring for what a token is)."""
    return [_Token(m.group().casefold(), m.start(), m.end()) for m in TOKEN.finditer(text)]


_COMPACT_SUFFIXES = (("service", "svc"), ("srv", "svc"), ("database", "db"))


def compact_form(token: str) -> str:
    """A token without case or separators, its trailing "service"/"srv" as "svc" and "database" as "db":
    "productcatalog-service", "productcatalogsvc" and "ProductCatalogService" have one compact form."""
    c = re.sub(r"[^0-9a-z]", "", token.casefold())
    for long, short in _COMPACT_SUFFIXES:
        if c.endswith(long) and len(c) > len(long):
            return c[: -len(long)] + short
    return c


def _sep(raw: str) -> str:
    s = re.sub(r"\s+", "", raw)
    return s or " "


def _key(text: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    toks = tokenize(text)
    if not toks:
        return None
    seps = tuple(_sep(text[a.end : b.start]) for a, b in itertools.pairwise(toks))
    return tuple(t.text for t in toks), seps


class EntityLinker:
    """Links texts to the `entities` they name. Build once per sync; it keeps no per-call state.

    Args:
        entities: the nodes that may be named.
        embedder: needed for fuzzy matching (names are embedded on first use, then cached).
        settings: see `LinkSettings`. Fuzzy matching runs only with an embedder and a threshold.
    """

    def __init__(self, entities: Iterable[Entity], *, embedder: Embedder | None = None, settings: LinkSettings | None = None) -> None:
        self.entities = list(entities)
        self.embedder = embedder
        self.settings = settings or LinkSettings()
        self._targets: dict[tuple[tuple[str, ...], tuple[str, ...]], list[_Candidate]] = {}
        self._by_first: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = defaultdict(list)
        self._vocab: set[str] = set()
        self._compact: dict[str, tuple[tuple[str, ...], tuple[str, ...]] | None] = {}
        self._fuzzy_texts: list[str] = []
        self._fuzzy_owner: list[int] = []
        self._fuzzy_matrix: np.ndarray | None = None
        self._build()

    # -- index -------------------------------------------------------------------
    def _build(self) -> None:
        s = self.settings
        raw: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[int, Literal["id", "name", "alias"]]] = defaultdict(dict)
        written: dict[tuple[tuple[tuple[str, ...], tuple[str, ...]], int], set[str]] = defaultdict(set)
        rank = {"id": 0, "name": 1, "alias": 2}
        for idx, ent in enumerate(self.entities):
            forms: list[tuple[str, Literal["id", "name", "alias"]]] = [(ent.id, "id")]
            if ent.name:
                forms.append((ent.name, "name"))
            forms.extend((a, "alias") for a in ent.aliases if a)
            for text, kind in forms:
                if kind != "id" and len(text.strip()) < s.min_surface_len:
                    continue
                key = _key(text)
                if key is None:
                    continue
                have = raw[key].get(idx)
                if have is None or rank[kind] < rank[have]:
                    raw[key][idx] = kind
                written[(key, idx)].add(" ".join(text.split()))
                # Fuzzy targets are names people write: not ids (machine keys, matched exactly), and not
                # long titles (runbooks, incidents), which describe rather than name.
                if kind != "id" and len(key[0]) <= s.max_ngram:
                    self._fuzzy_texts.append(text)
                    self._fuzzy_owner.append(idx)
                for tok in key[0]:
                    for part in tok.lstrip("@").split("-"):
                        if len(part) >= 2 and part not in _STOP and not part.isdigit():
                            self._vocab.add(part)
        self._fuzzy_texts = [self._expand(t) for t in self._fuzzy_texts]
        name_parts = self._name_parts()
        for key, owners in raw.items():
            shared = len(owners) > 1
            cands = []
            for idx, kind in owners.items():
                weak = self._is_weak(key, kind, shared, name_parts[idx])
                cands.append(_Candidate(idx, kind, weak, tuple(sorted(written[(key, idx)]))))
            self._targets[key] = cands
            self._by_first[key[0][0]].append(key)
        for keys in self._by_first.values():
            keys.sort(key=lambda k: len(k[0]), reverse=True)
        for key in self._targets:
            if len(key[0]) == 1:
                c = compact_form(key[0][0])
                if len(c) >= 6:
                    # A compact form two keys share ("payment-service" and "paymentservice" of two nodes) names neither.
                    had = self._compact.get(c, key)
                    same = had is not None and {x.entity for x in self._targets[had]} == {x.entity for x in self._targets[key]}
                    self._compact[c] = had if same else None

    def _name_parts(self) -> list[set[str]]:
        """Per entity: the words of its multi-word names and aliases (stemmed)."""
        out = []
        for ent in self.entities:
            parts: set[str] = set()
            for text in (ent.name or "", *ent.aliases):
                toks = tokenize(text)
                if len(toks) > 1:
                    parts.update(singular(t.text) for t in toks)
            out.append(parts)
        return out

    def _is_weak(self, key: tuple[tuple[str, ...], tuple[str, ...]], kind: str, shared: bool, parts: set[str]) -> bool:
        if kind == "id":
            return False
        tokens = key[0]
        if shared:
            return True
        if len(tokens) != 1:
            return False
        word = tokens[0]
        if not word.isalpha():
            return False
        # A node's own one-word name is not a short form of its longer aliases ("Storefront" vs "storefront team").
        return word in self.settings.generic_words or (kind == "alias" and singular(word) in parts)

    def fingerprint(self) -> str:
        """Changes whenever the entities, the rules or the settings change (stored with each document)."""
        s = self.settings
        blob = json.dumps(
            {
                "v": LINKER_VERSION,
                "entities": sorted([e.id, e.type, e.name or "", sorted(e.aliases)] for e in self.entities),
                "settings": {k: (sorted(v) if isinstance(v, frozenset) else v) for k, v in asdict(s).items() if k != "type_cues"},
                "cues": {k: sorted(v) for k, v in sorted(s.type_cues.items())},
                "embedder": self.embedder.name if (self.embedder is not None and s.fuzzy_threshold is not None) else None,
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def fuzzy_enabled(self) -> bool:
        return self.embedder is not None and self.settings.fuzzy_threshold is not None

    # -- exact and alias -----------------------------------------------------------
    def _scan(self, text: str, toks: list[_Token]) -> list[_Mention]:
        out: list[_Mention] = []
        seps = [_sep(text[a.end : b.start]) for a, b in itertools.pairwise(toks)]
        i = 0
        while i < len(toks):
            found = None
            for key in self._by_first.get(toks[i].text, ()):
                k = len(key[0])
                if i + k <= len(toks) and all(toks[i + j].text == key[0][j] for j in range(k)) and tuple(seps[i : i + k - 1]) == key[1]:
                    found = key
                    break
            if found is None:
                found = self._compact.get(compact_form(toks[i].text))
            if found is None:
                i += 1
                continue
            last = i + len(found[0]) - 1
            out.append(_Mention(i, last, toks[i].start, toks[last].end, tuple(self._targets[found])))
            i = last + 1
        return out

    def support(self, document: str) -> frozenset[int]:
        """Entities the document names unambiguously and strongly (evidence for weak mentions)."""
        toks = tokenize(document)
        found = set()
        for m in self._scan(document, toks):
            if len(m.candidates) == 1 and not m.candidates[0].weak:
                found.add(m.candidates[0].entity)
        return frozenset(found)

    def _cued(self, toks: list[_Token], m: _Mention, entity: int) -> bool:
        words_of_type = words_of(self.entities[entity].type)
        cues: set[str] = set(words_of_type)
        for word in words_of_type:
            cues |= self.settings.type_cues.get(word, frozenset())
        w = self.settings.cue_window
        around = [t.text for t in toks[max(0, m.first - w) : m.first]] + [t.text for t in toks[m.last + 1 : m.last + 1 + w]]
        near: set[str] = set(around)
        for t in around:
            near.update(t.split("-"))
        near.update(f"{a} {b}" for a, b in itertools.pairwise(around))
        return bool(cues & near)

    def _resolve(
        self, toks: list[_Token], m: _Mention, support: frozenset[int], in_code: bool = False, written: str = ""
    ) -> tuple[_Candidate, float] | None:
        cands = list(m.candidates)
        if in_code:
            # In code a plain word is some other identifier (a namespace, a label, a key): only ids and
            # identifier-shaped names (hyphens, digits, several words) count there.
            plain = len(m.candidates[0].forms[0].split()) == 1 and m.candidates[0].forms[0].isalpha() if m.candidates[0].forms else False
            cands = [c for c in cands if c.kind == "id" or (not c.weak and not plain)]
            if not cands:
                return None
        if len(cands) == 1:
            c = cands[0]
            if not c.weak:
                return c, (1.0 if c.kind in ("id", "name") else 0.9)
            if self._cued(toks, m, c.entity):
                return c, 0.8
            if c.entity in support:
                return c, 0.7
            if self.settings.weak_alone and c.kind in ("name", "alias") and " ".join(written.lower().split()) not in self.settings.not_alone:
                return c, 0.6
            return None
        cued = [c for c in cands if self._cued(toks, m, c.entity)]
        if len(cued) == 1:
            return cued[0], 0.8
        pool = cued or cands
        # Matching ignores case, but when nodes share a surface its casing tells them apart
        # ("Payments" is the team's name, "payments" an alias of the service).
        same_case = [c for c in pool if " ".join(written.split()) in c.forms]
        if len(same_case) == 1 and (same_case[0].entity in support or not same_case[0].weak or same_case[0].kind == "name"):
            return same_case[0], 0.7
        supported = [c for c in pool if c.entity in support]
        if len(supported) == 1:
            return supported[0], 0.7
        named = [c for c in supported if c.kind in ("id", "name")]
        if len(named) == 1:
            return named[0], 0.6
        return None

    # -- fuzzy ---------------------------------------------------------------------
    def _word_ok(self, word: str) -> bool:
        w = word.lstrip("@")
        parts = w.split("-")
        if len(parts) > 1:
            # One-letter prefixes ("e-mail") carry no meaning of their own.
            return all(self._word_ok(p) for p in parts if len(p) > 1)
        if w in self._vocab or w in FUZZY_EXTRA_WORDS:
            return True
        # Glued forms such as "paymentsvc": a name word followed by a name word or an abbreviation.
        for cut in range(4, len(w) - 1):
            head, tail = w[:cut], w[cut:]
            if head in self._vocab and (tail in FUZZY_EXTRA_WORDS or tail in self._vocab):
                return True
        return False

    def _expand(self, phrase: str) -> str:
        """Words split at hyphens and glued abbreviations ("paymentsvc"), abbreviations spelled out."""
        words = []
        for tok in tokenize(phrase):
            for part in tok.text.lstrip("@").split("-"):
                if part in ABBREVIATIONS or part in self._vocab:
                    words.append(ABBREVIATIONS.get(part, part))
                    continue
                for cut in range(4, len(part) - 1):
                    head, tail = part[:cut], part[cut:]
                    if head in self._vocab and (tail in ABBREVIATIONS or tail in self._vocab):
                        words.extend([head, ABBREVIATIONS.get(tail, tail)])
                        break
                else:
                    words.append(part)
        return " ".join(words)

    def _fuzzy_candidates(self, text: str, toks: list[_Token], taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Token ranges (inclusive) worth embedding: outside linked spans and outside code."""
        blocked: set[int] = set()
        for a, b in taken:
            blocked.update(range(a, b + 1))
        code = code_spans(text)
        if code:
            blocked.update(k for k, t in enumerate(toks) if any(a <= t.start < b for a, b in code))
        out = []
        for i in range(len(toks)):
            for n in range(1, self.settings.max_ngram + 1):
                j = i + n - 1
                if j >= len(toks) or any(k in blocked for k in range(i, j + 1)):
                    break
                if j > i and _sep(text[toks[j - 1].end : toks[j].start]) not in (" ", "&"):
                    break
                words = [t.text for t in toks[i : j + 1]]
                if words[0] in _STOP or words[-1] in _STOP or len(text[toks[i].start : toks[j].end]) < 4:
                    continue
                if not all(self._word_ok(w) for w in words):
                    continue
                # One ordinary word, or nothing but abbreviations, names no particular node.
                if (n == 1 and words[0] in self.settings.generic_words) or all(w in FUZZY_EXTRA_WORDS for w in words):
                    continue
                key = _key(text[toks[i].start : toks[j].end])
                if key is not None and key in self._targets:
                    continue
                out.append((i, j))
        return out

    def _name_matrix(self) -> np.ndarray:
        if self._fuzzy_matrix is None:
            if self.embedder is None:
                raise RuntimeError("fuzzy matching needs an embedder")
            self._fuzzy_matrix = self.embedder.embed(self._fuzzy_texts)
        return self._fuzzy_matrix

    def _fuzzy(self, items: list[tuple[str, list[_Token], list[tuple[int, int]]]]) -> list[list[Link]]:
        """Fuzzy links for several texts at once (one embedding call for all their candidates)."""
        s = self.settings
        per_text = [self._fuzzy_candidates(text, toks, taken) for text, toks, taken in items]
        phrases = sorted({items[k][0][items[k][1][i].start : items[k][1][j].end] for k, cands in enumerate(per_text) for i, j in cands})
        if not phrases:
            return [[] for _ in items]
        if self.embedder is None or s.fuzzy_threshold is None:
            raise RuntimeError("fuzzy matching needs an embedder and a threshold")
        names = self._name_matrix()
        sims = self.embedder.embed([self._expand(p) for p in phrases]) @ names.T
        owners = np.asarray(self._fuzzy_owner)
        best_of: dict[str, tuple[int, float, float]] = {}
        for p, row in zip(phrases, sims, strict=True):
            per_entity = np.full(len(self.entities), -1.0, dtype=np.float32)
            np.maximum.at(per_entity, owners, row)
            order = np.argsort(-per_entity)
            best = int(order[0])
            second = float(per_entity[order[1]]) if len(order) > 1 else -1.0
            best_of[p] = (best, float(per_entity[best]), second)
        out: list[list[Link]] = []
        for (text, toks, _), cands in zip(items, per_text, strict=True):
            proposals = []
            for i, j in cands:
                surface = text[toks[i].start : toks[j].end]
                ent, score, second = best_of[surface]
                if score >= s.fuzzy_threshold and score - second >= s.fuzzy_margin:
                    proposals.append((score, i, j, ent, surface))
            proposals.sort(key=lambda p: (-p[0], p[1]))
            used: set[int] = set()
            links = []
            for score, i, j, ent, surface in proposals:
                if used & set(range(i, j + 1)):
                    continue
                used.update(range(i, j + 1))
                e = self.entities[ent]
                links.append(Link(e.id, e.type, "fuzzy", round(score, 4), surface, toks[i].start, toks[j].end))
            out.append(links)
        return out

    # -- public --------------------------------------------------------------------
    def link_many(self, texts: Sequence[str], *, document: str | None = None) -> list[list[Link]]:
        """Links of each text, one per node (its best mention), in order of first appearance.

        `document` is the text weak mentions may find support in (usually the whole
        document the texts were cut from); by default each text supports itself.
        """
        shared_support = self.support(document) if document is not None else None
        exact: list[list[tuple[_Mention, _Candidate, float]]] = []
        items: list[tuple[str, list[_Token], list[tuple[int, int]]]] = []
        for text in texts:
            toks = tokenize(text)
            support = shared_support if shared_support is not None else self.support(text)
            found = []
            code = code_spans(text)
            for m in self._scan(text, toks):
                in_code = any(a <= m.start and m.end <= b for a, b in code)
                resolved = self._resolve(toks, m, support, in_code, text[m.start : m.end])
                if resolved is not None:
                    found.append((m, *resolved))
            exact.append(found)
            # Fuzzy candidates may cover weak links (a longer, more specific name), never strong ones.
            items.append((text, toks, [(m.first, m.last) for m, _, score in found if score >= STRONG_SCORE]))
        fuzzy = self._fuzzy(items) if self.fuzzy_enabled else [[] for _ in texts]
        out = []
        for text, found, extra in zip(texts, exact, fuzzy, strict=True):
            links = [
                Link(
                    self.entities[c.entity].id,
                    self.entities[c.entity].type,
                    "exact" if c.kind in ("id", "name") else "alias",
                    score,
                    text[m.start : m.end],
                    m.start,
                    m.end,
                )
                for m, c, score in found
            ]
            # A fuzzy match over a longer span replaces the weak links inside it.
            links = [x for x in links if x.score >= STRONG_SCORE or not any(f.start <= x.start and x.end <= f.end for f in extra)]
            out.append(_best_per_node(links + extra))
        return out

    def link(self, text: str, *, document: str | None = None) -> list[Link]:
        """Links of one text (see `link_many`)."""
        return self.link_many([text], document=document)[0]


def _best_per_node(links: list[Link]) -> list[Link]:
    best: dict[str, Link] = {}
    for link in sorted(links, key=lambda x: x.start):
        have = best.get(link.node_id)
        if have is None or link.score > have.score:
            best[link.node_id] = link
    return sorted(best.values(), key=lambda x: x.start)


# -- entities ---------------------------------------------------------------------

def _aliases(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if v is not None and str(v).strip())


def entities_from_rows(schema: GraphSchema, nodes: Mapping[str, Iterable[Mapping[str, Any]]], *, exclude: Iterable[str] = ()) -> list[Entity]:
    """Entities from node rows grouped by type (e.g. `EstatePlan.nodes`), using each type's name/aliases properties."""
    skip = set(exclude)
    out = []
    for type_name, rows in nodes.items():
        spec = schema.nodes.get(type_name)
        if spec is None or type_name in skip:
            continue
        # A name property that is also the id column is stored as `id`.
        name_key = "id" if spec.name_property == spec.id_property else spec.name_property
        for row in rows:
            name = row.get(name_key) if name_key else None
            aliases = row.get(spec.aliases_property) if spec.aliases_property else None
            out.append(Entity(str(row["id"]), type_name, str(name) if name else None, _aliases(aliases)))
    return out


def entities_from_store(store: GraphStore, schema: GraphSchema, *, exclude: Iterable[str] = ()) -> list[Entity]:
    """Entities of every node type of `schema` (but `exclude`) as stored now: one read query per type."""
    nodes: dict[str, list[dict[str, Any]]] = {}
    skip = set(exclude)
    for type_name, spec in schema.nodes.items():
        if type_name in skip:
            continue
        # Type and property names come from a validated schema (plain identifiers); they cannot be parameters.
        cols = ["n.id AS id"]
        if spec.name_property and spec.name_property not in ("id", spec.id_property):
            cols.append(f"n.{spec.name_property} AS {spec.name_property}")
        if spec.aliases_property:
            cols.append(f"n.{spec.aliases_property} AS {spec.aliases_property}")
        result = store.query(f"MATCH (n:{type_name}) RETURN {', '.join(cols)}", limit=10_000_000)
        nodes[type_name] = result.rows
    return entities_from_rows(schema, nodes)
