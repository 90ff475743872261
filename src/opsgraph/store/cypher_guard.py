"""A static read-only check for Cypher that holds on its own.

The engine is the second guard (ArcadeDB refuses a non-idempotent statement
through its query API), but this check must not rely on it: it runs first,
names the clause it refused, and protects engines without such a guard.

It is a tokenizer with just enough of Cypher's grammar to know where code
is: string literals, back-quoted names, and comments. Wherever the reading
of a statement is ambiguous it takes every reading and refuses if any one
of them writes:
- a `//` comment ends at *any* Unicode line break (\\n, \\r, \\v, \\f, \\x1c-\\x1e,
  \\x85, \\u2028, \\u2029): ending it early only exposes more text to the check;
- a string honours backslash escapes as the engine does (`'a\\' CREATE'` is one string; `''` is no escape there);
- an unterminated string or block comment is refused (the engine would not
  parse it, and what follows is hidden from this check).
Back-quoted names are normalised (`` `db.createLabel` `` and
`` `apoc`.`create`.node `` are `db.createLabel` and `apoc.create.node`), so a
`CALL` is matched against the allow-list of reading procedures by its real
name, and a namespaced function call (`apoc.create.node(...)` in a `RETURN`)
is refused unless its namespace only computes values (dates, durations, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from opsgraph.errors import QueryError

WRITE_CLAUSES = frozenset(
    {"CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "FOREACH", "LOAD", "ALTER", "GRANT", "REVOKE", "DENY", "RENAME"}
)
"""Keywords that start a clause which writes or changes the database (words like `start` stay usable as names)."""

READ_PROCEDURES = frozenset(
    {"db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization", "db.index.fulltext.querynodes",
     "vector.neighbors"}
)
"""Procedures a read-only query may CALL (lower case). Each was checked against the engine's read-only path:
`db.schema.nodeTypeProperties` and `db.schema.relTypeProperties` are refused there, so they are not here."""

READ_FUNCTION_NAMESPACES = frozenset({"date", "datetime", "localdatetime", "localtime", "time", "duration", "point", "vector"})
"""Namespaces of functions that only compute a value (`date.truncate`, `duration.between`, `vector.similarity.cosine`)."""

LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
"""Every character Python's `str.splitlines` splits on: a `//` comment ends at the first of them."""

_NAME_START = re.compile(r"[^\W\d]", re.UNICODE)
_NAME_CHAR = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class Token:
    kind: str
    """"word" (a bare name), "name" (back-quoted), "str", "sym" (one character), "param" ($name)."""
    text: str
    """The word as written (back-quotes removed for "name"), or the symbol."""


class UnparsableError(QueryError):
    """The statement has an unterminated string, back-quoted name or comment."""


def tokens(cypher: str, *, backslash_escapes: bool = True) -> list[Token]:
    """Tokens of the code of `cypher` (comments and whitespace dropped)."""
    out: list[Token] = []
    i, n = 0, len(cypher)
    while i < n:
        ch = cypher[i]
        if ch.isspace():
            i += 1
        elif cypher.startswith("//", i):
            j = i + 2
            while j < n and cypher[j] not in LINE_BREAKS:
                j += 1
            i = j
        elif cypher.startswith("/*", i):
            end = cypher.find("*/", i + 2)
            if end < 0:
                raise UnparsableError("unterminated /* comment")
            i = end + 2
        elif ch in "'\"":
            j = i + 1
            while j < n and cypher[j] != ch:
                j += 2 if (backslash_escapes and cypher[j] == "\\") else 1
            if j >= n:
                raise UnparsableError("unterminated string")
            out.append(Token("str", cypher[i + 1 : j]))
            i = j + 1
        elif ch == "`":
            j = i + 1
            parts = []
            while True:  # `` inside a back-quoted name is one back-quote
                end = cypher.find("`", j)
                if end < 0:
                    raise UnparsableError("unterminated back-quoted name")
                parts.append(cypher[j:end])
                if cypher.startswith("``", end):
                    parts.append("`")
                    j = end + 2
                    continue
                break
            out.append(Token("name", "".join(parts)))
            i = end + 1
        elif ch == "$":
            j = i + 1
            while j < n and _NAME_CHAR.match(cypher[j]):
                j += 1
            out.append(Token("param", cypher[i + 1 : j]))
            i = j
        elif _NAME_START.match(ch):
            j = i + 1
            while j < n and _NAME_CHAR.match(cypher[j]):
                j += 1
            out.append(Token("word", cypher[i:j]))
            i = j
        else:
            out.append(Token("sym", ch))
            i += 1
    return out


def _dotted(toks: list[Token], start: int) -> tuple[str, int]:
    """A dotted name (`db.index.fulltext.queryNodes`, `` `apoc`.`create`.node ``, `` `db.createLabel` ``) from `start`."""
    parts: list[str] = []
    i = start
    while i < len(toks) and toks[i].kind in ("word", "name"):
        parts.append(toks[i].text)
        if i + 1 < len(toks) and toks[i + 1].kind == "sym" and toks[i + 1].text == ".":
            i += 2
            continue
        i += 1
        break
    return ".".join(parts), i


def _writes(toks: list[Token]) -> list[str]:
    found: list[str] = []
    for i, tok in enumerate(toks):
        prev = toks[i - 1] if i else None
        after_dot = prev is not None and prev.kind == "sym" and prev.text == "."  # n.set is a property
        if tok.kind == "word" and not after_dot:
            word = tok.text.upper()
            if word in WRITE_CLAUSES:
                found.append(word)
            elif word == "CALL":
                name, _ = _dotted(toks, i + 1)
                if name and name.lower() not in READ_PROCEDURES:
                    found.append(f"CALL {name}")
        # A namespaced function call: `apoc.create.node(...)`, `` `db`.createLabel(...) ``.
        if tok.kind in ("word", "name") and not after_dot and not (prev is not None and prev.kind == "word" and prev.text.upper() == "CALL"):
            name, end = _dotted(toks, i)
            if "." in name and end < len(toks) and toks[end].kind == "sym" and toks[end].text == "(":
                namespace = name.split(".", 1)[0].lower()
                # `n.prop(` is no call on a variable in Cypher: every dotted call is a namespaced function.
                if namespace not in READ_FUNCTION_NAMESPACES:
                    found.append(f"{name}()")
    return found


def write_clauses(cypher: str) -> list[str]:
    """Clauses of `cypher` that could write; empty when it only reads. An unparsable statement is reported as such."""
    return list(_write_clauses(cypher))


@lru_cache(maxsize=2048)
def _write_clauses(cypher: str) -> tuple[str, ...]:
    # Cached: the same parameterised query text runs many times (traversals, the planner).
    try:
        toks = tokens(cypher)
    except UnparsableError as exc:
        return (f"unparsable ({exc})",)
    return tuple(dict.fromkeys(_writes(toks)))


def is_read_only(cypher: str) -> bool:
    """True when the static check finds nothing that could write."""
    return not write_clauses(cypher)


def keywords(cypher: str) -> list[str]:
    """Upper-cased bare words of a query, outside literals and comments (after a `.`, a word is a property, not a keyword)."""
    try:
        toks = tokens(cypher)
    except UnparsableError:
        return []
    out = []
    for i, tok in enumerate(toks):
        prev = toks[i - 1] if i else None
        if tok.kind == "word" and not (prev is not None and prev.kind == "sym" and prev.text == "."):
            out.append(tok.text.upper())
    return out


def has_limit(cypher: str) -> bool:
    """True when the query's last clause chain ends with a LIMIT."""
    words = keywords(cypher)
    return "LIMIT" in words[-4:] if words else False
