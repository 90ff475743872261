"""Runbook sections for the top candidates, quoted verbatim from the stored chunks with their heading.

A runbook covers a component through a RUNBOOK_FOR edge (runbook -> component); its markdown was
ingested as a Document whose id is the runbook's `path`, split into Chunks (`doc_id`, `position`,
`heading_path`, `text`). The quote is the stored text itself, never a paraphrase. Sections whose
heading or text share words with the evidence (metric names, change kinds) come first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opsgraph.investigate.similar import words
from opsgraph.schema import GraphSchema
from opsgraph.store.base import GraphStore

RUNBOOK_EDGE = "RUNBOOK_FOR"
CHUNK_TYPE = "Chunk"
_ACTION = words("mitigate mitigation fix remediate rollback roll back restart steps triage diagnose check first actions resolve")


@dataclass(frozen=True)
class RunbookSection:
    heading: str
    text: str
    chunk: str


@dataclass(frozen=True)
class RunbookQuote:
    """One runbook of a candidate and the sections quoted from it."""

    node: str
    runbook: str
    title: str
    path: str
    sections: list[RunbookSection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.node, "runbook": self.runbook, "title": self.title, "path": self.path,
                "sections": [s.__dict__ for s in self.sections]}


def runbooks_for(store: GraphStore, schema: GraphSchema, nodes: Sequence[str], *, hints: Sequence[str] = (),
                 sections: int = 3) -> list[RunbookQuote]:
    """Runbooks covering `nodes` (in that order), each with up to `sections` quoted chunks."""
    if RUNBOOK_EDGE not in schema.edges or not nodes:
        return []
    rows = store.query(f"MATCH (r)-[:`{RUNBOOK_EDGE}`]->(n) WHERE n.id IN $ids RETURN r.id AS r, r.title AS title, r.path AS path, n.id AS n",
                       {"ids": list(nodes)}).rows
    order = {n: i for i, n in enumerate(nodes)}
    rows.sort(key=lambda r: (order.get(str(r["n"]), 1 << 30), str(r["r"])))
    want = words(" ".join(hints)) | _ACTION
    out: list[RunbookQuote] = []
    seen: set[str] = set()
    for r in rows:
        rid = str(r["r"])
        if rid in seen:
            continue
        seen.add(rid)
        path = str(r.get("path") or "")
        chunks = store.query(f"MATCH (c:`{CHUNK_TYPE}`) WHERE c.doc_id = $doc RETURN c.id AS id, c.text AS text, "
                             "c.heading_path AS heading, c.position AS pos", {"doc": path}).rows if path else []
        chunks.sort(key=lambda c: int(c.get("pos") or 0))
        ranked = sorted(chunks, key=lambda c: (-len(want & words(f"{c.get('heading') or ''} {c.get('text') or ''}")), int(c.get("pos") or 0)))
        picked = sorted(ranked[:sections], key=lambda c: int(c.get("pos") or 0))
        out.append(RunbookQuote(str(r["n"]), rid, str(r.get("title") or rid), path,
                                [RunbookSection(str(c.get("heading") or ""), str(c.get("text") or ""), str(c["id"])) for c in picked]))
    return out
