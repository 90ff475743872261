"""Why an incident happened and what it was like, in everyday words, read as the words the composers already know.

On-call people ask for an incident's cause, fix and impact in phrases no schema spells out. Each is written here as
the plain question the one-step composers answer (`compose.py`, `timed.py`), and only when the schema keeps incidents
(`schema.incidents`, with a cause edge for the cause phrases):

- "which component was at fault in INC-7?", "what was the culprit in INC-7?", "what failed in the last sev1?":
  "what caused INC-7?". A word for the kind of thing asked is kept when it is a type's word ("which service was to
  blame for INC-7?" → "which service caused INC-7?", so a datastore is never given as the service); a generic word
  ("component", "thing", "part", "system") is dropped. Only when what follows names an incident: an entity of the
  incident type, or an order word ("the last ...", "the most recent ...") the timeline reading checks.
- "why did checkout go down in INC-7?", "why did INC-7 happen?": "what caused INC-7?" (the incident named or ordered
  after "in"/"during"; the component named is one it hit).
- "what broke prod most recently?", "what took down production last time?": "what caused the most recent incident?".
- "has X ever caused an outage?": "has X caused any incidents?" ("ever" adds nothing to the whole history held).
- "what kind of trigger was INC-7?": "what trigger was INC-7?", when "trigger" is a property of the incident type.
- "how did they fix INC-7?", "what happened in INC-7?": "what was the <P> of INC-7?", P the one text property of the
  incident type whose schema description has the question's verb ("What happened, why, and how it was fixed.").
- "what did customers see during INC-7?", "impact on users of INC-7": "the <P> of INC-7", P the one text property of
  the incident type whose name or description names those people ("customer_impact", "What shoppers experienced").

The phrases are English, not an estate's: no id, name or value of an estate is in this module; the types, properties
and descriptions come from the schema, the incident entity from the linker. A phrase read wrongly leaves the composed
query's words unexplained (`explained.py`) and the question is abstained as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from opsgraph.rag.incident_words import incident_word
from opsgraph.rag.lexicon import type_forms
from opsgraph.retrieve.base import LinkedEntity
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import words_of

_GENERIC = frozenset("component components thing things part parts system systems piece one bit".split())
"""Words for "something in the estate" that name no type: dropped, the cause edge's targets are what is asked."""
_FAULT = re.compile(
    r"\b(?:(?:which|what)(?:\s+(?P<noun>[a-z][\w-]*))?\s+(?:was|were|is)\s+(?:at\s+fault|to\s+blame|the\s+culprit|the\s+(?:root\s+)?cause)"
    r"|what\s+was\s+the\s+culprit|what\s+(?:failed|broke))\s+(?:in|for|of|during|behind)\s+",
    re.I,
)
_WHY_IN = re.compile(
    r"\bwhy\s+(?:did|was|were|is|does)\s+(?:[\w-]+\s+){1,4}?(?:go(?:es)?\s+down|went\s+down|down|fail(?:ing)?|break|broken|"
    r"crash(?:ing)?|die|degrade|degraded|slow|error(?:ing)?|time\s+out|timing\s+out)\s+(?:in|during)\s+",
    re.I,
)
"""'Why did checkout go down in INC-7?': what caused INC-7 (the component named is one the incident hit)."""
_WHY_HAPPEN = re.compile(r"\bwhy\s+did\s+(?=\S.*?\s+happen\b)", re.I)
_HAPPEN = re.compile(r"\s+happen\b", re.I)
_ORDERED = re.compile(r"(?:the\s+)?(?:last|latest|most\s+recent|previous|first|earliest)\b", re.I)
_BROKE_PROD = re.compile(
    r"\bwhat\s+(?:broke|took\s+down|brought\s+down|knocked\s+over|killed)\s+(?:prod|production|the\s+site|the\s+shop|things|everything)\s+"
    r"(?P<when>most\s+recently|(?:the\s+)?last\s+time|last|latest|(?:the\s+)?first\s+time)\b",
    re.I,
)
_EVER_CAUSED = re.compile(r"\bever\s+(?=caused\b)", re.I)
_CAUSED_OUTAGE = re.compile(r"\bcaused\s+(?:an?|any)\s+(?:outages?|incidents?|problems?|issues?)\b", re.I)
_KIND_OF = re.compile(r"\b(?P<wh>what|which)\s+(?:kind|type|sort)\s+of\s+(?P<word>[a-z][\w-]*)\b", re.I)
_FIX = re.compile(
    r"\b(?:how\s+(?:did|do|have)\s+(?:they|we|you|people|the\s+team|folks)\s+(?P<fix>fix|mitigate|resolve)\s+"
    r"|what\s+was\s+the\s+(?P<fix2>fix|mitigation|resolution)\s+(?:for|of|in)\s+"
    r"|what\s+(?P<happened>happened)\s+(?:in|with|during|at)\s+)",
    re.I,
)
_STEMS = {"fix": "fix", "mitigate": "mitigat", "mitigation": "mitigat", "resolve": "resolv", "resolution": "resolv", "happened": "happen"}
_PEOPLE = re.compile(
    r"\b(?:what\s+(?:did|do)\s+(?P<who>[a-z]+)\s+(?:see|experience|notice|get)\s+(?:during|in|with|from|because\s+of)\s+"
    r"|(?:the\s+)?impact\s+on\s+(?P<who2>[a-z]+)\s+(?:of|from|during|in)\s+)",
    re.I,
)


def _names_incident(rest_at: int, question: str, links: Sequence[LinkedEntity], incident_type: str) -> bool:
    """Whether the words at `rest_at` name an incident: a linked entity of the incident type starts there (after an
    optional "the")."""
    lead = re.match(r"(?:the\s+)?", question[rest_at:], re.I)
    at = rest_at + (lead.end() if lead else 0)
    return any(x.node_type == incident_type and x.start in (rest_at, at) for x in links)


def _type_word(word: str, schema: GraphSchema) -> bool:
    low = word.lower()
    return any(low in type_forms(t) for t in schema.nodes)


def _text_property(schema: GraphSchema, incident_type: str, test: Callable[[str, str], bool]) -> str | None:
    """The one string property of the incident type that passes `test(name words, description)`, else None."""
    spec = schema.nodes[incident_type]
    found = [
        p
        for p, s in spec.properties.items()
        if s.type.value == "string" and test(" ".join(words_of(p)).lower(), (s.description or "").lower())
    ]
    return found[0] if len(found) == 1 else None


def plain_cause_words(question: str, schema: GraphSchema, links: Callable[[str], Sequence[LinkedEntity]]) -> str:
    """`question` with the cause, fix and impact phrases of the module docstring written as the schema's words;
    `links`: the entities a text names (the answerer's linker)."""
    inc = schema.incidents
    word = incident_word(schema)
    if inc is None or word is None:
        return question
    text = question
    if inc.caused_by and inc.caused_by in schema.edges:
        text = _BROKE_PROD.sub(lambda m: f"what caused the {'first' if 'first' in m.group('when').lower() else 'most recent'} {word}", text)
        m = _FAULT.search(text)
        if m is not None:
            rest = m.end()
            if _ORDERED.match(text[rest:]) or _names_incident(rest, text, links(text), inc.type):
                noun = m.group("noun")
                head = (
                    "what caused " if noun is None or noun.lower() in _GENERIC
                    else f"which {noun} caused " if _type_word(noun, schema)
                    else None
                )  # fmt: skip
                if head is not None:
                    text = text[: m.start()] + head + text[rest:]
        why = _WHY_IN.search(text)
        if why is not None and (_ORDERED.match(text[why.end():]) or _names_incident(why.end(), text, links(text), inc.type)):
            text = text[: why.start()] + "what caused " + text[why.end() :]
        happen = _WHY_HAPPEN.search(text)
        if happen is not None and _names_incident(happen.end(), text, links(text), inc.type):
            # "why did INC-7 happen?": what caused INC-7.
            text = text[: happen.start()] + "what caused " + _HAPPEN.sub("", text[happen.end() :], count=1)
        text = _EVER_CAUSED.sub("", text)
        text = _CAUSED_OUTAGE.sub(f"caused any {word}s", text)
    spec = schema.nodes[inc.type]

    def kind(m: re.Match[str]) -> str:
        w = m.group("word").lower()
        props = {" ".join(words_of(p)).lower() for p in spec.properties}
        return f"{m.group('wh')} {m.group('word')}" if w in props else m.group(0)

    text = _KIND_OF.sub(kind, text)
    m = _FIX.search(text)
    if m is not None and _names_incident(m.end(), text, links(text), inc.type):
        verb = (m.group("fix") or m.group("fix2") or m.group("happened")).lower()
        stem = _STEMS[verb]
        prop = _text_property(schema, inc.type, lambda _n, d: bool(re.search(rf"\b{stem}", d)))
        if prop is not None:
            text = text[: m.start()] + f"what was the {' '.join(words_of(prop))} of " + text[m.end() :]
    m = _PEOPLE.search(text)
    if m is not None and _names_incident(m.end(), text, links(text), inc.type):
        who = (m.group("who") or m.group("who2")).lower()
        one = who[:-1] if who.endswith("s") else who
        prop = _text_property(
            schema, inc.type, lambda n, d: bool(re.search(rf"\b{re.escape(one)}", n) or re.search(rf"\b{re.escape(one)}", d))
        )
        if prop is not None and len(one) >= 3:
            lead = "what was the " if m.group("who") else "the "
            text = text[: m.start()] + f"{lead}{' '.join(words_of(prop))} of " + text[m.end() :]
    return text
