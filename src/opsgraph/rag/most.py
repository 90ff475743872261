"""Which nodes have the most of a relation: "which team owns the most components?", "who responded to the most incidents?".

A superlative over a relation is a count per node and the nodes with the
largest count (all of them when several tie). It is built from the one-step
query `compose.py` builds for the question without "the most" (and without the
type word that follows it, which labels the counted end instead):

    which team owns the most services  →  which team owns       → (x:Team)-[:OWNS]->()
                                        →  (x:Team)-[:OWNS]->(y:Service), count(DISTINCT y) per x, the largest kept

The counted end must be one the edge reaches from the wanted type; with no
relation word, the one edge type that joins the two types named (an incident
of a component is one that affected it: the schema's `incidents.affected`).
Where the direction cannot be read ("which service is depended on by the most
services", "dependents"), nothing is built. The built query must still
explain every word of the question (`explained.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from opsgraph.rag.compose import Anchor, Composed, ValueHit, compose
from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.lexicon import Lexicon, type_forms
from opsgraph.rag.shape import QuestionShape
from opsgraph.schema import GraphSchema

_MOST = re.compile(r"\bthe\s+most\b(?:\s+([A-Za-z]+))?", re.I)
_OTHER_SUPERLATIVE = re.compile(
    r"\b(most|least|fewest|highest|lowest|largest|smallest|biggest|longest|shortest|top|latest|last|first|newest|oldest|average|total|per|each)\b", re.I
)
_UNREADABLE_DIRECTION = re.compile(r"\b(by|dependents?|upstream|downstream)\b", re.I)
_RETURN = re.compile(r"\s+RETURN DISTINCT x\.id AS id(?P<name>.*?) ORDER BY id$")


def compose_most(
    question: str,
    shape: QuestionShape,
    anchors: Sequence[Anchor],
    *,
    schema: GraphSchema,
    lexicon: Lexicon,
    values: Mapping[str, Sequence[ValueHit]],
    present_edges: Sequence[str] | None = None,
    refusals: list[str] | None = None,
) -> Composed | None:
    """The "which X has the most Y" query of `question`, or None (see the module docstring)."""
    m = _MOST.search(question)
    if m is None or anchors or shape.wants_number or shape.shape in ("risk", "path", "yesno"):
        return None
    word = (m.group(1) or "").lower()
    by_property = _most_of_property(question, shape, word, schema=schema, lexicon=lexicon, values=values, refusals=refusals)
    if by_property is not None:
        return by_property
    other = next((t for t in schema.nodes if word in type_forms(t)), None)
    cut = m.end() if other is not None else m.end() - len(m.group(1) or "")
    rest = question[: m.start()] + " " + question[cut:]
    if _OTHER_SUPERLATIVE.search(rest):
        return None
    base = compose(rest, shape, [], [], schema=schema, lexicon=lexicon, values=values, present_edges=present_edges)
    if base is None or base.negated or base.parts.get("bridge") or "*" in base.cypher or "(o:" in base.cypher:
        return None
    target = base.parts.get("target")
    ret = _RETURN.search(base.cypher)
    if not isinstance(target, str) or ret is None:
        return None
    edge = base.parts.get("edge")
    match = base.cypher[: ret.start()]
    if edge is None:
        edge, forward = _joining(schema, target, other, present_edges) or (None, True)
        if edge is None or not match.startswith(f"MATCH (x:{target})"):
            return None
        match = match.replace(f"MATCH (x:{target})", f"MATCH (x:{target})-[r:{edge}]->()" if forward else f"MATCH ()-[r:{edge}]->(x:{target})", 1)
    else:
        forward = bool(base.parts.get("forward"))
    spec = schema.edges[str(edge)]
    ends = spec.to_types if forward else spec.from_types
    if other is not None and other not in ends:
        return None
    if target in spec.from_types and target in spec.to_types and _UNREADABLE_DIRECTION.search(rest):
        return None
    label = f":{other}" if other else ""
    counted = match.replace("->()", f"->(y{label})", 1) if forward else match.replace("MATCH ()-[", f"MATCH (y{label})-[", 1)
    if counted == match:
        return None
    name = ret.group("name")
    cypher = (
        f"{counted} WITH x, count(DISTINCT y) AS n WITH max(n) AS top {counted} WITH x, count(DISTINCT y) AS n, top "
        f"WHERE n = top RETURN x.id AS id{name}, n ORDER BY id"
    )
    value_words = {w: [h.value for h in hs] for w, hs in values.items()}
    left = unexplained_words(question, QueryFacts.of(cypher, base.params, schema), schema, lexicon=lexicon, values=value_words)
    if left:
        if refusals is not None:
            refusals.append(f"the most-of query {cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}")
        return None
    return Composed(cypher, dict(base.params), {**base.parts, "edge": edge, "forward": forward, "most": other or "any"})


def _joining(schema: GraphSchema, target: str, other: str | None, present: Sequence[str] | None) -> tuple[str, bool] | None:
    """The one edge type joining `target` to `other` and whether `target` is its source."""
    if other is None:
        return None
    found = [(e, target in spec.from_types) for e, spec in schema.edges.items() if (present is None or e in present)
             and ((target in spec.from_types and other in spec.to_types) or (other in spec.from_types and target in spec.to_types))]  # fmt: skip
    incidents = schema.incidents
    if len(found) > 1 and incidents is not None and incidents.type in (target, other):
        found = [f for f in found if f[0] == incidents.affected]
    return found[0] if len(found) == 1 else None


def _most_of_property(
    question: str,
    shape: QuestionShape,
    word: str,
    *,
    schema: GraphSchema,
    lexicon: Lexicon,
    values: Mapping[str, Sequence[ValueHit]],
    refusals: list[str] | None,
) -> Composed | None:
    """"Which datastore has the most replicas?": the nodes of the type asked for with the largest value of the number
    property the word after "the most" names (ties kept); every other word must be explained by that query."""
    target = shape.wants_type
    spec = schema.nodes.get(target or "")
    props = lexicon.prop_cues([word]).get(word) if word else None
    if spec is None or not props:
        return None
    numeric = [p for p in sorted(props) if p in spec.properties and spec.properties[p].type.value in ("integer", "float")]
    if len(numeric) != 1:
        return None
    prop = numeric[0]
    name = spec.name_property if spec.name_property and spec.name_property != "id" else None
    shown = f", x.{name} AS name" if name else ""
    cypher = (
        f"MATCH (x:{target}) WITH max(x.{prop}) AS top MATCH (x:{target}) WHERE x.{prop} = top "
        f"RETURN x.id AS id{shown}, x.{prop} AS {prop} ORDER BY id"
    )
    value_words = {w: [h.value for h in hs] for w, hs in values.items()}
    left = unexplained_words(question, QueryFacts.of(cypher, {}, schema), schema, lexicon=lexicon, values=value_words)
    if left:
        if refusals is not None:
            refusals.append(f"the most-of query {cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}")
        return None
    return Composed(cypher, {}, {"anchor": None, "edge": None, "target": target, "most": prop})
