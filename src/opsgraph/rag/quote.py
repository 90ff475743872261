"""Document answers quoted, not written: the best-matching section verbatim, with where it comes from.

The fused document hits (vector and full-text search over chunks) are read
back from the store with their document's title, heading path and position;
the best section is shown verbatim, joined with the chunks that continue it
(same document and heading, next positions) so numbered steps stay intact,
under one line naming the document title, the heading path and the document's
path. Other matching sections are listed as "see also". Nothing that is not
in the sources is shown as the answer. It must not call a language model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opsgraph.rag.render import Rendered
from opsgraph.retrieve.base import Hit
from opsgraph.store.base import GraphStore

MAX_QUOTE_CHARS = 2500
"""Longest quote; a section longer than this is cut at a line boundary (and says so)."""
SEE_ALSO = 2
"""Other sections named under the quote."""
_STOP = frozenset(
    "a an the of to in on for and or is are was were be do does did how what when where which who why i we our my it its "
    "this that these those with from by at as if should can could would will".split()
)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Section:
    """A chunk as stored, with its document's title."""

    chunk_id: str
    doc_id: str
    title: str
    heading: str
    position: int
    text: str

    @property
    def where(self) -> str:
        head = f" › {self.heading}" if self.heading and self.heading != self.title else ""
        return f'"{self.title}"{head} ({self.doc_id})'


def _sections(store: GraphStore, chunk_ids: Sequence[str]) -> dict[str, Section]:
    rows = store.query(
        "MATCH (c:Chunk) WHERE c.id IN $ids RETURN c.id AS id, c.doc_id AS doc, c.heading_path AS heading, c.position AS pos, c.text AS text",
        {"ids": list(chunk_ids)},
        limit=1000,
    ).rows
    docs = sorted({str(r["doc"]) for r in rows if r.get("doc")})
    titles = {}
    if docs:
        titles = {
            str(r["id"]): str(r.get("title") or r["id"])
            for r in store.query("MATCH (d:Document) WHERE d.id IN $ids RETURN d.id AS id, d.title AS title", {"ids": docs}, limit=1000).rows
        }
    return {
        str(r["id"]): Section(str(r["id"]), str(r.get("doc") or ""), titles.get(str(r.get("doc")), str(r.get("doc") or "")), str(r.get("heading") or ""), int(r.get("pos") or 0), str(r.get("text") or ""))
        for r in rows
    }


def _continuation(store: GraphStore, first: Section) -> list[Section]:
    """Chunks after `first` in the same document and under the same heading (a section cut by the chunker)."""
    rows = store.query(
        "MATCH (c:Chunk) WHERE c.doc_id = $doc AND c.position > $pos AND c.position <= $last "
        "RETURN c.id AS id, c.heading_path AS heading, c.position AS pos, c.text AS text ORDER BY pos",
        {"doc": first.doc_id, "pos": first.position, "last": first.position + 4},
        limit=10,
    ).rows
    out = []
    for r in rows:
        if str(r.get("heading") or "") != first.heading:
            break
        out.append(Section(str(r["id"]), first.doc_id, first.title, first.heading, int(r.get("pos") or 0), str(r.get("text") or "")))
    return out


_MIN_REPEAT = 12
"""Shortest text at a chunk's start taken for a repeat of the previous chunk's end (shorter ones, a closing code fence
"```" then an opening one, are the document's own)."""


def join_chunks(texts: Sequence[str]) -> str:
    """The chunks of one section as one text, each chunk's opening lines dropped where they repeat the previous one's
    closing lines (the chunker starts a chunk with the last pieces of the one before: `ingest/chunking.py`); a quote
    said a numbered step twice where a cut fell."""
    body = ""
    for raw in texts:
        t = raw.strip("\n")
        if not body:
            body = t
            continue
        cut = 0
        for k in range(min(len(body), len(t)), _MIN_REPEAT - 1, -1):
            if (k == len(t) or t[k] == "\n") and (k == len(body) or body[-k - 1] == "\n") and body.endswith(t[:k]):
                cut = k
                break
        if cut:
            body += t[cut:]  # the newlines after the repeat are the document's own
        else:
            body = f"{body}\n{t}"
    return body


def _overlap(question: str, text: str) -> int:
    words = {w for w in _WORD.findall(question.lower()) if w not in _STOP and len(w) > 2}
    have = set(_WORD.findall(text.lower()))
    return len(words & have)


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "osis", "ose", "ings", "ing", "ies", "ed", "es", "e", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


_INTENTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (
        re.compile(r"\b(roll(?:ing)? ?back|revert\w*|undo|re-?start\w*|scal(?:e|ing) (?:up|out|down)|fail ?over|mitigat\w*|fix\w*|"
                   r"recover\w*|remediat\w*|drain\w*|flush\w*|resolve|workaround|skip\w*|pause|disable|turn off|switch over|"
                   r"raise|increase|grow|free up|clear|purge|reset|force|stop (?:it|this|them)|make it stop|"
                   r"what (?:do|should|can|must) (?:i|we) do)\b", re.I),
        ("mitigation", "remediation", "resolution", "recovery", "workaround", "fix", "actions"),
    ),
    (re.compile(r"\b(diagnos\w*|investigat\w*|debug\w*|troubleshoot\w*|find out|figure out|what to check|"
                r"what (?:do|should|can|must) (?:i|we) (?:check|look at|verify)|how (?:do|can|should) (?:i|we) (?:check|see))\b", re.I),
     ("diagnosis", "investigation", "troubleshooting", "debugging", "checks")),
    (re.compile(r"\b(escalat\w*)\b", re.I), ("escalation",)),
)
"""What a question asks to do → the headings runbooks conventionally put it under ("How do I roll back X?", "what do
I do?", "how do we stop it?" → the *Mitigation* section; "how do I debug X?", "what should I check?" → *Diagnosis*)."""


def intent_phrases(question: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each phrase of `question` asking to do something (`_INTENTS`), with the heading words runbooks put it under."""
    return [(m.group(0), heads) for pattern, heads in _INTENTS for m in pattern.finditer(question)]


def _intent_headings(question: str) -> tuple[str, ...]:
    """The heading words of the one thing the question asks to do, or () when it asks none or several."""
    found = [heads for pattern, heads in _INTENTS if pattern.search(question)]
    return found[0] if len(found) == 1 else ()


def _section_named(question: str, store: GraphStore, best: Section) -> Section:
    """"How do I mitigate X?" wants X's runbook's *Mitigation* section, "diagnose" its *Diagnosis*, "roll back" its
    *Mitigation* (`_INTENTS`): when the question names a heading of the chosen document (by stem, or by what it asks
    to do) and the chosen section is not under it, that section's first chunk replaces it."""
    asked = {w for w in _WORD.findall(question.lower()) if len(w) >= 5 and w not in _STOP}
    intent = _intent_headings(question)
    if not asked and not intent:
        return best

    def names(heading: str) -> bool:
        words = [h for h in _WORD.findall(heading.lower()) if len(h) >= 5]
        if intent and any(h.startswith(i[:6]) for h in words for i in intent):
            return True
        return any(a[:5] == h[:5] and (a.startswith(h[: len(a) - 2]) or h.startswith(a[: len(h) - 3])) for a in asked for h in words)

    if ">" in best.heading and names(best.heading.split(">")[-1]):
        return best
    rows = store.query(
        "MATCH (c:Chunk) WHERE c.doc_id = $doc RETURN c.id AS id, c.heading_path AS heading, c.position AS pos, c.text AS text ORDER BY pos",
        {"doc": best.doc_id},
        limit=500,
    ).rows
    for r in rows:
        heading = str(r.get("heading") or "")
        if ">" in heading and names(heading.split(">")[-1]):
            return Section(str(r["id"]), best.doc_id, best.title, heading, int(r.get("pos") or 0), str(r.get("text") or ""))
    return best


def asks_for_heading(question: str, heading_path: str) -> bool:
    """True when the question names the section's own (sub)heading by stem ("What are the *symptoms* of X?" and the
    section "X > Symptoms"); a document's title alone (no `>`) does not count."""
    if ">" not in heading_path:
        return False
    asked = {w for w in _WORD.findall(question.lower()) if len(w) >= 5 and w not in _STOP}
    heads = [h for h in _WORD.findall(heading_path.split(">")[-1].lower()) if len(h) >= 5]
    return any(a[:5] == h[:5] for a in asked for h in heads)


def coverage(question: str, text: str) -> float:
    """Share of the question's content words (by stem) that `text` contains."""
    asked = _stems(question)
    if not asked:
        return 0.0
    have = _stems(text)
    return len(asked & have) / len(asked)


def quote_sections(
    question: str, hits: Sequence[Hit], store: GraphStore, *, min_overlap: int = 1, min_coverage: float = 0.0, prefer: Sequence[str] = ()
) -> tuple[Rendered, list[Section]] | None:
    """The best-matching section quoted verbatim (and its continuation), or None when no hit is a chunk or the best
    shares fewer than `min_overlap` of the question's content words, or the quote holds less than `min_coverage` of
    them (a section about something else is no answer). `prefer`: documents about the entities the question names
    (their runbooks); their sections rank before the others, in fused order ("How do I roll back the payment
    service?" wants the payment runbook's rollback, not another runbook's)."""
    chunk_hits = [h for h in hits if h.kind == "chunk"]
    if not chunk_hits:
        return None
    sections = _sections(store, [h.source_id for h in chunk_hits])
    ranked = [sections[h.source_id] for h in chunk_hits if h.source_id in sections]
    if not ranked:
        return None
    if prefer:
        ranked = [s for s in ranked if s.doc_id in prefer] + [s for s in ranked if s.doc_id not in prefer]
    # Fused rank first; among the first three, the one sharing most of the question's words wins a tie.
    top = ranked[:3]
    best = max(top, key=lambda s: (_overlap(question, s.heading + " " + s.text), -top.index(s)))
    if _overlap(question, f"{best.title} {best.heading} {best.text}") < min_overlap:
        return None
    best = _section_named(question, store, best)
    parts = [best, *_continuation(store, best)]
    body = join_chunks([p.text for p in parts])
    if coverage(question, f"{best.title} {best.heading} {body}") < min_coverage:
        return None
    cut = False
    if len(body) > MAX_QUOTE_CHARS:
        body = body[: body.rfind("\n", 0, MAX_QUOTE_CHARS)] if "\n" in body[:MAX_QUOTE_CHARS] else body[:MAX_QUOTE_CHARS]
        cut = True
    lines = [ln for ln in body.splitlines()]
    if cut:
        lines.append(f"[... the section goes on in {best.doc_id}]")
    others = []
    seen = {(best.doc_id, best.heading)}
    for s in ranked:
        if (s.doc_id, s.heading) in seen:
            continue
        seen.add((s.doc_id, s.heading))
        others.append(s)
        if len(others) >= SEE_ALSO:
            break
    lines += [f"See also: {s.where}" for s in others]
    return Rendered(f"From {best.where}:", lines), [best, *parts[1:], *others]


def quoted_only(text: str, sources: Sequence[str], *, allowed: Sequence[str] = ()) -> list[str]:
    """Lines of `text` that are neither inside one of `sources` nor one of the `allowed` template lines (empty: all quoted)."""
    bad = []
    for line in text.splitlines():
        s = line.strip()
        if not s or any(s in src for src in sources) or any(re.fullmatch(p, s) for p in allowed):
            continue
        bad.append(line)
    return bad


def section_dict(s: Section) -> dict[str, Any]:
    return {"chunk": s.chunk_id, "document": s.doc_id, "title": s.title, "section": s.heading}


def documents_of(store: GraphStore, nodes: Sequence[tuple[str, str]]) -> list[str]:
    """Ids of the documents that (node id, node type) pairs point at through a property holding a document's id (a
    runbook's `path`), in the order of `nodes`."""
    values: dict[str, list[str]] = {}
    for node_type in dict.fromkeys(t for _, t in nodes):
        ids = [i for i, t in nodes if t == node_type]
        for r in store.query(f"MATCH (n:{node_type}) WHERE n.id IN $ids RETURN n.id AS id, properties(n) AS p", {"ids": ids}, limit=1000).rows:
            props = r.get("p") or {}
            values[str(r["id"])] = [str(v) for k, v in props.items() if isinstance(v, str) and k != "id" and "/" in v]
    wanted = [v for i, _ in nodes for v in values.get(i, [])]
    if not wanted:
        return []
    found = {str(r["id"]) for r in store.query("MATCH (d:Document) WHERE d.id IN $ids RETURN d.id AS id", {"ids": wanted}, limit=1000).rows}
    return [v for v in dict.fromkeys(wanted) if v in found]


def quote_documents(question: str, documents: Sequence[str], hits: Sequence[Hit], store: GraphStore) -> tuple[Rendered, list[Section]] | None:
    """The best section of one of `documents` (the first one a document hit falls in; else the first document's
    opening, or the section whose heading the question names), quoted like `quote_sections`."""
    chunk_hits = [h for h in hits if h.kind == "chunk"]
    sections = _sections(store, [h.source_id for h in chunk_hits]) if chunk_hits else {}
    inside = [h for h in chunk_hits if h.source_id in sections and sections[h.source_id].doc_id in documents]
    if not inside:
        rows = store.query(
            "MATCH (c:Chunk) WHERE c.doc_id = $doc RETURN c.id AS id ORDER BY c.position LIMIT 1", {"doc": documents[0]}, limit=1
        ).rows
        if not rows:
            return None
        inside = [Hit(source_id=str(rows[0]["id"]), score=0.0, text="", kind="chunk", found_by="graph")]
    return quote_sections(question, inside, store, min_overlap=0)
