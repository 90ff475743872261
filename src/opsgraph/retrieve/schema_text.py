"""The live schema as text: the form prompts (and `opsgraph describe`) show it.

Pure functions of what the store described (`GraphStore.describe()`) and the
declared schema; they query nothing themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from opsgraph.schema import GraphSchema
from opsgraph.store import LiveType

__all__ = ["prompt_schema", "render_schema"]


def render_schema(types: Sequence[LiveType], schema: GraphSchema | None) -> str:
    """Text description of the live graph, the form prompts use."""
    lines = []
    if schema is not None:
        lines.append(f"Estate: {schema.name}" + (f" - {schema.description}" if schema.description else ""))
    lines.append("Node types:")
    for t in (t for t in types if t.kind == "node"):
        declared = schema.nodes.get(t.name) if schema else None
        props = ", ".join(f"{k}: {v}" for k, v in sorted(t.properties.items()))
        desc = f" - {declared.description}" if declared is not None and declared.description else ""
        lines.append(f"  (:{t.name}) [{t.count}] {{{props}}}{desc}")
    lines.append("Relationships:")
    for t in (t for t in types if t.kind == "edge"):
        declared_e = schema.edges.get(t.name) if schema else None
        ends = t.endpoints or ([(f, to) for f in declared_e.from_types for to in declared_e.to_types] if declared_e else [])
        props = ", ".join(f"{k}: {v}" for k, v in sorted(t.properties.items()))
        desc = f" - {declared_e.description}" if declared_e is not None and declared_e.description else ""
        froms = sorted({f for f, _ in ends})
        tos = sorted({to for _, to in ends})
        body = f"{t.name} {{{props}}}" if props else t.name
        lines.append(f"  (:{'|'.join(froms)})-[:{body}]->(:{'|'.join(tos)}) [{t.count}]{desc}")
    return "\n".join(lines)


def prompt_schema(types: Sequence[LiveType], schema: GraphSchema, *, exclude: Collection[str] = ()) -> str:
    """The live schema as the models that write Cypher see it: `render_schema` without the `exclude`d types
    (the app passes the document and chunk types)."""
    return render_schema([t for t in types if t.name not in exclude], schema)
