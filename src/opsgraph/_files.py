"""Crash-safe file writes and versioned folders, the two file habits every layer shares.

`atomic_path` / `atomic_write_text` / `atomic_write_bytes`: the content goes
into a temporary file with a unique name in the target's folder, is flushed
and fsynced, renamed over the target with `os.replace`, and the folder is
fsynced, so a reader sees the old file or the new one, never half of one,
and a crash leaves no half-written file under the real name (at most a
hidden `.<name>.*.tmp` beside it). Temporary files are created `0o600`.

`VersionedFolder`: `vNNNN` folders under one root, each complete with its
manifest before it appears (built in a hidden staging folder, renamed into
place), plus one pointer file (which version is current/active) replaced
atomically. Two writers racing for a number end with two distinct versions.
Used by the risk model registry and the LoRA adapter registry; each keeps
its own manifest and pointer contents.

A leaf module: imports nothing of opsgraph, raises only `OSError`s and
`ValueError`s that callers map to their own errors.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = ["VERSION_NAME", "VersionedFolder", "atomic_path", "atomic_write_bytes", "atomic_write_text", "fsync_dir", "version_name", "write_named_by_content"]

VERSION_NAME = re.compile(r"^v(\d{4,})$")
"""A version folder's name: `v` and at least four digits (`v0001`)."""


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the rename itself is still atomic
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: str | Path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a fresh temporary path beside `target`; when the block ends without error, it replaces `target`.

    For writers that want a file name (a library writing GGUF, an assembler):
    they write the yielded path, and it is fsynced, renamed over `target` and
    the folder fsynced. On an error the temporary file is removed and
    `target` is untouched. The target's folder is created if missing.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def rename_into_place(draft: Path, target: Path) -> None:
    """Give the finished file `draft` its name `target` (same folder) and flush the folder entry.

    For a file that must keep its inode while it is renamed (the store's undo journal: open, and `flock`ed before
    other processes can see it under a name they list), where `atomic_path`'s copy-then-replace does not fit.
    """
    os.rename(draft, target)
    fsync_dir(target.parent)


def atomic_write_bytes(target: str | Path, data: bytes) -> Path:
    """Replace `target` with `data` atomically (see the module docstring); returns `target`."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_named_by_content(folder: str | Path, blobs: dict[str, bytes]) -> None:
    """Write each `name -> data` of a content-addressed folder (`name` is a hash of `data`), renamed into place unsynced.

    For caches whose reader checks every file against the hash its name is (`sources.doc_cache`): a file is
    written under a unique temporary name and renamed to its name, so a reader never sees half of one while it
    is written; it is not fsynced (one fsync per file cost more than the whole cache's old rewrite), so after a
    power loss a file may be empty or torn under its name: the reader's hash check finds it and treats it as
    missing. The index naming the files is written after them with `atomic_write_bytes` (fsynced).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in blobs.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, folder / name)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def atomic_write_text(target: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Replace `target` with `text` atomically (see the module docstring); returns `target`."""
    return atomic_write_bytes(target, text.encode(encoding))


def version_name(number: int) -> str:
    """`v0001` for 1; `ValueError` for numbers below 1."""
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"a version number is an integer >= 1, got {number!r}")
    return f"v{number:04d}"


class VersionedFolder:
    """`vNNNN` folders under `root`, each with a `manifest` file, and one atomically replaced `pointer` file.

    `versions()` lists the versions oldest first, `latest()` the newest,
    `new(fill)` adds the next one, `promote(version, pointer)` writes the
    pointer, `read_pointer()` reads it back. No I/O in the constructor.
    """

    def __init__(self, root: str | Path, *, manifest: str = "manifest.json", pointer: str = "current.json") -> None:
        self.root = Path(root)
        self.manifest = manifest
        """File name every version folder holds; a folder without it is not listed."""
        self.pointer = pointer
        """File name (in `root`) of the JSON object saying which version is in use."""

    def path(self, version: str) -> Path:
        """The folder of `version` (which may not exist)."""
        if not VERSION_NAME.fullmatch(version):
            raise ValueError(f"a version is named like 'v0001', got {version!r}")
        return self.root / version

    def exists(self, version: str) -> bool:
        """True when `version` is a complete version (its folder holds the manifest)."""
        return bool(VERSION_NAME.fullmatch(version)) and (self.root / version / self.manifest).is_file()

    def _folders(self) -> list[tuple[int, str]]:
        if not self.root.is_dir():
            return []
        return sorted((int(m.group(1)), p.name) for p in self.root.iterdir() if (m := VERSION_NAME.fullmatch(p.name)) and p.is_dir())

    def versions(self) -> list[str]:
        """Names of the version folders, oldest first (`new` only ever renames complete ones into place)."""
        return [name for _, name in self._folders()]

    def latest(self) -> str | None:
        """The newest version, or None."""
        found = self.versions()
        return found[-1] if found else None

    def new(self, fill: Callable[[Path], object], *, stamp: Callable[[Path, str], object] | None = None) -> str:
        """Add the next version and return its name.

        `fill(staging)` writes the version's files into a hidden staging folder
        once; `stamp(staging, name)` (optional) writes what depends on the
        number, and is called again with the next name when a concurrent
        writer took the first. The manifest must exist after both. The staging
        folder is renamed into place, so a version appears complete or not at all.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        try:
            fill(staging)
            while True:
                folders = self._folders()
                name = version_name((folders[-1][0] if folders else 0) + 1)
                if stamp is not None:
                    stamp(staging, name)
                if not (staging / self.manifest).is_file():
                    raise ValueError(f"a new version must hold {self.manifest}; none was written")
                try:
                    # Renaming onto an existing non-empty folder fails: a concurrent writer took the number.
                    os.rename(staging, self.root / name)
                except OSError:
                    if (self.root / name).exists():
                        continue
                    raise
                break
            fsync_dir(self.root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return name

    def read_pointer(self) -> Any | None:
        """The pointer file's parsed JSON, or None when there is none (`ValueError` when it is not JSON)."""
        try:
            return json.loads((self.root / self.pointer).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def promote(self, version: str, pointer: Mapping[str, Any]) -> None:
        """Atomically replace the pointer file with `pointer` (which names `version`, in the caller's format)."""
        if not self.exists(version):
            raise FileNotFoundError(f"no version {version!r} in {self.root}")
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.root / self.pointer, json.dumps(dict(pointer), indent=1, sort_keys=True, allow_nan=False) + "\n")
