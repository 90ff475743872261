"""The document cache on disk is content-addressed: a save writes the blobs of what changed, and a bad blob is not cached."""

from __future__ import annotations

from pathlib import Path

from helpers import write
from opsgraph.sources.doc_cache import DocumentCache
from opsgraph.sources.yamldocs import read_documents


def _files(root: Path) -> list[Path]:
    return [write(root / f"{name}.yaml", f"kind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{k: v-{name}}}\n") for name in ("a", "b", "c")]


def _blobs(cache: DocumentCache) -> dict[str, int]:
    folder = cache.blob_folder
    assert folder is not None
    return {p.name: p.stat().st_ino for p in folder.iterdir()}


def _read_all(cache: DocumentCache, files: list[Path]) -> list[object]:
    return [list(read_documents(p, p.name, cache)) for p in files]


def test_a_save_writes_only_the_changed_files_blob_and_drops_the_one_no_longer_named(tmp_path: Path) -> None:
    files = _files(tmp_path / "k8s")
    cache = DocumentCache(tmp_path / "c.docs").load()
    _read_all(cache, files)
    cache.save()
    before = _blobs(cache)
    assert len(before) == 3

    write(files[1], "kind: ConfigMap\nmetadata: {name: b}\ndata: {k: changed}\n")
    again = DocumentCache(tmp_path / "c.docs").load()
    docs = _read_all(again, files)
    assert [Path(p).name for p in again.parsed] == ["b.yaml"]
    again.save()
    after = _blobs(again)
    assert len(after) == 3
    kept = set(before) & set(after)
    assert len(kept) == 2 and all(before[n] == after[n] for n in kept)  # the unchanged files' blobs were not rewritten
    assert len(set(after) - set(before)) == 1

    third = DocumentCache(tmp_path / "c.docs").load()
    assert _read_all(third, files) == docs and third.parsed == []


def test_a_torn_or_missing_blob_counts_as_not_cached_and_is_written_again(tmp_path: Path) -> None:
    files = _files(tmp_path / "k8s")
    cache = DocumentCache(tmp_path / "c.docs").load()
    first = _read_all(cache, files)
    cache.save()
    folder = cache.blob_folder
    assert folder is not None
    names = sorted(p.name for p in folder.iterdir())
    (folder / names[0]).write_bytes(b"\x00torn")
    (folder / names[1]).unlink()

    again = DocumentCache(tmp_path / "c.docs").load()
    assert _read_all(again, files) == first
    assert len(again.parsed) == 2  # the two files whose blobs were bad were parsed again, with the same result
    again.save()
    assert sorted(p.name for p in folder.iterdir()) == names

    third = DocumentCache(tmp_path / "c.docs").load()
    assert _read_all(third, files) == first and third.parsed == []


def test_an_unchanged_read_and_save_writes_no_blob(tmp_path: Path) -> None:
    files = _files(tmp_path / "k8s")
    cache = DocumentCache(tmp_path / "c.docs").load()
    _read_all(cache, files)
    cache.save()
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "c.docs.d").iterdir()}
    again = DocumentCache(tmp_path / "c.docs").load()
    _read_all(again, files)
    assert not again.changed()
    again.save()
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "c.docs.d").iterdir()} == before


def test_a_crashed_writers_temporary_blob_is_removed_by_the_next_save_and_a_fresh_one_is_kept(tmp_path: Path) -> None:
    import os
    import time

    from opsgraph.sources.doc_cache import STALE_TEMP_S

    files = _files(tmp_path / "k8s")
    cache = DocumentCache(tmp_path / "c.docs").load()
    _read_all(cache, files)
    cache.save()
    folder = cache.blob_folder
    assert folder is not None
    stale, fresh = folder / ".abc.x1.tmp", folder / ".abc.x2.tmp"
    stale.write_bytes(b"half a blob")
    fresh.write_bytes(b"a blob being written")
    old = time.time() - STALE_TEMP_S - 60
    os.utime(stale, (old, old))

    write(files[0], "kind: ConfigMap\nmetadata: {name: a}\ndata: {k: changed}\n")
    again = DocumentCache(tmp_path / "c.docs").load()
    _read_all(again, files)
    again.save()
    assert not stale.exists() and fresh.exists()
    assert sum(1 for p in folder.iterdir() if not p.name.startswith(".")) == 3
