"""Labels and relationship types a Cypher query names, and which of them the store does not have.

The engine answers `MATCH (n:Servce)` with no rows and no error, so a typo in a
label looks like an empty estate. This reads the names a query uses (with the
tokenizer of `cypher_guard`: strings, comments and back-quoted names handled)
and, given the live type names, says which are unknown and what they were
probably meant to be ("no such label Servce; did you mean Service?").

What counts as a name: a `:Name` outside map literals (`{id: $id}` holds keys,
not labels); inside `[...]` right after `-` or `<-` it is a relationship type
(and so is each `|Name` after it), elsewhere a label (`(n:A:B)`, `WHERE n:A`).
It errs towards reporting nothing: a reading it is unsure of is skipped.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from opsgraph.store.cypher_guard import Token, UnparsableError, tokens


@dataclass(frozen=True)
class UnknownName:
    """A label or relationship type a query names that the store does not have."""

    name: str
    kind: str
    """`label` or `relationship type`."""
    suggestions: list[str] = field(default_factory=list)
    """Known names it is closest to (case-insensitive spelling), best first."""

    def text(self) -> str:
        hint = f"; did you mean {' or '.join(self.suggestions)}?" if self.suggestions else ""
        return f"no such {self.kind} {self.name}{hint}"


def _is(tok: Token | None, sym: str) -> bool:
    return tok is not None and tok.kind == "sym" and tok.text == sym


def named_types(cypher: str) -> tuple[list[str], list[str]]:
    """(labels, relationship types) the query names, each once, in order of appearance; ([], []) when it does not parse."""
    try:
        toks = tokens(cypher)
    except UnparsableError:
        return [], []
    labels: dict[str, None] = {}
    rels: dict[str, None] = {}
    stack: list[str] = []  # open brackets: "(", "{", "[" (list or comprehension), "rel" (a relationship pattern)
    for i, tok in enumerate(toks):
        prev = toks[i - 1] if i else None
        if tok.kind == "sym" and tok.text in "({[":
            kind = tok.text
            if tok.text == "[" and (_is(prev, "-") or (_is(prev, "<"))):
                kind = "rel"
            stack.append(kind)
            continue
        if tok.kind == "sym" and tok.text in ")}]":
            if stack:
                stack.pop()
            continue
        if "{" in stack or tok.kind not in ("word", "name"):
            continue
        in_rel = bool(stack) and stack[-1] == "rel"
        if _is(prev, ":"):
            before = toks[i - 2] if i >= 2 else None
            if _is(before, ":"):
                continue  # `::` is no label
            (rels if in_rel else labels)[tok.text] = None
        elif in_rel and _is(prev, "|"):
            rels[tok.text] = None
    return list(labels), list(rels)


def _closest(name: str, known: list[str]) -> list[str]:
    by_lower = {k.lower(): k for k in known}
    same_case = by_lower.get(name.lower())
    if same_case is not None:
        return [same_case]
    return [by_lower[m] for m in difflib.get_close_matches(name.lower(), list(by_lower), n=2, cutoff=0.6)]


def unknown_names(cypher: str, node_types: list[str], edge_types: list[str]) -> list[UnknownName]:
    """Labels and relationship types of `cypher` that are none of the known ones, each with its likeliest meaning."""
    labels, rels = named_types(cypher)
    nodes, edges = set(node_types), set(edge_types)
    out = [UnknownName(x, "label", _closest(x, node_types)) for x in labels if x not in nodes]
    out += [UnknownName(x, "relationship type", _closest(x, edge_types)) for x in rels if x not in edges]
    return out
