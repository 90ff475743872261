"""The document cache on disk is content-addressed: a save writes the blobs of what changed (one pack per save), and a bad blob
is not cached."""

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


def _sizes(cache: DocumentCache) -> dict[str, int]:
    folder = cache.blob_folder
    assert folder is not None
    return {p.name: p.stat().st_size for p in folder.iterdir()}


def _read_all(cache: DocumentCache, files: list[Path]) -> list[object]:
    return [list(read_documents(p, p.name, cache)) for p in files]


def test_a_save_writes_only_the_changed_files_blob_and_drops_the_one_no_longer_named(tmp_path: Path) -> None:
    files = _files(tmp_path / "k8s")
    cache = DocumentCache(tmp_path / "c.docs").load()
    _read_all(cache, files)
    cache.save()
    before, first_sizes = _blobs(cache), _sizes(cache)
    assert len(before) == 1  # the three files' blobs, in one pack

    write(files[1], "kind: ConfigMap\nmetadata: {name: b}\ndata: {k: changed}\n")
    again = DocumentCache(tmp_path / "c.docs").load()
    docs = _read_all(again, files)
    assert [Path(p).name for p in again.parsed] == ["b.yaml"]
    again.save()
    after = _blobs(again)
    assert len(after) == 2
    (kept,) = set(before) & set(after)
    assert before[kept] == after[kept]  # the unchanged files' blobs were not rewritten: their pack is the same file
    (new,) = set(after) - set(before)
    assert _sizes(again)[new] < first_sizes[kept] / 2  # the new pack holds the changed file's blob only

    third = DocumentCache(tmp_path / "c.docs").load()
    assert _read_all(third, files) == docs and third.parsed == []


def test_a_torn_or_missing_blob_counts_as_not_cached_and_is_written_again(tmp_path: Path) -> None:
    files = _files(tmp_path / "k8s")
    cache = DocumentCache(tmp_path / "c.docs").load()
    first = _read_all(cache, files)
    cache.save()
    folder = cache.blob_folder
    assert folder is not None
    (pack,) = [p for p in folder.iterdir()]
    body = pack.read_bytes()
    third_of = len(body) // 3
    pack.write_bytes(body[:third_of] + b"\x00" + body[third_of + 1 :])  # one blob's bytes changed in place
    pack.write_bytes(pack.read_bytes()[: len(body) - 5])  # and the pack torn short: the last blob is cut

    again = DocumentCache(tmp_path / "c.docs").load()
    assert _read_all(again, files) == first
    assert len(again.parsed) == 2  # the two files whose blobs were bad were parsed again, with the same result
    again.save()
    assert len(list(folder.iterdir())) == 2  # the damaged pack (one good blob) and a pack of the two written again

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
    assert sum(1 for p in folder.iterdir() if not p.name.startswith(".")) == 2  # the first pack (b, c) and the new one (a)


def test_a_pack_mostly_no_longer_named_is_copied_into_the_new_one_and_removed(tmp_path: Path) -> None:
    from opsgraph.sources.blob_packs import COMPACT_BELOW

    root = tmp_path / "k8s"
    files = [write(root / f"{n}.yaml", f"kind: ConfigMap\nmetadata: {{name: {n}}}\ndata: {{k: v-{n}}}\n") for n in "abcdefgh"]
    cache = DocumentCache(tmp_path / "c.docs").load()
    first = _read_all(cache, files)
    cache.save()
    (old,) = _blobs(cache)
    assert 1 / len(files) < COMPACT_BELOW  # one file unchanged of eight: its pack is below the share kept as is

    for p in files[1:]:
        write(p, p.read_text().replace("{k: v-", "{k: changed-"))
    again = DocumentCache(tmp_path / "c.docs").load()
    changed = _read_all(again, files)
    assert changed[0] == first[0] and changed[1] != first[1]
    again.save()
    assert old not in _blobs(again) and len(_blobs(again)) == 1  # the unchanged blob now lives in the new pack

    third = DocumentCache(tmp_path / "c.docs").load()
    assert _read_all(third, files) == changed and third.parsed == []


def test_a_cache_written_with_loose_blobs_is_still_read_and_its_named_blobs_kept(tmp_path: Path) -> None:
    import marshal

    files = _files(tmp_path / "k8s")
    cache = DocumentCache(tmp_path / "c.docs").load()
    first = _read_all(cache, files)
    cache.save()
    # Rewrite the folder the way the cache wrote it before packs: a file per blob, an index without pack entries.
    folder = cache.blob_folder
    assert folder is not None
    index = marshal.loads((tmp_path / "c.docs").read_bytes())
    (pack,) = list(folder.iterdir())
    body = pack.read_bytes()
    for name, (_, offset, length) in index.pop("packs").items():
        (folder / name).write_bytes(body[offset : offset + length])
    pack.unlink()
    (tmp_path / "c.docs").write_bytes(marshal.dumps(index))
    loose = set(_blobs(cache))

    write(files[0], "kind: ConfigMap\nmetadata: {name: a}\ndata: {k: changed}\n")
    again = DocumentCache(tmp_path / "c.docs").load()
    docs = _read_all(again, files)
    assert docs[1:] == first[1:] and [Path(p).name for p in again.parsed] == ["a.yaml"]
    again.save()
    now = set(_blobs(again))
    assert len(now & loose) == 2 and len(now - loose) == 1  # b's and c's loose blobs kept, a's new blob in a pack

    third = DocumentCache(tmp_path / "c.docs").load()
    assert _read_all(third, files) == docs and third.parsed == []
