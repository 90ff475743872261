"""Schema paths: graph questions answered by a query planned from the schema, not written by a model.

The bundled models cannot write Cypher yet (0 correct of 480 on a public
benchmark, see ENGINE-NOTES). Many operations questions have one shape,
though: start at an entity the question names, follow relationships the
question mentions, and return nodes of the type it asks for. This planner
builds exactly that query from the live schema:

1. the *anchor* is the best linked entity;
2. *relation mentions* are edge types whose name words appear in the
   question ("depend" → DEPENDS_ON, "on call" → ON_CALL_FOR, "caused" →
   CAUSED_BY); words like "break", "down", "impact" mean the dependency
   edges, followed transitively;
3. the *target type* is a node type the question names ("services",
   "incidents") or, for "who", a person-like type;
4. dependency edges are followed transitively only for impact questions
   ("what breaks if ...", "indirectly"); "which services depend on X" is
   the direct relation;
5. a cheapest path through the schema's type graph joins the anchor's type
   to the target type, preferring mentioned edges and walking them in the
   direction the sentence implies (an anchor after "depend on" is the
   dependency, so the path comes *into* it).

It refuses (returns nothing) rather than guess when no anchor is linked or no
path fits, so the pipeline falls back to other retrievers. The query is
parameterised: the anchor id is a parameter, labels and types come from the
validated schema only.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from typing import Any

from opsgraph.retrieve.base import BaseRetriever, EntityLinker, Hit
from opsgraph.schema import GraphSchema
from opsgraph.store.base import GraphStore

IMPACT_WORDS = frozenset({"break", "breaks", "broken", "down", "impact", "impacted", "impacts", "outage", "fails", "fail", "affected", "affect", "upstream", "transitively", "indirectly"})
TRANSITIVE_WORDS = frozenset({"indirectly", "transitively", "transitive", "eventually", "chain"})
PERSON_HINTS = ("person", "people", "user", "engineer", "member", "employee", "human")
_WORD = re.compile(r"[a-z0-9]+")
_GENERIC = frozenset({"for", "on", "of", "to", "by", "in", "at", "has", "is", "the", "a"})
MAX_PATH = 4
TRANSITIVE_HOPS = 6


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "er", "ers", "ent", "ents", "ency", "encies"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class Step:
    """One hop of a planned path: `edge` walked forwards (`from`→`to`) or backwards."""

    edge: str
    forward: bool
    to_type: str | None
    """None when the edge may end at several types and the question does not say which."""
    transitive: bool = False


@dataclass(frozen=True)
class Plan:
    anchor_id: str
    anchor_type: str
    steps: tuple[Step, ...]
    target_type: str | None
    mentioned: tuple[str, ...]
    name_property: str = "id"

    def cypher(self) -> str:
        parts = [f"(n0:{self.anchor_type} {{id: $anchor}})"]
        for i, step in enumerate(self.steps, start=1):
            hops = f"*1..{TRANSITIVE_HOPS}" if step.transitive else ""
            rel = f"-[:{step.edge}{hops}]->" if step.forward else f"<-[:{step.edge}{hops}]-"
            label = f":{step.to_type}" if step.to_type else ""
            parts.append(f"{rel}(n{i}{label})")
        last = len(self.steps)
        via = ", ".join(f"n{i}.id" for i in range(1, last))
        path = "MATCH " + "".join(parts)
        returns = f"n{last}.id AS id, n{last}.{self.name_property} AS name"
        if via:
            returns += f", collect(DISTINCT [{via}]) AS via"
        return f"{path} WHERE n{last}.id <> $anchor RETURN DISTINCT {returns} ORDER BY id LIMIT 100"


class SchemaPathRetriever(BaseRetriever):
    """Rows of a query planned from the schema and the question's words."""

    name = "schema_path"

    def __init__(self, store: GraphStore, schema: GraphSchema, linker: EntityLinker) -> None:
        self.store = store
        self.schema = schema
        self.linker = linker

    # -- planning ----------------------------------------------------------------
    def _edge_words(self) -> dict[str, set[str]]:
        out = {}
        for name in self.schema.edges:
            words = {_stem(w) for w in name.lower().split("_") if w not in _GENERIC}
            out[name] = words or {name.lower()}
        return out

    def _mentions(self, tokens: list[str]) -> list[tuple[int, str]]:
        """(token position, edge type) for every edge type the question mentions."""
        stems = [_stem(t) for t in tokens]
        found: list[tuple[int, str]] = []
        for edge, words in self._edge_words().items():
            positions = [i for i, s in enumerate(stems) if s in words]
            if positions:
                found.append((positions[0], edge))
        deps = self.schema.dependency_edges()
        impact = [i for i, t in enumerate(tokens) if t in IMPACT_WORDS]
        # "What breaks if X is down?" names no edge: impact words mean the dependency edges.
        if impact and deps and not found:
            found.append((impact[0], deps[0]))
        return sorted(found)

    def _target_type(self, tokens: list[str]) -> str | None:
        stems = {_stem(t) for t in tokens}
        for name in self.schema.nodes:
            if _stem(name.lower()) in stems or name.lower() in tokens:
                return name
        if "who" in tokens:
            for name in self.schema.nodes:
                if any(h in name.lower() for h in PERSON_HINTS):
                    return name
        return None

    def plan(self, question: str) -> Plan | None:
        entities = list(self.linker.link(question))
        if not entities:
            return None
        anchor = entities[0]
        text = question.lower()
        tokens = _WORD.findall(text)
        mentions = self._mentions(tokens)
        if not mentions:
            return None
        anchor_pos = _anchor_position(text, tokens, anchor.node_id)
        target = self._target_type([t for t in tokens if t not in _WORD.findall(anchor.node_id.lower())])
        impact = any(t in IMPACT_WORDS for t in tokens)
        deps = set(self.schema.dependency_edges())
        # Walk outwards from the anchor: the mention nearest to it first.
        ordered = sorted(mentions, key=lambda m: abs(m[0] - anchor_pos))
        current: str | None = anchor.node_type
        steps: list[Step] = []
        for index, (pos, edge) in enumerate(ordered):
            spec = self.schema.edges[edge]
            # The anchor after the relation word is its object ("depend on X", "caused by X").
            anchor_is_object = anchor_pos > pos
            want_forward = not anchor_is_object if not steps else None
            if current is None:
                return None
            hop = self._connect(current, edge, want_forward)
            if hop is None:
                return None
            bridge, step = hop
            steps += bridge
            # Dependencies chain (a service needs a service that needs ...); follow the chain
            # when the question is about impact or says so, else answer the direct relation.
            chainable = bool(set(spec.from_types) & set(spec.to_types))
            transitive = edge in deps and chainable and (impact or any(t in TRANSITIVE_WORDS for t in tokens))
            end = step.to_type
            if end is None and index + 1 < len(ordered):
                # More relations follow: pick the end type the next relation can start from.
                nxt = self.schema.edges[ordered[index + 1][1]]
                ends = spec.to_types if step.forward else spec.from_types
                end = next((t for t in ends if t in nxt.from_types or t in nxt.to_types), ends[0])
            steps.append(Step(step.edge, step.forward, end, transitive))
            current = end
        if current is None:
            # The walk ended on an edge that reaches several types: keep it open unless
            # the question names one of them.
            spec = self.schema.edges[steps[-1].edge]
            ends = spec.to_types if steps[-1].forward else spec.from_types
            if target in ends:
                steps[-1] = Step(steps[-1].edge, steps[-1].forward, target, steps[-1].transitive)
                current = target
            elif target is None:
                return Plan(anchor.node_id, anchor.node_type, tuple(steps), None, tuple(e for _, e in mentions), "id")
            else:
                return None
        if target is not None and target != current:
            bridge_path = self._type_path(current, target)
            if bridge_path is None:
                return None
            steps += bridge_path
            current = target
        if len(steps) > MAX_PATH:
            return None
        name_prop = self.schema.nodes[current].name_property or "id"
        return Plan(anchor.node_id, anchor.node_type, tuple(steps), current, tuple(e for _, e in mentions), name_prop)

    def _connect(self, current: str, edge: str, want_forward: bool | None) -> tuple[list[Step], Step] | None:
        """Reach an endpoint of `edge` from `current` (maybe through a bridge), then walk it."""
        spec = self.schema.edges[edge]
        options = []
        for forward in (True, False):
            if want_forward is not None and forward != want_forward:
                continue
            start_types = spec.from_types if forward else spec.to_types
            end_types = spec.to_types if forward else spec.from_types
            for start in start_types:
                bridge = [] if start == current else self._type_path(current, start, avoid=edge)
                if bridge is None:
                    continue
                if current in end_types and start == current and spec.from_types == spec.to_types:
                    end: str | None = current
                else:
                    end = end_types[0] if len(end_types) == 1 else None
                options.append((len(bridge), bridge, Step(edge, forward, end)))
        if not options:
            return None
        options.sort(key=lambda o: o[0])
        return options[0][1], options[0][2]

    def _type_path(self, start: str, goal: str, avoid: str | None = None) -> list[Step] | None:
        """Cheapest walk between node types through the schema (each edge either way)."""
        queue: list[tuple[int, int, str, list[Step]]] = [(0, 0, start, [])]
        seen = {start}
        counter = 0
        while queue:
            cost, _, node, path = heapq.heappop(queue)
            if node == goal:
                return path
            if len(path) >= MAX_PATH:
                continue
            for name, spec in self.schema.edges.items():
                if name == avoid:
                    continue
                for forward, here, there in ((True, spec.from_types, spec.to_types), (False, spec.to_types, spec.from_types)):
                    if node not in here:
                        continue
                    for nxt in there:
                        if nxt in seen:
                            continue
                        seen.add(nxt)
                        counter += 1
                        heapq.heappush(queue, (cost + 1, counter, nxt, [*path, Step(name, forward, nxt)]))
        return None

    # -- retrieval -----------------------------------------------------------------
    def _retrieve(self, query: str, k: int, filters: dict[str, Any]) -> tuple[list[Hit], dict[str, Any]]:
        plan = self.plan(query)
        if plan is None:
            return [], {"plan": None}
        cypher = plan.cypher()
        result = self.store.query(cypher, {"anchor": plan.anchor_id}, limit=100, timeout_ms=5_000)
        hits = []
        for i, row in enumerate(result.rows):
            via = [v for group in row.get("via") or [] for v in (group if isinstance(group, list) else [group]) if v]
            text = f"{plan.target_type or 'node'} {row['id']}" + (f" ({row['name']})" if row.get("name") and row.get("name") != row["id"] else "")
            if via:
                text += f" via {', '.join(dict.fromkeys(map(str, via)))}"
            hits.append(Hit(str(row["id"]), "row", float(len(result.rows) - i), text, detail={"cypher": cypher, "row": row}))
        detail = {
            "plan": {"anchor": plan.anchor_id, "mentioned": list(plan.mentioned), "target": plan.target_type},
            "cypher": cypher,
            "params": {"anchor": plan.anchor_id},
            "rows": len(result.rows),
        }
        return hits, detail


def _anchor_position(text: str, tokens: list[str], node_id: str) -> int:
    """Token index where the anchor is named (its id, or the last token as a fallback)."""
    first = _WORD.findall(node_id.lower())
    for i in range(len(tokens)):
        if first and tokens[i] == first[0]:
            return i
    # The linker matched a name or alias: assume the entity is near the end, the usual English order.
    return len(tokens)
