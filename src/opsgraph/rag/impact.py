"""Impact and dependency questions in on-call words: what a failure takes down, up/downstream, does A need B.

On-call engineers ask about the dependency edge (the schema's edge with
`dependency: true`) in many words: "if kafka dies who is impacted?", "what sits
downstream of the frontend?", "what are the upstream callers of the cart
service?", "is the catalog service a dependency of checkout?", "how does the
frontend reach the orders db?". `compose.py` builds one-step queries from one
entity and one relation word; this module adds, for the dependency edge only:

- `plain_impact_words`: a small ops vocabulary read as the words the lexicon
  already knows, padded so offsets keep: a failure ("falls over", "crashes",
  "is unreachable", "being slow" in a conditional or impact question) is
  "fails", what a failure does ("take down", "knock-on effects", "gets hurt",
  "stops working", "fallout") is "affected", "callees" are "dependencies", and
  "to work" after "need" asks nothing more. Each is a word a reverse
  dependency walk explains (`explained.py`), so no word is dropped unexplained;
- direction words: upstream of X / X's callers, consumers, dependents (what
  depends on X) and downstream of X / X's callees, dependencies (what X
  depends on); "upstream"/"downstream" alone follow the edge through others, a
  relation word with them ("upstream callers") one step, "directly" one step;
- a generic noun naming several entities (a value the dependency's end type
  holds: "redis" is every Datastore with engine redis, "kafka" every Queue on
  broker kafka, "the databases" every Datastore of role database): the query
  covers every one of them, and each row says through which ones (`via`);
- two entities named: "does A depend on B" / "is B a dependency of A" (yes/no;
  yes shows the chain) and "how does A reach B" (the shortest chain).

Like `compose`, the query built must explain every content word of the
question (`unexplained_words`); what is left is named in `refusals`. It builds
text only; it runs nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

from opsgraph.rag.compose import SPREAD_HOPS, Anchor, Composed, ValueHit
from opsgraph.rag.explained import QueryFacts, unexplained_words, unknown_words
from opsgraph.rag.impact_phrases import plain_impact_phrases
from opsgraph.rag.lexicon import FAILURE, TRANSITIVE, Lexicon, inflections, tokens, type_forms
from opsgraph.rag.shape import QuestionShape, person_type, type_words
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import plural

_FRAME = re.compile(
    r"\b(if|when|whenever|once|should|were to|would|impact\w*|blast|fallout|knock\w*|effects?|take\w* down|took down|"
    r"outages?|hurt|affected|hit|breaks?)\b",
    re.I,
)
"""A conditional or impact question: only there is "slow" or "unavailable" a failure to spread ("which services are
slow?" asks for telemetry, not for dependents)."""

IMPACT_VOCABULARY: tuple[tuple[re.Pattern[str], str], ...] = (
    # What a failure does to the nodes that depend on the failing one: read as "affected".
    (re.compile(r"\b(?:gets?|got|getting|be|been) (?:hurt|harmed|hit)\b|\bhurt\b|\bharmed\b", re.I), "affected"),
    (re.compile(r"\b(?:take|takes|taking|took|bring|brings|bringing|brought|knock|knocks|knocked) (?:down|out|offline)\b", re.I), "affected"),
    (re.compile(r"\bknock[- ]on(?: effects?| impact)?\b|\bfallout\b|\bripple effects?\b", re.I), "affected"),
    (re.compile(r"\b(?:stops?|stopped|stopping|cease[sd]?) working\b", re.I), "affected"),
    (re.compile(r"\b(?:happens?|happened|would notice|notices?|noticed)\b", re.I), "affected"),
)
"""Ops words for what a failure does to what depends on the failing node, and the word the lexicon knows for it."""

FAILURE_VOCABULARY: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:falls?|fell|falling) over\b|\b(?:dies|died|dying|die)\b|\bcrash(?:es|ed|ing)?\b", re.I), "fails"),
    (re.compile(r"\b(?:is|are|goes|go|went|gets?|got|being|becomes?) (?:slow|degraded|flaky|offline|unavailable|unreachable|dead|away)\b", re.I), "fails"),
    (re.compile(r"\bslows? down\b|\b(?:unavailable|unreachable|offline)\b", re.I), "fails"),
    (re.compile(r"\b(?:failures?|disruptions?)\b", re.I), "fails"),
    (re.compile(r"\b(?:disappear\w*|vanish\w*|goes missing|went missing)\b", re.I), "fails"),
)
"""Ops words for a node failing, read as "fails" (a `FAILURE` word) only in a conditional or impact question."""

SYMPTOM_VOCABULARY: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bconsumer lag(?:s|ging)?\b|\blag(?:s|ging|ged)(?: behind)?\b|\blag\b(?=\s*[?,.;:!]|\s*$)", re.I), "fails"),
    (re.compile(r"\b(?:disks?|volumes?|storage)\s+(?:is\s+|are\s+)?(?:full|filling(?: up)?|filled up|running out)\b", re.I), "fails"),
    (re.compile(r"\b(?:runs?|running|ran) out of (?:memory|disk|space|connections|capacity)\b", re.I), "fails"),
    (re.compile(
        r"\b(?:is |are |keeps? |started |starts? )?(?:having|has|had|seeing|showing|throwing|returning|hitting)\s+"
        r"(?:(?:a|an|some|lots of|many|more|high|elevated|huge|big|major)\s+)*"
        r"(?:issues?|problems?|trouble|errors?|5xxs?|500s|timeouts?|latency|failures?|exceptions?|hiccups?)\b", re.I), "fails"),
    (re.compile(
        r"\b(?:oom(?:ing|ed|s|killed|-killed)?|out of memory|crash[- ]?loop\w*|flapping|timing out|times out|erroring(?: out)?|"
        r"overloaded|saturated|throttl(?:ed|ing)|hanging|melting(?: down)?|on fire|acting up|misbehaving|unhealthy|"
        r"latency spikes?|high latency|struggling|hosed|borked|wedged)\b", re.I), "fails"),
)
"""Symptoms of a node failing, read as "fails" like `FAILURE_VOCABULARY` and only in a conditional or impact question
("which services are throwing errors?" asks for telemetry): how a node fails does not change what depends on it
("the ledger db disk filling up, what's the impact?" asks what a failure of the ledger db affects). A symptom may also
have a runbook whose section says what it does (`symptom_named`).
"""


def symptom_named(text: str) -> bool:
    """Whether an impact question names how the node fails (a `SYMPTOM_VOCABULARY` phrase)."""
    return bool(_FRAME.search(text) or FAILURE.search(text)) and any(p.search(text) for p, _ in SYMPTOM_VOCABULARY)


DEPENDENCY_VOCABULARY: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\brequir(?:es|ed|ing|e)\b", re.I), "needs"),
    (re.compile(r"\b(?:is|are|was|were)( directly| indirectly)? dependent (?:up)?on\b", re.I), "\\1 depends on"),
    (re.compile(r"\bdependent (?:up)?on\b", re.I), "depending on"),
    (re.compile(r"\bcallees\b", re.I), "dependencies"),
    (re.compile(r"\bcallee\b", re.I), "dependency"),
    (re.compile(r"\b(?:sits?|sitting|lies|lie|lives?|living|located|placed)\b(?=\s+(?:directly\s+|immediately\s+)?(?:up|down)stream\b)", re.I), ""),
    (re.compile(r"\b((?:need|needs|require|requires|rely on|relies on|depend on|depends on)\b.{0,60}?)\bto (?:work|function|run|operate|start|stay up|keep working|be up|serve traffic)\b", re.I), "\\1"),
)
"""Dependency wording: what X "requires" it needs, what X "is dependent on" it depends on (not its dependents),
"callees" are dependencies; where a node "sits" up- or downstream says only the direction; what X "needs to work" is
what X needs."""

WHOLE_CHAIN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\ball of (?:it|them)\b|\bthe whole (?:chain|tree)\b|\ball the way down\b", re.I), "indirectly"),
)
"""The chain followed through others, in words ("all of it", "the whole tree"), when "directly" is not asked."""

_UP = re.compile(r"\bupstream\b", re.I)
_DOWN = re.compile(r"\bdownstream\b", re.I)
_DEPENDENTS = re.compile(r"\b(?:callers?|clients?|consumers?|dependents?|users)\b", re.I)
_DEPENDENCIES = re.compile(r"\bdependenc(?:y|ies)\b", re.I)
_DIRECT = re.compile(r"\b(?:directly|direct|immediate|immediately|one hop|first-level)\b", re.I)
_THROUGH = re.compile(r"\b(?:indirect\w*|transitive\w*|through others|eventually|ultimately|all the way|everything|all of it)\b", re.I)
_VERB = re.compile(r"\b(?:depend\w*|rel(?:y|ies|ied|ying)|need\w*|requir\w*|call\w*|use[sd]?|using|talk\w*|consum\w*|publish\w*)\b", re.I)
_PASSIVE_OF = re.compile(r"\b(?:dependenc(?:y|ies)|requirements?)\s+(?:of|for)\s+(?:the\s+)?$", re.I)
"""Between the two entities: "B (is) a dependency of A" names the source second."""
_BY = re.compile(r"\b(?:used|needed|required|called|consumed|relied on|depended on)\s+by\s+(?:the\s+)?$", re.I)


def _sub_all(text: str, table: Sequence[tuple[re.Pattern[str], str]]) -> str:
    for pattern, word in table:
        text = pattern.sub(functools.partial(_padded, word), text)
    return text


def _padded(word: str, m: re.Match[str]) -> str:
    out = m.expand(word) if "\\" in word else word
    return out.ljust(len(m.group(0)))


def plain_impact_words(text: str) -> str:
    """`text` with the ops vocabulary of failure, impact and dependency read as the words the lexicon knows (see the
    module docstring); failure words only in a conditional or impact question. "Upstream"/"downstream" with no
    relation word and no "directly" is a position in the chain: read as followed through others ("indirectly")."""
    text = plain_impact_phrases(text)  # more everyday phrasings (`impact_phrases.py`)
    text = _sub_all(text, DEPENDENCY_VOCABULARY)
    if not _DIRECT.search(text):
        # "all of it" is the chain through others, unless the question asks for the direct ones ("directly - all of it
        # please" asks for every direct one).
        text = _sub_all(text, WHOLE_CHAIN)
    if not (_VERB.search(text) or _DIRECT.search(text) or _DEPENDENTS.search(text) or _DEPENDENCIES.search(text) or _THROUGH.search(text)):
        text = re.sub(r"\b(up|down)stream\b", r"\1stream indirectly", text, count=1, flags=re.I)
    if _FRAME.search(text) or FAILURE.search(text):
        text = _sub_all(text, IMPACT_VOCABULARY)
        text = _sub_all(text, FAILURE_VOCABULARY)
        text = _sub_all(text, SYMPTOM_VOCABULARY)
    return text


def dependency_edge(schema: GraphSchema, present_edges: Sequence[str] | None = None) -> str | None:
    """The schema's one dependency edge type (`dependency: true`) the store holds, or None."""
    found = [e for e, spec in schema.edges.items() if getattr(spec, "dependency", False) and (present_edges is None or e in present_edges)]
    return found[0] if len(found) == 1 else None


def generic_targets(
    words: Sequence[str], schema: GraphSchema, edge: str, values: Mapping[str, Sequence[ValueHit]]
) -> tuple[list[str], list[ValueHit]]:
    """Words naming a value of a node type the dependency edge reaches ("redis": Datastore.engine, "databases":
    Datastore.role): (the words, the value hits), one node type and property between them; else ([], [])."""
    ends = set(schema.edges[edge].to_types)
    named_types = {n for n in schema.nodes if any(w in type_forms(n) for w in words)}
    found: list[tuple[str, list[ValueHit]]] = []
    for w in words:
        hits = next((list(values[k]) for k in inflections(w) if k in values), [])
        if not hits and len(w) >= 5:
            # "postgres" for the value 'postgresql': a word that begins exactly one value of the end types.
            longer = {k for k, hs in values.items() if k.startswith(w) and any(not h.on_edge and h.owner in ends for h in hs)}
            hits = list(values[longer.pop()]) if len(longer) == 1 else []
        hits = [h for h in hits if not h.on_edge and h.owner in ends and (not named_types & ends or h.owner in named_types)]
        if hits:
            found.append((w, hits))
    # One node type; each word one property of it ("a postgres database": engine and role, both filtered on).
    if len({h.owner for _, hs in found for h in hs}) != 1 or any(len({h.prop for h in hs}) != 1 for _, hs in found):
        return [], []
    return [w for w, _ in found], [h for _, hs in found for h in hs]


def impact(
    question: str,
    shape: QuestionShape,
    anchors: Sequence[Anchor],
    surfaces: Sequence[str],
    *,
    schema: GraphSchema,
    lexicon: Lexicon,
    values: Mapping[str, Sequence[ValueHit]],
    present_edges: Sequence[str] | None = None,
    refusals: list[str] | None = None,
) -> Composed | None:
    """The dependency query `question` asks for in impact or direction words, or None (see the module docstring).
    `question` is read through `plain_impact_words` first; a query leaving a word unexplained is refused (why goes to
    `refusals`)."""
    edge = dependency_edge(schema, present_edges)
    if edge is None or shape.shape == "risk" or shape.wants_value:
        return None
    question = plain_impact_words(question)
    masked = question
    for surface in sorted(surfaces, key=len, reverse=True):
        if surface:
            masked = re.sub(re.escape(surface), " ", masked, flags=re.I)
    froms, tos = list(schema.edges[edge].from_types), list(schema.edges[edge].to_types)
    ids = list(dict.fromkeys(a.node_id for a in anchors))
    if len(ids) == 2 and shape.shape in ("yesno", "path"):
        built = _between(question, masked, shape, anchors, edge, froms, tos)
    elif len(ids) <= 1:
        built = _around(question, masked, shape, anchors[0] if ids else None, edge, froms, tos, schema, values)
    else:
        built = None
    if built is None:
        return None
    value_words = {w: [h.value for h in hs] for w, hs in values.items()}
    if built.parts.get("generic_words"):
        value_words |= {w: list(built.parts["generic"]) for w in built.parts["generic_words"]}  # type: ignore[union-attr,call-overload]
    left = unexplained_words(question, QueryFacts.of(built.cypher, built.params, schema), schema, lexicon=lexicon, surfaces=surfaces, values=value_words)
    if left:
        if refusals is not None:
            refusals.append(f"the dependency query {built.cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}")
        return None
    return built


def asks_impact(question: str) -> bool:
    """Whether `question` (read through `plain_impact_words`) asks what a failure spreads to: a failure word, or an
    impact word in a conditional or impact question."""
    return _direction(plain_impact_words(question))[0] == "dependents" and bool(FAILURE.search(plain_impact_words(question)))


def failing_unknown(question: str, lexicon: Lexicon, schema: GraphSchema, values: Mapping[str, object]) -> list[str]:
    """Words of a failure question (read through `plain_impact_words`) that the schema has no meaning for: what fails
    when it is nothing the graph holds ("a load balancer failure": 'balancer')."""
    return unknown_words(tokens(FAILURE.sub(" ", question)), lexicon, schema, values)


def generic_noun(node_type: str) -> str:
    """The plural of a node type's words, for an answer's header ("services")."""
    return plural(type_words(node_type)[0])


def _direction(masked: str) -> tuple[str | None, bool | None]:
    """('dependents' | 'dependencies' | None, transitive?) from the question's failure, impact and direction words."""
    failing = bool(FAILURE.search(masked)) or bool(re.search(r"\b(?:affected|impacted|impact|blast radius|hit)\b", masked, re.I) and _FRAME.search(masked))
    up, down = bool(_UP.search(masked)), bool(_DOWN.search(masked))
    dependents, dependencies = bool(_DEPENDENTS.search(masked)), bool(_DEPENDENCIES.search(masked))
    ways = {w for w, on in (("dependents", failing or up or dependents), ("dependencies", down or dependencies)) if on}
    if len(ways) != 1:
        return None, None
    way = ways.pop()
    if _DIRECT.search(masked):
        return way, False
    if failing or _THROUGH.search(masked) or TRANSITIVE.search(re.sub(r"\b(?:up|down)stream\b", " ", masked)):
        return way, True
    if up or down:
        # "what sits downstream of X": the position follows the edge through others; "upstream callers" one step.
        return way, not (_VERB.search(masked) or dependents or dependencies)
    return way, False


def _around(
    question: str, masked: str, shape: QuestionShape, anchor: Anchor | None, edge: str, froms: list[str], tos: list[str],
    schema: GraphSchema, values: Mapping[str, Sequence[ValueHit]],
) -> Composed | None:  # fmt: skip
    """What depends on (or what is depended on by) the one entity named, or every entity a generic noun names."""
    way, transitive = _direction(masked)
    if way is None:
        return None
    generic: list[ValueHit] = []
    generic_words: list[str] = []
    if anchor is None:
        if way != "dependents":
            return None  # "what is downstream of redis" names no one source to walk from
        generic_words, generic = generic_targets(tokens(masked), schema, edge, values)
        if not generic:
            return None
        a_type = generic[0].owner
    else:
        a_type = anchor.node_type
        if (way == "dependents" and a_type not in tos) or (way == "dependencies" and a_type not in froms):
            return None
    want = shape.wants_type
    person = person_type(schema)
    ends = froms if way == "dependents" else tos
    if want is not None and want == person and person not in ends:
        want = None  # "who is impacted": the components that depend on it (a team or person is another question)
    if want is not None and want not in ends:
        return None  # "which teams are affected": `compose` bridges through ownership
    target = want if want is not None else (ends[0] if len(ends) == 1 else "")
    label = f":{target}" if target else ""
    rel = f"[:{edge}*1..{SPREAD_HOPS}]" if transitive else f"[:{edge}]"
    params: dict[str, object] = {}
    filters: dict[str, list[str]] = {}
    if generic:
        for h in generic:
            filters.setdefault(h.prop, [])
            if h.value not in filters[h.prop]:
                filters[h.prop].append(h.value)
        names = {p: "generic" if i == 0 else f"generic_{p}" for i, p in enumerate(filters)}
        params |= {names[p]: sorted(v) for p, v in filters.items()}
        a = f"(a:{a_type})"
        where = " WHERE " + " AND ".join(f"a.{p} IN ${names[p]}" for p in filters)
    else:
        assert anchor is not None
        params["anchor"] = anchor.node_id
        a = f"(a:{a_type} {{id: $anchor}})"
        where = ""
    match = f"MATCH (x{label})-{rel}->{a}" if way == "dependents" else f"MATCH {a}-{rel}->(x{label})"
    kinds = [target] if target else ends
    name_props = list(dict.fromkeys(p for t in kinds if t in schema.nodes for p in [schema.nodes[t].name_property] if p and p != "id"))
    name = f", x.{name_props[0]} AS name" if len(name_props) == 1 else f", coalesce({', '.join(f'x.{p}' for p in name_props)}) AS name" if name_props else ""
    if shape.wants_number:
        ret = "RETURN count(DISTINCT x) AS n"
    elif generic:
        ret = f"RETURN x.id AS id{name}, collect(DISTINCT a.id) AS via ORDER BY id"
    else:
        ret = f"RETURN DISTINCT x.id AS id{name} ORDER BY id"
    cypher = f"{match}{where} {ret}"
    one_of = bool(generic) and _names_one(masked, generic_words, generic, schema)
    candidates = f"MATCH {a}{where} RETURN a.id AS id ORDER BY id" if generic else None
    parts = {"anchor": anchor.node_id if anchor else None, "edge": edge, "forward": way == "dependencies", "target": target or None,
             "one_of": one_of, "candidates": candidates,
             "transitive": transitive, "generic": sorted({h.value for h in generic}) or None, "generic_filters": filters, "generic_words": generic_words, "filters": {}, "negated": False}  # fmt: skip
    return Composed(cypher, params, parts)


def _names_one(masked: str, words: Sequence[str], generic: Sequence[ValueHit], schema: GraphSchema) -> bool:
    """Whether a generic word is said of one entity: "the database", "the redis", "the kafka topic" (the value itself,
    singular, after "the"), not "redis", "the databases", "the kafka topics" or "a postgres database" (any of them)."""
    forms = {f for n in schema.nodes for f in type_forms(n)}
    stored = {h.value.lower() for h in generic}
    for w in words:
        m = re.search(rf"\bthe\s+(?:\w+\s+)?{re.escape(w)}\b(?:\s+(\w+))?", masked, re.I)
        if m is None or not (w in stored or any(v.startswith(w) for v in stored)):
            continue  # no "the", or a plural ("the databases" names the value 'database' by an inflection)
        after = (m.group(1) or "").lower()
        if after in forms and after.endswith("s") and after[:-1] in forms:
            continue  # "the kafka topics"
        return True
    return False


def _between(question: str, masked: str, shape: QuestionShape, anchors: Sequence[Anchor], edge: str, froms: list[str], tos: list[str]) -> Composed | None:
    """"Does A depend on B?", "Is B a dependency of A?", "How does A reach B?": the shortest chain from the source to
    the target (one step when the question says "directly")."""
    first, second = sorted({a.node_id: a for a in anchors}.values(), key=lambda a: a.start)
    rel_at = [m.start() for m in re.finditer(_VERB.pattern + r"|\breach\w*|\bdependenc\w*", question, re.I)]
    if shape.shape == "yesno" and not rel_at:
        return None
    src, dst = first, second
    between = question[first.start : second.start]
    if _PASSIVE_OF.search(between) or _BY.search(between):
        src, dst = second, first  # "is B a dependency of A", "is B used by A"
    if src.node_type not in froms or dst.node_type not in tos:
        return None
    rel = f"[:{edge}]" if _DIRECT.search(masked) else f"[:{edge}*1..{SPREAD_HOPS}]"
    cypher = (
        f"MATCH p = (a:{src.node_type} {{id: $source}})-{rel}->(b:{dst.node_type} {{id: $target}}) "
        f"WITH p ORDER BY length(p) LIMIT 1 UNWIND nodes(p) AS n RETURN n.id AS id"
    )
    parts = {"anchor": src.node_id, "target_id": dst.node_id, "edge": edge, "forward": True, "between": True, "filters": {}, "negated": False}
    return Composed(cypher, {"source": src.node_id, "target": dst.node_id}, parts)
