"""The team backend from the app's side: a home's ArcadeDB server, its credentials, and moving a store to it and back.

- `server_store_settings(settings)`: the `arcadedb-server` backend's keywords from
  `store.*` (URL(s), database, TLS) and the password, read from
  `OPSGRAPH_SERVER_PASSWORD` or `store.password_file` (never from opsgraph.yaml).
  With no `store.url`, the server `opsgraph server start` runs for this home is used.
- `start` / `stop` / `status`: that server (`store/server_process.py`), its folder
  `<home>/server` unless another is given.
- `migrate(settings, to=...)`: copies a home's store (schema, nodes, edges,
  telemetry, hidden records, meta) from the embedded engine into the server
  database or back, then verifies it: per type, the row counts and a hash of
  the rows must be equal on both sides.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsgraph.app.config import Settings
from opsgraph.errors import ConfigError, StoreError
from opsgraph.store import create_store
from opsgraph.store.server_process import PASSWORD_FILE, ServerInfo, read_state, server_status, start_server, stop_server

PASSWORD_ENV = "OPSGRAPH_SERVER_PASSWORD"


def server_folder(settings: Settings, folder: str | Path | None = None) -> Path:
    """Where `opsgraph server start` keeps the server's databases, password, state and log."""
    return Path(folder).expanduser() if folder else settings.home / "server"


def server_password(settings: Settings) -> str:
    """The server password: `OPSGRAPH_SERVER_PASSWORD`, else `store.password_file`, else the home server's own file."""
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    path = settings.store.password_file or (server_folder(settings) / PASSWORD_FILE)
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"the arcadedb-server store needs a password: set {PASSWORD_ENV} or store.password_file "
            f"(no file at {path}; `opsgraph server start` writes one for a server it runs)"
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{path}: the password file is readable by others (mode {mode:o}); run `chmod 600 {path}`")
    return path.read_text(encoding="utf-8").strip()


def server_store_settings(settings: Settings, *, database: str | None = None) -> dict[str, Any]:
    """Keywords for `create_store("arcadedb-server", ...)` from the settings."""
    s = settings.store
    url: str | list[str] | None = s.url
    if not url:
        info = read_state(server_folder(settings))
        if info is None:
            raise ConfigError(
                "store.backend is arcadedb-server but store.url is not set and no `opsgraph server` runs for this home: "
                "set store.url (or OPSGRAPH_STORE_URL) or run `opsgraph server start`"
            )
        url = info.url
    db = database or s.database
    return {
        "url": url,
        "database": db,
        "user": s.user,
        "password": server_password(settings),
        "verify": s.tls_verify,
        "ca_file": s.ca_file,
        "batch_size": s.batch_size,
        "timeout_ms": s.query_timeout_ms,
        "journal_dir": settings.home / "journal" / f"server-{db}",
    }


# -- the home's server -----------------------------------------------------------------------------


def start(settings: Settings, *, port: int | None = None, folder: str | Path | None = None) -> ServerInfo:
    return start_server(server_folder(settings, folder), port=port, heap=settings.store.heap)


def stop(settings: Settings, *, folder: str | Path | None = None) -> ServerInfo | None:
    return stop_server(server_folder(settings, folder))


def status(settings: Settings, *, folder: str | Path | None = None) -> dict[str, Any] | None:
    return server_status(server_folder(settings, folder))


# -- moving a store ----------------------------------------------------------------------------------


@dataclass
class MigrateReport:
    """What `migrate` moved, per type: rows, and whether counts and hashes agree on both sides."""

    source: str
    target: str
    moved: dict[str, int] = field(default_factory=dict)
    """Type → rows copied (vertices, edges, documents)."""
    kinds: dict[str, str] = field(default_factory=dict)
    mismatched: list[str] = field(default_factory=list)
    """Types whose count or row hash differ after the copy (empty: verified)."""

    @property
    def verified(self) -> bool:
        return not self.mismatched


def _open_embedded(settings: Settings) -> Any:
    return create_store("arcadedb-embedded", path=settings.store_path, batch_size=settings.store.batch_size, timeout_ms=settings.store.query_timeout_ms)


def _open_server(settings: Settings) -> Any:
    return create_store("arcadedb-server", **server_store_settings(settings))


def migrate(settings: Settings, *, to: str, replace: bool = False, progress: Callable[[str, int], None] | None = None) -> MigrateReport:
    """Copy the home's store to the server database (`to="server"`) or from it back to the embedded store (`to="embedded"`).

    The target must be empty unless `replace` (then it is reset first). Nothing is deleted from the source.
    """
    if to not in ("server", "embedded"):
        raise ConfigError(f"migrate --to must be server or embedded, not {to!r}")
    src, dst = (_open_embedded(settings), _open_server(settings)) if to == "server" else (_open_server(settings), _open_embedded(settings))
    src.open()
    try:
        dst.open()
        try:
            _check_empty(dst, replace)
        except BaseException:
            dst.close()
            raise
        try:
            return _copy(src, dst, replace=replace, progress=progress)
        except StoreError as exc:
            raise StoreError(f"the copy to {_where(dst)} stopped ({exc}); the source is untouched, the target may be partly "
                             "filled: run the same command again with --replace") from exc
        finally:
            dst.close()
    finally:
        src.close()


def _where(store: Any) -> str:
    t = store.transport
    return f"{t.urls[0]}/{t.database}" if hasattr(t, "urls") else str(getattr(t, "path", "store"))


def _check_empty(dst: Any, replace: bool) -> None:
    from opsgraph.store.arcadedb import META_TYPE

    filled = [n for n in dst._live_types() if n != META_TYPE and dst._count(n)]
    if filled and not replace:
        raise StoreError(f"the target {_where(dst)} already holds data ({', '.join(sorted(filled))}): pass --replace to overwrite it")


def _copy(src: Any, dst: Any, *, replace: bool, progress: Callable[[str, int], None] | None) -> MigrateReport:
    report = MigrateReport(source=_where(src), target=_where(dst))
    if replace:
        dst.reset()
    schema = src.stored_schema()
    if schema is not None:
        dst.ensure_schema(schema)
    live = src._live_types()
    _copy_ddl(src, dst, live)
    order = {"vertex": 0, "edge": 1, "document": 2}
    for name in sorted(live, key=lambda n: (order.get(live[n]["kind"], 3), n)):
        kind = live[name]["kind"]
        report.kinds[name] = kind
        moved = 0
        lines: list[str] = []  # the source's rows as hashed, read once for the copy and its check
        if kind == "document":
            with dst.transport.transaction():
                dst.transport.command("sql", f"DELETE FROM `{name}`")  # the meta written by the target's own open/reset
        for batch in _batches(src, name, kind, dst.batch_size):
            with dst.transport.transaction():
                _write(dst, name, kind, batch)
            lines.extend(_line(r) for r in batch)
            moved += len(batch)
            if progress is not None:
                progress(name, moved)
        report.moved[name] = moved
        if _digest(lines) != table_digest(dst, name, kind):
            report.mismatched.append(name)
    return report


def _copy_ddl(src: Any, dst: Any, live: dict[str, dict[str, Any]]) -> None:
    """Types, properties and (non-vector) indexes the stored schema does not cover (hidden records, meta, telemetry)."""
    have = dst._live_types()
    t = dst.transport
    for name, info in live.items():
        if name in have and info["kind"] != "document":
            continue
        t.command("sql", f"CREATE {info['kind'].upper()} TYPE `{name}` IF NOT EXISTS")
        for prop, typ in info["properties"].items():
            t.command("sql", f"CREATE PROPERTY `{name}`.`{prop}` IF NOT EXISTS {typ}")
    indexes, _ = src.transport.query("sql", "SELECT FROM schema:indexes", None, None)
    for ix in indexes:
        name, kind = str(ix.get("typeName")), str(ix.get("indexType") or "").upper()
        props = [str(p) for group in ix.get("properties") or [] for p in (group if isinstance(group, list) else [group])]
        if name not in live or live[name]["kind"] != "document" or not props or "VECTOR" in kind:
            continue
        how = "FULL_TEXT" if "FULL" in kind else ("UNIQUE" if ix.get("unique") else "NOTUNIQUE")
        cols = ", ".join(f"`{p}`" for p in props)
        t.command("sql", f"CREATE INDEX IF NOT EXISTS ON `{name}` ({cols}) {how}")


_ENDS = ("_mig_from", "_mig_from_type", "_mig_to", "_mig_to_type")
"""Aliases of an edge's endpoints in the copy's reads (names no property uses)."""


def _read(store: Any, name: str, kind: str, skip: int, limit: int) -> list[dict[str, Any]]:
    if kind == "edge":
        rows, _ = store.transport.query(
            "sql",
            f"SELECT *, @out.id AS {_ENDS[0]}, @out.@type AS {_ENDS[1]}, @in.id AS {_ENDS[2]}, @in.@type AS {_ENDS[3]} "
            f"FROM `{name}` ORDER BY @rid SKIP {skip} LIMIT {limit}",
            None,
            None,
        )
        return [
            {"f": r[_ENDS[0]], "ft": r[_ENDS[1]], "t": r[_ENDS[2]], "tt": r[_ENDS[3]],
             "p": {k: _list(v) for k, v in r.items() if _stored(k) and k not in _ENDS}}
            for r in rows
        ]
    rows, _ = store.transport.query("sql", f"SELECT FROM `{name}` ORDER BY @rid SKIP {skip} LIMIT {limit}", None, None)
    return [{k: _list(v) for k, v in r.items() if _stored(k)} for r in rows]


def _stored(key: str) -> bool:
    """A stored property, not a record attribute (`@rid`) nor the engine's alias for an ORDER BY it added."""
    return not key.startswith("@") and "$" not in key


def _list(value: Any) -> Any:
    """A numpy array (an embedded vector) as a list, anything else as it is."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


def _batches(store: Any, name: str, kind: str, size: int) -> Iterator[list[dict[str, Any]]]:
    skip = 0
    while True:
        batch = _read(store, name, kind, skip, size)
        if not batch:
            return
        yield batch
        skip += len(batch)


def _write(dst: Any, name: str, kind: str, batch: list[dict[str, Any]]) -> None:
    t = dst.transport
    if kind == "vertex":
        t.command("cypher", f"UNWIND $rows AS row CREATE (n:`{name}`) SET n = row", {"rows": batch})
    elif kind == "edge":
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for e in batch:
            groups.setdefault((str(e["ft"]), str(e["tt"])), []).append({"f": e["f"], "t": e["t"], "p": e["p"]})
        for (ft, tt), rows in groups.items():
            out = t.command(
                "cypher",
                f"UNWIND $rows AS row MATCH (a:`{ft}` {{id: row.f}}) MATCH (b:`{tt}` {{id: row.t}}) CREATE (a)-[r:`{name}`]->(b) SET r = row.p "
                "RETURN count(r) AS c",
                {"rows": rows},
            )
            made = int(out[0]["c"]) if out else 0
            if made != len(rows):
                raise StoreError(f"{name}: {len(rows) - made} of {len(rows)} edges {ft}->{tt} found no endpoint in the target")
    else:
        t.command("sqlscript", f"INSERT INTO `{name}` CONTENT :rows; RETURN 1;", {"rows": batch})


def _plain(value: Any) -> Any:
    """Values as both engines agree on them, for the hash only: numpy arrays as lists, floats at float32 precision
    (a vector is float32: the embedded engine reads 0.1 back as 0.10000000149011612, the server's JSON as 0.1)."""
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        value = tolist()
    if isinstance(value, float):
        import numpy as np

        return float(np.float32(value))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def table_digest(store: Any, name: str, kind: str) -> tuple[int, str]:
    """(rows, hash of the sorted rows) of one type: equal on both sides after a faithful copy."""
    lines: list[str] = []
    skip = 0
    while True:
        batch = _read(store, name, kind, skip, 5000)
        if not batch:
            break
        lines.extend(_line(r) for r in batch)
        skip += len(batch)
    return _digest(lines)


def _line(row: dict[str, Any]) -> str:
    return json.dumps(_plain(row), sort_keys=True, separators=(",", ":"), default=str)


def _digest(lines: list[str]) -> tuple[int, str]:
    lines = sorted(lines)
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode())
        h.update(b"\n")
    return len(lines), h.hexdigest()
