"""A node found by a value people type the way they say it: "the SRE manager", "based in New York", "on postgres".

`Answerer.value_index` reads one-word values of indexed string properties
(`critical`, `Python`), so a value of several words ("Engineering Manager",
"New York", "Google Cloud"), a value of a property not indexed (a person's
`location`), or a short form of a value ("postgres" for `postgresql`, "node"
for `Node.js`) is an unexplained word and the question abstains (or, for
"node", is read as a word for any node: "which services are written in node?"
listed every service). `ValuePhrases` reads such values from the store once
and finds them in a question:

- a value of several words (or one word, for a property that is not indexed)
  written as the estate writes it, case aside, a plural "s" allowed at its end
  ("the senior SREs"); its separators must agree ("orders on-call" is not the
  schedule 'orders-oncall');
- a word that is the start of a one-word value of an indexed property, one or
  two characters short ("postgres" → 'postgresql', "node" → 'Node.js'), four
  letters or more, not a function word; a word for any node ("node") only when
  the question also names a type ("which services ... node").

Values of names, aliases, ids, free text (full-text or embedded), e-mail
addresses and URLs are never read. `phrased` turns the question into one the
composer reads: each phrase becomes a placeholder word of the same length
(offsets, so the entities linked, stay put) that the value index maps to the
values it names; "works out of X" is read as "based in X" (a word a schema may
declare for a location). The composed query must then explain every word as
always: a phrase is explained only when the query filters on its value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from opsgraph.rag.compose import Anchor, ValueHit
from opsgraph.rag.lexicon import FILLER, stem, type_forms
from opsgraph.rag.shape import PERSON_HINTS, QuestionShape
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import plural
from opsgraph.store.base import GraphStore

_WORD = re.compile(r"[A-Za-z0-9]+")
_NOT_A_VALUE = re.compile(r"@|://|^#|\n")
_MAX_WORDS = 4
_MIN_PREFIX = 4
_MAX_SHORT_BY = 2
_ANY_NODE = frozenset("node nodes component components thing things item items entity entities".split())
_IDIOMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:works?|working|worked|sits?|sitting)\s+(?:out\s+of|from)\b", re.I), "based in"),
    (re.compile(r"\bbased\s+out\s+of\b", re.I), "based in"),
)
"""Everyday ways to say where someone is ("works out of London"), read as "based in"."""


_STATE_BEFORE = re.compile(r"\b(written|deployed|hosted|running|runs|run|lives?|sits?)\s+(?:in|on|at|with)\s+(?:the\s+|our\s+)?$", re.I)
"""A verb that ties nodes to the value right after it ("deployed in the payments namespace", "written in node")."""
_STATE_VALUE = re.compile(r"\b(?:written|deployed|hosted|running|runs|run|lives?|sits?)\s+(?:in|on|at|with)\s+(?:the\s+|our\s+)?([A-Za-z0-9][\w.+#-]*)", re.I)


@dataclass(frozen=True)
class Phrase:
    """A value the question names: where (character offsets) and which values of which properties it may be."""

    start: int
    end: int
    text: str
    hits: tuple[ValueHit, ...]


@dataclass(frozen=True)
class Phrased:
    """The question with its value phrases as placeholders, and the value index extended by them."""

    question: str
    values: dict[str, list[ValueHit]]
    phrases: tuple[Phrase, ...]


@dataclass(frozen=True)
class PhrasedLinks:
    """`Phrased` as the answerer composes it: the question, the value index, and the links (and anchors) left."""

    question: str
    values: dict[str, list[ValueHit]]
    linked: tuple[list[Any], list[Anchor]]


def read_values(store: GraphStore, schema: GraphSchema, skip: Iterable[str] = ()) -> list[tuple[ValueHit, bool]]:
    """(value, whether its property is indexed) of the string properties a value may find nodes by; read once."""
    skipped = set(skip)
    found: list[tuple[ValueHit, bool]] = []
    holders = [(n, spec, False) for n, spec in schema.nodes.items()] + [(n, spec, True) for n, spec in schema.edges.items()]
    for owner, spec, on_edge in holders:
        if owner in skipped:
            continue
        own_names = {getattr(spec, "name_property", None), getattr(spec, "aliases_property", None), "id"}
        for prop, p in spec.properties.items():
            if p.type.value != "string" or prop in own_names or p.fulltext or p.embed:
                continue
            cypher = f"MATCH ()-[n:{owner}]->() RETURN DISTINCT n.{prop} AS v" if on_edge else f"MATCH (n:{owner}) RETURN DISTINCT n.{prop} AS v"
            try:
                rows = store.query(cypher, limit=500).rows
            except Exception:  # a declared type not created yet holds no values
                continue
            for r in rows:
                v = r.get("v")
                if isinstance(v, str) and 2 <= len(v) <= 60 and not _NOT_A_VALUE.search(v) and 1 <= len(_WORD.findall(v)) <= _MAX_WORDS:
                    found.append((ValueHit(owner, prop, v, on_edge), bool(p.indexed)))
    return found


class ValuePhrases:
    """Finds the values of `read_values` a question names (see the module docstring)."""

    def __init__(self, values: Iterable[tuple[ValueHit, bool]], schema: GraphSchema) -> None:
        self._whole: dict[str, list[ValueHit]] = {}
        self._short: dict[str, list[ValueHit]] = {}
        self._one: dict[str, list[ValueHit]] = {}  # one-word values of indexed properties, lower case
        for hit, indexed in values:
            words = _WORD.findall(hit.value)
            if len(words) > 1 or not indexed:
                self._whole.setdefault(hit.value.lower(), []).append(hit)
            if indexed and len(words) == 1 and words[0] == hit.value:
                self._one.setdefault(hit.value.lower(), []).append(hit)
            if indexed and (len(words) == 1 or (len(words[0]) >= _MIN_PREFIX and len("".join(words[1:])) <= _MAX_SHORT_BY)):
                compact = "".join(words).lower()
                self._short.setdefault(compact, []).append(hit)
        self._patterns = [
            (re.compile(rf"(?<![\w-]){re.escape(v)}(?:e?s)?(?![\w-])", re.I), hits) for v, hits in sorted(self._whole.items(), key=lambda x: -len(x[0]))
        ]
        self._types = {f for t in schema.nodes for f in type_forms(t)}
        # Words of the schema's property and relation names are never the short form of a value ("engine" is no
        # 'engineer').
        self._reserved = {w for spec in [*schema.nodes.values(), *schema.edges.values()] for prop, p in spec.properties.items()
                          for w in [*prop.lower().split("_"), *(x.lower() for s in p.synonyms or () for x in _WORD.findall(str(s)))]}
        self._reserved |= {w for name in schema.edges for w in name.lower().split("_")}
        # ... nor the stem of a relation's name: "did Tomasz respond to INC-7?" walks RESPONDED_TO, it names no role
        # 'responder' (a short form of which "respond" would be).
        self._reserved |= {stem(w) for name in schema.edges for w in name.lower().split("_")}

    def find(self, question: str, taken: Sequence[tuple[int, int]] = (), *, short: bool = True, beside: bool = True) -> list[Phrase]:
        """The values `question` names outside the `taken` spans (longest first; phrases do not overlap); `short`: also
        words that are a value's short form ("postgres"); `beside`: also a value next to its property's word."""
        spans = list(taken)
        out: list[Phrase] = []
        for pattern, hits in self._patterns:
            for m in pattern.finditer(question):
                if any(a < m.end() and m.start() < b for a, b in spans):
                    continue
                out.append(Phrase(m.start(), m.end(), m.group(0), tuple(hits)))
                spans.append((m.start(), m.end()))
        toks = list(_WORD.finditer(question))
        words = [m.group(0).lower() for m in toks]
        names_type = any(w in self._types for w in words)
        for m in _STATE_VALUE.finditer(question):
            # "which services run on go?": right after a verb that ties nodes to a value, a value in any case.
            hits = self._one.get(m.group(1).lower(), [])
            if hits and not any(a < m.end(1) and m.start(1) < b for a, b in spans):
                out.append(Phrase(m.start(1), m.end(1), m.group(1), tuple(hits)))
                spans.append((m.start(1), m.end(1)))
        for k, m in enumerate(toks if beside else []):
            # "the payments namespace": a value next to its property's word is that value, whatever else it names.
            near = set(words[max(k - 1, 0) : k] + words[k + 1 : k + 2])
            hits = [h for h in self._one.get(words[k], ()) if near & set(h.prop.lower().split("_"))]
            if hits and not any(a < m.end() and m.start() < b for a, b in spans):
                out.append(Phrase(m.start(), m.end(), m.group(0), tuple(hits)))
                spans.append((m.start(), m.end()))
        for m in _WORD.finditer(question) if short else ():
            w = m.group(0).lower()
            if len(w) < _MIN_PREFIX or not w.isalpha() or w in FILLER or w in self._types or w in self._reserved or w in self._short or any(a < m.end() and m.start() < b for a, b in spans):
                continue
            if w in _ANY_NODE and not names_type:
                continue  # "which node ..." asks for any node; "which services ... node" names a value
            hits = [h for compact, hs in self._short.items() if compact.startswith(w) and 0 < len(compact) - len(w) <= _MAX_SHORT_BY for h in hs]
            if hits:
                out.append(Phrase(m.start(), m.end(), m.group(0), tuple(hits)))
                spans.append((m.start(), m.end()))
        return sorted(out, key=lambda p: p.start)


def people_named(question: str, shape: QuestionShape, schema: GraphSchema) -> QuestionShape:
    """"Who are the premium members?": "who" asks for the one person-like type the question names by its own word
    (a plural or singular, "members"), not for the first person-like type of the schema (an `Author`). `shape` as it
    is when the question names no such type, or several."""
    if shape.shape != "person":
        return shape
    words = {w.lower() for w in _WORD.findall(question)}
    named = [t for t in schema.nodes if any(h in t.lower() for h in PERSON_HINTS) and words & {t.lower(), plural(t.lower())}]
    if len(named) != 1 or named[0] == shape.wants_type:
        return shape
    return replace(shape, wants_type=named[0], reason=f"{shape.reason}; the people named: {named[0]}")


def plain_places(question: str) -> str:
    """"works out of London" → "based in London" (padded, so offsets after it stay put)."""
    for pattern, plain in _IDIOMS:
        question = pattern.sub(lambda m, p=plain: p.ljust(len(m.group(0))), question)  # type: ignore[misc]
    return question


def phrased(
    question: str,
    phrases: ValuePhrases,
    values: Mapping[str, Sequence[ValueHit]],
    taken: Sequence[tuple[int, int]] = (),
    *,
    short: bool = True,
    beside: bool = True,
) -> Phrased | None:
    """`question` with each value phrase outside `taken` replaced by a placeholder of its length that `values` (extended)
    maps to the phrase's values (a one-word value the index holds is written as the estate writes it: "go" → "Go");
    None when it names no such value. `short`: short forms of values too ("postgres"); `beside`: a value next to its
    property's word ("the payments namespace")."""
    found = phrases.find(question, taken, short=short, beside=beside)
    if not found:
        return None
    extended = {k: list(v) for k, v in values.items()}
    text = question
    for k, p in enumerate(found):
        width = p.end - p.start
        spelt = {h.value for h in p.hits}
        if len(spelt) == 1 and next(iter(spelt)).lower() == p.text.lower() and p.text.lower() in values:
            text = text[: p.start] + next(iter(spelt)) + text[p.end :]
            continue
        key = (f"q{k}" + "x" * width)[:width] if width >= 2 else None
        if key is None or key in extended:
            return None
        extended[key] = list(p.hits)
        text = text[: p.start] + key + text[p.end :]
    for p in found:
        # "deployed in the payments namespace": the verb ties the nodes to the value (explained by the filter); read on
        # its own it may name another value ('deploy', an incident trigger).
        before = _STATE_BEFORE.search(text[: p.start])
        if before is not None:
            text = text[: before.start(1)] + " " * len(before.group(1)) + text[before.end(1) :]
    return Phrased(text, extended, tuple(found))
