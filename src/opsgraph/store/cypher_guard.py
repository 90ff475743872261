"""A static read-only check for Cypher, the first of two guards.

The engine is the second guard (ArcadeDB refuses a non-idempotent statement
through its query API). The static check exists so a write is refused with a
clear message before it reaches any engine, including engines without such a
guard, and so callers learn *which* clause was refused. It tokenises just
enough of Cypher to skip string literals, comments and backquoted names; it
does not try to be a full parser.
"""

from __future__ import annotations

import re
from functools import lru_cache

WRITE_CLAUSES = frozenset(
    {"CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "FOREACH", "LOAD", "ALTER", "GRANT", "REVOKE"}
)
"""Keywords that start a clause which writes or changes the database."""

_TOKEN = re.compile(
    r"""
    (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")   # string literals
  | (?P<bq>`[^`]*`)                                # backquoted identifiers
  | (?P<lc>//[^\n]*)                               # line comment
  | (?P<bc>/\*.*?\*/)                              # block comment
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

# Procedures that only read; any other CALL is treated as a possible write.
_READ_PROCEDURES = re.compile(r"^(db\.(labels|relationshiptypes|propertykeys|schema\.\w+|index\.fulltext\.querynodes)|vector\.neighbors)$", re.I)


def keywords(cypher: str) -> list[str]:
    """Upper-cased bare words of a query, outside literals and comments."""
    out: list[str] = []
    prev_dot = False
    for m in _TOKEN.finditer(cypher):
        kind = m.lastgroup
        if kind == "word":
            # `n.set` or `n.delete` is a property, not a clause.
            if not prev_dot:
                out.append(m.group().upper())
            prev_dot = False
        elif kind == "other":
            ch = m.group()
            if not ch.isspace():
                prev_dot = ch == "."
        else:
            prev_dot = False
    return out


def _called_procedures(cypher: str) -> list[str]:
    names = []
    for m in re.finditer(r"\bCALL\s+([A-Za-z_][\w.]*)", _strip_literals(cypher), re.I):
        names.append(m.group(1))
    return names


def _strip_literals(cypher: str) -> str:
    return "".join(
        " " if m.lastgroup in ("str", "bq", "lc", "bc") else m.group() for m in _TOKEN.finditer(cypher)
    )


def write_clauses(cypher: str) -> list[str]:
    """Clauses of `cypher` that could write; empty when it only reads."""
    return list(_write_clauses(cypher))


@lru_cache(maxsize=2048)
def _write_clauses(cypher: str) -> tuple[str, ...]:
    # Cached: the same parameterised query text runs many times (traversals, the planner).
    found = [k for k in keywords(cypher) if k in WRITE_CLAUSES]
    found += [f"CALL {p}" for p in _called_procedures(cypher) if not _READ_PROCEDURES.match(p)]
    return tuple(found)


def is_read_only(cypher: str) -> bool:
    """True when the static check finds nothing that could write."""
    return not write_clauses(cypher)


def has_limit(cypher: str) -> bool:
    """True when the query's last clause chain ends with a LIMIT."""
    words = keywords(cypher)
    return "LIMIT" in words[-4:] if words else False
