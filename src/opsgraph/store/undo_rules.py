"""The compare-and-set rule an undo follows on a store other processes write too (`ArcadeDBStore._undo_record`).

Why: on the `arcadedb-server` backend several processes write one database. A
block's undo (its own failure, or recovery after its process died) must not
overwrite what another process wrote after the block did: that write is newer,
and last write wins. So each undo record says what its batch wrote, per row (the
row's content hash, or None for a row it deleted), and a row is set back only
while it still holds exactly that. This module is the rule and the keys it
compares by; it sends nothing to the engine.

Known limit: a row another process wrote with the very content the dead block
wrote is indistinguishable from the block's own write (its upsert was a no-op by
hash) and is undone with the block.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def pair(source: Any, target: Any) -> str:
    """An edge's key in an undo record's `wrote` and in what the store holds now."""
    return f"{source}->{target}"


def plain_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A hidden record as the engine gives it back, for hashing: without its `@` fields and null values, a whole
    float as an integer (a LONG sent to a DOUBLE property comes back 5.0)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items() if v is not None}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    out: dict[str, Any] = plain({k: v for k, v in row.items() if not str(k).startswith("@")})
    return out


def compare(
    wrote: Mapping[str, str | None] | None,
    now: Mapping[str, str | None],
    kept: list[str],
    what: str,
    before: Mapping[str, str | None] | None = None,
) -> Callable[[str], bool]:
    """A test `same(key)`: undo a row only while it holds exactly what the batch wrote (`wrote[key]`: its hash, or
    None for a row the batch deleted); `now[key]` is what it holds (absent: None). A row that already holds its
    pre-image (`before[key]`: an undo killed before it marked the record done) needs nothing, silently. Otherwise
    another writer changed it since, its write is newer and stays; a note saying so goes to `kept`. No `wrote`
    (a journal from before this rule): every row is undone."""

    def same(key: str) -> bool:
        if wrote is None or key not in wrote:
            return True
        expected, current = wrote[key], now.get(key)
        if current == expected:
            return True
        if before is not None and key in before and current == before[key]:
            return False
        if current is None:
            kept.append(f"{what} {key!r} was deleted by another writer since: left deleted")
        elif expected is None:
            kept.append(f"{what} {key!r} was created by another writer since: kept")
        else:
            kept.append(f"{what} {key!r} was changed by another writer since: its newer value kept")
        return False

    return same
