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
6. **Every word explained** (`explained.py`, the rule `compose` applies too):
   each content word of the question is explained by the query (an entity it
   matched, a type, relation or property it uses, a value or number it filters
   on, a function word); the words left are named in the reason.

Nothing here runs a query; node types of returned ids come from a `NameBook`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opsgraph.rag.direction import direction_reason
from opsgraph.rag.explained import QueryFacts, query_edges, query_props, schema_prop_is_time, unexplained_words
from opsgraph.rag.lexicon import (
    FAILURE,
    NEGATION,
    NUMBER,
    QUERY_NEGATION,
    TIME_QUALIFIER,
    TRANSITIVE,
    VARIABLE_LENGTH,
    Lexicon,
    stem,
    tokens,
    type_forms,
)
from opsgraph.rag.render import NameBook, distinct_nodes
from opsgraph.rag.shape import PERSON_HINTS, QuestionShape
from opsgraph.schema import GraphSchema


@dataclass
class Verdict:
    """Whether a query may answer a question, and why not."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    cues: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reasons": self.reasons, **self.cues}


def _values(cypher: str, params: Mapping[str, Any]) -> str:
    literals = " ".join(a or b for a, b in re.findall(r"'([^']*)'|\"([^\"]*)\"", cypher))
    return (literals + " " + " ".join(str(v) for v in params.values())).lower()


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
    value_words: Mapping[str, Collection[str]] | None = None,
) -> Verdict:
    """Check that `cypher` (run with `params`, giving `rows`) covers `question`; see the module docstring.
    `entity_ids`: the nodes the question names (linked); each must be bound in the query. `value_words`: words of the
    estate's values → the values each names (for the rule of `explained.py`; default `known_values`)."""
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
    negated_q = bool(NEGATION.search(masked))
    negated_c = bool(QUERY_NEGATION.search(cypher))
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
    if VARIABLE_LENGTH.search(cypher) and not FAILURE.search(masked) and not TRANSITIVE.search(masked):
        # "What is upstream of X?" asks for X's direct callers; a walk through others answers a bigger question.
        reasons.append("the query follows a relationship through other nodes (a variable-length walk); the question asks for direct ones")
    if FAILURE.search(masked):
        dependency = {e for e, spec in schema.edges.items() if getattr(spec, "dependency", False)}
        if dependency and not dependency & used_edges:
            reasons.append(f"the question is about a failure spreading ({FAILURE.search(masked).group(0)!r}), which walks {'/'.join(sorted(dependency))}; the query does not")  # type: ignore[union-attr]
    for value in _named_values(masked, known_values):
        if value.lower() not in values:
            reasons.append(f"'{value}' is a value in the estate the query does not use")
    for number in NUMBER.findall(masked):
        if number not in cypher and not any(_same_number(number, v) for v in params.values()):
            reasons.append(f"the question's number {number} is not in the query")
    # "What services does currency depend on?" walked from currency's callers: the relation the other way (`direction.py`).
    turned = direction_reason(question, cypher, params, schema=schema, lexicon=lexicon, entity_ids=entity_ids, entity_surfaces=entity_surfaces)
    if turned:
        reasons.append(turned)
    facts = QueryFacts.of(cypher, params, schema)
    unexplained = unexplained_words(question, facts, schema, lexicon=lexicon, surfaces=entity_surfaces, values=value_words if value_words is not None else known_values)
    if unexplained:
        # Every content word must be explained by the query ("Who has had Dune out?": 'out' names no relation the
        # query walks, so rows of the only edge joining books to people answer another question).
        reasons.append(f"the query explains no part of the question's {', '.join(repr(w) for w in unexplained)}")
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
