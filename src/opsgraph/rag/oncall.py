"""On-call questions the fixed paging query does not cover: a property of the on-call edge, what a person is on call for.

The schema's on-call edge (found by its name or synonyms, from the person type to
a team type) holds the rotation and shift times; ownership edges lead from the
team to what it is paged for. Three rules over that schema, no phrases:

- `edge_detail`: "when does the on-call shift for checkout end?", "what rotation is
  Chloe on?": the on-call edge's properties the question names, for the person,
  the team, or a component the team owns (through the ownership edge);
- `covered`: "which services is Marcus Bell on call for?": the nodes of the type
  asked for that the teams a person is on call for own;
- `rotation_values`: the stored values that live only on the on-call edge's
  rotation-like property ("primary"): a "who" question naming one asks who is
  on call, even without a paging word.
Queries are built here; `Answerer` runs them, after the explained-words check.
It must not run queries or read configuration.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from opsgraph.rag.compose import ValueHit
from opsgraph.rag.lexicon import FILLER, Lexicon, stem, tokens
from opsgraph.schema import GraphSchema

ESCALATION = re.compile(
    r"\b(?:does ?n[o']t|do ?n[o']t|is ?n[o']t|ca ?n[o']t|wo ?n[o']t|not|no|never|fails? to|without)\b[^?.!]{0,30}"
    r"\b(?:answer\w*|ack\w*|acknowledg\w*|respond\w*|pick\w* up|reply\w*|replies|available|reachable|around)\b|"
    # "who do I escalate to after the primary?", "who's next after the primary", "beyond the secondary".
    r"\b(?:after|beyond|past|following)\s+(?:the\s+)?(?=\w+\b)",
    re.I,
)
"""The rotation named does not respond ("if the primary doesn't pick up"): the question asks for the next one."""


@dataclass(frozen=True)
class OnCallEdge:
    """The schema's on-call edge: its name, the person and team types it joins, its rotation-like property."""

    name: str
    person: str
    team: str
    rotation: str | None


def owner_edge(schema: GraphSchema, team: str, target: str) -> str | None:
    """The ownership edge (a word of its name starts with "own") from `team` to `target`, if any."""
    for name, spec in schema.edges.items():
        words = name.lower().split("_")
        if any(w.startswith("own") for w in words) and team in spec.from_types and target in spec.to_types:
            return name
    return None


def rotation_values(edge: OnCallEdge, values: Mapping[str, Sequence[ValueHit]], words: Sequence[str]) -> list[str]:
    """Values of the on-call edge's rotation property that `words` name, when the word names no other stored value."""
    if edge.rotation is None:
        return []
    out = []
    for w in words:
        hits = values.get(w, ())
        if hits and all(h.on_edge and h.owner == edge.name and h.prop == edge.rotation for h in hits):
            out += [h.value for h in hits]
    return sorted(set(out))


def edge_props_named(edge: str, schema: GraphSchema, lexicon: Lexicon, text: str) -> list[str]:
    """Properties of the on-call `edge` that `text` names: by a property phrase ("shift end"), a word of a property name
    ("shift", "end"), or a relation word that is also the name of one ("rotation"); several words narrow to the
    properties every one of them names ("shift ... end" is `shift_end`). [] when a word names a property the edge
    lacks (the question asks for something else) or nothing is named."""
    props = set(schema.edges[edge].properties)
    phrases, rest = lexicon.phrase_cues(text)
    sets: list[set[str]] = [set(ps) for ps in phrases.values()]
    words = tokens(rest)
    sets += [set(ps) for ps in lexicon.prop_cues(words).values()]
    for w in words:
        named = {p for p in props if stem(w) == stem(p)}
        if named:
            sets.append(named)
    if not sets:
        return []
    if any(not s & props for s in sets):
        return []
    found = set.intersection(*[s & props for s in sets])
    if not found:
        found = {p for s in sets for p in s & props}
    return sorted(found)


def edge_detail_query(edge: OnCallEdge, anchor_type: str, owns: str | None, props: Collection[str]) -> str | None:
    """The query for the on-call edge's `props` of the person, team or owned component with id `$id`."""
    read = [f"r.{p} AS {p}" for p in sorted(props)]
    cols = ", ".join(["p.id AS person", "t.id AS team", *read])
    if anchor_type == edge.person:
        # The person named: their values, with the team each is for ("shift end" alone does not say whose shift).
        return f"MATCH (p:{edge.person} {{id: $id}})-[r:{edge.name}]->(t:{edge.team}) RETURN t.id AS team, {', '.join(read)}"
    if anchor_type == edge.team:
        return f"MATCH (p:{edge.person})-[r:{edge.name}]->(t:{edge.team} {{id: $id}}) RETURN {cols}"
    if owns is None:
        return None
    return f"MATCH (t:{edge.team})-[:{owns}]->(n:{anchor_type} {{id: $id}}) MATCH (p:{edge.person})-[r:{edge.name}]->(t) RETURN {cols}"


def covered_query(edge: OnCallEdge, wanted: str | None, owns: str) -> str:
    """The nodes of type `wanted` (None: of any type) the teams the person `$id` is on call for own."""
    n = f"(n:{wanted})" if wanted else "(n)"
    return f"MATCH (p:{edge.person} {{id: $id}})-[:{edge.name}]->(t:{edge.team})-[:{owns}]->{n} RETURN DISTINCT n.id AS id, t.id AS team"


def any_owner_edge(schema: GraphSchema, team: str) -> str | None:
    """The ownership edge from `team` to whatever it owns, if the schema has exactly one."""
    found = [n for n, spec in schema.edges.items() if any(w.startswith("own") for w in n.lower().split("_")) and team in spec.from_types]
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class NamedTeam:
    """A team named by a word of its name rather than linked (a `LinkedEntity`)."""

    node_id: str
    node_type: str
    surface: str = ""
    start: int = 0


def team_by_word(teams: Mapping[str, Collection[str]], words: Sequence[str]) -> str | None:
    """The one team whose name or an alias holds every content word of `words` ("risk" for 'Risk & Data'); None when
    no word is left, or none or several teams hold them. `teams`: team id → the words of its name and aliases."""
    content = [w for w in words if w not in FILLER and len(w) >= 3 and w != "oncall"]
    if not content:
        return None
    found = [t for t, held in teams.items() if all(w in held or stem(w) in held for w in content)]
    return found[0] if len(found) == 1 else None
