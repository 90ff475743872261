"""Verified before answered: does a query cover the question it is about to answer?

A reused or generated query can run and return rows that answer another
question ("Who is on call for checkoutservice?" answered by checkout's
dependencies). Before its rows become the answer, `verify_query` checks:

1. **Relations**: every relation word the question uses maps (through the
   schema's lexicon) to an edge type the query walks. The lexicon is built per
   schema from edge type names, the `synonyms` a schema may declare on edge
   types, and a small table of everyday words for common relation names
   ("owner" → OWNS, "on call" → ON_CALL_FOR, "uses/calls/needs" → a
   DEPENDS_ON-like edge).
2. **Properties**: every property the question names ("language",
   "severity", "namespace") is read or compared by the query, or the word is a
   value the query binds ("critical" as `tier = $p1`).
3. **Negation**: a question with "no / not / never / without / nobody" needs
   a query that negates (NOT, IS NULL, a zero count), and a query that negates
   needs such a question.
4. **Numbers**: every number in the question (outside entity names) is in the
   query or its parameters.
5. **Answer type**: "who" wants people (when the relations named can reach a
   person type), "which services" wants Service nodes, "how many" a number or
   a list to count.

Nothing here runs a query; node types of returned ids come from a `NameBook`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opsgraph.rag.render import NameBook, distinct_nodes
from opsgraph.rag.shape import PERSON_HINTS, QuestionShape, type_words
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import TYPE_SYNONYMS

_WORD = re.compile(r"[a-z0-9]+")
_ONCALL = re.compile(r"\bon[- ]?call\b", re.I)
_NEGATION = re.compile(r"\b(no|not|never|without|nobody|none|nothing|neither|nor|lack\w*|unowned|missing)\b|n't\b", re.I)
_QUERY_NEGATION = re.compile(r"\bNOT\b|\bIS\s+NULL\b|=\s*0\b|<\s*1\b|\bsize\s*\([^)]*\)\s*=\s*0", re.I)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?!\w)")
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_PERIODS = f"week|weekend|month|quarter|year|night|shift|sprint|rotation|time|{_DAYS}"
_NOW_PERIODS = "week|weekend|month|quarter|year|sprint"
TIME_QUALIFIER = re.compile(
    rf"\b(yesterday|tomorrow|tonight|(?:last|next|previous|prior|past|coming) (?:{_PERIODS})|this (?:{_NOW_PERIODS})|"
    rf"\d+ (?:minutes?|hours?|days?|weeks?|months?|quarters?|years?) ago|"
    rf"(?:in|over|during|for) the (?:last|past|previous|next) (?:\d+ |few |couple of )?(?:minutes?|hours?|days?|weeks?|months?|quarters?|years?)|"
    rf"on (?:{_DAYS})|(?:in|during|since|before|after) (?:january|february|march|april|may|june|july|august|september|october|november|december)|"
    rf"(?:mon|tues|wednes|thurs|fri|satur|sun)day (?:night|morning|afternoon|evening))\b",
    re.I,
)
"""A time other than now: the graph holds the current state (and incidents' own times), not a history of rotations,
deploys or metrics by date."""
FAILURE = re.compile(
    r"\b(goes down|go down|went down|is down|are down|fails?|failing|failed|breaks?|broke|outage|dies|crash\w*|blast radius|"
    r"(?:is|are|goes|went|becomes?) (?:unavailable|offline|unreachable))\b",
    re.I,
)
"""Words of a failure spreading: the question walks the dependency edge (towards what depends on the failing node)."""
TRANSITIVE = re.compile(
    r"\b(indirect\w*|transitive\w*|through others|through other|eventually|ultimately|all the way|chain|path|paths|route|reach\w*|"
    r"connected|hops?|affected|impacted|impact|blast|cascad\w*|knock-on|ripple)\b",
    re.I,
)
"""Words that ask for a relationship followed through others (besides the failure words)."""
_REACH = re.compile(
    r"\b(?:how (?:do|can|should|would) (?:i|we|you|one) (?:reach|get hold of|get in touch with|talk to|message|ping)|"
    r"(?:what is|what's|what are) the (?:best )?(?:way|ways) to (?:reach|contact|get hold of))\b",
    re.I,
)
"""Asking how to reach someone is asking for their contact properties (the schema may declare `contact` for them)."""
_VARIABLE_LENGTH = re.compile(r"\[[^\]]*\*\s*\d*\s*(?:\.\.\s*\d*)?\s*\]")
_GENERIC = frozenset({"for", "on", "of", "to", "by", "in", "at", "has", "have", "is", "the", "a", "with", "from", "as"})
_SKIP_PROPS = frozenset({"id", "name", "aliases", "alias", "title", "text", "embedding", "kind", "type", "path"})

FILLER = frozenset(
    "a an the of to in on for and or is are was were be been do does did what which who whom whose how many much list show "
    "me us we our my i it its this that these those with from by at as there any all tell give name count number have has "
    "had currently now right please can could would will should more than less fewer over under above below least "
    "exactly between directly indirectly run runs operate exist exists got get".split()
)
"""Words that ask nothing of the graph by themselves (question words, articles, auxiliaries, 'right now')."""

EVERYDAY_RELATION_WORDS: dict[str, tuple[str, ...]] = {
    "depend": ("use", "call", "need", "rely", "consum", "talk", "dependenc", "dependent", "downstream", "upstream", "publish"),
    "own": ("owner", "ownership", "owned", "responsib", "maintain"),
    "oncall": ("page", "pager", "paging", "rota", "rotation", "escalat"),
    "caus": ("cause", "root", "culprit", "trigger"),
    "affect": ("impact", "hit", "degrad"),
    "respond": ("responder", "response", "involv", "handl"),
    "member": ("belong", "join", "part"),
    "runbook": ("playbook", "procedure"),
    "wrote": ("author", "written", "write"),
    "borrow": ("loan", "checkout", "check"),
}
"""Everyday words for relation-name stems; a schema's own `synonyms` add to these."""

EVERYDAY_RELATION_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:look(?:s|ed|ing)? after|(?:take|takes|taking|took) care of)\b", re.I), "maintains"),
)
"""Several-word relation phrases and the everyday relation word they mean ("looks after" is "maintains", an `own`
word); their words alone mean something else ("after" is a time word)."""


def plain_relation_words(text: str) -> str:
    """`text` with each everyday relation phrase replaced by its one word, padded so every offset is kept."""
    for pattern, word in EVERYDAY_RELATION_PHRASES:
        text = pattern.sub(lambda m, w=word: w.ljust(len(m.group(0))), text)
    return text


def type_forms(name: str) -> set[str]:
    """One-word forms of a node type's words ("service", "services", "externalservice"; "people" for Person)."""
    return (
        {f for tw in type_words(name) for f in (tw, tw + "s", tw + "es") if " " not in f}
        | ({"people"} if name.lower() == "person" else set())
        | {w for w in TYPE_SYNONYMS.get(name.lower(), ()) if " " not in w}
    )


def unexplained_words(words: Iterable[str], lexicon: Lexicon, schema: GraphSchema, values: Mapping[str, str] | None = None) -> list[str]:
    """Content words that are no relation, property, type, value of the estate nor filler: what a question asks
    about that the graph does not hold ("TLS certificate", "git commit", "vacation")."""
    types = {f for n in schema.nodes for f in type_forms(n)}
    out = []
    for w in words:
        if len(w) < 3 or w in FILLER or w in types or w.isdigit() or (values and w in values):
            continue
        if lexicon.edge_cues([w]) or lexicon.prop_cues([w]):
            continue
        out.append(w)
    return out


def stem(word: str) -> str:
    """Crude English stem, enough to match "depends"/"depend"/"dependent", "owned"/"owner"/"owns"."""
    w = word.lower()
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "ed", "es", "er", "s", "y"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


def tokens(text: str) -> list[str]:
    """Lower-case word tokens, with "on call"/"on-call" fused into one token `oncall`."""
    return _WORD.findall(_ONCALL.sub(" oncall ", text.lower().replace("e-mail", "email")))


@dataclass(frozen=True)
class Lexicon:
    """Question words (stems) → the schema's edge types and properties they mean."""

    edges: dict[str, frozenset[str]]
    props: dict[str, frozenset[str]]
    phrases: dict[str, frozenset[str]] = field(default_factory=dict)
    """Several-word names of properties ("status page" for `status_page`, a declared "mailing list") → the properties."""

    def phrase_cues(self, text: str) -> tuple[dict[str, frozenset[str]], str]:
        """Property phrases `text` uses (longest first), and `text` with them blanked out."""
        found: dict[str, frozenset[str]] = {}
        text = _REACH.sub(" contact ", text)
        for phrase in sorted(self.phrases, key=len, reverse=True):
            pattern = re.compile(r"\b" + r"[\s_-]+".join(map(re.escape, phrase.split())) + r"s?\b", re.I)
            if pattern.search(text):
                found[phrase] = self.phrases[phrase]
                text = pattern.sub(" ", text)
        return found, text

    def edge_cues(self, words: Iterable[str]) -> dict[str, frozenset[str]]:
        return _cues(self.edges, words)

    def prop_cues(self, words: Iterable[str]) -> dict[str, frozenset[str]]:
        return _cues(self.props, words)


def _cues(table: Mapping[str, frozenset[str]], words: Iterable[str]) -> dict[str, frozenset[str]]:
    """Words found in `table` by themselves, by their stem, or (for keys of five letters or more) by a key they start
    with ("consume" by `consum`, "responsible" by `responsib`)."""
    out = {}
    for w in words:
        hit = table.get(w) or table.get(stem(w)) or next((table[w[: -len(x)]] for x in ("d", "s") if w.endswith(x) and w[: -len(x)] in table), None)
        if not hit and len(w) >= 5:
            hit = next((v for k, v in table.items() if len(k) >= 5 and w.startswith(k)), None)
        if hit:
            out[w] = hit
    return out


def build_lexicon(schema: GraphSchema, *, skip_types: Sequence[str] = ()) -> Lexicon:
    """The lexicon of `schema`: edge name words, declared synonyms, everyday words; property name words."""
    edges: dict[str, set[str]] = {}
    everyday: dict[str, set[str]] = {}  # stem → edges it reaches only through the everyday-word table
    type_stems = {stem(w) for name in schema.nodes for tw in type_words(name) for w in tw.split()}
    for name, spec in schema.edges.items():
        if name in skip_types:
            continue
        upper = name.upper()
        words = ["oncall"] if "ON_CALL" in upper or "ONCALL" in upper else [w for w in name.lower().split("_") if w not in _GENERIC]
        stems = {stem(w) for w in words} or {name.lower()}
        for syn in getattr(spec, "synonyms", None) or []:
            stems |= {stem(w) for w in tokens(str(syn)) if w not in _GENERIC}
        extra = set()
        for s in stems:
            for key, syns in EVERYDAY_RELATION_WORDS.items():
                if s == key or s.startswith(key) or key.startswith(s):
                    extra |= {stem(x) for x in syns} | {key}
        for s in stems | extra:
            edges.setdefault(s, set()).add(name)
        for s in extra - stems:
            everyday.setdefault(s, set()).add(name)
    # A type word ("runbook" in RUNBOOK_FOR, "member" in MEMBER_OF) names a node type too: "which runbooks" asks for
    # nodes of that type and need not walk the edge, so type words are left to the answer-type check.
    for s in list(edges):
        if s in type_stems:
            del edges[s]
    props: dict[str, set[str]] = {}
    phrases: dict[str, set[str]] = {}
    holders = [(spec, False) for n, spec in schema.nodes.items() if n not in skip_types] + [
        (spec, True) for n, spec in schema.edges.items() if n not in skip_types
    ]
    for spec, on_edge in holders:
        for prop, pspec in spec.properties.items():
            if prop in _SKIP_PROPS:
                continue
            parts = [w for w in prop.lower().split("_") if w]
            if len(parts) > 1:
                phrases.setdefault(" ".join(parts), set()).add(prop)
            elif not on_edge and stem(parts[0]) in edges and edges[stem(parts[0])] <= everyday.get(stem(parts[0]), set()):
                # A property the schema names ("trigger" of an incident) beats an everyday word for a relation
                # ("trigger" as a word for CAUSED_BY): "What triggered INC-7?" asks for the property.
                del edges[stem(parts[0])]
            for syn in getattr(pspec, "synonyms", None) or []:
                syn_words = tokens(str(syn))
                if len(syn_words) > 1:
                    phrases.setdefault(" ".join(syn_words), set()).add(prop)
                elif syn_words and syn_words[0] not in FILLER:
                    props.setdefault(stem(syn_words[0]), set()).add(prop)
            for w in prop.lower().split("_"):
                if w in _GENERIC or len(w) < 3 or w in _SKIP_PROPS:
                    continue
                if stem(w) in type_stems:
                    continue
                props.setdefault(stem(w), set()).add(prop)
    # A word that names a relation is checked as a relation, not as a property ("role" of MEMBER_OF is both).
    return Lexicon(
        {k: frozenset(v) for k, v in edges.items()},
        {k: frozenset(v) for k, v in props.items() if k not in edges},
        {k: frozenset(v) for k, v in phrases.items()},
    )


@dataclass
class Verdict:
    """Whether a query may answer a question, and why not."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    cues: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reasons": self.reasons, **self.cues}


def query_edges(cypher: str, schema: GraphSchema) -> set[str]:
    return {e for e in schema.edges if re.search(rf"[:|]\s*{re.escape(e)}\b", cypher)}


def query_props(cypher: str) -> set[str]:
    return set(re.findall(r"\.\s*([A-Za-z_]\w*)", cypher)) | set(re.findall(r"\{\s*([A-Za-z_]\w*)\s*:", cypher)) | set(
        re.findall(r",\s*([A-Za-z_]\w*)\s*:", cypher)
    )


def _values(cypher: str, params: Mapping[str, Any]) -> str:
    literals = " ".join(a or b for a, b in re.findall(r"'([^']*)'|\"([^\"]*)\"", cypher))
    return (literals + " " + " ".join(str(v) for v in params.values())).lower()


def schema_prop_is_time(schema: GraphSchema, prop: str) -> bool:
    """Whether some node or edge type holds `prop` as a date or time."""
    specs = [*schema.nodes.values(), *schema.edges.values()]
    return any(prop in spec.properties and spec.properties[prop].type.value in ("datetime", "date", "time") for spec in specs)


def person_types(schema: GraphSchema) -> set[str]:
    return {n for n in schema.nodes if any(h in n.lower() for h in PERSON_HINTS)}


def verify_query(
    question: str,
    shape: QuestionShape,
    cypher: str,
    params: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    *,
    schema: GraphSchema,
    lexicon: Lexicon,
    names: NameBook,
    entity_surfaces: Sequence[str] = (),
    known_values: Mapping[str, str] | None = None,
    entity_ids: Sequence[str] = (),
) -> Verdict:
    """Check that `cypher` (run with `params`, giving `rows`) covers `question`; see the module docstring.
    `entity_ids`: the nodes the question names (linked); each must be bound in the query."""
    reasons: list[str] = []
    bound = {str(v) for v in params.values() if isinstance(v, str | int)} | {str(x) for v in params.values() if isinstance(v, list | tuple) for x in v}
    for node in dict.fromkeys(entity_ids):
        if node not in bound and not re.search(rf"['\"]{re.escape(node)}['\"]", cypher):
            # "Will the frontend break if the ad service is down?" answered by the frontend's dependencies alone.
            reasons.append(f"the question names {node}; the query does not use it")
    masked = question
    for surface in sorted(entity_surfaces, key=len, reverse=True):
        if surface:
            masked = re.sub(re.escape(surface), " ", masked, flags=re.I)
    phrase_cues, masked = lexicon.phrase_cues(masked)
    words = tokens(masked)
    used_edges = query_edges(cypher, schema)
    used_props = query_props(cypher)
    values = _values(cypher, params)
    for phrase, wanted in phrase_cues.items():
        if not wanted & used_props:
            reasons.append(f"'{phrase}' names {'/'.join(sorted(wanted))}, which the query does not read")
    edge_cues = lexicon.edge_cues(words)
    for word, wanted in edge_cues.items():
        if not wanted & used_edges and stem(word) not in values:
            reasons.append(f"'{word}' means {'/'.join(sorted(wanted))}, which the query does not use")
    wanted_forms = type_forms(shape.wants_type) if shape.wants_type else set()
    # "What external vendors does X call?": 'vendors' names the type asked for, not the `vendor` property.
    prop_cues = lexicon.prop_cues(w for w in words if w not in edge_cues and w not in wanted_forms)
    for word, wanted in prop_cues.items():
        if not wanted & used_props and word not in values and stem(word) not in values:
            reasons.append(f"'{word}' names {'/'.join(sorted(wanted))}, which the query does not read")
    negated_q = bool(_NEGATION.search(masked))
    negated_c = bool(_QUERY_NEGATION.search(cypher))
    if negated_q and not negated_c:
        reasons.append("the question negates (no/not/never/without) but the query does not")
    elif negated_c and not negated_q:
        reasons.append("the query negates but the question does not")
    hops = len(re.findall(r"-\[", cypher))
    mentions = sum(1 for w in words if lexicon.edge_cues([w]))
    if mentions > hops:
        reasons.append(f"the question names {mentions} relationships; the query walks {hops}")
    if hops > mentions + 1:
        # One bridge through the schema is fine (services → owning team → people on call); more walks relations
        # the question never named ("Who wrote X?" answered through who borrowed what).
        reasons.append(f"the query walks {hops} relationships; the question names {mentions}")
    for edge in sorted(used_edges):
        walked = len(re.findall(rf"[:|]\s*{re.escape(edge)}\b(?!\s*\*)", cypher))
        named = sum(1 for es in edge_cues.values() if edge in es)
        if walked > 1 and walked > named:
            # "What is affected if X goes down?" answered by incidents that affected X and what else they affected.
            reasons.append(f"the query walks {edge} {walked} times; the question names it {named} time(s)")
    if _VARIABLE_LENGTH.search(cypher) and not FAILURE.search(masked) and not TRANSITIVE.search(masked):
        # "What is upstream of X?" asks for X's direct callers; a walk through others answers a bigger question.
        reasons.append("the query follows a relationship through other nodes (a variable-length walk); the question asks for direct ones")
    if FAILURE.search(masked):
        dependency = {e for e, spec in schema.edges.items() if getattr(spec, "dependency", False)}
        if dependency and not dependency & used_edges:
            reasons.append(f"the question is about a failure spreading ({FAILURE.search(masked).group(0)!r}), which walks {'/'.join(sorted(dependency))}; the query does not")  # type: ignore[union-attr]
    for value in _named_values(masked, known_values):
        if value.lower() not in values:
            reasons.append(f"'{value}' is a value in the estate the query does not use")
    for number in _NUMBER.findall(masked):
        if number not in cypher and not any(_same_number(number, v) for v in params.values()):
            reasons.append(f"the question's number {number} is not in the query")
    unexplained = unexplained_words(tokens(FAILURE.sub(" ", masked)), lexicon, schema, known_values)
    if len(unexplained) > 1:
        reasons.append(f"the question asks about {', '.join(repr(w) for w in unexplained)}, which the graph does not hold")
    if TIME_QUALIFIER.search(masked) and not any(schema_prop_is_time(schema, p) for p in used_props):
        reasons.append(f"the question asks about a time ({TIME_QUALIFIER.search(masked).group(0)!r}); the query reads no time")  # type: ignore[union-attr]
    reasons += _type_reasons(shape, rows, names, schema, edge_cues)
    cues = {
        "relation_words": {w: sorted(e) for w, e in edge_cues.items()},
        "property_words": {w: sorted(p) for w, p in prop_cues.items()},
        "query_edges": sorted(used_edges),
        "shape": shape.shape,
        "wants": shape.wants_type,
    }
    return Verdict(not reasons, reasons, cues)


def _named_values(text: str, known: Mapping[str, str] | None) -> list[str]:
    """Values of the estate's indexed properties the question names ("sev1", "Go"): short ones only as written."""
    if not known:
        return []
    out = []
    for m in re.finditer(r"[A-Za-z0-9][A-Za-z0-9+#.-]*", text):
        word = m.group(0).rstrip(".")
        original = known.get(word.lower())
        if original is None:
            continue
        if len(original) <= 3 and word != original:
            continue
        out.append(original)
    return list(dict.fromkeys(out))


def _same_number(number: str, value: Any) -> bool:
    try:
        return float(number) == float(value)
    except (TypeError, ValueError):
        return False


def _type_reasons(
    shape: QuestionShape, rows: Sequence[Mapping[str, Any]], names: NameBook, schema: GraphSchema, edge_cues: Mapping[str, frozenset[str]]
) -> list[str]:
    nodes = distinct_nodes(rows, names)
    single = next(iter(rows[0].values())) if len(rows) == 1 and len(rows[0]) == 1 else None
    numeric = isinstance(single, int | float) and not isinstance(single, bool)
    if shape.wants_number:
        kinds = {names.type_of(n) for n in nodes}
        if nodes and shape.wants_type is not None and kinds != {shape.wants_type}:
            return [f"{shape.wants_type} nodes were to be counted; the query returns {_kinds(kinds, nodes)}"]
        if numeric or nodes:
            return []
        return ["a number was asked for; the query returns neither a number nor nodes to count"]
    if numeric and shape.shape in ("list", "person", "page") and shape.wants_type is not None:
        return [f"{shape.wants_type} nodes were asked for; the query returns a number"]
    types = {names.type_of(n) for n in nodes}
    if shape.wants_value and nodes:
        return [f"a value was asked for ('{shape.reason}'); the query returns {_kinds(types, nodes)}"]
    if shape.shape in ("person", "page"):
        people = person_types(schema)
        reachable = {t for e in (x for s in edge_cues.values() for x in s) for t in (*schema.edges[e].from_types, *schema.edges[e].to_types)}
        if people and (not edge_cues or reachable & people):
            if not nodes or not types <= people:
                return [f"'who' asks for people ({'/'.join(sorted(people))}); the query returns {_kinds(types, nodes)}"]
        if edge_cues and nodes and not types <= reachable:
            # "Who owns redis-cart?" asks for the owner (a team): people reached through a further edge are not it.
            return [f"'who' with {'/'.join(sorted({e for s in edge_cues.values() for e in s}))} asks for {'/'.join(sorted(reachable))}; the query returns {_kinds(types, nodes)}"]
        return []
    if shape.wants_type is not None and shape.shape in ("list", "count", "yesno", "path"):
        if not nodes or types != {shape.wants_type}:
            return [f"{shape.wants_type} nodes were asked for; the query returns {_kinds(types, nodes)}"]
    return []


def _kinds(types: set[str | None], nodes: list[str]) -> str:
    if not nodes:
        return "values, not nodes"
    return "/".join(sorted(t or "?" for t in types)) + " nodes"
