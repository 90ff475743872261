"""Past incidents like this one: same components affected or blamed, a similar summary; their causes and fixes.

Similarity = component overlap (Jaccard of the incident's AFFECTED and CAUSED_BY components with the
investigation's symptom and top candidates; a past cause among the candidates counts double) plus
summary overlap (Jaccard of word sets, or the cosine of embeddings when an `Embedder` is given),
each in [0, 1], averaged. Type, edge and property names come from the schema's `incidents:` section.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from opsgraph.embed.base import Embedder
from opsgraph.schema import GraphSchema
from opsgraph.store.base import GraphStore

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an and are as at be by for from has in is it of on or the to was were with after before".split())


@dataclass(frozen=True)
class PastIncident:
    """One stored incident with what it affected, what caused it and how it was fixed."""

    id: str
    title: str
    summary: str
    started_at: int | None
    affected: tuple[str, ...]
    causes: tuple[str, ...]
    cause_detail: str = ""
    fix: str = ""
    open: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SimilarIncident:
    incident: PastIncident
    score: float
    shared: tuple[str, ...]
    """Components it shares with this investigation."""
    why: str

    def as_dict(self) -> dict[str, Any]:
        i = self.incident
        return {"id": i.id, "title": i.title, "score": round(self.score, 4), "shared": list(self.shared), "causes": list(i.causes),
                "cause_detail": i.cause_detail, "fix": i.fix, "started_at": i.started_at, "summary": i.summary, "why": self.why}


def _epoch(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, datetime):
        return int((value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp())
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return int((dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp())


def words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


def past_incidents(store: GraphStore, schema: GraphSchema) -> list[PastIncident]:
    """Every stored incident with its affected components and causes (empty without an `incidents:` section)."""
    inc = schema.incidents
    if inc is None or inc.type not in schema.nodes:
        return []
    # Names come from the validated schema (identifier pattern), never from input.
    rows = store.query(f"MATCH (i:`{inc.type}`) RETURN i AS i", limit=100_000).rows
    found: dict[str, dict[str, Any]] = {}
    for r in rows:
        props = r["i"] if isinstance(r.get("i"), dict) else {}
        if props.get("id"):
            found[str(props["id"])] = {"props": props, "affected": set(), "causes": set(), "detail": []}
    edges = [(inc.affected, "affected")] + ([(inc.caused_by, "causes")] if inc.caused_by and inc.caused_by in schema.edges else [])
    for etype, slot in edges:
        detail = ", e.detail AS detail" if slot == "causes" and "detail" in schema.edges[etype].properties else ""
        for r in store.query(f"MATCH (i:`{inc.type}`)-[e:`{etype}`]->(n) RETURN i.id AS i, n.id AS n{detail}", limit=100_000).rows:
            rec = found.get(str(r["i"]))
            if rec is not None:
                rec[slot].add(str(r["n"]))
                if r.get("detail"):
                    rec["detail"].append(str(r["detail"]))
    out = []
    for iid, rec in found.items():
        p = rec["props"]
        out.append(PastIncident(
            id=iid, title=str(p.get("title") or ""), summary=str(p.get("summary") or ""), started_at=_epoch(p.get(inc.start)),
            affected=tuple(sorted(rec["affected"])), causes=tuple(sorted(rec["causes"])), cause_detail="; ".join(rec["detail"]),
            fix=str(p.get("fix") or ""), open=bool(inc.end) and not p.get(inc.end or ""),
        ))
    return sorted(out, key=lambda i: (-(i.started_at or 0), i.id))


def similar_incidents(
    incidents: Sequence[PastIncident], nodes: Sequence[str], text: str, *, k: int = 3, exclude: Sequence[str] = (),
    embedder: Embedder | None = None, before: int | None = None,
) -> list[SimilarIncident]:
    """The `k` incidents most like one touching `nodes` (symptom first, then candidates) described by `text`."""
    pool = [i for i in incidents if i.id not in set(exclude) and (before is None or i.started_at is None or i.started_at <= before)]
    if not pool:
        return []
    mine = set(nodes)
    if embedder is not None and text.strip():
        vecs = np.asarray(embedder.embed([text] + [f"{i.title}. {i.summary}" for i in pool]), dtype=np.float64)
        norms = np.linalg.norm(vecs, axis=1)
        norms[norms == 0] = 1.0
        text_sim = list((vecs[1:] @ vecs[0]) / (norms[1:] * norms[0]))
    else:
        q = words(text)
        text_sim = []
        for i in pool:
            w = words(f"{i.title} {i.summary} {i.cause_detail}")
            text_sim.append(len(q & w) / len(q | w) if q and w else 0.0)
    out = []
    for i, ts in zip(pool, text_sim, strict=True):
        theirs = set(i.affected) | set(i.causes)
        shared = mine & theirs
        comp = (len(shared) + len(mine & set(i.causes))) / max(len(mine | theirs), 1)
        score = 0.5 * min(comp, 1.0) + 0.5 * max(float(ts), 0.0)
        if not shared and ts <= 0.05:
            continue
        bits = []
        if shared:
            bits.append("same components: " + ", ".join(sorted(shared)))
        if mine & set(i.causes):
            bits.append("caused by " + ", ".join(sorted(mine & set(i.causes))))
        bits.append(f"summary similarity {float(ts):.2f}")
        out.append(SimilarIncident(i, score, tuple(sorted(shared)), "; ".join(bits)))
    out.sort(key=lambda s: (-s.score, s.incident.id))
    return out[:k]
