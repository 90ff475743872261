"""Suggested questions for an estate: real names of its own components in the question shapes `ask` answers well.

The web chat offers these so a new user starts with questions that work. They
are computed from the stored schema and data, never written for one estate:
the components most others depend on (by the schema's dependency edges) are
asked about in the shapes the answer pipeline renders from a verified query or
a quoted runbook (README "Ask": who to page, what breaks, who owns, one
property, the runbook). Shapes the schema cannot support are left out (no
on-call edge: no paging question). With `check`, each candidate is asked (no
cache) and kept only when the answer is not an abstention and names the
component it is about, so a suggestion never leads to "I can't answer that".

It builds nothing and keeps no state: the facade passes the store, schema and
its own `ask`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from itertools import cycle
from typing import Any

from opsgraph.investigate.runbooks import RUNBOOK_EDGE
from opsgraph.rag import Answer
from opsgraph.rag.shape import person_type
from opsgraph.schema import GraphSchema
from opsgraph.store import GraphStore

_SKIP_PROPS = frozenset({"id", "name", "aliases", "description", "summary", "title", "embedding"})
"""Properties no one asks for by name (identity, free text, vectors)."""


@dataclass(frozen=True)
class Suggestion:
    """One suggested question."""

    question: str
    """The question as the chat sends it."""
    shape: str
    """`impact`, `page`, `owner`, `property` or `runbook`."""
    about: str
    """The id of the component it names."""
    kind: str | None = None
    """How `ask` answered it when checked (`rows`, `page`, `quote`, ...); None when not checked."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _edge(schema: GraphSchema, test: Callable[[str, Any], bool]) -> str | None:
    return next((name for name, spec in schema.edges.items() if test(name, spec)), None)


def _central(store: GraphStore, schema: GraphSchema, node_type: str, k: int) -> list[dict[str, Any]]:
    """The `k` nodes of `node_type` with the most dependents (directly), then by id; display name beside the id."""
    deps = schema.dependency_edges()
    prop = schema.nodes[node_type].name_property
    label = f"n.`{prop}`" if prop else "n.id"
    if deps:
        rels = "|".join(f"`{d}`" for d in deps)
        cypher = (f"MATCH (x)-[:{rels}]->(n:`{node_type}`) RETURN n.id AS id, {label} AS name, count(DISTINCT x) AS dependents "
                  "ORDER BY dependents DESC, id")
    else:
        cypher = f"MATCH (n:`{node_type}`) RETURN n.id AS id, {label} AS name, 0 AS dependents ORDER BY id"
    return list(store.query(cypher, limit=k).rows)


def _name(row: dict[str, Any]) -> str:
    return str(row.get("name") or row["id"])


def candidates(store: GraphStore, schema: GraphSchema, node_type: str) -> list[Suggestion]:
    """Questions in each shape the schema supports, about the estate's most depended-on components of `node_type`
    (each shape about a different one where there are enough), in the order they are offered."""
    if node_type not in schema.nodes:
        node_type = next((t for e in schema.dependency_edges() for t in schema.edges[e].to_types if t in schema.nodes), "")
    if not node_type:
        return []
    top = _central(store, schema, node_type, 6)
    if not top:
        return []
    pick = cycle(top)  # each shape about the next component; round again on a small estate
    out: list[Suggestion] = []
    if schema.dependency_edges():
        row = next(pick)
        out.append(Suggestion(f"What breaks if {_name(row)} is down?", "impact", row["id"]))
    person = person_type(schema)
    oncall = _edge(schema, lambda name, spec: ("ON_CALL" in name.upper() or "ONCALL" in name.upper()) and person in spec.from_types)
    owns = _edge(schema, lambda name, spec: any(w.startswith("own") for w in name.lower().split("_")) and node_type in spec.to_types)
    if person and oncall and owns:
        row = next(pick)
        out.append(Suggestion(f"Who do I page if {_name(row)} is failing?", "page", row["id"]))
    if owns:
        row = next(pick)
        out.append(Suggestion(f"Who owns {_name(row)}?", "owner", row["id"]))
    if RUNBOOK_EDGE in schema.edges and node_type in schema.edges[RUNBOOK_EDGE].to_types:
        ids = [r["id"] for r in top]
        covered = store.query(f"MATCH (:`{next(iter(schema.edges[RUNBOOK_EDGE].from_types))}`)-[:`{RUNBOOK_EDGE}`]->"
                              f"(n:`{node_type}`) WHERE n.id IN $ids RETURN DISTINCT n.id AS id", {"ids": ids}).rows
        with_book = [r for r in top if r["id"] in {c["id"] for c in covered}]
        if with_book:
            row = with_book[0]
            out.append(Suggestion(f"What is the runbook for {_name(row)}?", "runbook", row["id"]))
    row = next(pick)
    for prop in _categorical(store, schema, node_type, row["id"])[:2]:
        out.append(Suggestion(f"What is the {prop.replace('_', ' ')} of {_name(row)}?", "property", row["id"]))
    return out


def _categorical(store: GraphStore, schema: GraphSchema, node_type: str, node_id: str) -> list[str]:
    """Text properties `node_id` has that sort its type into groups (several values, shared by several nodes: a tier or a
    language, not an image tag), most grouping first: the properties a person asks about by name."""
    found = store.query(f"MATCH (n:`{node_type}` {{id: $id}}) RETURN properties(n) AS p", {"id": node_id}).rows
    have = found[0]["p"] if found else {}
    props = [p for p in schema.nodes[node_type].properties if p not in _SKIP_PROPS and not p.startswith("_")
             and isinstance(have.get(p), str) and have.get(p)]
    if not props:
        return []
    cols = ", ".join(f"count(DISTINCT n.`{p}`) AS `d{i}`" for i, p in enumerate(props))
    counts = store.query(f"MATCH (n:`{node_type}`) RETURN count(n) AS total, {cols}").rows[0]
    total = int(counts["total"])
    scored = [(int(counts[f"d{i}"]), p) for i, p in enumerate(props) if 1 < int(counts[f"d{i}"]) < total]
    return [p for _, p in sorted(scored, key=lambda x: (x[0], x[1]))]


def suggest(store: GraphStore, schema: GraphSchema | None, node_type: str, *, ask: Callable[[str], Answer] | None = None,
            limit: int = 6, should_stop: Callable[[], bool] | None = None) -> list[Suggestion]:
    """At most `limit` suggested questions; with `ask`, only those it answers about the component they name.
    `should_stop` is asked before each question (a server shutting down stops between questions)."""
    if schema is None:
        return []
    out: list[Suggestion] = []
    for s in candidates(store, schema, node_type):
        if len(out) >= limit:
            break
        if should_stop is not None and should_stop():
            break
        if any(o.shape == s.shape for o in out):
            continue  # one question per shape: a second candidate only stands in for a first that was not answered
        if ask is None:
            out.append(s)
            continue
        answer = ask(s.question)
        if answer.abstained or answer.kind == "abstain" or s.about not in answer.text:
            continue
        out.append(Suggestion(s.question, s.shape, s.about, answer.kind))
    return out
