"""A file's facts carried from the last sync as one block: its claim keys, node ids and counts, not its rows.

Why: a re-sync of 10k workloads where 1 % changed spent most of its time on the 99 % that did not, row by row
(replaying kept rows, ownership, edge checks, the plan's state and hash comparison). A reader that can prove a
file gives exactly the rows it gave in the sync its kept results are from hands the file over as a
`CarriedFile` instead (`Facts.carried`); the sync plan then takes that file's claim hashes from the copy it kept
of that same sync (`ingest.sync.KnownClaims`), in bulk.

What a block must hold so that carrying it is what a fresh read would do:
- `ents`: every fact the file gave after the reader's checks (`kind|type|a|b`, the claim key without the source);
- `nodes`, `counts`, `edges`: what the plan and `Facts.count()` count, and the node ids edges are checked against;
- `ends`: the type each endpoint of the file's edges had, and `unknown`: endpoints that were neither in the source
  nor in the store (their edges were dropped). A file whose endpoints answer otherwise now is not carried (an edge to a team or workload that disappeared elsewhere
  must drop, as in a fresh read);
- `problems` (reported while mapping the file's objects) and `dropped` (edges the checks dropped), re-reported;
- `rows()`: the rows before the checks, for a block that cannot be carried after all (`expand`).

This module holds the shape only; readers build blocks (`sources.kubernetes`), the plan consumes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Rows = tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]
"""Node rows by type and edge rows by type (the shape of `Facts.nodes` / `Facts.edges`)."""
ProblemRow = tuple[str, int | None, str, str]


def ent_key(kind: str, type_name: str, a: str, b: str = "") -> str:
    """A fact's key within its source: the same string as `ingest.sync.Entity.ent` (a test pins the two together)."""
    return f"{kind}|{type_name}|{a}|{b}"


@dataclass
class CarriedFile:
    """The facts one unchanged file gave in the last sync, carried as a block (see the module docstring)."""

    file: str
    ents: tuple[str, ...]
    """`kind|type|a|b` of every fact the file gave after the reader's checks."""
    nodes: dict[str, str]
    """Node id -> node type of the file's nodes."""
    edges: int
    """How many of `ents` are edges."""
    counts: dict[tuple[str, str], int]
    """`(kind, type)` -> facts of that type."""
    ends: dict[str, str]
    """Endpoint id -> its type when the block was kept."""
    unknown: tuple[str, ...] = ()
    """Endpoints that were neither in the source nor in the store when the block was kept."""
    problems: tuple[ProblemRow, ...] = ()
    """Problems mapping the file's objects reported (before the edge checks)."""
    dropped: tuple[ProblemRow, ...] = ()
    """Problems of the edges the reader's checks dropped."""
    workloads: int = 0
    """Objects of the file the block stands for (counted as reused)."""
    rows: Callable[[], Rows] = field(default=lambda: ({}, {}), repr=False, compare=False)
    """The file's rows before the reader's checks (for a block that cannot be carried)."""

    def final_rows(self) -> Rows:
        """The file's rows that passed the reader's checks (those `ents` names)."""
        wanted = set(self.ents)
        nodes, edges = self.rows()
        out_n = {t: [r for r in rows if ent_key("node", t, str(r["id"])) in wanted] for t, rows in nodes.items()}
        out_e = {t: [r for r in rows if ent_key("edge", t, str(r["from"]), str(r["to"])) in wanted] for t, rows in edges.items()}
        return {t: r for t, r in out_n.items() if r}, {t: r for t, r in out_e.items() if r}

    def holds(self, types: dict[str, str]) -> bool:
        """Does every endpoint of the file's edges have the type it had (`types`: the source's and the store's ids now)?"""
        return self.ends.items() <= types.items() and types.keys().isdisjoint(self.unknown)  # in C: 40k endpoints at 10k workloads


def block_of(file: str, ents: list[str], nodes: dict[str, str], counts: dict[tuple[str, str], int], ends: dict[str, str | None],
             problems: list[ProblemRow], dropped: list[ProblemRow], workloads: int) -> dict[str, Any]:  # fmt: skip
    """A block as kept in a cache (marshal-able); `from_kept` reads it back."""
    return {"ents": tuple(ents), "nodes": dict(nodes), "edges": sum(1 for e in ents if e.startswith("edge|")), "counts": dict(counts),
            "ends": {i: t for i, t in ends.items() if t is not None}, "unknown": tuple(sorted(i for i, t in ends.items() if t is None)),
            "problems": tuple(problems), "dropped": tuple(dropped), "workloads": workloads}  # fmt: skip


def from_kept(file: str, kept: Any, rows: Callable[[], Rows]) -> CarriedFile | None:
    """A block kept by `block_of`, or None when it is not one (another version, damaged)."""
    if not isinstance(kept, dict):
        return None
    try:
        ents, nodes, counts, ends, unknown = kept["ents"], kept["nodes"], kept["counts"], kept["ends"], kept["unknown"]
        if not (isinstance(ents, tuple) and isinstance(nodes, dict) and isinstance(counts, dict) and isinstance(ends, dict) and isinstance(unknown, tuple)):
            return None
        return CarriedFile(file, ents, nodes, int(kept["edges"]), counts, ends, unknown, tuple(kept["problems"]), tuple(kept["dropped"]),
                           int(kept["workloads"]), rows)  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return None
