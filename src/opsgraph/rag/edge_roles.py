"""People asked for by a role stored on an edge: "which SREs are on the platform team?", "who are the managers?",
"who's Lena's manager?", "who's the lead of the team that owns fraud detection?", "how many SREs does platform have?".

Why: a role such as 'sre', 'manager' or 'tech-lead' is a value of an edge's string property (a person's role in a
team), asked for in the plural ("SREs", "managers", "tech leads"), as a verb ("who manages X") or by its last word
("the lead"); no other step read those words as the edge's value, so these questions were abstained.

Schema-driven: a role edge is any edge from one node type to one other node type with an indexed string property
whose stored values (`Answerer.value_index`) the question names, the on-call edge's rotation excepted (`oncall.py`).
A value is named by its words in order ("tech leads" for 'tech-lead'), the last one in the plural or by its stem
("manages" for 'manager'); by its last word alone ("lead") only when no other value of the property ends with it.
What the people are asked about is at most one linked entity:
- none: every holder of the role ("who are the managers?");
- of the edge's target type: that one's holders ("which SREs are on the platform team?");
- of the edge's source type, as a possessive ("Lena's manager"): the holders in that one's targets, not that one;
- a node an ownership edge from the target type reaches: the holders in its owner ("the lead of the team that owns X",
  "the manager of the team behind X").
"How many" counts the distinct holders. Every other word must be explained by the query (`explained.py` through
`Answerer._refused`); a question with a word left over, a negation or a time word abstains. Nothing found: None.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from opsgraph.rag.answering import Outcome
from opsgraph.rag.compose import ValueHit
from opsgraph.rag.lexicon import NEGATION, Lexicon, stem, tokens
from opsgraph.rag.oncall import owner_edge
from opsgraph.rag.render import Rendered
from opsgraph.schema import GraphSchema

if TYPE_CHECKING:
    from opsgraph.rag.answering import Answerer
    from opsgraph.rag.shape import QuestionShape
    from opsgraph.rag.trace import Trace

_TIME = re.compile(r"\b(?:was|were|used to|last|previous|next|ago|yesterday|tomorrow|before|after|since|until|when)\b", re.I)
"""A time word: the edges hold who has a role now, not who had it or will."""

_WHICH = re.compile(r"\s*(?:which|who|list|name|show)\b", re.I)
_ANY = re.compile(r"\s*(?:are there |is there )?any\b", re.I)

_BEHIND = re.compile(r"\b(team|squad|group)s?\s+behind\b", re.I)
"""'the team behind X' is the team that owns X (only with a team word before it)."""


@dataclass(frozen=True)
class RoleEdge:
    """An edge with a role-like string property: its name, source and target node types, the property."""

    name: str
    source: str
    target: str
    prop: str


def role_edges(schema: GraphSchema, skip: tuple[str, str] | None = None) -> list[RoleEdge]:
    """Edges from one node type to one other with an indexed string property (`skip`: (edge, property) left out)."""
    out = []
    for name, spec in schema.edges.items():
        if len(spec.from_types) != 1 or len(spec.to_types) != 1:
            continue
        source, target = spec.from_types[0], spec.to_types[0]
        if source == target or source not in schema.nodes or target not in schema.nodes:
            continue
        for prop, p in spec.properties.items():
            if p.indexed and p.type.value == "string" and (name, prop) != skip:
                out.append(RoleEdge(name, source, target, prop))
    return out


def _same_word(asked: str, held: str, *, last: bool, reserved: Collection[str] = ()) -> bool:
    """`asked` is the value word `held`; the last one also in the plural or by its stem ("manages" for "manager"), unless
    `asked` is `reserved` ("responded" names the RESPONDED_TO edge, not its 'responder' role)."""
    if asked == held:
        return True
    if not last or asked in reserved:
        return False
    # By the stem only a word as long as the value's, less one letter: "manages", "manage" for 'manager', not "engine"
    # (a word of its own) for 'engineer'.
    return asked in (held + "s", held + "es") or (len(asked) >= max(5, len(held) - 1) and stem(asked) == stem(held))


def named_values(words: Sequence[str], values: Sequence[str], reserved: Collection[str] = ()) -> dict[str, tuple[int, int]]:
    """The values (of one property) that `words` name → the span of words naming them; the longest name wins where two
    overlap ("embedded SREs" is 'embedded-sre', not 'sre'). A `reserved` word (of the schema: "authors" are every
    Author, not the 'co-author' ones) names a value only as that value's own word."""
    found: dict[str, tuple[int, int]] = {}
    split = {v: [w for w in re.split(r"[-_\s]+", v.lower()) if w] for v in values}
    for v, vw in split.items():
        n = len(vw)
        for i in range(len(words) - n + 1):
            # A value's several words in a row name it whatever the last one is ("co authors" for 'co-author').
            if all(_same_word(words[i + k], vw[k], last=k == n - 1, reserved=reserved if n == 1 else ()) for k in range(n)):
                found.setdefault(v, (i, i + n))
        if v not in found and n > 1:
            # "the lead" for 'tech-lead': the last word alone, when no other value ends with it.
            if sum(1 for o in split.values() if o and o[-1] == vw[-1]) == 1 and vw[-1] not in {w for o, ow in split.items() if o != v for w in ow}:
                for i, w in enumerate(words):
                    if _same_word(w, vw[-1], last=True, reserved=reserved):
                        found.setdefault(v, (i, i + 1))
                        break
    spans = sorted(found.items(), key=lambda kv: kv[1][1] - kv[1][0], reverse=True)
    kept: dict[str, tuple[int, int]] = {}
    for v, (a, b) in spans:
        if all(b <= x or a >= y for x, y in kept.values()):
            kept[v] = (a, b)
    return kept


def schema_words(schema: GraphSchema, lexicon: Lexicon, words: Sequence[str]) -> set[str]:
    """The words of `words` that name a node type or an edge of the schema: "authors" every Author, "responded" the
    RESPONDED_TO edge; such a word names a role only as the role's own word ('author' itself)."""
    types = {n.lower() for n in schema.nodes} | {stem(n.lower()) for n in schema.nodes}
    cued = set(lexicon.edge_cues(list(words)))
    return {w for w in words if w in types or stem(w) in types or w in cued}


def edge_values(index: Mapping[str, Sequence[ValueHit]], edge: RoleEdge) -> list[str]:
    """The stored values of the role edge's property, from the value index."""
    return sorted({h.value for hits in index.values() for h in hits if h.on_edge and h.owner == edge.name and h.prop == edge.prop})


def role_query(edge: RoleEdge, anchor_type: str | None, owns: str | None, *, possessive: bool, count: bool) -> str | None:
    """The query for the holders of the roles `$roles` of the role edge, about the anchor `$id` (None: everyone)."""
    e, s, t, p = edge.name, edge.source, edge.target, edge.prop
    if anchor_type is None:
        match = f"MATCH (p:{s})-[r:{e}]->(t:{t}) WHERE r.{p} IN $roles"
    elif anchor_type == t:
        match = f"MATCH (p:{s})-[r:{e}]->(t:{t} {{id: $id}}) WHERE r.{p} IN $roles"
    elif anchor_type == s and possessive:
        match = f"MATCH (a:{s} {{id: $id}})-[:{e}]->(t:{t})<-[r:{e}]-(p:{s}) WHERE r.{p} IN $roles AND p.id <> a.id"
    elif owns is not None:
        match = f"MATCH (t:{t})-[:{owns}]->(x:{anchor_type} {{id: $id}}) MATCH (p:{s})-[r:{e}]->(t) WHERE r.{p} IN $roles"
    else:
        return None
    if count:
        return f"{match} RETURN count(DISTINCT p) AS n"
    return f"{match} RETURN p.id AS id, t.id AS {t.lower()}, r.{p} AS {p} ORDER BY id"


def answer_edge_roles(question: str, shape: QuestionShape, answerer: Answerer, trace: Trace) -> Outcome | None:
    """The holders of a role stored on an edge that `question` names (see the module docstring); None otherwise."""
    asks_which = bool(_WHICH.match(question))
    if shape.shape not in ("person", "list", "count", "yesno", "value") or NEGATION.search(question) or _TIME.search(question):
        return None
    if shape.shape == "value" and (shape.wants_type is not None or not asks_which):
        return None  # "which SREs are on X?" is read as one value when "SREs" links to a team named so
    oncall = answerer.oncall_edge()
    skip = (oncall.name, oncall.rotation) if oncall is not None and oncall.rotation else None
    index = answerer.value_index()
    edges = [(e, edge_values(index, e)) for e in role_edges(answerer.schema, skip)]
    links = answerer.links(question)
    # A name that is a role's own word ("SRE", an alias of a team) asks for the role, not for that entity.
    anchors = [x for x in links if not any(_covers(tokens(x.surface), vals, schema_words(answerer.schema, answerer.lexicon, tokens(x.surface))) for _, vals in edges)]
    if len({x.node_id for x in anchors}) > 1:
        return None
    masked = question
    for x in sorted(anchors, key=lambda x: len(x.surface), reverse=True):
        if x.surface:
            masked = re.sub(re.escape(x.surface), " ", masked, flags=re.I)
    words = tokens(masked)
    reserved = schema_words(answerer.schema, answerer.lexicon, words)
    found = [(e, named) for e, vals in edges if (named := named_values(words, vals, reserved))]
    if len(found) != 1 or not _listed(words, list(found[0][1].values())):
        return None  # two edges' values, or "SRE managers" (two values side by side: the managers of the SRE team?)
    edge, roles = found[0][0], sorted(found[0][1])
    if shape.wants_type not in (None, edge.source):
        return None
    if shape.shape == "yesno" and not _ANY.match(question):
        return None  # "is Sam a manager?" asks yes or no; "any SREs in orders?" asks for them
    anchor = anchors[0] if anchors else None
    possessive = anchor is not None and bool(re.search(re.escape(anchor.surface) + r"\s*'s\b", question, re.I))
    owns = owner_edge(answerer.schema, edge.target, anchor.node_type) if anchor is not None else None
    count = shape.shape == "count"
    cypher = role_query(edge, anchor.node_type if anchor else None, owns, possessive=possessive, count=count)
    if cypher is None:
        return None
    params: dict[str, Any] = {"roles": roles}
    if anchor is not None:
        params["id"] = anchor.node_id
    checked = _BEHIND.sub(lambda m: f"{m.group(1)} that owns", question) if owns is not None else question
    if answerer._refused("edge roles", checked, cypher, params, anchors, trace, None):
        return None
    with trace.stage("edge roles") as stage:
        rows = list(answerer.store.query(cypher, params, limit=500, timeout_ms=5_000).rows)
        stage.detail = {"edge": edge.name, "roles": roles, "cypher": cypher, "params": params, "rows": len(rows)}
    if not rows or (not count and not any(r.get("id") for r in rows)):
        return None
    if count:
        about = f" about {answerer.names.display(anchor.node_id)}" if anchor is not None else ""
        head = f"{rows[0].get('n')}: the number of {edge.source} nodes with {edge.prop} {' or '.join(map(repr, roles))} ({edge.name}){about}."
        return Outcome(Rendered(head), "rows", rows=[dict(r) for r in rows], cypher=cypher, params=params)
    return answerer.render(replace(shape, shape="list", wants_type=edge.source), rows, cypher, params)


def _listed(words: Sequence[str], spans: Sequence[tuple[int, int]]) -> bool:
    """One value named, or several joined by "and", "or" or a comma ("managers and tech leads")."""
    ordered = sorted(spans)
    for (_, b), (a, _) in itertools.pairwise(ordered):
        if not (a - b == 1 and words[b] in ("and", "or")):
            return False
    return True


def _covers(words: Sequence[str], values: Sequence[str], reserved: Collection[str]) -> bool:
    """Every word of `words` is part of a name of one of `values` ("SREs" for 'sre')."""
    if not words:
        return False
    spans = named_values(words, values, reserved).values()
    return all(any(a <= i < b for a, b in spans) for i in range(len(words)))
