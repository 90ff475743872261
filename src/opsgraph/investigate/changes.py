"""What changed on each candidate in the window before the onset: versions, config, dependencies, owners.

The input is the estate's change log as plain data (the dicts `OpsGraph.changes()` returns: `time`,
`op`, `kind`, `type`, `key`, `from`, `to`, `old`, `new`, `text`): `app` reads it and passes it in,
so this layer never imports `ingest`. A change touches a node when it is the node itself or an
edge from or to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

VERSION_KEYS = ("version", "image", "tag", "release", "chart_version")
OWNER_EDGE_WORDS = ("OWNS", "OWNER", "MAINTAIN")


@dataclass(frozen=True)
class ChangeEvidence:
    """One change that touched a candidate before the onset."""

    node: str
    kind: str
    """version | config | dependency | owner | created | deleted."""
    at: int
    """Epoch seconds it was applied."""
    text: str
    """The change log's words."""
    before_onset_s: int
    """Seconds between the change and the onset."""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _epoch(value: Any) -> int | None:
    if isinstance(value, int | float):
        return int(value)
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return int((dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp())


def classify(change: Mapping[str, Any]) -> str:
    """The kind of a change (see `ChangeEvidence.kind`)."""
    if change.get("kind") == "edge":
        etype = str(change.get("type", "")).upper()
        return "owner" if any(w in etype for w in OWNER_EDGE_WORDS) else "dependency"
    if change.get("op") == "create":
        return "created"
    if change.get("op") == "delete":
        return "deleted"
    old, new = change.get("old") or {}, change.get("new") or {}
    moved = {k for k in set(old) | set(new) if not k.startswith("_") and old.get(k) != new.get(k)}
    return "version" if moved & set(VERSION_KEYS) else "config"


def changes_before(changes: Iterable[Mapping[str, Any]], nodes: Iterable[str], onset: int, lookback_s: int
                   ) -> dict[str, list[ChangeEvidence]]:
    """Per node of `nodes`, the changes applied in [onset - lookback_s, onset], newest first."""
    wanted = set(nodes)
    out: dict[str, list[ChangeEvidence]] = {}
    for c in changes:
        at = _epoch(c.get("time", c.get("ts")))
        if at is None or not (onset - lookback_s <= at <= onset):
            continue
        kind = classify(c)
        if kind == "config" and not _substantive(c):
            continue  # only which sources assert a fact changed
        if c.get("kind") == "edge":
            touched = {str(c.get("from") or ""), str(c.get("to") or "")}
        else:
            touched = {str(c.get("key") or c.get("a") or "")}
        for n in touched & wanted:
            out.setdefault(n, []).append(ChangeEvidence(n, kind, at, str(c.get("text") or ""), onset - at))
    for v in out.values():
        v.sort(key=lambda e: -e.at)
    return out


def _substantive(change: Mapping[str, Any]) -> bool:
    old, new = change.get("old") or {}, change.get("new") or {}
    return any(old.get(k) != new.get(k) for k in set(old) | set(new) if not k.startswith("_"))
