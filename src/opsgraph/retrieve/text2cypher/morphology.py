"""English for schema names: edge types as verb phrases, node types as nouns.

The pair generator phrases questions from a schema it has never seen, so it
needs the forms English gives a name: "DEPENDS_ON" → "depends on" / "depend on"
/ "does ... depend on", "MEMBER_OF" → "is a member of", "CAUSED_BY" → "is
caused by", "AFFECTED" → "affected" / "did ... affect"; "ExternalService" →
"external service" / "external services", and whether a type is asked about
with "Who". Rules only, no word lists beyond the few irregular forms below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsgraph.schema.model import NodeType
from opsgraph.schema.words import plural, words_of

__all__ = ["Noun", "Verb", "article", "bool_words", "count_noun", "edge_verb", "type_noun", "words_of"]

_PREPS = frozenset("of for to in on at with from by about into onto over under via per".split())
# A first word that makes the edge a state ("ON_CALL_FOR" → "is on call for", "PART_OF" → "is part of").
_STATE_WORDS = frozenset("on in at part near next inside within under over above below behind adjacent close off out up down".split())
# Verbs whose "-ed" form followed by a preposition is an action ("RESPONDED_TO"); otherwise "-ed + prep" is
# a state ("LOCATED_IN" → "is located in", "ASSIGNED_TO" → "is assigned to").
_ACTIVE_PAST = frozenset(
    "respond contribute work reply react subscribe listen talk report escalate point refer migrate move switch attend vote "
    "apply belong commit post comment".split()
)
_IRREGULAR_PAST = {"wrote": "write", "made": "make", "took": "take", "gave": "give", "held": "hold", "led": "lead", "ran": "run",
                   "built": "build", "bought": "buy", "sent": "send", "found": "find", "saw": "see", "met": "meet", "paid": "pay",
                   "taught": "teach", "sold": "sell", "told": "tell", "won": "win", "lost": "lose", "kept": "keep", "left": "leave"}
_IRREGULAR_PARTICIPLES = frozenset("made built run held led written known taught sold told won lost kept left seen given taken paid".split())
_UNCOUNTABLE = frozenset("staff series species news data information software hardware equipment media personnel".split())
_PERSON_WORDS = frozenset(
    "person people user employee engineer member author customer staff contact patron student teacher doctor patient "
    "borrower reader human individual manager developer worker operator responder volunteer writer artist".split()
)


def article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _third(verb: str) -> str:
    if re.search(r"(s|x|z|ch|sh|o)$", verb):
        return verb + "es"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ies"
    return verb + "s"


def _unthird(verb: str) -> str:
    if re.search(r"(ss|sh|ch|x|z)es$", verb):
        return verb[:-2]
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    return verb[:-1]


def _unpast(verb: str) -> str:
    if verb in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[verb]
    if verb.endswith("ied"):
        return verb[:-3] + "y"
    stem = verb[:-2]
    if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    if stem.endswith(("at", "us", "iz", "ur", "as", "os", "ys")) or stem[-1:] in ("c", "g", "v"):
        return stem + "e"
    return stem


@dataclass(frozen=True)
class Verb:
    """The forms of an edge type's verb phrase that questions need."""

    s3: str
    """After a singular subject: "depends on", "is a member of", "affected"."""
    pl: str
    """After a plural subject: "depend on", "are members of", "affected"."""
    aux: str
    """Auxiliary for a singular subject in a question: "does", "is", "did"."""
    auxp: str
    """Auxiliary for a plural subject: "do", "are", "did"."""
    bare: str
    """What follows `aux` and the subject: "depend on", "a member of", "affect"."""
    barep: str
    """What follows `auxp` and a plural subject: "depend on", "members of", "affect"."""

    @property
    def neg(self) -> str:
        return f"{self.aux} not {self.bare}"

    @property
    def negp(self) -> str:
        return f"{self.auxp} not {self.barep}"


def edge_verb(name: str) -> Verb:
    """Verb phrase of an edge type, from its name alone ("DEPENDS_ON", "OWNS", "MEMBER_OF", "CAUSED_BY", ...)."""
    toks = words_of(name) or [name.lower()]
    first, rest = toks[0], toks[1:]
    all_ = " ".join(toks)
    tail = (" " + " ".join(rest)) if rest else ""

    def state(phrase: str, phrase_p: str | None = None) -> Verb:
        p = phrase if phrase_p is None else phrase_p
        return Verb(f"is {phrase}", f"are {p}", "is", "are", phrase, p)

    if first in ("is", "are", "was", "were") and rest:
        return state(" ".join(rest))
    if first in ("has", "have"):
        return Verb("has" + tail, "have" + tail, "does", "do", "have" + tail, "have" + tail)
    if first in _STATE_WORDS:
        if rest and rest[-1] not in _PREPS:
            return state(first)  # "IN_GENRE": the rest names the target type ("Which genres is Dune in?")
        return state(all_)
    if rest and rest[-1] == "by" and (first.endswith(("ed", "en")) or first in _IRREGULAR_PARTICIPLES):
        return state(all_)
    if (first.endswith("ed") and len(first) > 3) or first in _IRREGULAR_PAST:
        base = _unpast(first)
        if rest and base not in _ACTIVE_PAST:
            return state(all_)
        return Verb(all_, all_, "did", "did", base + tail, base + tail)
    if first.endswith("s") and not first.endswith("ss") and len(first) > 2 and not (rest and rest[-1] in _PREPS and len(rest) > 1):
        base = _unthird(first) + tail
        return Verb(all_, base, "does", "do", base, base)
    if rest and rest[-1] in _PREPS:
        noun, prep = " ".join(toks[:-1]), toks[-1]
        return state(f"{article(noun)} {noun} {prep}", f"{plural(noun)} {prep}")
    return Verb(_third(first) + tail, all_, "does", "do", all_, all_)


@dataclass(frozen=True)
class Noun:
    """How questions name a node type."""

    sg: str
    pl: str
    person: bool


def type_noun(name: str, spec: NodeType | None = None) -> Noun:
    """"ExternalService" → external service / external services; Person-like types are asked about with "Who"."""
    words = " ".join(re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", name)).lower()  # the same words `slots.type_words` uses
    person = bool(set(words.split()) & _PERSON_WORDS)
    last = words.rsplit(" ", 1)[-1]
    if spec is not None and not person:
        desc = spec.description.lower()
        person = bool(re.match(r"^(a|an|one)\s+(person|human|individual)\b", desc))
    return Noun(words, words if last in _UNCOUNTABLE else plural(words), person)



def bool_words(prop: str) -> str:
    toks = words_of(prop)
    if len(toks) > 1 and toks[0] in ("is", "are", "was"):
        toks = toks[1:]
    return " ".join(toks)


def count_noun(k: int, noun: Noun) -> str:
    return noun.sg if k == 1 else f"{k} {noun.pl}"
