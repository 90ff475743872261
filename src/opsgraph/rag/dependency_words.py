"""Dependency questions in the words people type, read as the words the dependency walk already explains (issue 14).

On-call people ask what a component "leans on", whether checkout "still calls" the email service, what the shipping
service "hits", who "the clients of" the currency service are, whether the currency service is "in the path of"
checkout, whether the frontend needs the gateway "through anything", which databases checkout "touches". `compose.py`,
`impact.py` and `explained.py` know "depends on", "calls", "callers", "indirectly" and "a dependency of"; each phrase
here is rewritten to those words, so the "every content word is explained" rule still decides. Nothing here answers.

Only when the schema has one dependency edge (`dependency: true`): in an estate without one these words mean
something else. Rewordings:

- "leans on" (also "leans heavily on") is "depends on";
- "still" before a relation verb ("does checkout still call X?") asks nothing more: the graph is the current state;
- "through anything", "via something else", "directly or through something else" is "indirectly";
- "is B in the (call|request) path of A" is "is B indirectly needed by A" (A reaches B): the direction is A's path,
  so B is A's dependency, never the other way (a passive "needed by", which every reader flips, also where the
  types cannot be read that way: "is the frontend in the path of the orders db" is not read as the frontend's path);
- "touches" / "touching" (present tense) is "uses" / "using": which databases a service touches;
- "what does X hit", "do X hit Y", "which services hit Y" (no failure or condition in the question: "which services
  got hit when X died" stays an impact) is "call": what X calls;
- "what's using X", "who is still calling X" is "what uses X", "who calls X";
- "clients" is "callers" when no node type is called clients;
- "fan-in" is the number of callers and "fan-out" the number of dependencies;
- "downstream dependencies" are dependencies and "upstream callers" callers (one step, as `impact.py` reads them);
- "uses to reach B" / "uses to talk to B" (a property of the edge between two entities) is "uses for B".

`compound_values`: a hyphenated value of an edge or node property whose parts are each a value of that property
("read-write" of 'read' and 'write') is named by each part's words too: "who reads from X?" covers the read-write
clients of X, so the filter does not drop them and answer "none". A yes/no property's "non" word ("noncritical",
written so by `plain_dependency_words` from "non-critical") names its false value.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence

from opsgraph.rag.compose import ValueHit
from opsgraph.rag.lexicon import FAILURE, type_forms
from opsgraph.schema import GraphSchema

_FRAMED = re.compile(
    r"\b(?:if|when|whenever|once|should|were to|would|impact\w*|blast|fallout|knock\w*|effects?|outages?|hurt|affected|"
    r"got|get|gets|getting|been|were|was|incidents?)\b",
    re.I,
)
"""A conditional, impact or past question: there "hit" is what a failure did ("which services got hit"), not a call."""

_VERBS = r"(?:calls?|calling|uses?|using|depends?|depending|talks?|talking|hits?|needs?|reads?|writes?|publish\w*|consum\w*|relies|rely)"

ALWAYS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bleans?\s+(?:heavily\s+|hard\s+|mostly\s+)?on\b", re.I), "depends on"),
    (re.compile(r"\bleaning\s+(?:heavily\s+|hard\s+|mostly\s+)?on\b", re.I), "depending on"),
    (re.compile(r"\b(?:leaned|leant)\s+(?:heavily\s+|hard\s+|mostly\s+)?on\b", re.I), "depended on"),
    (re.compile(rf"\bstill\s+(?={_VERBS}\b)", re.I), ""),
    (re.compile(
        r"\b(?:directly\s+or\s+)?(?:through|via|by way of)\s+(?:anything|something|anyone|others|other\s+\w+|another\s+\w+|"
        r"any\s+other\s+\w+|some\s+other\s+\w+)(?:\s+else)?\b(?!\s+(?:is|are|that|which)\b)",
        re.I), "indirectly"),
    (re.compile(r"\b(?:in|on|along)\s+(?:the\s+)?(?:call\s+|request\s+|dependency\s+)?path\s+(?:of|for)\b", re.I), "indirectly needed by"),
    (re.compile(r"\b(?<!in\s)touches\b", re.I), "uses"),
    (re.compile(r"\b(?<!in\s)touching\b", re.I), "using"),
    (re.compile(r"\b(?<!in\s)touch\b(?!\s+(?:base|with)\b)", re.I), "use"),
    (re.compile(r"\bfan[- ]?in\b", re.I), "number of callers"),
    (re.compile(r"\bfan[- ]?out\b", re.I), "number of dependencies"),
    (re.compile(r"\b(?:downstream|outgoing)\s+(?=(?:dependenc(?:y|ies)|deps?)\b)", re.I), ""),
    (re.compile(r"\b(?:upstream|incoming)\s+(?=(?:callers?|clients?|consumers?|dependents?)\b)", re.I), ""),
    (re.compile(r"\b(uses?|using)\s+to\s+(?:reach|talk\s+to|connect\s+to|call|get\s+to|hit)\b", re.I), "\\1 for"),
)  # fmt: skip
"""Rewordings of dependency phrasings that hold in any question of an estate with a dependency edge."""

_PROGRESSIVE = {
    "using": "uses",
    "calling": "calls",
    "reading": "reads",
    "writing": "writes",
    "consuming": "consumes",
    "publishing": "publishes",
    "talking": "talks",
    "needing": "needs",
    "relying": "relies",
    "depending": "depends",
}
_IS_DOING = re.compile(rf"\b(?P<who>what|who)(?:'s|s|\s+is|\s+are)\s+(?:still\s+|currently\s+)?(?P<verb>{'|'.join(_PROGRESSIVE)})\b", re.I)
"""'What's using the fx cache?', 'who is still calling X?': what uses it, what calls it."""

_DOES_HIT = re.compile(r"\b(?P<aux>does|do)\b(?P<mid>[^?.!,;]{1,60}?)\bhit\b(?!\s+(?:by|with)\b)", re.I)
_WHICH_HIT = re.compile(
    r"\b(?P<lead>(?:which|what)\s+(?:\w+\s+)?(?:services|apps|clients|systems|components|things)\s+)hit\b(?=\s+(?:the\s+)?[\w-])", re.I
)


def _padded(word: str, m: re.Match[str]) -> str:
    out = m.expand(word) if "\\" in word else word
    return out.ljust(len(m.group(0)))


def has_dependency_edge(schema: GraphSchema) -> bool:
    """Whether the schema has exactly one dependency edge type (`dependency: true`)."""
    return sum(1 for spec in schema.edges.values() if getattr(spec, "dependency", False)) == 1


def plain_dependency_words(text: str, schema: GraphSchema) -> str:
    """`text` with the dependency phrasings of the module docstring reworded (padded where the new words are
    shorter); unchanged in an estate without one dependency edge. Idempotent."""
    if not has_dependency_edge(schema):
        return text
    for pattern, word in ALWAYS:
        text = pattern.sub(functools.partial(_padded, word), text)
    text = _IS_DOING.sub(lambda m: f"{m.group('who')} {_PROGRESSIVE[m.group('verb').lower()]}", text)
    if not (FAILURE.search(text) or _FRAMED.search(text)):
        text = _DOES_HIT.sub(lambda m: f"{m.group('aux')}{m.group('mid')}call", text)
        text = _WHICH_HIT.sub(lambda m: f"{m.group('lead')}call", text)
    for prop in _boolean_words(schema):
        # "non-critical": one word, the property's false value (`compound_values` names it).
        text = re.sub(rf"\bnon[- ]{prop}\b", f"non{prop}", text, flags=re.I)
    if not any("clients" in type_forms(n) for n in schema.nodes):
        text = re.sub(r"\bclients\b", "callers", text, flags=re.I)
    return text


def _boolean_words(schema: GraphSchema) -> set[str]:
    """Names of the schema's yes/no properties that are one word ("critical", "managed")."""
    holders = [*schema.nodes.values(), *schema.edges.values()]
    return {p for spec in holders for p, ps in spec.properties.items() if ps.type.value == "boolean" and re.fullmatch(r"[a-z]{4,}", p)}


def compound_values(index: Mapping[str, Sequence[ValueHit]]) -> dict[str, list[ValueHit]]:
    """Extra (word → hits) for `index` (word → the values it names, `Answerer.value_index`): each hyphenated value
    whose parts are all values of the same property ("read-write": 'read' and 'write' of `interaction`) is named by
    every word that names one of its parts ("read", and "write" or a declared word for it). New hits only."""
    by_value: dict[tuple[str, str, bool, str], ValueHit] = {}
    for hits in index.values():
        for h in hits:
            by_value.setdefault((h.owner, h.prop, h.on_edge, h.value.lower()), h)
    words_of: dict[tuple[str, str, bool, str], set[str]] = {}
    for word, hits in index.items():
        for h in hits:
            words_of.setdefault((h.owner, h.prop, h.on_edge, h.value.lower()), set()).add(word)
    extra: dict[str, list[ValueHit]] = {}
    for (owner, prop, on_edge, value), hit in by_value.items():
        if value == "true" and prop in words_of.get((owner, prop, on_edge, value), ()):
            # A yes/no property's own word names its true value ("critical"); "noncritical" names its false value.
            extra.setdefault(f"non{prop}", []).append(dataclasses.replace(hit, value="false"))
            continue
        parts = value.split("-")
        if len(parts) < 2 or any((owner, prop, on_edge, p) not in by_value for p in parts):
            continue
        for p in parts:
            for word in words_of.get((owner, prop, on_edge, p), ()):
                if hit not in index.get(word, ()) and hit not in extra.get(word, []):
                    extra.setdefault(word, []).append(hit)
    return extra
