"""The estate folders a home was built from, recorded at each ingest (`<home>/estates.json`).

`opsgraph serve` ingests over HTTP only from `serve.ingest_roots`, and when that is
not set, from these folders: a server never reads a folder its home did not come from
unless its operator says so. The record is a small JSON list, written atomically.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from opsgraph._files import atomic_write_text

ESTATES_FILE = "estates.json"


def estate_roots(home: Path) -> list[Path]:
    """Folders ingested into `home`, oldest first (empty when none is recorded or the record is unreadable)."""
    try:
        data = json.loads((home / ESTATES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Path(p) for p in data if isinstance(p, str)] if isinstance(data, list) else []


def record_estate(home: Path, folder: str | Path) -> None:
    """Add `folder` (resolved) to the home's record; a home that cannot be written keeps its old record."""
    path = Path(folder).expanduser().resolve()
    roots = estate_roots(home)
    if path in roots:
        return
    with contextlib.suppress(OSError):
        atomic_write_text(home / ESTATES_FILE, json.dumps([str(p) for p in [*roots, path]], indent=2))
