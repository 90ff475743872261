"""What the embedded engine refuses, measured, so validation can refuse it first and say where.

The engine reports such values late and vaguely ("int too big to convert" for
a whole batch, "Transaction error on commit" for an over-long index key).
Ingest validation calls `value_problem()` on every coerced value, so a bad row
is refused with its file, line and field before anything is written; the store
calls `explain_rows()` when a batch fails anyway, to name the row and field.

The figures come from `bench/engine_limits.py` on arcadedb-embedded
26.10.2.post1 (measured on this machine, 2026-12-04); this module imports no
engine. NaN and infinity are stored and read back by the engine, so they are
refused only by the schema's choice (`allow_nan`); NUL bytes are stored too,
and refused because nothing downstream (CSV export, prompts, terminals)
expects them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from opsgraph.schema.coerce import INT_MAX, INT_MIN, shorten  # the type's range, and how messages show values

INDEX_KEY_MAX_BYTES = 262_112
"""Largest UTF-8 string a UNIQUE or NOTUNIQUE (LSM tree) index key commits with: one index page is 256 KiB
(262,144 bytes) and a key of 262,120 bytes fails at commit with "Transaction error on commit"."""
INDEX_COMPACT_MAX_BYTES = 210_892
"""Largest key a UNIQUE index still compacts (40 such keys): at 211,916 bytes the engine's background
compaction fails ("Root entry for key ... does not fit in an empty compacted series"), after the commit succeeded."""
INDEXED_STRING_MAX_BYTES = 65_536
"""What validation allows in an indexed property: well under both limits above (a key also carries the
index's own framing, and a composite key would share the page)."""
ID_MAX_BYTES = 1_024
"""Longest id: ids are UNIQUE index keys and are repeated in every edge, chunk id and citation."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 control characters and DEL, except tab, newline and carriage return."""
_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 0x0B: "VT", 0x0C: "FF", 0x1B: "ESC", 0x7F: "DEL"}


def strip_control(text: str) -> str:
    """Drop control characters other than tab, newline and carriage return."""
    return _CONTROL.sub("", text)


def string_problem(text: str, *, index: str | None = None) -> str | None:
    """Why the engine (or an index) cannot take this string, or None.

    `index` is `unique`/`notunique` (the whole string is a key), `id`, or
    `fulltext`/None (no size limit: a full-text index took a 1 MiB word).
    """
    bad = _CONTROL.search(text)
    if bad is not None:
        code = ord(bad.group())
        name = _NAMES.get(code, f"control character U+{code:04X}")
        return f"contains {name} (\\x{code:02x}) at position {bad.start()}; text may hold no control characters except tab, newline and carriage return"
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    if index == "id" and size > ID_MAX_BYTES:
        return f"is {size:,} bytes long; an id may be at most {ID_MAX_BYTES:,} bytes (UTF-8)"
    if index in ("unique", "notunique") and size > INDEXED_STRING_MAX_BYTES:
        return (
            f"is {size:,} bytes long; an indexed property may be at most {INDEXED_STRING_MAX_BYTES:,} bytes (UTF-8) "
            f"(the engine's index key limit is {INDEX_KEY_MAX_BYTES:,})"
        )
    return None


def value_problem(value: Any, *, index: str | None = None, allow_nan: bool = False) -> str | None:
    """Why the engine cannot store this value (strings, ints, floats, lists of them), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            return f"is outside the 64-bit integer range ({INT_MIN:,} to {INT_MAX:,})"
        return None
    if isinstance(value, float):
        if not allow_nan and not math.isfinite(value):
            return "is not a finite number (NaN and infinity need `allow_nan: true` on the property)"
        return None
    if isinstance(value, str):
        return string_problem(value, index=index)
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            problem = value_problem(item, index=index, allow_nan=allow_nan)
            if problem is not None:
                return f"item {i} {problem}"
    return None


def explain_rows(rows: Sequence[Mapping[str, Any]], index_kinds: Mapping[str, str], *, limit: int = 5) -> str:
    """For a batch the engine refused: lines naming each row (by `id`) and field whose value it cannot take."""
    found = []
    for row in rows:
        for key, value in row.items():
            if key == "_hash":
                continue
            problem = value_problem(value, index="id" if key == "id" else index_kinds.get(key), allow_nan=True)
            if problem is not None:
                found.append(f"row id {row.get('id')!r}, field {key!r}: {shorten(value)} {problem}")
    if not found:
        return ""
    more = f"\n  ... and {len(found) - limit} more" if len(found) > limit else ""
    return "\n  " + "\n  ".join(found[:limit]) + more
