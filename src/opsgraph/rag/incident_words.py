"""Incident questions in on-call shorthand, read as the words the schema knows: "outages", "IC", "comms", "sev".

On-call people name past incidents and their parts in shorthand the schema does not spell out:

- "which outages were triggered by a deploy?", "how long did the checkout outage last?": an outage that happened
  is one of the estate's incidents. "Outages" (plural) and "the/that/last ... outage" are written as the incident
  type's own word (`schema.incidents.type`, e.g. "incident"), but never in a conditional or impact question ("if
  redis-cart has an outage, what breaks?", "blast radius of an outage": a failure spreading, `impact.py`), nor
  about now ("any outages right now?") or ranked by a word no property measures ("the worst outage"), and only
  when the schema has an `incidents:` section.
- "who was IC for INC-7?": an initialism of a stored value of several words ('incident-commander' → "ic") is
  written as that value's words ("incident commander"), when exactly one value has those initials, the initials are
  not themselves a stored value, and the token is written in capitals or is no everyday two-letter word.
- "what sev was INC-7?": a word that is the letters every value of one property starts with, the rest digits
  ('sev1' .. 'sev4' → "sev"), names that property ("severity").
- "deploy problems", "config issues": a value of an incident property before a word for trouble is that kind of
  incident; "did X ever have an incident?": "ever" adds nothing to the whole history the graph holds.
- "any ongoing incidents?", "any incidents right now?": incidents now are the open ones; the now-word is written
  "open", which only a query on a stored 'open' value explains (else the question is abstained, never answered
  with every past incident).
- "who ran comms?": a few everyday clippings ("comms", "infra", "config") are written out only when the full word
  is a stored value.

Nothing else changes; no word of an estate is in this module: the values come from the value index
(`Answerer.value_index`), the incident type from the schema. What the question then asks is composed and
checked word by word as any question (`compose.py`, `explained.py`), so a shorthand read wrongly leaves words
unexplained and is abstained.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from opsgraph.schema import GraphSchema
from opsgraph.schema.words import plural, words_of

_HYPOTHETICAL = re.compile(r"\b(?:if|would|could|will|should|might|happens?|blast|radius|whenever)\b|\bwhat\s+breaks\b", re.I)
_OUTAGES = re.compile(r"\boutages\b", re.I)
_NOW_OR_RANKED = re.compile(
    r"\b(?:now|nowadays|currently|current|ongoing|active|open|still|today|moment|happening|is\s+there|are\s+there|"
    r"worst|biggest|largest|best|most(?!\s+recent)|least|major|serious|bad|big)\b",
    re.I,
)
"""An outage now ("are there any outages right now?": the incidents hold none open) or ranked by a word no property
measures ("the worst outage"; "the most recent outage" is ordered by time): left as written, so the question is
abstained rather than answered with every incident."""
_DEFINITE_OUTAGE = re.compile(
    r"\b(?P<det>the|that|this|last|latest|recent|previous|longest|shortest|first)\s+(?P<mid>(?:(?!(?:an?|of|for|to|in|on|at|with|by|from|any|some|every|each)\s)[\w-]+\s+){0,4}?)outage\b", re.I
)
_EVERYDAY_TWO = frozenset(
    "ah am an as at be by do eh go he hi if in is it me my no of oh ok on or pm so to up us we ya yo id vs".split()
)
"""Two-letter words too common to be read as an initialism when typed in lower case."""
_CLIPPINGS: Mapping[str, str] = {"comms": "communications", "comm": "communications", "infra": "infrastructure", "config": "configuration"}
"""Everyday clippings of ops words; written out only when the full word is a stored value."""
_TOKEN = re.compile(r"\b[A-Za-z][A-Za-z0-9]*\b")
_NOW = re.compile(r"\b(?:right\s+now|just\s+now|now|currently|at\s+the\s+moment|as\s+we\s+speak|ongoing|in\s+progress|still\s+going)\b", re.I)
_TROUBLE = re.compile(r"\b([A-Za-z][\w-]*)\s+(problems?|issues?)\b", re.I)
_EVER = re.compile(r"\bever\s+(?=(?:have|had|has|been|got|gotten|get)\b)", re.I)


class _Hit(Protocol):
    """A stored value and where it lives (`compose.ValueHit`)."""

    @property
    def owner(self) -> str: ...
    @property
    def prop(self) -> str: ...
    @property
    def value(self) -> str: ...


def incident_word(schema: GraphSchema) -> str | None:
    """The incident type's own word ("incident" for `Incident`), or None when the schema keeps no incidents."""
    inc = schema.incidents
    if inc is None or inc.type not in schema.nodes:
        return None
    return " ".join(words_of(inc.type)) or None


def _outages(question: str, schema: GraphSchema) -> str:
    word = incident_word(schema)
    if word is None or _HYPOTHETICAL.search(question) or _NOW_OR_RANKED.search(question):
        return question
    text = _OUTAGES.sub(plural(word), question)
    return _DEFINITE_OUTAGE.sub(lambda m: f"{m.group('det')} {m.group('mid')}{word}", text)


def initialisms(values: Mapping[str, Sequence[_Hit]]) -> dict[str, str]:
    """Initials (lower case) → the one stored value of several words they abbreviate, as words ("incident commander");
    initials that fit two values, or that are a stored value themselves, are left out."""
    found: dict[str, set[str]] = {}
    for hits in values.values():
        for h in hits:
            parts = [p for p in re.split(r"[-_]", h.value.lower()) if p]
            if len(parts) < 2 or not all(re.fullmatch(r"[a-z]+", p) for p in parts):
                continue
            found.setdefault("".join(p[0] for p in parts), set()).add(" ".join(parts))
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1 and k not in values}


def numbered_prefixes(values: Mapping[str, Sequence[_Hit]]) -> dict[str, str]:
    """Letters (three or more) every value of one property starts with, the rest digits ('sev1', 'sev2' → "sev")
    → that property's words ("severity"); prefixes shared by two properties are left out."""
    by_prop: dict[tuple[str, str], set[str]] = {}
    for hits in values.values():
        for h in hits:
            by_prop.setdefault((h.owner, h.prop), set()).add(h.value.lower())
    found: dict[str, set[str]] = {}
    for (_, prop), vals in by_prop.items():
        heads = {m.group(1) for v in vals if (m := re.fullmatch(r"([a-z]{3,})\d+", v))}
        if len(vals) >= 2 and len(heads) == 1 and all(re.fullmatch(r"[a-z]{3,}\d+", v) for v in vals):
            found.setdefault(next(iter(heads)), set()).add(" ".join(words_of(prop)))
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1 and k not in values}


def _kinds(question: str, schema: GraphSchema, values: Mapping[str, Sequence[_Hit]]) -> str:
    """"deploy problems", "config issues": a value of an incident property before a word for trouble is that kind of
    incident ("deploy incidents"); "did X ever have an incident?": "ever" asks for the whole history the graph holds."""
    word = incident_word(schema)
    inc = schema.incidents
    if word is None or inc is None:
        return question

    def kind(m: re.Match[str]) -> str:
        hits = values.get(m.group(1).lower(), ())
        if not any(h.owner == inc.type for h in hits):
            return m.group(0)
        return f"{m.group(1)} {plural(word) if m.group(2).lower().endswith('s') else word}"

    text = _TROUBLE.sub(kind, question)
    about = re.search(rf"\b{re.escape(word)}", text, re.I) or any(
        h.owner == inc.type for t in _TOKEN.findall(text) for h in values.get(t.lower(), ())
    )
    if about:  # the incident type's word or one of its values ("have we ever had a sev1?")
        text = _EVER.sub("", text)
    return text


def _now(question: str, schema: GraphSchema) -> str:
    """"any ongoing incidents?", "any incidents at the moment?": incidents now are the open ones, so the now-word is
    written "open"; only a query on an 'open' value explains it (the words "now" and "right" alone ask nothing, and
    every past incident was listed as if it were going on)."""
    word = incident_word(schema)
    if word is None or not re.search(rf"\b(?:any|which|what|list|how\s+many|are\s+there|is\s+there)\b.*\b{re.escape(word)}", question, re.I):
        return question
    return _NOW.sub("open", question)


def plain_incident_words(question: str, schema: GraphSchema, values: Mapping[str, Sequence[_Hit]]) -> str:
    """`question` with incident shorthand written as the schema's words (see the module docstring); `values`: the
    value index (lower-case word → stored values)."""
    text = _now(_kinds(_outages(question, schema), schema, values), schema)
    inits = initialisms(values)
    prefixes = numbered_prefixes(values)

    def fix(m: re.Match[str]) -> str:
        token = m.group(0)
        low = token.lower()
        if low in values:
            return token
        if low in inits and len(low) >= 2 and (token.isupper() or (low not in _EVERYDAY_TWO and len(low) == 2)):
            return inits[low]
        if low in prefixes:
            return prefixes[low]
        full = _CLIPPINGS.get(low)
        if full is not None and full in values:
            return full
        return token

    return _TOKEN.sub(fix, text)
