"""A property the named entity's type lacks, read from the one neighbour type that holds it: "slack channel for checkout".

Why: on-call people ask for a contact, a channel, a runbook's path "of" a component, although the schema keeps it one
step away (a service has no Slack channel; the team that owns it has). `Answerer.lookup` reads only the entity's own
properties and abstains; the schema-path planner may walk any path, so it is refused for words it cannot explain. The
step is implied by the schema alone when it is the only way the two types meet:

- every property cue of the question names a property the entity's type lacks, and one neighbour type holds a
  property for each cue;
- exactly one edge type, in one direction, joins the entity's type to that neighbour type, and no other neighbour type
  fits (a Person is both MEMBER_OF and ON_CALL_FOR a team: "the payments team's timezone" stays unanswered);
- without a relation word the edge must not be a dependency edge (a failure relation): "the status page for payments"
  is not silently the status page of something payments calls; with relation words ("the email of whoever owns cart"),
  every one of them must name the edge.

It builds text only; the caller verifies (`explained.py`) and runs it, and the answer names the neighbour (evidence).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from opsgraph.schema import GraphSchema


@dataclass(frozen=True)
class NeighbourLookup:
    edge: str
    neighbour: str
    """The neighbour's node type."""
    forward: bool
    """True when the edge goes from the named entity to the neighbour."""
    props: tuple[str, ...]

    def cypher(self, anchor_type: str) -> str:
        """The query: the neighbours' ids and the properties asked, from the entity `$id`."""
        a = f"(n:{anchor_type} {{id: $id}})"
        m = f"(m:{self.neighbour})"
        match = f"MATCH {a}-[:{self.edge}]->{m}" if self.forward else f"MATCH {m}-[:{self.edge}]->{a}"
        return f"{match} RETURN m.id AS {self.neighbour.lower()}, " + ", ".join(f"m.{p} AS {p}" for p in self.props)


def neighbour_lookup(
    schema: GraphSchema, anchor_type: str, cue_sets: Sequence[Collection[str]], relation_edges: Sequence[Collection[str]],
    *, skip: Collection[str] = (),
) -> NeighbourLookup | None:  # fmt: skip
    """The one neighbour type and edge that answer `cue_sets` (each a set of property names one word of the question
    names) for an entity of `anchor_type`, or None. `relation_edges` are the edge types each relation word names."""
    own = set(schema.nodes[anchor_type].properties)
    cues = [set(cs) for cs in cue_sets if cs]
    if not cues or any(cs & own for cs in cues):
        return None
    found: list[NeighbourLookup] = []
    joins: dict[str, set[str]] = {}  # neighbour type → every edge type joining it to the anchor's type
    for name, spec in schema.edges.items():
        if name in skip:
            continue
        for forward, near, far in ((True, spec.from_types, spec.to_types), (False, spec.to_types, spec.from_types)):
            if anchor_type not in near:
                continue
            for other in far:
                if other in skip or other not in schema.nodes:
                    continue
                joins.setdefault(other, set()).add(name)
                held = set(schema.nodes[other].properties)
                if not all(cs & held for cs in cues):
                    continue
                if relation_edges and any(name not in es for es in relation_edges):
                    continue
                if not relation_edges and spec.dependency:
                    continue
                props = tuple(sorted({p for cs in cues for p in cs if p in held}))
                found.append(NeighbourLookup(name, other, forward, props))
    if len(found) != 1:
        return None
    hit = found[0]
    if not relation_edges and len(joins.get(hit.neighbour, ())) != 1:
        return None  # two relations join the types: which one the question means is not said
    return hit


def relation_sets(edge_cues: Mapping[str, Collection[str]]) -> list[set[str]]:
    """The edge types each relation word of the question names."""
    return [set(es) for es in edge_cues.values()]
