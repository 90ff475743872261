"""Atomic writes leave the old file or the new one, never half; versioned folders appear complete, in order, once each."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from opsgraph import _files
from opsgraph._files import VersionedFolder, atomic_path, atomic_write_bytes, atomic_write_text, version_name


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "pointer.json"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    atomic_write_bytes(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert _hidden(target.parent) == []
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "model.gguf"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="writer crashed"), atomic_path(target, suffix=".part") as tmp:
        tmp.write_text("half of the new", encoding="utf-8")
        raise RuntimeError("writer crashed")
    assert target.read_text(encoding="utf-8") == "old"
    assert _hidden(tmp_path) == []


def test_temporary_names_are_unique_and_beside_the_target(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    with atomic_path(target) as a, atomic_path(target) as b:
        assert a != b and a.parent == b.parent == tmp_path and a.name.startswith(".x.json.")
        a.write_text("a", encoding="utf-8")
        b.write_text("b", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "a"  # the outer block ends last and wins
    assert _hidden(tmp_path) == []


def test_the_file_and_its_folder_are_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real = os.fsync

    def record(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real(fd)

    monkeypatch.setattr(_files.os, "fsync", record)
    atomic_write_text(tmp_path / "a.txt", "x")
    assert synced == ["file", "dir"]


def test_version_names() -> None:
    assert version_name(1) == "v0001" and version_name(12345) == "v12345"
    for bad in (0, -1, True):
        with pytest.raises(ValueError):
            version_name(bad)


def _fill(text: str):  # type: ignore[no-untyped-def]
    def fill(staging: Path) -> None:
        (staging / "manifest.json").write_text(json.dumps({"what": text}), encoding="utf-8")

    return fill


def test_versions_are_numbered_listed_and_latest(tmp_path: Path) -> None:
    folder = VersionedFolder(tmp_path / "reg")
    assert folder.versions() == [] and folder.latest() is None and folder.read_pointer() is None
    assert not (tmp_path / "reg").exists()  # no I/O before the first write
    assert [folder.new(_fill(str(i))) for i in range(3)] == ["v0001", "v0002", "v0003"]
    (tmp_path / "reg" / "notes").mkdir()  # not a version
    assert folder.versions() == ["v0001", "v0002", "v0003"] and folder.latest() == "v0003"
    assert json.loads((folder.path("v0002") / "manifest.json").read_text(encoding="utf-8")) == {"what": "1"}
    assert folder.exists("v0003") and not folder.exists("v0004") and not folder.exists("../x")
    assert _hidden(tmp_path / "reg") == []


def test_a_version_without_its_manifest_or_with_a_failed_fill_never_appears(tmp_path: Path) -> None:
    folder = VersionedFolder(tmp_path)
    with pytest.raises(ValueError, match=r"must hold manifest\.json"):
        folder.new(lambda staging: (staging / "model.pt").write_bytes(b"w"))

    def crash(staging: Path) -> None:
        (staging / "manifest.json").write_text("{}", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        folder.new(crash)
    assert list(tmp_path.iterdir()) == []


def test_a_racing_writer_gets_the_next_number(tmp_path: Path) -> None:
    folder = VersionedFolder(tmp_path)
    stamped: list[str] = []

    def stamp(staging: Path, name: str) -> None:
        stamped.append(name)
        if len(stamped) == 1:  # another process lands v0001 between our look and our rename
            folder.new(_fill("the other writer"))
        (staging / "manifest.json").write_text(json.dumps({"version": name}), encoding="utf-8")

    assert folder.new(lambda staging: None, stamp=stamp) == "v0002"
    assert stamped == ["v0001", "v0002"]
    assert json.loads((tmp_path / "v0001" / "manifest.json").read_text(encoding="utf-8")) == {"what": "the other writer"}
    assert json.loads((tmp_path / "v0002" / "manifest.json").read_text(encoding="utf-8")) == {"version": "v0002"}


def test_promote_replaces_the_pointer_and_refuses_unknown_versions(tmp_path: Path) -> None:
    folder = VersionedFolder(tmp_path, pointer="active.json")
    v1, v2 = folder.new(_fill("a")), folder.new(_fill("b"))
    folder.promote(v1, {"version": v1})
    folder.promote(v2, {"version": v2, "history": [v1, v2]})
    assert folder.read_pointer() == {"version": "v0002", "history": ["v0001", "v0002"]}
    with pytest.raises(FileNotFoundError, match="v0009"):
        folder.promote("v0009", {"version": "v0009"})
    with pytest.raises(ValueError, match="named like"):
        folder.path("latest")
    assert folder.read_pointer()["version"] == "v0002"
    assert _hidden(tmp_path) == []
