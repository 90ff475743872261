"""Is the embedded store whole, and can it be used? Checked at open, on demand (`opsgraph check`), and at close.

- A clean close writes a marker beside the store folder (`<store>.closed.json`) with
  each file's size and modification time; opening removes it. So at the next open,
  a missing marker means the last run did not close cleanly (killed, crashed), and a
  file whose size or time differs from the marker was changed while the store was
  closed (truncated, overwritten, restored in part). Either way the engine's own
  integrity check (`CHECK DATABASE`) runs before anything is served, and a store
  it finds damaged is refused with `StoreCorruptError`, naming the files and what to
  do: never served silently (a truncated bucket otherwise reads as zero rows while
  the counts still say 14).
- Before the engine opens, a folder it cannot write (a read-only mount, missing
  permissions) or a full disk is named in one plain line (`StoreUnavailableError`)
  instead of a Java stack trace; the engine's own output during open is kept off
  the terminal (a lock error no longer has a WAL log line glued to it).

It knows only the embedded transport's folder; other transports pass through.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsgraph._files import atomic_write_text
from opsgraph.errors import StoreCorruptError, StoreError, StoreLockedError, StoreUnavailableError

MIN_FREE_BYTES = 1_000_000
"""Below this much free space on the store's disk, writes are refused up front with "the disk is full"."""
_RID = re.compile(r"#(\d+):\d+")
_BUCKET_NAME = re.compile(r"bucket '([^']+)'")
WHAT_TO_DO = ("restore the home from a backup, or re-ingest the estate into a fresh home, or drop everything with "
              "`opsgraph reset --yes` and ingest again")


def marker_path(store: Path) -> Path:
    return store.parent / f"{store.name}.closed.json"


def file_stats(store: Path) -> dict[str, list[int]]:
    """Size and modification time (ns) of each file of the store folder."""
    out: dict[str, list[int]] = {}
    try:
        entries = list(os.scandir(store))
    except OSError:
        return out
    for entry in entries:
        if entry.is_file(follow_symlinks=False):
            st = entry.stat(follow_symlinks=False)
            out[entry.name] = [st.st_size, st.st_mtime_ns]
    return out


@dataclass
class Report:
    """What the engine's integrity check found."""

    errors: int = 0
    corrupted_records: int = 0
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    """Store files the findings point at (by bucket name or record id)."""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.corrupted_records == 0

    def summary(self) -> str:
        shown = "; ".join(self.warnings[:1]) + (f"; and {len(self.warnings) - 1} more finding(s)" if len(self.warnings) > 1 else "")
        return f"{self.errors} error(s), {self.corrupted_records} corrupted record(s)" + (f": {shown}" if shown else "")


_JAVA_EXCEPTION = re.compile(r"\b(?:[a-z_][\w]*\.)*([A-Z]\w*?)(?:Exception|Error)\b")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _words(name: str) -> str:
    """"IndexOutOfBounds" → "index out of bounds"."""
    return _CAMEL.sub(" ", name).lower() or "engine error"


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def check_database(transport: Any, store: Path | None) -> Report:
    """Run the engine's `CHECK DATABASE` (no fixes) and say which files its findings point at."""
    rows = transport.command("sql", "CHECK DATABASE")
    raw = rows[0] if rows else {}
    warnings_text = str(raw.get("warnings") or "")
    warnings = [w.strip(" '\"{}") for w in re.split(r"', '|\", '|', \"", warnings_text) if w.strip(" '\"{}")] if warnings_text != "set()" else []
    # The most telling finding first: a bucket whose records are gone while its counter says otherwise.
    warnings.sort(key=lambda w: 0 if "bucket" in w else 1)
    # The engine's own advice ("run CHECK DATABASE FIX to recompute the counter") would hide the loss, not repair it.
    warnings = [re.sub(r";?\s*run CHECK DATABASE FIX[^;]*", "", w).strip() for w in warnings]
    # The engine names Java exceptions in its findings ("cannot be loaded (error: IndexOutOfBoundsException)"), which
    # depend on the damaged bytes: said in plain words ("index out of bounds"), as every store message is.
    warnings = [_JAVA_EXCEPTION.sub(lambda m: _words(m.group(1)), w) for w in warnings]
    text = json.dumps(raw, default=str)
    files: list[str] = []
    if store is not None:
        names = sorted(os.listdir(store)) if store.is_dir() else []
        buckets = set(_BUCKET_NAME.findall(text))
        ids = {m for m in _RID.findall(" ".join(str(raw.get(k) or "") for k in ("topMissingReferences", "corruptedRecords")))}
        for name in names:
            stem, _, rest = name.partition(".")
            file_id = rest.split(".", 1)[0]
            if name.endswith(".bucket") and (stem in buckets or file_id in ids):
                files.append(name)
    return Report(errors=_int(raw.get("totalErrors")), corrupted_records=_int(raw.get("totalCorruptedRecords")),
                  warnings=warnings, files=files, raw=raw)


def preflight(store: Path) -> None:
    """Refuse, in one plain line, a store folder the engine could not use: not writable, not reachable, or a full disk."""
    folder = store if store.exists() else store.parent
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
    except OSError as exc:
        raise StoreUnavailableError(f"cannot reach the store at {store}: {exc.strerror or exc}") from exc
    if not os.access(probe, os.R_OK | os.X_OK):
        raise StoreUnavailableError(f"no permission to read {probe} (the store is at {store}): run opsgraph as the user who "
                                    "owns the home, or point --home / OPSGRAPH_HOME at a folder of yours")
    if _read_only_mount(probe):
        raise StoreUnavailableError(f"the store at {store} is on a read-only file system: the engine needs to write its lock "
                                    "and journal; copy the home to a writable disk, or remount it read-write")
    if not os.access(probe, os.W_OK) or (store.exists() and not all(os.access(p, os.W_OK) for p in _files(store))):
        raise StoreUnavailableError(f"no permission to write the store at {store}: the engine needs to write its lock and "
                                    "journal; fix its permissions (chmod -R u+w) or run opsgraph as the home's owner")
    if usage.free < MIN_FREE_BYTES:
        raise StoreUnavailableError(disk_full_message(store, usage.free))


def _files(store: Path) -> Iterator[Path]:
    yield store
    with contextlib.suppress(OSError):
        for entry in os.scandir(store):
            yield Path(entry.path)


def _read_only_mount(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def disk_full_message(store: Path, free: int | None = None) -> str:
    if free is None:
        try:
            free = shutil.disk_usage(store if store.exists() else store.parent).free
        except OSError:
            free = 0
    return (f"the disk holding the store at {store} is full ({free:,} bytes free): free some space and retry; "
            "nothing was written by the failed step")


def explain(store: Path, exc: BaseException) -> StoreError | None:
    """A plain error for an engine failure caused by the file system (full disk, read-only, permissions), else None."""
    text = " ".join(str(e) for e in _chain(exc))
    codes = {getattr(e, "errno", None) for e in _chain(exc)}
    if errno.ENOSPC in codes or "No space left on device" in text or _disk_full(store):
        return StoreUnavailableError(disk_full_message(store))
    if errno.EROFS in codes or "Read-only file system" in text:
        return StoreUnavailableError(f"the store at {store} is on a read-only file system: copy the home to a writable disk")
    if errno.EACCES in codes or "Permission denied" in text or "AccessDeniedException" in text:
        return StoreUnavailableError(f"no permission to write the store at {store}: fix its permissions or run opsgraph as its owner")
    return None


def _disk_full(store: Path) -> bool:
    try:
        return shutil.disk_usage(store if store.exists() else store.parent).free < MIN_FREE_BYTES
    except OSError:
        return False


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        yield e
        e = e.__cause__ or e.__context__


@contextlib.contextmanager
def engine_output_aside() -> Iterator[Path]:
    """Send what the engine prints to file descriptor 2 (logs, Java stack traces) to a file instead of the terminal."""
    fd, name = tempfile.mkstemp(prefix="opsgraph-engine-", suffix=".log")
    saved = os.dup(2)
    sys.stderr.flush()
    os.dup2(fd, 2)
    try:
        yield Path(name)
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name)


def open_checked(transport: Any) -> Report | None:
    """Open `transport`; for the embedded engine, with the checks above. Returns the integrity report when one ran."""
    store: Path | None = getattr(transport, "path", None)
    if store is None:
        transport.open()
        return None
    store = Path(store)
    existed = store.is_dir() and any(store.iterdir())
    preflight(store)
    marker = marker_path(store)
    changed: list[str] = []
    unclean = False
    if existed:
        try:
            recorded = json.loads(marker.read_text(encoding="utf-8")).get("files", {})
        except (OSError, ValueError):
            recorded = None
        if recorded is None:
            unclean = True
        else:
            now = file_stats(store)
            changed = sorted(n for n, st in recorded.items() if n in now and now[n] != st) + \
                sorted(n for n in recorded if n not in now)
    try:
        with engine_output_aside():
            transport.open()
    except StoreLockedError:
        raise
    except StoreError as exc:
        plain = explain(store, exc)
        if plain is None and (unclean or changed):  # the engine cannot even read what a damaged file left
            where = f"; changed since the last clean close: {', '.join(str(store / n) for n in changed)}" if changed else ""
            plain = StoreCorruptError(f"the store at {store} is damaged: the engine cannot open it ({str(exc)[-200:]}){where}. "
                                      f"It is not served. What to do: {WHAT_TO_DO}")
        if plain is None:
            raise
        raise plain from exc
    with contextlib.suppress(OSError):
        marker.unlink()  # open now: until a clean close, the next open checks
    if not (unclean or changed):
        return None
    try:
        with engine_output_aside():
            report = check_database(transport, store)
    except Exception as exc:
        transport.close()
        where = f" (changed since the last clean close: {', '.join(changed)})" if changed else ""
        raise StoreCorruptError(f"the store at {store} is damaged: its integrity check failed{where}: {str(exc)[:300]}. "
                                f"What to do: {WHAT_TO_DO}") from exc
    if not report.ok:
        transport.close()
        files = list(dict.fromkeys(report.files + [n for n in changed if n.endswith(".bucket")])) or changed
        named = f"; damaged file(s): {', '.join(str(store / f) for f in files)}" if files else ""
        raise StoreCorruptError(f"the store at {store} is damaged ({report.summary()}){named}. It is not served. "
                                f"What to do: {WHAT_TO_DO}")
    return report


def close_clean(transport: Any) -> None:
    """Close `transport`; for the embedded engine, then record the files as a clean close left them."""
    transport.close()
    store: Path | None = getattr(transport, "path", None)
    if store is None or not Path(store).is_dir():
        return
    store = Path(store)
    marker = marker_path(store)
    with contextlib.suppress(OSError):
        atomic_write_text(marker, json.dumps({"files": file_stats(store)}))
