"""More everyday impact and dependency phrasings, read as the words `impact.py` already knows (issue 14).

On-call people type impact questions in words `impact.py` never saw: "what feels it if cartservice falls over?",
"what goes dark if payment-events stops?", "who relies on the payment gateway, even indirectly?", "only direct deps
of the catalog service pls", "what sits behind checkout?", "which services hit the orders db directly?", "is the ecb
feed anywhere in the chain of the frontend?", "would the ad service go down if the catalog db died?". Each phrase here
is rewritten to wording the dependency walk already explains, so the "every content word is explained" rule still
decides (`explained.py`); nothing here answers, it only rewords:

- `plain_impact_phrases` (schema-free, called first by `impact.plain_impact_words`): failure words ("goes dark",
  "is lost", "stops", "blows up") are "fails" and "feels it" is "affected", both only in a conditional or impact
  question; "even" before "indirectly" and "only" before "direct" ask nothing more; "deps" are dependencies, "direct
  deps" dependencies "directly"; "X sits behind Y" makes X a dependency of Y and "sits in front of Y" a dependent;
  "hits" (or "hit ... directly") with no failure word is "calls"; "is B anywhere in the chain of A" is "is B
  indirectly a dependency of A";
  "would A go down if B died?" is "does A depend on B indirectly?" (A fails with B exactly when A depends on B
  through the edge).
- `whose_as_owners` (schema-driven): "whose services break if X dies?" asks for the owners of what depends on X.
  The owner is the one node type (not a person) whose edge the lexicon reads as "owns" and that reaches the
  dependency edge's source type; "whose" becomes "which <owners>" ("which teams"), else the question is left alone.
- `names_dependents`: "the on-call for the services that break if X dies" describes the dependents of X, not X: the
  on-call stage must not answer it with X's owner.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from opsgraph.rag.lexicon import FAILURE, Lexicon
from opsgraph.rag.shape import person_type, type_words
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import plural

_FRAME = re.compile(
    r"\b(?:if|when|whenever|once|should|were to|would|impact\w*|blast|fallout|knock\w*|effects?|outages?|hurt|affected|breaks?)\b", re.I
)
"""A conditional or impact question: only there is "stops" or "goes dark" a failure."""

ALWAYS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bwhats\b", re.I), "what"),
    (re.compile(r"\beven\s+(?=(?:indirect\w*|transitive\w*|through others|eventually)\b)", re.I), ""),
    (re.compile(r"\bonly\s+(?=direct(?:ly)?\b)", re.I), ""),
    (re.compile(r"\bdirect\s+(deps?|dependenc(?:y|ies)|dependents?|callers?|callees?|consumers?)\b", re.I), "\\1 directly"),
    (re.compile(r"\bdeps\b", re.I), "dependencies"),
    (re.compile(r"\bdep\b", re.I), "dependency"),
    (re.compile(r"\b(?:sits?|sitting|lives?|living)\s+(?:directly\s+|right\s+)?behind\b", re.I), "are dependencies of"),
    (re.compile(r"\b(?:sits?|sitting|lives?|living)\s+(?:directly\s+|right\s+)?in front of\b", re.I), "depend on"),
    (re.compile(
        r"\b(?:anywhere|somewhere)\s+(?:in|along|on)\s+(?:the\s+)?(?:dependency\s+|call\s+)?(?:chain|tree|path|graph)\s+(?:of|for|under|below)\b",
        re.I), "indirectly a dependency of"),
    (re.compile(r"\b(?:anywhere|somewhere)\s+downstream\s+of\b", re.I), "indirectly a dependency of"),
)  # fmt: skip
"""Rewordings that hold in any question."""

IN_FRAME: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:feels?|felt|feeling)(?:\s+(?:it|the pain|the pinch|that|this))?\b", re.I), "affected"),
    (re.compile(r"\b(?:goes|go|went|going)\s+(?:dark|belly up|bust|kaput|sideways|poof)\b", re.I), "goes down"),
    (re.compile(r"\b(?:is|are|was|were|gets?|got)\s+(?:lost|gone|toast|nuked|wiped)\b", re.I), "fails"),
    (re.compile(r"\b(?:blows?|blew|blowing)\s+up\b|\bflatlin\w+\b|\btank(?:s|ed)\b", re.I), "fails"),
    (re.compile(r"\b(?:stops?|stopped|stopping)\b(?!\s+working)", re.I), "fails"),
)
"""Failure and impact words, read only in a conditional or impact question ("which services stopped?" is no
failure spreading)."""

_HITS = re.compile(r"\b((?:who|what|which|services|clients|apps)\s+)(hits|hammers)\b(?=\s+(?:the\s+)?[\w-])", re.I)
_HIT = re.compile(r"\b((?:services|clients|apps)\s+)(hit|hammer)\b(?=\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+){0,3}\s+directly\b)", re.I)
"""'What hits the ledger db?', 'which services hit the orders db directly?': what calls it, when no failure is asked
about ("which services hit X" alone may be the past tense of an impact: "were hit")."""

_WOULD = re.compile(
    r"^(?P<lead>\W*)(?:would|will|does|do|could|can)\s+(?P<a>.+?)\s+(?:go down|break|fail|die|be affected|be impacted|be hit|"
    r"feel it|notice|go dark|stop working)(?:\s+too|\s+as well)?\s+(?:if|when)\s+(?P<b>.+?)\s+"
    r"(?:died|dies|fails|failed|fell over|falls over|went down|goes down|is down|was down|crashed|crashes|broke|breaks|"
    r"went away|goes away|is lost|were lost|was lost|had an outage|has an outage)\s*(?P<end>\W*)$",
    re.I,
)
"""'Would A go down if B died?': A fails with B exactly when A depends on B, directly or through others."""
_FAILED = (
    r"(?:died|dies|fails|failed|fell over|falls over|went down|goes down|is down|was down|crashed|crashes|broke|breaks|"
    r"went away|goes away|is lost|were lost|was lost|had an outage|has an outage)"
)
_IS_HIT = re.compile(
    r"^(?P<lead>\W*)(?:is|are)\s+(?P<a>.+?)\s+(?:(?:affected|impacted|hit|hurt)(?:\s+too|\s+as well)?\s+(?:if|when)\s+(?P<b>.+?)\s+"
    + _FAILED
    + r"|(?:in|inside|within|part of)\s+(?:the\s+)?(?:blast radius|fallout|impact radius)\s+(?:of|from)\s+(?P<c>.+?))\s*(?P<end>\W*)$",
    re.I,
)
"""'Is A affected if B dies?', 'is A in the blast radius of B?': the same question as 'would A go down if B died?'."""


def _padded(word: str, m: re.Match[str]) -> str:
    out = m.expand(word) if "\\" in word else word
    return out.ljust(len(m.group(0)))


def _sub_all(text: str, table: Sequence[tuple[re.Pattern[str], str]]) -> str:
    for pattern, word in table:
        text = pattern.sub(functools.partial(_padded, word), text)
    return text


def plain_impact_phrases(text: str) -> str:
    """`text` with the everyday impact and dependency phrasings of the module docstring reworded (padded where the
    new words are shorter). Idempotent: a reworded text is left as it is."""
    text = _sub_all(would_as_depends(text), ALWAYS)
    framed = bool(_FRAME.search(text) or FAILURE.search(text))
    if framed:
        text = _sub_all(text, IN_FRAME)
    else:
        for hit in (_HITS, _HIT):
            text = hit.sub(lambda h: h.group(1) + ("calls" if h.group(2).lower().endswith("s") else "call").ljust(len(h.group(2))), text)
    return text


def would_as_depends(text: str) -> str:
    """ "Would A go down if B died?" written "does A depend on B indirectly?" (a yes/no between two entities, read before
    the question's shape); otherwise `text` unchanged."""
    m = _WOULD.match(text)
    if m is None:
        hit = _IS_HIT.match(text)
        if hit is None:
            return text
        b = hit.group("b") or hit.group("c")
        return f"{hit.group('lead')}does {hit.group('a')} depend on {b} indirectly{hit.group('end') or '?'}"
    return f"{m.group('lead')}does {m.group('a')} depend on {m.group('b')} indirectly{m.group('end') or '?'}"


def owner_type(schema: GraphSchema, lexicon: Lexicon) -> str | None:
    """The one node type (not a person) that "owns" the dependency edge's source type: the source of an edge the
    lexicon reads "own" as, reaching that type; None when there is no such type or more than one."""
    deps = [spec for spec in schema.edges.values() if getattr(spec, "dependency", False)]
    if len(deps) != 1:
        return None
    sources = set(deps[0].from_types)
    person = person_type(schema)
    cued = lexicon.edge_cues(["own", "owns", "owner"])
    edges = {e for cues in cued.values() for e in cues if e in schema.edges}
    owners = {t for e in edges for t in schema.edges[e].from_types if t != person and sources & set(schema.edges[e].to_types)}
    return owners.pop() if len(owners) == 1 else None


def whose_as_owners(text: str, schema: GraphSchema, lexicon: Lexicon) -> str:
    """ "Whose services break if X dies?" written "which teams break if X dies?" (the owners of what depends on X), in
    a failure question only, when the schema has one owner type (`owner_type`); otherwise `text` unchanged."""
    m = re.search(r"\bwhose\s+(?:(\w+)\s+)?", text, re.I)
    if m is None or not (FAILURE.search(text) or _FRAME.search(text)):
        return text
    owner = owner_type(schema, lexicon)
    if owner is None:
        return text
    deps = [spec for spec in schema.edges.values() if getattr(spec, "dependency", False)]
    noun = (m.group(1) or "").lower()
    source_words = {f for t in deps[0].from_types for w in type_words(t) for f in (w, plural(w))}
    if noun and noun not in source_words and noun not in ("stuff", "things", "components", "systems", "apps"):
        return text  # "whose pager goes off": not the owners of the dependents
    said = f"which {plural(type_words(owner)[0])} "
    return text[: m.start()] + said + text[m.end() :]


_DEPENDENTS_CLAUSE = re.compile(
    r"\b(?:for|of|behind|owning|owns?|run|runs)\s+(?:the\s+|all\s+(?:the\s+)?|any\s+)?(?:\w+\s+)?\w+\s+(?:that|which|who)\s+(?:\w+\s+){0,2}?"
    r"(?:break|breaks|fail|fails|go down|goes down|would break|will break|depend|depends|are affected|get hit|are hit|"
    r"are impacted|rely|relies|call|calls|use|uses|need|needs)\b",
    re.I,
)


def names_dependents(text: str) -> bool:
    """Whether the question asks about the things that depend on (or fail with) what it names, in a relative clause
    ("on call for the services that break if X dies", "owners of the services that call X"): not about X itself."""
    return bool(_DEPENDENTS_CLAUSE.search(text))
